//! # Marketing Orchestrator agent
//!
//! The marketing team's lead. It keeps every campaign's life — planned, live, paused, ended —
//! with its channel budgets and goal (new customers, a target cost per acquisition), each
//! transition checked ([`lifecycle`], [`campaigns`]). Each week Marketing Analytics' measured
//! returns (`ChannelReturnsMeasured`) reallocate the plan total over the channels, toward the
//! best marginal return within each channel's floor and cap ([`allocation`]); the new
//! allocation takes effect at once when it stays within the plan in effect and no channel
//! rises by more than the configured amount, and otherwise only once the Finance Controller's
//! chain approves it through the approval flow — rejected or expired, the previous one stays
//! ([`plan`]). A live campaign whose measured cost per acquisition is above its target raises
//! `ThresholdCrossed`, once per campaign and period. On the configured weekday the marketing
//! plan report (live campaigns, their goals and progress, the allocation and what changed,
//! the approval pending) is mailed and kept ([`report`]).

pub mod allocation;
mod campaigns;
pub mod lifecycle;
mod plan;
mod report;
mod settings;

pub use campaigns::Campaign;
pub use plan::{Current, Plan, PlanStatus};
pub use settings::OrchestratorConfig;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::Payload;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use serde_json::json;

pub const NAME: &str = "marketing-orchestrator";
/// The kind of the approvals it opens.
pub const APPROVAL_KIND: &str = "marketing_budget";
/// `gsi1` partition of the campaigns not ended, sorted by id.
pub const OPEN_CAMPAIGNS: &str = "mkt-campaign#open";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Marketing,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "campaign-lifecycle",
                pattern: json!({"detail-type": ["CampaignPlanned", "CampaignLaunched",
                                                "CampaignPaused", "CampaignResumed", "CampaignEnded"]}),
            },
            Subscription {
                name: "channel-returns",
                pattern: json!({"detail-type": ["ChannelReturnsMeasured"]}),
            },
            Subscription {
                name: "budget-approval-decided",
                pattern: json!({
                    "detail-type": ["ApprovalDecided"],
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": [APPROVAL_KIND]}}
                }),
            },
            Subscription {
                name: "weekly-plan-report",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        // Approvals: a decision is acted on only once its record confirms it.
        reads: vec![Domain::Performance, Domain::Approvals],
        owns: vec![
            // Business records naming a colleague: the address is pseudonymised, the record stays.
            owns(Domain::Performance, "mkt-campaign#").holding(Personal::pseudonymised(
                &["owner"],
                &["owner"],
                "Name who runs the campaign",
                Retention::Relationship,
            )),
            owns(Domain::Performance, "mkt-plan#").holding(Personal::pseudonymised(
                &["decided_by"],
                &["decided_by"],
                "Record who approved or rejected a budget reallocation",
                Retention::Relationship,
            )),
            owns(Domain::Performance, "mkt-report#"),
        ],
        emits: vec!["BudgetReallocated", "ThresholdCrossed"],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct MarketingOrchestrator {
    decl: AgentDecl,
    config: OrchestratorConfig,
}

#[async_trait]
impl Agent for MarketingOrchestrator {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::CampaignPlanned(c) => self.on_planned(ctx, c).await,
            Payload::CampaignLaunched(c) => self.on_launched(ctx, c).await,
            Payload::CampaignPaused(c) => {
                let reason = format!("paused: {}", c.reason);
                self.on_moved(ctx, &c.campaign_id, lifecycle::Action::Pause, reason)
                    .await
            }
            Payload::CampaignResumed(c) => {
                let reason = "resumed".to_string();
                self.on_moved(ctx, &c.campaign_id, lifecycle::Action::Resume, reason)
                    .await
            }
            Payload::CampaignEnded(c) => {
                let reason = format!("ended: {}", c.reason);
                self.on_moved(ctx, &c.campaign_id, lifecycle::Action::End, reason)
                    .await
            }
            Payload::ChannelReturnsMeasured(m) => self.on_measured(ctx, m).await,
            Payload::ApprovalDecided(d) => self.on_decided(ctx, d).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod privacy_tests;
#[cfg(test)]
mod tests;
