//! The Stripe adapter of the payment gateway port: `POST /v1/refunds`.
//!
//! A refund is created against the PaymentIntent (`payment_intent`), for `amount` in the
//! currency's minor units, with `reason=requested_by_customer` (Stripe accepts only
//! `duplicate`, `fraudulent` or `requested_by_customer`) and Ascent's ids and the requester's
//! words in `metadata`. The request carries `Idempotency-Key: <refund request id>`: Stripe
//! answers a repeat of the same key with the first answer (the refund made once), so a retry
//! after a lost answer, or the next run after a crash, refunds nothing twice. Authentication is
//! the secret key as a bearer token (`ASCENT_STRIPE_API_KEY`, not the webhook signing secret).
//! Errors come as `{"error": {"type", "code", "message"}}` (read by
//! [`Answer::refusal`](ascent_integrations::Answer::refusal)); a `409` (the same key still being
//! processed by Stripe) is tried again on the next run.

use crate::gateway::{CardRefund, IntegrationError, PaymentGateway};
use ascent_integrations::{Http, Request, RetryPolicy};

/// Stripe's refunds endpoint under `base_url` (`https://api.stripe.com`).
pub struct StripeRefunds {
    base_url: String,
    http: Http,
}

impl StripeRefunds {
    pub fn new(base_url: &str, secret_key: &str, policy: RetryPolicy) -> Self {
        Self::with_http(base_url, Http::bearer(secret_key, policy))
    }

    /// The adapter over a prepared exchange (tests pause through `Http::with_sleep`).
    pub fn with_http(base_url: &str, http: Http) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// The request for `refund` (the same on every attempt).
    pub fn request(&self, idempotency_key: &str, refund: &CardRefund) -> Request {
        Request::post(format!("{}/v1/refunds", self.base_url))
            .idempotency_key(idempotency_key)
            .form([
                ("payment_intent", refund.payment_intent.clone()),
                ("amount", refund.amount.amount_minor.to_string()),
                ("reason", "requested_by_customer".to_string()),
                ("metadata[refund_id]", refund.request_id.clone()),
                ("metadata[invoice_id]", refund.invoice_id.clone()),
                ("metadata[reason]", refund.reason.clone()),
            ])
    }
}

impl PaymentGateway for StripeRefunds {
    fn system(&self) -> &str {
        "stripe"
    }

    fn refund(
        &self,
        idempotency_key: &str,
        refund: &CardRefund,
    ) -> Result<String, IntegrationError> {
        let answer = self.http.send(&self.request(idempotency_key, refund))?;
        if answer.status == 409 {
            return Err(IntegrationError::Unavailable {
                attempts: 1,
                last: format!("409: {}", answer.refusal()),
            });
        }
        if !answer.is_success() {
            return Err(answer.refusal());
        }
        let body = answer.body;
        match (body["id"].as_str(), body["status"].as_str()) {
            (Some(_), Some(status @ ("failed" | "canceled"))) => Err(IntegrationError::Refused {
                status: 200,
                message: format!(
                    "refund {status}: {}",
                    body["failure_reason"].as_str().unwrap_or("no reason given")
                ),
            }),
            (Some(id), _) if id.starts_with("re_") => Ok(id.to_string()),
            _ => Err(IntegrationError::BadAnswer(format!(
                "a refund without a re_ id: {body}"
            ))),
        }
    }
}

#[cfg(test)]
#[path = "stripe_refunds_tests.rs"]
mod tests;
