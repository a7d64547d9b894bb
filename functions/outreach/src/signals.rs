//! Stop signals: contact preferences (unsubscribes, email and call consent, do-not-call
//! entries), bounces and complaints, replies (an opt-out in the text suppresses the address);
//! each stops the address's active sequence with its reason.

use crate::*;

impl Outreach {
    pub(crate) fn stop(
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
    pub(crate) async fn stop_for(
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

    pub(crate) async fn on_preference(
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

    pub(crate) async fn on_bounce(
        &self,
        ctx: &mut Ctx<'_>,
        b: &EmailBounced,
    ) -> Result<(), AgentError> {
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
    pub(crate) async fn on_reply(
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

    /// A new customer: its billing address came from a sale (UWG §7(3) no. 1).
    pub(crate) fn on_customer(
        &self,
        ctx: &mut Ctx<'_>,
        c: &ascent_core::catalog::CustomerSignedUp,
    ) -> Result<(), AgentError> {
        let since = ctx.cause().time;
        ctx.put_record(
            Domain::Customer,
            &customer_pk(&c.billing_email),
            "customer",
            &json!({"account_id": c.account_id, "since": since}),
            None,
            Condition::Always,
        )
    }
}
