//! What the operator console needs of the twin's runtime beyond what it already does: pausing
//! an agent (its deliveries wait in its queue, nothing lost, nothing dead-lettered; the pause
//! is stored, so it survives a restart; resuming lets the worker drain them), deciding an
//! approval as a signed-in approver (the same rules and effects as an email link), the
//! approvals of the inbox, and each agent's throughput and last activity.

use super::{PENDING_APPROVALS, Runtime, TwinError, millis};
use ascent_core::approval::{Approval, ApprovalStatus, Decision, DecisionOutcome, DeskError};
use ascent_core::audit::AuditEntry;
use ascent_core::ports::{Condition, Write};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS agent_pauses (
    agent TEXT PRIMARY KEY, paused_at INTEGER NOT NULL, paused_by TEXT NOT NULL
) WITHOUT ROWID;";

/// The paused agents, as stored in `agent_pauses`, held in memory for the worker.
#[derive(Debug, Default)]
pub(crate) struct Paused {
    /// Whether any agent is paused: the worker's check costs nothing otherwise.
    any: AtomicBool,
    names: parking_lot::RwLock<BTreeSet<String>>,
}

impl Paused {
    /// Creates the table if needed and reads who is paused.
    pub(crate) fn load(c: &Connection) -> rusqlite::Result<Self> {
        c.execute_batch(SCHEMA)?;
        let mut st = c.prepare("SELECT agent FROM agent_pauses")?;
        let names = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<BTreeSet<String>>>()?;
        Ok(Self {
            any: AtomicBool::new(!names.is_empty()),
            names: parking_lot::RwLock::new(names),
        })
    }

    pub(crate) fn is_paused(&self, agent: &str) -> bool {
        self.any.load(Ordering::Relaxed) && self.names.read().contains(agent)
    }

    fn set(&self, agent: &str, paused: bool) {
        let mut names = self.names.write();
        if paused {
            names.insert(agent.to_string());
        } else {
            names.remove(agent);
        }
        self.any.store(!names.is_empty(), Ordering::Relaxed);
    }
}

/// An agent's activity as the console shows it, beside [`super::AgentStatus`]'s counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentActivity {
    pub agent: String,
    /// Messages handled per minute since the last queue observation (at least a minute).
    pub per_minute: Option<f64>,
    /// Its latest audit record among the last [`RECENT_AUDIT`] of the chain.
    pub last_activity: Option<DateTime<Utc>>,
    pub paused: bool,
}

/// How far back the last activity is looked for (the audit chain has no index by actor).
pub const RECENT_AUDIT: i64 = 100_000;

/// Decided approvals the inbox lists, latest first.
pub const DECIDED_SHOWN: i64 = 100;

impl Runtime {
    /// Whether `agent` is paused.
    pub fn is_paused(&self, agent: &str) -> bool {
        self.paused.is_paused(agent)
    }

    /// Pauses or resumes `agent`, audited under `operator`. A paused agent's deliveries keep
    /// arriving in its queue; the worker does not receive them until it is resumed.
    pub fn set_paused(&self, agent: &str, paused: bool, operator: &str) -> Result<(), TwinError> {
        let Some(name) = self.agents.keys().find(|n| **n == agent).copied() else {
            return Err(TwinError::Refused(format!("no agent is named `{agent}`")));
        };
        let now = self.now();
        self.store.write_tx(|tx| {
            if paused {
                tx.conn().execute(
                    "INSERT OR REPLACE INTO agent_pauses (agent, paused_at, paused_by) VALUES (?1, ?2, ?3)",
                    params![name, millis(now), operator],
                )?;
            } else {
                tx.conn()
                    .execute("DELETE FROM agent_pauses WHERE agent = ?1", [name])?;
            }
            tx.audit(AuditEntry {
                at: now,
                actor: operator.into(),
                action: if paused { "agent.paused" } else { "agent.resumed" }.into(),
                domain: "queue".into(),
                item: name.into(),
                correlation_id: None,
                detail: String::new(),
            })?;
            Ok::<_, TwinError>(())
        })?;
        self.paused.set(name, paused);
        tracing::info!(agent = name, paused, "agent pause switched");
        Ok(())
    }

