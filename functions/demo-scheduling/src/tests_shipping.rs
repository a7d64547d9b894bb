//! Shipped headsets need their shipping time before the demo (issue 23, defect 6): the first
//! slot offered for a demo with headsets is at least `headset_ship_days` after the booking,
//! on either side of the cut-off, for a first booking and for a reschedule.

use super::*;
use ascent_core::config::ConfigFile;

/// Tuesday 10 March 2026, 13:00 UTC: 09:00 EDT in New York (daylight saving since the 8th),
/// 14:00 CET in Berlin. Dario (Berlin, 09:00–17:30 = 08:00–16:30 UTC) and a New York
/// prospect (09:00–18:00 EDT = 13:00–22:00 UTC) overlap 13:00–16:30 UTC on weekdays.
const TUESDAY_1300: &str = "2026-03-10T13:00:00Z";

fn twin_at(now: &str) -> TestTwin {
    TestTwin::new(vec![Arc::new(DemoScheduling::default())], at(now))
}

/// The headset hold of a booked demo (`resource#headset`).
fn headset_hold(t: &TestTwin, d: &DemoScheduled) -> Interval {
    let sk = format!("{}#{}", stamp(d.starts_at), d.demo_id);
    let hold = t
        .get(Domain::Customer, "resource#headset", &sk)
        .unwrap_or_else(|| panic!("no headset hold {sk}"));
    serde_json::from_value(hold["slot"].clone()).unwrap()
}

#[test]
fn the_earliest_start_leaves_the_configured_shipping_days_only_for_headsets() {
    let now = at(TUESDAY_1300);
    let shipped = DemoConfig::default();
    // Shipped: 24 hours' lead, 2 days' shipping.
    assert_eq!(earliest_start(now, 0, &shipped), at("2026-03-11T13:00:00Z"));
    assert_eq!(earliest_start(now, 2, &shipped), at("2026-03-12T13:00:00Z"));
    let with_ship_days = |days: &str| {
        let text = ConfigFile::shipped().text().replace(
            "headset_ship_days = 2",
            &format!("headset_ship_days = {days}"),
        );
        DemoConfig::from_file(&ConfigFile::parse("x.toml", text).unwrap()).unwrap()
    };
    // Same-day courier: the 24 hours' lead is the longer wait.
    assert_eq!(
        earliest_start(now, 2, &with_ship_days("0")),
        at("2026-03-11T13:00:00Z")
    );
    // Three days' shipping: Friday 13 March, 13:00 UTC.
    assert_eq!(
        earliest_start(now, 1, &with_ship_days("3")),
        at("2026-03-13T13:00:00Z")
    );
}

/// Issue 23: a slot tomorrow was offered though the headsets take 2 days to arrive.
#[test]
fn a_demo_with_shipped_headsets_is_not_offered_before_they_can_arrive() {
    // Given Tuesday 10 March, 13:00 UTC
    let t = twin_at(TUESDAY_1300);
    // When a demo with 2 headsets is requested, and one without headsets
    t.emit("ascent.crm", request("DR1", DARIO, 2));
    t.emit("ascent.crm", request("DR2", EVA, 0));
    let s = scheduled(&t);
    // Then the shipped demo is Thursday 12 March 13:00 UTC, exactly 2 days on (Wednesday
    // 13:00, 24 hours on, was offered before), 09:00 in New York
    assert_eq!(s[0].starts_at, at("2026-03-12T13:00:00Z"));
    assert_eq!(s[0].prospect_local_start, "2026-03-12 09:00 EDT");
    // and its headsets leave no earlier than the booking itself
    assert_eq!(headset_hold(&t, &s[0]).start, at(TUESDAY_1300));
    // while the demo without headsets keeps the 24 hours' lead only: Wednesday 13:00 UTC
    // (Eva in London, on GMT until 29 March: 13:00 is her 13:00, 09:00 EDT in New York).
    assert_eq!(s[1].starts_at, at("2026-03-11T13:00:00Z"));
    assert_eq!(s[1].resources, Vec::<String>::new());
}

#[test]
fn a_request_one_minute_past_the_cut_off_gets_the_next_step() {
    // Given Tuesday 10 March, 13:01 UTC: two days on is Thursday 13:01, past the 13:00 slot
    let t = twin_at("2026-03-10T13:01:00Z");
    // When a demo with one headset is requested
    t.emit("ascent.crm", request("DR1", DARIO, 1));
    // Then it is the next slot on the 30-minute grid, Thursday 13:30 UTC (09:30 EDT)
    let s = scheduled(&t);
    assert_eq!(s[0].starts_at, at("2026-03-12T13:30:00Z"));
    assert_eq!(s[0].prospect_local_start, "2026-03-12 09:30 EDT");
    assert_eq!(headset_hold(&t, &s[0]).start, at("2026-03-10T13:30:00Z"));
}

#[test]
fn a_rescheduled_demo_with_headsets_leaves_the_shipping_days_again() {
    // Given a demo with 2 headsets booked on Tuesday 13:00 UTC for Thursday 13:00 UTC
    let t = twin_at(TUESDAY_1300);
    t.emit("ascent.crm", request("DR1", DARIO, 2));
    assert_eq!(scheduled(&t)[0].starts_at, at("2026-03-12T13:00:00Z"));
    // When the prospect asks on Wednesday 11 March 09:00 UTC to move it
    t.clock.set(at("2026-03-11T09:00:00Z"));
    t.emit(
        "ascent.crm",
        DemoCancelled {
            demo_id: "demo-DR1-1".into(),
            cancelled_by: "prospect".into(),
            reason: "Board meeting moved".into(),
            reschedule: true,
        },
    );
    // Then the new slot is not Thursday 14:00 UTC (right after the old one, 27 hours on) but
    // Friday 13 March 13:00 UTC: from Friday 09:00 UTC (2 days on), the first common hour.
    let s = scheduled(&t);
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].rescheduled_from.as_deref(), Some("demo-DR1-1"));
    assert_eq!(s[1].starts_at, at("2026-03-13T13:00:00Z"));
    assert_eq!(headset_hold(&t, &s[1]).start, at("2026-03-11T13:00:00Z"));
}
