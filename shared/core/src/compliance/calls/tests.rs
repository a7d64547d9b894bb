//! The call rules, given a policy and a callee, then a time: the window or the refusal.

use super::*;
use crate::compliance::area_codes::lookup;
use chrono::NaiveTime;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}
fn hm(h: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, 0, 0).unwrap()
}
fn tz(z: &str) -> Tz {
    z.parse().unwrap()
}

/// The shipped rules: 8:00–21:00 Monday to Friday, 3 calls a number a day, US holidays
/// skipped; Florida, Oklahoma and Maryland 8:00–20:00 and 3 in 24 hours; Utah no Sundays or
/// holidays.
fn policy() -> CallPolicy {
    let eight_to_eight = Some(CallHours {
        from: hm(8),
        until: hm(20),
    });
    let state = |hours, max, sundays, holidays| StateRule {
        hours,
        max_per_24h: max,
        no_sundays: sundays,
        no_holidays: holidays,
        extra_holidays: vec![NaiveDate::from_ymd_opt(2026, 7, 24).unwrap()],
        source: "statute".into(),
    };
    CallPolicy {
        hours: CallHours {
            from: hm(8),
            until: hm(21),
        },
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ],
        max_per_24h: 3,
        holidays: [(
            "US".to_string(),
            vec![NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()],
        )]
        .into(),
        skip_public_holidays: true,
        states: [
            (
                "US-FL".to_string(),
                state(eight_to_eight, Some(3), false, false),
            ),
            (
                "US-OK".to_string(),
                state(eight_to_eight, Some(3), false, false),
            ),
            (
                "US-MD".to_string(),
                state(eight_to_eight, Some(3), false, false),
            ),
            ("US-UT".to_string(), state(None, None, true, true)),
        ]
        .into(),
    }
}

/// A callee as Outreach builds one: the number's area code, and the lead's stated zone.
fn callee(number: &str, stated: Option<&str>) -> Callee {
    let area = lookup(number);
    Callee {
        stated_zone: stated.map(tz),
        number_zones: area.map(|a| a.zones.clone()).unwrap_or_default(),
        country: area.map(|a| a.country.clone()),
        subdivision: area
            .and_then(|a| a.subdivision.as_ref().map(|s| format!("{}-{s}", a.country))),
    }
}

fn window(p: &CallPolicy, now: &str, c: &Callee, calls: &[&str]) -> (DateTime<Utc>, DateTime<Utc>) {
    let calls: Vec<_> = calls.iter().map(|c| utc(c)).collect();
    let w = p.next_window(utc(now), c, &calls).unwrap();
    (w.start, w.end)
}

#[test]
fn a_new_york_number_of_a_lead_in_los_angeles_is_called_in_both_zones_hours() {
    // Tuesday 9 June 2026, 23:30 EDT = 20:30 PDT: Los Angeles' hours alone would allow it.
    let ny_number = callee("+17185550100", Some("America/Los_Angeles"));
    let (s, e) = window(&policy(), "2026-06-10T03:30:00Z", &ny_number, &[]);
    // Wednesday: from 8:00 PDT (15:00Z) until 21:00 EDT (01:00Z), the overlap of both.
    assert_eq!(
        (s, e),
        (utc("2026-06-10T15:00:00Z"), utc("2026-06-11T01:00:00Z"))
    );
    // The same lead with a Los Angeles number: now, until 21:00 PDT.
    let la_number = callee("+13105550100", Some("America/Los_Angeles"));
    let (s, e) = window(&policy(), "2026-06-10T03:30:00Z", &la_number, &[]);
    assert_eq!(
        (s, e),
        (utc("2026-06-10T03:30:00Z"), utc("2026-06-10T04:00:00Z"))
    );
    // Without a stated zone the area code gives it.
    let (s, _) = window(
        &policy(),
        "2026-06-10T03:30:00Z",
        &callee("+17185550100", None),
        &[],
    );
    assert_eq!(s, utc("2026-06-10T12:00:00Z"));
}

