//! # Demo Scheduling agent
//!
//! On `DemoRequested` first qualifies the prospect (budget, authority, need, timeline): an
//! explicit no (authority false, budget below the minimum, timeline beyond the horizon) or
//! two unknowns send the lead back to nurture (`DemoQualificationFailed`, the rep is told).
//! A qualified request gets the first slot ([`slots`]) at least `min_lead_hours` ahead where
//! the prospect (business hours, their time zone) and the rep (working hours, theirs) are
//! free, with buffers around the rep's other demos, and the XR headsets and sandbox
//! environments it needs are free too. The booking holds the rep's calendar and the
//! resources; `DemoScheduled` goes out, the prospect gets the invitation in their local time
//! with the prep material, the rep the qualification notes. The daily schedule sends
//! reminders for demos in the next 36 hours. `DemoCancelled` frees everything and, when
//! asked, books the next free slot.

pub mod invite;
mod settings;
pub mod slots;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    DemoCancelled, DemoQualificationFailed, DemoRequested, DemoScheduled, ExceptionRaised, Payload,
    Qualification, ScheduleTick, Severity,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::{FxRates, Money};
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;
use slots::{Hours, Interval, Search};
use std::collections::BTreeMap;

pub const NAME: &str = "demo-scheduling";
/// `gsi1` partition of scheduled demos, sorted by start.
pub const UPCOMING: &str = "demos#upcoming";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "demo-requests",
                pattern: json!({"detail-type": ["DemoRequested", "DemoCancelled"]}),
            },
            Subscription {
                name: "daily-reminders",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Customer],
        owns: vec![
            owns(Domain::Customer, "calendar#"),
            owns(Domain::Customer, "resource#"),
            owns(Domain::Customer, "demo-request#"),
            owns(Domain::Customer, "demo#"),
        ],
        emits: vec![
            "DemoScheduled",
            "DemoQualificationFailed",
            "ExceptionRaised",
        ],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

/// A rep's working hours.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RepHours {
    pub time_zone: String,
    pub from: NaiveTime,
    pub to: NaiveTime,
}

/// Demo Scheduling's settings: `[demo_scheduling]`, the reps' hours of `[sales_team]`,
/// `[currency]` and the company name of `[company]` of `ascent.toml` (see `settings`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DemoConfig {
    /// Rep email → working hours; reps not listed work `default_rep_hours`.
    pub reps: BTreeMap<String, RepHours>,
    pub default_rep_hours: RepHours,
    /// Prospect business hours, in their own time zone.
    pub prospect_from: NaiveTime,
    pub prospect_to: NaiveTime,
    pub buffer_minutes: i64,
    pub step_minutes: i64,
    pub min_lead_hours: i64,
    pub search_days: i64,
    /// Pool sizes of demo resources.
    pub headsets: u32,
    pub sandboxes: u32,
    /// Days a shipped headset is away before the demo (on its way out) and after it (on its
    /// way back): it is held for them too.
    pub headset_ship_days: i64,
    pub headset_return_days: i64,
    /// Smallest budget worth a demo (base currency) and the furthest timeline.
    pub min_budget: Money,
    pub max_timeline_days: u32,
    /// BANT answers that may be unknown for a request to still qualify.
    pub max_unknowns: u32,
    /// How far ahead the daily run reminds prospects of their demo.
    pub reminder_hours_ahead: i64,
    pub fx: FxRates,
    pub prep_material: String,
    /// The meeting link of a demo, `{request_id}` replaced (in the invitation and its `.ics`).
    pub meeting_url: String,
    /// The company named in the prospect's mails (`[company] name`).
    pub company: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemoStatus {
    Scheduled,
    Cancelled,
}

/// A booked demo (`demo#<id>` / `demo`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Demo {
    pub demo_id: String,
    pub attempt: u32,
    pub request: DemoRequested,
    pub slot: Interval,
    pub status: DemoStatus,
    pub reminded: bool,
    pub resources: Vec<String>,
}

