//! # Demo Scheduling agent
//!
//! On `DemoRequested` first qualifies the prospect (budget, authority, need, timeline): an
//! explicit no (authority false, budget below the minimum, timeline beyond the horizon) or
//! two unknowns send the lead back to nurture (`DemoQualificationFailed`, the rep is told).
//! A qualified request gets the first slot ([`slots`]) at least `min_lead_hours` ahead (and,
//! when headsets are shipped for it, at least `headset_ship_days`: [`earliest_start`]) where
//! the prospect (business hours, their time zone) and the rep (working hours, theirs) are
//! free, with buffers around the rep's other demos, and the XR headsets and sandbox
//! environments it needs are free too. The booking holds the rep's calendar and the
//! resources; `DemoScheduled` goes out, the prospect gets the invitation in their local time
//! with the prep material, the rep the qualification notes. The daily schedule sends
//! reminders for demos in the next 36 hours. `DemoCancelled` frees everything and, when
//! asked, books the next free slot.

mod booking;
mod cancellation;
pub mod invite;
mod qualification;
mod reminders;
mod settings;
pub mod slots;

pub use booking::earliest_start;
pub use qualification::qualification_gaps;
pub use reminders::REMINDERS_PER_RUN;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{DemoRequested, Payload};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::{FxRates, Money};
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use chrono::{DateTime, NaiveTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use slots::Interval;
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
            // A rep's booked slots (the key holds the rep's address).
            owns(Domain::Customer, "calendar#").holding(Personal::deleted(
                &[],
                &[],
                "Keep a rep's demos from overlapping",
                Retention::Days("interactions_days"),
            )),
            // Headsets and sandboxes held: no one's data.
            owns(Domain::Customer, "resource#"),
            // A request's current demo or why it was declined: ids and gaps, no one's data.
            owns(Domain::Customer, "demo-request#"),
            // The demo with the prospect's request (who, their need, the rep).
            owns(Domain::Customer, "demo#").holding(Personal::deleted(
                &[
                    "request.lead_id",
                    "request.prospect_email",
                    "request.prospect_name",
                    "request.qualification.need",
                    "request.rep",
                ],
                &["request.lead_id", "request.prospect_email"],
                "Book, remind of and reschedule the prospect's demo",
                Retention::Days("interactions_days"),
            )),
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
}

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
