//! The records the process events keep: each instance's clock (indexed by its deadline while it
//! runs), the figures per process and day, the day's counts, the gauges of what is open, and
//! queue observations turned into recommended concurrency. Gather → decide ([`crate::sla`],
//! [`crate::kpi`], [`crate::capacity`]) → record.

use crate::capacity::{self, Recommendation};
use crate::kpi::{DayCounts, Gauges};
use crate::sla::{self, Clock, DayFigures, Process, Step};
use crate::{OperationsManager, PREFIX};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::QueueDepthObserved;
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Item};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// `gsi1` partition of the running clocks, sorted by deadline.
pub const DUE_INDEX: &str = "ops-manager#due";
/// Partition of the recommended concurrency, one item per agent.
pub const CAPACITY_PK: &str = "ops-manager#capacity";
pub const GAUGES_PK: &str = "ops-manager#gauges";

pub fn clock_pk(p: Process, subject: &str) -> String {
    format!("{PREFIX}clock#{}#{subject}", p.as_str())
}

pub fn day_pk(day: NaiveDate) -> String {
    format!("{PREFIX}day#{day}")
}

/// Sort key of a deadline in the index (UTC, to the second: sorts as time does).
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Whether something (a ticket, an invoice in dunning) is open now.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct OpenMarker {
    open: bool,
}

/// A recommendation as kept, with its version.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeptRecommendation {
    #[serde(flatten)]
    pub recommendation: Recommendation,
    pub version: u32,
}

impl OperationsManager {
    fn target(&self, p: Process) -> Duration {
        Duration::minutes(i64::from(self.config.sla.of(p).target_minutes))
    }

    async fn clock(
        &self,
        ctx: &mut Ctx<'_>,
        p: Process,
        subject: &str,
    ) -> Result<Option<Clock>, AgentError> {
        ctx.get_as(Domain::Performance, &clock_pk(p, subject), "clock")
            .await
    }

    /// Stores `clock` (one version on), indexed by its deadline while it runs unflagged.
    pub(crate) fn save_clock(&self, ctx: &mut Ctx<'_>, mut clock: Clock) -> Result<(), AgentError> {
        let previous = (clock.version > 0).then_some(clock.version);
        clock.version += 1;
        let index = match (clock.ended_at, clock.due_at, clock.breached) {
            (None, Some(due), false) => Some((
                DUE_INDEX.to_string(),
                format!(
                    "{}#{}#{}",
                    stamp(due),
                    clock.process.as_str(),
                    clock.subject
                ),
            )),
            _ => None,
        };
        // Kept while it runs; forgotten `clock_keep_days` after its end (or its deadline), and
        // never sooner than that long after it is written: a clock of an old instance (a replay,
        // a late event) must stay readable for its end to find it, not expire on being written
        // (an expired item is gone to reads but still there for a write's condition).
        let keep = Duration::days(i64::from(self.config.clock_keep_days));
        let kept_from = |t: DateTime<Utc>| t.max(ctx.now()) + keep;
        let expires = match (clock.ended_at, clock.breached) {
            (Some(end), _) => Some(kept_from(end)),
            (None, true) => clock.due_at.map(kept_from),
            (None, false) => None,
        };
        let data = serde_json::to_value(&clock)
            .map_err(|e| AgentError::Invalid(format!("clock does not serialise: {e}")))?;
        let mut item = Item::new(clock_pk(clock.process, &clock.subject), "clock", data);
        if let Some((ipk, isk)) = index {
            item = item.with_index(ipk, isk);
        }
        if let Some(t) = expires {
            item = item.expiring_at(t.timestamp());
        }
        ctx.put(Domain::Performance, item, Condition::version(previous))
    }

    /// Applies `change` to one process's figures of `day`.
    pub(crate) async fn figures(
        &self,
        ctx: &mut Ctx<'_>,
        day: NaiveDate,
        p: Process,
        change: impl FnOnce(&mut DayFigures),
    ) -> Result<(), AgentError> {
        let sk = format!("sla#{}", p.as_str());
        let mut f: DayFigures = ctx
            .get_as(Domain::Performance, &day_pk(day), &sk)
            .await?
            .unwrap_or_default();
        let previous = (f.version > 0).then_some(f.version);
        f.day = Some(day);
        change(&mut f);
        f.version += 1;
        ctx.put_record(
            Domain::Performance,
            &day_pk(day),
            &sk,
            &f,
            None,
            Condition::version(previous),
        )
    }

    /// Records what `step` decided; `true` when the clock changed.
    async fn record(&self, ctx: &mut Ctx<'_>, step: Step) -> Result<bool, AgentError> {
        match step {
            Step::Unchanged => Ok(false),
            Step::Pending(clock) => self.save_clock(ctx, clock).map(|()| true),
            Step::Completed {
                clock,
                duration,
                late_breach,
            } => {
                let (p, samples) = (clock.process, self.config.samples_per_day);
                let ended = self.day_of(clock.ended_at.expect("a completed clock ended"));
                let due = self.day_of(clock.due_at.expect("a completed clock is due"));
                self.save_clock(ctx, clock)?;
                self.figures(ctx, ended, p, |f| f.record(duration, samples))
                    .await?;
                if late_breach {
                    self.figures(ctx, due, p, |f| f.breaches += 1).await?;
                }
                Ok(true)
            }
            Step::Breached(_) => unreachable!("only the SLA check flags breaches"),
        }
    }

