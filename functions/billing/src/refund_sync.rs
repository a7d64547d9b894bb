//! Authorised refunds of card payments sent to the payment processor (Stripe), never lost.
//!
//! When Billing authorises a refund and a processor payment on the invoice covers it
//! ([`crate::gateway::card_payment_for`]), the refund is queued in Billing's outbox
//! (`billing#outbox#stripe`, financial domain) in the same commit as the authorisation, keyed
//! by the refund request's id — the idempotency key Stripe gets. The hourly run sends at most
//! `[billing.stripe] max_syncs_per_run` of them: a refund made is recorded on its request with
//! Stripe's `re_…` id; one Stripe could not take now (rate limited, unavailable) stays queued
//! with its reason for the next run; one Stripe refuses is held and a person asked (an approval
//! of kind [`STRIPE_REFUND_HELD`] to `credit_approver_role`): approved, it is queued again for
//! the next run (after the cause is fixed in Stripe) under a new idempotency key; rejected or undecided, it is given up and
//! the payments team asked to make it by hand. Each run with work reports itself as
//! `DataSyncCompleted` (system `stripe`). Without the adapter (the twin, or no
//! `ASCENT_STRIPE_API_KEY`) nothing is queued and the payments team is asked, as before.

use crate::gateway::{CardRefund, card_payment_for};
use crate::refunds::{ProcessorRefund, RefundRequest, RefundStatus, SendState, request_sk};
use crate::{Billing, Invoice, NAME, approvals, invoice_pk};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{ApprovalDraft, Fact, approval_id};
use ascent_core::catalog::{ApprovalDecided, ApprovalOutcome, PaymentReceived, PaymentRefunded};
use ascent_core::context::Ctx;
use ascent_core::ports::{Mail, Query, SortKey};
use ascent_integrations::{IntegrationError, Outbox, Pending};
use std::collections::BTreeMap;

/// The approval kind of a refund Stripe refused.
pub const STRIPE_REFUND_HELD: &str = "stripe-refund-held";
/// Billing's own key prefix of its outboxes (`billing#outbox#<system>`).
pub const OUTBOX_PREFIX: &str = "billing#";

/// The refunds owed to `system`.
pub fn outbox(system: &str) -> Outbox {
    Outbox::new(Domain::Financial, OUTBOX_PREFIX, system)
}

/// The approval asking a person what to do with a refund the processor refused.
pub fn held_draft(
    system: &str,
    refund: &CardRefund,
    requester: &str,
    refusal: &IntegrationError,
    role: &str,
) -> ApprovalDraft {
    // The refund is the amount and the refusal the reason: the facts add the rest.
    let facts: BTreeMap<String, Fact> = [
        ("System", system.to_string()),
        ("Invoice", refund.invoice_id.clone()),
        ("Refund request", refund.request_id.clone()),
        ("Payment", refund.payment_intent.clone()),
        (
            "Approve",
            format!("send it to {system} again on the next hourly run (fix the cause first)"),
        ),
        (
            "Reject",
            "give it up; the payments team is asked to make it by hand".into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into()))
    .collect();
    ApprovalDraft {
        kind: STRIPE_REFUND_HELD.into(),
        subject: approvals::subject(&refund.invoice_id, &refund.request_id),
        summary: format!(
            "{system} refused refund {} on invoice {}",
            refund.request_id, refund.invoice_id
        ),
        amount: Some(refund.amount.clone()),
        requester: requester.into(),
        approver_role: role.into(),
        first_approver: None,
        reason: format!("{system} refused the refund: {refusal}"),
        facts,
        ..Default::default()
    }
}

impl Billing {
    /// Queues the authorised `request` for the processor when a processor payment on `inv`
    /// covers it and the adapter is plugged in; whether it was queued (else the payments team
    /// makes it by hand).
    pub(crate) async fn queue_card_refund(
        &self,
        ctx: &mut Ctx<'_>,
        inv: &Invoice,
        request: &mut RefundRequest,
    ) -> Result<bool, AgentError> {
        let Some(gateway) = &self.gateway else {
            return Ok(false);
        };
        let pk = invoice_pk(&inv.invoice_id);
        let of = |prefix: &str| Query::table(&pk).sort(SortKey::BeginsWith(prefix.into()));
        let payments: Vec<PaymentReceived> =
            ctx.query_as(Domain::Financial, &of("payment#")).await?;
        let refunded: Vec<PaymentRefunded> =
            ctx.query_as(Domain::Financial, &of("refund#")).await?;
        let others: Vec<RefundRequest> = ctx
            .query_as(Domain::Financial, &of("refund-request#"))
            .await?;
        let promised: Vec<(String, i64)> = others
            .iter()
            .filter(|r| r.status == RefundStatus::Authorised)
            .filter(|r| r.request.request_id != request.request.request_id)
            .filter_map(|r| {
                let p = r.processor.as_ref()?;
                (p.state != SendState::GivenUp)
                    .then(|| (p.payment_intent.clone(), r.request.amount.amount_minor))
            })
            .collect();
        let r = &request.request;
        let Some(payment) = card_payment_for(&payments, &refunded, &promised, &r.amount) else {
            return Ok(false);
        };
        let refund = CardRefund {
            request_id: r.request_id.clone(),
            invoice_id: inv.invoice_id.clone(),
            payment_intent: payment.payment_id.clone(),
            amount: r.amount.clone(),
            reason: r.reason.clone(),
            resent: 0,
        };
        outbox(gateway.system()).queue(ctx, &r.request_id, &refund)?;
        request.processor = Some(ProcessorRefund {
            system: gateway.system().to_string(),
            payment_intent: payment.payment_id.clone(),
            state: SendState::Queued,
            refund_id: None,
            last_error: None,
            held_approval_id: None,
        });
        Ok(true)
    }

