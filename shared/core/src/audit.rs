//! The audit log: append-only, every record hashed with its predecessor (a hash chain), so
//! any edit, deletion or reordering is detected by [`verify`].

pub mod seal;

use crate::privacy::{PrivacyKey, looks_personal, pseudonymise_key};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an audit record is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Agent name, `approvals`, `operator`, …
    pub actor: String,
    /// put, delete, denied, approval.opened, approval.decided, dlq.redrive, …
    pub action: String,
    /// Domain (or `event`, `approval`).
    pub domain: String,
    /// Item key `pk/sk` or other subject.
    pub item: String,
    pub correlation_id: Option<String>,
    /// Short, non-personal detail.
    pub detail: String,
}

impl AuditEntry {
    /// The entry as it is written: its `item` and `detail` with every email address and phone
    /// number replaced by its keyed pseudonym ([`pseudonymise_key`], then [`pseudonymise_text`]
    /// for what is not a key's segment), so the chain hashes no personal data and survives an
    /// erasure untouched.
    pub fn pseudonymised(mut self, key: &PrivacyKey) -> Self {
        self.item = pseudonymise_text(&pseudonymise_key(&self.item, key), key);
        self.detail = pseudonymise_text(&self.detail, key);
        self
    }
}

/// `text` with every word that is an email address or a phone number replaced by its
/// pseudonym. A word is a run of the characters addresses and numbers are written with
/// (letters, digits, `.`, `_`, `%`, `+`, `-`, `@`, and the `~` of a pseudonym, which is left as
/// it is); a trailing full stop is not part of it.
pub fn pseudonymise_text(text: &str, key: &PrivacyKey) -> String {
    let is_word =
        |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '@' | '~');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let bare = word.trim_end_matches('.');
        if looks_personal(bare) {
            out.push_str(&key.pseudonym(bare));
            out.push_str(&word[bare.len()..]);
        } else {
            out.push_str(word);
        }
        let sep = after.chars().next().map_or(0, char::len_utf8);
        out.push_str(&after[..sep]);
        rest = &after[sep..];
    }
    out
}

/// A stored record: the entry, its sequence number and the chain hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// A record's time as hashed and stored: RFC 3339 with microseconds, in UTC (`Z`).
pub fn audit_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Hash of a record: SHA-256 over the previous hash, the sequence and the entry fields.
pub fn record_hash(prev_hash: &str, seq: u64, e: &AuditEntry) -> String {
    record_hash_at(prev_hash, seq, &audit_time(e.at), e)
}

/// [`record_hash`] with the entry's time already formatted by [`audit_time`] (the writer
/// stores that same text).
pub fn record_hash_at(prev_hash: &str, seq: u64, at: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &seq.to_string(),
        at,
        &e.actor,
        &e.action,
        &e.domain,
        &e.item,
        e.correlation_id.as_deref().unwrap_or(""),
        &e.detail,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let mut hex = [0u8; 64];
    hex::encode_to_slice(h.finalize(), &mut hex).expect("64 hex digits for 32 bytes");
    String::from_utf8(hex.to_vec()).expect("hex digits are ASCII")
}

/// Builds the next record of the chain.
pub fn chain(prev_hash: &str, seq: u64, entry: AuditEntry) -> AuditRecord {
    let hash = record_hash(prev_hash, seq, &entry);
    AuditRecord {
        seq,
        entry,
        prev_hash: prev_hash.to_string(),
        hash,
    }
}

/// Where the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at record {seq}: {reason}")]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

/// Verifies records in sequence order; returns how many were checked.
pub fn verify(records: impl IntoIterator<Item = AuditRecord>) -> Result<u64, ChainBreak> {
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    for (expected_seq, r) in (1u64..).zip(records) {
        if r.seq != expected_seq {
            return Err(ChainBreak {
                seq: r.seq,
                reason: format!("expected record {expected_seq} (a record is missing or moved)"),
            });
        }
        if r.prev_hash != prev {
            return Err(ChainBreak {
                seq: r.seq,
                reason: "previous-hash link does not match".into(),
            });
        }
        if record_hash(&prev, r.seq, &r.entry) != r.hash {
            return Err(ChainBreak {
                seq: r.seq,
                reason: "content does not match its hash (edited)".into(),
            });
        }
        prev = r.hash;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u32) -> AuditEntry {
        AuditEntry {
            at: "2026-01-01T00:00:00Z".parse().unwrap(),
            actor: "billing".into(),
            action: "put".into(),
            domain: "financial".into(),
            item: format!("invoice#{i}/invoice"),
            correlation_id: None,
            detail: String::new(),
        }
    }

    fn log(n: u32) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let r = chain(&prev, i as u64, entry(i));
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    #[test]
    fn entries_are_written_without_addresses_or_numbers() {
        let key = PrivacyKey::new(*b"0123456789abcdef0123456789abcdef").unwrap();
        let p = key.pseudonym("ana@x.example");
        let e = AuditEntry {
            item: "suppression#Ana@X.example/entry".into(),
            detail: "sent to ana@x.example, (call +14155550100). Done.".into(),
            ..entry(1)
        }
        .pseudonymised(&key);
        assert_eq!(e.item, format!("suppression#{p}/entry"));
        assert_eq!(
            e.detail,
            format!(
                "sent to {p}, (call {}). Done.",
                key.pseudonym("+14155550100")
            )
        );
        assert_eq!(
            pseudonymise_text("mail to ana@x.example.", &key),
            format!("mail to {p}.")
        );
        let plain = entry(2);
        assert_eq!(plain.clone().pseudonymised(&key), plain);
        // Written twice, an entry is the same: a pseudonym is not pseudonymised again.
        assert_eq!(e.clone().pseudonymised(&key), e);
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(log(5)), Ok(5));
        assert_eq!(verify(Vec::new()), Ok(0));
    }

    #[test]
    fn edit_delete_and_reorder_are_detected() {
        let mut l = log(5);
        l[2].entry.detail = "tampered".into();
        assert_eq!(verify(l).unwrap_err().seq, 3);
        let mut l = log(5);
        l.remove(1);
        assert_eq!(verify(l).unwrap_err().seq, 3);
        let mut l = log(5);
        l.swap(1, 2);
        assert!(verify(l).is_err());
        // Rehashing an edited record breaks the next link.
        let mut l = log(5);
        l[2].entry.detail = "tampered".into();
        l[2].hash = record_hash(&l[2].prev_hash, 3, &l[2].entry);
        assert_eq!(verify(l).unwrap_err().seq, 4);
    }
}