/// A hold on a calendar or resource pool (`calendar#<rep>` or `resource#<kind>` /
/// `<start>#<demo id>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Hold {
    demo_id: String,
    slot: Interval,
    units: u32,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What stands between a request made `on` a day and a demo; empty = qualified. A budget in
/// another accepted currency is converted at the rates in effect that day.
pub fn qualification_gaps(
    q: &Qualification,
    config: &DemoConfig,
    on: NaiveDate,
) -> (Vec<String>, bool) {
    let mut gaps = Vec::new();
    let mut unknown = 0;
    let mut hard = false;
    match &q.budget {
        None => {
            unknown += 1;
            gaps.push("budget: unknown".to_string());
        }
        // Same currency: nothing to convert, whatever the date's rate tables.
        Some(b) => match if b.currency == config.min_budget.currency {
            config.fx.check_accepted(&b.currency).map(|()| b.clone())
        } else {
            config.fx.convert_on(b, &config.min_budget.currency, on)
        } {
            Ok(have) if have.amount_minor < config.min_budget.amount_minor => {
                hard = true;
                gaps.push(format!(
                    "budget: {b} is below the minimum {}",
                    config.min_budget
                ));
            }
            Err(e) => {
                hard = true;
                gaps.push(format!("budget: {e}"));
            }
            _ => {}
        },
    }
    match q.authority {
        None => {
            unknown += 1;
            gaps.push("authority: unknown".into());
        }
        Some(false) => {
            hard = true;
            gaps.push("authority: the contact cannot decide".into());
        }
        Some(true) => {}
    }
    if q.need.as_deref().is_none_or(|n| n.trim().is_empty()) {
        unknown += 1;
        gaps.push("need: none stated".into());
    }
    match q.timeline_days {
        None => {
            unknown += 1;
            gaps.push("timeline: none given".into());
        }
        Some(d) if d > config.max_timeline_days => {
            hard = true;
            gaps.push(format!(
                "timeline: {d} days is beyond {} days",
                config.max_timeline_days
            ));
        }
        Some(_) => {}
    }
    let qualified = !hard && unknown <= config.max_unknowns;
    (gaps, qualified)
}

pub struct DemoScheduling {
    decl: AgentDecl,
    config: DemoConfig,
}

impl Default for DemoScheduling {
    fn default() -> Self {
        Self::new(DemoConfig::default())
    }
}