    /// Decides approval `id` as the signed-in `approver` at its current step, under the link's
    /// rules ([`Approval::decide_signed_in`]); emits `ApprovalDecided` (or asks the second
    /// approver) in the same transaction, audited under the approver.
    pub fn decide_approval_as(
        &self,
        id: &str,
        approver: &str,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<Approval, DeskError> {
        let now = self.now();
        let result = self.store.write_tx(|tx| {
            let item = tx
                .conn()
                .query_row(
                    "SELECT data FROM items WHERE domain = 'approvals' AND pk = ?1 AND sk = 'approval'",
                    [format!("approval#{id}")],
                    |r| r.get::<_, String>(0),
                )
                .optional()?;
            let Some(item) = item else {
                return Ok(Err(DeskError::NotFound(id.into())));
            };
            let mut a: Approval = match serde_json::from_str(&item) {
                Ok(a) => a,
                Err(e) => return Ok(Err(DeskError::Internal(e.to_string()))),
            };
            let step_timeout = self.config.approvals.step_timeout();
            match a.decide_signed_in(approver, decision, comment, now, step_timeout) {
                Err(e) => return Ok(Err(e.into())),
                Ok(DecisionOutcome::Closed) => self.close_approval(tx, &a, now, approver)?,
                Ok(DecisionOutcome::NeedsAnother { next }) => {
                    tx.apply(Write::Put {
                        domain: ascent_core::agent::Domain::Approvals,
                        item: self.approval_item(&a),
                        condition: Condition::Exists,
                    })?;
                    tx.audit(AuditEntry {
                        at: now,
                        actor: approver.into(),
                        action: "approval.approved-once".into(),
                        domain: "approvals".into(),
                        item: a.id.clone(),
                        correlation_id: Some(a.correlation_id.to_string()),
                        detail: format!("second approval needed from {next}"),
                    })?;
                    self.notify_approver(tx, &a, now, false)?;
                }
            }
            Ok::<_, TwinError>(Ok(a))
        });
        let a = result.map_err(|e| DeskError::Internal(e.to_string()))??;
        tracing::info!(approval_id = a.id.as_str(), status = ?a.status, decision = ?decision, "approval decided in the console");
        self.flush_outbox();
        Ok(a)
    }

    /// Pending approvals, soonest deadline first, and the latest [`DECIDED_SHOWN`] decided.
    pub fn inbox(&self) -> Result<(Vec<Approval>, Vec<Approval>), TwinError> {
        let parse = |rows: Vec<String>| -> Result<Vec<Approval>, TwinError> {
            rows.iter()
                .map(|d| {
                    serde_json::from_str(d)
                        .map_err(|e| TwinError::Refused(format!("an approval record: {e}")))
                })
                .collect()
        };
        let (pending, decided) = self.store.read(|c| {
            let mut st = c.prepare(
                "SELECT data FROM items WHERE domain = 'approvals' AND gsi1pk = ?1 ORDER BY gsi1sk",
            )?;
            let pending = st
                .query_map([PENDING_APPROVALS], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let mut st = c.prepare(
                "SELECT data FROM items WHERE domain = 'approvals' AND sk = 'approval' \
                 AND json_extract(data, '$.status') != 'pending' \
                 ORDER BY json_extract(data, '$.decided_at') DESC LIMIT ?1",
            )?;
            let decided = st
                .query_map([DECIDED_SHOWN], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok((pending, decided))
        })?;
        let pending: Vec<Approval> = parse(pending)?
            .into_iter()
            .filter(|a| a.status == ApprovalStatus::Pending)
            .collect();
        Ok((pending, parse(decided)?))
    }

    /// Each agent's throughput since the last queue observation, its last activity and
    /// whether it is paused, in the agents' order.
    pub fn agent_activity(&self) -> Result<Vec<AgentActivity>, TwinError> {
        let now = self.now();
        Ok(self.store.read(|c| {
            let mut since = c.prepare_cached(
                "SELECT o.at, s.handled - o.handled FROM queue_observed o JOIN agent_stats s \
                 ON s.agent = o.agent WHERE o.agent = ?1",
            )?;
            let mut last = c.prepare_cached(
                "SELECT at FROM audit WHERE actor = ?1 AND seq > \
                 (SELECT COALESCE(MAX(seq), 0) FROM audit) - ?2 ORDER BY seq DESC LIMIT 1",
            )?;
            let mut out = Vec::new();
            for name in self.agents.keys() {
                let per_minute = since
                    .query_row([name], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
                    .optional()?
                    .map(|(at, handled)| {
                        let minutes = ((millis(now) - at) as f64 / 60_000.0).max(1.0);
                        handled.max(0) as f64 / minutes
                    });
                let last_activity = last
                    .query_row(params![name, RECENT_AUDIT], |r| r.get::<_, String>(0))
                    .optional()?
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc));
                out.push(AgentActivity {
                    agent: name.to_string(),
                    per_minute,
                    last_activity,
                    paused: self.paused.is_paused(name),
                });
            }
            Ok(out)
        })?)
    }

    /// Appends one record to the audit chain (a console sign-in, a refusal).
    pub fn audit_action(&self, entry: AuditEntry) -> Result<(), TwinError> {
        self.store.write_tx(|tx| {
            tx.audit(entry)?;
            Ok::<_, TwinError>(())
        })
    }
}

#[cfg(test)]
#[path = "runtime_console_tests.rs"]
mod tests;
