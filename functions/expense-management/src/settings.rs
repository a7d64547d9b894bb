//! Expense Management's settings: `[expenses]` of `ascent.toml` (category limits, receipt,
//! approval and age thresholds, what each rule does, alcohol words, receipt date order,
//! department managers, reimbursement day, who approves large claims), checked against
//! `[approvals]` (the role must have a chain; the controller threshold may not exceed a line
//! manager's authority, or every claim approved between the two fails Finance's control) and
//! the rates of `[currency]`; `[expenses.expensify]` ([`crate::expensify_settings`]) for
//! marking reports reimbursed in Expensify, its credentials from the environment.

use crate::ExpenseManagement;
use crate::expensify_settings::{ExpensifySection, PARTNER_USER_ID_VAR, PARTNER_USER_SECRET_VAR};
use crate::receipt::DateOrder;
use crate::rules::{ExpensePolicy, RuleAction};
use ascent_core::config::platform::{Approvals, Currency};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_non_negative,
    check_weekday,
};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `[expenses]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpensesSection {
    approver_role: String,
    receipt_required_above_minor: i64,
    auto_approve_up_to_minor: i64,
    controller_above_minor: i64,
    max_age_days: i64,
    reimbursement_day: String,
    receipt_date_order: DateOrder,
    alcohol_words: Vec<String>,
    rules: Rules,
    category_limits_minor: BTreeMap<String, i64>,
    #[serde(default)]
    department_managers: BTreeMap<String, String>,
    /// `[expenses.expensify]`: reports marked reimbursed in Expensify.
    expensify: ExpensifySection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rules {
    over_limit: RuleAction,
    weekend: RuleAction,
    alcohol: RuleAction,
    duplicate: RuleAction,
    receipt_mismatch: RuleAction,
}

impl Validate for ExpensesSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_non_negative(
            "receipt_required_above_minor",
            self.receipt_required_above_minor,
        )?;
        check_non_negative("auto_approve_up_to_minor", self.auto_approve_up_to_minor)?;
        check_non_negative("controller_above_minor", self.controller_above_minor)?;
        if self.auto_approve_up_to_minor > self.controller_above_minor {
            return Err(Invalid::new(
                "auto_approve_up_to_minor",
                "may not exceed controller_above_minor",
            ));
        }
        check_in_range("max_age_days", self.max_age_days, 1, 3650)?;
        check_weekday("reimbursement_day", &self.reimbursement_day)?;
        for (i, w) in self.alcohol_words.iter().enumerate() {
            if w.is_empty() || w.contains(' ') || *w != w.to_lowercase() {
                return Err(Invalid::new(
                    format!("alcohol_words[{i}]"),
                    "a word is one lower-case word",
                ));
            }
        }
        for (category, limit) in &self.category_limits_minor {
            check_non_negative(&format!("category_limits_minor.{category}"), *limit)?;
        }
        for (department, manager) in &self.department_managers {
            check_email(&format!("department_managers.{department}"), manager)?;
        }
        self.expensify.check()
    }
}

impl ExpensePolicy {
    /// Reads and validates `[expenses]` against `[approvals]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: ExpensesSection = file.section("expenses")?;
        let approvals: Approvals = file.section("approvals")?;
        let currency: Currency = file.section("currency")?;
        let at = |e| file.invalid("expenses", e);
        approvals
            .check_role("approver_role", &s.approver_role)
            .map_err(at)?;
        if s.controller_above_minor > approvals.manager_limit_minor {
            return Err(at(Invalid::new(
                "controller_above_minor",
                format!(
                    "exceeds a line manager's authority ([approvals] manager_limit_minor = {}): \
                     claims a manager approves above it would fail the approval-limit control",
                    approvals.manager_limit_minor
                ),
            )));
        }
        let reimbursement_day =
            check_weekday("reimbursement_day", &s.reimbursement_day).map_err(at)?;
        Ok(Self {
            approver_role: s.approver_role,
            fx: currency.fx(),
            category_limits_minor: s.category_limits_minor,
            over_limit: s.rules.over_limit,
            receipt_required_above_minor: s.receipt_required_above_minor,
            auto_approve_up_to_minor: s.auto_approve_up_to_minor,
            controller_above_minor: s.controller_above_minor,
            max_age_days: s.max_age_days,
            weekend: s.rules.weekend,
            alcohol: s.rules.alcohol,
            alcohol_words: s.alcohol_words,
            duplicate: s.rules.duplicate,
            receipt_mismatch: s.rules.receipt_mismatch,
            date_order: s.receipt_date_order,
            department_managers: s.department_managers,
            reimbursement_day,
            expensify: s.expensify.settings(),
        })
    }
}

