//! Ledger tests (issue 22): credit notes reverse tax, receivable lines name the customer.

use super::*;
use ascent_core::catalog::{
    CustomerCreditApplied, CustomerCreditRecorded, PaymentRefunded, PaymentReversed,
};
use ascent_embedded::testkit::TestTwin;
use std::sync::Arc;

/// The shipped settings: the books in America/Los_Angeles.
fn twin() -> TestTwin {
    TestTwin::new(
        vec![Arc::new(FinanceController::new(FinanceConfig::default()))],
        at("2026-03-02T17:00:00Z"),
    )
}

fn entry(t: &TestTwin, period: &str, sk: &str) -> JournalEntry {
    serde_json::from_value(
        t.get(Domain::Financial, &format!("journal#{period}"), sk)
            .unwrap_or_else(|| panic!("no journal entry {sk}")),
    )
    .unwrap()
}

#[test]
fn a_full_credit_note_leaves_nothing_in_sales_tax_payable() {
    // Given the review's invoice: 42,400.00 + 3,074.00 tax = 45,474.00, to account A1
    let t = twin();
    t.emit(
        "ascent.agent.billing",
        invoice("inv-9", 4_240_000, 307_400, "2026-03-02"),
    );
    // When it is credited in full, Billing not stating the split
    deliver(
        &t,
        "ascent.agent.billing",
        at("2026-03-10T16:00:00Z"),
        CreditNoteIssued {
            credit_note_id: "CN9".into(),
            invoice_id: "inv-9".into(),
            account_id: "A1".into(),
            amount: Money::usd(4_547_400),
            reason: "cancelled".into(),
            outstanding: Money::usd(0),
            issued_on: None,
            subtotal: None,
            tax: None,
        },
    );
    let c = FinanceConfig::default().chart;
    let invoiced = entry(&t, "2026-03", "2026-03-02#2026-03-0001");
    let credited = entry(&t, "2026-03", "2026-03-10#2026-03-0002");
    // Then Sales Tax Payable nets to 0: −3,074.00 invoiced + 3,074.00 credited
    // (before: the credit went all to Sales Returns and 3,074.00 stayed payable)
    assert_eq!(invoiced.net(&c.sales_tax), -307_400);
    assert_eq!(credited.net(&c.sales_tax), 307_400);
    // And 42,400.00 to Sales Returns, 45,474.00 off A/R: A/R nets to 0
    assert_eq!(credited.net(&c.returns), 4_240_000);
    assert_eq!(
        invoiced.net(&c.receivables) + credited.net(&c.receivables),
        0
    );
    assert!(credited.is_balanced());
}

#[test]
fn payment_and_refund_receivable_lines_name_the_customer_not_the_invoice() {
    // Given an invoice of 100.00 to account A1, paid, then 40.00 refunded
    let t = twin();
    t.emit(
        "ascent.agent.billing",
        invoice("inv-1", 10_000, 0, "2026-03-02"),
    );
    t.emit(
        "ascent.payments",
        payment("P1", "inv-1", 10_000, "2026-03-03T10:00:00Z"),
    );
    deliver(
        &t,
        "ascent.payments",
        at("2026-03-04T10:00:00Z"),
        PaymentRefunded {
            refund_id: "R1".into(),
            payment_id: "P1".into(),
            invoice_id: "inv-1".into(),
            amount: Money::usd(4_000),
            reason: "duplicate seat".into(),
            from_customer_credit: false,
        },
    );
    // Then every A/R line of the payment and the refund names A1 (before: "inv-1"), so
    // QuickBooks keeps one customer balance: 100.00 − 100.00 + 40.00 = 40.00 for A1
    let c = FinanceConfig::default().chart;
    for sk in ["2026-03-03#2026-03-0002", "2026-03-04#2026-03-0003"] {
        let e = entry(&t, "2026-03", sk);
        let ar: Vec<_> = e
            .lines
            .iter()
            .filter(|l| l.account == c.receivables)
            .collect();
        assert_eq!(ar.len(), 1, "{sk}");
        assert_eq!(ar[0].name, "A1", "{sk}");
    }
}

