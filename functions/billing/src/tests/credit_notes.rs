//! Credit notes and goodwill refunds: what is owed, tax reversed, business dates.

use super::*;

#[test]
fn credit_notes_reduce_what_is_owed_and_can_settle_an_invoice() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    t.emit("ascent.payments", pay("P1", "inv-D1", 700_000));
    t.emit("ascent.crm", credit("CR-1", "inv-D1", 300_000));
    t.emit("ascent.crm", credit("CR-1", "inv-D1", 300_000)); // asked twice
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime
            .dead_letters()
            .unwrap()
            .iter()
            .map(|d| d.reason.clone())
            .collect::<Vec<_>>()
    );
    let inv = invoice(&t, "inv-D1");
    assert_eq!(
        (inv.credited_minor, inv.status),
        (300_000, InvoiceStatus::Paid)
    );
    assert_eq!(inv.outstanding(), Money::usd(0));
    let issued = payloads(&t, "CreditNoteIssued");
    assert_eq!(issued.len(), 1);
    let Payload::CreditNoteIssued(c) = &issued[0] else {
        panic!()
    };
    assert_eq!(
        (c.credit_note_id.as_str(), c.outstanding.amount_minor),
        ("cn-CR-1", 0)
    );
    assert_eq!(
        payloads(&t, "InvoicePaid").len(),
        1,
        "settled by the credit"
    );
    // More credit than the invoice: refused, with the amounts named.
    t.emit("ascent.crm", credit("CR-2", "inv-D1", 800_000));
    let dl = t.runtime.dead_letters().unwrap();
    assert!(
        dl[0]
            .reason
            .contains("exceeds what invoice inv-D1 can still be credited (7000.00 USD)"),
        "{}",
        dl[0].reason
    );
}

#[test]
fn a_goodwill_refund_comes_with_a_credit_note_and_never_reopens_the_invoice() {
    // Given an invoice of 10,000.00 paid in full (US-OR: no tax)
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    t.emit("ascent.payments", pay("P1", "inv-D1", 1_000_000));
    assert_eq!(invoice(&t, "inv-D1").status, InvoiceStatus::Paid);
    let refund = |id: &str, amount: i64| ascent_core::catalog::PaymentRefunded {
        refund_id: id.into(),
        payment_id: "P1".into(),
        invoice_id: "inv-D1".into(),
        amount: Money::usd(amount),
        reason: "requested_by_customer".into(),
        from_customer_credit: false,
    };
    // When 4,000.00 is refunded (reported twice)
    t.emit("ascent.payments", refund("re_1", 400_000));
    t.emit("ascent.payments", refund("re_1", 400_000));
    // Then paid 10,000 − 4,000 = 6,000.00, credited 4,000.00: still settled, nothing owed
    let inv = invoice(&t, "inv-D1");
    assert_eq!(
        (inv.paid.amount_minor, inv.credited_minor, inv.status),
        (600_000, 400_000, InvoiceStatus::Paid)
    );
    assert_eq!(inv.outstanding(), Money::usd(0));
    // and a credit note of 4,000.00 (no tax on this invoice) goes with it, once
    let issued = payloads(&t, "CreditNoteIssued");
    assert_eq!(issued.len(), 1);
    let Payload::CreditNoteIssued(c) = &issued[0] else {
        panic!()
    };
    assert_eq!(
        (
            c.credit_note_id.as_str(),
            c.amount.amount_minor,
            c.outstanding.amount_minor
        ),
        ("cn-re_1", 400_000, 0)
    );
    assert_eq!(c.tax, Some(Money::usd(0)));
    // and no dunning, even long after the due date (2026-04-01)
    t.tick("daily", "2026-04-04T16:00:00Z".parse().unwrap());
    t.tick("daily", "2026-05-04T06:00:00Z".parse().unwrap());
    assert!(payloads(&t, "DunningStepTaken").is_empty());
    assert!(payloads(&t, "ExceptionRaised").is_empty());
    // A refund larger than what was paid is refused.
    t.emit("ascent.payments", refund("re_2", 700_000));
    assert!(
        t.runtime.dead_letters().unwrap()[0]
            .reason
            .contains("exceeds what was paid")
    );
}

#[test]
fn a_credit_note_reverses_tax_in_proportion_and_is_dated_in_the_company_s_zone() {
    // Given an invoice of 10,000.00 in US-CA
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-CA", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    let inv = invoice(&t, "inv-D1");
    let (sub, tax) = (inv.subtotal.amount_minor, inv.tax.amount_minor);
    // When it is credited in full, asked for at 2026-04-01 03:00 UTC (= 03-31 20:00 in Los
    // Angeles, the shipped [company] time_zone) and handled a week later
    t.clock.set("2026-04-08T09:00:00Z".parse().unwrap());
    let asked: DateTime<Utc> = "2026-04-01T03:00:00Z".parse().unwrap();
    let e = Event::new(
        "ascent.crm",
        ascent_core::event::Actor::system("ascent.crm"),
        asked,
        credit("CR-1", "inv-D1", sub + tax),
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    // Then the credit note reverses all the tax and all the revenue, dated 03-31 (not 04-01
    // in UTC, nor 04-08 when processed)
    let Payload::CreditNoteIssued(c) = payloads(&t, "CreditNoteIssued").pop().unwrap() else {
        panic!()
    };
    assert_eq!(c.tax, Some(Money::usd(tax)));
    assert_eq!(c.subtotal, Some(Money::usd(sub)));
    assert_eq!(c.issued_on, Some("2026-03-31".parse().unwrap()));
}

#[test]
fn a_credit_that_settles_an_invoice_is_dated_when_it_was_asked_for_however_late() {
    // Given an invoice paid but for 3,000.00
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    t.emit("ascent.payments", pay("P1", "inv-D1", 700_000));
    // When the credit for the rest, asked for on 03-10, is delivered on 03-20
    t.clock.set("2026-03-20T09:00:00Z".parse().unwrap());
    let asked: DateTime<Utc> = "2026-03-10T15:00:00Z".parse().unwrap();
    let e = Event::new(
        "ascent.crm",
        ascent_core::event::Actor::system("ascent.crm"),
        asked,
        credit("CR-1", "inv-D1", 300_000),
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    // Then the invoice is paid on 03-10, not on the day it was processed
    let Payload::InvoicePaid(p) = payloads(&t, "InvoicePaid").pop().unwrap() else {
        panic!()
    };
    assert_eq!(p.paid_on, asked.date_naive());
}
