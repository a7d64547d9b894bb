//! Given/when/then tests of authorised refunds sent to Stripe through the twin, with the stub
//! Stripe plugged in: queued with the authorisation, sent by the hourly run, kept queued and
//! visible while Stripe fails, held for a person when Stripe refuses, and never queued
//! without the adapter or for a bank transfer.

use super::*;
use crate::gateway::CardRefund;
use crate::refund_sync::{OUTBOX_PREFIX, STRIPE_REFUND_HELD};
use crate::refunds::{RefundRequest, RefundStatus, SendState, request_sk};
use crate::stripe_refunds::StripeRefunds;
use crate::stub_stripe::{self, Fault, Shared};
use ascent_core::approval::Decision;
use ascent_core::catalog::{DataSyncCompleted, RefundRequested};
use ascent_integrations::{Http, Pending, RetryPolicy};

const CONTROLLER: &str = "finance.controller@ascent-xr.example";
const SUPPORT: &str = "sam.support@ascent-xr.example";
const PAYMENTS: &str = "payments@ascent-xr.example";

/// The twin with Billing sending refunds to a fresh stub Stripe, which holds pi_3Ma's
/// 10,000.00 when `known`.
fn twin_with_stripe(known: bool) -> (TestTwin, Shared) {
    let (base, stub) = stub_stripe::start();
    if known {
        stub.lock()
            .unwrap()
            .intents
            .insert("pi_3Ma".into(), 1_000_000);
    }
    let policy = RetryPolicy {
        max_attempts: 3,
        backoff: std::time::Duration::from_millis(1),
        max_wait: std::time::Duration::from_secs(1),
        timeout: std::time::Duration::from_secs(5),
    };
    let http = Http::bearer("sk_test_51Hx0AscentXr", policy);
    let billing = Billing::default().with_gateway(Arc::new(StripeRefunds::with_http(&base, http)));
    let t = TestTwin::new(
        vec![Arc::new(billing), Arc::new(closing::Closing::default())],
        t0(),
    );
    (t, stub)
}

/// Given a 10,000.00 invoice (Oregon: no tax) paid in full by `payment`.
fn paid_by(t: &TestTwin, payment: &str) {
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    t.emit("ascent.payments", pay(payment, "inv-D1", 1_000_000));
}

fn ask(id: &str, amount: i64) -> RefundRequested {
    RefundRequested {
        request_id: id.into(),
        invoice_id: "inv-D1".into(),
        amount: Money::usd(amount),
        reason: "headsets arrived late".into(),
        requested_by: SUPPORT.into(),
    }
}

fn request(t: &TestTwin, id: &str) -> RefundRequest {
    serde_json::from_value(
        t.get(Domain::Financial, "invoice#inv-D1", &request_sk(id))
            .unwrap(),
    )
    .unwrap()
}

fn queued(t: &TestTwin, id: &str) -> Option<Pending<CardRefund>> {
    let pk = format!("{OUTBOX_PREFIX}outbox#stripe");
    t.get(Domain::Financial, &pk, id)
        .map(|v| serde_json::from_value(v).unwrap())
}

fn held(t: &TestTwin, id: &str) -> Option<Pending<CardRefund>> {
    let pk = format!("{OUTBOX_PREFIX}outbox#stripe#held");
    t.get(Domain::Financial, &pk, id)
        .map(|v| serde_json::from_value(v).unwrap())
}

