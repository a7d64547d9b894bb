//! Refunds under authority (SOX segregation of duties, COSO authorisation): money goes back to
//! a customer only when someone asked for it (`RefundRequested`) and it is authorised — within
//! `[billing] refund_approval_above_minor` (valued in the base currency on the request's
//! business date) by Billing, above it by `credit_approver_role`'s approval. An authorised
//! refund is announced (`RefundAuthorised`) and the payments team (`[billing] refunds_to`) is
//! asked to make it in the payment processor; the processor's `PaymentRefunded` then books it
//! (with its credit note, as every refund). The preventive control has a detective twin: a
//! refund made in the processor above the amount with no authorisation for it is booked (it
//! happened) and raised as a high-severity exception. With the payment gateway plugged in, an
//! authorised refund of a card payment is sent to the processor instead of the payments team
//! ([`crate::refund_sync`]).

use crate::{Billing, Invoice, NAME, approvals, credits, invoice_pk, take_back};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{self, ApprovalDraft, Customer, Fact};
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, CreditNoteIssued, ExceptionRaised, PaymentRefunded,
    RefundAuthorised, RefundRequested, Severity,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The approval kind of a refund.
pub const REFUND: &str = "refund";

/// Sort key, under `invoice#<id>`, of a refund request.
pub fn request_sk(request_id: &str) -> String {
    format!("refund-request#{request_id}")
}

/// Where a refund request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Waits for the approver.
    AwaitingApproval,
    /// Authorised: the payments team makes it.
    Authorised,
    /// Rejected or not decided in time: nothing is refunded.
    Refused,
    /// The processor reported it made (`made_by` names its refund).
    Made,
}

/// A refund request (`invoice#<id>` / [`request_sk`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub request: RefundRequested,
    pub status: RefundStatus,
    pub approval_id: Option<String>,
    /// The processor's refund that made it.
    pub made_by: Option<String>,
    /// The refund as sent to the processor (a card payment, with the gateway plugged in).
    #[serde(default)]
    pub processor: Option<ProcessorRefund>,
}

/// Where sending an authorised refund to the processor stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// In the outbox, for the next hourly run.
    Queued,
    /// The processor made it (`refund_id`); its `PaymentRefunded` books it.
    Sent,
    /// The processor refused it: a person decides (`held_approval_id`).
    Held,
    /// Not sent again: the payments team makes it by hand.
    GivenUp,
}

/// A refund sent to the payment processor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessorRefund {
    /// `stripe`.
    pub system: String,
    /// The processor's payment given back (a Stripe PaymentIntent id).
    pub payment_intent: String,
    pub state: SendState,
    /// The processor's refund (`re_…`) once made.
    pub refund_id: Option<String>,
    /// Why the processor refused it.
    pub last_error: Option<String>,
    /// The approval asking a person about the refusal.
    pub held_approval_id: Option<String>,
}

/// The request a refund made in the processor fulfils: the one sent to the processor as that
/// refund, else the oldest authorised one on the invoice for the same amount that is left to
/// the payments team (never one Billing is sending itself: a refund made by hand of the same
/// amount would otherwise mark it made while it is still queued, and it would be made twice).
pub fn fulfilled<'a>(
    requests: &'a [RefundRequest],
    refund: &PaymentRefunded,
) -> Option<&'a RefundRequest> {
    let sent_as = |r: &RefundRequest| {
        r.processor
            .as_ref()
            .and_then(|p| p.refund_id.as_deref())
            .is_some_and(|id| id == refund.refund_id)
    };
    requests
        .iter()
        .find(|r| r.status == RefundStatus::Authorised && sent_as(r))
        .or_else(|| {
            requests.iter().find(|r| {
                r.status == RefundStatus::Authorised
                    && r.request.amount == refund.amount
                    && r.processor
                        .as_ref()
                        .is_none_or(|p| p.state == SendState::GivenUp)
            })
        })
}

