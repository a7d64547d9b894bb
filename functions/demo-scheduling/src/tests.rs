//! Demo Scheduling tests through an in-memory twin.

use super::*;
use ascent_core::catalog::{DemoCancelled, DemoScheduled, Qualification};
use ascent_core::ports::Mail;
use ascent_embedded::testkit::TestTwin;
use chrono::{Duration, NaiveDate};
use std::sync::Arc;

#[path = "tests_privacy.rs"]
mod privacy;
#[path = "tests_prospect.rs"]
mod prospect;
#[path = "tests_shipping.rs"]
mod shipping;

const DARIO: &str = "dario.rep@ascent-xr.example"; // Europe/Berlin
const EVA: &str = "eva.rep@ascent-xr.example"; // Europe/London

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn twin() -> TestTwin {
    // Friday 6 March 2026, two days before US daylight saving starts.
    TestTwin::new(
        vec![Arc::new(DemoScheduling::default())],
        at("2026-03-06T09:00:00Z"),
    )
}

fn request(id: &str, rep: &str, headsets: u32) -> DemoRequested {
    DemoRequested {
        request_id: id.into(),
        lead_id: Some(format!("L-{id}")),
        deal_id: Some(format!("D-{id}")),
        prospect_email: format!("{id}@boreal-aero.example").to_lowercase(),
        prospect_name: "Ana Ruiz".into(),
        prospect_time_zone: "America/New_York".into(),
        rep: rep.into(),
        duration_minutes: 60,
        headsets,
        sandbox: false,
        qualification: Qualification {
            budget: Some(Money::usd(5_000_000)),
            authority: Some(true),
            need: Some("Cut assembly training time".into()),
            timeline_days: Some(90),
        },
    }
}

fn scheduled(t: &TestTwin) -> Vec<DemoScheduled> {
    t.emitted("DemoScheduled")
        .iter()
        .map(|e| match e.payload() {
            Payload::DemoScheduled(d) => d.clone(),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn books_the_first_common_slot_across_time_zones_after_dst() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 2));
    let s = scheduled(&t);
    assert_eq!(s.len(), 1);
    // Monday 9 March: New York is on EDT (UTC−4), Berlin still on CET (UTC+1).
    assert_eq!(s[0].starts_at, at("2026-03-09T13:00:00Z"));
    assert_eq!(s[0].prospect_local_start, "2026-03-09 09:00 EDT");
    assert_eq!(s[0].resources, ["headset x2"]);
    let mails = t.runtime.mails().unwrap();
    let invite = mails
        .iter()
        .find(|m| m.to == "dr1@boreal-aero.example")
        .unwrap();
    assert!(invite.text.contains("demo-prep"), "{}", invite.text);
    let rep = mails.iter().find(|m| m.to == DARIO).unwrap();
    assert_eq!(
        rep.subject,
        "Demo booked with Ana Ruiz: 2026-03-09 14:00 CET"
    );
    assert!(rep.text.contains("Budget: 50000.00 USD"));
    // Requested twice: booked once.
    t.emit("ascent.crm", request("DR1", DARIO, 2));
    assert_eq!(scheduled(&t).len(), 1);
}

#[test]
fn the_reps_next_demo_keeps_the_buffer() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 0));
    t.emit("ascent.crm", request("DR2", DARIO, 0));
    let s = scheduled(&t);
    assert_eq!(s[1].starts_at, at("2026-03-09T14:30:00Z"));
}

#[test]
fn shared_headsets_are_never_overbooked() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 5));
    t.emit("ascent.crm", request("DR2", EVA, 5));
    let s = scheduled(&t);
    assert_eq!(s[0].starts_at, at("2026-03-09T13:00:00Z"));
    // Eva (London) is free at 13:00 too, but 5 + 5 headsets exceed the pool of 8. DR1's five
    // are shipped: away from Saturday 7 March 13:00 (2 days out) to Wednesday 11 March 14:00
    // (2 days back), not free 15 minutes after the demo (14:30 on the 9th, as before). DR2's
    // must leave 2 days and the 15-minute buffer before its start: from 11 March 14:00 + 2 d
    // + 15 min = Friday 13 March 14:15, on the 30-minute grid 14:30 UTC (10:30 EDT in New York).
    assert_eq!(s[1].starts_at, at("2026-03-13T14:30:00Z"));
}

