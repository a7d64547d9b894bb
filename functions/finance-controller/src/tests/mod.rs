//! Finance Controller tests: financial events in, journal, budget alerts, controls and the
//! close report out, through an in-memory twin: the shared fixtures here, the cases by topic in
//! the submodules.

use super::*;
use ascent_core::catalog::PricedLine;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::Arc;

mod budgets;
mod late_postings;
mod ledger;
mod month_close;
mod privacy;
mod quickbooks_export;
mod receivables_reconciliation;
mod revenue_recognition;
mod sox_controls;

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn twin() -> TestTwin {
    let mut config = FinanceConfig::default();
    config.budgets.insert("sales".into(), 100_000); // 1,000.00 USD a month
    // These tests' instants are written in UTC days; the company's zone is tested in
    // tests::ledger.
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
