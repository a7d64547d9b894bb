//! Hand-worked allocations: floors, caps, diminishing returns, channels without data, and
//! when a change needs approval.

use super::*;
use MarketingChannel::{Email, Paid, Social, Webinar};

fn bounds(floor: i64, cap: i64) -> Bounds {
    Bounds { floor, cap }
}

/// Total 8,000.00 in steps of 1,000.00, each further step on a channel worth half the last.
fn rules(paid_cap: i64) -> Rules {
    Rules {
        total: 800_000,
        step: 100_000,
        diminishing_return: 0.5,
        channels: BTreeMap::from([
            (Paid, bounds(100_000, paid_cap)),
            (Webinar, bounds(100_000, 400_000)),
            (Email, bounds(50_000, 300_000)),
            (Social, bounds(50_000, 200_000)),
        ]),
    }
}

fn returns() -> BTreeMap<MarketingChannel, f64> {
    // Social has no data.
    BTreeMap::from([(Paid, 4.0), (Webinar, 3.0), (Email, 1.0)])
}

fn usd(minor: i64) -> String {
    ascent_core::money::Money::usd(minor).to_string()
}

#[test]
fn steps_go_to_the_best_marginal_return_and_the_total_is_kept() {
    // Floors 3,000.00; 5,000.00 to place. Marginal returns of the steps:
    // 1 paid 4 > webinar 3; 2 webinar 3 > paid 2; 3 paid 2; 4 webinar 1.5 > paid 1;
    // 5 paid 1 = email 1: the higher measured return (paid 4) wins.
    let a = allocate(&rules(500_000), &returns());
    assert_eq!(
        a,
        BTreeMap::from([
            (Paid, 400_000),
            (Webinar, 300_000),
            (Email, 50_000),
            (Social, 50_000)
        ])
    );
    assert_eq!(total(&a), 800_000);
}

#[test]
fn a_cap_holds_and_the_step_shrinks_to_the_room_left() {
    // Paid capped at 2,500.00: its second step is 500.00. Then webinar 1.5 > email 1,
    // email 1 > webinar 0.75, webinar 0.75 > email 0.5 for the last 500.00.
    let a = allocate(&rules(250_000), &returns());
    assert_eq!(
        a,
        BTreeMap::from([
            (Paid, 250_000),
            (Webinar, 350_000),
            (Email, 150_000),
            (Social, 50_000)
        ])
    );
    assert_eq!(total(&a), 800_000);
}

#[test]
fn a_channel_without_data_keeps_its_floor_until_the_measured_ones_are_full() {
    let a = allocate(&rules(500_000), &returns());
    assert_eq!(a[&Social], 50_000);
    // Every measured channel capped: the rest fills the others in channel order.
    let mut r = rules(200_000);
    r.channels.insert(Webinar, bounds(100_000, 150_000));
    r.channels.insert(Email, bounds(50_000, 60_000));
    r.channels.insert(Social, bounds(50_000, 500_000));
    let a = allocate(&r, &returns());
    assert_eq!(
        a,
        BTreeMap::from([
            (Paid, 200_000),
            (Webinar, 150_000),
            (Email, 60_000),
            (Social, 390_000)
        ])
    );
}

#[test]
fn a_channel_returning_nothing_is_treated_as_one_without_data() {
    let mut r = returns();
    r.insert(Email, 0.0);
    r.insert(Social, f64::NAN);
    let a = allocate(&rules(500_000), &r);
    assert_eq!((a[&Email], a[&Social]), (50_000, 50_000));
    assert_eq!(total(&a), 800_000);
}

#[test]
fn floors_hold_even_for_the_worst_channel() {
    let r = BTreeMap::from([(Paid, 9.0), (Webinar, 0.1), (Email, 0.2)]);
    let mut rules = rules(700_000);
    rules.diminishing_return = 1.0; // constant returns: paid takes all it can
    let a = allocate(&rules, &r);
    assert_eq!(
        a,
        BTreeMap::from([
            (Paid, 600_000),
            (Webinar, 100_000),
            (Email, 50_000),
            (Social, 50_000)
        ])
    );
}

#[test]
fn a_reallocation_within_the_plan_and_small_moves_needs_no_approval() {
    let previous = BTreeMap::from([
        (Paid, 350_000),
        (Webinar, 300_000),
        (Email, 100_000),
        (Social, 50_000),
    ]);
    let proposed = allocate(&rules(500_000), &returns());
    // Paid +500.00, webinar ±0, email −500.00: nothing above 500.00, the total unchanged.
    assert!(approval_reasons(&previous, &proposed, 50_000, usd).is_empty());
    assert_eq!(increase(&previous, &proposed), 50_000);
}

#[test]
fn a_large_rise_on_one_channel_or_a_total_over_plan_needs_approval() {
    let previous = BTreeMap::from([
        (Paid, 300_000),
        (Webinar, 300_000),
        (Email, 100_000),
        (Social, 100_000),
    ]);
    let proposed = allocate(&rules(500_000), &returns());
    assert_eq!(
        approval_reasons(&previous, &proposed, 50_000, usd),
        ["paid rises by 1000.00 USD (from 3000.00 USD to 4000.00 USD), more than 500.00 USD"]
    );
    assert_eq!(increase(&previous, &proposed), 100_000);

    let smaller = BTreeMap::from([
        (Paid, 300_000),
        (Webinar, 250_000),
        (Email, 50_000),
        (Social, 50_000),
    ]); // 6,500.00 in effect; the plan total is now 8,000.00
    let why = approval_reasons(&smaller, &proposed, 100_000, usd);
    assert_eq!(
        why,
        ["the total of 8000.00 USD is over the plan in effect (6500.00 USD) by 1500.00 USD"]
    );
    assert_eq!(increase(&smaller, &proposed), 150_000);
}
