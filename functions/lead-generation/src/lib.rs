//! # Lead Generation agent
//!
//! Listens to `LeadCreated` and `InteractionRecorded`. For a new lead it deduplicates by
//! normalised email and by person at the same company domain, scores fit and intent, stores
//! the lead in the customer domain, emits `LeadScored`, and hands hot leads to the sales
//! team of their territory with `LeadRouted`. Interactions are kept in the interaction
//! domain; one arriving for a known lead re-scores it.
//!
//! A lead missing what scoring needs (company size, industry, role, company) is flagged
//! (`LeadFlagged`) for a person instead of being scored on guesses. Won and lost deals that
//! name their lead teach the score ([`learning`]): once enough outcomes are in, the learned
//! logistic model scores, and every score names the model version that produced it.

pub mod dedupe;
mod intake;
mod interactions;
mod learned_scoring;
pub mod learning;
pub mod scoring;
mod settings;

pub use intake::{LeadRecord, lead_problems};
pub(crate) use intake::{contact_pk, email_pk, lead_pk};
pub use learned_scoring::MODEL_PK;
pub use settings::{LeadConfig, Routing};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::Payload;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use serde_json::json;

pub const NAME: &str = "lead-generation";

/// The agent's declaration: the one source of truth for its rules, queue and permissions.
pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "lead-created",
                pattern: json!({"detail-type": ["LeadCreated"]}),
            },
            Subscription {
                name: "interaction-recorded",
                pattern: json!({"detail-type": ["InteractionRecorded"]}),
            },
            Subscription {
                name: "deal-outcomes",
                pattern: json!({"detail-type": ["DealClosedWon", "DealClosedLost"]}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Interaction, Domain::Performance],
        owns: vec![
            // The lead as it came in (`profile`, or `flagged` for a person) and its outcome.
            owns(Domain::Customer, "lead#").holding(Personal::deleted(
                &[
                    "lead.lead_id",
                    "lead.email",
                    "lead.full_name",
                    "lead.role",
                    "lead.phone",
                    "email",
                ],
                &["lead.lead_id", "lead.email", "lead.phone", "email"],
                "Score, deduplicate and route the lead to sales",
                Retention::Days("unconverted_leads_days"),
            )),
            // Which lead claimed an address (the key holds the address).
            owns(Domain::Customer, "email#").holding(Personal::deleted(
                &["lead_id"],
                &["lead_id"],
                "Find a later lead of the same address as a duplicate",
                Retention::Days("unconverted_leads_days"),
            )),
            // Which lead claimed a person at a company domain (the sort key holds the name).
            owns(Domain::Customer, "person#").holding(Personal::deleted(
                &["lead_id"],
                &["lead_id"],
                "Find a later lead of the same person at the company as a duplicate",
                Retention::Days("unconverted_leads_days"),
            )),
            // Only an index partition (`gsi1` of the lead profiles): company domains.
            owns(Domain::Customer, "company#"),
            // The contact's interactions (the key holds the address).
            owns(Domain::Interaction, "contact#").holding(Personal::deleted(
                &["email", "text"],
                &["email"],
                "Score the lead's intent from what they did and wrote",
                Retention::Days("interactions_days"),
            )),
            // Model weights learned over many leads' outcomes: no one's data.
            owns(Domain::Performance, "model#lead-score"),
        ],
        emits: vec![
            "LeadScored",
            "LeadDuplicateDetected",
            "LeadRouted",
            "LeadFlagged",
        ],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }
}

/// The Lead Generation agent.
pub struct LeadGeneration {
    decl: AgentDecl,
    config: LeadConfig,
}

impl LeadGeneration {
    pub fn new(config: LeadConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// Sets how many outcomes the learned model needs before it scores.
    pub fn learning_after(mut self, outcomes: u32) -> Self {
        self.config.learn_after_outcomes = outcomes;
        self
    }
}

#[async_trait]
impl Agent for LeadGeneration {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::LeadCreated(l) => self.on_lead(ctx, l, event.time).await,
            Payload::InteractionRecorded(i) => self.on_interaction(ctx, i).await,
            Payload::DealClosedWon(d) => self.on_outcome(ctx, d.lead_id.as_deref(), true).await,
            Payload::DealClosedLost(d) => self.on_outcome(ctx, d.lead_id.as_deref(), false).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_privacy;
