//! A data lake in memory: a list of items and a fixed clock. For tests of the shared logic
//! (here and in each home's crate), where a store would only add set-up.

use crate::lake::{Item, LakeReader, scan_matches};
use ascent_console::OpsError;
use ascent_core::agent::Domain;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// Items in memory, in any order; the clock stands at `now`.
#[derive(Clone, Debug)]
pub struct MemoryLake {
    pub items: Vec<(Domain, String, String, Value)>,
    pub now: DateTime<Utc>,
}

impl MemoryLake {
    /// Empty, its clock at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self { items: vec![], now }
    }

    /// Puts `data` at `pk`, `sk` of `domain`, replacing what was there.
    pub fn put(&mut self, domain: Domain, pk: &str, sk: &str, data: &impl Serialize) {
        let data = serde_json::to_value(data).expect("a record serialises");
        self.items
            .retain(|(d, p, s, _)| !(*d == domain && p == pk && s == sk));
        self.items.push((domain, pk.into(), sk.into(), data));
    }
}

#[async_trait::async_trait]
impl LakeReader for MemoryLake {
    async fn scan(
        &self,
        domain: Domain,
        prefix: &str,
        sk: Option<&str>,
        range: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<Item>, OpsError> {
        let mut found: Vec<Item> = self
            .items
            .iter()
            .filter(|(d, p, s, _)| *d == domain && scan_matches(p, s, prefix, sk, range))
            .map(|(_, p, s, v)| (p.clone(), s.clone(), v.clone()))
            .collect();
        found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        found.truncate(limit);
        Ok(found)
    }

    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Value>, OpsError> {
        Ok(self
            .items
            .iter()
            .find(|(d, p, s, _)| *d == domain && p == pk && s == sk)
            .map(|(_, _, _, v)| v.clone()))
    }

    fn now(&self) -> DateTime<Utc> {
        self.now
    }
}
