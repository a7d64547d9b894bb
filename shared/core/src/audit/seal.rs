//! Seals of a day-partitioned audit trail (the audit table on AWS: one partition
//! `audit#<date>` per day, items sorted by time): after a day ends, its items are hashed in
//! sort-key order, page by page, each page chained to the one before, and the day's seal to
//! the previous day's, so the whole trail is one hash chain that can be checked offline.
//!
//! Pure decisions only: digests, page and seal hashes, which days may be sealed, and the
//! first difference between what a page recorded and what the table holds now. Reading and
//! writing the table is the caller's (`ascent_aws::audit_seal`).

use crate::ports::Item;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A day may be sealed this long after it ended: a Lambda runs at most 15 minutes, so no
/// write stamped with that day can still commit.
pub const SEAL_GRACE_MINUTES: i64 = 60;

/// One page of a day: the items it covers (sort key and digest, in sort-key order), chained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub day: NaiveDate,
    /// 1, 2, … within the day.
    pub number: u32,
    /// The previous page's hash (the previous day's seal for page 1).
    pub prev: String,
    /// `[sort key, digest]` of each item, in sort-key order.
    pub items: Vec<(String, String)>,
    /// Items of the day up to and including this page.
    pub total: u64,
    pub hash: String,
}

/// A day's seal: how many items and pages, chained to the previous day's seal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySeal {
    pub day: NaiveDate,
    pub items: u64,
    pub pages: u32,
    /// The previous day's seal hash ([`super::GENESIS`] for the first sealed day).
    pub prev: String,
    /// The day's last page hash (`prev` for a day without items).
    pub last_page: String,
    pub hash: String,
}

/// SHA-256 over length-prefixed parts, hex.
fn hash_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// `v` as JSON with object keys sorted at every level (one text per value, whatever order
/// the attributes were read in).
pub fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::from(k.as_str()).to_string());
                    out.push(':');
                    write(&m[k], out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// The digest of one audit item: its keys and its attributes.
pub fn item_digest(item: &Item) -> String {
    hash_parts([
        item.pk.as_str(),
        item.sk.as_str(),
        &canonical_json(&item.data),
    ])
}

impl Page {
    /// The page of `items` (sort key and digest, in order) after `prev`.
    pub fn new(
        day: NaiveDate,
        number: u32,
        prev: &str,
        items: Vec<(String, String)>,
        total: u64,
    ) -> Self {
        let hash = Self::hash_of(day, number, prev, &items, total);
        Page {
            day,
            number,
            prev: prev.to_string(),
            items,
            total,
            hash,
        }
    }

    fn hash_of(
        day: NaiveDate,
        number: u32,
        prev: &str,
        items: &[(String, String)],
        total: u64,
    ) -> String {
        let (day, number, total) = (day.to_string(), number.to_string(), total.to_string());
        let head = [prev, day.as_str(), number.as_str(), total.as_str()];
        hash_parts(
            head.into_iter()
                .chain(items.iter().flat_map(|(k, d)| [k.as_str(), d.as_str()])),
        )
    }

    /// Whether the page's hash is that of its content.
    pub fn intact(&self) -> bool {
        Self::hash_of(self.day, self.number, &self.prev, &self.items, self.total) == self.hash
    }

    /// The last item's sort key.
    pub fn last_key(&self) -> Option<&str> {
        self.items.last().map(|(k, _)| k.as_str())
    }
}

impl DaySeal {
    pub fn new(day: NaiveDate, items: u64, pages: u32, prev: &str, last_page: &str) -> Self {
        let hash = Self::hash_of(day, items, pages, prev, last_page);
        DaySeal {
            day,
            items,
            pages,
            prev: prev.to_string(),
            last_page: last_page.to_string(),
            hash,
        }
    }

    fn hash_of(day: NaiveDate, items: u64, pages: u32, prev: &str, last_page: &str) -> String {
        let (day, items, pages) = (day.to_string(), items.to_string(), pages.to_string());
        hash_parts(["seal", prev, &day, &items, &pages, last_page])
    }

    /// Whether the seal's hash is that of its content.
    pub fn intact(&self) -> bool {
        Self::hash_of(
            self.day,
            self.items,
            self.pages,
            &self.prev,
            &self.last_page,
        ) == self.hash
    }
}

/// The last day that may be sealed at `now` ([`SEAL_GRACE_MINUTES`] after its end).
pub fn sealable_until(now: DateTime<Utc>) -> NaiveDate {
    (now - Duration::minutes(SEAL_GRACE_MINUTES)).date_naive() - Duration::days(1)
}

/// What differs between a page's record and the items the table holds for its range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// An item whose content changed since it was sealed.
    Edited(String),
    /// A sealed item that is gone.
    Deleted(String),
    /// An item that was not there when the day was sealed.
    Added(String),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Edited(k) => write!(f, "item {k} was edited"),
            Difference::Deleted(k) => write!(f, "item {k} was deleted"),
            Difference::Added(k) => write!(f, "item {k} was added after the seal"),
        }
    }
}

