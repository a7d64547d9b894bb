//! The contact record CRM Management keeps (one per person, under `crm#contact#<id>`), the
//! cleaning of a change before it is applied, and the pure application of a change or a merge.
//!
//! A record keeps every field's value with when and where it was set, every source id it came
//! from (`lead:L000123`, `hubspot:501`), per CRM the record id there and the values last seen
//! there (the base of the three-way merge, [`crate::conflict`]), the merge log, and the issues
//! hygiene found (values refused, with the field and why; never silently dropped).

use crate::conflict::{FieldValue, Outcome, resolve};
use crate::dedupe::MatchKeys;
use crate::hygiene;
use crate::settings::CrmConfig;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fields kept and synchronised.
pub const FIELDS: [&str; 6] = [
    "email",
    "full_name",
    "company",
    "phone",
    "country",
    "job_title",
];

/// The id of a record in its system: `lead:L000123` for Ascent's leads, `hubspot:51234`.
pub fn source_id(system: &str, record_id: &str) -> String {
    if system == crate::settings::ASCENT {
        format!("lead:{record_id}")
    } else {
        format!("{system}:{record_id}")
    }
}

/// Issues kept per contact (the latest).
const ISSUES_KEPT: usize = 20;

/// A contact as one system has it: the record id there and the values last seen there.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RemoteState {
    #[serde(default)]
    pub record_id: Option<String>,
    #[serde(default)]
    pub seen: BTreeMap<String, String>,
}

/// One merge of a duplicate into this contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeEntry {
    pub at: DateTime<Utc>,
    /// The source ids the duplicate brought.
    pub merged_ids: Vec<String>,
    pub rule: String,
    pub similarity: f64,
    /// The duplicate's values that lost to this contact's, kept as they were.
    pub replaced: BTreeMap<String, String>,
}

/// A value hygiene refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub at: DateTime<Utc>,
    pub source: String,
    pub field: String,
    pub problem: String,
}

/// A contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub contact_id: String,
    pub version: u32,
    pub fields: BTreeMap<String, FieldValue>,
    pub source_ids: Vec<String>,
    #[serde(default)]
    pub remote: BTreeMap<String, RemoteState>,
    #[serde(default)]
    pub merge_log: Vec<MergeEntry>,
    #[serde(default)]
    pub issues: Vec<Issue>,
}

/// A change from one system, cleaned: the values that passed hygiene and what was refused.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    pub system: String,
    pub record_id: String,
    pub at: DateTime<Utc>,
    pub fields: BTreeMap<String, String>,
    pub refused: Vec<(String, String)>,
}

/// Raw values of a change, as written in the sending system.
#[derive(Clone, Debug, Default)]
pub struct RawFields {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub job_title: Option<String>,
}

/// Cleans a change: email syntax, country to alpha-2, phone to E.164 (read in the change's
/// country, else the contact's, else the default region), names normalised. A value that
/// does not clean is refused with the reason and left out.
pub fn clean(
    system: &str,
    record_id: &str,
    at: DateTime<Utc>,
    raw: &RawFields,
    known_country: Option<&str>,
    config: &CrmConfig,
) -> Change {
    let mut c = Change {
        system: system.into(),
        record_id: record_id.into(),
        at,
        ..Change::default()
    };
    fn present(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    if let Some(e) = present(&raw.email) {
        match hygiene::clean_email(e) {
            Ok(e) => {
                c.fields.insert("email".into(), e);
            }
            Err(err) => c.refused.push(("email".into(), err.to_string())),
        }
    }
    if let Some(n) = present(&raw.full_name) {
        c.fields.insert("full_name".into(), hygiene::person_name(n));
    }
    if let Some(n) = present(&raw.company) {
        c.fields.insert("company".into(), hygiene::company_name(n));
    }
    if let Some(t) = present(&raw.job_title) {
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        c.fields.insert("job_title".into(), t);
    }
    if let Some(k) = present(&raw.country) {
        match hygiene::country_code(k) {
            Some(code) => {
                c.fields.insert("country".into(), code);
            }
            None => c
                .refused
                .push(("country".into(), hygiene::HygieneError::Country.to_string())),
        }
    }
    if let Some(p) = present(&raw.phone) {
        let country = c
            .fields
            .get("country")
            .map(String::as_str)
            .or(known_country);
        match hygiene::phone_e164(p, country, &config.default_region) {
            Ok(e164) => {
                c.fields.insert("phone".into(), e164);
            }
            Err(err) => c.refused.push(("phone".into(), err.to_string())),
        }
    }
    c
}

/// What applying a change did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// Fields whose value changed.
    pub changed: Vec<String>,
    /// Fields both sides had changed.
    pub conflicts: Vec<String>,
}

