//! # Outreach agent
//!
//! Keeps the contact details of every new lead (`LeadCreated`) and, when the Sales Director
//! assigns a lead to a rep (`LeadAssigned`), enrolls it in a [`sequence`]: emails sent in the
//! rep's name, LinkedIn and call tasks for the rep, each after a wait. The daily schedule
//! hands every due enrollment its own `OutreachStepDue` event, so each step is a unit of work
//! of its own (one bad enrollment never holds up the others).
//!
//! A sequence stops on a reply (`InteractionRecorded` `email_replied`), a booked meeting
//! (`DemoScheduled`), an unsubscribe (`ContactPreferenceChanged`) or a bounce
//! (`EmailBounced`), and after its last step.
//!
//! Text comes from the [`TextWriter`] port (templates locally; Bedrock on AWS behind a
//! setting); the compliance footer is added after it, so no writer can drop it.
//! - CAN-SPAM: every email carries an unsubscribe link and the sender's postal address;
//!   unsubscribed and hard-bounced addresses join the shared suppression list
//!   ([`ascent_core::compliance`]), checked before every email.
//! - TCPA: a call task is only created with consent of the required kind for the number,
//!   never for a number on our do-not-call list or (without written consent) the national
//!   registry, and only in a window every zone of the callee allows, on a calling day, within
//!   the per-number cap and the state's rules ([`calls`]); otherwise the call step is skipped
//!   with the reason.

pub mod calls;
pub mod consent;
mod decl;
pub mod sequence;
mod settings;
mod signals;
mod steps;

pub use decl::declaration;
pub use settings::TWIN_UNSUBSCRIBE_URL;

use ascent_core::agent::{Agent, AgentDecl, AgentError, Domain};
use ascent_core::catalog::{
    BounceKind, ContactPreference, ContactPreferenceChanged, EmailBounced, InteractionKind,
    LeadAssigned, LeadCreated, OutreachChannel, OutreachStepDue, OutreachStepTaken,
    OutreachStopReason, OutreachStopped, Payload, ScheduleTick, StepOutcome,
};
use ascent_core::compliance::{self, ListEntry, UnsubscribeLink, unsubscribe_pk};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Mail, MailHeader, Query, SortKey};
use ascent_core::writer::{Brief, TemplateWriter, TextWriter};
use async_trait::async_trait;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use chrono_tz::Tz;
use sequence::Sequence;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const NAME: &str = "outreach";
/// `gsi1` partition of active enrollments, sorted by when their next step is due.
pub const DUE: &str = "outreach#due";

/// Outreach's settings: `[outreach]`, `[company]` and `[links]` of `ascent.toml` (see
/// `settings`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutreachConfig {
    pub sequence: Sequence,
    /// Who may be emailed and what each email must say (`[outreach.email]`).
    pub email: consent::EmailSettings,
    /// The company named in the footer.
    pub company: String,
    /// The sender's physical postal address, in every email (CAN-SPAM).
    pub postal_address: String,
    /// Base of the unsubscribe links (`<base>/<token>`): the twin's or the approval API's
    /// `/unsubscribe` page.
    pub unsubscribe_url: String,
    /// Due steps one daily tick hands out at most (the rest the next day).
    pub max_due_per_tick: usize,
    /// Who may be called and when (`[outreach.calls]`).
    pub calls: calls::CallSettings,
}

/// What Outreach keeps about a lead (`outreach-contact#<email>` / `contact`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub lead_id: String,
    pub email: String,
    pub full_name: String,
    pub company: String,
    pub industry: String,
    pub role: String,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub time_zone: Option<String>,
    /// Where the lead came from (`LeadCreated.channel`): whether it asked us.
    #[serde(default)]
    pub channel: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum EnrollmentState {
    Active,
    Stopped { reason: OutreachStopReason },
}

/// A lead's run through a sequence (`outreach#<lead id>` / `enrollment`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    pub lead_id: String,
    pub email: String,
    pub rep: String,
    pub sequence: String,
    /// 1-based step to take next.
    pub next_step: u32,
    pub next_due: DateTime<Utc>,
    pub steps_taken: u32,
    pub state: EnrollmentState,
    /// Secret of the unsubscribe link (`unsubscribe#<token>` points back to the address).
    pub unsubscribe_token: String,
    pub version: u32,
}

/// A later lead of an address already known (`outreach-duplicate#<lead id>` / `duplicate`).
fn duplicate_pk(lead_id: &str) -> String {
    format!("outreach-duplicate#{lead_id}")
}

/// A lead's recorded consent to commercial email (`email-consent#<email>` / `consent`).
fn email_consent_pk(email: &str) -> String {
    format!("email-consent#{}", compliance::normalise_email(email))
}

