//! # Billing agent
//!
//! Keeps billing profiles from `CustomerSignedUp`; invoices a won deal (lines from the
//! accepted proposal, tax by region, due date from payment terms) and emits `InvoiceIssued`;
//! applies payments (partial, duplicate and over-payments handled) and emits `InvoicePaid`
//! once paid in full; on the daily schedule runs dunning on overdue invoices: reminders at
//! configured days, then escalation to collections (`ExceptionRaised`).

pub mod ageing;
pub mod approvals;
pub mod credits;
pub mod dunning;
pub mod overpayment;
pub mod refunds;
pub mod revenue;
mod settings;
pub mod stripe;
pub mod tax;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::approval;
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, CreditNoteIssued, CreditNoteRequested, CustomerCreditApplied,
    CustomerCreditRecorded, CustomerSignedUp, DealClosedWon, DunningAction, DunningStepTaken,
    ExceptionRaised, InvoiceIssued, InvoicePaid, Payload, PaymentFailed, PaymentReceived,
    PaymentRefunded, PaymentReversed, PricedLine, ScheduleTick, Severity,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::{FxRates, Money};
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use ascent_core::records::{
    AR_AGEING_PK, PROPOSAL_SK, Proposal, ProposalStatus, ar_ageing_sk, deal_pk,
};
use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use dunning::DunningSchedule;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tax::TaxTable;

pub const NAME: &str = "billing";
pub use ascent_core::records::OPEN_INVOICES;

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
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": [approvals::CREDIT_NOTE, refunds::REFUND]}}
                }),
            },
            Subscription {
                name: "daily-dunning",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Financial, Domain::Approvals],
        owns: vec![
            owns(Domain::Financial, "invoice#"),
            owns(Domain::Financial, "account#"),
            owns(Domain::Financial, AR_AGEING_PK),
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
        ],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}

/// Billing's settings: `[billing]` and the company name of `[company]` of `ascent.toml`
/// (see `settings`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BillingConfig {
    pub tax: TaxTable,
    pub dunning: DunningSchedule,
    /// Terms of an account without a billing profile.
    pub default_terms_days: u32,
    /// The company that invoices (named in the invoice mail).
    pub company: String,
    /// `[company] time_zone`: business dates (credit notes, refunds) are days in this zone.
    #[serde(default = "utc_zone")]
    pub time_zone: String,
    /// `[currency]`: the accepted currencies (the same list every agent checks).
    pub fx: FxRates,
    /// `[billing] credit_approval_above_minor`: a credit note above this (base currency, minor
    /// units) waits for approval.
    #[serde(default)]
    pub credit_approval_above_minor: i64,
    /// `[billing] refund_approval_above_minor`: a refund above this (base currency, minor
    /// units) waits for the approval of `credit_approver_role`.
    pub refund_approval_above_minor: i64,
    /// `[billing] refunds_to`: who makes authorised refunds in the payment processor.
    pub refunds_to: String,
    /// `[billing] credit_approver_role`: the role that approves it.
    #[serde(default)]
    pub credit_approver_role: String,
}

fn utc_zone() -> String {
    "UTC".into()
}

impl BillingConfig {
    /// The business date of an instant: the day in the company's time zone.
    pub fn business_date(&self, at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
        ascent_core::config::platform::business_date_in(&self.time_zone, at)
    }
}

/// Billing details of an account (`account#<id>` / `billing-profile`, financial domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillingProfile {
    pub account_id: String,
    pub company: String,
    pub tax_region: String,
    pub billing_email: String,
    pub payment_terms_days: u32,
    pub currency: String,
    /// The sign-up's local tax area, VAT id and exemption certificate (see `tax::rules`).
    #[serde(default)]
    pub tax_locality: Option<String>,
    #[serde(default)]
    pub vat_id: Option<String>,
    #[serde(default)]
    pub tax_exemption_id: Option<String>,
}

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

pub struct Billing {
    decl: AgentDecl,
    config: BillingConfig,
}

impl Default for Billing {
    fn default() -> Self {
        Self::new(BillingConfig::default())
    }
}

/// The part of Closing's contract record (`deal#<id>` / `contract`, customer domain) Billing
/// reads: its terms (the term in months dates the service period of ratable lines).
#[derive(Deserialize)]
struct ContractTermsOnly {
    terms: ascent_core::catalog::ContractTerms,
}

fn invoice_pk(id: &str) -> String {
    format!("invoice#{id}")
}