#[test]
fn a_payment_at_17_00_pacific_on_31_march_is_booked_in_march() {
    // Given an invoice of 100.00 issued 2 March, and the company's books in
    // America/Los_Angeles (the shipped [company] time_zone)
    let t = twin();
    t.emit(
        "ascent.agent.billing",
        invoice("inv-1", 10_000, 0, "2026-03-02"),
    );
    // When it is paid at 17:00 PDT on 31 March, which is 00:00Z on 1 April (UTC−7)
    t.emit(
        "ascent.payments",
        payment("P1", "inv-1", 10_000, "2026-04-01T00:00:00Z"),
    );
    // Then the payment is a March posting dated 31 March (before: 1 April, in April's books)
    let march: PeriodSummary = serde_json::from_value(
        t.get(Domain::Financial, "period#2026-03", "summary")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(march.collected["USD"], 10_000);
    assert!(
        t.get(Domain::Financial, "period#2026-04", "summary")
            .is_none()
    );
    let e = entry(&t, "2026-03", "2026-03-31#2026-03-0002");
    assert_eq!(e.net(&FinanceConfig::default().chart.cash), 10_000);
}

/// Net of `account` for `name` over March's entries 1..=`entries` (dated as in the test).
fn balance(t: &TestTwin, entries: usize, account: &str, name: &str) -> i64 {
    let days = ["02", "03", "03", "05", "06"];
    (1..=entries)
        .flat_map(|n| {
            entry(
                t,
                "2026-03",
                &format!("2026-03-{}#2026-03-{n:04}", days[n - 1]),
            )
            .lines
        })
        .filter(|l| l.account == account && l.name == name)
        .map(|l| l.debit_minor - l.credit_minor)
        .sum()
}

#[test]
fn an_overpayment_is_a_customer_credit_liability_and_a_chargeback_reopens_the_receivable() {
    // Given an invoice of 100.00 to A1 paid 120.00: A/R 100.00 − 120.00 = −20.00
    let t = twin();
    t.emit(
        "ascent.agent.billing",
        invoice("inv-1", 10_000, 0, "2026-03-02"),
    );
    t.emit(
        "ascent.payments",
        payment("P1", "inv-1", 12_000, "2026-03-03T17:00:00Z"),
    );
    let c = FinanceConfig::default().chart;
    // When the 20.00 is kept as customer credit (the processor's customer balance)
    let credit = |amount: i64, balance: i64| CustomerCreditRecorded {
        account_id: "A1".into(),
        invoice_id: "inv-1".into(),
        payment_id: "P1".into(),
        amount: Money::usd(amount),
        balance: Money::usd(balance),
    };
    deliver(
        &t,
        "ascent.agent.billing",
        at("2026-03-03T17:00:00Z"),
        credit(2_000, 2_000),
    );
    // Then A/R for A1 is 0 (−20.00 + 20.00) and Customer Credits owes 20.00 (a credit)
    assert_eq!(balance(&t, 3, &c.receivables, "A1"), 0);
    assert_eq!(balance(&t, 3, &c.customer_credits, "A1"), -2_000);
    // When the credit is refunded: Customer Credits 0, cash 120.00 − 20.00 = 100.00
    deliver(
        &t,
        "ascent.agent.billing",
        at("2026-03-05T17:00:00Z"),
        CustomerCreditApplied {
            account_id: "A1".into(),
            invoice_id: None,
            refund_id: Some("R7".into()),
            amount: Money::usd(2_000),
            balance: Money::usd(0),
        },
    );
    assert_eq!(balance(&t, 4, &c.customer_credits, "A1"), 0);
    assert_eq!(balance(&t, 4, &c.cash, "A1"), 10_000);
    // And the processor's report of that refund (paid out of the credit) books nothing more:
    // the cash went out once, through the credit.
    deliver(
        &t,
        "ascent.payments",
        at("2026-03-05T17:00:00Z"),
        PaymentRefunded {
            refund_id: "R7".into(),
            payment_id: "P1".into(),
            invoice_id: "inv-1".into(),
            amount: Money::usd(2_000),
            reason: "credit refunded".into(),
            from_customer_credit: true,
        },
    );
    assert_eq!(t.query(Domain::Financial, "journal#2026-03").len(), 4);
    assert_eq!(balance(&t, 4, &c.cash, "A1"), 10_000);
    // When the card payment of 120.00 is charged back: A/R 0 + 120.00, cash 100.00 − 120.00
    deliver(
        &t,
        "ascent.payments",
        at("2026-03-06T17:00:00Z"),
        PaymentReversed {
            reversal_id: "X1".into(),
            payment_id: "P1".into(),
            invoice_id: "inv-1".into(),
            amount: Money::usd(12_000),
            reason: "chargeback".into(),
        },
    );
    assert_eq!(balance(&t, 5, &c.receivables, "A1"), 12_000);
    assert_eq!(balance(&t, 5, &c.cash, "A1"), -2_000);
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}
