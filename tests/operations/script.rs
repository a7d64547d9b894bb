//! The operations flow's set-up and readers: the twin with every agent and the shipped
//! `ascent.toml`, CRM Management connected to the stub HubSpot (its base URL and the private
//! app's token are the only settings the test gives, as `ASCENT_HUBSPOT_TOKEN` does on AWS);
//! the clock walked by the schedules of `ascent up`; what the agents recorded, emitted and
//! mailed.

use super::stub_hubspot::{self, Shared};
use ascent::config::AscentConfig;
use ascent_core::agent::{Agent, Domain};
use ascent_core::catalog::{DataSyncCompleted, MessageDeadLettered, Payload, ThresholdCrossed};
use ascent_core::ports::Mail;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, Timelike, Utc};
use crm_management::CrmManagement;
use crm_management::contact::Contact;
use process_automation::letters::{self, Letter};
use std::sync::Arc;

/// The private app's token of Ascent's HubSpot portal (`ASCENT_HUBSPOT_TOKEN`).
pub const TOKEN: &str = "pat-na1-7f3c2a90-ascent-ops";
/// The first approver of the `operations` role ([approvals.roles.operations]).
pub const OPS_LEAD: &str = "operations.lead@ascent-xr.example";
/// `[operations_manager] operations_email` and `[process_automation] operations_email`.
pub const OPERATIONS: &str = "operations@ascent-xr.example";

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Every agent with the shipped settings; CRM Management syncing with the stub HubSpot.
pub fn twin(start: &str) -> (TestTwin, Shared) {
    let (base, hubspot) = stub_hubspot::start();
    hubspot.lock().unwrap().now = Some(at(start));
    let mut config = AscentConfig::shipped();
    config.crm_management.hubspot.base_url = base;
    let connector = crm_management::connector::for_system("hubspot", &config.crm_management, TOKEN);
    let crm: Arc<dyn Agent> =
        Arc::new(CrmManagement::new(config.crm_management.clone()).with_connector(connector));
    let agents: Vec<Arc<dyn Agent>> = config
        .agents("http://127.0.0.1:8787")
        .into_iter()
        .map(|a| {
            if a.declaration().name == crm_management::NAME {
                crm.clone()
            } else {
                a
            }
        })
        .collect();
    assert_eq!(agents.len(), ascent::agents::declarations().len());
    (TestTwin::new(agents, at(start)), hubspot)
}

/// Walks the clock to `to` as `ascent up` does: the SLA check every `[schedule]
/// sla_check_minutes` (5), then on the hour the hourly run; HubSpot's clock goes along.
pub fn walk(t: &TestTwin, hubspot: &Shared, to: &str) {
    let to = at(to);
    let step = Duration::minutes(5);
    let now = t.now();
    let mut next = now
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap()
        .with_minute(now.minute() / 5 * 5)
        .unwrap()
        + step;
    while next <= to {
        hubspot.lock().unwrap().now = Some(next);
        t.tick("sla", next);
        if next.minute() == 0 {
            t.tick("hourly", next);
        }
        next += step;
    }
    set(t, hubspot, to);
}

/// The next days' 06:00 runs, as `ascent up` makes them: the approval timers, the daily run
/// and that hour's hourly run, up to 09:00 on `date`.
pub fn mornings(t: &TestTwin, hubspot: &Shared, date: &str) {
    let target: chrono::NaiveDate = date.parse().unwrap();
    while t.now().date_naive() < target {
        let next = (t.now().date_naive() + Duration::days(1))
            .and_hms_opt(6, 0, 0)
            .unwrap()
            .and_utc();
        set(t, hubspot, next);
        t.runtime.tick_approvals().unwrap();
        t.runtime.schedule_tick("daily", next).unwrap();
        t.runtime.schedule_tick("hourly", next).unwrap();
        t.drain();
    }
    set(t, hubspot, target.and_hms_opt(9, 0, 0).unwrap().and_utc());
}

/// Sets both clocks (the twin's and HubSpot's) to `when`.
pub fn set(t: &TestTwin, hubspot: &Shared, when: DateTime<Utc>) {
    t.clock.set(when);
    hubspot.lock().unwrap().now = Some(when);
}

/// The sync runs announced, oldest first.
pub fn runs(t: &TestTwin) -> Vec<DataSyncCompleted> {
    t.emitted("DataSyncCompleted")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::DataSyncCompleted(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// A run's counts: (pulled, pushed, conflicts, failures, queued).
pub fn counts(r: &DataSyncCompleted) -> (u64, u64, u64, u64, u64) {
    (r.pulled, r.pushed, r.conflicts, r.failures, r.queued)
}

/// The platform's dead-letter notices, oldest first.
pub fn notices(t: &TestTwin) -> Vec<MessageDeadLettered> {
    t.emitted("MessageDeadLettered")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::MessageDeadLettered(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

/// Process Automation's record of a dead letter.
pub fn letter(t: &TestTwin, n: &MessageDeadLettered) -> Letter {
    let pk = letters::pk(&letters::subject(&n.agent, &n.event_id));
    let v = t
        .get(Domain::Performance, &pk, "letter")
        .unwrap_or_else(|| panic!("no letter {pk}"));
    serde_json::from_value(v).unwrap()
}

/// CRM Management's contact `id`.
pub fn contact(t: &TestTwin, id: &str) -> Contact {
    let v = t
        .get(Domain::Customer, &format!("crm#contact#{id}"), "contact")
        .unwrap_or_else(|| panic!("no contact {id}"));
    serde_json::from_value(v).unwrap()
}

/// Mails to `to` whose subject starts with `subject`.
pub fn mails(t: &TestTwin, to: &str, subject: &str) -> Vec<Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to && m.subject.starts_with(subject))
        .collect()
}

/// The SLA breaches raised (`ThresholdCrossed` of an `sla.` metric).
pub fn breaches(t: &TestTwin) -> Vec<ThresholdCrossed> {
    t.emitted("ThresholdCrossed")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) if x.metric.starts_with("sla.") => Some(x.clone()),
            _ => None,
        })
        .collect()
}

/// The line of a report's text starting with `start`.
pub fn line<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line `{start}` in:\n{text}"))
}
