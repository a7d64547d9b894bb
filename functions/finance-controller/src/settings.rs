//! The Finance Controller's settings: `[finance]` of `ascent.toml` (monthly budgets per
//! department, the warning level, close day and report recipient, the chart of accounts),
//! the approval authority and two-person amount of `[approvals]` (the same keys the hosts
//! enforce, so the control and the rule never diverge) and the rates of `[currency]`.

use crate::controls::ApprovalLimits;
use crate::journal::ChartOfAccounts;
use crate::quickbooks::{QuickBooks, QuickBooksConfig};
use crate::{FinanceConfig, FinanceController};
use ascent_core::config::platform::{Approvals, Company, Currency};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_hhmm, check_in_range,
    check_non_negative, parse_hhmm,
};
use ascent_integrations::RetryPolicy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// `[finance]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FinanceSection {
    budget_warning_pct: i64,
    close_day: u32,
    close_report_to: String,
    /// The hour (`HH:MM`, company time) of the daily receivables reconciliation, run on the
    /// hourly schedule's tick of that hour.
    receivables_check_at: String,
    monthly_budgets_minor: BTreeMap<String, i64>,
    accounts: ChartOfAccounts,
    quickbooks: QuickBooksSection,
}

/// `[finance.quickbooks]` as written in the file (the journal's export, see
/// [`crate::quickbooks`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuickBooksSection {
    base_url: String,
    realm_id: String,
    minor_version: u32,
    max_syncs_per_run: usize,
    approver_role: String,
    accounts: BTreeMap<String, String>,
    http: HttpSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSection {
    max_attempts: u32,
    backoff_ms: u64,
    max_wait_seconds: u64,
    timeout_seconds: u64,
}

impl QuickBooksSection {
    fn validate(&self, chart: &ChartOfAccounts) -> Result<(), Invalid> {
        let url = &self.base_url;
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.ends_with('/') {
            return Err(Invalid::new(
                "quickbooks.base_url",
                format!("`{url}` is not an http(s) base URL without a trailing `/`"),
            ));
        }
        if self.realm_id.is_empty() || !self.realm_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "quickbooks.realm_id",
                "is the company's numeric realm id (QuickBooks' Company ID)",
            ));
        }
        check_in_range("quickbooks.minor_version", self.minor_version, 1, 999)?;
        // A run's commit: each entry sent or held is two writes, the receivables check one.
        let most = (ascent_core::limits::MAX_WRITES - 1) / 2;
        check_in_range(
            "quickbooks.max_syncs_per_run",
            self.max_syncs_per_run,
            1,
            most,
        )?;
        if self.approver_role.trim().is_empty() {
            return Err(Invalid::new(
                "quickbooks.approver_role",
                "names a role of [approvals.roles]",
            ));
        }
        for (name, id) in &self.accounts {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Invalid::new(
                    format!("quickbooks.accounts.{name}"),
                    format!("`{id}` is not a QuickBooks account id (digits)"),
                ));
            }
            if !chart.names().any(|n| n == name) {
                return Err(Invalid::new(
                    format!("quickbooks.accounts.{name}"),
                    "is not an account of [finance.accounts]",
                ));
            }
        }
        check_in_range(
            "quickbooks.http.max_attempts",
            self.http.max_attempts,
            1,
            10,
        )?;
        check_in_range(
            "quickbooks.http.backoff_ms",
            self.http.backoff_ms,
            1,
            60_000,
        )?;
        check_in_range(
            "quickbooks.http.max_wait_seconds",
            self.http.max_wait_seconds,
            0,
            900,
        )?;
        check_in_range(
            "quickbooks.http.timeout_seconds",
            self.http.timeout_seconds,
            1,
            120,
        )
    }

    fn config(self) -> QuickBooksConfig {
        QuickBooksConfig {
            base_url: self.base_url,
            realm_id: self.realm_id,
            minor_version: self.minor_version,
            max_syncs_per_run: self.max_syncs_per_run,
            approver_role: self.approver_role,
            accounts: self.accounts,
            http: RetryPolicy {
                max_attempts: self.http.max_attempts,
                backoff: Duration::from_millis(self.http.backoff_ms),
                max_wait: Duration::from_secs(self.http.max_wait_seconds),
                timeout: Duration::from_secs(self.http.timeout_seconds),
            },
        }
    }
}