impl DemoScheduling {
    pub fn new(config: DemoConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    fn rep_hours(&self, rep: &str) -> Result<Hours, AgentError> {
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

    async fn holds(
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
    async fn book(
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

    fn save(&self, ctx: &mut Ctx<'_>, d: &Demo) -> Result<(), AgentError> {
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

    async fn on_requested(&self, ctx: &mut Ctx<'_>, r: &DemoRequested) -> Result<(), AgentError> {
        let key = format!("demo-request#{}", r.request_id);
        if ctx.get(Domain::Customer, &key, "current").await?.is_some()
            || ctx.get(Domain::Customer, &key, "declined").await?.is_some()
        {
            return Ok(()); // requested twice
        }
        let (gaps, qualified) =
            qualification_gaps(&r.qualification, &self.config, ctx.now().date_naive());
        if !qualified {
            ctx.put_record(
                Domain::Customer,
                &key,
                "declined",
                &json!({"gaps": gaps}),
                None,
                Condition::NotExists,
            )?;
            // The requester hears back too: what we would like to know first.
            ctx.send_mail(Mail {
                to: r.prospect_email.clone(),
                subject: format!("Your {} demo request", self.config.company),
                text: format!(
                    "Hello {},\n\nthank you for asking for a demo. Before we book one, {} \
                     would like to learn a little more about your plans; expect an email from \
                     them in the next business days. Meanwhile: {}\n",
                    r.prospect_name, r.rep, self.config.prep_material
                ),
                ..Default::default()
            })?;
            ctx.send_mail(Mail {
                to: r.rep.clone(),
                subject: format!("No demo for {} yet: back to nurture", r.prospect_name),
                text: format!(
                    "{} <{}> asked for a demo but is not qualified yet:\n- {}\n",
                    r.prospect_name,
                    r.prospect_email,
                    gaps.join("\n- ")
                ),
                html: None,
                ..Default::default()
            })?;
            return ctx.emit(DemoQualificationFailed {
                request_id: r.request_id.clone(),
                lead_id: r.lead_id.clone(),
                prospect_email: r.prospect_email.clone(),
                gaps,
            });
        }
        let from = ctx.now() + Duration::hours(self.config.min_lead_hours);
        if self.book(ctx, r, 1, from, None).await?.is_none() {
            self.no_slot(ctx, r)?;
        }
        Ok(())
    }

    /// The meeting link of a demo request.
    fn meeting_link(&self, request_id: &str) -> String {
        self.config.meeting_url.replace("{request_id}", request_id)
    }

    fn no_slot(&self, ctx: &mut Ctx<'_>, r: &DemoRequested) -> Result<(), AgentError> {
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

    async fn on_cancelled(&self, ctx: &mut Ctx<'_>, c: &DemoCancelled) -> Result<(), AgentError> {
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
        // The next free slot, after the cancelled one when the cancellation is last-minute.
        let from = (ctx.now() + Duration::hours(self.config.min_lead_hours)).max(demo.slot.end);
        if self
            .book(ctx, &r, demo.attempt + 1, from, Some(demo.demo_id.clone()))
            .await?
            .is_none()
        {
            self.no_slot(ctx, &r)?;
        }
        Ok(())
    }

    /// The daily reminder run.
    ///
    /// Bounded by continuing in the next run: one run reminds at most
    /// [`REMINDERS_PER_RUN`] demos (one write each), the soonest first; those left are still
    /// ahead at the next daily run (the window, `reminder_hours_ahead`, reaches past it) and
    /// are reminded then. Only more than that many demos starting before the next run could
    /// miss their reminder: each of those is raised as an exception, never dropped silently.
    async fn on_daily(&self, ctx: &mut Ctx<'_>, tick: &ScheduleTick) -> Result<(), AgentError> {
        let next_run = tick.at + Duration::days(1);
        let mut reminded = 0;
        let q = Query::gsi1(UPCOMING).sort(SortKey::Between(
            stamp(tick.at),
            format!(
                "{}~",
                stamp(tick.at + Duration::hours(self.config.reminder_hours_ahead))
            ),
        ));
        for mut d in ctx.query_as::<Demo>(Domain::Customer, &q).await? {
            if d.reminded || d.status != DemoStatus::Scheduled {
                continue;
            }
            if reminded == REMINDERS_PER_RUN {
                if d.slot.start < next_run {
                    ctx.emit(ExceptionRaised {
                        agent: NAME.into(),
                        subject: d.demo_id.clone(),
                        reason: format!(
                            "more than {REMINDERS_PER_RUN} demos to remind in one run: demo {} starts before the next run without a reminder",
                            d.demo_id
                        ),
                        severity: Severity::Low,
                    })?;
                }
                continue;
            }
            reminded += 1;
            let r = &d.request;
            let zone: Tz = r.prospect_time_zone.parse().unwrap_or(Tz::UTC);
            let local = slots::local_label(d.slot.start, zone);
            for to in [&r.prospect_email, &r.rep] {
                ctx.send_mail(Mail {
                    to: to.clone(),
                    subject: format!("Reminder: {} demo {local}", self.config.company),
                    text: format!(
                        "Demo {} with {} and {} starts {local}. Prep: {}\n",
                        d.demo_id, r.prospect_name, r.rep, self.config.prep_material
                    ),
                    html: None,
                    ..Default::default()
                })?;
            }
            d.reminded = true;
            self.save(ctx, &d)?;
        }
        Ok(())
    }
}

/// Demos one daily run reminds (one write each): derived from AWS's limit on one message's
/// transaction, not a business setting.
pub const REMINDERS_PER_RUN: usize = ascent_core::limits::MAX_WRITES;

#[async_trait]
impl Agent for DemoScheduling {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::DemoRequested(r) => self.on_requested(ctx, r).await,
            Payload::DemoCancelled(c) => self.on_cancelled(ctx, c).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