#[test]
fn a_tampa_number_ends_at_eight_pm_and_takes_three_calls_a_day() {
    let mut p = policy();
    p.max_per_24h = 10; // the company's cap is looser: Florida's 3 applies
    let tampa = callee("+18135550100", Some("America/New_York"));
    // Tuesday 9 June 2026, 20:30 EDT: past Florida's 20:00, inside the company's 21:00.
    let (s, e) = window(&p, "2026-06-10T00:30:00Z", &tampa, &[]);
    assert_eq!(
        (s, e),
        (utc("2026-06-10T12:00:00Z"), utc("2026-06-11T00:00:00Z"))
    );
    // At 19:30 EDT it may be called until 20:00 EDT.
    let (s, e) = window(&p, "2026-06-09T23:30:00Z", &tampa, &[]);
    assert_eq!(
        (s, e),
        (utc("2026-06-09T23:30:00Z"), utc("2026-06-10T00:00:00Z"))
    );
    // Three calls on Wednesday: the fourth waits until the first is 24 hours old.
    let calls = [
        "2026-06-10T12:00:00Z",
        "2026-06-10T13:00:00Z",
        "2026-06-10T14:00:00Z",
    ];
    let (s, _) = window(&p, "2026-06-10T15:00:00Z", &tampa, &calls);
    assert_eq!(s, utc("2026-06-11T12:00:00Z"));
    // Two calls leave room for a third now; a New York number takes up to ten.
    let (s, _) = window(&p, "2026-06-10T15:00:00Z", &tampa, &calls[..2]);
    assert_eq!(s, utc("2026-06-10T15:00:00Z"));
    let ny = callee("+17185550100", None);
    let (s, _) = window(&p, "2026-06-10T15:00:00Z", &ny, &calls);
    assert_eq!(s, utc("2026-06-10T15:00:00Z"));
    // Calls older than 24 hours do not count.
    let old = [
        "2026-06-08T12:00:00Z",
        "2026-06-08T13:00:00Z",
        "2026-06-08T14:00:00Z",
    ];
    let (s, _) = window(&p, "2026-06-10T15:00:00Z", &tampa, &old);
    assert_eq!(s, utc("2026-06-10T15:00:00Z"));
}

#[test]
fn oklahoma_and_maryland_numbers_end_at_eight_pm_too() {
    // Oklahoma is Central: 20:00 CDT = 01:00Z; Maryland Eastern: 20:00 EDT = 00:00Z.
    let (_, e) = window(
        &policy(),
        "2026-06-10T15:00:00Z",
        &callee("+14055550100", None),
        &[],
    );
    assert_eq!(e, utc("2026-06-11T01:00:00Z"));
    let (_, e) = window(
        &policy(),
        "2026-06-10T15:00:00Z",
        &callee("+13015550100", None),
        &[],
    );
    assert_eq!(e, utc("2026-06-11T00:00:00Z"));
}

#[test]
fn the_florida_panhandle_spans_two_zones_and_gets_the_overlap() {
    // 850: Central and Eastern. 8:00 CDT = 13:00Z, 20:00 EDT = 00:00Z.
    let (s, e) = window(
        &policy(),
        "2026-06-10T10:00:00Z",
        &callee("+18505550100", None),
        &[],
    );
    assert_eq!(
        (s, e),
        (utc("2026-06-10T13:00:00Z"), utc("2026-06-11T00:00:00Z"))
    );
}

