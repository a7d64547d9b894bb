//! # Finance Controller agent
//!
//! Keeps the books and the controls:
//! - posts a balanced double-entry journal entry for every financial event (invoice issued,
//!   payment, refund, credit note, approved expense, reimbursement batch) into the month the
//!   event belongs to, or, when that one is already closed, into the first month after it
//!   still open (never the month of the processing clock);
//! - recognises revenue as it is earned ([`revenue`]): deferred lines wait in Deferred Revenue
//!   and are released month by month by the daily run, or on delivery, and the close
//!   reconciles the deferred balance;
//! - tracks actual spend per department and month against the budget and raises
//!   `ThresholdCrossed` when a department reaches the warning level and when it goes over;
//! - checks every financial approval against SOX controls ([`controls`]) and keeps the
//!   evidence; a failed control raises a critical `ExceptionRaised`; a decision counts only
//!   when the approval record confirms it ([`ascent_core::approval::confirmed_for_review`]);
//! - on the close day (default: the 3rd) closes the previous month: the close report (revenue
//!   invoiced and collected, receivables with Billing's ageing (the shared record
//!   [`ascent_core::records::ArAgeing`]), expenses by category, budget vs
//!   actual, controls) with the month's journal as a QuickBooks-importable CSV, mailed to the
//!   CFO and announced as `MonthClosed`. A closed month takes no more postings.

pub mod controls;
pub mod credit;
mod customer_credit;
pub mod journal;
mod recognition;
pub mod revenue;
mod settings;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    ApprovalDecided, CreditNoteIssued, Direction, ExceptionRaised, ExpenseDecided, ExpenseOutcome,
    InvoiceIssued, MonthClosed, Payload, PaymentReceived, PaymentRefunded,
    ReimbursementBatchCreated, ScheduleTick, Severity, ThresholdCrossed,
};
use ascent_core::config::platform::Company;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::{FxRates, Money};
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use ascent_core::records::{AR_AGEING_PK, ArAgeing, ar_ageing_sk};
use async_trait::async_trait;
use chrono::{Datelike, Months, NaiveDate};
use controls::{ApprovalLimits, ControlCheck};
use journal::{ChartOfAccounts, JournalEntry, JournalLine};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub const NAME: &str = "finance-controller";

/// The posting key of an invoice (its `posted#…` marker says it is journaled).
fn invoice_source(invoice_id: &str) -> String {
    format!("invoice#{invoice_id}")
}

fn invoice_marker(invoice_id: &str) -> String {
    format!("posted#{}", invoice_source(invoice_id))
}

/// A payment books cash only against an invoice already journaled; otherwise it is a transient
/// failure with Billing's reason, so it is retried and then dead-lettered if the invoice never
/// comes.
fn require_journaled(invoice_id: &str, journaled: bool) -> Result<(), AgentError> {
    if journaled {
        Ok(())
    } else {
        Err(AgentError::Transient(format!(
            "invoice {invoice_id} not found (yet)"
        )))
    }
}

