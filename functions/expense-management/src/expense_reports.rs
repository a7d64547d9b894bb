//! The expense-reports port: the system employees filed their reports in (Expensify) is told
//! which reports Ascent has reimbursed.
//!
//! [`ExpenseReports::mark_reimbursed`] sets the reports' status to reimbursed — idempotent by
//! nature (a report marked twice stays reimbursed), so a retry after a lost answer changes
//! nothing twice. The Expensify adapter ([`crate::expensify`]) speaks its Integration Server
//! API; the domain code never names an HTTP type. Which reports a batch marks is decided here
//! without I/O ([`reports_of`]).

use crate::Expense;
use serde::{Deserialize, Serialize};

pub use ascent_integrations::IntegrationError;

/// The reports of one reimbursement batch to mark reimbursed (what the outbox keeps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportsReimbursed {
    /// The reimbursement batch that paid them (the change's id).
    pub batch_id: String,
    /// The system's report ids, each once, in order.
    pub report_ids: Vec<String>,
}

/// What the system did with a change: the reports it marked, and those it passed over with
/// its reason (a report not approved there, or already reimbursed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marked {
    pub reimbursed: Vec<String>,
    /// Report id, reason.
    pub skipped: Vec<(String, String)>,
}

/// An expense-report system told of reimbursements.
pub trait ExpenseReports: Send + Sync {
    /// `expensify`.
    fn system(&self) -> &str;
    /// Marks `reports` reimbursed.
    fn mark_reimbursed(&self, reports: &ReportsReimbursed) -> Result<Marked, IntegrationError>;
}

/// The system's reports of a batch's expenses: each report once, in order (a report holds
/// several expenses); expenses entered in Ascent itself have none.
pub fn reports_of<'a>(expenses: impl IntoIterator<Item = &'a Expense>) -> Vec<String> {
    let mut ids: Vec<String> = expenses
        .into_iter()
        .filter_map(|x| x.expensify_report_id.clone())
        .filter(|id| !id.trim().is_empty())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExpenseStatus;
    use ascent_core::money::Money;

    fn paid(id: &str, report: Option<&str>) -> Expense {
        Expense {
            expense_id: id.into(),
            employee: "li.wei@ascent-xr.example".into(),
            department: "sales".into(),
            category: "meals".into(),
            merchant: "Nordsee".into(),
            amount: Money::usd(3_850),
            amount_base: Money::usd(3_850),
            incurred_on: "2026-03-02".parse().unwrap(),
            submitted_at: "2026-03-03T09:00:00Z".parse().unwrap(),
            status: ExpenseStatus::Approved,
            reasons: vec![],
            approver: None,
            approval_id: None,
            decided_by: None,
            batch_id: None,
            expensify_report_id: report.map(str::to_string),
        }
    }

    #[test]
    fn a_batch_marks_each_expensify_report_once_and_nothing_for_ascent_s_own_expenses() {
        let batch = [
            paid("E1", Some("R00Dk2")),
            paid("E2", Some("R00Cs5")),
            paid("E3", None),
            paid("E4", Some("R00Cs5")),
            paid("E5", Some(" ")),
        ];
        assert_eq!(reports_of(&batch), vec!["R00Cs5", "R00Dk2"]);
        assert!(reports_of(&batch[2..3]).is_empty());
    }
}
