//! Tests of learning and picking posting slots, by hand.

use super::*;

fn settings() -> SchedulingSettings {
    SchedulingSettings {
        horizon_days: 14,
        learn_after_posts: 6,
        min_posts_per_slot: 2,
        top_slots: 2,
        default_slots: BTreeMap::from([(
            "linkedin".to_string(),
            vec!["Tue 10:00".to_string(), "Thu 09:00".to_string()],
        )]),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const NY: Tz = chrono_tz::America::New_York;

#[test]
fn a_slot_is_the_weekday_and_hour_in_the_audience_s_zone() {
    // 2026-03-03 15:30 UTC is Tuesday 10:30 in New York (EST, UTC-5).
    let s = Slot::of(at("2026-03-03T15:30:00Z"), NY);
    assert_eq!(s.label(), "Tue 10:00");
    assert_eq!(Slot::parse("Tue 10:00"), Some(s));
    assert_eq!(Slot::parse("Tue 10:30"), None);
    assert_eq!(Slot::parse("Someday 10:00"), None);
}

#[test]
fn until_enough_posts_are_observed_the_default_slots_are_used() {
    let mut stats = SlotStats::default();
    for _ in 0..5 {
        stats.apply(Slot::parse("Wed 12:00").unwrap(), 1000, 80, true);
    }
    let (slots, basis) = best_slots(&stats, "linkedin", &settings());
    assert_eq!(basis, SlotBasis::Default);
    let labels: Vec<String> = slots.iter().map(|r| r.slot.label()).collect();
    assert_eq!(labels, ["Tue 10:00", "Thu 09:00"]);
}

#[test]
fn learned_slots_rank_by_engagement_rate_over_their_posts() {
    let mut stats = SlotStats::default();
    let slot = |s| Slot::parse(s).unwrap();
    // Wed 12:00: 2 posts, 90 of 1500 = 6.0%.
    stats.apply(slot("Wed 12:00"), 1000, 50, true);
    stats.apply(slot("Wed 12:00"), 500, 40, true);
    // Mon 08:00: 2 posts, 30 of 1000 = 3.0%.
    stats.apply(slot("Mon 08:00"), 400, 10, true);
    stats.apply(slot("Mon 08:00"), 600, 20, true);
    // Fri 16:00: 2 posts, 160 of 2000 = 8.0%.
    stats.apply(slot("Fri 16:00"), 1000, 90, true);
    stats.apply(slot("Fri 16:00"), 1000, 70, true);
    // Sat 11:00: 1 post at 20%: too few posts to count.
    stats.apply(slot("Sat 11:00"), 100, 20, true);
    let (slots, basis) = best_slots(&stats, "linkedin", &settings());
    assert_eq!(basis, SlotBasis::Learned);
    let got: Vec<(String, f64)> = slots
        .iter()
        .map(|r| (r.slot.label(), r.rate.unwrap()))
        .collect();
    assert_eq!(
        got,
        [("Fri 16:00".into(), 0.08), ("Wed 12:00".into(), 0.06)]
    );
    // An observation taken back (a newer one of the same post replaces it).
    stats.apply(slot("Fri 16:00"), 1000, 90, false);
    assert_eq!(
        stats.cells["Fri 16:00"],
        Cell {
            posts: 1,
            impressions: 1000,
            engagements: 70
        }
    );
}

#[test]
fn a_post_takes_the_earliest_free_best_slot_and_never_a_taken_one() {
    let ranked: Vec<Ranked> = ["Tue 10:00", "Thu 09:00"]
        .iter()
        .map(|s| Ranked {
            slot: Slot::parse(s).unwrap(),
            rate: None,
        })
        .collect();
    // Requested Monday 2026-03-02 12:00 UTC: Tue 10:00 New York is 2026-03-03 15:00 UTC.
    let earliest = at("2026-03-02T12:00:00Z");
    let mut taken = BTreeSet::new();
    let (t, r) = pick(&ranked, earliest, 14, &taken, NY).unwrap();
    assert_eq!(
        (t, r.slot.label()),
        (at("2026-03-03T15:00:00Z"), "Tue 10:00".to_string())
    );
    // Taken: Thursday 09:00 New York, 14:00 UTC.
    taken.insert(t);
    let (t, _) = pick(&ranked, earliest, 14, &taken, NY).unwrap();
    assert_eq!(t, at("2026-03-05T14:00:00Z"));
    taken.insert(t);
    // Next Tuesday 2026-03-10 is after the US clock change (EDT, UTC-4): 14:00 UTC.
    let (t, _) = pick(&ranked, earliest, 14, &taken, NY).unwrap();
    assert_eq!(t, at("2026-03-10T14:00:00Z"));
    // Requested after Tuesday's slot has passed that day: Thursday.
    let (t, _) = pick(
        &ranked,
        at("2026-03-03T15:00:01Z"),
        14,
        &BTreeSet::new(),
        NY,
    )
    .unwrap();
    assert_eq!(t, at("2026-03-05T14:00:00Z"));
    // Every occurrence within two days taken or out of reach: none.
    assert_eq!(
        pick(&ranked, at("2026-03-03T16:00:00Z"), 1, &BTreeSet::new(), NY),
        None
    );
}

#[test]
fn scheduling_settings_breaking_their_rules_are_refused_by_key() {
    let platforms = vec!["linkedin".to_string()];
    assert_eq!(settings().check("s", &platforms), Ok(()));
    let mut s = settings();
    s.default_slots.get_mut("linkedin").unwrap()[1] = "Thu 9.30".into();
    assert_eq!(
        s.check("s", &platforms).unwrap_err().path,
        "s.default_slots.linkedin[1]"
    );
    let mut s = settings();
    s.default_slots.get_mut("linkedin").unwrap()[1] = "Tue 10:00".into();
    assert_eq!(
        s.check("s", &platforms).unwrap_err().path,
        "s.default_slots.linkedin[1]"
    );
    let e = settings()
        .check("s", &["linkedin".into(), "x".into()])
        .unwrap_err();
    assert_eq!(e.path, "s.default_slots.x");
    let mut s = settings();
    s.horizon_days = 0;
    assert_eq!(s.check("s", &platforms).unwrap_err().path, "s.horizon_days");
}
