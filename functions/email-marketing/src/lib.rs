//! # Email Marketing agent
//!
//! Newsletters and campaigns to segments of the customers. It keeps a profile of every
//! account (plan, country, seats, health tier, lifecycle stage) from the events it hears, and
//! segments are rules over profiles in the configuration ([`segments`]). A campaign
//! (`EmailCampaignScheduled`) names a segment, one variant or two for an A/B test, and when to
//! start; the hourly run starts it, and from then on it is sent in bounded units of work: each
//! `EmailBatchDue` takes one page of the profiles, mails at most `batch_size` recipients (one
//! write each) and hands the next page to the next `EmailBatchDue` ([`campaign`]), so a
//! campaign of 100,000 recipients is 2,500 messages each well within DynamoDB's and
//! EventBridge's limits.
//!
//! CAN-SPAM ([`message`]): the shared suppression list ([`ascent_core::compliance`]) and the
//! agent's own opt-outs (unsubscribes, hard bounces, complaints heard while a campaign runs,
//! so later batches honour them whatever the queues' order) are checked before every email;
//! every email has the unsubscribe link, the postal address and the RFC 8058 one-click
//! headers; an address is mailed at most once per campaign (its send record).
//!
//! A/B tests ([`abtest`]): the first `test_recipients` are split by a hash of the address;
//! after `wait_hours` the opens (or clicks) decide by a two-proportion z-test, and the rest
//! of the segment gets the winner (or the first variant). Deliverability ([`deliverability`]):
//! bounces and complaints are traced to the campaign last sent to the address; over a
//! threshold the campaign pauses, `ThresholdCrossed` is emitted and a person is mailed, until
//! `EmailCampaignResumed`.

pub mod abtest;
pub mod batches;
pub mod campaign;
pub mod deliverability;
pub mod message;
pub mod segments;
mod settings;
mod signals;

pub use settings::{
    AbMetric, AbTestSettings, DeliverabilitySettings, EmailMarketingConfig, TWIN_UNSUBSCRIBE_URL,
};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::Payload;
use ascent_core::compliance::{UnsubscribeLink, normalise_email};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::Condition;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use segments::{LifecycleStage, Profile};
use serde_json::json;
use sha2::{Digest, Sha256};

