//! Dead letters acted on: the twin's [`DeadLetterQueues`] adapter, which redrives or discards
//! one by agent and event id, the same order an agent's effects carry
//! (`ctx.act_on_dead_letter`), applied by the runtime in the handler's commit.

use crate::store::{Store, Tx};
use ascent_core::audit::AuditEntry;
use ascent_core::ports::{DeadLetterAction, DeadLetterError, DeadLetterOrder, DeadLetterQueues};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::sync::Arc;

/// Carries out one order inside `tx`: a redrive moves the agent's dead letters of the event
/// back to its queue (visible now, receives counted afresh), a discard deletes them; both are
/// audited under `actor`. Returns whether there was a letter to act on.
pub(crate) fn act_in(
    tx: &mut Tx<'_>,
    order: &DeadLetterOrder,
    actor: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let reasons: Vec<String> = {
        let mut st = tx.conn().prepare_cached(
            "SELECT reason FROM dead_letters WHERE agent = ?1 AND event_id = ?2 ORDER BY id",
        )?;
        st.query_map(params![order.agent, order.event_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    if reasons.is_empty() {
        return Ok(false);
    }
    let at = now.timestamp_millis();
    if order.action == DeadLetterAction::Redrive {
        tx.conn().execute(
            "INSERT INTO queue_messages (agent, class, event_id, detail_type, event_seq, visible_at, enqueued_at) \
             SELECT agent, class, event_id, detail_type, event_seq, ?1, ?1 FROM dead_letters \
             WHERE agent = ?2 AND event_id = ?3",
            params![at, order.agent, order.event_id],
        )?;
    }
    tx.conn().execute(
        "DELETE FROM dead_letters WHERE agent = ?1 AND event_id = ?2",
        params![order.agent, order.event_id],
    )?;
    let action = match order.action {
        DeadLetterAction::Redrive => "dlq.redrive",
        DeadLetterAction::Discard => "dlq.discard",
    };
    tx.audit(AuditEntry {
        at: now,
        actor: actor.into(),
        action: action.into(),
        domain: "queue".into(),
        item: order.event_id.clone(),
        correlation_id: None,
        detail: format!("{} (was: {})", order.agent, reasons.join("; ")),
    })?;
    Ok(true)
}

/// The twin's dead-letter queues as the port: each order in a transaction of its own (or in
/// the caller's unit of work, when there is one).
pub struct StoreDeadLetters {
    store: Arc<Store>,
    actor: String,
}

impl StoreDeadLetters {
    /// Orders audited as `actor`'s (an operator, an agent).
    pub fn new(store: Arc<Store>, actor: impl Into<String>) -> Self {
        Self {
            store,
            actor: actor.into(),
        }
    }
}

#[async_trait]
impl DeadLetterQueues for StoreDeadLetters {
    async fn act(&self, order: &DeadLetterOrder) -> Result<bool, DeadLetterError> {
        let now = self.store.clock().now();
        self.store
            .write_tx(|tx| act_in(tx, order, &self.actor, now))
            .map_err(|e| DeadLetterError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TestTwin;
    use ascent_core::agent::{Agent, AgentDecl, AgentError, Department, QueueClass, Subscription};
    use ascent_core::catalog::ScheduleTick;
    use ascent_core::context::Ctx;
    use ascent_core::event::Event;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Refuses every tick until it is fixed.
    struct Broken(AgentDecl, Arc<AtomicBool>);

    #[async_trait]
    impl Agent for Broken {
        fn declaration(&self) -> &AgentDecl {
            &self.0
        }
        async fn handle(&self, _: &Event, _: &mut Ctx<'_>) -> Result<(), AgentError> {
            if self.1.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err(AgentError::Invalid(
                    "field `payload.schedule`: unknown".into(),
                ))
            }
        }
    }

    fn order(event_id: &str, action: DeadLetterAction) -> DeadLetterOrder {
        DeadLetterOrder {
            agent: "broken".into(),
            queue: "priority".into(),
            event_id: event_id.into(),
            action,
        }
    }

    #[test]
    fn the_twin_s_port_redrives_a_letter_by_event_id_and_a_repeat_moves_nothing() {
        let fixed = Arc::new(AtomicBool::new(false));
        let decl = AgentDecl {
            name: "broken",
            department: Department::Operations,
            queue: QueueClass::Priority,
            subscriptions: vec![Subscription {
                name: "ticks",
                pattern: serde_json::json!({"detail-type": ["ScheduleTick"]}),
            }],
            reads: vec![],
            owns: vec![],
            emits: vec![],
            requests_approvals: false,
            sends_mail: false,
            writes_text: false,
        };
        let at = "2026-03-02T06:00:00Z".parse().unwrap();
        let t = TestTwin::new(vec![Arc::new(Broken(decl, fixed.clone()))], at);
        let (first, second) = (
            ScheduleTick::event("hourly", at),
            ScheduleTick::event("daily", at),
        );
        t.runtime.ingest(&[first.clone(), second.clone()]).unwrap();
        t.drain();
        assert_eq!(t.runtime.dead_letters().unwrap().len(), 2);
        // The runtime announced both, in the failed events' flows.
        let notices = t.emitted("MessageDeadLettered");
        assert_eq!(notices.len(), 2);
        assert_eq!(
            notices[0].detail.correlation_id,
            first.detail.correlation_id
        );

        fixed.store(true, Ordering::SeqCst);
        let port = StoreDeadLetters::new(t.runtime.store().clone(), "operator");
        let id = first.detail.event_id.to_string();
        let run = |o| futures::executor::block_on(port.act(&o)).unwrap();
        assert!(run(order(&id, DeadLetterAction::Redrive)));
        t.drain();
        let left = t.runtime.dead_letters().unwrap();
        assert_eq!(left.len(), 1, "only the first moved");
        assert_eq!(left[0].event_id, second.detail.event_id.to_string());
        assert_eq!(t.runtime.status().unwrap().agents[0].handled, 1);
        // A repeat finds nothing; a discard deletes the other, audited.
        assert!(!run(order(&id, DeadLetterAction::Redrive)));
        let other = second.detail.event_id.to_string();
        assert!(run(order(&other, DeadLetterAction::Discard)));
        assert!(t.runtime.dead_letters().unwrap().is_empty());
        let audit = t.runtime.store().audit_records().unwrap();
        let actions: Vec<&str> = audit
            .iter()
            .filter(|r| r.entry.actor == "operator")
            .map(|r| r.entry.action.as_str())
            .collect();
        assert_eq!(actions, ["dlq.redrive", "dlq.discard"]);
    }
}
