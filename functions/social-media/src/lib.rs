//! # Social Media agent
//!
//! **Listening.** Every public mention the listening service reports (`MentionObserved`) is
//! scored by a lexicon ([`sentiment`]) and recorded with its score (its text kept for the
//! first `mentions_kept_per_day` of a day). Mentions are counted per bucket: a bucket whose
//! rolling z-score over the trailing window is above the threshold is a spike, announced once
//! as `ThresholdCrossed` and mailed to the social owner ([`spikes`]). A negative mention by a
//! known customer (its author's email is the billing email of a `CustomerSignedUp`) opens a
//! support ticket: `TicketOpened`, so Support triages it, once per mention ([`listening`]).
//!
//! **Scheduling.** Each platform's engagement (`PostEngagementObserved`) is learned per
//! weekday and hour; a requested post (`SocialPostRequested`) goes into the earliest free
//! occurrence of its platform's best slots (the configured defaults until enough is
//! learned), one post per platform per slot, and `SocialPostScheduled` announces it
//! ([`slots`], [`scheduling`]).
//!
//! **Publishing.** [`publisher`] is the port posts go out through, with a Mastodon adapter
//! (`POST /api/v1/statuses` with an `Idempotency-Key`, rate limits and retries honoured).
//! The hourly tick starts a run per platform with a publisher: the posts due by then are
//! published a bounded page at a time (`SocialPublishingPageDue`), each announced
//! (`SocialPostPublished`), retried on a later run after a passing failure, or failed for a
//! person (`ExceptionRaised` and a mail to the owner) when refused ([`publishing`],
//! [`publishing_run`]). A platform without a publisher records that publishing is off.

pub mod listening;
pub mod publisher;
pub mod publishing;
pub mod publishing_run;
pub mod scheduling;
pub mod sentiment;
mod settings;
pub mod slots;
pub mod spikes;

pub use settings::{MASTODON_TOKEN_VAR, SocialConfig};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::Payload;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use publisher::Publisher;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const NAME: &str = "social-media";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Marketing,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "mentions",
                pattern: json!({"detail-type": ["MentionObserved"]}),
            },
            Subscription {
                name: "customers",
                pattern: json!({"detail-type": ["CustomerSignedUp"]}),
            },
            Subscription {
                name: "posts",
                pattern: json!({"detail-type": ["SocialPostRequested", "PostEngagementObserved"]}),
            },
            Subscription {
                name: "hourly-publishing",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["hourly"]}}}),
            },
            Subscription {
                name: "publishing-pages",
                pattern: json!({"source": ["ascent.agent.social-media"], "detail-type": ["SocialPublishingPageDue"]}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Interaction, Domain::Performance],
        owns: vec![
            // Keyed by the billing contact's address; the record itself names the company.
            owns(Domain::Customer, "social-customer#").holding(Personal::deleted(
                &[],
                &[],
                "Recognise a customer's billing contact in a negative mention, for a ticket",
                Retention::Relationship,
            )),
            // Mentions; the posts, slots, calendars and day counts under it are ours.
            owns(Domain::Interaction, "social#").holding(Personal::deleted(
                &["author", "author_email", "url", "text"],
                &["author_email"],
                "Score what people say about us and open a ticket for an unhappy customer",
                Retention::Days("marketing_profiles_days"),
            )),
            owns(Domain::Performance, "social#"),
        ],
        emits: vec![
            "TicketOpened",
            "ThresholdCrossed",
            "SocialPostScheduled",
            "SocialPublishingPageDue",
            "SocialPostPublished",
            "ExceptionRaised",
        ],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct SocialMedia {
    decl: AgentDecl,
    config: SocialConfig,
    /// The platforms posts are published on, each through its publisher.
    publishers: BTreeMap<String, Arc<dyn Publisher>>,
}

/// A field of the event's payload that cannot be used, named as the event's path.
pub(crate) fn invalid(field: &str, problem: impl std::fmt::Display) -> AgentError {
    AgentError::Invalid(format!("field `detail.payload.{field}`: {problem}"))
}

/// `value` must not be blank.
pub(crate) fn required(field: &str, value: &str) -> Result<(), AgentError> {
    if value.trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    Ok(())
}

impl SocialMedia {
    /// `platform` must be one of the configured platforms.
    pub(crate) fn platform(&self, platform: &str) -> Result<(), AgentError> {
        if !self.config.platforms.iter().any(|p| p == platform) {
            return Err(invalid(
                "platform",
                format!(
                    "`{platform}` is not a configured platform ({})",
                    self.config.platforms.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Agent for SocialMedia {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::MentionObserved(m) => self.on_mention(ctx, m).await,
            Payload::CustomerSignedUp(c) => self.on_customer(ctx, c).await,
            Payload::SocialPostRequested(p) => self.on_post_requested(ctx, p).await,
            Payload::PostEngagementObserved(e) => self.on_engagement(ctx, e).await,
            Payload::ScheduleTick(t) => self.start_runs(ctx, t.at).await,
            Payload::SocialPublishingPageDue(p) => self.on_publishing_page(ctx, p).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod privacy_tests;
#[cfg(test)]
mod stub_mastodon;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_publishing;
#[cfg(test)]
mod tests_scheduling;
