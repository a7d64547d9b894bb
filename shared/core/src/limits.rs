//! AWS's limits on what one message may commit, checked the same way in both homes.
//!
//! On Lambda a handled message commits in one DynamoDB `TransactWriteItems`: each write, one
//! audit item per write, and the idempotency record — so `2 × writes + 1` items, at most 100.
//! The transaction carries at most 4 MB, each item at most 400 KB, and each emitted event at
//! most 256 KB (an EventBridge entry). [`check`] is pure: it sizes an item as its attribute
//! names, keys and data as compact JSON text (a close, slightly generous estimate of DynamoDB's
//! own item size: a map's JSON has quotes and separators where DynamoDB counts a few bytes of
//! overhead), events and mails as their JSON, and names the first limit broken. It runs on
//! every handled message, so it measures without writing anything out. Bulk work stays inside these limits by construction (see [`MAX_WRITES`]).

use crate::ports::{Item, Write};
use crate::{Effects, Event};
use serde_json::Value;
use thiserror::Error;

/// Items per DynamoDB transaction.
pub const MAX_TRANSACT_ITEMS: usize = 100;
/// Bytes per DynamoDB transaction.
pub const MAX_TRANSACT_BYTES: usize = 4 * 1024 * 1024;
/// Bytes per DynamoDB item.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Bytes per EventBridge entry.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// Bytes of a partition key (of the table or an index).
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// Bytes of a sort key (of the table or an index).
pub const MAX_SORT_KEY_BYTES: usize = 1024;
/// Writes one message may make: each is audited, and the idempotency record rides along.
pub const MAX_WRITES: usize = (MAX_TRANSACT_ITEMS - 1) / 2;

/// A limit that one message's effects would break.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LimitError {
    #[error("a transaction of {items} items exceeds DynamoDB's {MAX_TRANSACT_ITEMS}")]
    TooManyItems { items: usize },
    #[error("a transaction of {bytes} bytes exceeds DynamoDB's {MAX_TRANSACT_BYTES} (4 MB)")]
    TransactionTooLarge { bytes: usize },
    // Keys may hold an address or a phone number: the message names the record without them.
    #[error(
        "an item of {bytes} bytes ({}/{}) exceeds DynamoDB's {MAX_ITEM_BYTES} (400 KB)",
        crate::redact::key(.pk),
        crate::redact::key(.sk)
    )]
    ItemTooLarge {
        pk: String,
        sk: String,
        bytes: usize,
    },
    #[error(
        "a {which} of {bytes} bytes ({}) exceeds DynamoDB's {limit}",
        crate::redact::key(.pk)
    )]
    KeyTooLong {
        which: &'static str,
        pk: String,
        bytes: usize,
        limit: usize,
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
    // Each event is sized once: as an EventBridge entry and as part of the idempotency record.
    let mut pending = 0;
    for (i, e) in effects.emitted.iter().enumerate() {
        // The text the engine wrote, when it did (the same bytes), else the event measured.
        let bytes = match effects.emitted_json.get(i) {
            Some(text) if effects.emitted_json.len() == effects.emitted.len() => text.len(),
            _ => json_len(&e.envelope()),
        };
        pending += event_bytes(e, bytes)?;
    }
    let mut total = 0;
    for w in &effects.writes {
        check_keys(w)?;
        let bytes = item_bytes(w);
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
    pending += effects.mails.iter().map(json_len).sum::<usize>();
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

/// DynamoDB's key sizes: a partition key (table's or `gsi1`'s) at most 2,048 bytes, a sort key
/// at most 1,024 (an index's too: an item whose index key is longer is refused).
fn check_keys(w: &Write) -> Result<(), LimitError> {
    fn index_of<D>(item: &Item<D>) -> [Option<(&'static str, &str)>; 2] {
        match &item.gsi1 {
            Some(g) => [
                Some(("gsi1 partition key", g.pk.as_str())),
                Some(("gsi1 sort key", g.sk.as_str())),
            ],
            None => [None, None],
        }
    }
    let (pk, sk) = w.key();
    let index = match w {
        Write::Put { item, .. } => index_of(item),
        Write::PutJson { item, .. } => index_of(item),
        Write::Delete { .. } => [None, None],
    };
    let keys = [Some(("partition key", pk)), Some(("sort key", sk))];
    for (which, key) in keys.into_iter().chain(index).flatten() {
        let limit = if which.ends_with("partition key") {
            MAX_PARTITION_KEY_BYTES
        } else {
            MAX_SORT_KEY_BYTES
        };
        if key.len() > limit {
            return Err(LimitError::KeyTooLong {
                which,
                pk: pk.chars().take(80).collect(),
                bytes: key.len(),
                limit,
            });
        }
    }
    Ok(())
}

/// A write's item as DynamoDB sizes it, near enough: attribute names, keys, and the data as
/// compact JSON (JSON text as it is; a value measured without writing it).
fn item_bytes(w: &Write) -> usize {
    const NAMES: usize = "pk".len() + "sk".len() + "data".len();
    fn keys<D>(item: &Item<D>) -> usize {
        NAMES
            + item.pk.len()
            + item.sk.len()
            + item.gsi1.as_ref().map_or(0, |g| {
                "gsi1pk".len() + "gsi1sk".len() + g.pk.len() + g.sk.len()
            })
            + item.expires_at.map_or(0, |_| "expires_at".len() + 21)
    }
    match w {
        Write::Put { item, .. } => keys(item) + value_len(&item.data),
        Write::PutJson { item, .. } => keys(item) + item.data.len(),
        Write::Delete { pk, sk, .. } => NAMES + pk.len() + sk.len(),
    }
}

/// The length of `v` as compact JSON (what `serde_json::to_string` writes), by walking it.
fn value_len(v: &Value) -> usize {
    match v {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => digits(u),
            (None, Some(i)) => 1 + digits(i.unsigned_abs()),
            _ => n.to_string().len(),
        },
        Value::String(s) => str_len(s),
        Value::Array(a) => 2 + a.len().saturating_sub(1) + a.iter().map(value_len).sum::<usize>(),
        Value::Object(m) => {
            2 + m.len().saturating_sub(1)
                + m.iter()
                    .map(|(k, v)| str_len(k) + 1 + value_len(v))
                    .sum::<usize>()
        }
    }
}

fn digits(mut u: u64) -> usize {
    let mut n = 1;
    while u >= 10 {
        u /= 10;
        n += 1;
    }
    n
}

/// A JSON string's length with its quotes and escapes (as serde_json escapes: `"`, `\\` and
/// the control characters; other text as it is).
fn str_len(s: &str) -> usize {
    2 + s.len()
        + s.bytes()
            .map(|b| match b {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
                0..=0x1f => 5,
                _ => 0,
            })
            .sum::<usize>()
}

/// The length of `value` as compact JSON, counted as it is written (nothing is kept: the
/// check runs on every handled message).
fn json_len<T: serde::Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => 0,
    }
}