/// The approval request of a refund: the requester's reason is theirs, the rule is the
/// configured amount; the refund is the amount, the invoice's account the customer.
pub fn draft(
    r: &RefundRequested,
    inv: &Invoice,
    customer: Customer,
    amount_base: &Money,
    above: &Money,
    role: &str,
) -> ApprovalDraft {
    let mut facts = BTreeMap::new();
    facts.insert("Invoice".into(), inv.invoice_id.clone().into());
    facts.insert("Paid on the invoice".into(), Fact::from(&inv.paid));
    if amount_base != &r.amount {
        facts.insert("Refund in base currency".into(), Fact::from(amount_base));
    }
    ApprovalDraft {
        kind: REFUND.into(),
        subject: approvals::subject(&inv.invoice_id, &r.request_id),
        summary: format!("refund on invoice {}", inv.invoice_id),
        amount: Some(r.amount.clone()),
        requester: r.requested_by.clone(),
        approver_role: role.into(),
        first_approver: None,
        reason: format!("refund above {above}"),
        requester_reason: Some(r.reason.clone()),
        customer: Some(customer),
        facts,
    }
}

impl Billing {
    pub(crate) fn save_request(
        &self,
        ctx: &mut Ctx<'_>,
        invoice_id: &str,
        r: &RefundRequest,
    ) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Financial,
            &invoice_pk(invoice_id),
            &request_sk(&r.request.request_id),
            r,
            None,
            Condition::Always,
        )
    }

    /// Someone asks for money back: refused beyond what was paid; authorised within the
    /// amount, sent for approval above it.
    pub(crate) async fn on_refund_requested(
        &self,
        ctx: &mut Ctx<'_>,
        r: &RefundRequested,
    ) -> Result<(), AgentError> {
        let inv = self.load(ctx, &r.invoice_id).await?;
        if r.amount.currency != inv.total.currency {
            return Err(AgentError::Invalid(format!(
                "amount.currency: refund {} is in {} but invoice {} is in {}",
                r.request_id, r.amount.currency, inv.invoice_id, inv.total.currency
            )));
        }
        if r.amount.amount_minor > inv.paid.amount_minor {
            return Err(AgentError::Invalid(format!(
                "amount: refund {} of {} exceeds what was paid on invoice {} ({})",
                r.request_id, r.amount, inv.invoice_id, inv.paid
            )));
        }
        let pk = invoice_pk(&inv.invoice_id);
        if ctx
            .get(Domain::Financial, &pk, &request_sk(&r.request_id))
            .await?
            .is_some()
        {
            return Ok(()); // asked twice
        }
        let base = self.base_value(ctx, &r.amount)?;
        let mut request = RefundRequest {
            request: r.clone(),
            status: RefundStatus::AwaitingApproval,
            approval_id: None,
            made_by: None,
            processor: None,
        };
        if approvals::needs_approval(base.amount_minor, self.config.refund_approval_above_minor) {
            let above = Money::new(self.config.refund_approval_above_minor, &base.currency);
            request.approval_id = Some(approval::approval_id(ctx.cause().detail.event_id, NAME, 0));
            let customer = self.customer(ctx, &inv.account_id).await?;
            ctx.request_approval(draft(
                r,
                &inv,
                customer,
                &base,
                &above,
                &self.config.credit_approver_role,
            ))?;
            return self.save_request(ctx, &inv.invoice_id, &request);
        }
        self.authorise(ctx, &inv, request).await
    }

    /// Authorises `request`: announced, then sent to the processor (a card payment, with the
    /// gateway plugged in) or asked of the payments team.
    async fn authorise(
        &self,
        ctx: &mut Ctx<'_>,
        inv: &Invoice,
        mut request: RefundRequest,
    ) -> Result<(), AgentError> {
        request.status = RefundStatus::Authorised;
        let r = &request.request;
        ctx.emit(RefundAuthorised {
            request_id: r.request_id.clone(),
            invoice_id: inv.invoice_id.clone(),
            account_id: inv.account_id.clone(),
            amount: r.amount.clone(),
            reason: r.reason.clone(),
            approval_id: request.approval_id.clone(),
        })?;
        if self.queue_card_refund(ctx, inv, &mut request).await? {
            return self.save_request(ctx, &inv.invoice_id, &request);
        }
        let r = &request.request;
        ctx.send_mail(Mail {
            to: self.config.refunds_to.clone(),
            subject: format!("Refund {} on invoice {} to make", r.amount, inv.invoice_id),
            text: format!(
                "Please refund {} of invoice {} (account {}) in the payment processor.\n\
                 Reason: {}\nAsked by: {}\nAuthorised: {}\nReference: {}\n",
                r.amount,
                inv.invoice_id,
                inv.account_id,
                r.reason,
                r.requested_by,
                request
                    .approval_id
                    .as_deref()
                    .map(|a| format!("approval {a}"))
                    .unwrap_or_else(|| "within Billing's limit".into()),
                r.request_id
            ),
            ..Default::default()
        })?;
        self.save_request(ctx, &inv.invoice_id, &request)
    }

    /// A decided refund approval: approved, the refund is authorised; otherwise refused and the
    /// requester told.
    pub(crate) async fn on_refund_decision(
        &self,
        ctx: &mut Ctx<'_>,
        a: &ApprovalDecided,
    ) -> Result<(), AgentError> {
        let Some((invoice_id, request_id)) = approvals::parse_subject(&a.subject) else {
            return Err(AgentError::Invalid(format!(
                "subject: bad subject {}",
                a.subject
            )));
        };
        let Some(mut request) = ctx
            .get_as::<RefundRequest>(
                Domain::Financial,
                &invoice_pk(invoice_id),
                &request_sk(request_id),
            )
            .await?
        else {
            return Err(AgentError::Invalid(format!(
                "subject: no refund waiting for {}",
                a.subject
            )));
        };
        if request.approval_id.as_deref() != Some(a.approval_id.as_str())
            || request.status != RefundStatus::AwaitingApproval
        {
            return Ok(()); // another approval, or already decided
        }
        if a.outcome == ApprovalOutcome::Approved {
            let inv = self.load(ctx, invoice_id).await?;
            return self.authorise(ctx, &inv, request).await;
        }
        request.status = RefundStatus::Refused;
        ctx.send_mail(Mail {
            to: request.request.requested_by.clone(),
            subject: format!("Refund on invoice {invoice_id} not approved"),
            text: format!(
                "The refund of {} on invoice {invoice_id} you asked for ({}) was {}: nothing is refunded.\n",
                request.request.amount,
                request.request.reason,
                match a.outcome {
                    ApprovalOutcome::Rejected => "rejected",
                    _ => "not decided in time",
                }
            ),
            ..Default::default()
        })?;
        self.save_request(ctx, invoice_id, &request)
    }

    /// A refund the processor made: taken back from what was paid (or from the customer's
    /// credit), checked against its authority, and given back as a credit note.
    pub(crate) async fn on_refund(
        &self,
        ctx: &mut Ctx<'_>,
        r: &PaymentRefunded,
    ) -> Result<(), AgentError> {
        if r.from_customer_credit {
            return self.refund_credit(ctx, r).await;
        }
        let Some((mut inv, sk)) = self
            .invoice_for_movement(ctx, &r.invoice_id, "refund", &r.refund_id, &r.amount)
            .await?
        else {
            return Ok(()); // reported twice
        };
        take_back(ctx, &mut inv, &sk, "refund", &r.refund_id, &r.amount, r)?;
        self.check_refund_authority(ctx, &inv, r).await?;
        // A refund is goodwill: it comes with a credit note for what it gives back, so it never
        // reopens the invoice nor starts dunning (only a reversed payment does that).
        let goodwill = credits::goodwill_credit_minor(&inv, r.amount.amount_minor);
        if goodwill > 0 {
            inv.credited_minor += goodwill;
            let credit = Money::new(goodwill, &inv.total.currency);
            let split = credits::split_credit(&credit, &inv);
            ctx.emit(CreditNoteIssued {
                credit_note_id: format!("cn-{}", r.refund_id),
                invoice_id: inv.invoice_id.clone(),
                account_id: inv.account_id.clone(),
                amount: credit,
                reason: format!("refund {}: {}", r.refund_id, r.reason),
                outstanding: inv.outstanding(),
                issued_on: Some(self.config.business_date(ctx.cause().time)),
                subtotal: Some(split.subtotal),
                tax: Some(split.tax),
            })?;
        }
        inv.settle();
        let v = inv.version;
        self.save(ctx, inv, Some(v))
    }

    /// The detective control on a refund the processor made: it fulfils an authorised request
    /// (marked made), or, above the amount, it is raised as made without authority.
    pub(crate) async fn check_refund_authority(
        &self,
        ctx: &mut Ctx<'_>,
        inv: &Invoice,
        r: &PaymentRefunded,
    ) -> Result<(), AgentError> {
        let requests: Vec<RefundRequest> = ctx
            .query_as(
                Domain::Financial,
                &Query::table(invoice_pk(&inv.invoice_id))
                    .sort(SortKey::BeginsWith("refund-request#".into())),
            )
            .await?;
        if let Some(request) = fulfilled(&requests, r) {
            let mut request = request.clone();
            request.status = RefundStatus::Made;
            request.made_by = Some(r.refund_id.clone());
            return self.save_request(ctx, &inv.invoice_id, &request);
        }
        let base = self.base_value(ctx, &r.amount)?;
        if approvals::needs_approval(base.amount_minor, self.config.refund_approval_above_minor) {
            ctx.emit(ExceptionRaised {
                agent: NAME.into(),
                subject: format!("refund {}", r.refund_id),
                reason: format!(
                    "refund {} of {} on invoice {} was made without the authorisation a refund above {} needs ({})",
                    r.refund_id,
                    r.amount,
                    inv.invoice_id,
                    Money::new(self.config.refund_approval_above_minor, &base.currency),
                    self.config.credit_approver_role
                ),
                severity: Severity::High,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, amount: i64, status: RefundStatus) -> RefundRequest {
        RefundRequest {
            request: RefundRequested {
                request_id: id.into(),
                invoice_id: "inv-1".into(),
                amount: Money::usd(amount),
                reason: "r".into(),
                requested_by: "a@x.example".into(),
            },
            status,
            approval_id: None,
            made_by: None,
            processor: None,
        }
    }

    fn refund(amount: i64) -> PaymentRefunded {
        PaymentRefunded {
            refund_id: "re_1".into(),
            payment_id: "pi_1".into(),
            invoice_id: "inv-1".into(),
            amount: Money::usd(amount),
            reason: "r".into(),
            from_customer_credit: false,
        }
    }

    #[test]
    fn a_refund_fulfils_the_oldest_authorised_request_of_its_amount() {
        // Given RR1 (600.00, awaiting approval), RR2 (600.00, authorised), RR3 (600.00, authorised)
        let requests = [
            request("RR1", 60_000, RefundStatus::AwaitingApproval),
            request("RR2", 60_000, RefundStatus::Authorised),
            request("RR3", 60_000, RefundStatus::Authorised),
        ];
        // Then a refund of 600.00 fulfils RR2; one of 500.00 fulfils none
        assert_eq!(
            fulfilled(&requests, &refund(60_000))
                .unwrap()
                .request
                .request_id,
            "RR2"
        );
        assert!(fulfilled(&requests, &refund(50_000)).is_none());
    }

    #[test]
    fn a_refund_sent_to_the_processor_is_fulfilled_by_its_own_refund_only() {
        let sent = |id: &str, state: SendState, refund_id: Option<&str>| {
            let mut r = request(id, 60_000, RefundStatus::Authorised);
            r.processor = Some(ProcessorRefund {
                system: "stripe".into(),
                payment_intent: "pi_1".into(),
                state,
                refund_id: refund_id.map(str::to_string),
                last_error: None,
                held_approval_id: None,
            });
            r
        };
        // Given RR1 queued for Stripe, RR2 sent as re_7, RR3 given up to the payments team
        let requests = [
            sent("RR1", SendState::Queued, None),
            sent("RR2", SendState::Sent, Some("re_7")),
            sent("RR3", SendState::GivenUp, None),
        ];
        // Then re_7 fulfils RR2; any other refund of 600.00 fulfils RR3, never the queued RR1
        let mut r = refund(60_000);
        r.refund_id = "re_7".into();
        assert_eq!(fulfilled(&requests, &r).unwrap().request.request_id, "RR2");
        assert_eq!(
            fulfilled(&requests, &refund(60_000))
                .unwrap()
                .request
                .request_id,
            "RR3"
        );
        assert!(fulfilled(&requests[..2], &refund(60_000)).is_none());
    }
}
