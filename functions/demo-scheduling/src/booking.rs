//! Booking a demo: the rep's hours, the holds on the rep's calendar and the resource pools,
//! the first free slot ([`crate::slots`]), the invitation to the prospect (with its `.ics`)
//! and the notes to the rep, and the demo record itself.

use crate::slots::{Hours, Interval, Search};
use crate::{
    Demo, DemoConfig, DemoScheduling, DemoStatus, Hold, NAME, UPCOMING, invite, slots, stamp,
};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{DemoRequested, DemoScheduled, ExceptionRaised, Severity};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::json;

/// The earliest start a demo booked at `now` may have: `min_lead_hours` ahead, and when it
/// needs headsets, which go to the prospect by courier, not before they can be there
/// (`headset_ship_days` ahead): the headsets are held from `headset_ship_days` before the
/// demo, and that hold may not begin in the past.
pub fn earliest_start(now: DateTime<Utc>, headsets: u32, config: &DemoConfig) -> DateTime<Utc> {
    let lead = now + Duration::hours(config.min_lead_hours);
    if headsets == 0 {
        return lead;
    }
    lead.max(now + Duration::days(config.headset_ship_days))
}

impl DemoScheduling {
    pub(crate) fn rep_hours(&self, rep: &str) -> Result<Hours, AgentError> {
        let h = self
            .config
            .reps
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(rep))
            .map_or(&self.config.default_rep_hours, |(_, h)| h);
        Ok(Hours {
            zone: h.time_zone.parse::<Tz>().map_err(|_| {
                AgentError::Invalid(format!("rep {rep}: `{}` is not a time zone", h.time_zone))
            })?,
            from: h.from,
            to: h.to,
        })
    }

    pub(crate) async fn holds(
        &self,
        ctx: &mut Ctx<'_>,
        pk: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Hold>, AgentError> {
        // A hold starting up to a day before the window can still overlap it.
        let q = Query::table(pk).sort(SortKey::Between(
            stamp(from - Duration::days(1)),
            format!("{}~", stamp(until)),
        ));
        ctx.query_as(Domain::Customer, &q).await
    }

    /// Books the first free slot from `from`; `None` when nothing fits in the search window.
    pub(crate) async fn book(
        &self,
        ctx: &mut Ctx<'_>,
        r: &DemoRequested,
        attempt: u32,
        from: DateTime<Utc>,
        rescheduled_from: Option<String>,
    ) -> Result<Option<Demo>, AgentError> {
        let prospect_zone: Tz = r.prospect_time_zone.parse().map_err(|_| {
            AgentError::Invalid(format!("`{}` is not a time zone", r.prospect_time_zone))
        })?;
        let rep = self.rep_hours(&r.rep)?;
        let prospect = Hours {
            zone: prospect_zone,
            from: self.config.prospect_from,
            to: self.config.prospect_to,
        };
        let until = from + Duration::days(self.config.search_days);
        let rep_pk = format!("calendar#{}", r.rep.to_lowercase());
        // Earlier bookings of this same request are being released: they do not count.
        let own = format!("demo-{}-", r.request_id);
        let busy: Vec<Interval> = self
            .holds(ctx, &rep_pk, from, until)
            .await?
            .into_iter()
            .filter(|h| !h.demo_id.starts_with(&own))
            .map(|h| h.slot)
            .collect();
        let ship = Duration::days(self.config.headset_ship_days);
        let back = Duration::days(self.config.headset_return_days);
        let mut headsets = if r.headsets > 0 {
            // A demo starting up to the return time before the window, or up to the shipping
            // time after it, still holds headsets in it.
            self.holds(ctx, "resource#headset", from - back, until + ship)
                .await?
        } else {
            Vec::new()
        };
        let mut sandboxes = if r.sandbox {
            self.holds(ctx, "resource#sandbox", from, until).await?
        } else {
            Vec::new()
        };
        headsets.retain(|h| !h.demo_id.starts_with(&own));
        sandboxes.retain(|h| !h.demo_id.starts_with(&own));
        if r.headsets > self.config.headsets {
            return Err(AgentError::Invalid(format!(
                "request {} needs {} headsets; the pool has {}",
                r.request_id, r.headsets, self.config.headsets
            )));
        }
        let in_use = |holds: &[Hold], i: &Interval| -> u32 {
            holds
                .iter()
                .filter(|h| h.slot.overlaps(i))
                .map(|h| h.units)
                .sum()
        };
        let search = Search {
            from,
            until,
            step: Duration::minutes(self.config.step_minutes),
            length: Duration::minutes(r.duration_minutes as i64),
            buffer: Duration::minutes(self.config.buffer_minutes),
            rep: &rep,
            prospect: &prospect,
            busy: &busy,
        };
        let Some(slot) = slots::first_free(&search, |i| {
            (r.headsets == 0
                || in_use(&headsets, &slots::away(i, ship, back)) + r.headsets
                    <= self.config.headsets)
                && (!r.sandbox || in_use(&sandboxes, i) < self.config.sandboxes)
        }) else {
            return Ok(None);
        };
        let demo_id = format!("demo-{}-{attempt}", r.request_id);
        let sk = format!("{}#{demo_id}", stamp(slot.start));
        let mut resources = Vec::new();
        let hold = |units| Hold {
            demo_id: demo_id.clone(),
            slot,
            units,
        };
        ctx.put_record(
            Domain::Customer,
            &rep_pk,
            &sk,
            &hold(1),
            None,
            Condition::NotExists,
        )?;
        if r.headsets > 0 {
            // Held from shipping out to coming back, not only for the hour of the demo.
            let away = Hold {
                slot: slots::away(&slot, ship, back),
                ..hold(r.headsets)
            };
            ctx.put_record(
                Domain::Customer,
                "resource#headset",
                &sk,
                &away,
                None,
                Condition::NotExists,
            )?;
            resources.push(format!("headset x{}", r.headsets));
        }
        if r.sandbox {
            ctx.put_record(
                Domain::Customer,
                "resource#sandbox",
                &sk,
                &hold(1),
                None,
                Condition::NotExists,
            )?;
            resources.push("sandbox".into());
        }
        let demo = Demo {
            demo_id: demo_id.clone(),
            attempt,
            request: r.clone(),
            slot,
            status: DemoStatus::Scheduled,
            reminded: false,
            resources: resources.clone(),
        };
        self.save(ctx, &demo)?;
        ctx.put_record(
            Domain::Customer,
            &format!("demo-request#{}", r.request_id),
            "current",
            &json!({"demo_id": demo_id, "attempt": attempt}),
            None,
            Condition::Always,
        )?;
        let prospect_local = slots::local_label(slot.start, prospect_zone);
        let rep_local = slots::local_label(slot.start, rep.zone);
        let link = self.meeting_link(&r.request_id);
        let summary = format!("{} demo with {}", self.config.company, r.rep);
        let invite = invite::Invite {
            uid: format!("{}@{}", r.request_id, NAME),
            sequence: attempt,
            start: slot.start,
            end: slot.end,
            summary: &summary,
            description: &format!(
                "Join: {link}\nBefore we meet: {}",
                self.config.prep_material
            ),
            url: &link,
            organizer: &r.rep,
            attendee: &r.prospect_email,
            attendee_name: &r.prospect_name,
            stamp: ctx.now(),
        };
        let (subject, opening) = if attempt > 1 {
            (
                format!(
                    "Your {} demo moved to {prospect_local}",
                    self.config.company
                ),
                format!("your demo with {} has moved to {prospect_local}", r.rep),
            )
        } else {
            (
                format!("Your {} demo: {prospect_local}", self.config.company),
                format!("your demo with {} is booked for {prospect_local}", r.rep),
            )
        };
        ctx.send_mail(Mail {
            to: r.prospect_email.clone(),
            subject,
            text: format!(
                "Hello {},\n\n{opening} ({} minutes).\nJoin: {link}\n\
                 Before we meet: {}\nThe invitation is attached for your calendar.\n",
                r.prospect_name, r.duration_minutes, self.config.prep_material
            ),
            attachments: vec![invite::attachment(invite::Method::Request, &invite)],
            ..Default::default()
        })?;
        let q = &r.qualification;
        ctx.send_mail(Mail {
            to: r.rep.clone(),
            subject: format!("Demo booked with {}: {rep_local}", r.prospect_name),
            text: format!(
                "{} <{}> at {rep_local} (their time {prospect_local}).\nResources: {}\n\
                 Budget: {}\nAuthority: {}\nNeed: {}\nTimeline: {}\n",
                r.prospect_name,
                r.prospect_email,
                if resources.is_empty() {
                    "none".into()
                } else {
                    resources.join(", ")
                },
                q.budget
                    .as_ref()
                    .map_or("unknown".into(), |b| b.to_string()),
                q.authority.map_or("unknown".into(), |a| if a {
                    "yes".into()
                } else {
                    "no".to_string()
                }),
                q.need.as_deref().unwrap_or("unknown"),
                q.timeline_days
                    .map_or("unknown".into(), |d| format!("{d} days")),
            ),
            html: None,
            ..Default::default()
        })?;
        ctx.emit(DemoScheduled {
            demo_id,
            request_id: r.request_id.clone(),
            deal_id: r.deal_id.clone(),
            prospect_email: r.prospect_email.clone(),
            rep: r.rep.clone(),
            starts_at: slot.start,
            ends_at: slot.end,
            prospect_local_start: prospect_local,
            resources,
            rescheduled_from,
        })?;
        Ok(Some(demo))
    }

    pub(crate) fn save(&self, ctx: &mut Ctx<'_>, d: &Demo) -> Result<(), AgentError> {
        let index = (d.status == DemoStatus::Scheduled).then(|| {
            (
                UPCOMING.to_string(),
                format!("{}#{}", stamp(d.slot.start), d.demo_id),
            )
        });
        ctx.put_record(
            Domain::Customer,
            &format!("demo#{}", d.demo_id),
            "demo",
            d,
            index,
            Condition::Always,
        )
    }

    /// The meeting link of a demo request.
    pub(crate) fn meeting_link(&self, request_id: &str) -> String {
        self.config.meeting_url.replace("{request_id}", request_id)
    }

    pub(crate) fn no_slot(&self, ctx: &mut Ctx<'_>, r: &DemoRequested) -> Result<(), AgentError> {
        ctx.emit(ExceptionRaised {
            agent: NAME.into(),
            subject: r.request_id.clone(),
            reason: format!(
                "no slot in the next {} days fits {} ({}), {} and the resources: book by hand",
                self.config.search_days, r.prospect_name, r.prospect_time_zone, r.rep
            ),
            severity: Severity::Medium,
        })
    }
}
