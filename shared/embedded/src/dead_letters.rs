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