#[test]
fn headsets_left_in_the_pool_still_go_to_a_demo_at_the_same_time() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 5));
    t.emit("ascent.crm", request("DR2", EVA, 3));
    let s = scheduled(&t);
    // 5 + 3 = 8: the whole pool, at the same hour.
    assert_eq!(s[0].starts_at, at("2026-03-09T13:00:00Z"));
    assert_eq!(s[1].starts_at, at("2026-03-09T13:00:00Z"));
}

#[test]
fn a_cancelled_demo_gives_its_shipped_headsets_back() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 5));
    t.emit(
        "ascent.crm",
        DemoCancelled {
            demo_id: scheduled(&t)[0].demo_id.clone(),
            cancelled_by: "prospect".into(),
            reason: "prospect postponed".into(),
            reschedule: false,
        },
    );
    t.emit("ascent.crm", request("DR2", EVA, 5));
    // Nothing is away any more: Eva's first common hour on Monday.
    assert_eq!(scheduled(&t)[1].starts_at, at("2026-03-09T13:00:00Z"));
}

#[test]
fn unqualified_requests_go_back_to_nurture() {
    let t = twin();
    let mut r = request("DR3", DARIO, 0);
    r.qualification.authority = Some(false);
    r.qualification.timeline_days = None;
    t.emit("ascent.crm", r);
    assert!(scheduled(&t).is_empty());
    let Payload::DemoQualificationFailed(f) =
        t.emitted("DemoQualificationFailed")[0].payload().clone()
    else {
        unreachable!()
    };
    assert_eq!(
        f.gaps,
        [
            "authority: the contact cannot decide",
            "timeline: none given"
        ]
    );
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.to == DARIO && m.subject.contains("back to nurture"))
    );
}

#[test]
fn bant_rules() {
    let c = DemoConfig::default();
    let mut q = request("X", DARIO, 0).qualification;
    assert!(qualification_gaps(&q, &c, at("2026-03-06T09:00:00Z").date_naive()).1);
    q.need = None; // one unknown is fine
    assert!(qualification_gaps(&q, &c, at("2026-03-06T09:00:00Z").date_naive()).1);
    q.timeline_days = None; // two are not
    assert!(!qualification_gaps(&q, &c, at("2026-03-06T09:00:00Z").date_naive()).1);
    let mut q = request("X", DARIO, 0).qualification;
    q.budget = Some(Money::new(500_000, "EUR")); // 5,400 USD < 10,000
    let (gaps, ok) = qualification_gaps(&q, &c, at("2026-03-06T09:00:00Z").date_naive());
    assert!(!ok);
    assert_eq!(
        gaps,
        ["budget: 5000.00 EUR is below the minimum 10000.00 USD"]
    );
}

#[test]
fn a_budget_is_converted_at_the_rate_of_the_requests_date() {
    let c = DemoConfig::default();
    let mut q = request("X", DARIO, 0).qualification;
    q.budget = Some(Money::new(1_380_000, "CAD"));
    let on = |d: &str| d.parse::<NaiveDate>().unwrap();
    // 15 December 2025, the 2025 table: CAD 13,800.00 × 0.72 = USD 9,936.00 < 10,000.00.
    let (gaps, ok) = qualification_gaps(&q, &c, on("2025-12-15"));
    assert!(!ok);
    assert_eq!(
        gaps,
        ["budget: 13800.00 CAD is below the minimum 10000.00 USD"]
    );
    // 15 January 2026, today's table: × 0.73 = USD 10,074.00, enough.
    let (gaps, ok) = qualification_gaps(&q, &c, on("2026-01-15"));
    assert!(ok, "{gaps:?}");
    assert!(gaps.is_empty());
    // A budget in the minimum's own currency needs no rate, even before the first table.
    q.budget = Some(Money::usd(1_000_000));
    assert!(qualification_gaps(&q, &c, on("2024-06-01")).1);
}

#[test]
fn a_cancellation_frees_the_slot_and_books_the_next_one() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 2));
    t.emit(
        "ascent.crm",
        DemoCancelled {
            demo_id: "demo-DR1-1".into(),
            cancelled_by: "prospect".into(),
            reason: "Board meeting moved".into(),
            reschedule: true,
        },
    );
    let s = scheduled(&t);
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].demo_id, "demo-DR1-2");
    assert_eq!(s[1].rescheduled_from.as_deref(), Some("demo-DR1-1"));
    assert_eq!(s[1].starts_at, at("2026-03-09T14:00:00Z"));
    // The old hold is gone: another request can take 13:00.
    t.emit("ascent.crm", request("DR2", EVA, 0));
    assert_eq!(scheduled(&t)[2].starts_at, at("2026-03-09T13:00:00Z"));
    // Cancelling twice changes nothing.
    t.emit(
        "ascent.crm",
        DemoCancelled {
            demo_id: "demo-DR1-1".into(),
            cancelled_by: "prospect".into(),
            reason: "again".into(),
            reschedule: true,
        },
    );
    assert_eq!(scheduled(&t).len(), 3);
}

