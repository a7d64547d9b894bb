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
pub mod sequence;
mod settings;

pub use settings::TWIN_UNSUBSCRIBE_URL;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
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

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "leads",
                pattern: json!({"detail-type": ["LeadCreated", "LeadAssigned"]}),
            },
            Subscription {
                name: "stop-signals",
                pattern: json!({"detail-type": ["DemoScheduled", "ContactPreferenceChanged", "EmailBounced"]}),
            },
            Subscription {
                name: "replies",
                pattern: json!({"detail-type": ["InteractionRecorded"], "detail": {"payload": {"kind": ["email_replied"]}}}),
            },
            Subscription {
                name: "steps-due",
                pattern: json!({"source": ["ascent.agent.outreach"], "detail-type": ["OutreachStepDue"]}),
            },
            Subscription {
                name: "daily-steps",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Interaction],
        owns: vec![
            owns(Domain::Customer, "outreach#"),
            owns(Domain::Customer, "outreach-contact#"),
            owns(Domain::Customer, "unsubscribe#"),
            owns(Domain::Customer, "suppression#"),
            owns(Domain::Customer, "call-consent#"),
            owns(Domain::Customer, "email-consent#"),
            owns(Domain::Customer, "outreach-duplicate#"),
            owns(Domain::Customer, "do-not-call#"),
            owns(Domain::Customer, "call-task#"),
            owns(Domain::Interaction, "touch#"),
        ],
        emits: vec!["OutreachStepTaken", "OutreachStopped", "OutreachStepDue"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: true,
    }
}

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

    fn facts(&self, c: &Contact, rep: &str) -> BTreeMap<String, String> {
        let first = c.full_name.split_whitespace().next().unwrap_or("there");
        [
            ("first_name", first),
            ("full_name", &c.full_name),
            ("company", &c.company),
            ("industry", &c.industry),
            ("role", &c.role),
            ("rep_name", &rep_name(rep)),
            ("rep_email", rep),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Takes the enrollment's next step, records the touch, and moves on (or finishes).
    async fn take_step(
        &self,
        ctx: &mut Ctx<'_>,
        mut e: Enrollment,
        previous: Option<u32>,
        contact: &Contact,
    ) -> Result<(), AgentError> {
        let now = ctx.now();
        let Some(step) = self.config.sequence.step(e.next_step).cloned() else {
            return Err(AgentError::Invalid(format!(
                "enrollment of {} is at step {}, which sequence {} does not have",
                e.lead_id, e.next_step, e.sequence
            )));
        };
        let brief = Brief {
            purpose: step.purpose.clone(),
            subject_template: step.subject.clone(),
            body_template: step.body.clone(),
            facts: self.facts(contact, &e.rep),
        };
        // A writer that fails (Bedrock throttled, an answer refused) never stops the sequence:
        // the template writes the text instead, and the touch says so.
        let draft = match self.writer.write(&brief).await {
            Ok(d) => d,
            Err(err) => {
                let mut d = TemplateWriter.write(&brief).await.map_err(|bad| {
                    AgentError::Invalid(format!(
                        "sequence {} step {}: {bad}",
                        e.sequence, e.next_step
                    ))
                })?;
                d.written_by = format!("template (writer failed: {err})");
                d
            }
        };
        let mut taken = OutreachStepTaken {
            lead_id: e.lead_id.clone(),
            sequence: e.sequence.clone(),
            step: e.next_step,
            channel: step.channel,
            outcome: StepOutcome::Sent,
            rep: e.rep.clone(),
            summary: draft.subject.clone(),
            window_start: None,
            window_end: None,
            note: None,
            written_by: Some(draft.written_by.clone()),
        };
        match step.channel {
            OutreachChannel::Email => {
                if compliance::is_suppressed(ctx, &e.email).await? {
                    return self.stop(ctx, e, previous, OutreachStopReason::Unsubscribed);
                }
                let consented = ctx
                    .get(Domain::Customer, &email_consent_pk(&e.email), "consent")
                    .await?
                    .is_some();
                match consent::may_email(
                    &self.config.email,
                    contact.channel.as_deref(),
                    contact.country.as_deref(),
                    consented,
                ) {
                    consent::Permission::Hold(reason) => {
                        taken.outcome = StepOutcome::Skipped;
                        taken.note = Some(reason);
                    }
                    consent::Permission::Send(disclosure) => {
                        let link =
                            format!("{}/{}", self.config.unsubscribe_url, e.unsubscribe_token);
                        let footer = consent::footer(
                            disclosure,
                            &self.config.company,
                            &self.config.postal_address,
                            &link,
                        );
                        ctx.send_mail(Mail {
                            to: e.email.clone(),
                            subject: draft.subject.clone(),
                            text: format!("{}{footer}", draft.body.trim_end()),
                            // RFC 2369 and RFC 8058: the mailbox's own unsubscribe button,
                            // one click, no page (the link's POST unsubscribes at once).
                            headers: vec![
                                MailHeader::new("List-Unsubscribe", format!("<{link}>")),
                                MailHeader::new(
                                    "List-Unsubscribe-Post",
                                    "List-Unsubscribe=One-Click",
                                ),
                            ],
                            ..Default::default()
                        })?;
                    }
                }
            }
            OutreachChannel::Call => match self.call_window(ctx, contact, now).await? {
                Ok((w, zone)) => {
                    let phone = contact.phone.as_deref().unwrap_or_default();
                    self.record_call_task(ctx, phone, &e.lead_id, w)?;
                    taken.outcome = StepOutcome::TaskCreated;
                    taken.window_start = Some(w.start);
                    taken.window_end = Some(w.end);
                    let local =
                        |t: DateTime<Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z");
                    ctx.send_mail(Mail {
                        to: e.rep.clone(),
                        subject: format!("Call task: {}", draft.subject),
                        text: format!(
                            "{}\nNumber: {}\nCall only between {} and {} (their time: the \
                             stricter of the number's area and where they said they are).\n\n{}\n",
                            draft.subject,
                            phone,
                            local(w.start),
                            local(w.end),
                            draft.body
                        ),
                        html: None,
                        ..Default::default()
                    })?;
                }
                Err(reason) => {
                    taken.outcome = StepOutcome::Skipped;
                    taken.note = Some(reason);
                }
            },
            OutreachChannel::Linkedin => {
                taken.outcome = StepOutcome::TaskCreated;
                ctx.send_mail(Mail {
                    to: e.rep.clone(),
                    subject: format!("LinkedIn task: {}", draft.subject),
                    text: format!("{}\n\n{}\n", draft.subject, draft.body),
                    html: None,
                    ..Default::default()
                })?;
            }
        }
        // Every touch is an interaction of the contact.
        ctx.put_record(
            Domain::Interaction,
            &format!("touch#{}", e.email),
            &format!("{}#{}#{}", stamp(now), e.sequence, e.next_step),
            &taken,
            None,
            Condition::Always,
        )?;
        if taken.outcome != StepOutcome::Skipped {
            e.steps_taken += 1;
        }
        ctx.emit(taken)?;
        e.next_step += 1;
        match self.config.sequence.step(e.next_step) {
            Some(next) => {
                // Waits are calendar days: due from the start of that day (UTC), taken by
                // that day's schedule run.
                e.next_due = (now.date_naive() + Duration::days(next.wait_days))
                    .and_time(chrono::NaiveTime::MIN)
                    .and_utc();
                e.version += 1;
                self.save(ctx, &e, previous)
            }
            None => self.stop(ctx, e, previous, OutreachStopReason::Completed),
        }
    }

    fn stop(
        &self,
        ctx: &mut Ctx<'_>,
        mut e: Enrollment,
        previous: Option<u32>,
        reason: OutreachStopReason,
    ) -> Result<(), AgentError> {
        e.state = EnrollmentState::Stopped { reason };
        e.version += 1;
        self.save(ctx, &e, previous)?;
        ctx.emit(OutreachStopped {
            lead_id: e.lead_id,
            sequence: e.sequence,
            reason,
            steps_taken: e.steps_taken,
        })
    }

    /// Stops the active enrollment of an address, if it has one.
    async fn stop_for(
        &self,
        ctx: &mut Ctx<'_>,
        email: &str,
        reason: OutreachStopReason,
    ) -> Result<(), AgentError> {
        let Some(contact) = self.contact(ctx, email).await? else {
            return Ok(()); // not someone outreach writes to
        };
        match self.enrollment(ctx, &contact.lead_id).await? {
            Some(e) if e.state == EnrollmentState::Active => {
                let v = e.version;
                self.stop(ctx, e, Some(v), reason)
            }
            _ => Ok(()),
        }
    }

    async fn on_preference(
        &self,
        ctx: &mut Ctx<'_>,
        p: &ContactPreferenceChanged,
    ) -> Result<(), AgentError> {
        let entry = ListEntry {
            reason: format!("{:?}", p.change).to_lowercase(),
            evidence: p.evidence.clone(),
            since: ctx.cause().time,
        };
        let phone = match (&p.phone, p.change) {
            (
                _,
                ContactPreference::Unsubscribed
                | ContactPreference::EmailConsentGiven
                | ContactPreference::EmailConsentWithdrawn,
            ) => None,
            (Some(phone), _) => Some(phone.clone()),
            (None, _) => Some(
                self.contact(ctx, &p.email)
                    .await?
                    .and_then(|c| c.phone)
                    .ok_or_else(|| {
                        AgentError::Invalid(format!(
                            "{:?} names no phone number and no lead of its address has one",
                            p.change
                        ))
                    })?,
            ),
        };
        match (p.change, phone) {
            (ContactPreference::Unsubscribed, _) => {
                compliance::suppress(ctx, &p.email, &entry)?;
                self.stop_for(ctx, &p.email, OutreachStopReason::Unsubscribed)
                    .await
            }
            (ContactPreference::EmailConsentGiven, _) => ctx.put_record(
                Domain::Customer,
                &email_consent_pk(&p.email),
                "consent",
                &entry,
                None,
                Condition::Always,
            ),
            (ContactPreference::EmailConsentWithdrawn, _) => {
                ctx.delete(Domain::Customer, &email_consent_pk(&p.email), "consent")?;
                compliance::suppress(ctx, &p.email, &entry)?;
                self.stop_for(ctx, &p.email, OutreachStopReason::Unsubscribed)
                    .await
            }
            (ContactPreference::CallConsentGiven, Some(phone)) => {
                // The event's checks made sure a consent with its evidence is there.
                let c = p.consent.as_ref().ok_or_else(|| {
                    AgentError::Invalid("call_consent_given without `consent`".into())
                })?;
                let record = compliance::CallConsentRecord {
                    kind: Some(c.kind),
                    evidence: p.evidence.clone(),
                    given_at: Some(c.given_at),
                    disclosure: c.disclosure.clone(),
                    signature: c.signature.clone(),
                    recording: c.recording.clone(),
                    since: entry.since,
                };
                compliance::set_call_consent(ctx, &phone, Some(&record))
            }
            (ContactPreference::CallConsentWithdrawn, Some(phone)) => {
                compliance::set_call_consent(ctx, &phone, None)
            }
            (ContactPreference::DoNotCall, Some(phone)) => {
                compliance::add_do_not_call(ctx, &phone, &entry)
            }
            (_, None) => unreachable!("every phone change has a number by now"),
        }
    }

    async fn on_bounce(&self, ctx: &mut Ctx<'_>, b: &EmailBounced) -> Result<(), AgentError> {
        let reason = match b.bounce {
            BounceKind::Hard => Some("hard bounce"),
            BounceKind::Complaint => Some("spam complaint"),
            BounceKind::Soft => None,
        };
        if let Some(reason) = reason {
            compliance::suppress(
                ctx,
                &b.email,
                &ListEntry {
                    reason: reason.into(),
                    evidence: b.diagnostic.clone(),
                    since: ctx.cause().time,
                },
            )?;
        }
        let stop = match b.bounce {
            BounceKind::Complaint => OutreachStopReason::Unsubscribed,
            _ => OutreachStopReason::Bounced,
        };
        self.stop_for(ctx, &b.email, stop).await
    }

    /// A reply: one that asks to stop is an opt-out (the address joins the suppression list
    /// within the run); any reply stops the sequence (a person takes over).
    async fn on_reply(
        &self,
        ctx: &mut Ctx<'_>,
        i: &ascent_core::catalog::InteractionRecorded,
    ) -> Result<(), AgentError> {
        let text = i.text.as_deref().unwrap_or_default();
        if consent::asks_to_stop(text, &self.config.email.stop_phrases) {
            compliance::suppress(
                ctx,
                &i.email,
                &ListEntry {
                    reason: "reply asked to stop".into(),
                    evidence: format!("reply {}", i.interaction_id),
                    since: ctx.cause().time,
                },
            )?;
            return self
                .stop_for(ctx, &i.email, OutreachStopReason::Unsubscribed)
                .await;
        }
        self.stop_for(ctx, &i.email, OutreachStopReason::Replied)
            .await
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
            Payload::EmailBounced(b) => self.on_bounce(ctx, b).await,
            Payload::OutreachStepDue(d) => self.on_due(ctx, d).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
