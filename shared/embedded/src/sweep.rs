//! The twin's retention sweep ([`Runtime::sweep_retention`]): what DynamoDB's TTL and SQS's
//! `MessageRetentionPeriod` do on AWS. Items whose `expires_at` passed (the retention the
//! engine gave them from the agents' declarations, closed approval requests) and idempotency
//! records past `idempotency_days` are deleted by [`crate::store::Store::purge_expired`]; dead
//! letters older than `[data_retention] dead_letters_days` are deleted here, each audited. A
//! periodic sweep (every ten minutes under `ascent up`, weekly in `ascent simulate`), never on
//! a handler's path.

use crate::runtime::{Runtime, TwinError};
use ascent_core::audit::AuditEntry;
use rusqlite::params;

/// What one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired items and idempotency records.
    pub expired: usize,
    /// Dead letters past their retention.
    pub dead_letters: usize,
}

impl Runtime {
    /// Removes what is past its retention at the clock's now (see the module's doc).
    pub fn sweep_retention(&self) -> Result<Swept, TwinError> {
        let now = self.now();
        let expired = self.store().purge_expired()?;
        let before = (now - self.config().retention.dead_letters()).timestamp_millis();
        let dead_letters = self.store().write_tx(|tx| {
            let old: Vec<(i64, String, String)> = {
                let mut st = tx.conn().prepare_cached(
                    "SELECT id, agent, event_id FROM dead_letters WHERE failed_at <= ?1 ORDER BY id",
                )?;
                st.query_map([before], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<_>>()?
            };
            for (id, agent, event_id) in &old {
                tx.conn()
                    .execute("DELETE FROM dead_letters WHERE id = ?1", params![id])?;
                tx.audit(AuditEntry {
                    at: now,
                    actor: "retention".into(),
                    action: "dlq.expired".into(),
                    domain: "queue".into(),
                    item: event_id.clone(),
                    correlation_id: None,
                    detail: format!(
                        "{agent}: kept {} days ([data_retention] dead_letters_days)",
                        self.config().retention.dead_letters_days
                    ),
                })?;
            }
            Ok::<_, TwinError>(old.len())
        })?;
        Ok(Swept {
            expired,
            dead_letters,
        })
    }
}