impl Validate for FinanceSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_in_range("budget_warning_pct", self.budget_warning_pct, 1, 99)?;
        // 29–31 would skip the close in short months.
        check_in_range("close_day", self.close_day, 1, 28)?;
        check_email("close_report_to", &self.close_report_to)?;
        check_hhmm("receivables_check_at", &self.receivables_check_at)?;
        for (department, budget) in &self.monthly_budgets_minor {
            check_non_negative(&format!("monthly_budgets_minor.{department}"), *budget)?;
        }
        let a = &self.accounts;
        let named = [
            ("receivables", &a.receivables),
            ("revenue", &a.revenue),
            ("sales_tax", &a.sales_tax),
            ("cash", &a.cash),
            ("returns", &a.returns),
            ("customer_credits", &a.customer_credits),
            ("deferred_revenue", &a.deferred_revenue),
            ("reimbursements_payable", &a.reimbursements_payable),
            ("bank", &a.bank),
            ("other_expense", &a.other_expense),
        ];
        let expense = a
            .expense_accounts
            .iter()
            .map(|(c, n)| (format!("expense_accounts.{c}"), n));
        for (key, name) in named
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .chain(expense)
        {
            // QuickBooks takes account names of up to 100 characters.
            if name.trim().is_empty() || name.chars().count() > 100 {
                return Err(Invalid::new(
                    format!("accounts.{key}"),
                    "an account name is 1 to 100 characters",
                ));
            }
        }
        self.quickbooks.validate(a)
    }
}

impl FinanceConfig {
    /// Reads and validates `[finance]`, `[approvals]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: FinanceSection = file.section("finance")?;
        let approvals: Approvals = file.section("approvals")?;
        let currency: Currency = file.section("currency")?;
        let company: Company = file.section("company")?;
        if !approvals.roles.contains_key(&s.quickbooks.approver_role) {
            return Err(file.invalid(
                "finance",
                Invalid::new(
                    "quickbooks.approver_role",
                    format!(
                        "`{}` is not a role of [approvals.roles]",
                        s.quickbooks.approver_role
                    ),
                ),
            ));
        }
        Ok(Self {
            fx: currency.fx(),
            chart: s.accounts,
            limits: ApprovalLimits {
                limits: approvals
                    .authority
                    .iter()
                    .map(|a| (a.person.clone(), a.limit_minor))
                    .collect(),
                by_kind: approvals
                    .authority
                    .iter()
                    .filter(|a| !a.limits_minor.is_empty())
                    .map(|a| (a.person.clone(), a.limits_minor.clone()))
                    .collect(),
                default_limit_minor: approvals.manager_limit_minor,
                two_person_above_minor: approvals.two_person_above_minor.unwrap_or(i64::MAX),
            },
            budgets: s.monthly_budgets_minor,
            warn_at_pct: s.budget_warning_pct,
            close_day: s.close_day,
            report_to: s.close_report_to,
            receivables_check_at: parse_hhmm("receivables_check_at", &s.receivables_check_at)
                .expect("checked by validate"),
            company,
            quickbooks: s.quickbooks.config(),
        })
    }
}

impl FinanceController {
    /// The agent with the settings of `file`, exporting the journal to QuickBooks Online
    /// when the environment has its access token (`ASCENT_QUICKBOOKS_TOKEN`): the Lambda's
    /// start.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        let config = FinanceConfig::from_file(file)?;
        let agent = Self::new(config.clone());
        Ok(match std::env::var(crate::quickbooks::TOKEN_VAR) {
            Ok(token) if !token.trim().is_empty() => agent.with_ledger(Arc::new(QuickBooks::new(
                &config.quickbooks,
                &config.chart.receivables,
                token.trim(),
            ))),
            _ => agent,
        })
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for FinanceConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [finance] is valid")
    }
}

