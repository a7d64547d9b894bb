//! Queue observations in the twin: at each window's end (`[schedule]
//! queue_observation_minutes`), one `QueueDepthObserved` per agent onto the bus, with the
//! figures of the window read from the store in the same transaction that publishes them.
//!
//! Nothing is counted per message beyond what the worker counts already: a reading is the
//! agent's messages in the queue (and those visible), its cumulative handled, duplicate, failed
//! and dead-lettered counts (`agent_stats`, flushed with each unit of work's commit, so a unit
//! that rolled back counted nothing) and its cumulative handling time (`agent_handling`, beside
//! them). A window is the difference between the reading at its end and the one kept at the
//! last observation (`queue_observed`): what left the queue is handled, duplicates and dead
//! letters, so what arrived is the queue's growth plus what left it (deliveries published and
//! handled inside one unit of work included; a redrive arrives again).
//!
//! Handling time is measured with the runtime's clock: real time under `ascent up`; under a
//! manual clock (`ascent simulate`, the tests) a handler takes no time unless the clock is
//! moved, so a simulation's figures are the same on every run.

use super::{Runtime, TwinError, millis};
use ascent_core::queues::{QueueWindow, window_ends};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS agent_handling (
    agent TEXT PRIMARY KEY, micros INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_observed (
    agent TEXT PRIMARY KEY, at INTEGER NOT NULL, messages INTEGER NOT NULL,
    handled INTEGER NOT NULL, duplicates INTEGER NOT NULL, failures INTEGER NOT NULL,
    dead_lettered INTEGER NOT NULL, micros INTEGER NOT NULL, quiet INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_echo (agent TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
";

/// One agent's queue at one moment: what is in it, and its counts since the twin began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    /// Messages in the queue: visible, or waiting out a retry's backoff.
    pub messages: u64,
    /// Of those, visible (waiting for a worker).
    pub visible: u64,
    pub handled: u64,
    pub duplicates: u64,
    /// Receives that failed (retried or dead-lettered).
    pub failures: u64,
    pub dead_lettered: u64,
    /// Time spent handling, microseconds.
    pub micros: u64,
}

/// The window between the reading kept at the last observation and the one at its end.
pub fn window(before: &Reading, after: &Reading) -> QueueWindow {
    let d = |a: u64, b: u64| a.saturating_sub(b);
    let handled = d(after.handled, before.handled);
    let duplicates = d(after.duplicates, before.duplicates);
    let failures = d(after.failures, before.failures);
    let left = handled + duplicates + d(after.dead_lettered, before.dead_lettered);
    let grown = after.messages as i128 - before.messages as i128;
    QueueWindow {
        depth: after.visible,
        arrived: (grown + left as i128).max(0) as u64,
        handled,
        receives: handled + duplicates + failures,
        handling_us: d(after.micros, before.micros),
    }
}

/// Whether a window is quiet but for the observer's own traffic: nothing waits, and all that
/// arrived (and was received, and handled) is at most the `echo`, the observations delivered
/// to the agent by the last round (the Operations Manager's). With no echo: quiet.
pub fn quiet_but_for(w: &QueueWindow, echo: u64) -> bool {
    w.depth == 0 && w.arrived <= echo && w.handled == w.arrived && w.receives == w.arrived
}

/// The reading kept at an agent's last observation.
struct Last {
    at: i64,
    reading: Reading,
    quiet: bool,
}

/// Creates the observation tables. A twin whose data predates them starts its first window
/// from what it has counted so far (kept as a quiet observation), not from nothing.
pub(super) fn prepare(c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let existed: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_observed')",
        [],
        |r| r.get(0),
    )?;
    c.execute_batch(SCHEMA)?;
    if !existed {
        c.execute(
            "INSERT OR IGNORE INTO queue_observed \
             SELECT s.agent, ?1, (SELECT COUNT(*) FROM queue_messages q WHERE q.agent = s.agent), \
             s.handled, s.duplicates, s.failures, s.dead_lettered, 0, 1 FROM agent_stats s",
            [millis(now)],
        )?;
    }
    Ok(())
}

/// Adds handling time to an agent's total (with the unit of work's other counters).
pub(super) fn add_handling(c: &Connection, agent: &str, micros: i64) -> rusqlite::Result<()> {
    if micros > 0 {
        c.prepare_cached(
            "INSERT INTO agent_handling (agent, micros) VALUES (?1, ?2) \
             ON CONFLICT(agent) DO UPDATE SET micros = micros + ?2",
        )?
        .execute(params![agent, micros])?;
    }
    Ok(())
}

/// Every agent's reading at `at` (Unix milliseconds): three small grouped reads.
fn readings(c: &Connection, at: i64) -> rusqlite::Result<BTreeMap<String, Reading>> {
    let mut out: BTreeMap<String, Reading> = BTreeMap::new();
    let mut st = c.prepare_cached(
        "SELECT agent, COUNT(*), SUM(visible_at <= ?1) FROM queue_messages GROUP BY agent",
    )?;
    for row in st.query_map([at], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (agent, n, v) = row?;
        let e = out.entry(agent).or_default();
        (e.messages, e.visible) = (n as u64, v as u64);
    }
    let mut st = c.prepare_cached(
        "SELECT agent, handled, duplicates, failures, dead_lettered FROM agent_stats",
    )?;
    for row in st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            [r.get::<_, i64>(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
        ))
    })? {
        let (agent, [h, d, f, x]) = row?;
        let e = out.entry(agent).or_default();
        (e.handled, e.duplicates, e.failures, e.dead_lettered) =
            (h as u64, d as u64, f as u64, x as u64);
    }
    let mut st = c.prepare_cached("SELECT agent, micros FROM agent_handling")?;
    for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (agent, us) = row?;
        out.entry(agent).or_default().micros = us as u64;
    }
    Ok(out)
}

