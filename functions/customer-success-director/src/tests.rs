//! The agent's given/when/then tests: portfolio, NPS, renewal forecast, ARR per currency.

use super::*;
use ascent_core::catalog::{CustomerSignedUp, HealthComponent, UsageReported};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[path = "tests_privacy.rs"]
mod privacy;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn signup(a: &str, plan: &str, seats: u32) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: a.into(),
        company: a.into(),
        plan: plan.into(),
        seats,
        tax_region: "US-CA".into(),
        billing_email: "ap@x.example".into(),
        payment_terms_days: 30,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn health(a: &str, score: u8, tier: HealthTier, arr: i64, renews: &str) -> HealthScored {
    HealthScored {
        account_id: a.into(),
        score,
        tier,
        components: vec![HealthComponent {
            name: "usage_trend".into(),
            score,
            weight: 1.0,
            detail: String::new(),
        }],
        model: "default-v1".into(),
        arr: Some(Money::usd(arr)),
        renews_on: Some(renews.parse().unwrap()),
        arr_by_currency: vec![],
    }
}

/// Bulk work never depends on its size (issue 19): a portfolio of 1,000 accounts, all
/// upsell candidates, is reported in one run within AWS's limits.
#[test]
fn a_portfolio_of_1000_accounts_is_reported_within_aws_limits() {
    use ascent_core::Actor;
    let start = at("2026-03-02T09:00:00Z");
    let t = TestTwin::new(vec![Arc::new(CustomerSuccessDirector::default())], start);
    let mut events = Vec::new();
    for i in 0..1000 {
        let a = format!("P{i:04}");
        events.push(Event::new(
            "ascent.platform",
            Actor::system("ascent.platform"),
            start,
            signup(&a, "team", 10),
        ));
        events.push(Event::new(
            "ascent.agent.retention",
            Actor::system("ascent.agent.retention"),
            start,
            health(&a, 90, HealthTier::Healthy, 100_000, "2026-12-01"),
        ));
        events.push(Event::new(
            "ascent.platform",
            Actor::system("ascent.platform"),
            start,
            UsageReported {
                account_id: a,
                metric: "active_seats".into(),
                quantity: 10.0,
                period_start: start,
                period_end: start,
            },
        ));
    }
    for chunk in events.chunks(300) {
        t.runtime.ingest(chunk).unwrap();
        t.drain();
    }
    t.tick("daily", at("2026-03-09T06:00:00Z"));
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    let published = t.emitted("CsReportPublished");
    let Payload::CsReportPublished(r) = published[0].payload() else {
        unreachable!()
    };
    assert_eq!((r.accounts, r.upsell_candidates.len()), (1000, 1000));
}

