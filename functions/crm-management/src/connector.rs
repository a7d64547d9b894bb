//! The connector port a CRM is synchronised through.
//!
//! [`CrmConnector`] pulls the contacts changed since a cursor, a page at a time, and pushes one
//! contact's changed fields (creating the contact when the CRM does not have it yet). The
//! adapters ([`crate::hubspot`], [`crate::salesforce`]) speak the CRMs' REST APIs through the
//! shared exchange ([`Http`], `ascent-integrations`): a `429 Too Many Requests` waits for its `Retry-After` (seconds or an HTTP date)
//! when that is within [`RetryPolicy::max_wait`], else gives up as rate limited (transient:
//! the push stays queued for the next run); server errors and broken connections are retried
//! after a doubling pause; any other refusal is final for that attempt (also kept queued, with
//! its reason, for a person to see). Pushes are idempotent (HubSpot: PATCH by id, a create
//! answered `409` with the existing id patches that one; Salesforce: PATCH by id, or upsert by
//! the external id `Ascent_Contact_Id__c`), so a retry after a lost answer changes nothing
//! twice. The port is blocking (one HTTP exchange at a time).

use crate::contact::RawFields;
use crate::settings::CrmConfig;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use ascent_integrations::{Answer, Http, IntegrationError, Request, RetryPolicy};

/// A contact as the CRM has it, changed at `modified_at`.
#[derive(Clone, Debug)]
pub struct RemoteContact {
    pub record_id: String,
    pub modified_at: DateTime<Utc>,
    pub fields: RawFields,
}

/// Where the next pull starts: after the change at `since` of record `after_id` (changes are
/// read in order of modification time, then id).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub since: Option<DateTime<Utc>>,
    pub after_id: Option<String>,
}

/// One page of changes.
#[derive(Clone, Debug)]
pub struct Page {
    pub contacts: Vec<RemoteContact>,
    /// Whether more changes may follow.
    pub more: bool,
}

/// One contact's fields to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    /// CRM Management's id of the contact (Salesforce's external id for upserts).
    pub contact_id: String,
    /// The record id in the CRM, when it has the contact.
    pub record_id: Option<String>,
    /// Field name ([`crate::contact::FIELDS`]) to value.
    pub fields: BTreeMap<String, String>,
}

/// Why an exchange with a CRM failed (the shared exchange's error).
pub type SyncError = IntegrationError;

/// A CRM synchronised both ways.
pub trait CrmConnector: Send + Sync {
    /// `hubspot` or `salesforce`.
    fn system(&self) -> &str;
    /// Up to `limit` contacts changed after `cursor`, oldest change first.
    fn pull(&self, cursor: &Cursor, limit: usize) -> Result<Page, SyncError>;
    /// Sends `push`; the record id in the CRM.
    fn push(&self, push: &Push) -> Result<String, SyncError>;
}

/// The adapter of `system` for the configured endpoint with `token`.
pub fn for_system(system: &str, config: &CrmConfig, token: &str) -> Arc<dyn CrmConnector> {
    if system == "salesforce" {
        Arc::new(crate::salesforce::Salesforce::new(
            &config.salesforce.base_url,
            config.salesforce.api_version.as_deref().unwrap_or("v61.0"),
            token,
            config.http,
        ))
    } else {
        Arc::new(crate::hubspot::HubSpot::new(
            &config.hubspot.base_url,
            token,
            config.http,
        ))
    }
}

/// Splits a full name into first and last name at its last space.
pub fn split_name(full: &str) -> (String, String) {
    match full.trim().rsplit_once(' ') {
        Some((first, last)) => (first.to_string(), last.to_string()),
        None => (String::new(), full.trim().to_string()),
    }
}

/// Joins first and last name (either may be missing).
pub fn join_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}
