//! A quarter (January to March 2026) of a small company through the twin with every agent:
//! leads are scored, flagged, assigned and written to; a demo is booked (which stops the
//! outreach); two proposals go out, one after the Sales Director approved its 20% discount by
//! the emailed link; won deals are invoiced; Stripe payments arrive signed and verified; an
//! unpaid invoice goes through dunning to collections and is then paid in two parts; expenses
//! are approved by policy and by the manager and reimbursed on Fridays; the Finance Controller
//! closes each month. Issue 22's rules take part: a German business customer is invoiced in
//! euros under the reverse charge, a Japanese one in whole yen, each closing in its own
//! currency; a discount above the Sales Director's authority goes to the CRO first; a goodwill
//! refund comes with a credit note that reverses tax and never reopens the invoice; an annual
//! subscription signed on its proposal is deferred and released by the day month by month;
//! and every day the ledger's receivables reconcile with Billing's open invoices. The
//! close reports' numbers are checked against figures computed by hand (in the comments), and
//! the audit chain verifies at the end.

use ascent_core::agent::Domain;
use ascent_core::approval::Decision;
use ascent_core::catalog::{
    ContractTerms, CustomerSignedUp, DealClosedWon, DealLine, DealStage, DealStageChanged,
    DemoRequested, ExpenseSubmitted, InteractionKind, InteractionRecorded, LeadCreated, Payload,
    PaymentReceived, ProposalAccepted, Qualification, Recognition, TaxTreatment,
};
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

const STRIPE_SECRET: &str = "whsec_quarter_test_secret";
const AVA: &str = "ava.rep@ascent-xr.example";
const MANAGER: &str = "mara.head@ascent-xr.example";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Moves the twin through every day up to `date` 09:00: each night the approval timers and
/// the daily schedule at 06:00 run, as `ascent up` does.
fn until(t: &TestTwin, date: &str) {
    let target: NaiveDate = date.parse().unwrap();
    while t.now().date_naive() < target {
        let next = (t.now().date_naive() + Duration::days(1))
            .and_hms_opt(6, 0, 0)
            .unwrap()
            .and_utc();
        t.clock.set(next);
        t.runtime.tick_approvals().unwrap();
        t.runtime.schedule_tick("daily", next).unwrap();
        t.drain();
        // The day's receivables reconciliation: the hourly tick of 07:00 Pacific (15:00Z in
        // winter, 14:00Z from 8 March), on the days the walk passes through.
        let day = next.date_naive();
        if day < target {
            let dst: NaiveDate = "2026-03-08".parse().unwrap();
            let check = day
                .and_hms_opt(if day < dst { 15 } else { 14 }, 0, 0)
                .unwrap()
                .and_utc();
            t.clock.set(check);
            t.runtime.schedule_tick("hourly", check).unwrap();
            t.drain();
        }
    }
    t.clock.set(target.and_hms_opt(9, 0, 0).unwrap().and_utc());
}

fn lead(id: &str, email: &str, name: &str, size: u32) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: email.into(),
        full_name: name.into(),
        company: "Boreal Aero".into(),
        company_size: size,
        industry: "Aerospace".into(),
        role: "VP Engineering".into(),
        country: Some("US".into()),
        channel: "web".into(),
        phone: None,
        time_zone: Some("America/New_York".into()),
    }
}

fn won(deal: &str, account: &str, amount: Money) -> DealClosedWon {
    DealClosedWon {
        deal_id: deal.into(),
        account_id: account.into(),
        owner: AVA.into(),
        amount,
        proposal_id: None,
        reason: None,
        lead_id: None,
    }
}

/// Deals whose proposal went out.
fn sent_deals(t: &TestTwin) -> Vec<String> {
    payloads(t, "ProposalSent")
        .into_iter()
        .filter_map(|p| match p {
            Payload::ProposalSent(p) => Some(p.deal_id),
            _ => None,
        })
        .collect()
}