/// The first difference between `sealed` and `found` (both `[sort key, digest]` in sort-key
/// order), or `None` when they agree.
pub fn first_difference(
    sealed: &[(String, String)],
    found: &[(String, String)],
) -> Option<Difference> {
    let (mut s, mut f) = (sealed.iter().peekable(), found.iter().peekable());
    loop {
        match (s.peek(), f.peek()) {
            (None, None) => return None,
            (Some((k, _)), None) => return Some(Difference::Deleted(k.clone())),
            (None, Some((k, _))) => return Some(Difference::Added(k.clone())),
            (Some((ks, ds)), Some((kf, df))) => {
                if ks < kf {
                    return Some(Difference::Deleted(ks.clone()));
                }
                if kf < ks {
                    return Some(Difference::Added(kf.clone()));
                }
                if ds != df {
                    return Some(Difference::Edited(ks.clone()));
                }
                s.next();
                f.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day() -> NaiveDate {
        "2026-12-05".parse().unwrap()
    }

    fn entries(keys: &[&str]) -> Vec<(String, String)> {
        keys.iter()
            .map(|k| (k.to_string(), format!("d-{k}")))
            .collect()
    }

    #[test]
    fn digests_do_not_depend_on_attribute_order_and_see_every_change() {
        let a = Item::new(
            "audit#2026-12-05",
            "t1",
            json!({"actor": "billing", "at": "x"}),
        );
        let mut b = a.clone();
        b.data = serde_json::from_str(r#"{"at": "x", "actor": "billing"}"#).unwrap();
        assert_eq!(item_digest(&a), item_digest(&b));
        b.data["actor"] = json!("operator");
        assert_ne!(item_digest(&a), item_digest(&b));
        let mut c = a.clone();
        c.sk = "t2".into();
        assert_ne!(item_digest(&a), item_digest(&c));
    }

    #[test]
    fn pages_and_seals_are_chained_and_checked() {
        let p1 = Page::new(day(), 1, super::super::GENESIS, entries(&["a", "b"]), 2);
        let p2 = Page::new(day(), 2, &p1.hash, entries(&["c"]), 3);
        assert!(p1.intact() && p2.intact());
        assert_eq!(p2.last_key(), Some("c"));
        let mut forged = p2.clone();
        forged.items[0].1 = "other".into();
        assert!(!forged.intact());
        let seal = DaySeal::new(day(), 3, 2, super::super::GENESIS, &p2.hash);
        assert!(seal.intact());
        let mut forged = seal.clone();
        forged.items = 2;
        assert!(!forged.intact());
        let next = DaySeal::new(day().succ_opt().unwrap(), 0, 0, &seal.hash, &seal.hash);
        assert_ne!(next.hash, seal.hash);
    }

    #[test]
    fn a_day_is_sealed_an_hour_after_it_ends() {
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            sealable_until(at("2026-12-06T00:59:00Z")),
            "2026-12-04".parse().unwrap()
        );
        assert_eq!(sealable_until(at("2026-12-06T01:00:00Z")), day());
        assert_eq!(sealable_until(at("2026-12-06T06:00:00Z")), day());
    }

    #[test]
    fn the_first_difference_names_the_item() {
        let sealed = entries(&["a", "b", "c"]);
        assert_eq!(first_difference(&sealed, &sealed), None);
        let mut edited = sealed.clone();
        edited[1].1 = "changed".into();
        assert_eq!(
            first_difference(&sealed, &edited),
            Some(Difference::Edited("b".into()))
        );
        assert_eq!(
            first_difference(&sealed, &entries(&["a", "c"])),
            Some(Difference::Deleted("b".into()))
        );
        assert_eq!(
            first_difference(&sealed, &entries(&["a", "b"])),
            Some(Difference::Deleted("c".into()))
        );
        assert_eq!(
            first_difference(&sealed, &entries(&["a", "ab", "b", "c"])),
            Some(Difference::Added("ab".into()))
        );
        assert_eq!(
            first_difference(&sealed, &entries(&["a", "b", "c", "d"])),
            Some(Difference::Added("d".into()))
        );
    }
}
