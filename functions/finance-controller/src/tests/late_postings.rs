//! Late deliveries: postings dated in the month they happened, or the next open month.

use super::*;

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
