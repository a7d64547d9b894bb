//! # Expense Management agent
//!
//! On `ExpenseSubmitted` reads the receipt (merchant, date, total, currency), converts the
//! claim to the base currency and applies the expense policy ([`rules::ExpensePolicy`]):
//! category limits, receipt required above a threshold, age, weekend and alcohol rules,
//! duplicates, receipt/claim mismatches. A claim breaking a hard rule is rejected with the
//! reasons; a clean small claim is approved by policy; anything else goes to a person — the
//! employee's manager, or the Finance Controller above the controller threshold — and the
//! submitter can never approve their own. Approved claims wait for the weekly reimbursement
//! batch (on the configured weekday), which pays each employee once per currency, emails
//! them, and keeps a CSV export for accounts payable. A person's decision is acted on only
//! when the approval record says so ([`ascent_core::approval::confirmed`]). With an
//! expense-report system plugged in ([`ExpenseManagement::with_expense_reports`]; Expensify
//! when its partner credentials are set), the reports a batch pays are marked reimbursed there
//! by the hourly run ([`expensify_sync`]), never lost: a failed job stays queued and visible
//! (`DataSyncCompleted`), a refused one goes to a person.

mod claims;
pub mod expense_reports;
pub mod expensify;
pub mod expensify_settings;
pub mod expensify_sync;
pub mod receipt;
mod reimbursement;
pub mod rules;
mod settings;
#[cfg(test)]
mod stub_expensify;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::Payload;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use expense_reports::ExpenseReports;
use rules::ExpensePolicy;
use serde_json::json;
use std::sync::Arc;

pub use claims::{Expense, ExpenseStatus};
pub use reimbursement::{EXPENSES_PER_BATCH, ReimbursementBatch, csv_field, decimal};

pub const NAME: &str = "expense-management";
/// `gsi1` partition of approved expenses not yet reimbursed, sorted by `<incurred>#<id>`.
pub const TO_REIMBURSE: &str = "expenses#to-reimburse";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Finance,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "expense-submitted",
                pattern: json!({"detail-type": ["ExpenseSubmitted"]}),
            },
            Subscription {
                name: "expense-approval-decided",
                pattern: json!({
                    "detail-type": ["ApprovalDecided"],
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": ["expense", expensify_sync::EXPENSIFY_HELD]}}
                }),
            },
            Subscription {
                name: "daily-reimbursement",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
            Subscription {
                name: "hourly-expensify-sync",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["hourly"]}}}),
            },
        ],
        // Approvals: a decision is acted on only once its record confirms it.
        reads: vec![Domain::Financial, Domain::Approvals],
        owns: vec![
            // An employee's claim, its approver and decision: an accounting voucher kept by
            // law, pseudonymised on erasure.
            owns(Domain::Financial, "expense#").holding(Personal::pseudonymised(
                &["employee", "approver", "decided_by", "reasons[]"],
                &["employee"],
                "Check, approve and reimburse the employee's expense claim",
                Retention::Legal("tax_records_years"),
            )),
            // A claim's duplicate marker (the key holds the employee's address).
            owns(Domain::Financial, "expense-fingerprint#").holding(Personal::deleted(
                &[],
                &[],
                "Refuse the same claim submitted twice",
                Retention::Relationship,
            )),
            // Reimbursement batches (each employee's total, the payment file) and the
            // expense system's outbox: kept by law, pseudonymised on erasure.
            owns(Domain::Financial, "reimbursement#").holding(Personal::pseudonymised(
                &["reimbursements[].employee", "csv"],
                &[],
                "Pay the approved claims back to the employees",
                Retention::Legal("tax_records_years"),
            )),
        ],
        emits: vec![
            "ExpenseDecided",
            "ReimbursementBatchCreated",
            "DataSyncCompleted",
        ],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct ExpenseManagement {
    decl: AgentDecl,
    policy: ExpensePolicy,
    /// Where paid reports are marked reimbursed (none: nothing is told nor queued).
    reports: Option<Arc<dyn ExpenseReports>>,
}

impl ExpenseManagement {
    pub fn new(policy: ExpensePolicy) -> Self {
        Self {
            decl: declaration(),
            policy,
            reports: None,
        }
    }

    /// The agent marking the reports it reimburses reimbursed in `reports`.
    pub fn with_expense_reports(mut self, reports: Arc<dyn ExpenseReports>) -> Self {
        self.reports = Some(reports);
        self
    }
}

#[async_trait]
impl Agent for ExpenseManagement {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::ExpenseSubmitted(e) => self.on_submitted(ctx, e).await,
            Payload::ApprovalDecided(d) if d.kind == expensify_sync::EXPENSIFY_HELD => {
                // Only what the approval record says (a forged or early event is refused).
                ascent_core::approval::confirmed(ctx, d).await?;
                self.on_held_decision(ctx, d).await
            }
            Payload::ApprovalDecided(d) => self.on_decided(ctx, d).await,
            Payload::ScheduleTick(t) if t.schedule == "hourly" => self.on_hourly(ctx).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_expensify;
