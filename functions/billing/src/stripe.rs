//! Stripe payment webhooks: verifying the `Stripe-Signature` header and turning the payment
//! events Billing cares about into catalog events.
//!
//! Stripe signs `"{t}.{raw body}"` with HMAC-SHA256 under the endpoint's signing secret and
//! sends `t=<unix time>,v1=<hex signature>[,v1=…]`. A delivery is accepted only if one `v1`
//! matches (constant-time) and `t` is within the tolerance of now: an altered body, another
//! secret or a replay of an old delivery is refused with the reason named.

use ascent_core::catalog::{
    Payload, PaymentFailed, PaymentReceived, PaymentRefunded, PaymentReversed,
};
use ascent_core::money::Money;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Stripe's default tolerance: five minutes.
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the Stripe-Signature header is missing `{0}`")]
    MalformedHeader(&'static str),
    #[error("no signature matches: the body was altered or signed with another secret")]
    Forged,
    #[error("the delivery is {age} s old (tolerance {tolerance} s): a replay or a stale retry")]
    Stale { age: i64, tolerance: i64 },
    #[error("not a Stripe event: {0}")]
    Malformed(String),
    #[error("Stripe event {event}: field `{field}` {problem}")]
    Invalid {
        event: String,
        field: String,
        problem: String,
    },
}

/// Verifies a delivery; returns the signed timestamp.
pub fn verify(
    body: &[u8],
    header: &str,
    secret: &str,
    now: DateTime<Utc>,
    tolerance: i64,
) -> Result<i64, WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v.to_string()),
            _ => {}
        }
    }
    let t = timestamp.ok_or(WebhookError::MalformedHeader("t"))?;
    if signatures.is_empty() {
        return Err(WebhookError::MalformedHeader("v1"));
    }
    let matches = signatures.iter().any(|sig| {
        let Ok(expected) = hex::decode(sig) else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .expect("HMAC takes any key");
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    });
    if !matches {
        return Err(WebhookError::Forged);
    }
    let age = (now.timestamp() - t).abs();
    if age > tolerance {
        return Err(WebhookError::Stale { age, tolerance });
    }
    Ok(t)
}

/// The signature Stripe would send (tests, local tooling).
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The catalog event for a verified Stripe event, or `None` for types Billing ignores.
/// The invoice is found through the PaymentIntent's `metadata.invoice_id`.
pub fn to_payload(body: &[u8]) -> Result<Option<Payload>, WebhookError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let event_id = v["id"].as_str().unwrap_or_default().to_string();
    let kind = v["type"]
        .as_str()
        .ok_or_else(|| WebhookError::Malformed("no `type`".into()))?;
    let object = &v["data"]["object"];
    let field = |name: &str| -> Result<&Value, WebhookError> {
        let f = &object[name];
        if f.is_null() {
            Err(WebhookError::Invalid {
                event: event_id.clone(),
                field: format!("data.object.{name}"),
                problem: "is missing".into(),
            })
        } else {
            Ok(f)
        }
    };
    let invoice_id = || -> Result<String, WebhookError> {
        object["metadata"]["invoice_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| WebhookError::Invalid {
                event: event_id.clone(),
                field: "data.object.metadata.invoice_id".into(),
                problem: "is missing: Billing cannot tell which invoice was paid".into(),
            })
    };
    let money = |amount_field: &str| -> Result<Money, WebhookError> {
        let amount = field(amount_field)?
            .as_i64()
            .ok_or_else(|| WebhookError::Invalid {
                event: event_id.clone(),
                field: format!("data.object.{amount_field}"),
                problem: "is not an integer amount in minor units".into(),
            })?;
        let currency = field("currency")?
            .as_str()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let m = Money::new(amount, &currency);
        m.check_non_negative()
            .map_err(|problem| WebhookError::Invalid {
                event: event_id.clone(),
                field: "data.object.amount".into(),
                problem,
            })?;
        Ok(m)
    };
    let payment_id = field("id")?.as_str().unwrap_or_default().to_string();
    Ok(match kind {
        "payment_intent.succeeded" => {
            let created = v["created"].as_i64().unwrap_or_default();
            Some(Payload::PaymentReceived(PaymentReceived {
                payment_id,
                invoice_id: invoice_id()?,
                amount: money("amount_received")?,
                received_at: DateTime::from_timestamp(created, 0).unwrap_or_default(),
                method: "card".into(),
            }))
        }
        "payment_intent.payment_failed" => Some(Payload::PaymentFailed(PaymentFailed {
            payment_id,
            invoice_id: invoice_id()?,
            amount: money("amount")?,
            reason: object["last_payment_error"]["message"]
                .as_str()
                .unwrap_or("declined")
                .to_string(),
        })),
        "charge.refunded" => Some(Payload::PaymentRefunded(PaymentRefunded {
            refund_id: object["refunds"]["data"][0]["id"]
                .as_str()
                .unwrap_or(&event_id)
                .to_string(),
            payment_id: object["payment_intent"]
                .as_str()
                .unwrap_or(&payment_id)
                .to_string(),
            invoice_id: invoice_id()?,
            amount: money("amount_refunded")?,
            reason: object["refunds"]["data"][0]["reason"]
                .as_str()
                .unwrap_or("refund")
                .to_string(),
            // Refunds of customer credit are not mapped from Stripe yet.
            from_customer_credit: false,
        })),
        // A chargeback: Stripe's `charge.dispute.funds_withdrawn` ("occurs when funds are
        // removed from your account due to a dispute"). `charge.dispute.created` only opens the
        // dispute (and may be followed by the withdrawal): mapping both would take the money
        // back twice, so only the withdrawal is a reversal.
        "charge.dispute.funds_withdrawn" => Some(Payload::PaymentReversed(PaymentReversed {
            reversal_id: payment_id.clone(),
            payment_id: object["payment_intent"]
                .as_str()
                .or(object["charge"].as_str())
                .unwrap_or(&payment_id)
                .to_string(),
            invoice_id: invoice_id()?,
            amount: money("amount")?,
            reason: format!(
                "chargeback: {}",
                object["reason"].as_str().unwrap_or("disputed")
            ),
        })),
        _ => None,
    })
}

