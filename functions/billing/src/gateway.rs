//! The payment gateway port: the processor a card payment was taken through gives money back.
//!
//! [`PaymentGateway::refund`] makes one [`CardRefund`] under an idempotency key (the refund
//! request's id, the same on every attempt), answering the processor's refund id. The Stripe
//! adapter ([`crate::stripe_refunds`]) speaks Stripe's REST API; Billing's domain code never names
//! an HTTP type. Which payment a refund goes back to is decided here, without I/O
//! ([`card_payment_for`]): only a payment the processor took (a Stripe PaymentIntent, `pi_…`,
//! as the Stripe webhook reports it) can be refunded through it; a bank transfer cannot.

use ascent_core::catalog::{PaymentReceived, PaymentRefunded};
use ascent_core::money::Money;
use serde::{Deserialize, Serialize};

pub use ascent_integrations::IntegrationError;

/// The prefix of a payment the processor took (Stripe's PaymentIntent ids).
pub const PROCESSOR_PAYMENT_PREFIX: &str = "pi_";

/// A refund to make in the processor (what Billing's outbox keeps until it is made).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRefund {
    /// The refund request it carries out; also its idempotency key.
    pub request_id: String,
    pub invoice_id: String,
    /// The processor's payment given back (a Stripe PaymentIntent id).
    pub payment_intent: String,
    pub amount: Money,
    /// The requester's reason (kept with the processor's refund).
    pub reason: String,
    /// Times a person sent it again after the processor refused it.
    #[serde(default)]
    pub resent: u32,
}

impl CardRefund {
    /// The key every attempt carries: the request's id, and after a refusal released by a
    /// person `<id>-resend-<n>` (a processor may keep a refused key's answer, as Stripe does
    /// for 24 hours; nothing was made under it, so a new key refunds nothing twice).
    pub fn idempotency_key(&self) -> String {
        match self.resent {
            0 => self.request_id.clone(),
            n => format!("{}-resend-{n}", self.request_id),
        }
    }
}

/// A payment processor that refunds card payments.
pub trait PaymentGateway: Send + Sync {
    /// `stripe`.
    fn system(&self) -> &str;
    /// Makes `refund` once under `idempotency_key`; the processor's refund id (`re_…`).
    fn refund(
        &self,
        idempotency_key: &str,
        refund: &CardRefund,
    ) -> Result<String, IntegrationError>;
}

/// Whether the processor took `payment_id` (so it can give it back).
pub fn is_processor_payment(payment_id: &str) -> bool {
    payment_id.starts_with(PROCESSOR_PAYMENT_PREFIX)
}

/// What is left to refund of each processor payment: its amount less the refunds already made
/// of it (`refunded`) and those promised but not made yet (`promised`: payment id, minor units).
pub fn refundable(
    payment: &PaymentReceived,
    refunded: &[PaymentRefunded],
    promised: &[(String, i64)],
) -> i64 {
    let made: i64 = refunded
        .iter()
        .filter(|r| r.payment_id == payment.payment_id && !r.from_customer_credit)
        .map(|r| r.amount.amount_minor)
        .sum();
    let owed: i64 = promised
        .iter()
        .filter(|(p, _)| *p == payment.payment_id)
        .map(|(_, m)| m)
        .sum();
    payment.amount.amount_minor - made - owed
}