#[test]
fn no_call_falls_on_a_sunday_or_a_holiday() {
    let ny = callee("+17185550100", None);
    // Saturday 13 June 2026, 10:00 EDT: the company calls Monday to Friday.
    let (s, _) = window(&policy(), "2026-06-13T14:00:00Z", &ny, &[]);
    assert_eq!(s, utc("2026-06-15T12:00:00Z"));
    // Thanksgiving, Thursday 26 November 2026, 10:00 EST: next is Friday 8:00 EST.
    let (s, _) = window(&policy(), "2026-11-26T15:00:00Z", &ny, &[]);
    assert_eq!(s, utc("2026-11-27T13:00:00Z"));
    // A company that calls every day and on holidays still keeps Utah's rule.
    let mut every_day = policy();
    every_day.days = vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    every_day.skip_public_holidays = false;
    let (s, _) = window(&every_day, "2026-06-14T16:00:00Z", &ny, &[]); // Sunday, New York
    assert_eq!(s, utc("2026-06-14T16:00:00Z"));
    let salt_lake = callee("+18015550100", None);
    assert_eq!(salt_lake.subdivision.as_deref(), Some("US-UT"));
    // Sunday 14 June, 10:00 MDT: Monday 8:00 MDT = 14:00Z.
    let (s, _) = window(&every_day, "2026-06-14T16:00:00Z", &salt_lake, &[]);
    assert_eq!(s, utc("2026-06-15T14:00:00Z"));
    // Thanksgiving in Utah: Friday; in New York, the same day.
    let (s, _) = window(&every_day, "2026-11-26T17:00:00Z", &salt_lake, &[]);
    assert_eq!(s, utc("2026-11-27T15:00:00Z"));
    let (s, _) = window(&every_day, "2026-11-26T17:00:00Z", &ny, &[]);
    assert_eq!(s, utc("2026-11-26T17:00:00Z"));
    // Utah's own Pioneer Day (Friday 24 July 2026): Saturday in Utah, that day in New York.
    let (s, _) = window(&every_day, "2026-07-24T16:00:00Z", &salt_lake, &[]);
    assert_eq!(s, utc("2026-07-25T14:00:00Z"));
    let (s, _) = window(&every_day, "2026-07-24T16:00:00Z", &ny, &[]);
    assert_eq!(s, utc("2026-07-24T16:00:00Z"));
}

#[test]
fn the_window_follows_dst_in_both_zones() {
    // Sunday 8 March 2026 US DST starts; Monday 9 March: a New York number of a lead in
    // London (still GMT). 8:00 EDT = 12:00Z; 21:00 GMT = 21:00Z.
    let c = callee("+17185550100", Some("Europe/London"));
    let (s, e) = window(&policy(), "2026-03-09T00:00:00Z", &c, &[]);
    assert_eq!(
        (s, e),
        (utc("2026-03-09T12:00:00Z"), utc("2026-03-09T21:00:00Z"))
    );
    // The Friday before: 8:00 EST = 13:00Z.
    let (s, _) = window(&policy(), "2026-03-06T00:00:00Z", &c, &[]);
    assert_eq!(s, utc("2026-03-06T13:00:00Z"));
}

#[test]
fn without_any_zone_or_any_day_there_is_no_window() {
    let none = Callee {
        country: Some("US".into()),
        ..Default::default()
    };
    let e = policy()
        .next_window(utc("2026-06-10T15:00:00Z"), &none, &[])
        .unwrap_err();
    assert_eq!(
        e,
        "time zone unknown: calls are only allowed 8:00-21:00 the recipient's time"
    );
    let mut never = policy();
    never.days.clear();
    let e = never
        .next_window(
            utc("2026-06-10T15:00:00Z"),
            &callee("+17185550100", None),
            &[],
        )
        .unwrap_err();
    assert!(e.starts_with("no day in the next 14 allows a call"), "{e}");
    // Zones whose 9:00–17:00 never overlap: Tokyo (00:00Z–08:00Z) and New York (13:00Z–21:00Z).
    let mut nine_to_five = policy();
    nine_to_five.hours = CallHours {
        from: hm(9),
        until: hm(17),
    };
    let apart = callee("+17185550100", Some("Asia/Tokyo"));
    let e = nine_to_five
        .next_window(utc("2026-06-10T15:00:00Z"), &apart, &[])
        .unwrap_err();
    assert!(e.starts_with("no day in the next 14 allows a call"), "{e}");
}