/// A verified delivery as the catalog event to put on the bus (`None` for types Billing
/// ignores). The event id is derived from Stripe's event id, so Stripe's retries of one
/// delivery are one event.
pub fn to_event(
    body: &[u8],
    header: &str,
    secret: &str,
    now: DateTime<Utc>,
    tolerance: i64,
) -> Result<Option<ascent_core::event::Event>, WebhookError> {
    verify(body, header, secret, now, tolerance)?;
    let Some(payload) = to_payload(body)? else {
        return Ok(None);
    };
    let v: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let stripe_id = v["id"]
        .as_str()
        .ok_or_else(|| WebhookError::Malformed("no `id`".into()))?;
    let id = ascent_core::event::name_uuid(&format!("stripe|{stripe_id}"));
    Ok(Some(ascent_core::event::Event::with_ids(
        "ascent.payments",
        ascent_core::event::Actor::system("stripe"),
        now,
        payload,
        id,
        id,
        None,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "whsec_test_0123456789abcdef";

    fn now() -> DateTime<Utc> {
        "2026-03-20T12:00:00Z".parse().unwrap()
    }

    fn body(kind: &str) -> Vec<u8> {
        json!({
            "id": "evt_1", "type": kind, "created": now().timestamp(),
            "data": {"object": {"id": "pi_1", "amount": 4_547_400, "amount_received": 4_547_400, "currency": "usd",
                "metadata": {"invoice_id": "inv-D00042"}, "last_payment_error": {"message": "Your card was declined."}}}
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_genuine_delivery_is_accepted() {
        let b = body("payment_intent.succeeded");
        let header = sign(&b, SECRET, now().timestamp() - 10);
        assert_eq!(
            verify(&b, &header, SECRET, now(), DEFAULT_TOLERANCE_SECONDS),
            Ok(now().timestamp() - 10)
        );
        // Several v1 signatures (secret rotation): one match is enough.
        let rotated = format!("{header},v1=00ff");
        assert!(verify(&b, &rotated, SECRET, now(), DEFAULT_TOLERANCE_SECONDS).is_ok());
    }

    #[test]
    fn forged_replayed_and_malformed_deliveries_are_refused() {
        let b = body("payment_intent.succeeded");
        let t = now().timestamp();
        let header = sign(&b, SECRET, t);
        let mut altered = b.clone();
        altered[10] ^= 1;
        assert_eq!(
            verify(&altered, &header, SECRET, now(), 300),
            Err(WebhookError::Forged)
        );
        assert_eq!(
            verify(&b, &header, "whsec_other", now(), 300),
            Err(WebhookError::Forged)
        );
        // The same signature with another timestamp does not verify either.
        let moved = header.replace(&format!("t={t}"), &format!("t={}", t + 1));
        assert_eq!(
            verify(&b, &moved, SECRET, now(), 300),
            Err(WebhookError::Forged)
        );
        let old = sign(&b, SECRET, t - 3_600);
        assert_eq!(
            verify(&b, &old, SECRET, now(), 300),
            Err(WebhookError::Stale {
                age: 3_600,
                tolerance: 300
            })
        );
        assert_eq!(
            verify(&b, "v1=abc", SECRET, now(), 300),
            Err(WebhookError::MalformedHeader("t"))
        );
        assert_eq!(
            verify(&b, &format!("t={t}"), SECRET, now(), 300),
            Err(WebhookError::MalformedHeader("v1"))
        );
    }

    #[test]
    fn payment_events_become_catalog_events() {
        let Some(Payload::PaymentReceived(p)) =
            to_payload(&body("payment_intent.succeeded")).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (p.invoice_id.as_str(), p.amount.clone()),
            ("inv-D00042", Money::usd(4_547_400))
        );
        let Some(Payload::PaymentFailed(f)) =
            to_payload(&body("payment_intent.payment_failed")).unwrap()
        else {
            panic!()
        };
        assert_eq!(f.reason, "Your card was declined.");
        assert_eq!(to_payload(&body("customer.created")).unwrap(), None);
        let mut refunded: Value = serde_json::from_slice(&body("charge.refunded")).unwrap();
        refunded["data"]["object"]["amount_refunded"] = json!(100_000);
        refunded["data"]["object"]["payment_intent"] = json!("pi_1");
        refunded["data"]["object"]["refunds"] =
            json!({"data": [{"id": "re_1", "reason": "requested_by_customer"}]});
        let Some(Payload::PaymentRefunded(r)) =
            to_payload(refunded.to_string().as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (r.refund_id.as_str(), r.amount.amount_minor),
            ("re_1", 100_000)
        );
    }

    #[test]
    fn a_dispute_s_withdrawal_is_a_reversed_payment_and_its_opening_is_not() {
        // Given a dispute object of 250.00 on charge ch_1, the invoice in its metadata
        let dispute = |kind: &str| {
            json!({
                "id": "evt_9", "type": kind, "created": now().timestamp(),
                "data": {"object": {"id": "dp_1", "object": "dispute", "amount": 25_000,
                    "currency": "usd", "charge": "ch_1", "reason": "fraudulent",
                    "metadata": {"invoice_id": "inv-D00042"}}}
            })
            .to_string()
        };
        // When the funds are withdrawn, then the payment is reversed by 250.00
        let Some(Payload::PaymentReversed(r)) =
            to_payload(dispute("charge.dispute.funds_withdrawn").as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (
                r.reversal_id.as_str(),
                r.payment_id.as_str(),
                r.invoice_id.as_str(),
                r.amount.clone(),
                r.reason.as_str()
            ),
            (
                "dp_1",
                "ch_1",
                "inv-D00042",
                Money::usd(25_000),
                "chargeback: fraudulent"
            )
        );
        // and the dispute's opening alone moves no money (else it would be reversed twice)
        assert_eq!(
            to_payload(dispute("charge.dispute.created").as_bytes()).unwrap(),
            None
        );
    }

    #[test]
    fn bad_payment_events_name_the_field() {
        let mut v: Value = serde_json::from_slice(&body("payment_intent.succeeded")).unwrap();
        v["data"]["object"]["metadata"] = json!({});
        let err = to_payload(v.to_string().as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("data.object.metadata.invoice_id"),
            "{err}"
        );
        v["data"]["object"]["metadata"] = json!({"invoice_id": "inv-1"});
        v["data"]["object"]["amount_received"] = json!(-5);
        let err = to_payload(v.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("negative"), "{err}");
        assert!(matches!(
            to_payload(b"{oops"),
            Err(WebhookError::Malformed(_))
        ));
    }
}
