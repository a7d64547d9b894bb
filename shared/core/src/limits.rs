//! AWS's limits on what one message may commit, checked the same way in both homes.
//!
//! On Lambda a handled message commits in one DynamoDB `TransactWriteItems`: each write, one
//! audit item per write, and the idempotency record — so `2 × writes + 1` items, at most 100.
//! The transaction carries at most 4 MB, each item at most 400 KB, and each emitted event at
//! most 256 KB (an EventBridge entry). [`check`] is pure: it sizes the effects as their JSON
//! text (a close, slightly generous estimate of DynamoDB's own item size) and names the first
//! limit broken. Bulk work stays inside these limits by construction (see [`MAX_WRITES`]).

use crate::{Effects, Event};
use thiserror::Error;

/// Items per DynamoDB transaction.
pub const MAX_TRANSACT_ITEMS: usize = 100;
/// Bytes per DynamoDB transaction.
pub const MAX_TRANSACT_BYTES: usize = 4 * 1024 * 1024;
/// Bytes per DynamoDB item.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Bytes per EventBridge entry.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// Writes one message may make: each is audited, and the idempotency record rides along.
pub const MAX_WRITES: usize = (MAX_TRANSACT_ITEMS - 1) / 2;

/// A limit that one message's effects would break.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LimitError {
    #[error("a transaction of {items} items exceeds DynamoDB's {MAX_TRANSACT_ITEMS}")]
    TooManyItems { items: usize },
    #[error("a transaction of {bytes} bytes exceeds DynamoDB's {MAX_TRANSACT_BYTES} (4 MB)")]
    TransactionTooLarge { bytes: usize },
    #[error("an item of {bytes} bytes ({pk}/{sk}) exceeds DynamoDB's {MAX_ITEM_BYTES} (400 KB)")]
    ItemTooLarge {
        pk: String,
        sk: String,
        bytes: usize,
    },
    #[error(
        "an event of {bytes} bytes ({detail_type}) exceeds EventBridge's {MAX_EVENT_BYTES} (256 KB)"
    )]
    EventTooLarge { detail_type: String, bytes: usize },
}

/// Items of the commit of `writes` writes: each write, its audit item, the idempotency record.
pub fn transact_items(writes: usize) -> usize {
    2 * writes + 1
}

/// Checks one message's effects against AWS's limits for its commit.
pub fn check(effects: &Effects) -> Result<(), LimitError> {
    let items = transact_items(effects.writes.len());
    if items > MAX_TRANSACT_ITEMS {
        return Err(LimitError::TooManyItems { items });
    }
    for e in &effects.emitted {
        check_event(e)?;
    }
    let mut total = 0;
    for w in &effects.writes {
        let bytes = serde_json::to_vec(w).map(|v| v.len()).unwrap_or(0);
        if bytes > MAX_ITEM_BYTES {
            let (pk, sk) = w.key();
            return Err(LimitError::ItemTooLarge {
                pk: pk.to_owned(),
                sk: sk.to_owned(),
                bytes,
            });
        }
        // The audit item names the write's key and action; the write itself dominates.
        total += bytes;
    }
    // The idempotency record carries the pending events and mails.
    let pending: usize = effects
        .emitted
        .iter()
        .map(|e| e.to_value().to_string().len())
        .chain(
            effects
                .mails
                .iter()
                .map(|m| serde_json::to_vec(m).map(|v| v.len()).unwrap_or(0)),
        )
        .sum();
    if pending > MAX_ITEM_BYTES {
        return Err(LimitError::ItemTooLarge {
            pk: "idempotency".into(),
            sk: "pending".into(),
            bytes: pending,
        });
    }
    total += pending;
    if total > MAX_TRANSACT_BYTES {
        return Err(LimitError::TransactionTooLarge { bytes: total });
    }
    Ok(())
}

/// Checks one event against EventBridge's entry size.
pub fn check_event(e: &Event) -> Result<(), LimitError> {
    let bytes = e.to_value().to_string().len();
    if bytes > MAX_EVENT_BYTES {
        return Err(LimitError::EventTooLarge {
            detail_type: e.detail_type().to_owned(),
            bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Domain;
    use crate::ports::{Condition, Item, Write};
    use serde_json::json;

    fn put(i: usize, data: serde_json::Value) -> Write {
        Write::Put {
            domain: Domain::Idempotency,
            item: Item::new("pk", format!("sk#{i}"), data),
            condition: Condition::Always,
        }
    }

    fn with_writes(n: usize) -> Effects {
        Effects {
            writes: (0..n).map(|i| put(i, json!({"n": i}))).collect(),
            ..Effects::default()
        }
    }

    #[test]
    fn forty_nine_writes_fit_and_fifty_one_do_not() {
        assert_eq!(MAX_WRITES, 49);
        assert_eq!(check(&with_writes(49)), Ok(()));
        assert_eq!(check(&with_writes(0)), Ok(()));
        let err = check(&with_writes(51)).unwrap_err();
        assert_eq!(err, LimitError::TooManyItems { items: 103 });
        assert_eq!(
            err.to_string(),
            "a transaction of 103 items exceeds DynamoDB's 100"
        );
        assert!(check(&with_writes(50)).is_err(), "101 items");
    }

    #[test]
    fn an_item_over_400_kb_is_named() {
        let big = "x".repeat(MAX_ITEM_BYTES + 1);
        let effects = Effects {
            writes: vec![put(7, json!({ "blob": big }))],
            ..Effects::default()
        };
        match check(&effects).unwrap_err() {
            LimitError::ItemTooLarge { sk, .. } => assert_eq!(sk, "sk#7"),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_transaction_over_4_mb_is_refused_though_each_item_fits() {
        let chunk = "x".repeat(300 * 1024);
        let effects = Effects {
            writes: (0..15).map(|i| put(i, json!({ "blob": chunk }))).collect(),
            ..Effects::default()
        };
        let err = check(&effects).unwrap_err();
        assert!(
            matches!(err, LimitError::TransactionTooLarge { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("4 MB"));
    }
}
