//! Finance Controller tests: financial events in, journal, budget alerts, controls and the
//! close report out, through an in-memory twin.

use super::*;
use ascent_core::catalog::PricedLine;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn twin() -> TestTwin {
    let mut config = FinanceConfig::default();
    config.budgets.insert("sales".into(), 100_000); // 1,000.00 USD a month
    // These tests' instants are written in UTC days; the company's zone is tested in
    // tests_ledger.
    config.company.time_zone = "UTC".into();
    TestTwin::new(
        vec![Arc::new(FinanceController::new(config))],
        at("2026-03-02T09:00:00Z"),
    )
}

pub(crate) fn invoice(id: &str, subtotal: i64, tax: i64, issued_on: &str) -> InvoiceIssued {
    InvoiceIssued {
        invoice_id: id.into(),
        account_id: "A1".into(),
        deal_id: None,
        lines: vec![PricedLine {
            sku: "XR-STUDIO-SEAT".into(),
            description: "Seat".into(),
            quantity: 1,
            unit_price: Money::usd(subtotal),
            amount: Money::usd(subtotal),
            revenue: None,
            tax: None,
        }],
        subtotal: Money::usd(subtotal),
        tax: Money::usd(tax),
        total: Money::usd(subtotal + tax),
        issued_on: issued_on.parse().unwrap(),
        due_on: issued_on.parse::<NaiveDate>().unwrap() + chrono::Duration::days(30),
        payment_terms_days: 30,
        reverse_charge_note: None,
        seller_vat_id: None,
        customer_vat_id: None,
        tax_exemption_id: None,
    }
}

pub(crate) fn payment(id: &str, invoice: &str, amount: i64, when: &str) -> PaymentReceived {
    PaymentReceived {
        payment_id: id.into(),
        invoice_id: invoice.into(),
        amount: Money::usd(amount),
        received_at: at(when),
        method: "card".into(),
    }
}

fn expense(id: &str, department: &str, base: i64, on: &str) -> ExpenseDecided {
    ExpenseDecided {
        expense_id: id.into(),
        employee: "li.wei@ascent-xr.example".into(),
        department: department.into(),
        category: "travel".into(),
        amount: Money::usd(base),
        amount_base: Money::usd(base),
        incurred_on: on.parse().unwrap(),
        outcome: ExpenseOutcome::Approved,
        decided_by: "mara.head@ascent-xr.example".into(),
        reasons: vec![],
        approval_id: None,
    }
}

fn close(t: &TestTwin, day: &str) {
    t.runtime
        .schedule_tick("daily", at(&format!("{day}T06:00:00Z")))
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

fn summary(t: &TestTwin, period: &str) -> PeriodSummary {
    serde_json::from_value(
        t.get(Domain::Financial, &format!("period#{period}"), "summary")
            .unwrap(),
    )
    .unwrap()
}

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
fn budget_warning_then_over_budget_once_each() {
    let t = twin();
    let src = "ascent.agent.expense-management";
    t.emit(src, expense("E1", "sales", 50_000, "2026-03-02"));
    assert!(t.emitted("ThresholdCrossed").is_empty());
    t.emit(src, expense("E2", "sales", 45_000, "2026-03-03")); // 95%
    t.emit(src, expense("E3", "sales", 10_000, "2026-03-04")); // 105%
    t.emit(src, expense("E4", "sales", 10_000, "2026-03-05")); // still over: no new alert
    let alerts: Vec<ThresholdCrossed> = t
        .emitted("ThresholdCrossed")
        .iter()
        .map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) => x.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].metric, "budget.sales.2026-03.used_pct");
    assert_eq!((alerts[0].threshold, alerts[0].value), (90.0, 95.0));
    assert_eq!((alerts[1].threshold, alerts[1].value), (100.0, 105.0));
    close(&t, "2026-04-03");
    let Payload::MonthClosed(m) = t.emitted("MonthClosed")[0].payload().clone() else {
        unreachable!()
    };
    assert_eq!(m.departments_over_budget, ["sales"]);
    assert_eq!(m.expenses, Money::usd(115_000));
}