    /// The hourly run: sends at most `max_syncs_per_run` queued refunds and reports the run.
    pub(crate) async fn on_hourly(&self, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Some(gateway) = self.gateway.clone() else {
            return Ok(());
        };
        let system = gateway.system().to_string();
        let started_at = ctx.now();
        let outbox = outbox(&system);
        let limit = self.config.stripe.max_syncs_per_run;
        let drained = outbox
            .drain(ctx, None, limit, |_, refund: &CardRefund| {
                gateway.refund(&refund.idempotency_key(), refund)
            })
            .await?;
        if drained.attempted.is_empty() {
            return Ok(());
        }
        for a in &drained.attempted {
            let refund = &a.pending.item;
            let pk = invoice_pk(&refund.invoice_id);
            let sk = request_sk(&refund.request_id);
            let Some(mut request) = ctx
                .get_as::<RefundRequest>(Domain::Financial, &pk, &sk)
                .await?
            else {
                continue;
            };
            let requester = request.request.requested_by.clone();
            let Some(p) = request.processor.as_mut() else {
                continue;
            };
            match &a.result {
                Ok(refund_id) => {
                    p.state = SendState::Sent;
                    p.refund_id = Some(refund_id.clone());
                    p.last_error = None;
                }
                // Kept queued with its reason: the outbox shows it, the next run retries.
                Err(e) if e.is_transient() => continue,
                Err(e) => {
                    let seq = ctx.effects().approvals.len();
                    let id = approval_id(ctx.cause().detail.event_id, NAME, seq);
                    ctx.request_approval(held_draft(
                        &system,
                        refund,
                        &requester,
                        e,
                        &self.config.credit_approver_role,
                    ))?;
                    p.state = SendState::Held;
                    p.last_error = Some(e.to_string());
                    p.held_approval_id = Some(id);
                }
            }
            self.save_request(ctx, &refund.invoice_id, &request)?;
        }
        let queued = outbox.queued(ctx).await?;
        ctx.emit(drained.completed(system, started_at, ctx.now(), queued))
    }

    /// A person's decision on a refused refund: approved, queued again for the next run;
    /// otherwise given up and the payments team asked to make it by hand.
    pub(crate) async fn on_held_refund_decision(
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
                "subject: no refund request {}",
                a.subject
            )));
        };
        let Some(p) = request.processor.as_mut() else {
            return Ok(());
        };
        if p.state != SendState::Held || p.held_approval_id.as_deref() != Some(&a.approval_id) {
            return Ok(()); // decided already, or an older approval
        }
        let outbox = outbox(&p.system);
        if a.outcome == ApprovalOutcome::Approved {
            let held: Option<Pending<CardRefund>> = ctx
                .get_as(Domain::Financial, &outbox.held_pk(), request_id)
                .await?;
            if let Some(held) = held {
                // Queued again under a new idempotency key (see CardRefund::idempotency_key).
                let mut refund = held.item;
                refund.resent += 1;
                outbox.drop_held(ctx, request_id).await?;
                outbox.queue(ctx, request_id, &refund)?;
            }
            p.state = SendState::Queued;
        } else {
            outbox.drop_held(ctx, request_id).await?;
            p.state = SendState::GivenUp;
            let (system, refusal) = (p.system.clone(), p.last_error.clone());
            let r = &request.request;
            ctx.send_mail(Mail {
                to: self.config.refunds_to.clone(),
                subject: format!("Refund {} on invoice {invoice_id} to make", r.amount),
                text: format!(
                    "Please refund {} of invoice {invoice_id} by hand: {} refused it ({}) and it \
                     was not sent again.\nReason: {}\nAsked by: {}\nReference: {}\n",
                    r.amount,
                    system,
                    refusal.as_deref().unwrap_or("no reason recorded"),
                    r.reason,
                    r.requested_by,
                    r.request_id
                ),
                ..Default::default()
            })?;
        }
        self.save_request(ctx, invoice_id, &request)
    }
}
