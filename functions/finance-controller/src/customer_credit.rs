//! Receivable events beyond invoices and payments: chargebacks (`PaymentReversed`) and the
//! customer credit an overpayment becomes (`CustomerCreditRecorded`, `CustomerCreditApplied`),
//! kept in the Customer Credits liability, never as a credit balance in A/R.

use crate::journal::JournalEntry;
use crate::{FinanceController, add};
use ascent_core::agent::AgentError;
use ascent_core::catalog::{CustomerCreditApplied, CustomerCreditRecorded, PaymentReversed};
use ascent_core::context::Ctx;

impl FinanceController {
    /// A payment taken back (chargeback, returned debit): the invoice is owed again.
    pub(crate) async fn on_reversal(
        &self,
        ctx: &mut Ctx<'_>,
        r: &PaymentReversed,
    ) -> Result<(), AgentError> {
        let customer = self.customer(ctx, &r.invoice_id).await?;
        let c = &self.config.chart;
        let date = self.config.company.business_date(ctx.cause().time);
        let entry = JournalEntry::simple(
            date,
            &r.amount,
            &c.receivables,
            &c.cash,
            &customer,
            format!(
                "Payment {} on {} reversed ({})",
                r.payment_id, r.invoice_id, r.reason
            ),
            format!("reversal {}", r.reversal_id),
        );
        let cur = r.amount.currency.clone();
        let source = format!("reversal#{}", r.reversal_id);
        self.post_and_save(ctx, &source, date, vec![entry], |s| {
            add(&mut s.collected, &cur, -r.amount.amount_minor);
            add(&mut s.ar_movement, &cur, r.amount.amount_minor);
        })
        .await
    }

    /// An overpayment kept as customer credit: out of A/R (where the payment left it as a
    /// credit balance) into the Customer Credits liability.
    pub(crate) async fn on_customer_credit(
        &self,
        ctx: &mut Ctx<'_>,
        k: &CustomerCreditRecorded,
    ) -> Result<(), AgentError> {
        let c = &self.config.chart;
        let date = self.config.company.business_date(ctx.cause().time);
        let entry = JournalEntry::simple(
            date,
            &k.amount,
            &c.receivables,
            &c.customer_credits,
            &k.account_id,
            format!(
                "Overpayment {} on {} kept as customer credit",
                k.payment_id, k.invoice_id
            ),
            format!("customer credit {}", k.payment_id),
        );
        let cur = k.amount.currency.clone();
        let source = format!("customer-credit#{}", k.payment_id);
        self.post_and_save(ctx, &source, date, vec![entry], |s| {
            add(&mut s.ar_movement, &cur, k.amount.amount_minor);
        })
        .await
    }

    /// Customer credit used: against an invoice (Cr A/R) or refunded (Cr cash).
    pub(crate) async fn on_credit_applied(
        &self,
        ctx: &mut Ctx<'_>,
        k: &CustomerCreditApplied,
    ) -> Result<(), AgentError> {
        let c = &self.config.chart;
        let date = self.config.company.business_date(ctx.cause().time);
        let (to, what, against) = match (&k.invoice_id, &k.refund_id) {
            (Some(i), _) => (&c.receivables, format!("applied to invoice {i}"), i.clone()),
            (None, Some(r)) => (&c.cash, format!("refunded ({r})"), r.clone()),
            (None, None) => {
                return Err(AgentError::Invalid(format!(
                    "customer credit of {} applied to neither an invoice nor a refund",
                    k.account_id
                )));
            }
        };
        let entry = JournalEntry::simple(
            date,
            &k.amount,
            &c.customer_credits,
            to,
            &k.account_id,
            format!("Customer credit {what}"),
            format!("customer credit applied {against}"),
        );
        let cur = k.amount.currency.clone();
        let onto_invoice = k.invoice_id.is_some();
        let source = format!(
            "credit-applied#{}#{against}#{}",
            k.account_id, k.amount.amount_minor
        );
        self.post_and_save(ctx, &source, date, vec![entry], |s| {
            if onto_invoice {
                add(&mut s.ar_movement, &cur, -k.amount.amount_minor);
            }
        })
        .await
    }
}