/// A customer's address from a sale (`existing-customer#<email>` / `customer`).
fn customer_pk(email: &str) -> String {
    format!("existing-customer#{}", compliance::normalise_email(email))
}
fn contact_pk(email: &str) -> String {
    format!("outreach-contact#{}", compliance::normalise_email(email))
}
fn enrollment_pk(lead_id: &str) -> String {
    format!("outreach#{lead_id}")
}
fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// "dario.rep@ascent-xr.example" → "Dario".
fn rep_name(rep: &str) -> String {
    let local = rep.split(['@', '.']).next().unwrap_or(rep);
    let mut c = local.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub struct Outreach {
    decl: AgentDecl,
    config: OutreachConfig,
    writer: Arc<dyn TextWriter>,
}

impl Default for Outreach {
    fn default() -> Self {
        Self::new(OutreachConfig::default(), Arc::new(TemplateWriter))
    }
}

impl Outreach {
    pub fn new(config: OutreachConfig, writer: Arc<dyn TextWriter>) -> Self {
        Self {
            decl: declaration(),
            config,
            writer,
        }
    }

    async fn contact(&self, ctx: &mut Ctx<'_>, email: &str) -> Result<Option<Contact>, AgentError> {
        ctx.get_as(Domain::Customer, &contact_pk(email), "contact")
            .await
    }

    async fn enrollment(
        &self,
        ctx: &mut Ctx<'_>,
        lead_id: &str,
    ) -> Result<Option<Enrollment>, AgentError> {
        ctx.get_as(Domain::Customer, &enrollment_pk(lead_id), "enrollment")
            .await
    }

    /// Saves an enrollment; `previous` is the version read (`None` for a new one).
    fn save(
        &self,
        ctx: &mut Ctx<'_>,
        e: &Enrollment,
        previous: Option<u32>,
    ) -> Result<(), AgentError> {
        let index = matches!(e.state, EnrollmentState::Active).then(|| {
            (
                DUE.to_string(),
                format!("{}#{}", stamp(e.next_due), e.lead_id),
            )
        });
        let condition = Condition::version(previous);
        ctx.put_record(
            Domain::Customer,
            &enrollment_pk(&e.lead_id),
            "enrollment",
            e,
            index,
            condition,
        )
    }

    async fn on_lead(&self, ctx: &mut Ctx<'_>, l: &LeadCreated) -> Result<(), AgentError> {
        if !l.email.contains('@') {
            return Err(AgentError::Invalid(format!(
                "lead {}: field `email` is not an email address",
                l.lead_id
            )));
        }
        if let Some(zone) = &l.time_zone {
            zone.parse::<Tz>().map_err(|_| {
                AgentError::Invalid(format!(
                    "lead {}: time_zone `{zone}` is not an IANA time zone",
                    l.lead_id
                ))
            })?;
        }
        if let Some(first) = self.contact(ctx, &l.email).await? {
            // The first lead of an address keeps it; a later one is recorded as its duplicate,
            // so assigning it stops with that reason instead of waiting for a contact forever.
            if first.lead_id == l.lead_id {
                return Ok(());
            }
            return ctx.put_record(
                Domain::Customer,
                &duplicate_pk(&l.lead_id),
                "duplicate",
                &json!({"duplicate_of": first.lead_id, "email": first.email}),
                None,
                Condition::Always,
            );
        }
        let contact = Contact {
            lead_id: l.lead_id.clone(),
            email: compliance::normalise_email(&l.email),
            full_name: l.full_name.trim().to_string(),
            company: l.company.trim().to_string(),
            industry: l.industry.trim().to_string(),
            role: l.role.trim().to_string(),
            country: l.country.clone(),
            phone: l.phone.as_deref().map(compliance::normalise_phone),
            time_zone: l.time_zone.clone(),
            channel: Some(l.channel.clone()),
        };
        ctx.put_record(
            Domain::Customer,
            &contact_pk(&l.email),
            "contact",
            &contact,
            Some((format!("outreach-lead#{}", l.lead_id), "contact".into())),
            Condition::NotExists,
        )
    }

    async fn contact_of_lead(
        &self,
        ctx: &mut Ctx<'_>,
        lead_id: &str,
    ) -> Result<Option<Contact>, AgentError> {
        let q = Query::gsi1(format!("outreach-lead#{lead_id}")).limit(1);
        Ok(ctx.query_as(Domain::Customer, &q).await?.pop())
    }

    async fn on_assigned(&self, ctx: &mut Ctx<'_>, a: &LeadAssigned) -> Result<(), AgentError> {
        if self.enrollment(ctx, &a.lead_id).await?.is_some() {
            return Ok(()); // enrolled once, even if reassigned
        }
        if ctx
            .get(Domain::Customer, &duplicate_pk(&a.lead_id), "duplicate")
            .await?
            .is_some()
        {
            return ctx.emit(OutreachStopped {
                lead_id: a.lead_id.clone(),
                sequence: self.config.sequence.name.clone(),
                reason: OutreachStopReason::Duplicate,
                steps_taken: 0,
            });
        }
        let Some(contact) = self.contact_of_lead(ctx, &a.lead_id).await? else {
            // The LeadCreated may still be on its way (queues do not keep order): retried.
            return Err(AgentError::Transient(format!(
                "lead {} is not known to outreach yet",
                a.lead_id
            )));
        };
        let now = ctx.now();
        let token = {
            let digest = Sha256::digest(format!("unsubscribe|{}", ctx.cause().detail.event_id));
            hex::encode(&digest[..16])
        };
        let mut e = Enrollment {
            lead_id: a.lead_id.clone(),
            email: contact.email.clone(),
            rep: a.rep.clone(),
            sequence: self.config.sequence.name.clone(),
            next_step: 1,
            next_due: now,
            steps_taken: 0,
            state: EnrollmentState::Active,
            unsubscribe_token: token.clone(),
            version: 0,
        };
        if compliance::is_suppressed(ctx, &contact.email).await? {
            e.state = EnrollmentState::Stopped {
                reason: OutreachStopReason::Suppressed,
            };
            self.save(ctx, &e, None)?;
            return ctx.emit(OutreachStopped {
                lead_id: e.lead_id,
                sequence: e.sequence,
                reason: OutreachStopReason::Suppressed,
                steps_taken: 0,
            });
        }
        ctx.put_record(
            Domain::Customer,
            &unsubscribe_pk(&token),
            "link",
            &UnsubscribeLink {
                email: contact.email.clone(),
                lead_id: a.lead_id.clone(),
            },
            None,
            Condition::NotExists,
        )?;
        self.take_step(ctx, e, None, &contact).await
    }

    /// The daily schedule: one `OutreachStepDue` per enrollment whose step is due.
    ///
    /// Bounded by fanning out, paged: the run writes nothing and emits one event per due
    /// enrollment, at most `max_due_per_tick` (refused above [`MAX_DUE_PER_TICK`], whose
    /// events fit the idempotency record's 400 KB); each step is then taken by its own message, and what is still due
    /// waits for the next run.
    async fn on_daily(&self, ctx: &mut Ctx<'_>, t: &ScheduleTick) -> Result<(), AgentError> {
        let q = Query::gsi1(DUE)
            .sort(SortKey::AtMost(format!("{}~", stamp(t.at))))
            .limit(self.config.max_due_per_tick);
        for e in ctx.query_as::<Enrollment>(Domain::Customer, &q).await? {
            ctx.emit(OutreachStepDue {
                lead_id: e.lead_id,
                step: e.next_step,
                due_at: e.next_due,
            })?;
        }
        Ok(())
    }

    async fn on_due(&self, ctx: &mut Ctx<'_>, d: &OutreachStepDue) -> Result<(), AgentError> {
        let Some(e) = self.enrollment(ctx, &d.lead_id).await? else {
            return Err(AgentError::Invalid(format!(
                "step due for {}, which has no enrollment",
                d.lead_id
            )));
        };
        if e.state != EnrollmentState::Active || e.next_step != d.step {
            return Ok(()); // stopped meanwhile, or this step was taken already
        }
        let Some(contact) = self.contact(ctx, &e.email).await? else {
            return Err(AgentError::Invalid(format!(
                "enrollment of {} has no contact record",
                e.lead_id
            )));
        };
        let v = e.version;
        self.take_step(ctx, e, Some(v), &contact).await
    }
}

/// The most `OutreachStepDue` events one run may emit: about 450 bytes each, they ride in
/// the run's idempotency record (DynamoDB's 400 KB an item), with room to spare.
pub const MAX_DUE_PER_TICK: usize = 500;

#[async_trait]
impl Agent for Outreach {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::LeadCreated(l) => self.on_lead(ctx, l).await,
            Payload::LeadAssigned(a) => self.on_assigned(ctx, a).await,
            Payload::InteractionRecorded(i) if i.kind == InteractionKind::EmailReplied => {
                self.on_reply(ctx, i).await
            }
            Payload::InteractionRecorded(_) => Ok(()), // only replies stop a sequence
            Payload::DemoScheduled(d) => {
                self.stop_for(ctx, &d.prospect_email, OutreachStopReason::MeetingBooked)
                    .await
            }
            Payload::ContactPreferenceChanged(p) => self.on_preference(ctx, p).await,
            Payload::CustomerSignedUp(c) => self.on_customer(ctx, c),
            Payload::EmailBounced(b) => self.on_bounce(ctx, b).await,
            Payload::OutreachStepDue(d) => self.on_due(ctx, d).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_privacy;