impl Billing {
    pub fn new(config: BillingConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    fn save(
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

    fn on_signup(&self, ctx: &mut Ctx<'_>, c: &CustomerSignedUp) -> Result<(), AgentError> {
        let profile = BillingProfile {
            account_id: c.account_id.clone(),
            company: c.company.clone(),
            tax_region: c.tax_region.clone(),
            billing_email: c.billing_email.clone(),
            payment_terms_days: c.payment_terms_days,
            currency: c.currency.clone(),
            tax_locality: c.tax_locality.clone(),
            vat_id: c.vat_id.clone(),
            tax_exemption_id: c.tax_exemption_id.clone(),
        };
        ctx.put_record(
            Domain::Financial,
            &format!("account#{}", c.account_id),
            "billing-profile",
            &profile,
            None,
            Condition::Always,
        )
    }

    async fn on_won(
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

    /// The account's credit in a currency (zero, version 0, when it has none).
    async fn customer_credit(
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

    fn save_credit(
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
    async fn apply_credit(&self, ctx: &mut Ctx<'_>, inv: &mut Invoice) -> Result<(), AgentError> {
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

    async fn load(&self, ctx: &mut Ctx<'_>, invoice_id: &str) -> Result<Invoice, AgentError> {
        ctx.get_as::<Invoice>(Domain::Financial, &invoice_pk(invoice_id), "invoice")
            .await?
            // Payments can overtake the invoice: retry, then dead-letter with this reason.
            .ok_or_else(|| AgentError::Transient(format!("invoice {invoice_id} not found (yet)")))
    }

    /// The invoice a money movement (payment, credit, refund) applies to, with the key of the
    /// movement's record; `None` when that movement was already applied. A movement in
    /// another currency than the invoice's is refused.
    async fn invoice_for_movement(
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

    async fn on_payment(&self, ctx: &mut Ctx<'_>, p: &PaymentReceived) -> Result<(), AgentError> {
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

    async fn on_credit(
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

    async fn on_refund(&self, ctx: &mut Ctx<'_>, r: &PaymentRefunded) -> Result<(), AgentError> {
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
    async fn open_credit_approval(
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
        ctx.request_approval(approvals::draft(
            c,
            inv,
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
    async fn on_credit_decision(
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

    /// A refund paying out the customer's credit: the credit falls by it (refused beyond the
    /// balance), the overpaid invoice is untouched.
    async fn refund_credit(
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

    /// A payment taken back (chargeback, returned debit): the invoice is owed again, so it is
    /// reopened, back on the open index and in dunning — unlike a refund, which is goodwill.
    async fn on_reversal(&self, ctx: &mut Ctx<'_>, r: &PaymentReversed) -> Result<(), AgentError> {
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

    async fn on_payment_failed(
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

    /// The daily run: the AR ageing snapshot, then dunning.
    ///
    /// Bounded by continuing in the next run: one run dunns at most [`DUNNING_PER_RUN`]
    /// invoices, the longest overdue first (the open-invoice index is ordered by due date);
    /// the rest are still due a step tomorrow and are dunned then, so whatever the backlog,
    /// one message commits at most `1 + DUNNING_PER_RUN` writes (AWS's 100 items per
    /// transaction, each write audited).
    async fn on_daily(&self, ctx: &mut Ctx<'_>, tick: &ScheduleTick) -> Result<(), AgentError> {
        let today = self.config.business_date(tick.at);
        // The day's AR ageing snapshot, from the open-invoice index (never a table scan).
        let open: Vec<Invoice> = ctx
            .query_as(Domain::Financial, &Query::gsi1(OPEN_INVOICES))
            .await?;
        let snapshot = ageing::ageing(today, &open);
        ctx.put_record(
            Domain::Financial,
            AR_AGEING_PK,
            &ar_ageing_sk(today),
            &snapshot,
            None,
            Condition::Always,
        )?;
        let yesterday = today - Duration::days(1);
        // Overdue = due before today: a range query on the open-invoice index.
        let q = Query::gsi1(OPEN_INVOICES).sort(SortKey::AtMost(format!("{yesterday}#~")));
        let mut dunned = 0;
        for mut inv in ctx.query_as::<Invoice>(Domain::Financial, &q).await? {
            if dunned == DUNNING_PER_RUN {
                break; // the rest in the next run
            }
            let days_overdue = (today - inv.due_on).num_days().max(0) as u32;
            let Some((step, action)) = self.config.dunning.due_step(days_overdue, inv.dunning_step)
            else {
                continue;
            };
            let outstanding = inv.outstanding();
            ctx.emit(DunningStepTaken {
                invoice_id: inv.invoice_id.clone(),
                account_id: inv.account_id.clone(),
                step,
                days_overdue,
                action,
                outstanding: outstanding.clone(),
            })?;
            match action {
                DunningAction::Reminder => {
                    if let Some(to) = &inv.billing_email {
                        inv.reminders_sent.push(today);
                        ctx.send_mail(Mail {
                            to: to.clone(),
                            subject: format!("Reminder: invoice {} is {days_overdue} days overdue", inv.invoice_id),
                            text: format!(
                                "Invoice {} was due on {}. {} is outstanding. Please pay at your earliest convenience.\n",
                                inv.invoice_id, inv.due_on, outstanding
                            ),
                            html: None,
                            ..Default::default()
                        })?;
                    }
                }
                DunningAction::Escalation => {
                    ctx.emit(ExceptionRaised {
                        agent: NAME.into(),
                        subject: inv.invoice_id.clone(),
                        reason: dunning::escalation_reason(
                            &inv.invoice_id,
                            days_overdue,
                            &outstanding,
                            &inv.reminders_sent,
                        ),
                        severity: Severity::High,
                    })?;
                }
            }
            inv.dunning_step = step;
            let v = inv.version;
            self.save(ctx, inv, Some(v))?;
            dunned += 1;
        }
        Ok(())
    }
}

/// Invoices one daily run dunns (one write each, beside the ageing snapshot): derived from
/// AWS's limit on one message's transaction, not a business setting.
pub const DUNNING_PER_RUN: usize = ascent_core::limits::MAX_WRITES - 1;

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
                self.on_credit_decision(ctx, a).await
            }
            Payload::RefundRequested(r) => self.on_refund_requested(ctx, r).await,
            Payload::PaymentRefunded(r) => self.on_refund(ctx, r).await,
            Payload::PaymentReversed(r) => self.on_reversal(ctx, r).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;

/// Takes `amount` back from what was paid on `inv` (a refund or a reversed payment), recording
/// the movement under `sk`; more than was paid is refused.
fn take_back(
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
