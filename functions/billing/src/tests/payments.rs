//! Payments: partial, duplicate and final; before their invoice; reversed; business dates.

use super::*;

#[test]
fn partial_duplicate_and_final_payments() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    t.emit("ascent.payments", pay("P1", "inv-D1", 400_000));
    t.emit("ascent.payments", pay("P1", "inv-D1", 400_000)); // same payment reported twice
    let inv = invoice(&t, "inv-D1");
    assert_eq!(
        (inv.status, inv.paid.amount_minor),
        (InvoiceStatus::PartiallyPaid, 400_000)
    );
    t.emit("ascent.payments", pay("P2", "inv-D1", 600_000));
    let inv = invoice(&t, "inv-D1");
    assert_eq!(inv.status, InvoiceStatus::Paid);
    assert_eq!(payloads(&t, "InvoicePaid").len(), 1);
    // A payment on a settled invoice is kept as customer credit (see tests/overpayment.rs).
    t.emit("ascent.payments", pay("P3", "inv-D1", 100));
    assert_eq!(invoice(&t, "inv-D1").outstanding(), Money::usd(0));
    assert_eq!(payloads(&t, "CustomerCreditRecorded").len(), 1);
    assert_eq!(payloads(&t, "InvoicePaid").len(), 1);
}

#[test]
fn a_payment_before_its_invoice_is_kept_and_applies_after_redrive() {
    let t = twin();
    t.emit("ascent.payments", pay("P1", "inv-D1", 500_000));
    let dl = t.runtime.dead_letters().unwrap();
    assert_eq!(dl[0].reason, "invoice inv-D1 not found (yet)");
    assert_eq!(dl[0].receive_count, 3);
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 500_000, None));
    t.runtime.redrive(None, "ops").unwrap();
    t.drain();
    assert_eq!(invoice(&t, "inv-D1").status, InvoiceStatus::Paid);
}

#[test]
fn a_reversed_payment_reopens_the_invoice_and_dunning_follows() {
    // Given an invoice of 10,000.00 paid in full
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    t.emit("ascent.payments", pay("P1", "inv-D1", 1_000_000));
    let chargeback = ascent_core::catalog::PaymentReversed {
        reversal_id: "dp_1".into(),
        payment_id: "P1".into(),
        invoice_id: "inv-D1".into(),
        amount: Money::usd(400_000),
        reason: "chargeback: fraudulent".into(),
    };
    // When 4,000.00 is charged back (reported twice)
    t.emit("ascent.payments", chargeback.clone());
    t.emit("ascent.payments", chargeback);
    // Then 10,000 − 4,000 = 6,000.00 paid, 4,000.00 owed again, no credit note
    let inv = invoice(&t, "inv-D1");
    assert_eq!(
        (inv.paid.amount_minor, inv.credited_minor, inv.status),
        (600_000, 0, InvoiceStatus::PartiallyPaid)
    );
    assert!(payloads(&t, "CreditNoteIssued").is_empty());
    // and 3 days after the due date (2026-04-01) a reminder for the 4,000.00 goes out
    t.tick("daily", "2026-04-04T16:00:00Z".parse().unwrap());
    let Payload::DunningStepTaken(d) = payloads(&t, "DunningStepTaken").pop().unwrap() else {
        panic!()
    };
    assert_eq!((d.step, d.outstanding.amount_minor), (1, 400_000));
}

#[test]
fn an_invoice_is_paid_on_the_business_day_the_money_arrived() {
    // Given an invoice of 10,000.00
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    // When it is paid at 2026-04-01 03:00 UTC (03-31 20:00 in Los Angeles)
    let mut p = pay("P1", "inv-D1", 1_000_000);
    p.received_at = "2026-04-01T03:00:00Z".parse().unwrap();
    t.emit("ascent.payments", p);
    // Then it was paid on 03-31, the company's day, not 04-01 in UTC
    let Payload::InvoicePaid(paid) = payloads(&t, "InvoicePaid").pop().unwrap() else {
        panic!()
    };
    assert_eq!(paid.paid_on, "2026-03-31".parse::<NaiveDate>().unwrap());
}
