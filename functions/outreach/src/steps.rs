//! Taking a sequence step: the writer's draft, then the email (with the footer and the
//! unsubscribe headers the law asks for), the call task (in the window [`crate::calls`]
//! allows) or the LinkedIn task; the touch recorded, the next step scheduled or the sequence
//! finished.

use crate::*;

impl Outreach {
    pub(crate) fn facts(&self, c: &Contact, rep: &str) -> BTreeMap<String, String> {
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
    pub(crate) async fn take_step(
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
                let customer = ctx
                    .get(Domain::Customer, &customer_pk(&e.email), "customer")
                    .await?
                    .is_some();
                match consent::may_email(
                    &self.config.email,
                    contact.channel.as_deref(),
                    contact.country.as_deref(),
                    consented,
                    customer,
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
}