/// An event of `bytes` as an EventBridge entry, refused over 256 KB.
fn event_bytes(e: &Event, bytes: usize) -> Result<usize, LimitError> {
    if bytes > MAX_EVENT_BYTES {
        return Err(LimitError::EventTooLarge {
            detail_type: e.detail_type().to_owned(),
            bytes,
        });
    }
    Ok(bytes)
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
    fn keys_longer_than_dynamodb_takes_are_refused_index_keys_too() {
        let one = |item: Item| Effects {
            writes: vec![Write::Put {
                domain: Domain::Customer,
                item,
                condition: Condition::Always,
            }],
            ..Effects::default()
        };
        // At the limits: 2,048 bytes of partition key, 1,024 of sort key.
        let at = Item::new("p".repeat(2048), "s".repeat(1024), json!({}));
        assert_eq!(check(&one(at)), Ok(()));
        let long_pk = Item::new("p".repeat(2049), "sk", json!({}));
        assert_eq!(
            check(&one(long_pk)).unwrap_err().to_string(),
            format!(
                "a partition key of 2049 bytes ({}) exceeds DynamoDB's 2048",
                "p".repeat(80)
            )
        );
        let long_sk = Item::new("crm#contact#c1", "s".repeat(1025), json!({}));
        assert!(matches!(
            check(&one(long_sk)).unwrap_err(),
            LimitError::KeyTooLong {
                which: "sort key",
                bytes: 1025,
                ..
            }
        ));
        // A company name of 20 KB as an index key: DynamoDB refuses the whole item.
        let mut indexed = Item::new("crm#email#a@b.example", "email", json!({}));
        indexed.gsi1 = Some(crate::ports::IndexKey {
            pk: format!("crm#company#{}", "x".repeat(20_000)),
            sk: "c1".into(),
        });
        assert!(matches!(
            check(&one(indexed)).unwrap_err(),
            LimitError::KeyTooLong {
                which: "gsi1 partition key",
                bytes: 20_012,
                limit: 2048,
                ..
            }
        ));
        // Deletes are keyed too.
        let delete = Effects {
            writes: vec![Write::Delete {
                domain: Domain::Customer,
                pk: "pk".into(),
                sk: "s".repeat(1025),
                condition: Condition::Always,
            }],
            ..Effects::default()
        };
        assert!(check(&delete).is_err());
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

    #[test]
    fn an_event_is_sized_as_the_json_eventbridge_is_given() {
        for text in [
            include_str!("../../../events/LeadCreated.json"),
            include_str!("../../../events/InvoiceIssued.json"),
            include_str!("../../../events/ApprovalDecided.expense.json"),
        ] {
            let e = crate::event::Event::parse(text.as_bytes()).unwrap();
            let n = event_bytes(&e, json_len(&e.envelope())).unwrap();
            assert_eq!(n, e.to_json().len());
            assert_eq!(n, serde_json::to_string(&e.to_value()).unwrap().len());
        }
    }

    #[test]
    fn a_value_is_measured_as_serde_json_writes_it() {
        for v in [
            json!(null),
            json!({}),
            json!([]),
            json!({ "a": [1, -20, 3.5, 1e300, -0.0, true, false, null], "b": {} }),
            json!({ "quote\"": "back\\slash \n\r\t\u{8}\u{c}\u{1}\u{1f} é ✓ \u{7f}" }),
            json!([u64::MAX, i64::MIN, 0, 9, 10, 99, 100]),
            json!({ "nested": [[{ "x": "y" }], [[]]] }),
        ] {
            assert_eq!(
                value_len(&v),
                serde_json::to_string(&v).unwrap().len(),
                "{v}"
            );
        }
    }

    #[test]
    fn an_item_is_sized_by_its_keys_and_its_data() {
        let data = json!({ "name": "Ana", "n": 3 });
        let text = data.to_string();
        let item = Item::new("lead#1", "profile", data);
        let put_json = Write::PutJson {
            domain: Domain::Customer,
            item: Item {
                pk: item.pk.clone(),
                sk: item.sk.clone(),
                gsi1: None,
                expires_at: None,
                data: text.clone(),
            },
            condition: Condition::Always,
        };
        let put = Write::Put {
            domain: Domain::Customer,
            item,
            condition: Condition::Always,
        };
        let want = "pksk".len() + "data".len() + "lead#1profile".len() + text.len();
        assert_eq!(item_bytes(&put), want);
        assert_eq!(item_bytes(&put_json), want);
    }
}