pub const NAME: &str = "email-marketing";
/// `gsi1` partition of every profile, sorted by account: the pages campaigns are sent by.
pub const PROFILES: &str = "email-marketing#profiles";
/// `gsi1` partition of campaigns waiting on a time (to start, or to decide their test).
pub const DUE: &str = "email-marketing#due";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Marketing,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "profiles",
                pattern: json!({"detail-type": ["CustomerSignedUp", "HealthScored",
                                                "OnboardingCompleted", "AccountChurned"]}),
            },
            Subscription {
                name: "campaigns",
                pattern: json!({"detail-type": ["EmailCampaignScheduled", "EmailCampaignResumed"]}),
            },
            Subscription {
                name: "batches",
                pattern: json!({"source": ["ascent.agent.email-marketing"], "detail-type": ["EmailBatchDue"]}),
            },
            Subscription {
                name: "responses",
                pattern: json!({"$or": [
                    {"detail-type": ["InteractionRecorded"], "detail": {"payload": {"kind": ["email_opened"]}}},
                    {"detail-type": ["EmailClicked", "EmailBounced"]}
                ]}),
            },
            Subscription {
                name: "opt-outs",
                pattern: json!({"detail-type": ["ContactPreferenceChanged"],
                                "detail": {"payload": {"change": ["unsubscribed", "email_consent_withdrawn"]}}}),
            },
            Subscription {
                name: "hourly-campaigns",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["hourly"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Interaction],
        owns: vec![
            owns(Domain::Customer, "email-profile#").holding(Personal::deleted(
                &["email"],
                &["email"],
                "Mail the account's billing contact the campaigns of its segments",
                // A customer's profile: rewritten only when it changes, so a clock from the
                // last write would drop a quiet customer from every segment.
                Retention::Relationship,
            )),
            owns(Domain::Customer, "email-unsubscribe#").holding(Personal::deleted(
                &["email"],
                &["email"],
                "Let a campaign's recipient unsubscribe through the link in its emails",
                // Written once, at sign-up: the link must work as long as the profile mails.
                Retention::Relationship,
            )),
            // Keyed by the address: kept (pseudonymised) so it is never mailed again.
            owns(Domain::Customer, "email-optout#").holding(Personal::pseudonymised(
                &["evidence"],
                &[],
                "Never mail again an address that unsubscribed, bounced hard or complained",
                Retention::Relationship,
            )),
            owns(Domain::Interaction, "email-campaign#"),
            owns(Domain::Interaction, "email-send#").holding(Personal::deleted(
                &["email"],
                &["email"],
                "Mail an address once per campaign and trace its opens, clicks and bounces",
                Retention::Days("marketing_profiles_days"),
            )),
        ],
        emits: vec![
            "EmailBatchDue",
            "EmailAbTestDecided",
            "EmailCampaignPaused",
            "EmailCampaignCompleted",
            "ThresholdCrossed",
        ],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

pub(crate) fn profile_pk(account: &str) -> String {
    format!("email-profile#{account}")
}

/// Partition key of one of the agent's unsubscribe links (sort key `link`, an
/// [`UnsubscribeLink`]).
pub fn unsubscribe_link_pk(token: &str) -> String {
    format!(
        "{}{token}",
        ascent_core::compliance::UNSUBSCRIBE_LINK_PREFIXES[1]
    )
}

pub(crate) fn optout_pk(email: &str) -> String {
    format!("email-optout#{}", normalise_email(email))
}

pub struct EmailMarketing {
    decl: AgentDecl,
    config: EmailMarketingConfig,
}

impl EmailMarketing {
    pub fn config(&self) -> &EmailMarketingConfig {
        &self.config
    }

    async fn profile(
        &self,
        ctx: &mut Ctx<'_>,
        account: &str,
    ) -> Result<Option<Profile>, AgentError> {
        ctx.get_as(Domain::Customer, &profile_pk(account), "profile")
            .await
    }

    fn save_profile(
        &self,
        ctx: &mut Ctx<'_>,
        p: &Profile,
        previous: Option<u32>,
    ) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Customer,
            &profile_pk(&p.account_id),
            "profile",
            p,
            Some((PROFILES.to_string(), p.account_id.clone())),
            Condition::version(previous),
        )
    }

    /// Changes a known account's profile (an unknown account is not a customer yet).
    async fn update_profile(
        &self,
        ctx: &mut Ctx<'_>,
        account: &str,
        change: impl FnOnce(&mut Profile),
    ) -> Result<(), AgentError> {
        let Some(mut p) = self.profile(ctx, account).await? else {
            return Ok(());
        };
        let before = p.clone();
        change(&mut p);
        if p == before {
            return Ok(());
        }
        let v = p.version;
        p.version += 1;
        self.save_profile(ctx, &p, Some(v))
    }

    async fn on_signup(
        &self,
        ctx: &mut Ctx<'_>,
        c: &ascent_core::catalog::CustomerSignedUp,
    ) -> Result<(), AgentError> {
        if self.profile(ctx, &c.account_id).await?.is_some() {
            return Ok(());
        }
        if ascent_core::contact::check_email(&c.billing_email).is_err() {
            return Err(AgentError::Invalid(format!(
                "`billing_email` of {} is not an address",
                c.account_id
            )));
        }
        // A secret per address, from the sign-up's own id: the same on a redelivery.
        let token = {
            let digest = Sha256::digest(format!(
                "email-marketing|unsubscribe|{}|{}",
                ctx.cause().detail.event_id,
                normalise_email(&c.billing_email)
            ));
            hex::encode(&digest[..16])
        };
        let p = Profile::of_signup(c, token);
        ctx.put_record(
            Domain::Customer,
            &unsubscribe_link_pk(&p.unsubscribe_token),
            "link",
            &UnsubscribeLink {
                email: p.email.clone(),
                lead_id: p.account_id.clone(),
            },
            None,
            Condition::Always,
        )?;
        self.save_profile(ctx, &p, None)
    }
}

#[async_trait]
impl Agent for EmailMarketing {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::CustomerSignedUp(c) => self.on_signup(ctx, c).await,
            Payload::HealthScored(h) => {
                let tier = h.tier;
                self.update_profile(ctx, &h.account_id, |p| p.tier = Some(tier))
                    .await
            }
            Payload::OnboardingCompleted(o) => {
                self.update_profile(ctx, &o.account_id, |p| {
                    if p.stage == LifecycleStage::Onboarding {
                        p.stage = LifecycleStage::Active;
                    }
                })
                .await
            }
            Payload::AccountChurned(c) => {
                self.update_profile(ctx, &c.account_id, |p| p.stage = LifecycleStage::Churned)
                    .await
            }
            Payload::EmailCampaignScheduled(s) => self.on_scheduled(ctx, s).await,
            Payload::EmailCampaignResumed(r) => self.on_resumed(ctx, r).await,
            Payload::EmailBatchDue(b) => self.on_batch(ctx, b).await,
            Payload::InteractionRecorded(i) => {
                self.on_response(ctx, &i.email, i.occurred_at, signals::Response::Open)
                    .await
            }
            Payload::EmailClicked(c) => {
                self.on_response(ctx, &c.email, c.clicked_at, signals::Response::Click)
                    .await
            }
            Payload::EmailBounced(b) => self.on_bounce(ctx, b).await,
            Payload::ContactPreferenceChanged(p) => self.on_opt_out(ctx, p),
            Payload::ScheduleTick(t) => self.on_hourly(ctx, t).await,
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