impl Default for FinanceController {
    fn default() -> Self {
        Self::new(FinanceConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = FinanceConfig::default();
        assert_eq!(c.budgets["customer-success"], 600_000);
        assert_eq!(c.budgets.len(), 6);
        assert_eq!((c.warn_at_pct, c.close_day), (90, 3));
        assert_eq!(c.report_to, "cfo@ascent-xr.example");
        assert_eq!(c.chart.expense_account("lodging"), "Travel");
        assert_eq!(
            c.limits.limits["sales.director@ascent-xr.example"],
            Some(2_500_000)
        );
        assert_eq!(c.limits.limits["cfo@ascent-xr.example"], None);
        assert_eq!(c.limits.default_limit_minor, 100_000);
        assert_eq!(c.limits.two_person_above_minor, 5_000_000);
    }

    #[test]
    fn a_close_day_that_short_months_lack_is_refused() {
        let text = ConfigFile::shipped()
            .text()
            .replace("close_day = 3", "close_day = 31");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = FinanceConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "finance.close_day");
        assert!(e.line.is_some());
    }

    #[test]
    fn the_shipped_quickbooks_export_maps_every_account_of_the_chart() {
        let c = FinanceConfig::default();
        let q = &c.quickbooks;
        assert_eq!(q.base_url, "https://quickbooks.api.intuit.com");
        assert_eq!((q.minor_version, q.max_syncs_per_run), (75, 10));
        assert_eq!(q.approver_role, "finance-controller");
        assert_eq!(q.accounts["Accounts Receivable (A/R)"], "84");
        assert_eq!(q.http.max_attempts, 4);
        assert_eq!(q.http.backoff, std::time::Duration::from_millis(500));
        for name in c.chart.names() {
            assert!(q.accounts.contains_key(name), "{name} unmapped");
        }
    }

    /// The refusal of the shipped file with `from` replaced by `to` in `[finance.quickbooks]`.
    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        let at = shipped.find("[finance.quickbooks]\n").expect("the section");
        let (before, section) = shipped.split_at(at);
        assert!(section.contains(from), "{from}");
        let text = format!("{before}{}", section.replacen(from, to, 1));
        let file = ConfigFile::parse("x.toml", text).unwrap();
        FinanceConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn bad_quickbooks_settings_are_refused_by_key_path() {
        let e = refused("max_syncs_per_run = 10", "max_syncs_per_run = 25");
        assert_eq!(e.path, "finance.quickbooks.max_syncs_per_run");
        assert!(e.line.is_some());
        let e = refused("max_syncs_per_run = 10", "max_syncs_per_run = 0");
        assert_eq!(e.path, "finance.quickbooks.max_syncs_per_run");
        let e = refused("realm_id = \"9130357766453416\"", "realm_id = \"acme\"");
        assert_eq!(e.path, "finance.quickbooks.realm_id");
        let e = refused(
            "base_url = \"https://quickbooks.api.intuit.com\"",
            "base_url = \"https://quickbooks.api.intuit.com/\"",
        );
        assert_eq!(e.path, "finance.quickbooks.base_url");
        let e = refused("\"Sales\" = \"79\"", "\"Sales\" = \"sales\"");
        assert_eq!(e.path, "finance.quickbooks.accounts.Sales");
        // An account the chart does not have is a typo, not a mapping.
        let e = refused("\"Sales\" = \"79\"", "\"Sale\" = \"79\"");
        assert_eq!(e.path, "finance.quickbooks.accounts.Sale");
        let e = refused(
            "approver_role = \"finance-controller\"",
            "approver_role = \"bookkeeping\"",
        );
        assert_eq!(e.path, "finance.quickbooks.approver_role");
        assert!(e.message.contains("bookkeeping"), "{}", e.message);
        let e = refused("max_attempts = 4", "max_attempts = 0");
        assert_eq!(e.path, "finance.quickbooks.http.max_attempts");
    }

    #[test]
    fn a_negative_budget_is_refused_with_its_department() {
        let text = ConfigFile::shipped()
            .text()
            .replace("marketing = 1_500_000", "marketing = -1_500_000");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = FinanceConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "finance.monthly_budgets_minor.marketing");
        assert_eq!(
            e.line,
            file.line_of_path("finance.monthly_budgets_minor.marketing")
        );
    }
}
