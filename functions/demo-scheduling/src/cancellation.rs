//! A cancelled demo: its holds given back, the prospect told (with a `METHOD:CANCEL`
//! calendar update) or the demo booked again at the next free slot.

use crate::{Demo, DemoScheduling, DemoStatus, NAME, earliest_start, invite, slots, stamp};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::DemoCancelled;
use ascent_core::context::Ctx;
use ascent_core::ports::Mail;
use chrono_tz::Tz;

impl DemoScheduling {
    pub(crate) async fn on_cancelled(
        &self,
        ctx: &mut Ctx<'_>,
        c: &DemoCancelled,
    ) -> Result<(), AgentError> {
        let Some(mut demo) = ctx
            .get_as::<Demo>(Domain::Customer, &format!("demo#{}", c.demo_id), "demo")
            .await?
        else {
            return Err(AgentError::Invalid(format!(
                "demo {} does not exist",
                c.demo_id
            )));
        };
        if demo.status == DemoStatus::Cancelled {
            return Ok(());
        }
        demo.status = DemoStatus::Cancelled;
        let sk = format!("{}#{}", stamp(demo.slot.start), demo.demo_id);
        ctx.delete(
            Domain::Customer,
            &format!("calendar#{}", demo.request.rep.to_lowercase()),
            &sk,
        )?;
        ctx.delete(Domain::Customer, "resource#headset", &sk)?;
        ctx.delete(Domain::Customer, "resource#sandbox", &sk)?;
        self.save(ctx, &demo)?;
        let r = demo.request.clone();
        if !c.reschedule {
            // The prospect is told whoever cancelled, and the event leaves their calendar.
            let link = self.meeting_link(&r.request_id);
            let summary = format!("{} demo with {}", self.config.company, r.rep);
            let cancel = invite::Invite {
                uid: format!("{}@{}", r.request_id, NAME),
                sequence: demo.attempt + 1,
                start: demo.slot.start,
                end: demo.slot.end,
                summary: &summary,
                description: "Cancelled",
                url: &link,
                organizer: &r.rep,
                attendee: &r.prospect_email,
                attendee_name: &r.prospect_name,
                stamp: ctx.now(),
            };
            let zone: Tz = r.prospect_time_zone.parse().unwrap_or(chrono_tz::UTC);
            let when = slots::local_label(demo.slot.start, zone);
            let by = if c.cancelled_by == "prospect" {
                "as you asked".to_string()
            } else {
                format!("by {}, with our apologies", r.rep)
            };
            ctx.send_mail(Mail {
                to: r.prospect_email.clone(),
                subject: format!("Your {} demo on {when} is cancelled", self.config.company),
                text: format!(
                    "Hello {},\n\nyour demo on {when} is cancelled ({by}). Reply to this \
                     email and we will find another time.\n",
                    r.prospect_name
                ),
                attachments: vec![invite::attachment(invite::Method::Cancel, &cancel)],
                ..Default::default()
            })?;
            return ctx.send_mail(Mail {
                to: r.rep.clone(),
                subject: format!("Demo with {} cancelled", r.prospect_name),
                text: format!("Cancelled by the {}: {}\n", c.cancelled_by, c.reason),
                html: None,
                ..Default::default()
            });
        }
        // The next free slot, after the cancelled one when the cancellation is last-minute, and
        // with time to ship the headsets again.
        let from = earliest_start(ctx.now(), r.headsets, &self.config).max(demo.slot.end);
        if self
            .book(ctx, &r, demo.attempt + 1, from, Some(demo.demo_id.clone()))
            .await?
            .is_none()
        {
            self.no_slot(ctx, &r)?;
        }
        Ok(())
    }
}
