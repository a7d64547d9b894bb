//! Invoicing a won deal: lines from the accepted proposal (or the deal's amount), revenue
//! dated over the contract's term, tax per line by the customer's region, due date from the
//! payment terms; the invoice is announced (`InvoiceIssued`), mailed, and the customer's credit
//! applied to it.

use crate::{Billing, BillingProfile, Invoice, InvoiceStatus, NAME, invoice_pk, revenue, tax};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{DealClosedWon, ExceptionRaised, InvoiceIssued, PricedLine, Severity};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::Mail;
use ascent_core::records::{PROPOSAL_SK, Proposal, ProposalStatus, deal_pk};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

/// The part of Closing's contract record (`deal#<id>` / `contract`, customer domain) Billing
/// reads: its terms (the term in months dates the service period of ratable lines).
#[derive(Deserialize)]
struct ContractTermsOnly {
    terms: ascent_core::catalog::ContractTerms,
}

impl Billing {
    pub(crate) async fn on_won(
        &self,
        ctx: &mut Ctx<'_>,
        d: &DealClosedWon,
        issued_on: NaiveDate,
    ) -> Result<(), AgentError> {
        let invoice_id = format!("inv-{}", d.deal_id);
        if ctx
            .get(Domain::Financial, &invoice_pk(&invoice_id), "invoice")
            .await?
            .is_some()
        {
            return Ok(()); // the CRM announced this win twice: one invoice per deal
        }
        let currency = d.amount.currency.clone();
        self.config
            .fx
            .check_accepted(&currency)
            .map_err(|e| AgentError::Invalid(format!("amount.currency: {e}")))?;
        let profile: Option<BillingProfile> = ctx
            .get_as(
                Domain::Financial,
                &format!("account#{}", d.account_id),
                "billing-profile",
            )
            .await?;
        if profile.is_none() {
            ctx.emit(ExceptionRaised {
                agent: NAME.into(),
                subject: invoice_id.clone(),
                reason: format!(
                    "no billing profile for account {}: invoiced with net-{} terms, no tax, and no email sent",
                    d.account_id, self.config.default_terms_days
                ),
                severity: Severity::Medium,
            })?;
        }
        if let Some(p) = &profile
            && p.currency != currency
        {
            return Err(AgentError::Invalid(format!(
                "deal {} is in {currency} but account {} is billed in {}",
                d.deal_id, d.account_id, p.currency
            )));
        }
        // Closing's record, read as the one shared type (a change there is a compile error here).
        let proposal: Option<Proposal> = match &d.proposal_id {
            Some(pid) => ctx
                .get_as::<Proposal>(Domain::Customer, &deal_pk(&d.deal_id), PROPOSAL_SK)
                .await?
                .filter(|p| &p.proposal_id == pid && p.status == ProposalStatus::Sent),
            None => None,
        };
        let (mut lines, subtotal) = match proposal {
            Some(p) => {
                let mut lines = p.lines;
                if p.discount.amount_minor > 0 {
                    let neg = Money::new(-p.discount.amount_minor, &currency);
                    lines.push(PricedLine {
                        sku: "DISCOUNT".into(),
                        description: format!("Discount {}%", p.discount_pct),
                        quantity: 1,
                        unit_price: neg.clone(),
                        amount: neg,
                        revenue: None,
                        tax: None,
                    });
                }
                if p.total != d.amount {
                    ctx.emit(ExceptionRaised {
                        agent: NAME.into(),
                        subject: invoice_id.clone(),
                        reason: format!(
                            "deal {} won at {} but its accepted proposal totals {}: invoiced per proposal",
                            d.deal_id, d.amount, p.total
                        ),
                        severity: Severity::Medium,
                    })?;
                }
                (lines, p.total)
            }
            None => (
                vec![PricedLine {
                    sku: "DEAL".into(),
                    description: format!("Deal {}", d.deal_id),
                    quantity: 1,
                    unit_price: d.amount.clone(),
                    amount: d.amount.clone(),
                    revenue: None,
                    tax: None,
                }],
                d.amount.clone(),
            ),
        };
        // How each line is earned: ratable lines over the contract's term from the issue date.
        let term = ctx
            .get_as::<ContractTermsOnly>(Domain::Customer, &deal_pk(&d.deal_id), "contract")
            .await?
            .map(|c| c.terms.term_months);
        revenue::earn(&mut lines, issued_on, term);
        // Tax per line (tax::rules: exemption, reverse charge, taxability, state plus local
        // rate); an unknown region or locality is never taxed at 0% in silence: the invoice is
        // held (not issued) and a person is asked to configure it.
        let invoice_tax = match &profile {
            Some(p) => {
                let customer = tax::CustomerTax {
                    region: p.tax_region.clone(),
                    locality: p.tax_locality.clone(),
                    vat_id: p.vat_id.clone(),
                    exemption_id: p.tax_exemption_id.clone(),
                };
                match tax::tax_invoice(&self.config.tax, &mut lines, &customer, &currency) {
                    Ok(t) => t,
                    Err(e) => {
                        ctx.emit(ExceptionRaised {
                            agent: NAME.into(),
                            subject: invoice_id.clone(),
                            reason: format!(
                                "invoice held: {e} of account {}; add it and replay deal {}",
                                d.account_id, d.deal_id
                            ),
                            severity: Severity::High,
                        })?;
                        return Ok(());
                    }
                }
            }
            None => {
                let tax = tax::tax_lines(&mut lines, "NONE", 0, &currency);
                tax::InvoiceTax {
                    tax,
                    rate_bp: 0,
                    reverse_charge_note: None,
                    seller_vat_id: None,
                    customer_vat_id: None,
                    exemption_id: None,
                }
            }
        };
        let (tax, rate) = (invoice_tax.tax.clone(), invoice_tax.rate_bp);
        let total = Money::new(subtotal.amount_minor + tax.amount_minor, &currency);
        let terms = profile
            .as_ref()
            .map_or(self.config.default_terms_days, |p| p.payment_terms_days);
        let inv = Invoice {
            invoice_id: invoice_id.clone(),
            account_id: d.account_id.clone(),
            deal_id: Some(d.deal_id.clone()),
            lines,
            subtotal,
            tax_rate_bp: rate,
            tax,
            total,
            paid: Money::zero(&currency),
            status: InvoiceStatus::Open,
            issued_on,
            due_on: issued_on + Duration::days(terms as i64),
            payment_terms_days: terms,
            billing_email: profile.as_ref().map(|p| p.billing_email.clone()),
            credited_minor: 0,
            dunning_step: 0,
            reminders_sent: vec![],
            version: 0,
        };
        ctx.emit(InvoiceIssued {
            invoice_id: inv.invoice_id.clone(),
            account_id: inv.account_id.clone(),
            deal_id: inv.deal_id.clone(),
            lines: inv.lines.clone(),
            subtotal: inv.subtotal.clone(),
            tax: inv.tax.clone(),
            total: inv.total.clone(),
            issued_on: inv.issued_on,
            due_on: inv.due_on,
            payment_terms_days: inv.payment_terms_days,
            reverse_charge_note: invoice_tax.reverse_charge_note.clone(),
            seller_vat_id: invoice_tax.seller_vat_id.clone(),
            customer_vat_id: invoice_tax.customer_vat_id.clone(),
            tax_exemption_id: invoice_tax.exemption_id.clone(),
        })?;
        if let Some(to) = &inv.billing_email {
            ctx.send_mail(Mail {
                to: to.clone(),
                subject: format!(
                    "Invoice {} from {}: {} due {}",
                    inv.invoice_id, self.config.company, inv.total, inv.due_on
                ),
                text: format!(
                    "Invoice {}\n{}Subtotal: {}\nTax: {}\n{}Total: {}\nDue: {} (net {})\n",
                    inv.invoice_id,
                    tax::mail_lines(&inv.lines),
                    inv.subtotal,
                    inv.tax,
                    tax::mail_notes(&invoice_tax),
                    inv.total,
                    inv.due_on,
                    inv.payment_terms_days
                ),
                html: None,
                ..Default::default()
            })?;
        }
        let mut inv = inv;
        self.apply_credit(ctx, &mut inv).await?;
        self.save(ctx, inv, None)
    }
}
