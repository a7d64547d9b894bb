//! Revenue recognition through the agent (issue 22): deferred at invoicing, released month by
//! month by the daily run, on delivery, and reconciled in the close.

use super::*;
use ascent_core::catalog::{LineRevenue, OnboardingCompleted, PricedLine, Recognition};
use ascent_embedded::testkit::TestTwin;
use std::sync::Arc;

fn twin() -> TestTwin {
    let mut config = FinanceConfig::default();
    // Days in UTC, as written; the company's zone is tested in tests::ledger.
    config.company.time_zone = "UTC".into();
    TestTwin::new(
        vec![Arc::new(FinanceController::new(config))],
        at("2026-01-15T09:00:00Z"),
    )
}

fn line(
    sku: &str,
    minor: i64,
    recognition: Recognition,
    period: Option<(&str, &str)>,
) -> PricedLine {
    PricedLine {
        sku: sku.into(),
        description: sku.into(),
        quantity: 1,
        unit_price: Money::usd(minor),
        amount: Money::usd(minor),
        revenue: Some(LineRevenue {
            recognition,
            service_start: period.map(|p| p.0.parse().unwrap()),
            service_end: period.map(|p| p.1.parse().unwrap()),
        }),
        tax: None,
    }
}

/// An annual subscription of 12,000.00 from 15 January (and, for the second test, 5,000.00 of
/// onboarding earned on delivery).
fn annual_invoice(onboarding: bool) -> InvoiceIssued {
    let mut i = invoice("inv-1", 1_200_000, 0, "2026-01-15");
    i.lines = vec![line(
        "XR-STUDIO-SEAT",
        1_200_000,
        Recognition::Ratable,
        Some(("2026-01-15", "2027-01-14")),
    )];
    if onboarding {
        i.lines
            .push(line("ONBOARDING", 500_000, Recognition::OnDelivery, None));
        i.subtotal = Money::usd(1_700_000);
        i.total = Money::usd(1_700_000);
    }
    i
}

fn day(t: &TestTwin, d: &str) {
    t.clock.set(at(&format!("{d}T06:00:00Z")));
    t.runtime
        .schedule_tick("daily", at(&format!("{d}T06:00:00Z")))
        .unwrap();
    t.drain();
}

fn report(t: &TestTwin, period: &str) -> CloseReport {
    serde_json::from_value(
        t.get(
            Domain::Financial,
            &format!("close-report#{period}"),
            "report",
        )
        .unwrap_or_else(|| panic!("no close report for {period}")),
    )
    .unwrap()
}

fn usd(ms: &[Money]) -> i64 {
    ms.iter()
        .filter(|m| m.currency == "USD")
        .map(|m| m.amount_minor)
        .sum()
}

fn net(t: &TestTwin, period: &str, account: &str) -> i64 {
    let entries: Vec<JournalEntry> = t
        .query(Domain::Financial, &format!("journal#{period}"))
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    entries.iter().map(|e| e.net(account)).sum()
}

