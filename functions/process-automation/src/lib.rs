//! # Process Automation agent
//!
//! Every message an agent could not handle reaches this agent as a `MessageDeadLettered`
//! from the platform (the twin's runtime when it moves a message to its dead letters; the
//! Lambda host on AWS when it sends one to the agent's dead-letter queue or gives its last
//! receive up). Each is classified from its reason and its history ([`classify`]): transient
//! (timeouts, throttling, an integration's 5xx, storage busy), permanent (invalid input
//! naming a field, access denied, AWS's limits) or poison (a panic, or failing again after
//! redrives). Transient ones are redriven with exponential backoff: a due record in the
//! `dlq#retries-due` index, taken by the hourly run at most `retries_per_run` at a time
//! ([`letters`]). Permanent and poison ones become an intervention request through the
//! approval flow, with the failure, the event and the redrive action: approved = redrive
//! (after the person fixed the cause), rejected = discard, recorded either way. Every day the
//! failure rates per agent (dead letters per day, by class, and their average over the
//! window) are mailed to operations and kept ([`report`]).
//!
//! Redrives and discards are effects like writes (`ctx.act_on_dead_letter`): the twin
//! carries them out in the handler's commit, the Lambda host after it through the
//! dead-letter queues port (SQS: the message moved back to its agent's queue).

pub mod classify;
pub mod letters;
pub mod report;
mod settings;

pub use settings::ProcessAutomationConfig;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::Payload;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use serde_json::json;

pub const NAME: &str = "process-automation";
/// The approval kind of an intervention request.
pub const KIND: &str = "dead-letter";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Operations,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "dead-letters",
                pattern: json!({"detail-type": ["MessageDeadLettered"]}),
            },
            Subscription {
                name: "intervention-decided",
                pattern: json!({
                    "detail-type": ["ApprovalDecided"],
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": [KIND]}}
                }),
            },
            Subscription {
                name: "hourly-retries",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["hourly"]}}}),
            },
            Subscription {
                name: "daily-report",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        // Approvals: a decision is acted on only once its record confirms it.
        reads: vec![Domain::Approvals],
        // A failure's reason is an agent's error, which may quote a person's address or name
        // (and a report lists the latest reasons); a person's decision names who decided.
        owns: vec![owns(Domain::Performance, "dlq#").holding(Personal::deleted(
            &["failures[].reason", "state.by", "waiting[]"],
            &[],
            "Put a message that failed to a person, and redrive or discard it as they decide",
            Retention::Days("dead_letters_days"),
        ))],
        emits: vec![],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct ProcessAutomation {
    decl: AgentDecl,
    config: ProcessAutomationConfig,
}

#[async_trait]
impl Agent for ProcessAutomation {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::MessageDeadLettered(d) => {
                letters::on_dead_lettered(&self.config, ctx, d).await
            }
            Payload::ApprovalDecided(d) => letters::on_decided(&self.config, ctx, d).await,
            Payload::ScheduleTick(t) if t.schedule == "hourly" => {
                letters::redrive_due(&self.config, ctx, t.at).await
            }
            Payload::ScheduleTick(t) if t.schedule == "daily" => {
                report::daily(&self.config, ctx, t.at).await
            }
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
