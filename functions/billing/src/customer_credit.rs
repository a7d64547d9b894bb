//! The customer's credit as records: an overpayment kept as credit, applied to the next
//! invoice in its currency, or paid out by a refund (the decisions are in `overpayment`).

use crate::{Billing, Invoice, InvoiceStatus, invoice_pk, overpayment};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{CustomerCreditApplied, InvoicePaid, PaymentRefunded};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::Condition;

impl Billing {
    /// The account's credit in a currency (zero, version 0, when it has none).
    pub(crate) async fn customer_credit(
        &self,
        ctx: &mut Ctx<'_>,
        account_id: &str,
        currency: &str,
    ) -> Result<overpayment::CustomerCredit, AgentError> {
        Ok(ctx
            .get_as(
                Domain::Financial,
                &format!("account#{account_id}"),
                &overpayment::credit_sk(currency),
            )
            .await?
            .unwrap_or(overpayment::CustomerCredit {
                account_id: account_id.into(),
                currency: currency.into(),
                balance_minor: 0,
                version: 0,
            }))
    }

    pub(crate) fn save_credit(
        &self,
        ctx: &mut Ctx<'_>,
        mut credit: overpayment::CustomerCredit,
    ) -> Result<(), AgentError> {
        let previous = (credit.version > 0).then_some(credit.version);
        credit.version += 1;
        ctx.put_record(
            Domain::Financial,
            &format!("account#{}", credit.account_id),
            &overpayment::credit_sk(&credit.currency),
            &credit,
            None,
            Condition::version(previous),
        )
    }

    /// Applies the customer's credit in the invoice's currency to a new invoice.
    pub(crate) async fn apply_credit(
        &self,
        ctx: &mut Ctx<'_>,
        inv: &mut Invoice,
    ) -> Result<(), AgentError> {
        let mut credit = self
            .customer_credit(ctx, &inv.account_id, &inv.total.currency)
            .await?;
        let applied =
            overpayment::credit_to_apply(credit.balance_minor, inv.outstanding().amount_minor);
        if applied == 0 {
            return Ok(());
        }
        credit.balance_minor -= applied;
        inv.paid = Money::new(inv.paid.amount_minor + applied, &inv.total.currency);
        inv.settle();
        if inv.status == InvoiceStatus::Paid {
            ctx.emit(InvoicePaid {
                invoice_id: inv.invoice_id.clone(),
                account_id: inv.account_id.clone(),
                total: inv.total.clone(),
                paid_on: inv.issued_on,
            })?;
        }
        ctx.emit(CustomerCreditApplied {
            account_id: inv.account_id.clone(),
            invoice_id: Some(inv.invoice_id.clone()),
            refund_id: None,
            amount: Money::new(applied, &inv.total.currency),
            balance: Money::new(credit.balance_minor, &inv.total.currency),
        })?;
        self.save_credit(ctx, credit)
    }

    /// A refund paying out the customer's credit: the credit falls by it (refused beyond the
    /// balance), the overpaid invoice is untouched.
    pub(crate) async fn refund_credit(
        &self,
        ctx: &mut Ctx<'_>,
        r: &PaymentRefunded,
    ) -> Result<(), AgentError> {
        let Some((inv, sk)) = self
            .invoice_for_movement(ctx, &r.invoice_id, "credit-refund", &r.refund_id, &r.amount)
            .await?
        else {
            return Ok(()); // reported twice
        };
        let mut credit = self
            .customer_credit(ctx, &inv.account_id, &inv.total.currency)
            .await?;
        if r.amount.amount_minor > credit.balance_minor {
            return Err(AgentError::Invalid(format!(
                "refund {} of {} exceeds account {}'s credit ({})",
                r.refund_id,
                r.amount,
                inv.account_id,
                Money::new(credit.balance_minor, &inv.total.currency)
            )));
        }
        ctx.put_record(
            Domain::Financial,
            &invoice_pk(&inv.invoice_id),
            &sk,
            r,
            None,
            Condition::NotExists,
        )?;
        credit.balance_minor -= r.amount.amount_minor;
        ctx.emit(CustomerCreditApplied {
            account_id: inv.account_id.clone(),
            invoice_id: None,
            refund_id: Some(r.refund_id.clone()),
            amount: r.amount.clone(),
            balance: Money::new(credit.balance_minor, &inv.total.currency),
        })?;
        self.save_credit(ctx, credit)
    }
}
