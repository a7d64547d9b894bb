//! The invoice record and its money movements: what an invoice owes, how payments and credits
//! settle it, and the reads and writes every handler shares (load, save under optimistic
//! concurrency, the idempotent record of each payment, credit, refund or reversal).

use crate::Billing;
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::PricedLine;
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::Condition;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use ascent_core::records::OPEN_INVOICES;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Open,
    PartiallyPaid,
    Paid,
}

/// An invoice (`invoice#<id>` / `invoice`, financial domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    pub invoice_id: String,
    pub account_id: String,
    pub deal_id: Option<String>,
    pub lines: Vec<PricedLine>,
    pub subtotal: Money,
    pub tax_rate_bp: i64,
    pub tax: Money,
    pub total: Money,
    pub paid: Money,
    pub status: InvoiceStatus,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub payment_terms_days: u32,
    pub billing_email: Option<String>,
    /// Credit notes against the invoice, in minor units of its currency.
    #[serde(default)]
    pub credited_minor: i64,
    /// Dunning steps taken so far.
    pub dunning_step: u32,
    /// The dunning history: the days a reminder was actually sent (a step whose reminder was
    /// not sent, or that was skipped, is not here), so an escalation never claims more.
    #[serde(default)]
    pub reminders_sent: Vec<NaiveDate>,
    /// Optimistic-concurrency version: every update is conditional on it.
    pub version: u64,
}

impl Invoice {
    /// What is still owed: total less payments and credit notes.
    pub fn outstanding(&self) -> Money {
        Money::new(
            self.total.amount_minor - self.paid.amount_minor - self.credited_minor,
            &self.total.currency,
        )
    }

    /// Status from payments and credits: settled, partly settled, or open.
    pub fn settle(&mut self) {
        let settled = self.paid.amount_minor + self.credited_minor;
        self.status = if settled >= self.total.amount_minor {
            InvoiceStatus::Paid
        } else if settled > 0 {
            InvoiceStatus::PartiallyPaid
        } else {
            InvoiceStatus::Open
        };
    }
}

/// Partition key of an invoice.
pub(crate) fn invoice_pk(id: &str) -> String {
    format!("invoice#{id}")
}

impl Billing {
    pub(crate) fn save(
        &self,
        ctx: &mut Ctx<'_>,
        mut inv: Invoice,
        previous_version: Option<u64>,
    ) -> Result<(), AgentError> {
        let condition = Condition::version(previous_version);
        inv.version = previous_version.map_or(1, |v| v + 1);
        let index = (inv.status != InvoiceStatus::Paid).then(|| {
            (
                OPEN_INVOICES.to_string(),
                format!("{}#{}", inv.due_on, inv.invoice_id),
            )
        });
        ctx.put_record(
            Domain::Financial,
            &invoice_pk(&inv.invoice_id),
            "invoice",
            &inv,
            index,
            condition,
        )
    }

    pub(crate) async fn load(
        &self,
        ctx: &mut Ctx<'_>,
        invoice_id: &str,
    ) -> Result<Invoice, AgentError> {
        ctx.get_as::<Invoice>(Domain::Financial, &invoice_pk(invoice_id), "invoice")
            .await?
            // Payments can overtake the invoice: retry, then dead-letter with this reason.
            .ok_or_else(|| AgentError::Transient(format!("invoice {invoice_id} not found (yet)")))
    }

    /// The invoice a money movement (payment, credit, refund) applies to, with the key of the
    /// movement's record; `None` when that movement was already applied. A movement in
    /// another currency than the invoice's is refused.
    pub(crate) async fn invoice_for_movement(
        &self,
        ctx: &mut Ctx<'_>,
        invoice_id: &str,
        kind: &str,
        movement_id: &str,
        amount: &Money,
    ) -> Result<Option<(Invoice, String)>, AgentError> {
        let inv = self.load(ctx, invoice_id).await?;
        if amount.currency != inv.total.currency {
            return Err(AgentError::Invalid(format!(
                "{kind} {movement_id} is in {} but invoice {} is in {}",
                amount.currency, inv.invoice_id, inv.total.currency
            )));
        }
        let sk = format!("{kind}#{movement_id}");
        if ctx
            .get(Domain::Financial, &invoice_pk(&inv.invoice_id), &sk)
            .await?
            .is_some()
        {
            return Ok(None); // reported twice
        }
        Ok(Some((inv, sk)))
    }
}

/// Takes `amount` back from what was paid on `inv` (a refund or a reversed payment), recording
/// the movement under `sk`; more than was paid is refused.
pub(crate) fn take_back(
    ctx: &mut Ctx<'_>,
    inv: &mut Invoice,
    sk: &str,
    kind: &str,
    movement_id: &str,
    amount: &Money,
    record: &impl serde::Serialize,
) -> Result<(), AgentError> {
    if amount.amount_minor > inv.paid.amount_minor {
        return Err(AgentError::Invalid(format!(
            "{kind} {movement_id} of {amount} exceeds what was paid on invoice {} ({})",
            inv.invoice_id, inv.paid
        )));
    }
    ctx.put_record(
        Domain::Financial,
        &invoice_pk(&inv.invoice_id),
        sk,
        record,
        None,
        Condition::NotExists,
    )?;
    inv.paid = Money::new(
        inv.paid.amount_minor - amount.amount_minor,
        &inv.total.currency,
    );
    Ok(())
}
