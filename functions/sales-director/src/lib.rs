//! # Sales Director agent
//!
//! Leads the sales team:
//! - assigns each qualified lead (`LeadRouted`) to a rep of its territory by weighted round
//!   robin on capacity ([`assignment`]) and announces `LeadAssigned`;
//! - follows every deal through its stages (`DealStageChanged`, `ProposalSent`, won/lost),
//!   keeping its stage history and last activity;
//! - learns stage win probabilities, conversion and velocity from closed deals
//!   ([`forecast`]), with a default table as the prior;
//! - every day writes the pipeline report (by stage, rep and territory; weighted forecast;
//!   commit and won vs quarterly quota per rep; conversion and velocity) and alerts the owner
//!   of each deal with no activity for `stall_days` (`DealStalled`, once per stall).
//!
//! It is also the approver of discounts above Closing's threshold: the `sales-director` role
//! of the approval policy (the Sales Director, escalating to the CRO).

pub mod assignment;
mod daily_report;
pub mod forecast;
mod lead_assignment;
mod pipeline;
mod quarters;
mod settings;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{DealClosedLost, DealClosedWon, Payload};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use serde_json::json;

pub use daily_report::{
    PipelineReport, RepForecast, STALE_CLOSES_PER_RUN, STALL_ALERTS_PER_RUN, Slice,
};
pub use lead_assignment::LeadAssignment;
pub use pipeline::{PipelineDeal, RepQuarter};
pub use quarters::{quarter_bounds, quarter_of_day};
pub use settings::SalesConfig;

pub const NAME: &str = "sales-director";
/// `gsi1` partition of open deals.
pub const OPEN_DEALS: &str = "deals#open";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "lead-routed",
                pattern: json!({"detail-type": ["LeadRouted"]}),
            },
            Subscription {
                name: "deal-activity",
                pattern: json!({"detail-type": ["DealStageChanged", "ProposalSent", "DealClosedWon", "DealClosedLost"]}),
            },
            Subscription {
                name: "daily-pipeline",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Performance],
        owns: vec![
            // Which rep a lead went to (the key holds the lead id).
            owns(Domain::Customer, "assignment#").holding(Personal::deleted(
                &["rep"],
                &[],
                "Give each routed lead to one rep, once",
                Retention::Days("unconverted_leads_days"),
            )),
            // Deals as followed: a company's, but owned by a rep (an employee).
            owns(Domain::Customer, "pipeline#").holding(Personal::pseudonymised(
                &["owner"],
                &["owner"],
                "Forecast the pipeline and alert a deal's owner when it stalls",
                Retention::Relationship,
            )),
            // Leads given per rep in a quarter (the reps' addresses are the counts' keys).
            owns(Domain::Performance, "rotation#").holding(Personal::pseudonymised(
                &[],
                &[],
                "Share leads among the reps by capacity",
                Retention::Relationship,
            )),
            // Stage statistics over every deal: no one's data.
            owns(Domain::Performance, "stats#"),
            // A rep's won and lost business in a quarter (the sort key is the rep's address).
            owns(Domain::Performance, "quota#").holding(Personal::pseudonymised(
                &["rep"],
                &["rep"],
                "Measure each rep's attainment against quota",
                Retention::Relationship,
            )),
            // The daily report, per rep among the rest.
            owns(Domain::Performance, "report#pipeline").holding(Personal::pseudonymised(
                &["reps[].rep"],
                &[],
                "Report the pipeline and each rep's forecast to sales management",
                Retention::Relationship,
            )),
        ],
        emits: vec!["LeadAssigned", "DealStalled", "ExceptionRaised"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct SalesDirector {
    decl: AgentDecl,
    config: SalesConfig,
}

impl Default for SalesDirector {
    fn default() -> Self {
        Self::new(SalesConfig::default())
    }
}

impl SalesDirector {
    pub fn new(config: SalesConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }
}

#[async_trait]
impl Agent for SalesDirector {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let at = event.time;
        match event.payload() {
            Payload::LeadRouted(l) => self.on_routed(ctx, l).await,
            Payload::DealStageChanged(c) => self.on_stage(ctx, c, at).await,
            Payload::ProposalSent(p) => self.on_proposal(ctx, p, at).await,
            Payload::DealClosedWon(DealClosedWon {
                deal_id,
                account_id,
                owner,
                amount,
                ..
            }) => {
                self.on_closed(ctx, deal_id, account_id, owner, Some(amount.clone()), at)
                    .await
            }
            Payload::DealClosedLost(DealClosedLost {
                deal_id,
                account_id,
                owner,
                ..
            }) => {
                self.on_closed(ctx, deal_id, account_id, owner, None, at)
                    .await
            }
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
