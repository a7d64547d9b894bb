//! Payments against invoices: received (partial, duplicate and over-payments handled, the
//! invoice paid once settled in full), failed (the customer told), and reversed (a chargeback
//! or returned debit reopens the invoice).

use crate::{Billing, InvoiceStatus, invoice_pk, overpayment, take_back};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    CustomerCreditRecorded, InvoicePaid, PaymentFailed, PaymentReceived, PaymentReversed,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail};

impl Billing {
    pub(crate) async fn on_payment(
        &self,
        ctx: &mut Ctx<'_>,
        p: &PaymentReceived,
    ) -> Result<(), AgentError> {
        let Some((mut inv, payment_sk)) = self
            .invoice_for_movement(ctx, &p.invoice_id, "payment", &p.payment_id, &p.amount)
            .await?
        else {
            return Ok(()); // the processor reported this payment twice
        };
        ctx.put_record(
            Domain::Financial,
            &invoice_pk(&inv.invoice_id),
            &payment_sk,
            p,
            None,
            Condition::NotExists,
        )?;
        let was_paid = inv.status == InvoiceStatus::Paid;
        // Never a negative receivable: the excess is the customer's credit.
        let (applied, excess) =
            overpayment::split_payment(inv.outstanding().amount_minor, p.amount.amount_minor);
        inv.paid = Money::new(inv.paid.amount_minor + applied, &inv.total.currency);
        inv.settle();
        if inv.status == InvoiceStatus::Paid && !was_paid {
            ctx.emit(InvoicePaid {
                invoice_id: inv.invoice_id.clone(),
                account_id: inv.account_id.clone(),
                total: inv.total.clone(),
                paid_on: self.config.business_date(p.received_at),
            })?;
        }
        if excess > 0 {
            let mut credit = self
                .customer_credit(ctx, &inv.account_id, &inv.total.currency)
                .await?;
            credit.balance_minor += excess;
            ctx.emit(CustomerCreditRecorded {
                account_id: inv.account_id.clone(),
                invoice_id: inv.invoice_id.clone(),
                payment_id: p.payment_id.clone(),
                amount: Money::new(excess, &inv.total.currency),
                balance: Money::new(credit.balance_minor, &inv.total.currency),
            })?;
            self.save_credit(ctx, credit)?;
        }
        let v = inv.version;
        self.save(ctx, inv, Some(v))
    }

    /// A payment taken back (chargeback, returned debit): the invoice is owed again, so it is
    /// reopened, back on the open index and in dunning — unlike a refund, which is goodwill.
    pub(crate) async fn on_reversal(
        &self,
        ctx: &mut Ctx<'_>,
        r: &PaymentReversed,
    ) -> Result<(), AgentError> {
        let Some((mut inv, sk)) = self
            .invoice_for_movement(ctx, &r.invoice_id, "reversal", &r.reversal_id, &r.amount)
            .await?
        else {
            return Ok(()); // reported twice
        };
        take_back(ctx, &mut inv, &sk, "reversal", &r.reversal_id, &r.amount, r)?;
        inv.settle();
        let v = inv.version;
        self.save(ctx, inv, Some(v))
    }

    pub(crate) async fn on_payment_failed(
        &self,
        ctx: &mut Ctx<'_>,
        p: &PaymentFailed,
    ) -> Result<(), AgentError> {
        let inv = self.load(ctx, &p.invoice_id).await?;
        ctx.put_record(
            Domain::Financial,
            &invoice_pk(&inv.invoice_id),
            &format!("payment-failure#{}", p.payment_id),
            p,
            None,
            Condition::Always,
        )?;
        if let Some(to) = &inv.billing_email {
            ctx.send_mail(Mail {
                to: to.clone(),
                subject: format!("Payment for invoice {} did not go through", inv.invoice_id),
                text: format!(
                    "A payment of {} for invoice {} failed ({}). {} is still due on {}.\n",
                    p.amount,
                    inv.invoice_id,
                    p.reason,
                    inv.outstanding(),
                    inv.due_on
                ),
                html: None,
                ..Default::default()
            })?;
        }
        Ok(())
    }
}