#[test]
fn reminders_go_out_once_the_day_before() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 0));
    let before = t.runtime.mails().unwrap().len();
    t.runtime
        .schedule_tick("daily", at("2026-03-07T06:00:00Z"))
        .unwrap();
    t.drain();
    assert_eq!(t.runtime.mails().unwrap().len(), before, "too early");
    for day in ["2026-03-08T06:00:00Z", "2026-03-09T06:00:00Z"] {
        t.runtime.schedule_tick("daily", at(day)).unwrap();
        t.drain();
    }
    let mails = t.runtime.mails().unwrap();
    let reminders: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.starts_with("Reminder"))
        .collect();
    assert_eq!(reminders.len(), 2);
    assert_eq!(
        reminders[0].subject,
        "Reminder: Ascent XR demo 2026-03-09 09:00 EDT"
    );
}

#[test]
fn more_headsets_than_the_pool_is_refused() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 9));
    let dead = t.runtime.dead_letters().unwrap();
    assert!(
        dead[0].reason.contains("needs 9 headsets; the pool has 8"),
        "{}",
        dead[0].reason
    );
}

/// Bulk work never depends on its size (issue 19): 1,000 demos, 45 a day (90 in the first
/// 36-hour reminder window), are all reminded in time, at most REMINDERS_PER_RUN a run, within
/// AWS's limits.
#[test]
fn a_thousand_demos_are_all_reminded_within_aws_limits() {
    use ascent_core::ports::{IndexKey, Item};
    let start = at("2026-03-06T06:00:00Z");
    let t = TestTwin::new(vec![Arc::new(DemoScheduling::default())], start);
    for i in 0..1000i64 {
        let id = format!("demo-{i:04}");
        let begins = start + Duration::days(i / 45) + Duration::minutes(180 + (i % 45) * 10);
        let d = Demo {
            demo_id: id.clone(),
            attempt: 1,
            request: request(&format!("R{i:04}"), DARIO, 0),
            slot: slots::Interval {
                start: begins,
                end: begins + Duration::minutes(60),
            },
            status: DemoStatus::Scheduled,
            reminded: false,
            resources: vec![],
        };
        let mut item = Item::new(
            format!("demo#{id}"),
            "demo",
            serde_json::to_value(&d).unwrap(),
        );
        item.gsi1 = Some(IndexKey {
            pk: UPCOMING.into(),
            sk: format!("{}#{id}", stamp(begins)),
        });
        t.put(Domain::Customer, item);
    }
    for day in 0..27 {
        t.tick("daily", start + Duration::days(day));
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    assert!(t.emitted("ExceptionRaised").is_empty());
    for i in 0..1000 {
        let d = t
            .get(Domain::Customer, &format!("demo#demo-{i:04}"), "demo")
            .unwrap();
        assert_eq!(d["reminded"], true, "demo-{i:04}");
    }
}

/// The company named in the prospect's mails is `[company] name`.
#[test]
fn the_company_in_the_mails_is_the_configured_one() {
    use ascent_core::config::ConfigFile;
    let text = ConfigFile::shipped()
        .text()
        .replace("name = \"Ascent XR\"", "name = \"Boreal Immersive\"");
    let file = ConfigFile::parse("x.toml", text).unwrap();
    let t = TestTwin::new(
        vec![Arc::new(DemoScheduling::from_config(&file).unwrap())],
        at("2026-03-06T09:00:00Z"),
    );
    t.emit("ascent.crm", request("DR1", DARIO, 0));
    for day in ["2026-03-08T06:00:00Z", "2026-03-09T06:00:00Z"] {
        t.tick("daily", at(day));
    }
    let subjects: Vec<String> = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == "dr1@boreal-aero.example")
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        subjects,
        [
            "Your Boreal Immersive demo: 2026-03-09 09:00 EDT",
            "Reminder: Boreal Immersive demo 2026-03-09 09:00 EDT"
        ]
    );
}
