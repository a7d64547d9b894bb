//! The attribution models against hand-computed examples.

use super::*;
use ascent_core::catalog::MarketingChannel::{Email, Paid, Search, Webinar};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn touch(id: &str, channel: MarketingChannel, when: &str) -> Touch {
    Touch {
        id: id.into(),
        channel,
        campaign_id: None,
        at: at(when),
    }
}

/// A journey of four touches a week or two apart: organic search, a webinar, a nurture email
/// and a paid retargeting ad, then a deal of 12,345.67 won on 2026-02-10.
fn journey() -> Vec<Touch> {
    vec![
        touch("t1", Search, "2026-01-01T10:00:00Z"),
        touch("t2", Webinar, "2026-01-15T10:00:00Z"),
        touch("t3", Email, "2026-01-29T10:00:00Z"),
        touch("t4", Paid, "2026-02-05T10:00:00Z"),
    ]
}

const DEAL: i64 = 1_234_567;

fn shipped() -> ModelSettings {
    ModelSettings {
        half_life_days: 7.0,
        position: PositionShares {
            first: 40,
            middle: 20,
            last: 40,
        },
    }
}

fn shares(model: AttributionModel) -> Vec<i64> {
    attribute(model, &journey(), DEAL, &shipped())
}

#[test]
fn first_and_last_touch_give_the_whole_deal_to_one_touch() {
    assert_eq!(shares(AttributionModel::FirstTouch), [1_234_567, 0, 0, 0]);
    assert_eq!(shares(AttributionModel::LastTouch), [0, 0, 0, 1_234_567]);
}

#[test]
fn linear_splits_evenly_and_the_odd_cents_go_to_the_earliest_touches() {
    // 1,234,567 / 4 = 308,641.75: floors sum to 1,234,564; the 3 cents left go to the three
    // earliest of four equal remainders.
    assert_eq!(
        shares(AttributionModel::Linear),
        [308_642, 308_642, 308_642, 308_641]
    );
}

#[test]
fn time_decay_halves_the_credit_every_half_life_before_the_last_touch() {
    // Ages before the last touch (02-05): 35, 21, 7 and 0 days; half-life 7: weights 1/32,
    // 1/8, 1/2, 1 = 1, 4, 16, 32 parts of 53.
    // 1,234,567·1/53 = 23,293 r38; ·4/53 = 93,174 r46; ·16/53 = 372,699 r25;
    // ·32/53 = 745,398 r50. Floors: 1,234,564; 3 cents to the remainders 50, 46, 38.
    assert_eq!(
        shares(AttributionModel::TimeDecay),
        [23_294, 93_175, 372_699, 745_399]
    );
}

#[test]
fn position_based_gives_forty_percent_to_each_end_and_splits_twenty_among_the_middle() {
    // 40% = 493,826.8 each end, 10% = 123,456.7 each middle; floors 1,234,564; the 3 cents to
    // the remainders .8, .8, .7 (first, last, then the earlier middle touch).
    assert_eq!(
        shares(AttributionModel::PositionBased),
        [493_827, 123_457, 123_456, 493_827]
    );
    // Two touches: no middle, the ends share 40:40 (half each); one touch takes it all.
    let two = &journey()[..2];
    assert_eq!(
        attribute(AttributionModel::PositionBased, two, 1_001, &shipped()),
        [501, 500]
    );
    let one = &journey()[..1];
    assert_eq!(
        attribute(AttributionModel::PositionBased, one, 1_001, &shipped()),
        [1_001]
    );
    // Other shares from the file: 30/40/30 over five touches of 1,000.00: 30% each end,
    // 40% / 3 middle = 13,333.33 each; the cent left to the first middle touch.
    let five: Vec<Touch> = (0..5)
        .map(|i| {
            touch(
                &format!("t{i}"),
                Email,
                &format!("2026-01-0{}T10:00:00Z", i + 1),
            )
        })
        .collect();
    let s = ModelSettings {
        position: PositionShares {
            first: 30,
            middle: 40,
            last: 30,
        },
        ..shipped()
    };
    assert_eq!(
        attribute(AttributionModel::PositionBased, &five, 100_000, &s),
        [30_000, 13_334, 13_333, 13_333, 30_000]
    );
}

#[test]
fn every_model_always_sums_exactly_to_the_amount() {
    let journeys: Vec<Vec<Touch>> = (1..=4).map(|n| journey()[..n].to_vec()).collect();
    for amount in [0, 1, 2, 3, 7, 99, 100, 1_001, 33_333, DEAL, 9_999_999_999] {
        for j in &journeys {
            for m in MODELS {
                let s = attribute(m, j, amount, &shipped());
                assert_eq!(s.len(), j.len());
                assert_eq!(
                    s.iter().sum::<i64>(),
                    amount,
                    "{m:?} {amount} over {}",
                    j.len()
                );
                assert!(s.iter().all(|x| *x >= 0));
            }
        }
    }
}

#[test]
fn allocate_splits_by_largest_remainder() {
    // 10 by 1:1:1 = 3.33 each: the cent left to the first.
    assert_eq!(allocate(10, &[1, 1, 1]), [4, 3, 3]);
    // 100 by 1:2 = 33.3 / 66.7: the cent to the larger remainder (the second).
    assert_eq!(allocate(100, &[1, 2]), [33, 67]);
    assert_eq!(allocate(5, &[]), Vec::<i64>::new());
    assert_eq!(allocate(5, &[0, 0]), [0, 0]);
}

#[test]
fn only_touches_in_the_window_before_the_win_count_oldest_first() {
    let mut touches = journey();
    touches.reverse();
    touches.push(touch("after", Paid, "2026-02-11T10:00:00Z"));
    touches.push(touch("stale", Paid, "2025-06-01T10:00:00Z"));
    let won = at("2026-02-10T12:00:00Z");
    let ids: Vec<String> = in_window(&touches, won, 60)
        .into_iter()
        .map(|t| t.id)
        .collect();
    // 60 days before the win is 2025-12-12: t1 (01-01) counts, the June touch does not, nor
    // the touch after the win.
    assert_eq!(ids, ["t1", "t2", "t3", "t4"]);
    let ids: Vec<String> = in_window(&touches, won, 30)
        .into_iter()
        .map(|t| t.id)
        .collect();
    // 30 days: from 2026-01-11.
    assert_eq!(ids, ["t2", "t3", "t4"]);
}