/// Approval kinds that move money (the SOX scope). Legal approval of contract terms is
/// not a spending authority and is out of it.
pub const FINANCIAL_KINDS: [&str; 4] = ["expense", "discount", "credit_note", "refund"];

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Finance,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "receivables",
                pattern: json!({"detail-type": ["InvoiceIssued", "PaymentReceived", "PaymentRefunded", "CreditNoteIssued", "PaymentReversed", "CustomerCreditRecorded", "CustomerCreditApplied"]}),
            },
            Subscription {
                name: "expenses",
                pattern: json!({"$or": [
                    {"detail-type": ["ExpenseDecided"], "detail": {"payload": {"outcome": ["approved"]}}},
                    {"detail-type": ["ReimbursementBatchCreated"]}
                ]}),
            },
            Subscription {
                name: "financial-approvals",
                pattern: json!({"detail-type": ["ApprovalDecided"], "detail": {"payload": {"kind": FINANCIAL_KINDS}}}),
            },
            Subscription {
                name: "deliveries",
                pattern: json!({"detail-type": ["OnboardingCompleted"]}),
            },
            Subscription {
                name: "daily-close",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        // Approvals: a decision is checked only once its record confirms it.
        reads: vec![Domain::Financial, Domain::Approvals],
        owns: vec![
            owns(Domain::Financial, "period#"),
            owns(Domain::Financial, "journal#"),
            owns(Domain::Financial, "posted#"),
            owns(Domain::Financial, "controls#"),
            owns(Domain::Financial, "close-report#"),
            owns(Domain::Financial, "revenue#"),
            owns(Domain::Financial, "delivered#"),
        ],
        emits: vec!["ThresholdCrossed", "ExceptionRaised", "MonthClosed"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

/// The Finance Controller's settings: `[finance]`, `[approvals]` and `[currency]` of
/// `ascent.toml` (see `settings`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FinanceConfig {
    pub fx: FxRates,
    pub chart: ChartOfAccounts,
    pub limits: ApprovalLimits,
    /// Department → monthly budget, base-currency minor units.
    pub budgets: BTreeMap<String, i64>,
    /// Warn when a department has spent this share of its month's budget.
    pub warn_at_pct: i64,
    /// Day of the month the previous month is closed.
    pub close_day: u32,
    /// Who receives the close report.
    pub report_to: String,
    /// `[company]`: its time zone makes business dates (journal dates and periods are days
    /// in that zone, not in UTC).
    pub company: Company,
}

/// Running totals of a month (`period#<YYYY-MM>` / `summary`), updated with each posting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodSummary {
    pub period: String,
    /// Per currency, minor units.
    pub revenue_invoiced: BTreeMap<String, i64>,
    /// Revenue earned: point-in-time lines when invoiced, and deferred revenue released.
    #[serde(default)]
    pub revenue_recognised: BTreeMap<String, i64>,
    /// Invoiced revenue deferred (ratable and on-delivery lines).
    #[serde(default)]
    pub deferred_billed: BTreeMap<String, i64>,
    /// Deferred revenue released (earned this month).
    #[serde(default)]
    pub deferred_released: BTreeMap<String, i64>,
    /// Deferred revenue reversed by credit notes.
    #[serde(default)]
    pub deferred_credited: BTreeMap<String, i64>,
    pub tax_invoiced: BTreeMap<String, i64>,
    pub collected: BTreeMap<String, i64>,
    pub refunded: BTreeMap<String, i64>,
    pub credited: BTreeMap<String, i64>,
    /// Net change of receivables.
    pub ar_movement: BTreeMap<String, i64>,
    /// Base currency, minor units.
    pub expenses_by_category: BTreeMap<String, i64>,
    pub expenses_by_department: BTreeMap<String, i64>,
    /// Budget alerts already raised (`sales@90`, `sales@100`).
    pub alerts: Vec<String>,
    pub controls_checked: u32,
    pub controls_failed: u32,
    pub entries: u32,
    pub journal_lines: u32,
    pub closed: bool,
    pub version: u64,
}

/// Budget against actual for one department.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetLine {
    pub department: String,
    pub budget: Money,
    pub actual: Money,
    /// actual − budget (positive = over).
    pub variance: Money,
    /// actual / budget in percent, one decimal; `None` without a budget.
    pub used_pct: Option<f64>,
}

/// The monthly close report (`close-report#<YYYY-MM>` / `report`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloseReport {
    pub period: String,
    pub closed_on: NaiveDate,
    pub revenue_invoiced: Vec<Money>,
    /// Revenue earned in the month (ASC 606 / IFRS 15), per currency.
    #[serde(default)]
    pub revenue_recognised: Vec<Money>,
    /// The deferred-revenue roll-forward: opening + billed − released − credited = closing.
    #[serde(default)]
    pub deferred: DeferredRollForward,
    pub tax_invoiced: Vec<Money>,
    /// Payments less refunds.
    pub collected: Vec<Money>,
    pub credited: Vec<Money>,
    /// Outstanding receivables at month end (previous close + this month's movement).
    pub receivables: Vec<Money>,
    /// Billing's AR ageing snapshot as of the first day after the month, when there is one.
    pub ar_ageing: Option<ArAgeing>,
    pub expenses_by_category: BTreeMap<String, Money>,
    pub expenses_total: Money,
    pub budget_vs_actual: Vec<BudgetLine>,
    pub controls_checked: u32,
    pub controls_failed: u32,
    pub control_failures: Vec<String>,
    pub journal_lines: u32,
    /// The month's journal in the QuickBooks Online import layout.
    pub journal_csv: String,
}

/// The deferred-revenue balance of a month, per currency, and how it moved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeferredRollForward {
    pub opening: Vec<Money>,
    pub billed: Vec<Money>,
    pub released: Vec<Money>,
    pub credited: Vec<Money>,
    pub closing: Vec<Money>,
}

fn period_of(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// The first day of the month of `d`.
fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists")
}