#[test]
fn an_annual_subscription_is_deferred_at_invoicing_and_released_month_by_month() {
    let t = twin();
    let c = FinanceConfig::default().chart;
    // Given an annual subscription of 12,000.00 invoiced 15 January (service to 14 January),
    t.emit("ascent.agent.billing", annual_invoice(false));
    // then nothing is revenue yet: 12,000.00 is credited to Deferred Revenue
    // (before: all of it to Sales, 24.59M booked against 1.69M earned in the review).
    assert_eq!(net(&t, "2026-01", &c.revenue), 0);
    assert_eq!(net(&t, "2026-01", &c.deferred_revenue), -1_200_000);
    // When the days run to the February close,
    for d in ["2026-02-01", "2026-02-02", "2026-02-03"] {
        day(&t, d);
    }
    // then January earned 17 of 365 days: 12,000.00 × 17 / 365 = 558.904 → 558.90, posted on
    // 31 January, and the January close reconciles: 0 + 12,000.00 − 558.90 − 0 = 11,441.10.
    assert_eq!(net(&t, "2026-01", &c.revenue), -55_890);
    let jan = report(&t, "2026-01");
    assert_eq!(usd(&jan.revenue_invoiced), 1_200_000);
    assert_eq!(usd(&jan.revenue_recognised), 55_890);
    assert_eq!(usd(&jan.deferred.opening), 0);
    assert_eq!(usd(&jan.deferred.billed), 1_200_000);
    assert_eq!(usd(&jan.deferred.released), 55_890);
    assert_eq!(usd(&jan.deferred.closing), 1_144_110);
    let closed = t.emitted("MonthClosed");
    let Payload::MonthClosed(m) = closed[0].payload() else {
        panic!("not MonthClosed")
    };
    assert_eq!(usd(&m.deferred_revenue), 1_144_110);
    // And February earns 11,441.10 × 28 / 348 = 920.548 → 920.55 when March begins:
    // 11,441.10 − 920.55 = 10,520.55 deferred at the end of February.
    for d in ["2026-03-01", "2026-03-02", "2026-03-03"] {
        day(&t, d);
    }
    let feb = report(&t, "2026-02");
    assert_eq!(usd(&feb.revenue_invoiced), 0);
    assert_eq!(usd(&feb.revenue_recognised), 92_055);
    assert_eq!(usd(&feb.deferred.opening), 1_144_110);
    assert_eq!(usd(&feb.deferred.closing), 1_052_055);
    // A redelivered daily tick releases nothing twice.
    day(&t, "2026-03-03");
    assert_eq!(net(&t, "2026-02", &c.revenue), -92_055);
}

#[test]
fn onboarding_is_earned_when_delivered_and_a_credit_note_reverses_unearned_revenue_first_in_proportion()
 {
    let t = twin();
    let c = FinanceConfig::default().chart;
    // Given 12,000.00 of subscription and 5,000.00 of onboarding, invoiced 15 January,
    t.emit("ascent.agent.billing", annual_invoice(true));
    assert_eq!(net(&t, "2026-01", &c.deferred_revenue), -1_700_000);
    // when onboarding completes on 20 January, its 5,000.00 is earned that day;
    t.clock.set(at("2026-01-20T12:00:00Z"));
    t.emit(
        "ascent.agent.onboarding",
        OnboardingCompleted {
            account_id: "A1".into(),
            plan: "enterprise".into(),
            days_taken: 5,
            late_milestones: vec![],
        },
    );
    assert_eq!(net(&t, "2026-01", &c.revenue), -500_000);
    // and a credit note of 1,700.00 on 25 January (no tax) reverses revenue in proportion to
    // what is unearned: 1,700.00 × 12,000.00 unearned / 17,000.00 = 1,200.00 against Deferred
    // Revenue, the earned 500.00 to Sales Returns.
    t.clock.set(at("2026-01-25T12:00:00Z"));
    t.emit(
        "ascent.agent.billing",
        CreditNoteIssued {
            credit_note_id: "CN1".into(),
            invoice_id: "inv-1".into(),
            account_id: "A1".into(),
            amount: Money::usd(170_000),
            reason: "price concession".into(),
            outstanding: Money::usd(1_530_000),
            issued_on: Some("2026-01-25".parse().unwrap()),
            subtotal: Some(Money::usd(170_000)),
            tax: Some(Money::usd(0)),
        },
    );
    assert_eq!(net(&t, "2026-01", &c.returns), 50_000);
    // 12,000.00 billed − 1,200.00 credited leaves 10,800.00 to earn over the year: January
    // earns 10,800.00 × 17 / 365 = 503.01.
    for d in ["2026-02-01", "2026-02-02", "2026-02-03"] {
        day(&t, d);
    }
    let jan = report(&t, "2026-01");
    assert_eq!(usd(&jan.deferred.billed), 1_700_000);
    assert_eq!(usd(&jan.deferred.released), 500_000 + 50_301);
    assert_eq!(usd(&jan.deferred.credited), 120_000);
    // 17,000.00 − 5,503.01 − 1,200.00 = 10,296.99
    assert_eq!(usd(&jan.deferred.closing), 1_029_699);
    assert_eq!(usd(&jan.revenue_recognised), 550_301);
}
