//! Billing tests, driven through an in-memory twin.

use super::*;
use ascent_core::catalog::{DealLine, DealStage, DealStageChanged};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[path = "tests_overpayment.rs"]
mod overpayment;

#[path = "tests_approvals.rs"]
mod approvals;

#[path = "tests_refunds.rs"]
mod refunds;

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn twin() -> TestTwin {
    TestTwin::new(
        vec![
            Arc::new(Billing::default()),
            Arc::new(closing::Closing::default()),
        ],
        t0(),
    )
}

fn signup(account: &str, region: &str, terms: u32) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: account.into(),
        company: "Boreal Aero".into(),
        plan: "enterprise".into(),
        seats: 50,
        tax_region: region.into(),
        billing_email: "ap@boreal.aero".into(),
        payment_terms_days: terms,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn won(deal: &str, account: &str, amount: i64, proposal: Option<String>) -> DealClosedWon {
    DealClosedWon {
        deal_id: deal.into(),
        account_id: account.into(),
        owner: "rep@ascent-xr.example".into(),
        amount: Money::usd(amount),
        proposal_id: proposal,
        reason: None,
        lead_id: None,
    }
}

fn pay(id: &str, invoice: &str, amount: i64) -> PaymentReceived {
    PaymentReceived {
        payment_id: id.into(),
        invoice_id: invoice.into(),
        amount: Money::usd(amount),
        received_at: t0(),
        method: "card".into(),
    }
}

fn invoice(t: &TestTwin, id: &str) -> Invoice {
    serde_json::from_value(
        t.get(Domain::Financial, &format!("invoice#{id}"), "invoice")
            .unwrap(),
    )
    .unwrap()
}

fn payloads(t: &TestTwin, detail_type: &str) -> Vec<Payload> {
    t.emitted(detail_type)
        .iter()
        .map(|e| e.payload().clone())
        .collect()
}

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
    // A payment on a settled invoice is kept as customer credit (see tests_overpayment.rs).
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
fn dunning_reminds_then_escalates_and_spares_paid_invoices() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 500_000, None));
    t.emit("ascent.crm", won("D2", "A1", 700_000, None));
    t.emit("ascent.payments", pay("P1", "inv-D2", 700_000));
    // Due 2026-04-01; run the daily schedule for 70 days.
    for day in 1..=70 {
        let at = t0() + Duration::days(day);
        t.tick("daily", at);
    }
    let steps: Vec<(String, u32, u32, DunningAction)> = payloads(&t, "DunningStepTaken")
        .into_iter()
        .map(|p| match p {
            Payload::DunningStepTaken(d) => (d.invoice_id, d.step, d.days_overdue, d.action),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("inv-D1".into(), 1, 3, DunningAction::Reminder),
            ("inv-D1".into(), 2, 10, DunningAction::Reminder),
            ("inv-D1".into(), 3, 20, DunningAction::Reminder),
            ("inv-D1".into(), 4, 30, DunningAction::Escalation),
        ]
    );
    let Payload::ExceptionRaised(x) = payloads(&t, "ExceptionRaised").pop().unwrap() else {
        panic!()
    };
    assert!(x.reason.contains("hand to collections"));
    // The daily AR ageing snapshot: inv-D1 (5,000.00, due 2026-04-01) is 40 days past due.
    let last_day = (t0() + Duration::days(70)).date_naive().to_string();
    let snapshot = t
        .get(Domain::Financial, "report#ar-ageing", &last_day)
        .unwrap();
    assert_eq!(snapshot["by_currency"]["USD"]["past_due_31_60"], 500_000);
    assert_eq!(snapshot["by_currency"]["USD"]["invoices"], 1);
    let reminders = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Reminder"))
        .count();
    assert_eq!(reminders, 3);
}