    /// A process instance starts at `at`; `true` the first time.
    pub(crate) async fn start(
        &self,
        ctx: &mut Ctx<'_>,
        p: Process,
        subject: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, AgentError> {
        let clock = self.clock(ctx, p, subject).await?;
        let step = sla::start(clock, p, subject, at, self.target(p));
        self.record(ctx, step).await
    }

    /// A process instance ends at `at`.
    pub(crate) async fn stop(
        &self,
        ctx: &mut Ctx<'_>,
        p: Process,
        subject: &str,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        let clock = self.clock(ctx, p, subject).await?;
        let step = sla::end(clock, p, subject, at, self.target(p));
        self.record(ctx, step).await.map(|_| ())
    }

    /// Applies `change` to the counts of `day`.
    pub(crate) async fn count_day(
        &self,
        ctx: &mut Ctx<'_>,
        day: NaiveDate,
        change: impl FnOnce(&mut DayCounts),
    ) -> Result<(), AgentError> {
        let mut c: DayCounts = ctx
            .get_as(Domain::Performance, &day_pk(day), "counts")
            .await?
            .unwrap_or_default();
        let previous = (c.version > 0).then_some(c.version);
        change(&mut c);
        c.version += 1;
        ctx.put_record(
            Domain::Performance,
            &day_pk(day),
            "counts",
            &c,
            None,
            Condition::version(previous),
        )
    }

    /// A lost deal counts once.
    pub(crate) async fn deal_lost(
        &self,
        ctx: &mut Ctx<'_>,
        deal: &str,
        day: NaiveDate,
    ) -> Result<(), AgentError> {
        let pk = format!("{PREFIX}lost#{deal}");
        if ctx.get(Domain::Performance, &pk, "lost").await?.is_some() {
            return Ok(());
        }
        ctx.put_record(
            Domain::Performance,
            &pk,
            "lost",
            &serde_json::json!({"day": day}),
            None,
            Condition::version::<u32>(None),
        )?;
        self.count_day(ctx, day, |d| d.lost += 1).await
    }

    async fn gauges(&self, ctx: &mut Ctx<'_>) -> Result<Gauges, AgentError> {
        Ok(ctx
            .get_as(Domain::Performance, GAUGES_PK, "now")
            .await?
            .unwrap_or_default())
    }

    fn save_gauges(&self, ctx: &mut Ctx<'_>, mut g: Gauges) -> Result<(), AgentError> {
        let previous = (g.version > 0).then_some(g.version);
        g.version += 1;
        ctx.put_record(
            Domain::Performance,
            GAUGES_PK,
            "now",
            &g,
            None,
            Condition::version(previous),
        )
    }

    /// `kind` `id` is open: counted in its gauge once, however often it is reported.
    pub(crate) async fn open(
        &self,
        ctx: &mut Ctx<'_>,
        kind: &str,
        id: &str,
        gauge: impl FnOnce(&mut Gauges) -> &mut u64,
    ) -> Result<(), AgentError> {
        let pk = format!("{PREFIX}open#{kind}#{id}");
        if ctx
            .get_as::<OpenMarker>(Domain::Performance, &pk, "open")
            .await?
            .is_some()
        {
            return Ok(()); // open already, or closed before its opening was delivered
        }
        let marker = OpenMarker { open: true };
        let m = Condition::version::<u32>(None);
        ctx.put_record(Domain::Performance, &pk, "open", &marker, None, m)?;
        let mut g = self.gauges(ctx).await?;
        *gauge(&mut g) += 1;
        self.save_gauges(ctx, g)
    }

    /// `kind` `id` is closed: leaves its gauge once. A close that comes before the opening is
    /// kept, so the late opening is not counted.
    pub(crate) async fn close(
        &self,
        ctx: &mut Ctx<'_>,
        kind: &str,
        id: &str,
        gauge: impl FnOnce(&mut Gauges) -> &mut u64,
    ) -> Result<(), AgentError> {
        let pk = format!("{PREFIX}open#{kind}#{id}");
        let marker: Option<OpenMarker> = ctx.get_as(Domain::Performance, &pk, "open").await?;
        let closed = OpenMarker { open: false };
        match marker {
            Some(OpenMarker { open: false }) => Ok(()),
            None if kind == "invoice" => Ok(()), // paid without ever being in dunning
            None => ctx.put_record(
                Domain::Performance,
                &pk,
                "open",
                &closed,
                None,
                Condition::Always,
            ),
            Some(OpenMarker { open: true }) => {
                ctx.put_record(
                    Domain::Performance,
                    &pk,
                    "open",
                    &closed,
                    None,
                    Condition::Always,
                )?;
                let mut g = self.gauges(ctx).await?;
                let n = gauge(&mut g);
                *n = n.saturating_sub(1);
                self.save_gauges(ctx, g)
            }
        }
    }

    /// A queue observation: the agent's recommended concurrency, kept when newer than the last.
    pub(crate) async fn observe_queue(
        &self,
        ctx: &mut Ctx<'_>,
        o: &QueueDepthObserved,
    ) -> Result<(), AgentError> {
        let r = capacity::recommend(o, &self.config.capacity)
            .map_err(|e| AgentError::Invalid(e.to_string()))?;
        let kept: Option<KeptRecommendation> = ctx
            .get_as(Domain::Performance, CAPACITY_PK, &r.agent)
            .await?;
        if kept
            .as_ref()
            .is_some_and(|k| k.recommendation.observed_at >= r.observed_at)
        {
            return Ok(()); // an older or repeated observation
        }
        let previous = kept.map(|k| k.version);
        let record = KeptRecommendation {
            recommendation: r,
            version: previous.unwrap_or(0) + 1,
        };
        ctx.put_record(
            Domain::Performance,
            CAPACITY_PK,
            &record.recommendation.agent,
            &record,
            None,
            Condition::version(previous),
        )
    }
}
