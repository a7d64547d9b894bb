//! Invoicing a won deal: lines, tax, terms, business dates, the mail, currencies.

use super::*;

#[test]
fn invoices_a_won_deal_with_tax_and_terms() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-CA", 45));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    let inv = invoice(&t, "inv-D1");
    assert_eq!(inv.subtotal, Money::usd(1_000_000));
    assert_eq!(inv.tax, Money::usd(72_500));
    assert_eq!(inv.total, Money::usd(1_072_500));
    assert_eq!(inv.due_on, "2026-04-16".parse::<NaiveDate>().unwrap());
    assert_eq!(payloads(&t, "InvoiceIssued").len(), 1);
    let mails = t.runtime.mails().unwrap();
    assert_eq!(mails[0].to, "ap@boreal.aero");
}

#[test]
fn invoice_lines_come_from_the_accepted_proposal() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "DE", 30));
    t.emit(
        "ascent.crm",
        DealStageChanged {
            deal_id: "D2".into(),
            account_id: "A1".into(),
            owner: "rep@ascent-xr.example".into(),
            from_stage: None,
            to_stage: DealStage::Proposal,
            lines: vec![DealLine {
                sku: "XR-STUDIO-SEAT".into(),
                quantity: 10,
            }],
            requested_discount_pct: 10.0,
            currency: "USD".into(),
            amount: None,
            expected_close: None,
            account_name: None,
            discount_reason: None,
        },
    );
    let Payload::ProposalSent(p) = &payloads(&t, "ProposalSent")[0] else {
        panic!()
    };
    t.emit(
        "ascent.crm",
        won(
            "D2",
            "A1",
            p.total.amount_minor,
            Some(p.proposal_id.clone()),
        ),
    );
    let inv = invoice(&t, "inv-D2");
    // 10 seats at 1,080.00 = 10,800.00, 10% off = 9,720.00, DE VAT 19% = 1,846.80.
    assert_eq!(inv.lines.len(), 2);
    assert_eq!(inv.lines[1].amount, Money::usd(-108_000));
    assert_eq!(inv.subtotal, Money::usd(972_000));
    assert_eq!(inv.tax, Money::usd(184_680));
    assert_eq!(inv.total, Money::usd(1_156_680));
    assert!(payloads(&t, "ExceptionRaised").is_empty());
}

#[test]
fn a_win_announced_twice_is_invoiced_once() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 500_000, None));
    t.emit("ascent.crm", won("D1", "A1", 500_000, None));
    assert_eq!(payloads(&t, "InvoiceIssued").len(), 1);
}

#[test]
fn missing_profile_raises_an_exception_and_bad_currency_is_refused() {
    let t = twin();
    t.emit("ascent.crm", won("D1", "A-unknown", 500_000, None));
    let Payload::ExceptionRaised(x) = &payloads(&t, "ExceptionRaised")[0] else {
        panic!()
    };
    assert!(
        x.reason
            .contains("no billing profile for account A-unknown")
    );
    assert_eq!(invoice(&t, "inv-D1").tax, Money::usd(0));

    t.emit("ascent.platform", signup("A2", "US-CA", 30));
    let mut w = won("D9", "A2", 100, None);
    w.amount.currency = "EUR".into();
    t.emit("ascent.crm", w);
    let dl = t.runtime.dead_letters().unwrap();
    assert_eq!(
        dl[0].reason,
        "invalid input: deal D9 is in EUR but account A2 is billed in USD"
    );
}

