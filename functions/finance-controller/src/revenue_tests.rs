//! Given/when/then tests of the recognition decisions, figures worked by hand.

use super::*;
use ascent_core::catalog::LineRevenue;
use ascent_core::money::Money;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn line(
    sku: &str,
    minor: i64,
    revenue: Option<(Recognition, Option<&str>, Option<&str>)>,
) -> PricedLine {
    PricedLine {
        sku: sku.into(),
        description: sku.into(),
        quantity: 1,
        unit_price: Money::usd(minor),
        amount: Money::usd(minor),
        revenue: revenue.map(|(recognition, s, e)| LineRevenue {
            recognition,
            service_start: s.map(day),
            service_end: e.map(day),
        }),
        tax: None,
    }
}

fn annual(minor: i64) -> PricedLine {
    line(
        "XR-STUDIO-SEAT",
        minor,
        Some((Recognition::Ratable, Some("2026-01-15"), Some("2027-01-14"))),
    )
}

#[test]
fn an_annual_subscription_is_deferred_and_earned_month_by_month() {
    // Given an annual subscription of 12,000.00 invoiced 15 January 2026, service 15 January
    // 2026 to 14 January 2027 (365 days),
    let r = recognise_invoice("inv-1", "A1", "USD", &[annual(1_200_000)], 1_200_000);
    // when it is invoiced, nothing is revenue yet: all 12,000.00 is deferred,
    assert_eq!(r.earned_now, 0);
    assert_eq!(r.deferred_total(), 1_200_000);
    let mut s = r.deferred[0].clone();
    assert_eq!(s.next_month, Some(day("2026-01-01")));
    // then each month earns what is left × its days ÷ the days left:
    //   January:  12,000.00 × 17 (15–31) / 365          = 558.904  → 558.90
    //   February: 11,441.10 × 28 / 348 (1 Feb–14 Jan)   = 920.548  → 920.55
    //   March:    10,520.55 × 31 / 320                  = 1,019.178 → 1,019.18
    //   April:     9,501.37 × 30 / 289                  = 986.301  → 986.30
    //   …
    //   January 2027 (service ends on the 14th): the rest, 460.27
    let mut months = Vec::new();
    while let Some(m) = s.next_month {
        let amount = release_for_month(&s, m);
        s.released_minor += amount;
        s.next_month = month_after(&s, m);
        months.push((m.format("%Y-%m").to_string(), amount));
    }
    assert_eq!(months.len(), 13);
    assert_eq!(months[0], ("2026-01".into(), 55_890));
    assert_eq!(months[1], ("2026-02".into(), 92_055));
    assert_eq!(months[2], ("2026-03".into(), 101_918));
    assert_eq!(months[3], ("2026-04".into(), 98_630));
    assert_eq!(months[11], ("2026-12".into(), 101_918));
    assert_eq!(months[12], ("2027-01".into(), 46_027));
    // and the months add up to the line exactly.
    assert_eq!(months.iter().map(|(_, a)| a).sum::<i64>(), 1_200_000);
    assert_eq!(s.unearned(), 0);
}

#[test]
fn point_in_time_and_undescribed_lines_are_revenue_at_once_and_onboarding_waits_for_delivery() {
    // Given 1,000.00 of a one-off licence, 500.00 of an old-style line (no recognition) and
    // 5,000.00 of onboarding earned on delivery,
    let lines = [
        line(
            "LICENCE",
            100_000,
            Some((Recognition::PointInTime, None, None)),
        ),
        line("LEGACY", 50_000, None),
        line(
            "ONBOARDING",
            500_000,
            Some((Recognition::OnDelivery, None, None)),
        ),
    ];
    let r = recognise_invoice("inv-2", "A1", "USD", &lines, 650_000);
    // then 1,500.00 is revenue at once and 5,000.00 waits for delivery.
    assert_eq!(r.earned_now, 150_000);
    assert_eq!(r.deferred.len(), 1);
    assert_eq!(r.deferred[0].recognition, Recognition::OnDelivery);
    assert_eq!(
        (r.deferred[0].total_minor, r.deferred[0].next_month),
        (500_000, None)
    );
}

#[test]
fn a_ratable_line_without_a_service_period_is_revenue_when_invoiced() {
    let lines = [line(
        "XR-HEADSET",
        89_900,
        Some((Recognition::Ratable, None, None)),
    )];
    let r = recognise_invoice("inv-3", "A1", "USD", &lines, 89_900);
    assert_eq!((r.earned_now, r.deferred.len()), (89_900, 0));
}

#[test]
fn a_discount_that_does_not_say_how_it_is_earned_is_allocated_in_proportion() {
    // Given 12,000.00 of subscription (ratable), 5,000.00 of onboarding (on delivery) and a
    // discount of −1,700.00 with no recognition, on a 15,300.00 subtotal,
    let mut discount = line("DISCOUNT", -170_000, None);
    discount.description = "Discount".into();
    let lines = [
        annual(1_200_000),
        line(
            "ONBOARDING",
            500_000,
            Some((Recognition::OnDelivery, None, None)),
        ),
        discount,
    ];
    let r = recognise_invoice("inv-4", "A1", "USD", &lines, 1_530_000);
    // then the discount is shared 12,000 : 5,000 of 17,000: −1,700 × 12/17 = −1,200.00 to the
    // subscription, the rest (−500.00) to onboarding; all 15,300.00 is deferred.
    assert_eq!(r.deferred[0].total_minor, 1_080_000);
    assert_eq!(r.deferred[1].total_minor, 450_000);
    assert_eq!(r.earned_now, 0);
}

#[test]
fn a_credit_note_reverses_earned_and_unearned_revenue_in_proportion() {
    // Given the 12,000.00 subscription after January and February (1,479.45 earned,
    // 10,520.55 unearned), credited 1,200.00 net,
    let mut s = recognise_invoice("inv-1", "A1", "USD", &[annual(1_200_000)], 1_200_000)
        .deferred
        .remove(0);
    s.released_minor = 147_945;
    // then 1,200.00 × 10,520.55 / 12,000.00 = 1,052.055 → 1,052.06 reverses deferred revenue
    // and 147.94 earned revenue (Sales Returns),
    let unearned = unearned_part(120_000, s.unearned(), 1_200_000);
    assert_eq!(unearned, 105_206);
    // and the schedule has 1,052.06 less to earn (total 10,947.94).
    let mut all = [s];
    assert_eq!(reduce(&mut all, unearned), vec![105_206]);
    assert_eq!(all[0].total_minor, 1_094_794);
    assert_eq!(all[0].unearned(), 1_052_055 - 105_206);
    // Nothing unearned, nothing reverses deferred revenue.
    assert_eq!(unearned_part(120_000, 0, 1_200_000), 0);
}

#[test]
fn a_reduction_is_shared_over_the_open_schedules_and_adds_up() {
    let mut a =
        recognise_invoice("inv-5", "A1", "USD", &[annual(300), annual(700)], 1_000).deferred;
    // 100 off 1,000 unearned: 30 and the remainder 70.
    assert_eq!(reduce(&mut a, 100), vec![30, 70]);
    assert_eq!(a[0].total_minor + a[1].total_minor, 900);
}