impl Contact {
    pub fn new(contact_id: &str) -> Self {
        Self {
            contact_id: contact_id.into(),
            source_ids: vec![contact_id.into()],
            ..Self::default()
        }
    }

    pub fn value(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(|f| f.value.as_str())
    }

    /// The keys duplicate detection compares.
    pub fn match_keys(&self, config: &CrmConfig) -> MatchKeys {
        let email = self.value("email");
        MatchKeys {
            email: email.map(|e| hygiene::match_key(e, &config.email)),
            domain: email.and_then(|e| hygiene::company_domain(e, &config.email)),
            company: self
                .value("company")
                .map(hygiene::company_key)
                .filter(|k| !k.is_empty()),
            name: self.value("full_name").map(hygiene::name_key),
            phone: self.value("phone").map(str::to_string),
        }
    }

    /// Applies a cleaned change field by field ([`resolve`]); the system's base becomes the
    /// values it sent. Refused values become issues.
    pub fn apply(&mut self, change: &Change, priority: &[String]) -> Applied {
        let mut applied = Applied::default();
        let remote = self.remote.get(&change.system).cloned().unwrap_or_default();
        for (field, incoming) in &change.fields {
            let base = remote.seen.get(field).map(String::as_str);
            let outcome = resolve(
                self.fields.get(field),
                base,
                incoming,
                change.at,
                &change.system,
                priority,
            );
            let take = match outcome {
                Outcome::Unchanged => false,
                Outcome::Take => true,
                Outcome::Conflict { incoming_wins } => {
                    applied.conflicts.push(field.clone());
                    incoming_wins
                }
            };
            if take {
                self.fields.insert(
                    field.clone(),
                    FieldValue {
                        value: incoming.clone(),
                        at: change.at,
                        source: change.system.clone(),
                    },
                );
                applied.changed.push(field.clone());
            }
        }
        if change.system != crate::settings::ASCENT {
            let state = self.remote.entry(change.system.clone()).or_default();
            state.record_id = Some(change.record_id.clone());
            for (field, v) in &change.fields {
                state.seen.insert(field.clone(), v.clone());
            }
        }
        let id = source_id(&change.system, &change.record_id);
        if !self.source_ids.contains(&id) {
            self.source_ids.push(id);
        }
        for (field, problem) in &change.refused {
            self.issues.push(Issue {
                at: change.at,
                source: change.system.clone(),
                field: field.clone(),
                problem: problem.clone(),
            });
        }
        let excess = self.issues.len().saturating_sub(ISSUES_KEPT);
        self.issues.drain(..excess);
        applied
    }

    /// The fields `system` lacks or has otherwise than this contact: what a push sends.
    pub fn outgoing(&self, system: &str) -> BTreeMap<String, String> {
        let seen = self.remote.get(system).map(|r| &r.seen);
        self.fields
            .iter()
            .filter(|(k, v)| seen.and_then(|s| s.get(*k)) != Some(&v.value))
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect()
    }

    /// Merges `other` (a duplicate) into this contact: its source ids and CRM links join, each
    /// field keeps the later value, and the losing values are logged; nothing is dropped.
    pub fn absorb(&mut self, other: &Contact, rule: &str, similarity: f64, at: DateTime<Utc>) {
        let mut replaced = BTreeMap::new();
        for (field, theirs) in &other.fields {
            match self.fields.get(field) {
                Some(mine) if mine.value == theirs.value => {}
                Some(mine) if mine.at >= theirs.at => {
                    replaced.insert(field.clone(), theirs.value.clone());
                }
                Some(mine) => {
                    replaced.insert(field.clone(), mine.value.clone());
                    self.fields.insert(field.clone(), theirs.clone());
                }
                None => {
                    self.fields.insert(field.clone(), theirs.clone());
                }
            }
        }
        let merged_ids: Vec<String> = other
            .source_ids
            .iter()
            .filter(|id| !self.source_ids.contains(id))
            .cloned()
            .collect();
        self.source_ids.extend(merged_ids.iter().cloned());
        for (system, state) in &other.remote {
            self.remote
                .entry(system.clone())
                .or_insert_with(|| state.clone());
        }
        self.issues.extend(other.issues.iter().cloned());
        let excess = self.issues.len().saturating_sub(ISSUES_KEPT);
        self.issues.drain(..excess);
        self.merge_log.extend(other.merge_log.iter().cloned());
        self.merge_log.push(MergeEntry {
            at,
            merged_ids,
            rule: rule.into(),
            similarity,
            replaced,
        });
    }
}

#[cfg(test)]
#[path = "contact_tests.rs"]
mod tests;