/// The date of an entry whose own month is closed, booked in the open month starting on
/// `month`: the day the event happened when that falls in the month, else the month's first
/// day. From the event and the books only, so a replay or a late delivery books the same.
pub fn late_posting_date(month: NaiveDate, event_day: NaiveDate) -> NaiveDate {
    if month_of(event_day) == month {
        event_day
    } else {
        month
    }
}

fn moneys(m: &BTreeMap<String, i64>) -> Vec<Money> {
    m.iter().map(|(c, v)| Money::new(*v, c)).collect()
}

fn add(m: &mut BTreeMap<String, i64>, key: &str, v: i64) {
    *m.entry(key.to_string()).or_default() += v;
}

pub struct FinanceController {
    decl: AgentDecl,
    config: FinanceConfig,
}

impl FinanceController {
    pub fn new(config: FinanceConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    async fn summary(&self, ctx: &mut Ctx<'_>, period: &str) -> Result<PeriodSummary, AgentError> {
        Ok(ctx
            .get_as::<PeriodSummary>(Domain::Financial, &format!("period#{period}"), "summary")
            .await?
            .unwrap_or_else(|| PeriodSummary {
                period: period.to_string(),
                ..Default::default()
            }))
    }

    /// What was booked of an invoice (its customer and split), if it was journaled.
    async fn booked(
        &self,
        ctx: &mut Ctx<'_>,
        invoice_id: &str,
    ) -> Result<Option<credit::InvoiceBooked>, AgentError> {
        ctx.get_as::<credit::InvoiceBooked>(
            Domain::Financial,
            &invoice_marker(invoice_id),
            "booked",
        )
        .await
    }

    /// The customer (QuickBooks "Name") of receivable lines on `invoice_id`: the invoice's
    /// account, or the invoice id when the invoice was never booked here.
    async fn customer(&self, ctx: &mut Ctx<'_>, invoice_id: &str) -> Result<String, AgentError> {
        Ok(self
            .booked(ctx, invoice_id)
            .await?
            .map(|b| b.account_id)
            .unwrap_or_else(|| invoice_id.to_string()))
    }

    fn save_summary(&self, ctx: &mut Ctx<'_>, mut s: PeriodSummary) -> Result<(), AgentError> {
        let condition = if s.version == 0 {
            Condition::NotExists
        } else {
            Condition::version(Some(s.version))
        };
        s.version += 1;
        ctx.put_record(
            Domain::Financial,
            &format!("period#{}", s.period),
            "summary",
            &s,
            None,
            condition,
        )
    }

    /// Posts `entries` and applies `apply` to the summary of the month of `date`, or of the
    /// open month when that one is closed. `source` makes a business fact post once even when
    /// it is announced twice. Returns the updated summary for the caller to save once (a
    /// transaction writes an item at most once), `None` when already posted.
    async fn post(
        &self,
        ctx: &mut Ctx<'_>,
        source: &str,
        date: NaiveDate,
        entries: Vec<JournalEntry>,
        apply: impl FnOnce(&mut PeriodSummary),
    ) -> Result<Option<PeriodSummary>, AgentError> {
        let marker = format!("posted#{source}");
        if ctx
            .get(Domain::Financial, &marker, "posted")
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let mut summary = self.summary(ctx, &period_of(date)).await?;
        let mut late = None;
        let mut month = month_of(date);
        if summary.closed {
            late = Some(summary.period.clone());
            // The first month after it still open: decided by the books, never by the clock
            // of the machine processing it (closed months are finitely many).
            while summary.closed {
                month = month + Months::new(1);
                summary = self.summary(ctx, &period_of(month)).await?;
            }
        }
        let late_date =
            late_posting_date(month, self.config.company.business_date(ctx.cause().time));
        for mut e in entries {
            if !e.is_balanced() {
                return Err(AgentError::Invalid(format!(
                    "{source}: the journal entry does not balance (or is zero)"
                )));
            }
            summary.entries += 1;
            e.entry_no = format!("{}-{:04}", summary.period, summary.entries);
            if let Some(closed) = &late {
                e.memo = format!("{} (belongs to closed period {closed})", e.memo);
                e.date = late_date;
            }
            summary.journal_lines += e.lines.len() as u32;
            ctx.put_record(
                Domain::Financial,
                &format!("journal#{}", summary.period),
                &format!("{}#{}", e.date, e.entry_no),
                &e,
                None,
                Condition::NotExists,
            )?;
        }
        apply(&mut summary);
        ctx.put_record(
            Domain::Financial,
            &marker,
            "posted",
            &json!({"period": summary.period}),
            None,
            Condition::NotExists,
        )?;
        Ok(Some(summary))
    }

    /// Posts and saves the summary.
    async fn post_and_save(
        &self,
        ctx: &mut Ctx<'_>,
        source: &str,
        date: NaiveDate,
        entries: Vec<JournalEntry>,
        apply: impl FnOnce(&mut PeriodSummary),
    ) -> Result<(), AgentError> {
        match self.post(ctx, source, date, entries, apply).await? {
            Some(s) => self.save_summary(ctx, s),
            None => Ok(()),
        }
    }

    async fn on_invoice(&self, ctx: &mut Ctx<'_>, i: &InvoiceIssued) -> Result<(), AgentError> {
        let c = &self.config.chart;
        let cur = i.total.currency.clone();
        let line = |account: &str, debit: i64, credit: i64| JournalLine {
            account: account.into(),
            debit_minor: debit,
            credit_minor: credit,
            name: i.account_id.clone(),
        };
        // What is earned now goes to revenue, what is not yet earned to Deferred Revenue.
        let recognition = self.recognise(ctx, i).await?;
        let (earned, deferred) = (recognition.earned_now, recognition.deferred_total());
        let mut lines = vec![line(&c.receivables, i.total.amount_minor, 0)];
        for (account, amount) in [(&c.revenue, earned), (&c.deferred_revenue, deferred)] {
            if amount > 0 {
                lines.push(line(account, 0, amount));
            } else if amount < 0 {
                lines.push(line(account, -amount, 0));
            }
        }
        if i.tax.amount_minor != 0 {
            lines.push(line(&c.sales_tax, 0, i.tax.amount_minor));
        }
        let entry = JournalEntry {
            entry_no: String::new(),
            date: i.issued_on,
            currency: cur.clone(),
            memo: format!("Invoice {}", i.invoice_id),
            source: format!("invoice {}", i.invoice_id),
            lines,
        };
        // The customer and split, for payments, refunds and credit notes on this invoice.
        if ctx
            .get(Domain::Financial, &invoice_marker(&i.invoice_id), "booked")
            .await?
            .is_none()
        {
            ctx.put_record(
                Domain::Financial,
                &invoice_marker(&i.invoice_id),
                "booked",
                &credit::InvoiceBooked {
                    account_id: i.account_id.clone(),
                    subtotal_minor: i.subtotal.amount_minor,
                    tax_minor: i.tax.amount_minor,
                },
                None,
                Condition::NotExists,
            )?;
        }
        let posted = self
            .post(
                ctx,
                &invoice_source(&i.invoice_id),
                i.issued_on,
                vec![entry],
                |s| {
                    add(&mut s.revenue_invoiced, &cur, i.subtotal.amount_minor);
                    add(&mut s.revenue_recognised, &cur, earned);
                    add(&mut s.deferred_billed, &cur, deferred);
                    add(&mut s.tax_invoiced, &cur, i.tax.amount_minor);
                    add(&mut s.ar_movement, &cur, i.total.amount_minor);
                },
            )
            .await?;
        match posted {
            Some(summary) => {
                self.record_schedules(ctx, recognition)?;
                self.save_summary(ctx, summary)
            }
            None => Ok(()),
        }
    }

    async fn on_payment(&self, ctx: &mut Ctx<'_>, p: &PaymentReceived) -> Result<(), AgentError> {
        // No cash against an invoice not journaled: as Billing does, retry (the payment may
        // have overtaken its invoice), then dead-letter with the reason.
        let journaled = ctx
            .get(Domain::Financial, &invoice_marker(&p.invoice_id), "posted")
            .await?
            .is_some();
        require_journaled(&p.invoice_id, journaled)?;
        let customer = self.customer(ctx, &p.invoice_id).await?;
        let c = &self.config.chart;
        let date = self.config.company.business_date(p.received_at);
        let entry = JournalEntry::simple(
            date,
            &p.amount,
            &c.cash,
            &c.receivables,
            &customer,
            format!(
                "Payment {} on {} ({})",
                p.payment_id, p.invoice_id, p.method
            ),
            format!("payment {}", p.payment_id),
        );
        let cur = p.amount.currency.clone();
        self.post_and_save(
            ctx,
            &format!("payment#{}", p.payment_id),
            date,
            vec![entry],
            |s| {
                add(&mut s.collected, &cur, p.amount.amount_minor);
                add(&mut s.ar_movement, &cur, -p.amount.amount_minor);
            },
        )
        .await
    }

    async fn on_refund(&self, ctx: &mut Ctx<'_>, r: &PaymentRefunded) -> Result<(), AgentError> {
        let customer = self.customer(ctx, &r.invoice_id).await?;
        let c = &self.config.chart;
        // Dated when the refund was made (a day in the company's zone), however late it is
        // delivered.
        let date = self.config.company.business_date(ctx.cause().time);
        let entry = JournalEntry::simple(
            date,
            &r.amount,
            &c.receivables,
            &c.cash,
            &customer,
            format!(
                "Refund {} of payment {} ({})",
                r.refund_id, r.payment_id, r.reason
            ),
            format!("refund {}", r.refund_id),
        );
        let cur = r.amount.currency.clone();
        self.post_and_save(
            ctx,
            &format!("refund#{}", r.refund_id),
            date,
            vec![entry],
            |s| {
                add(&mut s.refunded, &cur, r.amount.amount_minor);
                add(&mut s.ar_movement, &cur, r.amount.amount_minor);
            },
        )
        .await
    }

    async fn on_credit(&self, ctx: &mut Ctx<'_>, n: &CreditNoteIssued) -> Result<(), AgentError> {
        let booked = self.booked(ctx, &n.invoice_id).await?;
        let (net, tax) = credit::credit_split(
            &n.amount,
            n.subtotal.as_ref(),
            n.tax.as_ref(),
            booked.as_ref(),
        );
        // The part of the net that reverses revenue not yet earned (Deferred Revenue); the rest
        // reverses earned revenue (Sales Returns).
        let unearned = match &booked {
            Some(b) => {
                self.credit_unearned(ctx, &n.account_id, &n.invoice_id, net, b.subtotal_minor)
                    .await?
            }
            None => 0,
        };
        let c = &self.config.chart;
        // Dated when the credit note was issued (Billing's business date, else the day in the
        // company's zone it was announced), however late it is delivered.
        let date = n
            .issued_on
            .unwrap_or_else(|| self.config.company.business_date(ctx.cause().time));
        let line = |account: &str, debit: i64, credit: i64| JournalLine {
            account: account.into(),
            debit_minor: debit,
            credit_minor: credit,
            name: n.account_id.clone(),
        };
        // Net to Sales Returns (a contra-revenue account) and Deferred Revenue, the tax back off
        // Sales Tax Payable.
        let mut lines = vec![line(&c.returns, net - unearned, 0)];
        if unearned != 0 {
            lines.push(line(&c.deferred_revenue, unearned, 0));
        }
        lines.retain(|l| l.debit_minor != 0 || l.credit_minor != 0);
        if tax != 0 {
            lines.push(line(&c.sales_tax, tax, 0));
        }
        lines.push(line(&c.receivables, 0, n.amount.amount_minor));
        let entry = JournalEntry {
            entry_no: String::new(),
            date,
            currency: n.amount.currency.clone(),
            memo: format!(
                "Credit note {} on {}: {}",
                n.credit_note_id, n.invoice_id, n.reason
            ),
            source: format!("credit note {}", n.credit_note_id),
            lines,
        };
        let cur = n.amount.currency.clone();
        self.post_and_save(
            ctx,
            &format!("credit#{}", n.credit_note_id),
            date,
            vec![entry],
            |s| {
                add(&mut s.credited, &cur, n.amount.amount_minor);
                add(&mut s.deferred_credited, &cur, unearned);
                add(&mut s.ar_movement, &cur, -n.amount.amount_minor);
            },
        )
        .await
    }

    async fn on_expense(&self, ctx: &mut Ctx<'_>, x: &ExpenseDecided) -> Result<(), AgentError> {
        if x.outcome != ExpenseOutcome::Approved {
            return Ok(());
        }
        if x.amount_base.currency != self.config.fx.base {
            return Err(AgentError::Invalid(format!(
                "expense {} is valued in {} but budgets are kept in {}",
                x.expense_id, x.amount_base.currency, self.config.fx.base
            )));
        }
        let c = &self.config.chart;
        let entry = JournalEntry::simple(
            x.incurred_on,
            &x.amount,
            c.expense_account(&x.category),
            &c.reimbursements_payable,
            &x.employee,
            format!(
                "Expense {} ({}, {})",
                x.expense_id, x.category, x.department
            ),
            format!("expense {}", x.expense_id),
        );
        let Some(mut summary) = self
            .post(
                ctx,
                &format!("expense#{}", x.expense_id),
                x.incurred_on,
                vec![entry],
                |s| {
                    add(
                        &mut s.expenses_by_category,
                        &x.category,
                        x.amount_base.amount_minor,
                    );
                    add(
                        &mut s.expenses_by_department,
                        &x.department,
                        x.amount_base.amount_minor,
                    );
                },
            )
            .await?
        else {
            return Ok(());
        };
        self.budget_alerts(ctx, &mut summary, &x.department)?;
        self.save_summary(ctx, summary)
    }

    /// Raises each budget level (warning, over) once per department and month.
    fn budget_alerts(
        &self,
        ctx: &mut Ctx<'_>,
        summary: &mut PeriodSummary,
        department: &str,
    ) -> Result<(), AgentError> {
        let Some(budget) = self.config.budgets.get(department).copied() else {
            return Ok(());
        };
        let actual = summary
            .expenses_by_department
            .get(department)
            .copied()
            .unwrap_or(0);
        for pct in [self.config.warn_at_pct, 100] {
            let key = format!("{department}@{pct}");
            if actual >= budget * pct / 100 && !summary.alerts.contains(&key) {
                summary.alerts.push(key);
                ctx.emit(ThresholdCrossed {
                    metric: format!("budget.{department}.{}.used_pct", summary.period),
                    value: (actual as f64 * 1000.0 / budget as f64).round() / 10.0,
                    threshold: pct as f64,
                    direction: Direction::Above,
                })?;
            }
        }
        Ok(())
    }

    async fn on_reimbursement(
        &self,
        ctx: &mut Ctx<'_>,
        b: &ReimbursementBatchCreated,
    ) -> Result<(), AgentError> {
        let c = &self.config.chart;
        let entries = b
            .totals
            .iter()
            .map(|total| {
                JournalEntry::simple(
                    b.created_on,
                    total,
                    &c.reimbursements_payable,
                    &c.bank,
                    "",
                    format!("Reimbursement batch {} ({})", b.batch_id, total.currency),
                    format!("reimbursement {}", b.batch_id),
                )
            })
            .collect();
        self.post_and_save(
            ctx,
            &format!("reimbursement#{}", b.batch_id),
            b.created_on,
            entries,
            |_| {},
        )
        .await
    }

    async fn on_approval(&self, ctx: &mut Ctx<'_>, d: &ApprovalDecided) -> Result<(), AgentError> {
        // Only decisions the approval record confirms, whichever agent opened them.
        ascent_core::approval::confirmed_for_review(ctx, d).await?;
        let check: ControlCheck = self.config.limits.check(d, &self.config.fx);
        // Counted in the month the decision was announced, not the one it is checked in.
        let decided_on = self.config.company.business_date(ctx.cause().time);
        let passed = check.passed();
        let Some(summary) = self
            .post(
                ctx,
                &format!("control#{}", d.approval_id),
                decided_on,
                vec![],
                |s| {
                    s.controls_checked += 1;
                    if !passed {
                        s.controls_failed += 1;
                    }
                },
            )
            .await?
        else {
            return Ok(());
        };
        ctx.put_record(
            Domain::Financial,
            &format!("controls#{}", summary.period),
            &d.approval_id,
            &check,
            None,
            Condition::Always,
        )?;
        self.save_summary(ctx, summary)?;
        if !passed {
            ctx.emit(ExceptionRaised {
                agent: NAME.into(),
                subject: format!("{} {}", d.kind, d.subject),
                reason: format!(
                    "SOX control failed on approval {}: {}",
                    d.approval_id,
                    check.failures.join("; ")
                ),
                severity: Severity::Critical,
            })?;
        }
        Ok(())
    }

    async fn on_daily(&self, ctx: &mut Ctx<'_>, tick: &ScheduleTick) -> Result<(), AgentError> {
        let today = self.config.company.business_date(tick.at);
        // The recognition run first; the month closes once nothing is left to release for it
        // (on the close day, or the first day after it when the run needed more days).
        if self.release_due(ctx, today).await? || today.day() < self.config.close_day {
            return Ok(());
        }
        let first_of_month = today.with_day(1).expect("day 1 exists");
        let month_start = first_of_month - Months::new(1);
        // After the close day only a month the run held back (one with postings) is caught up:
        // a month before the books began is not closed late.
        if today.day() > self.config.close_day
            && ctx
                .get(
                    Domain::Financial,
                    &format!("period#{}", period_of(month_start)),
                    "summary",
                )
                .await?
                .is_none()
        {
            return Ok(());
        }
        self.close(ctx, month_start, today).await
    }

    /// Closes the month starting on `month_start`.
    pub async fn close(
        &self,
        ctx: &mut Ctx<'_>,
        month_start: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let period = period_of(month_start);
        let mut summary = self.summary(ctx, &period).await?;
        if summary.closed {
            return Ok(());
        }
        let base = self.config.fx.base.clone();
        let next_month = month_start + Months::new(1);
        let entries: Vec<JournalEntry> = ctx
            .query_as(
                Domain::Financial,
                &Query::table(format!("journal#{period}")),
            )
            .await?;
        let previous = period_of(month_start - Months::new(1));
        let previous_report = ctx
            .get_as::<CloseReport>(
                Domain::Financial,
                &format!("close-report#{previous}"),
                "report",
            )
            .await?;
        let balances = |ms: &[Money]| -> BTreeMap<String, i64> {
            ms.iter()
                .map(|m| (m.currency.clone(), m.amount_minor))
                .collect()
        };
        let mut receivables = previous_report
            .as_ref()
            .map_or_else(BTreeMap::new, |r| balances(&r.receivables));
        for (cur, v) in &summary.ar_movement {
            add(&mut receivables, cur, *v);
        }
        // Deferred revenue rolls forward from the previous close: opening + billed − released
        // − credited = closing.
        let opening = previous_report
            .as_ref()
            .map_or_else(BTreeMap::new, |r| balances(&r.deferred.closing));
        let mut closing = opening.clone();
        for (cur, v) in &summary.deferred_billed {
            add(&mut closing, cur, *v);
        }
        for (cur, v) in summary
            .deferred_released
            .iter()
            .chain(&summary.deferred_credited)
        {
            add(&mut closing, cur, -v);
        }
        let deferred = DeferredRollForward {
            opening: moneys(&opening),
            billed: moneys(&summary.deferred_billed),
            released: moneys(&summary.deferred_released),
            credited: moneys(&summary.deferred_credited),
            closing: moneys(&closing),
        };
        // Billing's record, read as the one shared type (a change there is a compile error here).
        let ar_ageing = ctx
            .query_as::<ArAgeing>(
                Domain::Financial,
                &Query::table(AR_AGEING_PK)
                    .sort(SortKey::AtMost(ar_ageing_sk(next_month)))
                    .descending()
                    .limit(1),
            )
            .await?
            .into_iter()
            .next()
            .filter(|a| a.as_of >= month_start);
        let mut collected = summary.collected.clone();
        for (cur, v) in &summary.refunded {
            add(&mut collected, cur, -v);
        }
        let mut departments: Vec<String> = self.config.budgets.keys().cloned().collect();
        for d in summary.expenses_by_department.keys() {
            if !departments.contains(d) {
                departments.push(d.clone());
            }
        }
        let budget_vs_actual: Vec<BudgetLine> = departments
            .iter()
            .map(|d| {
                let budget = self.config.budgets.get(d).copied().unwrap_or(0);
                let actual = summary.expenses_by_department.get(d).copied().unwrap_or(0);
                BudgetLine {
                    department: d.clone(),
                    budget: Money::new(budget, &base),
                    actual: Money::new(actual, &base),
                    variance: Money::new(actual - budget, &base),
                    used_pct: (budget > 0)
                        .then(|| (actual as f64 * 1000.0 / budget as f64).round() / 10.0),
                }
            })
            .collect();
        let control_failures: Vec<String> = ctx
            .query(
                Domain::Financial,
                &Query::table(format!("controls#{period}")),
            )
            .await?
            .iter()
            .map(|i| i.parse::<ControlCheck>())
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flat_map(|c| {
                c.failures
                    .into_iter()
                    .map(move |f| format!("{} ({} {}): {f}", c.approval_id, c.kind, c.subject))
            })
            .collect();
        let expenses_total: i64 = summary.expenses_by_category.values().sum();
        let report = CloseReport {
            period: period.clone(),
            closed_on: today,
            revenue_invoiced: moneys(&summary.revenue_invoiced),
            revenue_recognised: moneys(&summary.revenue_recognised),
            deferred,
            tax_invoiced: moneys(&summary.tax_invoiced),
            collected: moneys(&collected),
            credited: moneys(&summary.credited),
            receivables: moneys(&receivables),
            ar_ageing,
            expenses_by_category: summary
                .expenses_by_category
                .iter()
                .map(|(c, v)| (c.clone(), Money::new(*v, &base)))
                .collect(),
            expenses_total: Money::new(expenses_total, &base),
            budget_vs_actual,
            controls_checked: summary.controls_checked,
            controls_failed: summary.controls_failed,
            control_failures,
            journal_lines: entries.iter().map(|e| e.lines.len() as u32).sum(),
            journal_csv: journal::quickbooks_csv(&entries, &self.config.fx),
        };
        ctx.put_record(
            Domain::Financial,
            &format!("close-report#{period}"),
            "report",
            &report,
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: self.config.report_to.clone(),
            subject: format!("Month closed: {period}"),
            text: render(&report),
            html: None,
        })?;
        ctx.emit(MonthClosed {
            period: period.clone(),
            revenue_invoiced: report.revenue_invoiced.clone(),
            revenue_recognised: report.revenue_recognised.clone(),
            deferred_revenue: report.deferred.closing.clone(),
            collected: report.collected.clone(),
            expenses: report.expenses_total.clone(),
            receivables: report.receivables.clone(),
            departments_over_budget: report
                .budget_vs_actual
                .iter()
                .filter(|b| b.variance.amount_minor > 0 && b.budget.amount_minor > 0)
                .map(|b| b.department.clone())
                .collect(),
            controls_checked: report.controls_checked,
            controls_failed: report.controls_failed,
            journal_lines: report.journal_lines,
        })?;
        summary.closed = true;
        self.save_summary(ctx, summary)
    }
}

