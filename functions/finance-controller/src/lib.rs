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
//! - exports every entry it posts to QuickBooks Online when it has the adapter ([`ledger`],
//!   [`quickbooks`]): queued in the posting's commit, sent by the hourly run, failures kept
//!   queued and announced in `DataSyncCompleted`, refusals held for a person's approval.

mod close;
pub mod controls;
pub mod credit;
mod customer_credit;
pub mod journal;
pub mod ledger;
mod postings;
pub mod quickbooks;
pub mod receivables;
mod recognition;
pub mod reconciliation;
pub mod report;
pub mod revenue;
mod settings;
mod spend;

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
use ascent_core::privacy::{Personal, Retention};
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
                name: "ledger-export-decisions",
                pattern: ledger::decisions_pattern(),
            },
            Subscription {
                name: "deliveries",
                pattern: json!({"detail-type": ["OnboardingCompleted"]}),
            },
            Subscription {
                name: "daily-close",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
            Subscription {
                name: "receivables-reconciliation",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["hourly"]}}}),
            },
        ],
        // Approvals: a decision is checked only once its record confirms it.
        reads: vec![Domain::Financial, Domain::Approvals],
        owns: vec![
            // A month's totals: no one's data.
            owns(Domain::Financial, "period#"),
            // The journal: each line names the customer account or the employee (an address)
            // it concerns; kept by law, pseudonymised on erasure.
            owns(Domain::Financial, "journal#").holding(Personal::pseudonymised(
                &["lines[].name"],
                &[],
                "Keep the books: the journal entries of every financial event",
                Retention::Legal("tax_records_years"),
            )),
            // Markers of what was posted: ids and the period, no one's data.
            owns(Domain::Financial, "posted#"),
            // The SOX check of every financial approval: who asked and who approved.
            owns(Domain::Financial, "controls#").holding(Personal::pseudonymised(
                &["requester", "approvers[]", "failures[]"],
                &[],
                "Check the approval controls (SOX) and keep the evidence",
                Retention::Legal("tax_records_years"),
            )),
            // The month's close report, with the journal's export and the failed controls.
            owns(Domain::Financial, "close-report#").holding(Personal::pseudonymised(
                &["journal_csv", "control_failures[]"],
                &[],
                "Close the month and report it to the controller",
                Retention::Legal("tax_records_years"),
            )),
            // Revenue schedules, deliveries and receivables of company accounts: no one's data.
            owns(Domain::Financial, "revenue#"),
            owns(Domain::Financial, "delivered#"),
            owns(Domain::Financial, "ar#"),
            owns(Domain::Financial, "reconciliation#"),
            // Journal entries queued for and sent to the books of record.
            owns(Domain::Financial, ledger::PREFIX).holding(Personal::pseudonymised(
                &["item.entry.lines[].name"],
                &[],
                "Export the journal to the books of record (QuickBooks)",
                Retention::Legal("tax_records_years"),
            )),
        ],
        emits: vec![
            "ThresholdCrossed",
            "ExceptionRaised",
            "MonthClosed",
            "DataSyncCompleted",
        ],
        // A journal entry the external ledger refused is put to a person.
        requests_approvals: true,
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
    /// When (company time) the daily receivables reconciliation runs.
    pub receivables_check_at: chrono::NaiveTime,
    /// `[company]`: its time zone makes business dates (journal dates and periods are days
    /// in that zone, not in UTC).
    pub company: Company,
    /// `[finance.quickbooks]`: the journal's export to QuickBooks Online.
    pub quickbooks: quickbooks::QuickBooksConfig,
}

pub use report::{BudgetLine, CloseReport, DeferredRollForward, PeriodSummary, render};

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
    /// The books of record the journal is exported to; none: nothing is queued.
    ledger: Option<std::sync::Arc<dyn ledger::Ledger>>,
}

impl FinanceController {
    pub fn new(config: FinanceConfig) -> Self {
        Self {
            decl: declaration(),
            config,
            ledger: None,
        }
    }

    /// The same agent exporting every entry it posts to `ledger` ([`ledger`]).
    pub fn with_ledger(mut self, ledger: std::sync::Arc<dyn ledger::Ledger>) -> Self {
        self.ledger = Some(ledger);
        self
    }
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
            Payload::ApprovalDecided(d) if d.kind == ledger::KIND => {
                self.on_export_decided(ctx, d).await
            }
            Payload::ApprovalDecided(d) => self.on_approval(ctx, d).await,
            Payload::ScheduleTick(t) if t.schedule == "hourly" => self.on_hourly(ctx, t).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            Payload::OnboardingCompleted(o) => self.on_delivered(ctx, o).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod stub_quickbooks;
#[cfg(test)]
mod tests;