#[test]
fn an_invoice_is_dated_on_the_business_day_of_the_win() {
    // Given a deal won at 2026-04-01 03:00 UTC, which is 03-31 20:00 in Los Angeles
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    let won_at: DateTime<Utc> = "2026-04-01T03:00:00Z".parse().unwrap();
    let e = Event::new(
        "ascent.crm",
        ascent_core::event::Actor::system("ascent.crm"),
        won_at,
        won("D1", "A1", 1_000_000, None),
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    // Then it is issued on 03-31 (the company's day), due 03-31 + 30 days = 04-30
    let inv = invoice(&t, "inv-D1");
    assert_eq!(
        (inv.issued_on, inv.due_on),
        ("2026-03-31".parse().unwrap(), "2026-04-30".parse().unwrap())
    );
}

/// The shared record (issue 19): what Closing stores at `deal#<id>`/`proposal` parses as the
/// core type Billing reads, with its status, and Billing invoices from it. Renaming a field
/// or status on one side only no longer compiles; a stored shape that stops parsing fails here.
#[test]
fn closing_s_stored_proposal_is_the_record_billing_invoices_from() {
    // Given a proposal Closing sent (no approval needed)
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit(
        "ascent.crm",
        DealStageChanged {
            deal_id: "D3".into(),
            account_id: "A1".into(),
            owner: "rep@ascent-xr.example".into(),
            from_stage: None,
            to_stage: DealStage::Proposal,
            lines: vec![DealLine {
                sku: "XR-STUDIO-SEAT".into(),
                quantity: 10,
            }],
            requested_discount_pct: 5.0,
            currency: "USD".into(),
            amount: None,
            expected_close: None,
            account_name: None,
            discount_reason: None,
        },
    );
    // When the writer's stored JSON is read through the reader's type
    let stored = t
        .get(Domain::Customer, &deal_pk("D3"), PROPOSAL_SK)
        .expect("Closing stored the proposal");
    let p: Proposal =
        serde_json::from_value(stored).expect("Closing's record parses as Billing reads it");
    // Then it is the sent proposal, and Billing invoices its lines and discount
    assert_eq!(p.status, ProposalStatus::Sent);
    t.emit(
        "ascent.crm",
        won(
            "D3",
            "A1",
            p.total.amount_minor,
            Some(p.proposal_id.clone()),
        ),
    );
    let inv = invoice(&t, "inv-D3");
    assert_eq!(inv.subtotal, p.total);
    assert_eq!(inv.lines[0].sku, "XR-STUDIO-SEAT");
    assert_eq!(inv.lines.last().unwrap().sku, "DISCOUNT");
    assert!(payloads(&t, "ExceptionRaised").is_empty());
}

#[test]
fn the_invoice_mail_names_the_configured_company() {
    // Given Billing configured for another company
    let config = BillingConfig {
        company: "Boreal Learning".into(),
        ..BillingConfig::default()
    };
    let t = TestTwin::new(vec![Arc::new(Billing::new(config))], t0());
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    // When a deal is invoiced
    t.emit("ascent.crm", won("D1", "A1", 500_000, None));
    // Then the mail comes from that company, and no other name is written in
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails[0]
            .subject
            .starts_with("Invoice inv-D1 from Boreal Learning:"),
        "{}",
        mails[0].subject
    );
    assert!(!mails[0].subject.contains("Ascent"));
}

/// Issue 22: a ¥1,000,000 invoice was mailed as "10000.00 JPY" (two decimals assumed), and
/// Billing invoiced currencies the other agents refused.
#[test]
fn a_yen_invoice_is_written_in_whole_yen_and_an_unaccepted_currency_is_refused() {
    let t = twin();
    let mut s = signup("A1", "US-OR", 30);
    s.currency = "JPY".into();
    t.emit("ascent.platform", s);
    // Given a win of ¥1,000,000 (JPY has no minor unit: amount_minor is yen),
    let mut w = won("D1", "A1", 1_000_000, None);
    w.amount = Money::new(1_000_000, "JPY");
    t.emit("ascent.crm", w);
    // then the mail says 1000000 JPY, never 10000.00 JPY.
    let mails = t.runtime.mails().unwrap();
    assert!(mails[0].text.contains("1000000 JPY"), "{}", mails[0].text);
    assert!(!mails[0].text.contains("10000.00 JPY"));
    // And a win in a currency [currency] does not list is refused, naming the field.
    let mut k = won("D2", "A2", 1_000, None);
    k.amount = Money::new(1_000, "KWD");
    t.emit("ascent.crm", k);
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]
            .reason
            .contains("amount.currency: currency KWD is not accepted"),
        "{}",
        dead[0].reason
    );
}
