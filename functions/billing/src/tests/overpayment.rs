//! Given/when/then tests of overpayments kept as customer credit and applied to the next
//! invoice (issue 22).

use super::*;

/// Issue 22: an overpayment raised an exception for a person and left the invoice with a
/// negative outstanding amount; now the excess is the customer's credit, paying the next invoice.
#[test]
fn an_overpayment_becomes_credit_that_pays_the_next_invoice() {
    let t = twin();
    // Given a 10,000.00 invoice (Oregon: no sales tax)
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    // When 10,250.00 is paid
    t.emit("ascent.payments", pay("P1", "inv-D1", 1_025_000));
    // Then the invoice is paid with nothing negative owed: 10,250.00 − 10,000.00 = 250.00 credit
    let inv = invoice(&t, "inv-D1");
    assert_eq!(inv.status, InvoiceStatus::Paid);
    assert_eq!(inv.paid, Money::usd(1_000_000));
    assert_eq!(inv.outstanding(), Money::usd(0));
    assert!(payloads(&t, "ExceptionRaised").is_empty());
    let Payload::CustomerCreditRecorded(c) = payloads(&t, "CustomerCreditRecorded").pop().unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (
            c.invoice_id.as_str(),
            c.payment_id.as_str(),
            c.amount.clone(),
            c.balance.clone()
        ),
        ("inv-D1", "P1", Money::usd(25_000), Money::usd(25_000))
    );
    let recorded = t.emitted("CustomerCreditRecorded");
    assert_eq!(recorded[0].source, "ascent.agent.billing");

    // When the customer's next invoice of 1,000.00 is issued
    t.emit("ascent.crm", won("D2", "A1", 100_000, None));
    // Then the 250.00 credit pays part of it: 1,000.00 − 250.00 = 750.00 still owed, credit 0
    let inv = invoice(&t, "inv-D2");
    assert_eq!(inv.outstanding(), Money::usd(75_000));
    assert_eq!(inv.status, InvoiceStatus::PartiallyPaid);
    let Payload::CustomerCreditApplied(a) = payloads(&t, "CustomerCreditApplied").pop().unwrap()
    else {
        panic!()
    };
    assert_eq!(a.invoice_id.as_deref(), Some("inv-D2"));
    assert_eq!(a.refund_id, None);
    assert_eq!((a.amount, a.balance), (Money::usd(25_000), Money::usd(0)));

    // And a third invoice finds no credit left
    t.emit("ascent.crm", won("D3", "A1", 100_000, None));
    assert_eq!(invoice(&t, "inv-D3").outstanding(), Money::usd(100_000));
    assert_eq!(payloads(&t, "CustomerCreditApplied").len(), 1);
}

#[test]
fn credit_larger_than_the_next_invoice_pays_it_and_the_rest_stays() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 100_000, None));
    // 1,500.00 paid on 1,000.00: 500.00 credit
    t.emit("ascent.payments", pay("P1", "inv-D1", 150_000));
    // A 300.00 invoice is paid by credit: 500.00 − 300.00 = 200.00 left
    t.emit("ascent.crm", won("D2", "A1", 30_000, None));
    let inv = invoice(&t, "inv-D2");
    assert_eq!(inv.status, InvoiceStatus::Paid);
    let Payload::CustomerCreditApplied(a) = payloads(&t, "CustomerCreditApplied").pop().unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (a.amount, a.balance),
        (Money::usd(30_000), Money::usd(20_000))
    );
    // The invoice settled by credit is announced paid (D1's and D2's)
    assert_eq!(payloads(&t, "InvoicePaid").len(), 2);
}

fn credit_refund(id: &str, amount: i64) -> PaymentRefunded {
    PaymentRefunded {
        refund_id: id.into(),
        payment_id: "P1".into(),
        invoice_id: "inv-D1".into(),
        amount: Money::usd(amount),
        reason: "customer asked for the overpayment back".into(),
        from_customer_credit: true,
    }
}

#[test]
fn a_credit_refund_pays_the_credit_out_and_leaves_the_invoice_alone() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 100_000, None));
    // Given 1,500.00 paid on 1,000.00: 500.00 credit
    t.emit("ascent.payments", pay("P1", "inv-D1", 150_000));
    // When 200.00 of it is refunded (reported twice)
    t.emit("ascent.payments", credit_refund("re_1", 20_000));
    t.emit("ascent.payments", credit_refund("re_1", 20_000));
    // Then the credit is 500.00 − 200.00 = 300.00, the invoice still paid, no credit note
    let applied = payloads(&t, "CustomerCreditApplied");
    assert_eq!(applied.len(), 1);
    let Payload::CustomerCreditApplied(a) = &applied[0] else {
        panic!()
    };
    assert_eq!(a.refund_id.as_deref(), Some("re_1"));
    assert_eq!(a.invoice_id, None);
    assert_eq!(
        (a.amount.clone(), a.balance.clone()),
        (Money::usd(20_000), Money::usd(30_000))
    );
    let inv = invoice(&t, "inv-D1");
    assert_eq!(
        (inv.status, inv.paid.amount_minor),
        (InvoiceStatus::Paid, 100_000)
    );
    assert!(payloads(&t, "CreditNoteIssued").is_empty());
    // And a refund beyond the 300.00 left is refused
    t.emit("ascent.payments", credit_refund("re_2", 30_001));
    let dl = t.runtime.dead_letters().unwrap();
    assert_eq!(
        dl[0].reason,
        "invalid input: refund re_2 of 300.01 USD exceeds account A1's credit (300.00 USD)"
    );
}

/// The Finance Controller reads Billing's open invoices as the core's `OpenInvoice`: every
/// invoice Billing stores reads back with the same owner and outstanding amount.
#[test]
fn an_invoice_reads_as_the_shared_open_invoice_view_with_its_outstanding_amount() {
    use ascent_core::records::OpenInvoice;
    // Given an invoice of 1,000.00 EUR, 300.00 paid and 150.25 credited
    let inv = crate::Invoice {
        invoice_id: "inv-V1".into(),
        account_id: "A9".into(),
        deal_id: None,
        lines: vec![],
        subtotal: Money::new(100_000, "EUR"),
        tax_rate_bp: 0,
        tax: Money::new(0, "EUR"),
        total: Money::new(100_000, "EUR"),
        paid: Money::new(30_000, "EUR"),
        status: crate::InvoiceStatus::PartiallyPaid,
        issued_on: "2026-03-01".parse().unwrap(),
        due_on: "2026-03-31".parse().unwrap(),
        payment_terms_days: 30,
        billing_email: None,
        credited_minor: 15_025,
        dunning_step: 0,
        reminders_sent: vec![],
        version: 3,
    };
    // When it is read as the shared view
    let view: OpenInvoice = serde_json::from_value(serde_json::to_value(&inv).unwrap()).unwrap();
    // Then 1,000.00 − 300.00 − 150.25 = 549.75 EUR is outstanding on both sides
    assert_eq!(view.account_id, "A9");
    assert_eq!(view.outstanding(), Money::new(54_975, "EUR"));
    assert_eq!(view.outstanding(), inv.outstanding());
}