fn list(ms: &[Money]) -> String {
    if ms.is_empty() {
        "none".into()
    } else {
        ms.iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The close report as the text of the CFO's email.
pub fn render(r: &CloseReport) -> String {
    let mut out = format!("Close report {} (closed {})\n\n", r.period, r.closed_on);
    out.push_str(&format!(
        "Revenue invoiced: {}\n",
        list(&r.revenue_invoiced)
    ));
    out.push_str(&format!("Tax invoiced:     {}\n", list(&r.tax_invoiced)));
    out.push_str(&format!("Collected (net):  {}\n", list(&r.collected)));
    out.push_str(&format!("Credit notes:     {}\n", list(&r.credited)));
    out.push_str(&format!("Receivables:      {}\n\n", list(&r.receivables)));
    out.push_str(&format!("Expenses: {}\n", r.expenses_total));
    for (c, m) in &r.expenses_by_category {
        out.push_str(&format!("  {c}: {m}\n"));
    }
    out.push_str("\nBudget vs actual:\n");
    for b in &r.budget_vs_actual {
        out.push_str(&format!(
            "  {}: {} of {} ({}), variance {}\n",
            b.department,
            b.actual,
            b.budget,
            b.used_pct.map_or("no budget".into(), |p| format!("{p}%")),
            b.variance
        ));
    }
    out.push_str(&format!(
        "\nSOX controls: {} checked, {} failed\n",
        r.controls_checked, r.controls_failed
    ));
    for f in &r.control_failures {
        out.push_str(&format!("  FAILED {f}\n"));
    }
    out.push_str(&format!(
        "\nJournal: {} lines, QuickBooks CSV attached to the report record close-report#{}\n",
        r.journal_lines, r.period
    ));
    out
}

#[async_trait]
impl Agent for FinanceController {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::InvoiceIssued(i) => self.on_invoice(ctx, i).await,
            Payload::PaymentReceived(p) => self.on_payment(ctx, p).await,
            Payload::PaymentRefunded(r) => self.on_refund(ctx, r).await,
            Payload::CreditNoteIssued(n) => self.on_credit(ctx, n).await,
            Payload::PaymentReversed(r) => self.on_reversal(ctx, r).await,
            Payload::CustomerCreditRecorded(c) => self.on_customer_credit(ctx, c).await,
            Payload::CustomerCreditApplied(c) => self.on_credit_applied(ctx, c).await,
            Payload::ExpenseDecided(x) => self.on_expense(ctx, x).await,
            Payload::ReimbursementBatchCreated(b) => self.on_reimbursement(ctx, b).await,
            Payload::ApprovalDecided(d) => self.on_approval(ctx, d).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            Payload::OnboardingCompleted(o) => self.on_delivered(ctx, o).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ledger;
#[cfg(test)]
mod tests_revenue;
