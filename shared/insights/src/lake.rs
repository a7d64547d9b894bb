//! The port the console's business and KPI pages read through: the data lake's items as the
//! agents wrote them (JSON), listed by partition-key prefix or read one at a time, and the
//! home's clock. The twin implements it over its SQLite store, AWS over DynamoDB.

use ascent_console::OpsError;
use ascent_core::agent::Domain;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One item as listed: its partition key, sort key and data.
pub type Item = (String, String, Value);

/// What the shared business and KPI logic reads, in one home. Read-only.
#[async_trait::async_trait]
pub trait LakeReader: Send + Sync {
    /// Every item of `domain` whose partition key starts with `prefix` (case counts), whose
    /// sort key is `sk` when given and within `range` (both ends included) when given, ordered
    /// by partition key then sort key; at most `limit`.
    async fn scan(
        &self,
        domain: Domain,
        prefix: &str,
        sk: Option<&str>,
        range: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<Item>, OpsError>;

    /// One item's data, if it is there.
    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Value>, OpsError>;

    /// The home's clock: "today" for days overdue and the dashboard.
    fn now(&self) -> DateTime<Utc>;
}

/// Whether an item with keys `pk`, `sk` is one [`LakeReader::scan`] lists: the contract as a
/// pure function, for homes that filter in memory and for tests.
pub fn scan_matches(
    pk: &str,
    sk: &str,
    prefix: &str,
    want_sk: Option<&str>,
    range: Option<(&str, &str)>,
) -> bool {
    pk.starts_with(prefix)
        && want_sk.is_none_or(|w| w == sk)
        && range.is_none_or(|(lo, hi)| lo <= sk && sk <= hi)
}

/// [`LakeReader::scan`], each item's data read as `T`; items that do not read as `T` are
/// skipped (another record kind sharing the prefix).
pub async fn scan_as<T: DeserializeOwned>(
    lake: &dyn LakeReader,
    domain: Domain,
    prefix: &str,
    sk: Option<&str>,
    range: Option<(&str, &str)>,
    limit: usize,
) -> Result<Vec<(String, String, T)>, OpsError> {
    Ok(lake
        .scan(domain, prefix, sk, range, limit)
        .await?
        .into_iter()
        .filter_map(|(pk, sk, v)| serde_json::from_value(v).ok().map(|t| (pk, sk, t)))
        .collect())
}

/// [`LakeReader::get`], read as `T`: `None` when it is not there or does not read as `T`.
pub async fn get_as<T: DeserializeOwned>(
    lake: &dyn LakeReader,
    domain: Domain,
    pk: &str,
    sk: &str,
) -> Result<Option<T>, OpsError> {
    Ok(lake
        .get(domain, pk, sk)
        .await?
        .and_then(|v| serde_json::from_value(v).ok()))
}

#[cfg(test)]
mod tests {
    use super::scan_matches;

    #[test]
    fn an_item_is_listed_by_its_key_s_prefix_its_sort_key_and_the_range_both_ends_included() {
        assert!(scan_matches(
            "invoice#I1",
            "invoice",
            "invoice#",
            None,
            None
        ));
        assert!(!scan_matches(
            "INVOICE#I1",
            "invoice",
            "invoice#",
            None,
            None
        ));
        assert!(scan_matches("a", "x", "", Some("x"), None));
        assert!(!scan_matches("a", "y", "", Some("x"), None));
        let range = Some(("2026-03-01", "2026-03-31"));
        assert!(scan_matches("r", "2026-03-01", "r", None, range));
        assert!(scan_matches("r", "2026-03-31", "r", None, range));
        assert!(!scan_matches("r", "2026-04-01", "r", None, range));
        assert!(!scan_matches("r", "2026-02-28", "r", None, range));
    }
}
