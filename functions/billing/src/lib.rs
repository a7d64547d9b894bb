//! # Billing agent
//!
//! Keeps billing profiles from `CustomerSignedUp`; invoices a won deal (lines from the
//! accepted proposal, tax by region, due date from payment terms) and emits `InvoiceIssued`;
//! applies payments (partial, duplicate and over-payments handled) and emits `InvoicePaid`
//! once paid in full; on the daily schedule runs dunning on overdue invoices: reminders at
//! configured days, then escalation to collections (`ExceptionRaised`). With a payment gateway
//! plugged in ([`Billing::with_gateway`]; Stripe when `ASCENT_STRIPE_API_KEY` is set), an
//! authorised refund of a card payment is sent to the processor by the hourly run
//! ([`refund_sync`]), never lost: a failed send stays queued and visible (`DataSyncCompleted`),
//! a refused one goes to a person.

pub mod ageing;
pub mod approvals;
mod credit_notes;
pub mod credits;
mod customer_credit;
mod daily_run;
pub mod dunning;
pub mod gateway;
mod invoice;
mod invoicing;
pub mod overpayment;
mod payments;
mod profile;
pub mod refund_sync;
pub mod refunds;
pub mod revenue;
mod settings;
pub mod stripe;
pub mod stripe_refunds;
#[cfg(test)]
mod stub_stripe;
pub mod tax;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::approval;
use ascent_core::catalog::Payload;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use ascent_core::records::AR_AGEING_PK;
use async_trait::async_trait;
use gateway::PaymentGateway;
use serde_json::json;
use std::sync::Arc;

pub use daily_run::DUNNING_PER_RUN;
pub use invoice::{Invoice, InvoiceStatus, OPEN_INVOICES};
pub(crate) use invoice::{invoice_pk, take_back};
pub use profile::BillingProfile;
pub use settings::{BillingConfig, MAX_SYNCS_PER_RUN, STRIPE_KEY_VAR, StripeSettings};

pub const NAME: &str = "billing";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Finance,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "customer-signed-up",
                pattern: json!({"detail-type": ["CustomerSignedUp"]}),
            },
            Subscription {
                name: "deal-won",
                pattern: json!({"detail-type": ["DealClosedWon"]}),
            },
            Subscription {
                name: "payments",
                pattern: json!({"detail-type": [
                    "PaymentReceived",
                    "PaymentFailed",
                    "PaymentReversed"
                ]}),
            },
            Subscription {
                name: "credits-and-refunds",
                pattern: json!({"detail-type": ["CreditNoteRequested", "RefundRequested", "PaymentRefunded"]}),
            },
            Subscription {
                name: "credit-decided",
                pattern: json!({
                    "detail-type": ["ApprovalDecided"],
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": [approvals::CREDIT_NOTE, refunds::REFUND, refund_sync::STRIPE_REFUND_HELD]}}
                }),
            },
            Subscription {
                name: "daily-dunning",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
            Subscription {
                name: "hourly-refund-sync",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["hourly"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Financial, Domain::Approvals],
        owns: vec![
            // Invoices and their payments, credit notes and refunds: kept by law (the billing
            // address, the staff who asked and why), pseudonymised on erasure.
            owns(Domain::Financial, "invoice#").holding(Personal::pseudonymised(
                &[
                    "billing_email",
                    "requested_by",
                    "reason",
                    "request.requested_by",
                    "request.reason",
                ],
                &["billing_email"],
                "Invoice the customer, collect and credit what is owed",
                Retention::Legal("tax_records_years"),
            )),
            // An account's billing profile (its billing address) and credit balances.
            owns(Domain::Financial, "account#").holding(Personal::pseudonymised(
                &["billing_email"],
                &["billing_email"],
                "Address the account's invoices and reminders",
                Retention::Relationship,
            )),
            // The daily receivables ageing: totals, no one's data.
            owns(Domain::Financial, AR_AGEING_PK),
            // Refunds queued for the processor, with the requester's reason.
            owns(Domain::Financial, refund_sync::OUTBOX_PREFIX).holding(Personal::pseudonymised(
                &["item.reason"],
                &[],
                "Send authorised card refunds to the payment processor",
                Retention::Legal("tax_records_years"),
            )),
        ],
        emits: vec![
            "InvoiceIssued",
            "InvoicePaid",
            "CreditNoteIssued",
            "DunningStepTaken",
            "ExceptionRaised",
            "CustomerCreditRecorded",
            "CustomerCreditApplied",
            "RefundAuthorised",
            "DataSyncCompleted",
        ],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct Billing {
    decl: AgentDecl,
    config: BillingConfig,
    /// Where refunds of card payments are sent (none: the payments team makes them).
    gateway: Option<Arc<dyn PaymentGateway>>,
}

impl Default for Billing {
    fn default() -> Self {
        Self::new(BillingConfig::default())
    }
}

impl Billing {
    pub fn new(config: BillingConfig) -> Self {
        Self {
            decl: declaration(),
            config,
            gateway: None,
        }
    }

    /// The agent sending authorised refunds of card payments through `gateway`.
    pub fn with_gateway(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.gateway = Some(gateway);
        self
    }
}

#[async_trait]
impl Agent for Billing {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::CustomerSignedUp(c) => self.on_signup(ctx, c),
            Payload::DealClosedWon(d) => {
                let issued_on = self.config.business_date(event.time);
                self.on_won(ctx, d, issued_on).await
            }
            Payload::PaymentReceived(p) => self.on_payment(ctx, p).await,
            Payload::PaymentFailed(p) => self.on_payment_failed(ctx, p).await,
            Payload::CreditNoteRequested(c) => self.on_credit(ctx, c, false).await,
            Payload::ApprovalDecided(a) => {
                // Only what the approval record says (a forged or early event is refused).
                approval::confirmed(ctx, a).await?;
                if a.kind == refunds::REFUND {
                    return self.on_refund_decision(ctx, a).await;
                }
                if a.kind == refund_sync::STRIPE_REFUND_HELD {
                    return self.on_held_refund_decision(ctx, a).await;
                }
                self.on_credit_decision(ctx, a).await
            }
            Payload::RefundRequested(r) => self.on_refund_requested(ctx, r).await,
            Payload::PaymentRefunded(r) => self.on_refund(ctx, r).await,
            Payload::PaymentReversed(r) => self.on_reversal(ctx, r).await,
            Payload::ScheduleTick(t) if t.schedule == "hourly" => self.on_hourly(ctx).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