/// The record of an expense approval decided by `by`, as the approval workflow keeps it.
fn approval_record(id: &str, by: &str, amount: i64) -> ascent_core::approval::Approval {
    serde_json::from_value(json!({
        "id": id,
        "draft": {"kind": "expense", "subject": "E1", "summary": "E1", "amount": Money::usd(amount),
                  "requester": "li.wei@ascent-xr.example", "approver_role": "controller",
                  "first_approver": by, "reason": "over the policy limit", "facts": {}},
        "agent": "expense-management", "chain": [by], "step": 0,
        "step_deadline": "2026-03-04T09:00:00Z", "status": "approved",
        "created_at": "2026-03-02T09:00:00Z", "decided_by": by,
        "decided_at": "2026-03-02T10:00:00Z", "comment": null,
        "correlation_id": "00000000-0000-4000-9000-000000000001",
        "required_approvals": 1, "approved_by": [by]
    }))
    .unwrap()
}

/// Stores the approval record as the workflow does and announces its decision.
fn decided(t: &TestTwin, a: &ascent_core::approval::Approval) -> ApprovalDecided {
    let (pk, sk) = ascent_core::approval::record_key(&a.id);
    t.put(
        Domain::Approvals,
        ascent_core::ports::Item::new(pk, sk, json!(a)),
    );
    a.decided_event().unwrap()
}

#[test]
fn sox_controls_are_checked_on_every_financial_approval() {
    let t = twin();
    let small = decided(
        &t,
        &approval_record("apr-1", "mara.head@ascent-xr.example", 48_250),
    );
    let big = decided(
        &t,
        &approval_record("apr-2", "mara.head@ascent-xr.example", 250_000),
    );
    t.emit("ascent.approvals", small);
    t.emit("ascent.approvals", big.clone());
    t.emit("ascent.approvals", big);
    let exceptions = t.emitted("ExceptionRaised");
    assert_eq!(exceptions.len(), 1);
    let Payload::ExceptionRaised(x) = exceptions[0].payload() else {
        unreachable!()
    };
    assert_eq!(x.severity, Severity::Critical);
    assert!(x.reason.contains("approval limit"), "{}", x.reason);
    close(&t, "2026-04-03");
    let r = report(&t, "2026-03");
    assert_eq!((r.controls_checked, r.controls_failed), (2, 1));
    assert!(r.control_failures[0].starts_with("apr-2 (expense E1): approval limit"));
}

#[test]
fn only_recorded_approvals_are_checked() {
    let t = twin();
    let real = decided(
        &t,
        &approval_record("apr-1", "mara.head@ascent-xr.example", 48_250),
    );
    // No record at all; a record that says someone else decided; another requesting agent.
    let mut unknown = real.clone();
    unknown.approval_id = "apr-forged".into();
    let mut other_decider = real.clone();
    other_decider.decided_by = Some("finance.controller@ascent-xr.example".into());
    let mut other_agent = real.clone();
    other_agent.requested_by_agent = "closing".into();
    for forged in [unknown, other_decider, other_agent] {
        t.emit("ascent.approvals", forged);
    }
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 3, "{dead:?}");
    assert!(
        dead[0].reason.contains("no such approval on record"),
        "{}",
        dead[0].reason
    );
    assert!(
        dead[1]
            .reason
            .contains("`decided_by` is not what the record says"),
        "{}",
        dead[1].reason
    );
    assert!(
        dead[2]
            .reason
            .contains("opened by `expense-management`, not by `closing`"),
        "{}",
        dead[2].reason
    );
    close(&t, "2026-04-03");
    assert_eq!(report(&t, "2026-03").controls_checked, 0);
}

#[test]
fn an_expense_not_valued_in_the_base_currency_is_refused() {
    let t = twin();
    let mut x = expense("E1", "sales", 1_000, "2026-03-02");
    x.amount_base = Money::new(1_000, "EUR");
    t.emit("ascent.agent.expense-management", x);
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].reason.contains("budgets are kept in USD"),
        "{}",
        dead[0].reason
    );
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

