//! The Stripe adapter against the stub Stripe: the request as Stripe documents it, rate
//! limits, outages, refusals, and a retried refund made once.

use super::*;
use crate::stub_stripe::{self, Fault, Shared};
use ascent_core::money::Money;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "sk_test_51Hx0AscentXr";

/// The adapter on a fresh stub with pi_3Ma (10,000.00 captured), and the pauses it takes.
fn stripe() -> (StripeRefunds, Shared, Arc<Mutex<Vec<Duration>>>) {
    let (base, stub) = stub_stripe::start();
    stub.lock()
        .unwrap()
        .intents
        .insert("pi_3Ma".into(), 1_000_000);
    let pauses = Arc::new(Mutex::new(Vec::new()));
    let seen = pauses.clone();
    let policy = RetryPolicy {
        max_attempts: 3,
        backoff: Duration::from_millis(200),
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    };
    let http =
        Http::bearer(KEY, policy).with_sleep(Arc::new(move |d| seen.lock().unwrap().push(d)));
    (StripeRefunds::with_http(&base, http), stub, pauses)
}

fn refund(request: &str, pi: &str, minor: i64) -> CardRefund {
    CardRefund {
        request_id: request.into(),
        invoice_id: "inv-D1".into(),
        payment_intent: pi.into(),
        amount: Money::usd(minor),
        reason: "headsets arrived late".into(),
        resent: 0,
    }
}

#[test]
fn a_refund_is_posted_as_stripe_documents_it_and_answers_its_re_id() {
    let (s, stub, pauses) = stripe();
    // When RR-1's 500.00 is refunded on pi_3Ma
    let id = s.refund("RR-1", &refund("RR-1", "pi_3Ma", 50_000)).unwrap();
    // Then Stripe made re_… and saw one form POST to /v1/refunds with the secret key, the
    // request's id as idempotency key, the amount in cents and Ascent's ids in metadata
    assert_eq!(id, "re_3Stub0001");
    let st = stub.lock().unwrap();
    let r = &st.requests[0];
    assert_eq!(st.requests.len(), 1);
    assert_eq!(r.path, "/v1/refunds");
    assert_eq!(
        r.authorization.as_deref(),
        Some("Bearer sk_test_51Hx0AscentXr")
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("RR-1"));
    assert_eq!(r.field("payment_intent"), Some("pi_3Ma"));
    assert_eq!(r.field("amount"), Some("50000"));
    assert_eq!(r.field("reason"), Some("requested_by_customer"));
    assert_eq!(r.field("metadata[refund_id]"), Some("RR-1"));
    assert_eq!(r.field("metadata[invoice_id]"), Some("inv-D1"));
    assert_eq!(r.field("metadata[reason]"), Some("headsets arrived late"));
    assert!(pauses.lock().unwrap().is_empty());
}

#[test]
fn a_rate_limit_waits_its_retry_after_and_an_outage_backs_off_then_the_refund_is_made() {
    let (s, stub, pauses) = stripe();
    // Given Stripe answers 429 (Retry-After: 2), then 503, then makes the refund
    stub.lock()
        .unwrap()
        .script
        .extend([Fault::RateLimited(2), Fault::Unavailable]);
    let id = s.refund("RR-2", &refund("RR-2", "pi_3Ma", 10_000)).unwrap();
    // Then it waited 2 s as asked, then the 200 ms backoff, and one refund was made
    assert_eq!(id, "re_3Stub0001");
    assert_eq!(
        *pauses.lock().unwrap(),
        vec![Duration::from_secs(2), Duration::from_millis(200)]
    );
    assert_eq!(stub.lock().unwrap().refunds.len(), 1);
}

#[test]
fn a_rate_limit_longer_than_the_policy_waits_and_a_long_outage_are_transient() {
    let (s, stub, _) = stripe();
    stub.lock()
        .unwrap()
        .script
        .push_back(Fault::RateLimited(60));
    let e = s
        .refund("RR-3", &refund("RR-3", "pi_3Ma", 10_000))
        .unwrap_err();
    assert_eq!(e, IntegrationError::RateLimited { wait_seconds: 60 });
    assert!(e.is_transient());
    stub.lock().unwrap().script.extend([Fault::Unavailable; 3]);
    let e = s
        .refund("RR-3", &refund("RR-3", "pi_3Ma", 10_000))
        .unwrap_err();
    assert!(
        matches!(e, IntegrationError::Unavailable { attempts: 3, .. }),
        "{e}"
    );
    assert!(stub.lock().unwrap().refunds.is_empty());
}

#[test]
fn a_refusal_is_final_and_carries_stripe_s_message() {
    let (s, stub, _) = stripe();
    // When the PaymentIntent does not exist, and when more than is left is asked back
    let e = s
        .refund("RR-4", &refund("RR-4", "pi_missing", 10_000))
        .unwrap_err();
    assert_eq!(
        e,
        IntegrationError::Refused {
            status: 400,
            message: "No such payment_intent: 'pi_missing'".into()
        }
    );
    assert!(!e.is_transient());
    let e = s
        .refund("RR-5", &refund("RR-5", "pi_3Ma", 1_000_001))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "refused (400): Refund amount (1000001) is greater than unrefunded amount on charge (1000000)"
    );
    assert!(stub.lock().unwrap().refunds.is_empty());
}

#[test]
fn a_refund_whose_answer_was_lost_is_retried_under_its_key_and_made_once() {
    let (s, stub, _) = stripe();
    // Given Stripe makes the refund but the answer is lost (502)
    stub.lock().unwrap().script.push_back(Fault::Lost);
    let id = s.refund("RR-6", &refund("RR-6", "pi_3Ma", 25_000)).unwrap();
    // Then the retry carried the same key and Stripe answered the first refund
    assert_eq!(id, "re_3Stub0001");
    // And the next run sending it again (a crash before the outbox was told) changes nothing
    let again = s.refund("RR-6", &refund("RR-6", "pi_3Ma", 25_000)).unwrap();
    assert_eq!(again, id);
    let st = stub.lock().unwrap();
    assert_eq!(st.refunds.len(), 1);
    assert_eq!(st.requests.len(), 3);
    assert!(
        st.requests
            .iter()
            .all(|r| r.idempotency_key.as_deref() == Some("RR-6"))
    );
}
