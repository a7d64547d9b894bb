//! # Closing agent
//!
//! When a deal reaches the proposal stage, prices its lines from the price book (volume
//! tiers) and applies the discount the rep asks for. A discount above the threshold (default
//! 15%) needs the Sales Director's approval: the proposal waits, and the approval flow asks
//! the director by email. Approved → the proposal goes out as asked; rejected or expired →
//! it is re-priced at the threshold and goes out. Sending is `ProposalSent` plus an email to
//! the deal owner; the proposal is kept in the customer domain for Billing, as the shared record
//! [`ascent_core::records::Proposal`].
//!
//! When the prospect accepts (`ProposalAccepted`), drafts the contract from the proposal and
//! the requested terms: standard terms ([`contract::StandardTerms`]) are issued at once
//! (`ContractIssued`); non-standard ones (long payment terms, short or long term, higher
//! liability cap, other governing law, custom clauses) wait for Legal's approval. Objections
//! a rep logs (`ObjectionLogged`) are kept on the deal; when the deal is won or lost the
//! outcome is recorded with its reason (normalised to the configured categories) and the
//! objections raised, and tallied per quarter for win/loss analysis.
//!
//! A decision (`ApprovalDecided`) is acted on only when the approval record says so
//! ([`approval::confirmed`]): a forged or replayed one is dead-lettered with the reason.

pub mod contract;
mod contracting;
pub mod price_book;
mod proposals;
mod settings;
mod win_loss;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::approval;
use ascent_core::catalog::{DealClosedLost, DealClosedWon, DealStage, Payload};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use serde_json::json;

pub use contracting::{Contract, ContractStatus};
pub use proposals::valid_until;
pub use settings::ClosingConfig;
pub use win_loss::{DealOutcome, WinLossTally, quarter_of};

pub const NAME: &str = "closing";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "deal-reached-proposal",
                pattern: json!({
                    "detail-type": ["DealStageChanged"],
                    "detail": {"payload": {"to_stage": ["proposal"]}}
                }),
            },
            Subscription {
                name: "discount-decided",
                pattern: json!({
                    "detail-type": ["ApprovalDecided"],
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": ["discount", "contract_terms"]}}
                }),
            },
            Subscription {
                name: "proposal-accepted",
                pattern: json!({"detail-type": ["ProposalAccepted"]}),
            },
            Subscription {
                name: "objections-and-outcomes",
                pattern: json!({"detail-type": ["ObjectionLogged", "DealClosedWon", "DealClosedLost"]}),
            },
        ],
        // Approvals: a decision is acted on only once its record confirms it.
        reads: vec![Domain::Customer, Domain::Performance, Domain::Approvals],
        owns: vec![
            // A deal's proposal, contract, objections and outcome: business records (the
            // contract is a commercial document kept by law), pseudonymised on erasure.
            owns(Domain::Customer, "deal#").holding(Personal::pseudonymised(
                &["accepted_by", "owner", "note", "logged_by", "reason_text"],
                &["accepted_by"],
                "Propose, contract and learn from the deal",
                Retention::Legal("tax_records_years"),
            )),
            // Tallies of reasons per quarter: no one's data.
            owns(Domain::Performance, "win-loss#"),
        ],
        emits: vec!["ProposalSent", "ContractIssued"],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct Closing {
    decl: AgentDecl,
    config: ClosingConfig,
}

impl Default for Closing {
    fn default() -> Self {
        Self::new(ClosingConfig::default())
    }
}

impl Closing {
    pub fn new(config: ClosingConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }
}

#[async_trait]
impl Agent for Closing {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::DealStageChanged(d) if d.to_stage == DealStage::Proposal => {
                self.on_proposal_stage(ctx, d).await
            }
            Payload::ApprovalDecided(a) => {
                // Only what the approval record says (a forged or early event is refused).
                approval::confirmed(ctx, a).await?;
                if a.kind == "contract_terms" {
                    self.on_legal_decision(ctx, a).await
                } else {
                    self.on_decision(ctx, a).await
                }
            }
            Payload::ProposalAccepted(a) => self.on_accepted(ctx, a).await,
            Payload::ObjectionLogged(o) => self.on_objection(ctx, o),
            Payload::DealClosedWon(DealClosedWon {
                deal_id, reason, ..
            }) => self.on_outcome(ctx, deal_id, true, reason.as_deref()).await,
            Payload::DealClosedLost(DealClosedLost {
                deal_id, reason, ..
            }) => self.on_outcome(ctx, deal_id, false, Some(reason)).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