/// Ingests `payload` as an event from `source` that happened at `time`, and drains (a late
/// delivery when `time` is before the twin's clock).
pub(crate) fn deliver<P: ascent_core::catalog::EventPayload>(
    t: &TestTwin,
    source: &str,
    time: DateTime<Utc>,
    payload: P,
) {
    let e = Event::new(
        source,
        ascent_core::event::Actor::system(source),
        time,
        payload,
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
}

#[test]
fn refunds_credit_notes_and_controls_delivered_late_belong_to_the_month_they_happened() {
    // Given an invoice paid in March
    let t = twin();
    let billing = "ascent.agent.billing";
    t.emit(billing, invoice("inv-1", 1_000_000, 0, "2026-03-02"));
    t.emit(
        "ascent.payments",
        payment("P1", "inv-1", 1_000_000, "2026-03-03T10:00:00Z"),
    );
    let record = approval_record("apr-1", "mara.head@ascent-xr.example", 48_250);
    let approval = decided(&t, &record);
    // When a refund, a credit note and an approval of 30–31 March reach it on 1 April
    t.clock.set(at("2026-04-01T09:00:00Z"));
    let march_31 = at("2026-03-31T16:00:00Z");
    deliver(
        &t,
        "ascent.payments",
        march_31,
        PaymentRefunded {
            refund_id: "R1".into(),
            payment_id: "P1".into(),
            invoice_id: "inv-1".into(),
            amount: Money::usd(100_000),
            reason: "duplicate seat".into(),
            from_customer_credit: false,
        },
    );
    deliver(
        &t,
        "ascent.agent.billing",
        march_31,
        CreditNoteIssued {
            credit_note_id: "CN1".into(),
            invoice_id: "inv-1".into(),
            account_id: "A1".into(),
            amount: Money::usd(50_000),
            reason: "goodwill".into(),
            outstanding: Money::usd(0),
            issued_on: None,
            subtotal: None,
            tax: None,
        },
    );
    deliver(&t, "ascent.approvals", at("2026-03-30T10:00:00Z"), approval);
    // Then they are booked in March, dated when they happened
    let march = summary(&t, "2026-03");
    assert_eq!(march.refunded["USD"], 100_000);
    assert_eq!(march.credited["USD"], 50_000);
    assert_eq!(march.controls_checked, 1);
    assert!(
        t.get(Domain::Financial, "period#2026-04", "summary")
            .is_none()
    );
    close(&t, "2026-04-03");
    let csv = report(&t, "2026-03").journal_csv;
    assert!(csv.contains("03/31/2026"), "{csv}");
}

#[test]
fn a_late_posting_is_dated_in_the_open_month() {
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    // Given April open after a closed March
    // When the event happened in April: then on its day; otherwise on April's first day
    assert_eq!(
        late_posting_date(d("2026-04-01"), d("2026-04-02")),
        d("2026-04-02")
    );
    assert_eq!(
        late_posting_date(d("2026-04-01"), d("2026-03-31")),
        d("2026-04-01")
    );
    assert_eq!(
        late_posting_date(d("2026-04-01"), d("2026-05-10")),
        d("2026-04-01")
    );
}

#[test]
fn a_posting_for_a_closed_month_delivered_late_goes_to_the_next_open_month_not_the_clock_s() {
    // Given March closed on 04-03 and April still open
    let t = twin();
    t.emit(
        "ascent.agent.billing",
        invoice("inv-1", 1_000_000, 0, "2026-03-02"),
    );
    t.clock.set(at("2026-04-03T06:00:00Z"));
    close(&t, "2026-04-03");
    // When a payment of 03-31, reported on 04-02, is processed on 05-10 (the May close has not
    // run yet)
    t.clock.set(at("2026-05-10T09:00:00Z"));
    deliver(
        &t,
        "ascent.payments",
        at("2026-04-02T08:00:00Z"),
        payment("P1", "inv-1", 400_000, "2026-03-31T18:00:00Z"),
    );
    // Then it is booked in April, the first month open after March, dated when it was
    // reported; nothing lands in May, the month of the processing clock
    assert_eq!(summary(&t, "2026-04").collected["USD"], 400_000);
    assert!(
        t.get(Domain::Financial, "period#2026-05", "summary")
            .is_none()
    );
    close(&t, "2026-05-03");
    let csv = report(&t, "2026-04").journal_csv;
    assert!(csv.contains("04/02/2026"), "{csv}");
    assert!(!csv.contains("05/10/2026"), "{csv}");
    assert!(csv.contains("belongs to closed period 2026-03"), "{csv}");
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
