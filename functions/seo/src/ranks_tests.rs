//! Rank history and drop decisions, by hand.

use super::*;

const RULE: DropRule = DropRule {
    places: 5.0,
    trailing: 7,
    min_trailing: 3,
    top_n: 10,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, d).unwrap()
}

fn seen(d: u32, rank: Option<u32>) -> KeywordRankObserved {
    KeywordRankObserved {
        keyword: "xr maintenance training".into(),
        url: rank.map(|_| "https://ascent-xr.example/solutions/maintenance".into()),
        rank,
        search_volume: 2400,
        difficulty: 42,
        observed_on: day(d),
    }
}

fn history(ranks: &[Option<u32>]) -> History {
    let mut h = History::new("xr maintenance training");
    for (i, r) in ranks.iter().enumerate() {
        record(&mut h, &seen(i as u32 + 1, *r), 30, &RULE);
    }
    h
}

#[test]
fn keywords_are_normalised_and_blank_or_overlong_ones_refused() {
    assert_eq!(
        normalise("  XR   Maintenance\tTraining ", "keyword").unwrap(),
        "xr maintenance training"
    );
    let e = normalise("   ", "keyword").unwrap_err().to_string();
    assert!(e.contains("keyword: is blank"), "{e}");
    let e = normalise(&"x".repeat(201), "keyword")
        .unwrap_err()
        .to_string();
    assert!(e.contains("keyword: longer than 200"), "{e}");
    assert!(check_rank(Some(0), "rank").is_err());
    assert!(check_rank(Some(101), "rank").is_err());
    assert_eq!(check_rank(None, "rank").unwrap(), None);
    assert!(check_difficulty(101, "difficulty").is_err());
}

#[test]
fn the_trailing_average_takes_the_last_ranked_observations() {
    // Ranks 4, 3, (none), 5, 4, 3, 5, 4, 6: the last 7 ranked are 3 5 4 3 5 4 6 = 30 / 7.
    let h = history(&[
        Some(4),
        Some(3),
        None,
        Some(5),
        Some(4),
        Some(3),
        Some(5),
        Some(4),
        Some(6),
    ]);
    let avg = trailing_average(&h.observations, &RULE).unwrap();
    assert!((avg - 30.0 / 7.0).abs() < 1e-9, "{avg}");
    // Two ranked observations are too few.
    assert_eq!(
        trailing_average(&history(&[Some(3), None, Some(4)]).observations, &RULE),
        None
    );
}

#[test]
fn a_fall_of_more_than_the_places_against_the_average_is_a_drop() {
    // Average of 4, 3, 5 is 4.0: 9 is 5 places below (not more), 10 is 6.
    let h = history(&[Some(4), Some(3), Some(5)]);
    assert_eq!(drop_of(&h.observations, &h_obs(4, Some(9)), &RULE), None);
    let d = drop_of(&h.observations, &h_obs(4, Some(10)), &RULE).unwrap();
    assert_eq!((d.position, d.previous, d.threshold), (10, 5, 9.0));
    assert_eq!(d.trailing_average, Some(4.0));
    assert_eq!(
        d.reason,
        "more than 5 places below its trailing average of 4.0"
    );
    // Falling out of the top 100 counts as 101.
    let d = drop_of(&h.observations, &h_obs(4, None), &RULE).unwrap();
    assert_eq!(d.position, 101);
}

fn h_obs(d: u32, rank: Option<u32>) -> Observation {
    Observation {
        on: day(d),
        rank,
        url: None,
    }
}

#[test]
fn leaving_the_top_ten_is_a_drop_even_without_enough_history() {
    let h = history(&[Some(8)]);
    let d = drop_of(&h.observations, &h_obs(2, Some(12)), &RULE).unwrap();
    assert_eq!(d.reason, "left the top 10");
    assert_eq!((d.position, d.previous, d.threshold), (12, 8, 10.0));
    // Already outside: no drop; and nothing to compare the first observation with.
    let h = history(&[Some(14)]);
    assert_eq!(drop_of(&h.observations, &h_obs(2, Some(18)), &RULE), None);
    assert_eq!(drop_of(&[], &h_obs(1, Some(90)), &RULE), None);
}

#[test]
fn a_drop_is_alerted_once_and_re_armed_after_recovery() {
    let mut h = history(&[Some(3), Some(4), Some(3)]);
    // 3 4 3 -> 15: a drop (average 3.33, and out of the top 10).
    assert!(matches!(
        record(&mut h, &seen(4, Some(15)), 30, &RULE),
        Recorded::Dropped(_)
    ));
    assert!(h.in_drop);
    // Still down the next day (average of 3 4 3 15 = 6.25; 16 is 9.75 below): not again.
    assert_eq!(
        record(&mut h, &seen(5, Some(16)), 30, &RULE),
        Recorded::Kept
    );
    // The same day resent with another position: replaced, no alert.
    assert_eq!(
        record(&mut h, &seen(5, Some(40)), 30, &RULE),
        Recorded::Kept
    );
    assert_eq!(h.observations.last().unwrap().rank, Some(40));
    // Back to 4 (average 3 4 3 15 40 = 13): recovered, re-armed.
    assert_eq!(record(&mut h, &seen(6, Some(4)), 30, &RULE), Recorded::Kept);
    assert!(!h.in_drop);
    // Out of the top 10 again: a new alert.
    assert!(matches!(
        record(&mut h, &seen(7, Some(11)), 30, &RULE),
        Recorded::Dropped(_)
    ));
}

#[test]
fn history_is_kept_in_day_order_and_bounded() {
    let mut h = history(&[Some(5), Some(6), Some(7)]);
    // A late observation of an earlier day goes in its place and decides nothing.
    let mut late = seen(2, Some(60));
    late.observed_on = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    assert_eq!(record(&mut h, &late, 3, &RULE), Recorded::Kept);
    // Kept: the latest 3 days (the late one, the oldest, is dropped again).
    let days: Vec<u32> = h
        .observations
        .iter()
        .map(|o| chrono::Datelike::day(&o.on))
        .collect();
    assert_eq!(days, [1, 2, 3]);
    record(&mut h, &seen(4, Some(5)), 3, &RULE);
    let ranks: Vec<Option<u32>> = h.observations.iter().map(|o| o.rank).collect();
    assert_eq!(ranks, [Some(6), Some(7), Some(5)]);
    assert_eq!((h.search_volume, h.difficulty), (2400, 42));
}
