//! The day ledger, periods, ROI and CAC against hand-computed figures.

use super::*;
use ascent_core::catalog::MarketingChannel::{Paid, Search, Webinar};
use models::PositionShares;

fn s() -> ModelSettings {
    ModelSettings {
        half_life_days: 7.0,
        position: PositionShares {
            first: 40,
            middle: 20,
            last: 40,
        },
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn touch(id: &str, channel: MarketingChannel, campaign: Option<&str>, at: &str) -> Touch {
    Touch {
        id: id.into(),
        channel,
        campaign_id: campaign.map(str::to_string),
        at: at.parse().unwrap(),
    }
}

/// Given 5,000.00 spent on a webinar and 8,000.00 on the ads campaign C-ADS, and a new
/// customer's deal of 21,200.00 won after the webinar (W1) and an ad click (C-ADS).
fn day() -> DayLedger {
    let mut l = DayLedger::new(d("2026-03-02"));
    l.spend(Webinar, Some("W1"), 500_000);
    l.spend(Paid, Some("C-ADS"), 800_000);
    let touches = [
        touch("a", Webinar, Some("W1"), "2026-02-20T15:00:00Z"),
        touch("b", Paid, Some("C-ADS"), "2026-02-27T09:00:00Z"),
    ];
    l.credit(&touches, 2_120_000, true, &s());
    l
}

#[test]
fn a_deal_is_credited_to_its_touches_channels_and_campaigns_under_every_model() {
    let l = day();
    let webinar = &l.channels[&Webinar];
    let paid = &l.channels[&Paid];
    // first, last, linear, time decay, position based
    // Time decay: the webinar is 6 days 18 hours older than the ad: 2^(−6.75/7) = 0.51253 of
    // the ad's weight; 2,120,000 · 0.51253/1.51253 = 718,376.86: 718,377 (the larger
    // remainder takes the cent) and 1,401,623.
    assert_eq!(
        webinar.revenue,
        [2_120_000, 0, 1_060_000, 718_377, 1_060_000]
    );
    assert_eq!(
        paid.revenue,
        [0, 2_120_000, 1_060_000, 1_401_623, 1_060_000]
    );
    assert_eq!(webinar.customers[0], ONE_CUSTOMER);
    assert_eq!(paid.customers[4], ONE_CUSTOMER / 2);
    assert_eq!(l.campaigns["C-ADS"].tally, *paid);
    assert_eq!(l.campaigns["W1"].channel, Webinar);
    assert_eq!(l.unattributed_revenue, 0);
}

#[test]
fn roi_cac_and_return_per_unit_spent_are_computed_per_model() {
    let l = day();
    // Position based: the webinar's 5,000.00 brought 10,600.00 and half a customer.
    let m = measures(&l.channels[&Webinar], AttributionModel::PositionBased);
    assert_eq!(
        (m.spend, m.revenue, m.customers),
        (500_000, 1_060_000, 5_000)
    );
    assert_eq!(m.return_per_unit, Some(2.12));
    assert_eq!(m.roi, Some(1.12));
    // 5,000.00 / 0.5 customer = 10,000.00.
    assert_eq!(m.cac, Some(1_000_000));
    // Last touch: the ads brought the whole deal: (21,200 − 8,000) / 8,000 = 1.65.
    let m = measures(&l.channels[&Paid], AttributionModel::LastTouch);
    assert_eq!(m.roi, Some(1.65));
    assert_eq!(m.cac, Some(800_000));
    // First touch: the ads brought nothing: ROI −1, no customer, no CAC.
    let m = measures(&l.channels[&Paid], AttributionModel::FirstTouch);
    assert_eq!((m.roi, m.cac), (Some(-1.0), None));
    // Without spend there is no return to measure.
    let mut organic = Tally::default();
    organic.revenue[2] = 50_000;
    organic.customers[2] = 3 * ONE_CUSTOMER;
    let m = measures(&organic, AttributionModel::Linear);
    assert_eq!((m.return_per_unit, m.roi, m.cac), (None, None, Some(0)));
}

#[test]
fn cac_rounds_half_up_to_the_cent() {
    let mut t = Tally {
        spend: 100_000,
        ..Tally::default()
    };
    // 1,000.00 over 3 customers: 333.333… → 333.33.
    t.customers[2] = 3 * ONE_CUSTOMER;
    assert_eq!(measures(&t, AttributionModel::Linear).cac, Some(33_333));
    // 0.01 over 2 customers: half a cent rounds up.
    t.spend = 1;
    t.customers[2] = 2 * ONE_CUSTOMER;
    assert_eq!(measures(&t, AttributionModel::Linear).cac, Some(1));
    assert_eq!(customers(6_667), 0.67);
}

#[test]
fn a_won_deal_without_touches_is_unattributed() {
    let mut l = DayLedger::new(d("2026-03-03"));
    l.credit(&[], 990_000, true, &s());
    l.credit(&[], 10_000, false, &s());
    assert_eq!(
        (l.unattributed_revenue, l.unattributed_customers),
        (1_000_000, ONE_CUSTOMER)
    );
    assert!(l.channels.is_empty());
}

#[test]
fn a_period_sums_its_days_only() {
    let mut before = DayLedger::new(d("2026-02-22"));
    before.spend(Search, None, 70_000);
    let mut later = day();
    later.day = d("2026-03-05");
    let days = [before, day(), later];
    let p = period(&days, d("2026-02-23"), d("2026-03-05"));
    assert!(
        !p.channels.contains_key(&Search),
        "02-22 is before the period"
    );
    assert_eq!(p.channels[&Webinar].spend, 1_000_000);
    assert_eq!(p.channels[&Paid].revenue[1], 4_240_000);
    assert_eq!(p.campaigns["C-ADS"].tally.spend, 1_600_000);
    let all = period(&days, d("2026-02-01"), d("2026-03-31"));
    assert_eq!(all.channels[&Search].spend, 70_000);
}
