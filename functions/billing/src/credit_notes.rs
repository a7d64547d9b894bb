//! Credit notes on invoices: within what the invoice can still be credited, issued at once up
//! to `[billing] credit_approval_above_minor` (valued in the base currency), above it only
//! once approved (the pure rules are in `approvals` and `credits`).

use crate::{Billing, Invoice, InvoiceStatus, NAME, approvals, credits, invoice_pk};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval;
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, CreditNoteIssued, CreditNoteRequested, InvoicePaid,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail};

impl Billing {
    pub(crate) async fn on_credit(
        &self,
        ctx: &mut Ctx<'_>,
        c: &CreditNoteRequested,
        approved: bool,
    ) -> Result<(), AgentError> {
        let Some((mut inv, sk)) = self
            .invoice_for_movement(ctx, &c.invoice_id, "credit", &c.request_id, &c.amount)
            .await?
        else {
            return Ok(()); // asked twice
        };
        let creditable = inv.total.amount_minor - inv.credited_minor;
        if c.amount.amount_minor > creditable {
            return Err(AgentError::Invalid(format!(
                "credit {} of {} exceeds what invoice {} can still be credited ({})",
                c.request_id,
                c.amount,
                inv.invoice_id,
                Money::new(creditable, &inv.total.currency)
            )));
        }
        if !approved && self.open_credit_approval(ctx, c, &inv).await? {
            return Ok(()); // waits for the approver's decision
        }
        ctx.put_record(
            Domain::Financial,
            &invoice_pk(&inv.invoice_id),
            &sk,
            c,
            None,
            Condition::NotExists,
        )?;
        let was_paid = inv.status == InvoiceStatus::Paid;
        inv.credited_minor += c.amount.amount_minor;
        inv.settle();
        // Revenue and tax reversed in the invoice's proportion; dated when it was asked for.
        let split = credits::split_credit(&c.amount, &inv);
        ctx.emit(CreditNoteIssued {
            credit_note_id: format!("cn-{}", c.request_id),
            invoice_id: inv.invoice_id.clone(),
            account_id: inv.account_id.clone(),
            amount: c.amount.clone(),
            reason: c.reason.clone(),
            outstanding: inv.outstanding(),
            issued_on: Some(self.config.business_date(ctx.cause().time)),
            subtotal: Some(split.subtotal),
            tax: Some(split.tax),
        })?;
        if inv.status == InvoiceStatus::Paid && !was_paid {
            ctx.emit(InvoicePaid {
                invoice_id: inv.invoice_id.clone(),
                account_id: inv.account_id.clone(),
                total: inv.total.clone(),
                // Settled when the credit was asked for, however late that is handled.
                paid_on: self.config.business_date(ctx.cause().time),
            })?;
        }
        if let Some(to) = &inv.billing_email {
            ctx.send_mail(Mail {
                to: to.clone(),
                subject: format!(
                    "Credit note cn-{} on invoice {}",
                    c.request_id, inv.invoice_id
                ),
                text: format!(
                    "We credited {} on invoice {} ({}). Still due: {}.\n",
                    c.amount,
                    inv.invoice_id,
                    c.reason,
                    inv.outstanding()
                ),
                html: None,
                ..Default::default()
            })?;
        }
        let v = inv.version;
        self.save(ctx, inv, Some(v))
    }

    /// An amount in the base currency at the `[currency]` rates of the message's business
    /// date: what the authority limits of credits and refunds compare.
    pub(crate) fn base_value(&self, ctx: &Ctx<'_>, amount: &Money) -> Result<Money, AgentError> {
        let on = self.config.business_date(ctx.cause().time);
        self.config
            .fx
            .to_base_on(amount, on)
            .map_err(|e| AgentError::Invalid(format!("amount.currency: {e}")))
    }

    /// Opens the approval of a credit note above the configured amount (valued in the base
    /// currency on the request's business date); `true` when it must wait. Asked again while
    /// waiting, nothing more is opened.
    pub(crate) async fn open_credit_approval(
        &self,
        ctx: &mut Ctx<'_>,
        c: &CreditNoteRequested,
        inv: &Invoice,
    ) -> Result<bool, AgentError> {
        let base = self.base_value(ctx, &c.amount)?;
        if !approvals::needs_approval(base.amount_minor, self.config.credit_approval_above_minor) {
            return Ok(false);
        }
        let pk = invoice_pk(&inv.invoice_id);
        let sk = approvals::pending_sk(&c.request_id);
        if ctx.get(Domain::Financial, &pk, &sk).await?.is_some() {
            return Ok(true); // already waiting (or decided)
        }
        let above = Money::new(self.config.credit_approval_above_minor, &base.currency);
        let approval_id = approval::approval_id(ctx.cause().detail.event_id, NAME, 0);
        let customer = self.customer(ctx, &inv.account_id).await?;
        ctx.request_approval(approvals::draft(
            c,
            inv,
            customer,
            &base,
            &above,
            &self.config.credit_approver_role,
        ))?;
        let pending = approvals::PendingCredit {
            request: c.clone(),
            approval_id,
            status: "pending".into(),
        };
        ctx.put_record(
            Domain::Financial,
            &pk,
            &sk,
            &pending,
            None,
            Condition::NotExists,
        )?;
        Ok(true)
    }

    /// A decided credit-note approval: approved, the credit note is issued; rejected or
    /// expired, nothing changes but the pending request's status.
    pub(crate) async fn on_credit_decision(
        &self,
        ctx: &mut Ctx<'_>,
        a: &ApprovalDecided,
    ) -> Result<(), AgentError> {
        let Some((invoice_id, request_id)) = approvals::parse_subject(&a.subject) else {
            return Err(AgentError::Invalid(format!("bad subject {}", a.subject)));
        };
        let pk = invoice_pk(invoice_id);
        let sk = approvals::pending_sk(request_id);
        let Some(mut pending) = ctx
            .get_as::<approvals::PendingCredit>(Domain::Financial, &pk, &sk)
            .await?
        else {
            return Err(AgentError::Invalid(format!(
                "no credit note waiting for {}",
                a.subject
            )));
        };
        if pending.approval_id != a.approval_id || pending.status != "pending" {
            return Ok(()); // another approval, or already decided
        }
        let approved = a.outcome == ApprovalOutcome::Approved;
        pending.status = if approved { "approved" } else { "rejected" }.into();
        ctx.put_record(
            Domain::Financial,
            &pk,
            &sk,
            &pending,
            None,
            Condition::Always,
        )?;
        if approved {
            self.on_credit(ctx, &pending.request, true).await?;
        }
        Ok(())
    }
}
