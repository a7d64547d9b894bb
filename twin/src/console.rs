//! The operator console's twin home: [`ascent_console::Operations`] over the runtime's SQLite
//! store (approvals, agents' counters and pauses, queues, dead letters, the audit chain), and
//! the router mounted at `/console`.

use ascent_console::{
    AgentRow, Console, ConsoleAction, ConsoleSettings, DeadLetterRow, Inbox, Operations, Operator,
    OpsError, QueueRow,
};
use ascent_core::approval::{Approval, Decision};
use ascent_core::audit::AuditEntry;
use ascent_embedded::{Runtime, TwinError};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The console's pages over `rt`, with the operators of `settings`.
pub fn router(rt: Arc<Runtime>, settings: ConsoleSettings) -> axum::Router {
    let ops: Arc<dyn Operations> = Arc::new(TwinOperations { rt: rt.clone() });
    let insights = Arc::new(crate::console_insights::TwinInsights::new(rt.clone()));
    ascent_console::router(Arc::new(
        Console::new(ops, settings, false)
            .with_insights(insights)
            .with_privacy(Arc::new(crate::console_privacy::TwinPrivacy {
                rt: rt.clone(),
            })),
    ))
}

/// The twin's home of the console.
pub struct TwinOperations {
    pub rt: Arc<Runtime>,
}

fn internal(e: TwinError) -> OpsError {
    match e {
        TwinError::Refused(why) => OpsError::Refused(why),
        e => OpsError::Internal(e.to_string()),
    }
}

/// Runs `f` on the blocking pool: the runtime's store calls block.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OpsError> + Send + 'static,
) -> Result<T, OpsError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| OpsError::Internal(e.to_string()))?
}

#[async_trait::async_trait]
impl Operations for TwinOperations {
    fn now(&self) -> DateTime<Utc> {
        self.rt.now()
    }

    async fn inbox(&self) -> Result<Inbox, OpsError> {
        let rt = self.rt.clone();
        blocking(move || {
            let (pending, decided) = rt.inbox().map_err(internal)?;
            Ok(Inbox { pending, decided })
        })
        .await
    }

    async fn decide(
        &self,
        id: &str,
        operator: &Operator,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<Approval, OpsError> {
        let (rt, id, who) = (self.rt.clone(), id.to_string(), operator.email.clone());
        blocking(move || {
            rt.decide_approval_as(&id, &who, decision, comment)
                .map_err(OpsError::from)
        })
        .await
    }

    async fn agents(&self) -> Result<Vec<AgentRow>, OpsError> {
        let rt = self.rt.clone();
        blocking(move || {
            let status = rt.status().map_err(internal)?;
            let activity = rt.agent_activity().map_err(internal)?;
            Ok(rt
                .declarations()
                .iter()
                .map(|d| {
                    let s = status.agents.iter().find(|s| s.agent == d.name);
                    let a = activity.iter().find(|a| a.agent == d.name);
                    AgentRow {
                        name: d.name.to_string(),
                        rules: d.subscriptions.iter().map(|s| s.name.to_string()).collect(),
                        queue: d.queue.as_str().to_string(),
                        queued: s.map_or(0, |s| s.visible + s.in_flight),
                        handled: s.map_or(0, |s| s.handled),
                        failures: s.map_or(0, |s| s.failures),
                        dead_lettered: s.map_or(0, |s| s.dead_lettered),
                        per_minute: a.and_then(|a| a.per_minute),
                        last_activity: a.and_then(|a| a.last_activity),
                        paused: rt.is_paused(d.name),
                    }
                })
                .collect())
        })
        .await
    }

    async fn set_paused(
        &self,
        agent: &str,
        paused: bool,
        operator: &Operator,
    ) -> Result<(), OpsError> {
        let (rt, agent, who) = (self.rt.clone(), agent.to_string(), operator.email.clone());
        blocking(move || rt.set_paused(&agent, paused, &who).map_err(internal)).await
    }

    async fn queues(&self) -> Result<Vec<QueueRow>, OpsError> {
        let rt = self.rt.clone();
        blocking(move || {
            let status = rt.status().map_err(internal)?;
            let dead = rt.dead_letters().map_err(internal)?;
            Ok(status
                .agents
                .iter()
                .map(|s| QueueRow {
                    agent: s.agent.clone(),
                    class: s.queue.clone(),
                    visible: s.visible,
                    delayed: s.in_flight,
                    dead_letters: dead.iter().filter(|d| d.agent == s.agent).count() as u64,
                    paused: rt.is_paused(&s.agent),
                })
                .collect())
        })
        .await
    }

    async fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, OpsError> {
        let rt = self.rt.clone();
        blocking(move || {
            Ok(rt
                .dead_letters()
                .map_err(internal)?
                .into_iter()
                .map(|d| DeadLetterRow {
                    id: d.id.to_string(),
                    agent: d.agent,
                    detail_type: d.detail_type,
                    event_id: d.event_id,
                    receive_count: d.receive_count,
                    reason: d.reason,
                    failed_at: d.failed_at,
                    payload: d.body,
                })
                .collect())
        })
        .await
    }

    async fn redrive(
        &self,
        ids: Option<Vec<String>>,
        operator: &Operator,
    ) -> Result<usize, OpsError> {
        let ids = match ids {
            None => None,
            Some(ids) => Some(
                ids.iter()
                    .map(|id| {
                        id.parse::<i64>()
                            .map_err(|_| OpsError::NotFound(format!("dead letter {id}")))
                    })
                    .collect::<Result<Vec<i64>, OpsError>>()?,
            ),
        };
        let (rt, who) = (self.rt.clone(), operator.email.clone());
        blocking(move || {
            let n = rt.redrive(ids.as_deref(), &who).map_err(internal)?;
            if n == 0 && ids.is_some() {
                return Err(OpsError::NotFound(
                    "that dead letter (already redriven?)".into(),
                ));
            }
            Ok(n)
        })
        .await
    }

    async fn record(&self, action: ConsoleAction) -> Result<(), OpsError> {
        let rt = self.rt.clone();
        blocking(move || {
            rt.audit_action(AuditEntry {
                at: rt.now(),
                actor: action.actor,
                action: action.action,
                domain: "console".into(),
                item: "console".into(),
                correlation_id: None,
                detail: action.detail,
            })
            .map_err(internal)
        })
        .await
    }
}

/// `ascent console hash-password`: the Argon2id hash of the first line `input` gives (its line
/// ending dropped); refused when that line is empty.
pub fn hash_password_from(mut input: impl std::io::BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        anyhow::bail!("no password on stdin (give it on the first line)");
    }
    Ok(ascent_console::access::hash_password(password)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_of_the_first_line_verifies_and_an_empty_line_is_refused() {
        let hash = hash_password_from("s3cret pass\nignored\n".as_bytes()).unwrap();
        assert!(ascent_console::access::verify_password(
            "s3cret pass",
            &hash
        ));
        assert!(hash_password_from("\n".as_bytes()).is_err());
    }
}