impl ExpenseManagement {
    /// The agent with the settings of `file`, marking reports reimbursed in Expensify when the
    /// environment has the partner's credentials ([`PARTNER_USER_ID_VAR`],
    /// [`PARTNER_USER_SECRET_VAR`]): the Lambda's start.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        let policy = ExpensePolicy::from_file(file)?;
        let e = policy.expensify.clone();
        let agent = Self::new(policy);
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        Ok(
            match (var(PARTNER_USER_ID_VAR), var(PARTNER_USER_SECRET_VAR)) {
                (Some(id), Some(secret)) => agent.with_expense_reports(std::sync::Arc::new(
                    crate::expensify::Expensify::new(&e.url, id.trim(), secret.trim(), e.http),
                )),
                _ => agent,
            },
        )
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for ExpensePolicy {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [expenses] is valid")
    }
}

impl Default for ExpenseManagement {
    fn default() -> Self {
        Self::new(ExpensePolicy::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let p = ExpensePolicy::default();
        assert_eq!(p.approver_role, "finance-controller");
        assert_eq!(p.category_limits_minor["meals"], 15_000);
        assert_eq!(p.category_limits_minor.len(), 8);
        assert_eq!(
            (p.over_limit, p.alcohol),
            (RuleAction::Flag, RuleAction::Reject)
        );
        assert_eq!(p.receipt_required_above_minor, 7_500);
        assert_eq!(
            (p.auto_approve_up_to_minor, p.controller_above_minor),
            (5_000, 100_000)
        );
        assert_eq!(p.reimbursement_day, Weekday::Fri);
        assert_eq!(p.date_order, DateOrder::MonthFirst);
        assert!(p.department_managers.is_empty());
        assert_eq!(p.fx.ppm["GBP"], 1_270_000);
    }

    #[test]
    fn a_controller_threshold_above_a_manager_s_authority_is_refused() {
        let text = ConfigFile::shipped().text().replace(
            "controller_above_minor = 100_000",
            "controller_above_minor = 200_000",
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = ExpensePolicy::from_file(&file).unwrap_err();
        assert_eq!(e.path, "expenses.controller_above_minor");
        assert!(e.line.is_some());
    }

    #[test]
    fn the_expensify_settings_are_read_and_bad_ones_refused_by_key() {
        let e = ExpensePolicy::default().expensify;
        assert_eq!(
            e.url,
            "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations"
        );
        assert_eq!(e.max_syncs_per_run, 10);
        assert_eq!(e.http.max_attempts, 4);
        let shipped = "[expenses.expensify]\nurl = \"https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations\"\nmax_syncs_per_run = 10\n";
        assert!(ConfigFile::shipped().text().contains(shipped));
        for (to, path) in [
            (
                shipped.replace("max_syncs_per_run = 10", "max_syncs_per_run = 16"),
                "expenses.expensify.max_syncs_per_run",
            ),
            (
                shipped.replace("url = \"https://", "url = \""),
                "expenses.expensify.url",
            ),
        ] {
            let text = ConfigFile::shipped().text().replace(shipped, &to);
            let file = ConfigFile::parse("x.toml", text).unwrap();
            let err = ExpensePolicy::from_file(&file).unwrap_err();
            assert_eq!(err.path, path, "{err}");
        }
    }

    #[test]
    fn an_unknown_rule_action_is_refused_with_its_line() {
        let text = ConfigFile::shipped()
            .text()
            .replace("weekend = \"flag\"", "weekend = \"warn\"");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = ExpensePolicy::from_file(&file).unwrap_err();
        assert_eq!(e.path, "expenses.rules.weekend");
        assert_eq!(e.line, file.line_of_path("expenses.rules.weekend"));
    }
}
