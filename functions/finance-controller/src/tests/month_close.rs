//! The journal and the month's close: balanced entries, receivables carried over, an empty
//! month, a payment for an invoice never journaled, Billing's AR ageing in the report.

use super::*;

#[test]
fn invoices_and_payments_post_balanced_entries_and_close_the_month() {
    let t = twin();
    let src = "ascent.agent.billing";
    t.emit(src, invoice("inv-1", 1_000_000, 72_500, "2026-03-02"));
    t.emit(src, invoice("inv-2", 500_000, 0, "2026-03-20"));
    t.emit(
        "ascent.payments",
        payment("P1", "inv-1", 1_072_500, "2026-03-25T10:00:00Z"),
    );
    t.emit(
        "ascent.payments",
        payment("P2", "inv-2", 200_000, "2026-03-30T10:00:00Z"),
    );
    // Announced twice by the payment processor: posted once.
    t.emit(
        "ascent.payments",
        payment("P2", "inv-2", 200_000, "2026-03-30T10:00:00Z"),
    );
    t.emit(
        "ascent.agent.expense-management",
        expense("E1", "marketing", 45_000, "2026-03-10"),
    );

    let s = summary(&t, "2026-03");
    assert_eq!(s.entries, 5);
    assert_eq!(
        s.ar_movement["USD"],
        1_072_500 + 500_000 - 1_072_500 - 200_000
    );

    close(&t, "2026-04-02"); // not the close day
    assert!(t.emitted("MonthClosed").is_empty());
    close(&t, "2026-04-03");
    close(&t, "2026-04-03");
    assert_eq!(t.emitted("MonthClosed").len(), 1);
    let r = report(&t, "2026-03");
    assert_eq!(r.revenue_invoiced, vec![Money::usd(1_500_000)]);
    assert_eq!(r.tax_invoiced, vec![Money::usd(72_500)]);
    assert_eq!(r.collected, vec![Money::usd(1_272_500)]);
    assert_eq!(r.receivables, vec![Money::usd(300_000)]);
    assert_eq!(r.expenses_total, Money::usd(45_000));
    assert_eq!(r.expenses_by_category["travel"], Money::usd(45_000));
    let marketing = r
        .budget_vs_actual
        .iter()
        .find(|b| b.department == "marketing")
        .unwrap();
    assert_eq!(marketing.variance, Money::usd(45_000 - 1_500_000));
    assert_eq!(marketing.used_pct, Some(3.0));
    // The journal: 3 + 2 + 2 + 2 + 2 lines, balanced, QuickBooks layout.
    assert_eq!(r.journal_lines, 11);
    let rows: Vec<&str> = r.journal_csv.lines().collect();
    assert_eq!(rows.len(), 12);
    assert!(rows.contains(
        &"2026-03-0001,03/02/2026,USD,,Accounts Receivable (A/R),10725.00,,Invoice inv-1,A1"
    ));
    assert!(
        rows.contains(&"2026-03-0001,03/02/2026,USD,,Sales Tax Payable,,725.00,Invoice inv-1,A1")
    );
    let mail = t.runtime.mails().unwrap();
    let cfo = mail
        .iter()
        .find(|m| m.to == "cfo@ascent-xr.example")
        .unwrap();
    assert!(
        cfo.text.contains("Receivables:      3000.00 USD"),
        "{}",
        cfo.text
    );
}

#[test]
fn receivables_carry_over_and_late_postings_go_to_the_open_month() {
    let t = twin();
    t.emit(
        "ascent.agent.billing",
        invoice("inv-1", 1_000_000, 0, "2026-03-02"),
    );
    t.clock.set(at("2026-04-03T06:00:00Z"));
    close(&t, "2026-04-03");
    // A March payment reported after March closed is booked in April, saying so.
    t.emit(
        "ascent.payments",
        payment("P1", "inv-1", 400_000, "2026-03-31T18:00:00Z"),
    );
    let april = summary(&t, "2026-04");
    assert_eq!(april.collected["USD"], 400_000);
    close(&t, "2026-05-03");
    let r = report(&t, "2026-04");
    assert_eq!(r.receivables, vec![Money::usd(600_000)]);
    assert!(r.journal_csv.contains("belongs to closed period 2026-03"));
}

#[test]
fn an_empty_month_still_closes_with_zeroes() {
    let t = twin();
    close(&t, "2026-03-03");
    let r = report(&t, "2026-02");
    assert!(r.revenue_invoiced.is_empty());
    assert_eq!(r.expenses_total, Money::usd(0));
    assert_eq!(r.journal_lines, 0);
}

#[test]
fn a_payment_for_an_invoice_never_journaled_is_held_then_dead_lettered_like_billing() {
    // Given no invoice inv-X issued
    let t = twin();
    // When a payment names it
    t.emit(
        "ascent.payments",
        payment("P1", "inv-X", 500_000, "2026-03-02T10:00:00Z"),
    );
    // Then no cash is booked and it is retried, then dead-lettered with Billing's reason
    let dl = t.runtime.dead_letters().unwrap();
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0].reason, "invoice inv-X not found (yet)");
    assert_eq!(dl[0].receive_count, 3);
    assert!(
        t.get(Domain::Financial, "posted#payment#P1", "posted")
            .is_none()
    );
    assert!(
        t.get(Domain::Financial, "period#2026-03", "summary")
            .is_none()
    );
    // And once the invoice is journaled, a redrive books it
    t.emit(
        "ascent.agent.billing",
        invoice("inv-X", 500_000, 0, "2026-03-01"),
    );
    t.runtime.redrive(None, "ops").unwrap();
    t.drain();
    assert_eq!(summary(&t, "2026-03").collected["USD"], 500_000);
}

/// The shared record (issue 19): the ageing Billing writes is what the close report reads,
/// through the one core type (before, untyped JSON: a rename in Billing went unnoticed).
#[test]
fn billing_s_ar_ageing_reaches_the_close_report_as_the_shared_record() {
    use ascent_core::catalog::{CustomerSignedUp, DealClosedWon};
    // Given Billing and the Finance Controller, and a March invoice left unpaid
    let t = TestTwin::new(
        vec![
            Arc::new(billing::Billing::default()),
            Arc::new(FinanceController::new(FinanceConfig::default())),
        ],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit(
        "ascent.platform",
        CustomerSignedUp {
            account_id: "A1".into(),
            company: "Boreal Aero".into(),
            plan: "enterprise".into(),
            seats: 50,
            tax_region: "US-OR".into(),
            billing_email: "ap@boreal.aero".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D1".into(),
            account_id: "A1".into(),
            owner: "rep@ascent-xr.example".into(),
            amount: Money::usd(500_000),
            proposal_id: None,
            reason: None,
            lead_id: None,
        },
    );
    // When the daily runs of 04-01 to 04-03 (08:00 Pacific, the shipped time zone) snapshot
    // the ageing and close March
    for day in ["2026-04-01", "2026-04-02", "2026-04-03"] {
        t.tick("daily", at(&format!("{day}T15:00:00Z")));
    }
    // Then the report holds Billing's snapshot of 04-01, parsed as the shared record
    let r = report(&t, "2026-03");
    let ageing = r.ar_ageing.expect("Billing's snapshot of 04-01");
    assert_eq!(ageing.as_of, "2026-04-01".parse::<NaiveDate>().unwrap());
    assert_eq!(ageing.by_currency["USD"].current, 500_000);
    assert_eq!(ageing.total("USD"), Money::usd(500_000));
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}