fn proposal(deal: &str, account: &str, lines: Vec<(&str, u32)>, discount: f64) -> DealStageChanged {
    DealStageChanged {
        deal_id: deal.into(),
        account_id: account.into(),
        owner: AVA.into(),
        from_stage: Some(DealStage::Demo),
        to_stage: DealStage::Proposal,
        lines: lines
            .into_iter()
            .map(|(sku, quantity)| DealLine {
                sku: sku.into(),
                quantity,
            })
            .collect(),
        requested_discount_pct: discount,
        currency: "USD".into(),
        amount: None,
        expected_close: None,
        account_name: None,
        discount_reason: None,
    }
}

fn signup(account: &str, region: &str, terms: u32) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: account.into(),
        company: format!("Customer {account}"),
        plan: "enterprise".into(),
        seats: 10,
        tax_region: region.into(),
        billing_email: format!("ap@{}.example", account.to_lowercase()),
        payment_terms_days: terms,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn expense(id: &str, category: &str, minor: i64, on: &str) -> ExpenseSubmitted {
    ExpenseSubmitted {
        expense_id: id.into(),
        employee: "li.wei@ascent-xr.example".into(),
        department: "sales".into(),
        category: category.into(),
        amount: Money::usd(minor),
        incurred_on: on.parse().unwrap(),
        merchant: "Lufthansa".into(),
        receipt_attached: true,
        receipt_text: None,
        manager: Some(MANAGER.into()),
        description: Some("Customer visit, Boreal Aero".into()),
        expensify_report_id: None,
    }
}

/// A Stripe `payment_intent.succeeded` delivery, signed as Stripe signs it, verified and
/// turned into its catalog event by the same code the webhook endpoint runs.
fn stripe_payment(t: &TestTwin, event_id: &str, invoice: &str, minor: i64) {
    let body = json!({
        "id": event_id, "type": "payment_intent.succeeded", "created": t.now().timestamp(),
        "data": {"object": {"id": format!("pi_{event_id}"), "amount": minor, "amount_received": minor,
            "currency": "usd", "metadata": {"invoice_id": invoice}}}
    })
    .to_string();
    let signature = billing::stripe::sign(body.as_bytes(), STRIPE_SECRET, t.now().timestamp());
    let event = billing::stripe::to_event(
        body.as_bytes(),
        &signature,
        STRIPE_SECRET,
        t.now(),
        billing::stripe::DEFAULT_TOLERANCE_SECONDS,
    )
    .unwrap()
    .expect("a payment event");
    // Stripe retries a delivery it got no answer for: the same event, handled once.
    t.runtime.ingest(&[event.clone(), event]).unwrap();
    t.drain();
}

fn payloads(t: &TestTwin, detail_type: &str) -> Vec<Payload> {
    t.emitted(detail_type)
        .iter()
        .map(|e: &Event| e.payload().clone())
        .collect()
}

/// The amount in `currency` of a list of amounts (one per currency), 0 when absent.
fn in_currency(v: &Value, currency: &str) -> i64 {
    let list = v.as_array().expect("a list of amounts");
    let of: Vec<&Value> = list.iter().filter(|m| m["currency"] == currency).collect();
    assert!(of.len() <= 1, "one amount per currency: {list:?}");
    of.first()
        .map_or(0, |m| m["amount_minor"].as_i64().unwrap())
}

fn usd(v: &Value) -> i64 {
    in_currency(v, "USD")
}

/// A payment reported by the processor, at the twin's time.
fn paid(t: &TestTwin, id: &str, invoice: &str, amount: Money) {
    t.emit(
        "ascent.payments",
        PaymentReceived {
            payment_id: id.into(),
            invoice_id: invoice.into(),
            amount,
            received_at: t.now(),
            method: "bank_transfer".into(),
        },
    );
}

fn report(t: &TestTwin, period: &str) -> Value {
    t.get(
        Domain::Financial,
        &format!("close-report#{period}"),
        "report",
    )
    .unwrap_or_else(|| panic!("no close report for {period}"))
}