fn last(c: &Connection, agent: &str) -> rusqlite::Result<Option<Last>> {
    c.prepare_cached(
        "SELECT at, messages, handled, duplicates, failures, dead_lettered, micros, quiet \
         FROM queue_observed WHERE agent = ?1",
    )?
    .query_row([agent], |r| {
        let n = |i| r.get::<_, i64>(i).map(|v| v as u64);
        Ok(Last {
            at: r.get(0)?,
            reading: Reading {
                messages: n(1)?,
                visible: 0,
                handled: n(2)?,
                duplicates: n(3)?,
                failures: n(4)?,
                dead_lettered: n(5)?,
                micros: n(6)?,
            },
            quiet: r.get(7)?,
        })
    })
    .optional()
}

/// The observations each agent was delivered by the last round.
fn echoes(c: &Connection) -> rusqlite::Result<BTreeMap<String, u64>> {
    let mut st = c.prepare_cached("SELECT agent, n FROM queue_echo")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    rows.collect()
}

fn remember(
    c: &Connection,
    agent: &str,
    at: i64,
    r: &Reading,
    quiet: bool,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO queue_observed \
         (agent, at, messages, handled, duplicates, failures, dead_lettered, micros, quiet) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        agent,
        at,
        r.messages as i64,
        r.handled as i64,
        r.duplicates as i64,
        r.failures as i64,
        r.dead_lettered as i64,
        r.micros as i64,
        quiet
    ])?;
    Ok(())
}

impl Runtime {
    /// Observes every agent's queue at the end of the `minutes`-long window ending `at`: a
    /// `QueueDepthObserved` per agent onto the bus, and the reading kept for the next window,
    /// in one transaction. An agent quiet now and at its last observation is skipped (see
    /// [`ascent_core::queues::worth_reporting`]), counting as quiet a window that only handled the observations
    /// of the last round ([`quiet_but_for`]: else the agent that takes them would be reported
    /// every window for them alone); one observed at `at` already is skipped too, so a
    /// repeated call changes nothing. Returns the observations published.
    ///
    /// A round after one that published nothing and left every queue empty, with nothing
    /// written since (the store's change count is the same), would find every window quiet:
    /// it is skipped without a transaction (a night of the simulation is a dozen of them).
    pub fn observe_queues(&self, at: DateTime<Utc>, minutes: u32) -> Result<usize, TwinError> {
        let idle_at = *self.observed_idle.lock();
        if idle_at.is_some() && idle_at == Some(self.store.read(|c| Ok(c.total_changes()))?) {
            return Ok(0);
        }
        let now = self.now();
        let mut all_empty = false;
        let out = self.store.write_tx(|tx| {
            let now_read = readings(tx.conn(), millis(now))?;
            all_empty = now_read.values().all(|r| r.messages == 0);
            let echo = echoes(tx.conn())?;
            let mut delivered: BTreeMap<&str, u64> = BTreeMap::new();
            let mut published = 0;
            for name in self.agents.keys() {
                let reading = now_read.get(*name).copied().unwrap_or_default();
                let kept = last(tx.conn(), name)?;
                if kept.as_ref().is_some_and(|k| k.at >= millis(at)) {
                    continue;
                }
                let before = kept.as_ref().map(|k| k.reading).unwrap_or_default();
                let w = window(&before, &reading);
                let quiet = quiet_but_for(&w, echo.get(*name).copied().unwrap_or(0));
                if kept.as_ref().is_none_or(|k| k.quiet) && quiet {
                    if !w.is_quiet() {
                        // The echo handled: kept out of the next window.
                        remember(tx.conn(), name, millis(at), &reading, true)?;
                    }
                    continue;
                }
                remember(tx.conn(), name, millis(at), &reading, quiet)?;
                let event = w.observed(name, minutes * 60, at).event();
                let body = event.to_json();
                for rule in
                    self.router
                        .route_typed(&event.source, event.detail_type(), body.as_bytes())
                {
                    *delivered.entry(rule.agent).or_default() += 1;
                }
                self.publish_in(tx, &event, Some(body), now, false)?;
                published += 1;
            }
            let mut st = tx
                .conn()
                .prepare_cached("INSERT OR REPLACE INTO queue_echo (agent, n) VALUES (?1, ?2)")?;
            for name in self.agents.keys() {
                let n = delivered.get(*name).copied().unwrap_or(0);
                if echo.get(*name).copied().unwrap_or(0) != n {
                    st.execute(params![name, n as i64])?;
                }
            }
            Ok::<_, TwinError>(published)
        });
        self.observe(&out);
        *self.observed_idle.lock() = match out {
            Ok(0) if all_empty => self.store.read(|c| Ok(c.total_changes())).ok(),
            _ => None,
        };
        out
    }

    /// The window ends after `after` up to `until`, for a caller whose clock jumps (the
    /// simulation): at each end the clock is moved there by `set_clock`, the queues are
    /// observed and drained (the Operations Manager takes its observations). Returns the last
    /// end observed (`after` if none).
    pub async fn observe_queues_until(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        minutes: u32,
        mut set_clock: impl FnMut(DateTime<Utc>),
    ) -> Result<DateTime<Utc>, TwinError> {
        let mut observed = after;
        for end in window_ends(after, until, minutes) {
            set_clock(end);
            if self.observe_queues(end, minutes)? > 0 {
                self.drain(&mut set_clock).await?;
            }
            observed = end;
        }
        Ok(observed)
    }
}

#[cfg(test)]
#[path = "runtime_observations_tests.rs"]
mod tests;