/// The processor payment a refund of `amount` goes back to: the most recent one, in the
/// refund's currency, with at least `amount` left to refund; none when no processor payment
/// covers it (a bank transfer, or the refund spread over several payments), and the payments
/// team makes it by hand.
pub fn card_payment_for<'a>(
    payments: &'a [PaymentReceived],
    refunded: &[PaymentRefunded],
    promised: &[(String, i64)],
    amount: &Money,
) -> Option<&'a PaymentReceived> {
    let mut candidates: Vec<&PaymentReceived> = payments
        .iter()
        .filter(|p| is_processor_payment(&p.payment_id) && p.amount.currency == amount.currency)
        .filter(|p| refundable(p, refunded, promised) >= amount.amount_minor)
        .collect();
    candidates.sort_by(|a, b| (b.received_at, &b.payment_id).cmp(&(a.received_at, &a.payment_id)));
    candidates.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn paid(id: &str, minor: i64, at: &str) -> PaymentReceived {
        PaymentReceived {
            payment_id: id.into(),
            invoice_id: "inv-D1".into(),
            amount: Money::usd(minor),
            received_at: at.parse::<DateTime<Utc>>().unwrap(),
            method: if id.starts_with("pi_") {
                "card"
            } else {
                "wire"
            }
            .into(),
        }
    }

    fn made(payment: &str, minor: i64) -> PaymentRefunded {
        PaymentRefunded {
            refund_id: "re_1".into(),
            payment_id: payment.into(),
            invoice_id: "inv-D1".into(),
            amount: Money::usd(minor),
            reason: "r".into(),
            from_customer_credit: false,
        }
    }

    #[test]
    fn a_refund_goes_back_to_the_latest_card_payment_that_covers_it() {
        // Given 6,000.00 by card on 3 March, 4,000.00 by wire on 5 March, 2,000.00 by card on
        // 9 March
        let payments = [
            paid("pi_3Ma", 600_000, "2026-03-03T10:00:00Z"),
            paid("WIRE-77", 400_000, "2026-03-05T10:00:00Z"),
            paid("pi_3Mb", 200_000, "2026-03-09T10:00:00Z"),
        ];
        // Then 1,500.00 goes back to the 9 March card payment (the latest covering it)
        let p = card_payment_for(&payments, &[], &[], &Money::usd(150_000)).unwrap();
        assert_eq!(p.payment_id, "pi_3Mb");
        // and 2,500.00 to the 3 March one (the later has only 2,000.00)
        let p = card_payment_for(&payments, &[], &[], &Money::usd(250_000)).unwrap();
        assert_eq!(p.payment_id, "pi_3Ma");
        // When 1,000.00 of pi_3Mb was refunded and 5,500.00 of pi_3Ma is promised
        let refunded = [made("pi_3Mb", 100_000)];
        let promised = [("pi_3Ma".to_string(), 550_000)];
        // Then 1,000.00 is left of pi_3Mb, 500.00 of pi_3Ma: 1,000.01 fits neither
        assert_eq!(refundable(&payments[2], &refunded, &promised), 100_000);
        assert_eq!(refundable(&payments[0], &refunded, &promised), 50_000);
        assert!(card_payment_for(&payments, &refunded, &promised, &Money::usd(100_001)).is_none());
        assert_eq!(
            card_payment_for(&payments, &refunded, &promised, &Money::usd(100_000))
                .unwrap()
                .payment_id,
            "pi_3Mb"
        );
    }

    #[test]
    fn a_refund_sent_again_after_a_refusal_carries_a_new_key() {
        let mut r = CardRefund {
            request_id: "RR-3".into(),
            invoice_id: "inv-D1".into(),
            payment_intent: "pi_3Ma".into(),
            amount: Money::usd(80_000),
            reason: "late".into(),
            resent: 0,
        };
        assert_eq!(r.idempotency_key(), "RR-3");
        r.resent = 2;
        assert_eq!(r.idempotency_key(), "RR-3-resend-2");
    }

    #[test]
    fn a_bank_transfer_or_another_currency_is_never_sent_to_the_processor() {
        let payments = [paid("WIRE-77", 1_000_000, "2026-03-05T10:00:00Z")];
        assert!(card_payment_for(&payments, &[], &[], &Money::usd(100)).is_none());
        let card = [paid("pi_3Mc", 1_000_000, "2026-03-05T10:00:00Z")];
        assert!(card_payment_for(&card, &[], &[], &Money::new(100, "EUR")).is_none());
        assert!(is_processor_payment("pi_3Mc") && !is_processor_payment("P1"));
    }
}