#[test]
fn the_weekly_report_adds_up_portfolio_nps_renewals_and_upsell() {
    let t = TestTwin::new(
        vec![Arc::new(CustomerSuccessDirector::default())],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1", "enterprise", 50));
    t.emit("ascent.platform", signup("A2", "team", 10));
    t.emit("ascent.platform", signup("A3", "team", 10));
    t.emit(
        "ascent.agent.retention",
        health("A1", 88, HealthTier::Healthy, 4_240_000, "2026-04-15"),
    );
    t.emit(
        "ascent.agent.retention",
        health("A2", 55, HealthTier::Watch, 1_080_000, "2026-05-01"),
    );
    t.emit(
        "ascent.agent.retention",
        health("A3", 30, HealthTier::AtRisk, 500_000, "2026-05-20"),
    );
    t.emit(
        "ascent.platform",
        UsageReported {
            account_id: "A1".into(),
            metric: "active_seats".into(),
            quantity: 47.0,
            period_start: t.now(),
            period_end: t.now(),
        },
    );
    for (a, r, s) in [
        ("A1", "x", 10),
        ("A1", "y", 9),
        ("A2", "z", 7),
        ("A3", "w", 3),
    ] {
        t.emit(
            "ascent.surveys",
            NpsResponse {
                account_id: a.into(),
                respondent: r.into(),
                score: s,
                comment: None,
            },
        );
    }
    // Monday 9 March.
    t.tick("daily", at("2026-03-09T06:00:00Z"));
    let published = t.emitted("CsReportPublished");
    assert_eq!(published.len(), 1);
    let Payload::CsReportPublished(r) = published[0].payload() else {
        unreachable!()
    };
    assert_eq!((r.accounts, r.healthy, r.watch, r.at_risk), (3, 1, 1, 1));
    // 2 promoters, 1 passive, 1 detractor of 4: (2 − 1) / 4 = +25.
    assert_eq!(r.nps, Some(25));
    // A1 and A2 renew within 90 days (A3 on 20 May is day 72: also in).
    assert_eq!(r.arr_up_for_renewal, Money::usd(5_820_000));
    assert_eq!(r.arr_at_risk, Money::usd(500_000));
    // 42,400 × .95 + 10,800 × .75 + 5,000 × .40 = 40,280 + 8,100 + 2,000 = 50,380.
    assert_eq!(r.arr_expected, Money::usd(5_038_000));
    assert_eq!(r.upsell_candidates, ["A1"]);
    let stored = t
        .get(Domain::Performance, "cs-report#2026-03-09", "report")
        .unwrap();
    assert_eq!(stored["nps_by_segment"]["enterprise"], 100);
    assert_eq!(stored["nps_by_segment"]["team"], -50); // a passive and a detractor
    // Only on Mondays, once.
    t.runtime
        .schedule_tick("daily", at("2026-03-10T06:00:00Z"))
        .unwrap();
    t.runtime
        .schedule_tick("daily", at("2026-03-09T07:00:00Z"))
        .unwrap();
    t.drain();
    assert_eq!(t.emitted("CsReportPublished").len(), 1);
}

#[test]
fn the_report_keeps_arr_per_currency_and_labels_the_converted_figures() {
    // Given A1 billed USD 42,400.00 (healthy) and A2 billed EUR 10,000.00 (at risk), both
    // renewing within 90 days of Monday 9 March 2026
    let t = TestTwin::new(
        vec![Arc::new(CustomerSuccessDirector::default())],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1", "enterprise", 50));
    t.emit("ascent.platform", signup("A2", "team", 10));
    t.emit(
        "ascent.agent.retention",
        health("A1", 88, HealthTier::Healthy, 4_240_000, "2026-04-15"),
    );
    let mut eur = health("A2", 30, HealthTier::AtRisk, 0, "2026-05-01");
    eur.arr = Some(Money::new(1_000_000, "EUR"));
    eur.arr_by_currency = vec![Money::new(1_000_000, "EUR")];
    t.emit("ascent.agent.retention", eur);
    // When the weekly report runs
    t.tick("daily", at("2026-03-09T06:00:00Z"));
    let published = t.emitted("CsReportPublished");
    let Payload::CsReportPublished(r) = published[0].payload() else {
        unreachable!()
    };
    // Then ARR stands per currency (the old report added 42,400 + 10,000 = 52,400 "USD")
    let per = [Money::new(1_000_000, "EUR"), Money::usd(4_240_000)];
    assert_eq!(r.arr_by_currency, per);
    assert_eq!(r.arr_up_for_renewal_by_currency, per);
    assert_eq!(r.arr_at_risk_by_currency, [Money::new(1_000_000, "EUR")]);
    // Expected: EUR 10,000 × .40 = 4,000.00; USD 42,400 × .95 = 40,280.00.
    assert_eq!(
        r.arr_expected_by_currency,
        [Money::new(400_000, "EUR"), Money::usd(4_028_000)]
    );
    // And the single figures are converted at the 2026 rate USD 1.08 per EUR:
    // 10,000 × 1.08 = 10,800 + 42,400 = 53,200.00; at risk 10,800.00;
    // expected 4,000 × 1.08 = 4,320 + 40,280 = 44,600.00.
    assert_eq!(r.arr_up_for_renewal, Money::usd(5_320_000));
    assert_eq!(r.arr_converted, Some(Money::usd(5_320_000)));
    assert_eq!(r.arr_at_risk, Money::usd(1_080_000));
    assert_eq!(r.arr_expected, Money::usd(4_460_000));
    assert_eq!(
        r.conversion.as_deref(),
        Some("converted to USD at the [currency] rates of 2026-03-09")
    );
}

#[test]
fn bad_seat_counts_are_refused_and_churned_accounts_leave_the_report() {
    let t = TestTwin::new(
        vec![Arc::new(CustomerSuccessDirector::default())],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1", "team", 10));
    t.emit("ascent.platform", signup("A2", "team", 10));
    t.emit(
        "ascent.platform",
        UsageReported {
            account_id: "A1".into(),
            metric: "active_seats".into(),
            quantity: -4.0,
            period_start: t.now(),
            period_end: t.now(),
        },
    );
    let dl = t.runtime.dead_letters().unwrap();
    assert!(
        dl[0]
            .reason
            .contains("active_seats for A1: -4 is not a count"),
        "{dl:?}"
    );
    t.emit(
        "ascent.crm",
        ascent_core::catalog::AccountChurned {
            account_id: "A2".into(),
            churned_on: "2026-03-03".parse().unwrap(),
            reason: "budget".into(),
        },
    );
    t.runtime
        .schedule_tick("daily", at("2026-03-09T06:00:00Z"))
        .unwrap();
    t.drain();
    let Payload::CsReportPublished(r) = t.emitted("CsReportPublished")[0].payload().clone() else {
        unreachable!()
    };
    assert_eq!((r.accounts, r.nps), (1, None));
}

#[test]
fn nps_is_promoters_minus_detractors() {
    assert_eq!(nps(&[]), None);
    assert_eq!(nps(&[10, 10, 0]), Some(33));
    assert_eq!(nps(&[7, 8]), Some(0));
}