fn runs(t: &TestTwin) -> Vec<DataSyncCompleted> {
    payloads(t, "DataSyncCompleted")
        .into_iter()
        .filter_map(|p| match p {
            Payload::DataSyncCompleted(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// (records, pushed, failures, queued) of a run.
fn counts(d: &DataSyncCompleted) -> (u64, u64, u64, u64) {
    (d.records, d.pushed, d.failures, d.queued)
}

fn hourly(t: &TestTwin, hours: i64) {
    t.tick("hourly", t0() + Duration::hours(hours));
}

fn mails_to(t: &TestTwin, to: &str) -> Vec<ascent_core::ports::Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect()
}

#[test]
fn an_authorised_card_refund_is_queued_then_sent_by_the_hourly_run_and_booked_once() {
    let (t, stripe) = twin_with_stripe(true);
    paid_by(&t, "pi_3Ma");
    // When support asks for 500.00 back (within Billing's 5,000.00), twice
    t.emit("ascent.crm", ask("RR-1", 50_000));
    t.emit("ascent.crm", ask("RR-1", 50_000));
    // Then it is authorised and queued for Stripe against pi_3Ma, not asked of the payments team
    assert_eq!(payloads(&t, "RefundAuthorised").len(), 1);
    let q = queued(&t, "RR-1").expect("queued with the authorisation");
    assert_eq!(
        (q.item.payment_intent.as_str(), q.item.amount.clone()),
        ("pi_3Ma", Money::usd(50_000))
    );
    assert_eq!(
        request(&t, "RR-1").processor.unwrap().state,
        SendState::Queued
    );
    assert!(mails_to(&t, PAYMENTS).is_empty());
    assert!(stripe.lock().unwrap().requests.is_empty());
    // When the hourly run comes
    hourly(&t, 1);
    // Then Stripe made one refund of 50000 cents under the key RR-1, recorded on the request
    {
        let st = stripe.lock().unwrap();
        assert_eq!(
            st.refunds,
            vec![("re_3Stub0001".into(), "pi_3Ma".into(), 50_000)]
        );
        assert_eq!(st.requests[0].idempotency_key.as_deref(), Some("RR-1"));
    }
    let p = request(&t, "RR-1").processor.unwrap();
    assert_eq!(
        (p.state, p.refund_id.as_deref()),
        (SendState::Sent, Some("re_3Stub0001"))
    );
    assert!(queued(&t, "RR-1").is_none());
    assert_eq!(counts(&runs(&t)[0]), (1, 1, 0, 0));
    assert_eq!(runs(&t)[0].system, "stripe");
    // When Stripe's charge.refunded comes back as PaymentRefunded
    t.emit(
        "ascent.payments",
        PaymentRefunded {
            refund_id: "re_3Stub0001".into(),
            payment_id: "pi_3Ma".into(),
            invoice_id: "inv-D1".into(),
            amount: Money::usd(50_000),
            reason: "requested_by_customer".into(),
            from_customer_credit: false,
        },
    );
    // Then the request is made by that refund and booked: 10,000.00 − 500.00 paid
    let r = request(&t, "RR-1");
    assert_eq!(
        (r.status, r.made_by.as_deref()),
        (RefundStatus::Made, Some("re_3Stub0001"))
    );
    assert_eq!(invoice(&t, "inv-D1").paid, Money::usd(950_000));
    // And a later run has nothing to send and reports nothing
    hourly(&t, 2);
    assert_eq!(runs(&t).len(), 1);
    assert_eq!(stripe.lock().unwrap().requests.len(), 1);
}

#[test]
fn a_failing_stripe_keeps_the_refund_queued_and_visible_until_a_later_run_sends_it() {
    let (t, stripe) = twin_with_stripe(true);
    paid_by(&t, "pi_3Ma");
    t.emit("ascent.crm", ask("RR-2", 120_000));
    // Given Stripe answers 503 to every attempt of the first run (3 attempts)
    stripe
        .lock()
        .unwrap()
        .script
        .extend([Fault::Unavailable; 3]);
    hourly(&t, 1);
    // Then the run reports 1 tried, 0 sent, 1 failure, 1 still queued
    assert_eq!(counts(&runs(&t)[0]), (1, 0, 1, 1));
    let q = queued(&t, "RR-2").expect("still queued");
    assert_eq!(q.attempts, 1);
    assert!(
        q.last_error
            .as_deref()
            .unwrap()
            .starts_with("unavailable after 3 attempts"),
        "{:?}",
        q.last_error
    );
    assert_eq!(
        request(&t, "RR-2").processor.unwrap().state,
        SendState::Queued
    );
    // When Stripe is back by the next run
    hourly(&t, 2);
    // Then the refund is made once, with the same key on every attempt
    assert_eq!(counts(&runs(&t)[1]), (1, 1, 0, 0));
    let st = stripe.lock().unwrap();
    assert_eq!(st.refunds.len(), 1);
    assert_eq!(st.requests.len(), 4);
    assert!(
        st.requests
            .iter()
            .all(|r| r.idempotency_key.as_deref() == Some("RR-2"))
    );
}

#[test]
fn a_refund_stripe_refuses_is_held_for_a_person_and_sent_again_once_approved() {
    // Given Stripe does not know pi_3Ma (the payment was taken in another Stripe account)
    let (t, stripe) = twin_with_stripe(false);
    paid_by(&t, "pi_3Ma");
    t.emit("ascent.crm", ask("RR-3", 80_000));
    hourly(&t, 1);
    // Then the run reports the failure, nothing is left queued, the refund is held with
    // Stripe's reason, and the Finance Controller is asked
    assert_eq!(counts(&runs(&t)[0]), (1, 0, 1, 0));
    let h = held(&t, "RR-3").expect("held");
    assert_eq!(
        h.last_error.as_deref(),
        Some("refused (400): No such payment_intent: 'pi_3Ma'")
    );
    let Payload::ApprovalRequested(a) = payloads(&t, "ApprovalRequested").pop().unwrap() else {
        panic!()
    };
    assert_eq!(a.kind, STRIPE_REFUND_HELD);
    // The amount is the request's own, shown once (formatted) beside the summary.
    assert_eq!(a.summary, "stripe refused refund RR-3 on invoice inv-D1");
    assert_eq!(
        a.amount.as_ref().map(|m| m.to_string()).as_deref(),
        Some("800.00 USD")
    );
    assert_eq!(
        request(&t, "RR-3").processor.unwrap().state,
        SendState::Held
    );
    // And no run retries it on its own
    hourly(&t, 2);
    assert_eq!(runs(&t).len(), 1);
    // When the cause is fixed in Stripe and the controller approves
    stripe
        .lock()
        .unwrap()
        .intents
        .insert("pi_3Ma".into(), 1_000_000);
    t.decide_from_mail(CONTROLLER, Decision::Approve, None)
        .unwrap();
    assert!(held(&t, "RR-3").is_none());
    assert!(queued(&t, "RR-3").is_some());
    // Then the next run sends it, under a new key (Stripe keeps a refused key's answer)
    hourly(&t, 3);
    assert_eq!(counts(&runs(&t)[1]), (1, 1, 0, 0));
    let keys: Vec<Option<String>> = stripe
        .lock()
        .unwrap()
        .requests
        .iter()
        .map(|r| r.idempotency_key.clone())
        .collect();
    assert_eq!(
        keys,
        vec![Some("RR-3".to_string()), Some("RR-3-resend-1".to_string())]
    );
    let p = request(&t, "RR-3").processor.unwrap();
    assert_eq!(
        (p.state, p.refund_id.as_deref()),
        (SendState::Sent, Some("re_3Stub0001"))
    );
}

#[test]
fn a_held_refund_rejected_is_given_up_and_the_payments_team_asked_to_make_it() {
    let (t, _stripe) = twin_with_stripe(false);
    paid_by(&t, "pi_3Ma");
    t.emit("ascent.crm", ask("RR-4", 80_000));
    hourly(&t, 1);
    t.decide_from_mail(
        CONTROLLER,
        Decision::Reject,
        Some("refund it by bank transfer"),
    )
    .unwrap();
    assert!(held(&t, "RR-4").is_none() && queued(&t, "RR-4").is_none());
    assert_eq!(
        request(&t, "RR-4").processor.unwrap().state,
        SendState::GivenUp
    );
    let asked = mails_to(&t, PAYMENTS);
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].text.starts_with(
            "Please refund 800.00 USD of invoice inv-D1 by hand: stripe refused it \
             (refused (400): No such payment_intent: 'pi_3Ma')"
        ),
        "{}",
        asked[0].text
    );
}

#[test]
fn a_bank_transfer_is_never_sent_and_without_the_adapter_nothing_is_queued() {
    // Given the adapter, and a payment by wire (no Stripe reference)
    let (t, stripe) = twin_with_stripe(true);
    paid_by(&t, "WIRE-2026-0311");
    t.emit("ascent.crm", ask("RR-5", 50_000));
    hourly(&t, 1);
    // Then nothing is queued nor sent, and the payments team is asked, as before
    assert!(queued(&t, "RR-5").is_none());
    assert!(request(&t, "RR-5").processor.is_none());
    assert!(stripe.lock().unwrap().requests.is_empty());
    assert_eq!(mails_to(&t, PAYMENTS).len(), 1);
    assert!(runs(&t).is_empty());
    // Given no adapter (the twin) and a card payment
    let t = twin();
    paid_by(&t, "pi_3Ma");
    t.emit("ascent.crm", ask("RR-6", 50_000));
    hourly(&t, 1);
    // Then nothing is queued, the run reports nothing, and the payments team is asked
    assert!(queued(&t, "RR-6").is_none());
    assert!(
        t.query(Domain::Financial, "billing#outbox#stripe")
            .is_empty()
    );
    assert!(runs(&t).is_empty());
    assert_eq!(mails_to(&t, PAYMENTS).len(), 1);
}

#[test]
fn a_refund_approved_above_the_amount_is_sent_to_stripe_once_authorised() {
    let (t, stripe) = twin_with_stripe(true);
    paid_by(&t, "pi_3Ma");
    // When 6,000.00 is asked back (above 5,000.00): nothing is queued until approved
    t.emit("ascent.crm", ask("RR-7", 600_000));
    assert!(queued(&t, "RR-7").is_none());
    t.decide_from_mail(CONTROLLER, Decision::Approve, None)
        .unwrap();
    assert!(queued(&t, "RR-7").is_some());
    hourly(&t, 1);
    assert_eq!(stripe.lock().unwrap().refunds[0].2, 600_000);
    assert_eq!(
        request(&t, "RR-7").processor.unwrap().state,
        SendState::Sent
    );
    // And a second refund of 5,000.00 no longer fits pi_3Ma (4,000.00 left): the payments team
    t.emit("ascent.crm", ask("RR-8", 500_000));
    assert!(queued(&t, "RR-8").is_none());
    assert_eq!(mails_to(&t, PAYMENTS).len(), 1);
}
