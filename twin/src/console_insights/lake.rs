//! The twin's [`LakeReader`]: the items table of its SQLite store, listed by a key range (the
//! primary key's index: `pk` from the prefix up to the prefix's successor) and read one at a
//! time, on the blocking pool (the store's calls block); its clock is the runtime's.

use super::{TwinInsights, internal};
use ascent_console::OpsError;
use ascent_core::agent::Domain;
use ascent_embedded::Runtime;
use ascent_insights::{Item, LakeReader};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The least string above every string starting with `prefix`: its last character that can
/// be, incremented (`r#` → `r$`); `None` when none is above (an empty prefix).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(c) = chars.pop() {
        let next = match c {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// [`LakeReader::scan`] over the items table, as a blocking call.
pub fn scan_items(
    rt: &Runtime,
    domain: Domain,
    prefix: &str,
    sk: Option<&str>,
    range: Option<(&str, &str)>,
    limit: usize,
) -> Result<Vec<Item>, OpsError> {
    let end = prefix_end(prefix);
    let below_end = if end.is_some() {
        "pk < ?3"
    } else {
        "?3 IS NULL"
    };
    let sql = format!(
        "SELECT pk, sk, data FROM items WHERE domain = ?1 AND pk >= ?2 AND {below_end} \
         AND (?4 IS NULL OR sk = ?4) AND (?5 IS NULL OR sk >= ?5) AND (?6 IS NULL OR sk <= ?6) \
         ORDER BY pk, sk LIMIT {limit}"
    );
    let rows: Vec<(String, String, String)> = rt
        .store()
        .read(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map(
                [
                    Some(domain.as_str()),
                    Some(prefix),
                    end.as_deref(),
                    sk,
                    range.map(|r| r.0),
                    range.map(|r| r.1),
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            rows.collect()
        })
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter_map(|(pk, sk, data)| serde_json::from_str(&data).ok().map(|v| (pk, sk, v)))
        .collect())
}

/// [`LakeReader::get`] from the items table, as a blocking call.
pub fn get_item(
    rt: &Runtime,
    domain: Domain,
    pk: &str,
    sk: &str,
) -> Result<Option<Value>, OpsError> {
    let data: Option<String> = rt
        .store()
        .read(|c| {
            let mut st =
                c.prepare("SELECT data FROM items WHERE domain = ?1 AND pk = ?2 AND sk = ?3")?;
            let mut rows = st.query([domain.as_str(), pk, sk])?;
            match rows.next()? {
                Some(r) => Ok(Some(r.get(0)?)),
                None => Ok(None),
            }
        })
        .map_err(internal)?;
    Ok(data.and_then(|d| serde_json::from_str(&d).ok()))
}

#[async_trait::async_trait]
impl LakeReader for TwinInsights {
    async fn scan(
        &self,
        domain: Domain,
        prefix: &str,
        sk: Option<&str>,
        range: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<Item>, OpsError> {
        let rt = self.rt.clone();
        let prefix = prefix.to_string();
        let sk = sk.map(str::to_string);
        let range = range.map(|(lo, hi)| (lo.to_string(), hi.to_string()));
        super::blocking(move || {
            let range = range.as_ref().map(|(lo, hi)| (lo.as_str(), hi.as_str()));
            scan_items(&rt, domain, &prefix, sk.as_deref(), range, limit)
        })
        .await
    }

    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Value>, OpsError> {
        let (rt, pk, sk) = (self.rt.clone(), pk.to_string(), sk.to_string());
        super::blocking(move || get_item(&rt, domain, &pk, &sk)).await
    }

    fn now(&self) -> DateTime<Utc> {
        self.rt.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_embedded::testkit::TestTwin;
    use std::sync::Arc;

    #[tokio::test]
    async fn the_twin_s_lake_keeps_the_port_s_contract() {
        let start: DateTime<Utc> = "2026-03-01T11:00:00Z".parse().unwrap();
        let t = TestTwin::new(vec![], start);
        t.runtime
            .store()
            .write_tx(|tx| -> anyhow::Result<()> {
                for (domain, pk, sk, data) in ascent_insights::contract::items() {
                    tx.conn().execute(
                        "INSERT INTO items (domain, pk, sk, data) VALUES (?1, ?2, ?3, ?4)",
                        [domain.as_str(), pk, sk, &data.to_string()],
                    )?;
                }
                Ok(())
            })
            .unwrap();
        let insights = TwinInsights {
            rt: Arc::new(t.runtime),
            base_currency: "USD".into(),
        };
        ascent_insights::contract::check(&insights).await;
        assert_eq!(insights.now(), start, "the runtime's clock");
    }

    #[test]
    fn a_prefix_ends_below_its_last_character_s_successor() {
        assert_eq!(prefix_end("r#").as_deref(), Some("r$"));
        assert_eq!(prefix_end("invoice#").as_deref(), Some("invoice$"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("\u{10FFFF}"), None);
    }
}