fn credit(request: &str, invoice: &str, amount: i64) -> ascent_core::catalog::CreditNoteRequested {
    ascent_core::catalog::CreditNoteRequested {
        request_id: request.into(),
        invoice_id: invoice.into(),
        amount: Money::usd(amount),
        reason: "two headsets arrived damaged".into(),
        requested_by: "support.lead@ascent-xr.example".into(),
    }
}

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
fn an_invoice_first_dunned_30_days_overdue_never_claims_three_reminders() {
    // Given an invoice due 2026-04-01 (issued 03-02, net 30) and no daily run until 05-01
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    // When the first run comes 30 days overdue (05-01 − 04-01 = 30: the escalation day)
    t.tick("daily", "2026-05-01T16:00:00Z".parse().unwrap());
    // Then it goes to collections saying no reminder was sent, not "after 3 reminders"
    let Payload::ExceptionRaised(x) = payloads(&t, "ExceptionRaised").pop().unwrap() else {
        panic!()
    };
    assert!(x.reason.contains("no reminder was sent"), "{}", x.reason);
    assert!(!x.reason.contains("3 reminders"), "{}", x.reason);
    assert!(invoice(&t, "inv-D1").reminders_sent.is_empty());
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

/// Bulk work never depends on its size (issue 19): 1,000 overdue invoices are all dunned, a
/// bounded number per daily run, and no run's commit breaks AWS's limits (each message is
/// checked as `TransactWriteItems` would: 51 writes and more were 103+ items, a dead letter).
#[test]
fn dunning_a_backlog_of_1000_overdue_invoices_stays_within_aws_limits() {
    use ascent_core::ports::{IndexKey, Item};
    let t = TestTwin::new(vec![Arc::new(Billing::default())], t0());
    let due: NaiveDate = "2026-03-01".parse().unwrap();
    for i in 0..1000 {
        let id = format!("inv-B{i:04}");
        let inv = Invoice {
            invoice_id: id.clone(),
            account_id: "A1".into(),
            deal_id: None,
            lines: vec![],
            subtotal: Money::usd(10_000),
            tax_rate_bp: 0,
            tax: Money::usd(0),
            total: Money::usd(10_000),
            paid: Money::usd(0),
            status: InvoiceStatus::Open,
            issued_on: due - Duration::days(30),
            due_on: due,
            payment_terms_days: 30,
            billing_email: Some("ap@boreal.aero".into()),
            credited_minor: 0,
            dunning_step: 0,
            reminders_sent: vec![],
            version: 1,
        };
        let mut item = Item::new(
            invoice_pk(&id),
            "invoice",
            serde_json::to_value(&inv).unwrap(),
        );
        item.gsi1 = Some(IndexKey {
            pk: OPEN_INVOICES.into(),
            sk: format!("{due}#{id}"),
        });
        t.put(Domain::Financial, item);
    }
    // DUNNING_PER_RUN (48) invoices a run, the longest overdue first: every invoice reaches
    // its escalation (30 days) within 100 days.
    for day in 3..=100 {
        t.tick("daily", t0() + Duration::days(day));
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    // Every invoice was dunned to the end (steps missed while waiting are skipped, by design).
    for i in 0..1000 {
        assert_eq!(
            invoice(&t, &format!("inv-B{i:04}")).dunning_step,
            4,
            "inv-B{i:04}"
        );
    }
    let escalations = payloads(&t, "DunningStepTaken")
        .into_iter()
        .filter(|p| matches!(p, Payload::DunningStepTaken(d) if d.step == 4))
        .count();
    assert_eq!(escalations, 1000);
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

/// The shared record (issue 19): the ageing Billing stores parses as the core type the Finance
/// Controller reads.
#[test]
fn the_stored_ar_ageing_is_the_shared_record() {
    // Given an open invoice and a daily run on 2026-04-10
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 500_000, None));
    let day: NaiveDate = "2026-04-10".parse().unwrap();
    t.tick("daily", "2026-04-10T16:00:00Z".parse().unwrap());
    // When the snapshot is read as the shared record
    let stored = t
        .get(Domain::Financial, AR_AGEING_PK, &ar_ageing_sk(day))
        .expect("the day's snapshot");
    let a: ageing::ArAgeing = serde_json::from_value(stored).unwrap();
    // Then it is as of that day with the invoice (net 30) 9 days past due, in 1–30
    assert_eq!(a.as_of, day);
    assert_eq!(a.by_currency["USD"].past_due_1_30, 500_000);
    assert_eq!(a.total("USD"), Money::usd(500_000));
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

/// Business dates are days in the company's zone (issue 22): the daily run at 06:00 UTC is
/// still the evening before in California, so it counts days overdue from that day.
#[test]
fn days_overdue_are_counted_in_the_company_time_zone() {
    // Given an invoice due 2026-04-01 (issued 03-02, net 30); the company is in Los Angeles
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    // When the daily run fires at 2026-04-04T06:00Z = 3 April 23:00 PDT: 2 days overdue
    t.tick("daily", "2026-04-04T06:00:00Z".parse().unwrap());
    // Then no reminder yet (the first is 3 days overdue)
    assert!(payloads(&t, "DunningStepTaken").is_empty());
    // When it fires at 2026-04-05T06:00Z = 4 April PDT: 3 days overdue
    t.tick("daily", "2026-04-05T06:00:00Z".parse().unwrap());
    // Then the first reminder, 3 days overdue, and the ageing snapshot is as of 4 April
    let Payload::DunningStepTaken(d) = payloads(&t, "DunningStepTaken").pop().unwrap() else {
        panic!()
    };
    assert_eq!((d.step, d.days_overdue), (1, 3));
    assert!(
        t.get(
            Domain::Financial,
            AR_AGEING_PK,
            &ar_ageing_sk("2026-04-04".parse().unwrap())
        )
        .is_some()
    );
}