#[test]
fn a_quarter_of_a_small_company_closes_to_the_hand_computed_numbers() {
    let t = TestTwin::new(ascent::agents::all(), at("2026-01-05T09:00:00Z"));

    // ---- January: leads, a demo, proposals, approvals, invoices, a Stripe payment.
    t.emit(
        "ascent.web",
        InteractionRecorded {
            interaction_id: "I1".into(),
            email: "ana.ruiz@boreal-aero.example".into(),
            kind: InteractionKind::PricingPageVisit,
            occurred_at: t.now() - Duration::hours(1),
            text: None,
        },
    );
    t.emit(
        "ascent.web",
        InteractionRecorded {
            interaction_id: "I2".into(),
            email: "ana.ruiz@boreal-aero.example".into(),
            kind: InteractionKind::DemoRequested,
            occurred_at: t.now() - Duration::minutes(30),
            text: None,
        },
    );
    t.emit(
        "ascent.crm",
        lead("L1", "ana.ruiz@boreal-aero.example", "Ana Ruiz", 2_000),
    );
    t.emit(
        "ascent.crm",
        lead("L2", "someone@boreal-aero.example", "Some One", 0),
    );
    assert!(
        matches!(&payloads(&t, "LeadScored")[..], [Payload::LeadScored(s)] if s.lead_id == "L1")
    );
    assert!(
        matches!(&payloads(&t, "LeadFlagged")[..], [Payload::LeadFlagged(f)] if f.lead_id == "L2")
    );
    let assigned = payloads(&t, "LeadAssigned");
    assert_eq!(assigned.len(), 1, "the hot lead is assigned to a rep");
    let outreach_first = payloads(&t, "OutreachStepTaken");
    assert_eq!(outreach_first.len(), 1, "and outreach wrote to her");

    t.clock.set(at("2026-01-05T10:00:00Z"));
    t.emit(
        "ascent.crm",
        DemoRequested {
            request_id: "DR1".into(),
            lead_id: Some("L1".into()),
            deal_id: Some("D1".into()),
            prospect_email: "ana.ruiz@boreal-aero.example".into(),
            prospect_name: "Ana Ruiz".into(),
            prospect_time_zone: "America/New_York".into(),
            rep: AVA.into(),
            duration_minutes: 60,
            headsets: 2,
            sandbox: true,
            qualification: Qualification {
                budget: Some(Money::usd(5_000_000)),
                authority: Some(true),
                need: Some("Cut assembly training time".into()),
                timeline_days: Some(60),
            },
        },
    );
    assert_eq!(t.emitted("DemoScheduled").len(), 1);
    let stopped = payloads(&t, "OutreachStopped");
    assert!(
        matches!(&stopped[..], [Payload::OutreachStopped(s)] if s.reason == ascent_core::catalog::OutreachStopReason::MeetingBooked),
        "{stopped:?}"
    );

    until(&t, "2026-01-06");
    // D1: 50 seats at the 50+ tier (1,200.00 − 20% = 960.00) = 48,000.00 + onboarding 5,000.00
    // = 53,000.00; 20% off asks the Sales Director.
    t.emit(
        "ascent.crm",
        proposal(
            "D1",
            "A1",
            vec![("XR-STUDIO-SEAT", 50), ("ONBOARDING", 1)],
            20.0,
        ),
    );
    assert!(
        t.emitted("ProposalSent").is_empty(),
        "waits for the approval"
    );
    t.decide_from_mail("sales.director@ascent-xr.example", Decision::Approve, None)
        .unwrap();
    // D2: 10 seats at the 10+ tier (1,080.00) = 10,800.00, no discount asked.
    t.emit(
        "ascent.crm",
        proposal("D2", "A2", vec![("XR-STUDIO-SEAT", 10)], 0.0),
    );
    let sent: Vec<(String, i64)> = payloads(&t, "ProposalSent")
        .into_iter()
        .map(|p| match p {
            Payload::ProposalSent(p) => (p.deal_id, p.total.amount_minor),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        sent,
        vec![("D1".into(), 4_240_000), ("D2".into(), 1_080_000)]
    );

    until(&t, "2026-01-08");
    t.emit("ascent.platform", signup("A1", "US-CA", 30));
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D1".into(),
            account_id: "A1".into(),
            owner: AVA.into(),
            amount: Money::usd(4_240_000),
            proposal_id: None,
            reason: Some("training time".into()),
            lead_id: Some("L1".into()),
        },
    );
    until(&t, "2026-01-09");
    t.emit("ascent.platform", signup("A2", "US-TX", 15));
    // D2 is an annual subscription: the customer signs the proposal on standard terms (12
    // months), the contract is issued, and the deal is won on that proposal, so Billing
    // invoices its lines with their service period and the ledger defers the revenue.
    let d2_proposal = payloads(&t, "ProposalSent")
        .into_iter()
        .find_map(|p| match p {
            Payload::ProposalSent(p) if p.deal_id == "D2" => Some(p.proposal_id),
            _ => None,
        })
        .unwrap();
    t.emit(
        "ascent.crm",
        ProposalAccepted {
            proposal_id: d2_proposal.clone(),
            deal_id: "D2".into(),
            accepted_by: "buyer@a2.example".into(),
            terms: ContractTerms {
                payment_terms_days: 15,
                term_months: 12,
                auto_renew: true,
                liability_cap_multiple: 1.0,
                governing_law: "US-DE".into(),
                custom_clauses: vec![],
            },
        },
    );
    assert_eq!(t.emitted("ContractIssued").len(), 1);
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D2".into(),
            account_id: "A2".into(),
            owner: AVA.into(),
            amount: Money::usd(1_080_000),
            proposal_id: Some(d2_proposal),
            reason: None,
            lead_id: None,
        },
    );
    // Invoiced as 10 seats of 1,080.00 earned ratably from 9 January 2026 to 8 January 2027.
    let d2 = payloads(&t, "InvoiceIssued")
        .into_iter()
        .find_map(|p| match p {
            Payload::InvoiceIssued(i) if i.invoice_id == "inv-D2" => Some(i),
            _ => None,
        })
        .unwrap();
    let earned = d2.lines[0].revenue.as_ref().unwrap();
    assert_eq!(d2.lines[0].sku, "XR-STUDIO-SEAT");
    assert_eq!(earned.recognition, Recognition::Ratable);
    assert_eq!(earned.service_start, Some("2026-01-09".parse().unwrap()));
    assert_eq!(earned.service_end, Some("2027-01-08".parse().unwrap()));
    let invoices: Vec<(String, i64, NaiveDate)> = payloads(&t, "InvoiceIssued")
        .into_iter()
        .map(|p| match p {
            Payload::InvoiceIssued(i) => (i.invoice_id, i.total.amount_minor, i.due_on),
            _ => unreachable!(),
        })
        .collect();
    // inv-D1: 42,400.00 + 7.25% CA tax 3,074.00 = 45,474.00, due in 30 days.
    // inv-D2: 10,800.00 + 6.25% TX tax 675.00 = 11,475.00, due in 15 days (24 January).
    assert_eq!(
        invoices,
        vec![
            ("inv-D1".into(), 4_547_400, "2026-02-07".parse().unwrap()),
            ("inv-D2".into(), 1_147_500, "2026-01-24".parse().unwrap()),
        ]
    );

    // A German business customer (VAT id DE123456789) billed in euros: invoiced under the
    // reverse charge — EUR 10,000.00, no VAT, the Article 196 wording and both VAT ids.
    let mut de = signup("A3", "DE", 30);
    de.currency = "EUR".into();
    de.vat_id = Some("DE123456789".into());
    t.emit("ascent.platform", de);
    t.emit("ascent.crm", won("D3", "A3", Money::new(1_000_000, "EUR")));
    // A Japanese customer billed in yen (JPY has no minor unit): ¥1,000,000, mailed as
    // "1000000 JPY", not "10000.00 JPY".
    let mut jp = signup("A4", "US-OR", 30);
    jp.currency = "JPY".into();
    t.emit("ascent.platform", jp);
    t.emit("ascent.crm", won("D4", "A4", Money::new(1_000_000, "JPY")));
    let foreign: Vec<_> = payloads(&t, "InvoiceIssued")
        .into_iter()
        .filter_map(|p| match p {
            Payload::InvoiceIssued(i) if i.invoice_id == "inv-D3" || i.invoice_id == "inv-D4" => {
                Some(i)
            }
            _ => None,
        })
        .collect();
    assert_eq!(foreign.len(), 2);
    let (eu, yen) = (&foreign[0], &foreign[1]);
    assert_eq!(eu.total, Money::new(1_000_000, "EUR"));
    assert_eq!(eu.tax, Money::new(0, "EUR"));
    assert!(eu.lines.iter().all(|l| {
        l.tax
            .as_ref()
            .is_some_and(|x| x.treatment == TaxTreatment::ReverseCharge)
    }));
    assert!(
        eu.reverse_charge_note
            .as_deref()
            .is_some_and(|n| n.contains("Article 196")),
        "{eu:?}"
    );
    assert_eq!(eu.customer_vat_id.as_deref(), Some("DE123456789"));
    assert!(eu.seller_vat_id.is_some());
    assert_eq!(yen.total, Money::new(1_000_000, "JPY"));
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.subject.starts_with("Invoice inv-D4") && m.subject.contains("1000000 JPY")),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );

    // A discount above the Sales Director's 25,000.00 authority goes to the CRO first:
    // 53,000.00 at 50% off is a discount of 26,500.00; no proposal goes out before the CRO.
    t.emit(
        "ascent.crm",
        proposal(
            "D5",
            "A5",
            vec![("XR-STUDIO-SEAT", 50), ("ONBOARDING", 1)],
            50.0,
        ),
    );
    let pending = t.runtime.status().unwrap().pending_approvals;
    assert_eq!(pending.last().unwrap().approver, "cro@ascent-xr.example");
    assert!(!sent_deals(&t).contains(&"D5".to_string()));
    t.decide_from_mail("cro@ascent-xr.example", Decision::Approve, None)
        .unwrap();
    assert!(sent_deals(&t).contains(&"D5".to_string()));

    // Expenses: 38.50 of meals is approved by policy; 420.00 of travel by the manager.
    until(&t, "2026-01-13");
    t.emit(
        "ascent.expenses",
        expense("E1", "meals", 3_850, "2026-01-12"),
    );
    t.emit(
        "ascent.expenses",
        expense("E2", "travel", 42_000, "2026-01-12"),
    );
    t.decide_from_mail(MANAGER, Decision::Approve, None)
        .unwrap();
    until(&t, "2026-01-20");
    stripe_payment(&t, "evt_Q1_1", "inv-D1", 4_547_400);
    paid(&t, "P-EUR", "inv-D3", Money::new(1_000_000, "EUR"));
    paid(&t, "P-JPY", "inv-D4", Money::new(1_000_000, "JPY"));
    let paid: Vec<String> = payloads(&t, "InvoicePaid")
        .into_iter()
        .map(|p| match p {
            Payload::InvoicePaid(p) => p.invoice_id,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(paid, ["inv-D1", "inv-D3", "inv-D4"]);

    // ---- February: January closes on the 3rd; inv-D2 is dunned; a part payment; an expense.
    until(&t, "2026-02-04");
    let jan = report(&t, "2026-01");
    assert_eq!(usd(&jan["revenue_invoiced"]), 5_320_000); // 42,400.00 + 10,800.00
    assert_eq!(usd(&jan["tax_invoiced"]), 374_900); // 3,074.00 + 675.00
    // Billed is not earned: inv-D2's 10,800.00 waits in deferred revenue and is released by
    // the day over its 365 days of service, 23 of them in January (9–31):
    // 1,080,000 × 23 / 365 = 68,054.79… → 680.55. Earned: inv-D1's 42,400.00 (one
    // undivided deal line, earned when invoiced) + 680.55 = 43,080.55.
    assert_eq!(usd(&jan["revenue_recognised"]), 4_308_055);
    assert_eq!(usd(&jan["deferred"]["billed"]), 1_080_000);
    assert_eq!(usd(&jan["deferred"]["released"]), 68_055);
    assert_eq!(usd(&jan["deferred"]["closing"]), 1_011_945);
    // The euro and yen invoices close in their own currencies, never summed with dollars:
    // EUR 10,000.00 invoiced without VAT, ¥1,000,000, both collected.
    assert_eq!(in_currency(&jan["revenue_invoiced"], "EUR"), 1_000_000);
    assert_eq!(in_currency(&jan["tax_invoiced"], "EUR"), 0);
    assert_eq!(in_currency(&jan["revenue_invoiced"], "JPY"), 1_000_000);
    assert_eq!(in_currency(&jan["collected"], "JPY"), 1_000_000);
    assert_eq!(in_currency(&jan["receivables"], "EUR"), 0);
    assert_eq!(usd(&jan["collected"]), 4_547_400); // inv-D1 in full
    assert_eq!(usd(&jan["receivables"]), 1_147_500); // inv-D2 open
    assert_eq!(jan["expenses_by_category"]["meals"]["amount_minor"], 3_850);
    assert_eq!(
        jan["expenses_by_category"]["travel"]["amount_minor"],
        42_000
    );
    assert_eq!(jan["expenses_total"]["amount_minor"], 45_850);
    assert_eq!(jan["closed_on"], "2026-02-03");

    until(&t, "2026-02-10");
    t.emit(
        "ascent.expenses",
        expense("E3", "lodging", 80_000, "2026-02-09"),
    );
    t.decide_from_mail(MANAGER, Decision::Approve, None)
        .unwrap();
    until(&t, "2026-02-16");
    stripe_payment(&t, "evt_Q1_2", "inv-D2", 500_000);

    // ---- March: February closes; the rest of inv-D2 arrives; a goodwill refund on inv-D1.
    until(&t, "2026-03-10");
    stripe_payment(&t, "evt_Q1_3", "inv-D2", 647_500);
    // 100.00 refunded on inv-D1 (paid in January) as goodwill: it comes with a credit note that
    // reverses tax in the invoice's proportion — 100.00 × 3,074.00 / 45,474.00 = 6.7599… →
    // 6.76 of tax, 93.24 net — and the invoice stays paid: never reopened, never dunned.
    t.emit(
        "ascent.payments",
        ascent_core::catalog::PaymentRefunded {
            refund_id: "R1".into(),
            payment_id: "pi_evt_Q1_1".into(),
            invoice_id: "inv-D1".into(),
            amount: Money::usd(10_000),
            reason: "goodwill: late headset delivery".into(),
            from_customer_credit: false,
        },
    );
    let credit = payloads(&t, "CreditNoteIssued")
        .into_iter()
        .find_map(|p| match p {
            Payload::CreditNoteIssued(c) if c.invoice_id == "inv-D1" => Some(c),
            _ => None,
        })
        .expect("the refund comes with a credit note");
    assert_eq!(credit.amount, Money::usd(10_000));
    assert_eq!(credit.tax, Some(Money::usd(676)));
    assert_eq!(credit.subtotal, Some(Money::usd(9_324)));
    let feb = report(&t, "2026-02");
    assert_eq!(usd(&feb["revenue_invoiced"]), 0);
    assert_eq!(usd(&feb["collected"]), 500_000);
    assert_eq!(usd(&feb["receivables"]), 647_500); // 11,475.00 − 5,000.00
    assert_eq!(feb["expenses_total"]["amount_minor"], 80_000);
    // February earns what is left spread over the service left: 1,011,945 × 28 / 342 (1
    // February 2026 to 8 January 2027) = 82,849.29… → 828.49, from deferred revenue only.
    assert_eq!(usd(&feb["revenue_recognised"]), 82_849);
    assert_eq!(usd(&feb["deferred"]["opening"]), 1_011_945);
    assert_eq!(usd(&feb["deferred"]["released"]), 82_849);
    assert_eq!(usd(&feb["deferred"]["closing"]), 929_096);

    // Dunning of inv-D2 (due 24 January): reminders 3, 10 and 20 days overdue, then collections
    // at 30 days; the part payment does not stop it, inv-D1 (paid early) is never dunned. Days
    // are business days in Los Angeles: the run at 06:00Z on 28 January is the evening of the
    // 27th there, 3 days after the due date.
    let dunning: Vec<(String, u32, DateTime<Utc>)> = t
        .emitted("DunningStepTaken")
        .iter()
        .map(|e| match e.payload() {
            Payload::DunningStepTaken(d) => (d.invoice_id.clone(), d.step, e.time),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        dunning,
        vec![
            ("inv-D2".into(), 1, at("2026-01-28T06:00:00Z")),
            ("inv-D2".into(), 2, at("2026-02-04T06:00:00Z")),
            ("inv-D2".into(), 3, at("2026-02-14T06:00:00Z")),
            ("inv-D2".into(), 4, at("2026-02-24T06:00:00Z")),
        ]
    );

    until(&t, "2026-04-04");
    let mar = report(&t, "2026-03");
    // 6,475.00 collected less the 100.00 refunded; the credit note took the 100.00 the refund
    // put back on A/R off again: receivables 0.
    assert_eq!(usd(&mar["collected"]), 637_500);
    assert_eq!(usd(&mar["credited"]), 10_000);
    assert_eq!(usd(&mar["receivables"]), 0);
    // The goodwill refund never sent inv-D1 to dunning (a reversed payment would).
    assert!(
        t.emitted("DunningStepTaken").iter().all(
            |e| !matches!(e.payload(), Payload::DunningStepTaken(d) if d.invoice_id == "inv-D1")
        )
    );
    assert_eq!(mar["expenses_total"]["amount_minor"], 0);
    // March: 929,096 × 31 / 314 = 91,726.03… → 917.26 released; the goodwill credit note
    // takes 93.24 off inv-D1's revenue (earned in January).
    assert_eq!(usd(&mar["deferred"]["released"]), 91_726);
    assert_eq!(usd(&mar["deferred"]["closing"]), 837_370);

    // The ledger reconciled with Billing every day the walk passed 07:00 Pacific: each run
    // compared every customer with a receivable or an open invoice and found no difference.
    let runs = t.query(Domain::Financial, "reconciliation#receivables");
    assert!(runs.len() >= 75, "{} reconciliation runs", runs.len());
    assert!(
        runs.iter().all(|r| r["difference_count"] == 0),
        "{:?}",
        runs.iter()
            .filter(|r| r["difference_count"] != 0)
            .collect::<Vec<_>>()
    );
    // On 21 January, after inv-D1, inv-D3 and inv-D4 were paid, only A2's inv-D2 was owed:
    // 11,475.00 on both sides.
    let jan_21 = runs.iter().find(|r| r["as_of"] == "2026-01-21").unwrap();
    assert_eq!(jan_21["ledger_totals"]["USD"], 1_147_500);
    assert_eq!(jan_21["billing_totals"]["USD"], 1_147_500);

    // Over the quarter: invoiced 53,200.00, collected the same with tax (45,474.00 + 5,000.00 +
    // 6,475.00 = 56,949.00) less the 100.00 refunded = 56,849.00, expenses 1,258.50 reimbursed
    // on Fridays.
    let collected: i64 = [&jan, &feb, &mar]
        .iter()
        .map(|r| usd(&r["collected"]))
        .sum();
    assert_eq!(collected, 5_684_900);
    let reimbursed: i64 = payloads(&t, "ReimbursementBatchCreated")
        .into_iter()
        .map(|p| match p {
            Payload::ReimbursementBatchCreated(b) => {
                b.totals.iter().map(|m| m.amount_minor).sum::<i64>()
            }
            _ => unreachable!(),
        })
        .sum();
    assert_eq!(reimbursed, 125_850);
    assert_eq!(t.emitted("MonthClosed").len(), 3);
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters().unwrap()
    );
    let records = t.runtime.store().verify_audit().unwrap();
    assert!(records > 100, "{records} audit records");
}
