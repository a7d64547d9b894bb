//! The daily receivables reconciliation through the twin: the ledger's running A/R per
//! customer against Billing's open invoices (written here as Billing stores them), a
//! difference raised when it is still there the next day.

use super::*;
use crate::reconciliation::{AR_BALANCES, ReconciliationResult};
use ascent_core::ports::{IndexKey, Item};
use ascent_core::records::OPEN_INVOICES;
use ascent_embedded::testkit::TestTwin;
use std::sync::Arc;

fn twin() -> TestTwin {
    // Company time is Pacific (shipped): the check at 07:00 is the hourly tick of 15:00Z in
    // March before the DST change (8 March 2026), 14:00Z after it.
    TestTwin::new(
        vec![Arc::new(FinanceController::default())],
        at("2026-03-02T09:00:00Z"),
    )
}

/// Billing's record of an open invoice (what Billing writes under `invoice#<id>`).
fn billing_invoice(t: &TestTwin, id: &str, total: i64, paid: i64) {
    let mut item = Item::new(
        format!("invoice#{id}"),
        "invoice",
        serde_json::json!({
            "invoice_id": id, "account_id": "A1",
            "total": {"amount_minor": total, "currency": "USD"},
            "paid": {"amount_minor": paid, "currency": "USD"},
            "credited_minor": 0
        }),
    );
    if paid < total {
        item.gsi1 = Some(IndexKey {
            pk: OPEN_INVOICES.into(),
            sk: format!("2026-04-01#{id}"),
        });
    }
    t.put(Domain::Financial, item);
}

fn result(t: &TestTwin, day: &str) -> ReconciliationResult {
    serde_json::from_value(
        t.get(Domain::Financial, "reconciliation#receivables", day)
            .unwrap_or_else(|| panic!("no reconciliation on {day}")),
    )
    .unwrap()
}

fn raised(t: &TestTwin) -> Vec<String> {
    t.emitted("ExceptionRaised")
        .into_iter()
        .filter_map(|e| match e.payload() {
            ascent_core::catalog::Payload::ExceptionRaised(x) => Some(x.reason.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_ledger_receivable_reconciles_with_billing_and_a_lasting_difference_is_raised() {
    let t = twin();
    // Given invoice inv-R1 of 1,000.00 USD in the books and in Billing
    t.emit(
        "ascent.agent.billing",
        invoice("inv-R1", 100_000, 0, "2026-03-02"),
    );
    billing_invoice(&t, "inv-R1", 100_000, 0);
    let balance = t.get(Domain::Financial, "ar#A1", "USD").unwrap();
    assert_eq!(balance["balance_minor"], 100_000);
    assert_eq!(t.query_index(Domain::Financial, AR_BALANCES).len(), 1);

    // When the check runs at 07:00 Pacific on 3 March (15:00Z); a tick of another hour does
    // nothing
    t.tick("hourly", at("2026-03-03T14:00:00Z"));
    assert!(
        t.get(
            Domain::Financial,
            "reconciliation#receivables",
            "2026-03-03"
        )
        .is_none()
    );
    t.tick("hourly", at("2026-03-03T15:00:00Z"));
    // Then both sides say A1 owes 1,000.00
    let r = result(&t, "2026-03-03");
    assert_eq!((r.compared, r.difference_count, r.raised), (1, 0, 0));
    assert_eq!(r.ledger_totals["USD"], 100_000);
    assert_eq!(r.billing_totals["USD"], 100_000);

    // Given a payment of 400.00 the books have and Billing has not (yet)
    t.emit(
        "ascent.payments",
        payment("pay-R1", "inv-R1", 40_000, "2026-03-03T18:00:00Z"),
    );
    // When the check runs on 4 March: ledger 1,000.00 − 400.00 = 600.00, Billing 1,000.00
    t.tick("hourly", at("2026-03-04T15:00:00Z"));
    // Then the difference is kept but not raised (it may be in transit)
    let r = result(&t, "2026-03-04");
    assert_eq!((r.difference_count, r.raised), (1, 0));
    assert_eq!(r.differences[0].ledger_minor, 60_000);
    assert_eq!(r.differences[0].billing_minor, 100_000);
    assert!(raised(&t).is_empty());

    // When it is still there on 5 March
    t.tick("hourly", at("2026-03-05T15:00:00Z"));
    // Then it is raised, naming the customer, both figures and ledger − Billing = −400.00
    assert_eq!(
        raised(&t),
        vec![
            "Ledger A/R for A1 is 600.00 USD but Billing's open invoices total 1000.00 USD: \
             difference -400.00 USD"
                .to_string()
        ]
    );
    // A second tick of the same hour (a redelivery) runs nothing again
    t.tick("hourly", at("2026-03-05T15:00:00Z"));
    assert_eq!(raised(&t).len(), 1);

    // When Billing records the payment too, the next day's run (07:00 PDT = 14:00Z after the
    // 8 March change) finds both sides at 600.00 and raises nothing more
    billing_invoice(&t, "inv-R1", 100_000, 40_000);
    t.tick("hourly", at("2026-03-09T14:00:00Z"));
    let r = result(&t, "2026-03-09");
    assert_eq!((r.difference_count, r.raised), (0, 0));
    assert_eq!(raised(&t).len(), 1);

    // And a settled customer leaves the index: paying the other 600.00 takes A1 off it
    t.emit(
        "ascent.payments",
        payment("pay-R2", "inv-R1", 60_000, "2026-03-09T18:00:00Z"),
    );
    assert_eq!(
        t.get(Domain::Financial, "ar#A1", "USD").unwrap()["balance_minor"],
        0
    );
    assert!(t.query_index(Domain::Financial, AR_BALANCES).is_empty());
}
