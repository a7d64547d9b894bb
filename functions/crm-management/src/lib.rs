//! # CRM Management agent
//!
//! Keeps one clean record per person from every source of contacts: leads (`LeadCreated`),
//! changes made in the CRMs or in Ascent's own forms (`ContactUpdated`, from the CRMs'
//! verified webhooks [`inbound`] or the web), and the CRMs' own change feeds (the sync).
//!
//! - **Hygiene** ([`hygiene`]): email syntax, phones to E.164, countries to ISO 3166-1
//!   alpha-2, names and company names normalised; a value that does not clean is refused into
//!   the record's issues with the field and the reason, never guessed.
//! - **Duplicates** ([`dedupe`]): a new contact is compared with the contacts of its email
//!   match key, its company domain or company name, and its phone number; a duplicate is merged
//!   into the older record, which keeps every source id, the CRM links and a merge log with
//!   the values that lost (`ContactsMerged`).
//! - **Two-way sync** ([`sync`], [`connector`], [`hubspot`], [`salesforce`]): every hourly
//!   tick starts a run per connected CRM, fanned out page by page (`CrmSyncPageDue`): pull one
//!   page of changed contacts, resolve each field ([`conflict`]: the later change wins, ties
//!   by `source_priority`), push one batch of queued changes. A failed push stays queued with
//!   its reason and is retried next run. The last page announces the run:
//!   `DataSyncCompleted` with the counts pulled, pushed, conflicts, failures and still queued.

pub mod conflict;
pub mod connector;
pub mod contact;
pub mod dedupe;
pub mod hubspot;
pub mod hygiene;
pub mod inbound;
pub mod salesforce;
mod settings;
pub mod sync;

pub use settings::{CrmConfig, EmailRules, Endpoint};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::Payload;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use connector::CrmConnector;
use contact::RawFields;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const NAME: &str = "crm-management";
/// Every record of the agent is under this prefix of the customer domain.
pub const PREFIX: &str = "crm#";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Operations,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "contacts",
                pattern: json!({"detail-type": ["LeadCreated", "ContactUpdated"]}),
            },
            Subscription {
                name: "sync-pages",
                pattern: json!({"detail-type": ["CrmSyncPageDue"]}),
            },
            Subscription {
                name: "hourly-sync",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["hourly"]}}}),
            },
        ],
        reads: vec![Domain::Customer],
        // Contacts, their index items (by address, number and source record) and the pushes
        // queued for the CRMs; the sync runs and cursors under it hold none.
        owns: vec![owns(Domain::Customer, PREFIX).holding(Personal::deleted(
            &[
                "contact_id",
                "fields.email.value",
                "fields.full_name.value",
                "fields.phone.value",
                "fields.job_title.value",
                "fields.country.value",
                "source_ids[]",
                "remote",
                "merge_log[].merged_ids[]",
                "merge_log[].replaced",
                "last_error",
            ],
            &["contact_id", "fields.email.value", "fields.phone.value"],
            "Keep one clean record per person across the CRMs and Ascent's leads",
            Retention::Relationship,
        ))],
        emits: vec!["ContactsMerged", "CrmSyncPageDue", "DataSyncCompleted"],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }
}

/// A field of the event's payload that cannot be used, named as the event's path.
pub(crate) fn invalid(field: &str, problem: impl std::fmt::Display) -> AgentError {
    AgentError::Invalid(format!("field `detail.payload.{field}`: {problem}"))
}

pub struct CrmManagement {
    decl: AgentDecl,
    config: CrmConfig,
    connectors: BTreeMap<String, Arc<dyn CrmConnector>>,
}

impl CrmManagement {
    pub fn new(config: CrmConfig) -> Self {
        Self {
            decl: declaration(),
            config,
            connectors: BTreeMap::new(),
        }
    }

    /// The agent synchronising through `connector` (its system must be configured).
    pub fn with_connector(mut self, connector: Arc<dyn CrmConnector>) -> Self {
        self.connectors
            .insert(connector.system().to_string(), connector);
        self
    }

    pub fn config(&self) -> &CrmConfig {
        &self.config
    }
}

#[async_trait]
impl Agent for CrmManagement {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::LeadCreated(l) => {
                let raw = RawFields {
                    email: Some(l.email.clone()),
                    full_name: Some(l.full_name.clone()),
                    company: Some(l.company.clone()),
                    phone: l.phone.clone(),
                    country: l.country.clone(),
                    job_title: Some(l.role.clone()),
                };
                self.receive(ctx, settings::ASCENT, &l.lead_id, event.time, &raw)
                    .await
                    .map(|_| ())
            }
            Payload::ContactUpdated(c) => {
                let known = settings::KNOWN_SYSTEMS.contains(&c.system.as_str())
                    || c.system == settings::ASCENT;
                if !known {
                    return Err(invalid(
                        "system",
                        format!("`{}` is not hubspot, salesforce or ascent", c.system),
                    ));
                }
                // The web site speaks for Ascent's own forms only, never for a CRM.
                if event.source == "ascent.web" && c.system != settings::ASCENT {
                    return Err(invalid(
                        "system",
                        format!("`{}` changes do not come from the web site", c.system),
                    ));
                }
                let raw = RawFields {
                    email: c.email.clone(),
                    full_name: c.full_name.clone(),
                    company: c.company.clone(),
                    phone: c.phone.clone(),
                    country: c.country.clone(),
                    job_title: c.job_title.clone(),
                };
                let given = [
                    &raw.email,
                    &raw.full_name,
                    &raw.company,
                    &raw.phone,
                    &raw.country,
                    &raw.job_title,
                ];
                if given.iter().all(|v| v.is_none()) {
                    return Err(invalid("email", "no field of the contact is given"));
                }
                self.receive(ctx, &c.system, &c.record_id, c.changed_at, &raw)
                    .await
                    .map(|_| ())
            }
            Payload::ScheduleTick(t) => self.start_runs(ctx, t.at).await,
            Payload::CrmSyncPageDue(p) => self.on_page(ctx, p).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod connector_tests;
#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod privacy_tests;
#[cfg(test)]
mod stub_crm;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_sync;
