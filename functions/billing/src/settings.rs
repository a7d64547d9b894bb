//! Billing's settings, read and validated once at start from `ascent.toml`: `[billing]` (tax
//! rates, dunning days, default payment terms), the company name of `[company]` and the
//! accepted currencies of `[currency]`; `[billing.stripe]` for refunds sent to Stripe (its
//! endpoint, how many a run sends, the HTTP retry policy), the secret key from the environment.

use crate::Billing;
use crate::dunning::DunningSchedule;
use crate::tax::{TaxRules, TaxTable};
use ascent_core::config::platform::{Approvals, Company, Currency};
use ascent_core::config::{ConfigError, ConfigFile, Invalid, Validate, check_in_range};
use ascent_core::money::FxRates;
use ascent_integrations::RetryPolicy;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The environment variable holding Stripe's secret key (`sk_live_…`): with it Billing sends
/// refunds of card payments to Stripe; without it (the twin) it sends and queues nothing.
pub const STRIPE_KEY_VAR: &str = "ASCENT_STRIPE_API_KEY";

/// Most refunds one run may send: each costs up to three writes (the outbox, the refund
/// request, the held copy), within one message's 49.
pub const MAX_SYNCS_PER_RUN: usize = 15;

/// `[billing.stripe]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StripeSection {
    base_url: String,
    max_syncs_per_run: usize,
    http: HttpSection,
}

/// `[billing.stripe.http]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSection {
    max_attempts: u32,
    backoff_ms: u64,
    max_wait_seconds: u64,
    timeout_seconds: u64,
}

/// Refunds sent to Stripe: `[billing.stripe]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StripeSettings {
    /// `https://api.stripe.com` (a stub's address in tests).
    pub base_url: String,
    /// Refunds one hourly run sends at most; the rest wait for the next run.
    pub max_syncs_per_run: usize,
    /// Attempts, backoff, longest `Retry-After` waited, time limit of one request.
    pub http: RetryPolicy,
}

impl StripeSection {
    fn check(&self) -> Result<(), Invalid> {
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://"))
            || self.base_url.trim() != self.base_url
        {
            return Err(Invalid::new(
                "stripe.base_url",
                "an http(s) URL, like `https://api.stripe.com`",
            ));
        }
        check_in_range(
            "stripe.max_syncs_per_run",
            self.max_syncs_per_run,
            1,
            MAX_SYNCS_PER_RUN,
        )?;
        check_in_range("stripe.http.max_attempts", self.http.max_attempts, 1, 10)?;
        check_in_range("stripe.http.backoff_ms", self.http.backoff_ms, 1, 60_000)?;
        check_in_range(
            "stripe.http.max_wait_seconds",
            self.http.max_wait_seconds,
            0,
            900,
        )?;
        check_in_range(
            "stripe.http.timeout_seconds",
            self.http.timeout_seconds,
            1,
            120,
        )
    }

    fn settings(self) -> StripeSettings {
        StripeSettings {
            base_url: self.base_url.trim_end_matches('/').to_string(),
            max_syncs_per_run: self.max_syncs_per_run,
            http: RetryPolicy {
                max_attempts: self.http.max_attempts,
                backoff: Duration::from_millis(self.http.backoff_ms),
                max_wait: Duration::from_secs(self.http.max_wait_seconds),
                timeout: Duration::from_secs(self.http.timeout_seconds),
            },
        }
    }
}

/// `[billing]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BillingSection {
    tax_rates_bp: TaxTable,
    /// `[billing.tax]`: taxability, local rates, reverse charge (see `tax::rules`).
    #[serde(default)]
    tax: TaxRules,
    dunning: DunningSchedule,
    default_payment_terms_days: u32,
    /// A credit note above this (base currency, minor units) needs approval.
    credit_approval_above_minor: i64,
    /// The role whose approval it needs.
    credit_approver_role: String,
    /// A refund above this (base currency, minor units) needs the same role's approval.
    refund_approval_above_minor: i64,
    /// Who makes authorised refunds in the payment processor (the payments team).
    refunds_to: String,
    /// `[billing.stripe]`: refunds of card payments sent to Stripe.
    stripe: StripeSection,
}

/// Billing's settings: `[billing]` and the company name of `[company]` of `ascent.toml`,
/// read and validated by [`BillingConfig::from_file`].
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
    /// `[billing.stripe]`: refunds of card payments sent to Stripe.
    pub stripe: StripeSettings,
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

impl BillingConfig {
    /// Reads and validates `[billing]` and `[company]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: BillingSection = file.section("billing")?;
        let company: Company = file.section("company")?;
        let currency: Currency = file.section("currency")?;
        // The approving role must have a chain in [approvals], like Closing's and Expenses'.
        let approvals: Approvals = file.section("approvals")?;
        approvals
            .check_role("credit_approver_role", &s.credit_approver_role)
            .map_err(|e| file.invalid("billing", e))?;
        Ok(Self {
            fx: currency.fx(),
            tax: TaxTable {
                rules: s.tax.clone(),
                ..s.tax_rates_bp
            },
            dunning: s.dunning,
            default_terms_days: s.default_payment_terms_days,
            time_zone: company.time_zone,
            company: company.name,
            credit_approval_above_minor: s.credit_approval_above_minor,
            credit_approver_role: s.credit_approver_role,
            refund_approval_above_minor: s.refund_approval_above_minor,
            refunds_to: s.refunds_to,
            stripe: s.stripe.settings(),
        })
    }
}

impl Billing {
    /// The agent with the settings of `file`, sending refunds of card payments to Stripe when
    /// the environment has its secret key ([`STRIPE_KEY_VAR`]): the Lambda's start.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        let config = BillingConfig::from_file(file)?;
        let stripe = config.stripe.clone();
        let agent = Self::new(config);
        Ok(match std::env::var(STRIPE_KEY_VAR) {
            Ok(key) if !key.trim().is_empty() => agent.with_gateway(std::sync::Arc::new(
                crate::stripe_refunds::StripeRefunds::new(
                    &stripe.base_url,
                    key.trim(),
                    stripe.http,
                ),
            )),
            _ => agent,
        })
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for BillingConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [billing] is valid")
    }
}

impl Validate for BillingSection {
    fn validate(&self) -> Result<(), Invalid> {
        for (region, bp) in &self.tax_rates_bp.rates_bp {
            let path = format!("tax_rates_bp.{region}");
            let ok = region.len() >= 2
                && region
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(Invalid::new(
                    path,
                    "a region is upper-case, like `DE` or `US-CA`",
                ));
            }
            check_in_range(&path, *bp, 0, 10_000)?;
        }
        self.tax.check()?;
        let days = &self.dunning.reminder_days;
        if days.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Invalid::new(
                "dunning.reminder_days",
                "days must strictly ascend",
            ));
        }
        if days
            .last()
            .is_some_and(|d| *d >= self.dunning.escalation_day)
        {
            return Err(Invalid::new(
                "dunning.escalation_day",
                "must come after the last reminder day",
            ));
        }
        check_in_range(
            "credit_approval_above_minor",
            self.credit_approval_above_minor,
            0,
            i64::MAX,
        )?;
        check_in_range(
            "refund_approval_above_minor",
            self.refund_approval_above_minor,
            0,
            i64::MAX,
        )?;
        ascent_core::config::check_email("refunds_to", &self.refunds_to)?;
        self.stripe.check()?;
        if self.credit_approver_role.trim().is_empty() {
            return Err(Invalid::new(
                "credit_approver_role",
                "names the approvals role that approves large credit notes",
            ));
        }
        check_in_range(
            "default_payment_terms_days",
            self.default_payment_terms_days,
            0,
            365,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = BillingConfig::from_file(&ConfigFile::shipped()).unwrap();
        assert_eq!(c.tax.rate_bp("us-ca"), 725);
        assert_eq!(c.dunning.reminder_days, [3, 10, 20]);
        assert_eq!(c.dunning.escalation_day, 30);
        assert_eq!(c.default_terms_days, 30);
        assert_eq!(c.company, "Ascent XR");
    }

    #[test]
    fn the_invoicing_company_is_the_one_of_the_company_section() {
        // Given another company in [company]
        let text = ConfigFile::shipped()
            .text()
            .replace("name = \"Ascent XR\"", "name = \"Boreal Learning\"");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        // When Billing reads its settings
        let c = BillingConfig::from_file(&file).unwrap();
        // Then it invoices in that company's name
        assert_eq!(c.company, "Boreal Learning");
    }

    #[test]
    fn a_credit_approver_role_without_a_chain_is_refused_with_its_key() {
        let text = ConfigFile::shipped().text().replace(
            "credit_approver_role = \"finance-controller\"",
            "credit_approver_role = \"controller\"",
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = BillingConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "billing.credit_approver_role");
        assert!(e.message.contains("role `controller` has no chain"), "{e}");
    }

    #[test]
    fn a_negative_credit_approval_amount_or_no_approver_is_refused_with_its_key() {
        let text = ConfigFile::shipped().text().replace(
            "credit_approval_above_minor = 2_500_000",
            "credit_approval_above_minor = -1",
        );
        let e = BillingConfig::from_file(&ConfigFile::parse("x.toml", text).unwrap()).unwrap_err();
        assert_eq!(e.path, "billing.credit_approval_above_minor");
        let text = ConfigFile::shipped().text().replace(
            "credit_approver_role = \"finance-controller\"",
            "credit_approver_role = \" \"",
        );
        let e = BillingConfig::from_file(&ConfigFile::parse("x.toml", text).unwrap()).unwrap_err();
        assert_eq!(e.path, "billing.credit_approver_role");
        let c = BillingConfig::default();
        assert_eq!(
            (
                c.credit_approval_above_minor,
                c.credit_approver_role.as_str()
            ),
            (2_500_000, "finance-controller")
        );
    }

    #[test]
    fn the_stripe_settings_are_read_and_bad_ones_refused_by_key() {
        let c = BillingConfig::default();
        assert_eq!(c.stripe.base_url, "https://api.stripe.com");
        assert_eq!(c.stripe.max_syncs_per_run, 10);
        assert_eq!(c.stripe.http.max_attempts, 4);
        assert_eq!(c.stripe.http.max_wait, Duration::from_secs(30));
        let shipped =
            "[billing.stripe]\nbase_url = \"https://api.stripe.com\"\nmax_syncs_per_run = 10\n";
        for (to, path) in [
            (
                "[billing.stripe]\nbase_url = \"https://api.stripe.com\"\nmax_syncs_per_run = 16\n",
                "billing.stripe.max_syncs_per_run",
            ),
            (
                "[billing.stripe]\nbase_url = \"https://api.stripe.com\"\nmax_syncs_per_run = 0\n",
                "billing.stripe.max_syncs_per_run",
            ),
            (
                "[billing.stripe]\nbase_url = \"api.stripe.com\"\nmax_syncs_per_run = 10\n",
                "billing.stripe.base_url",
            ),
        ] {
            assert!(ConfigFile::shipped().text().contains(shipped));
            let text = ConfigFile::shipped().text().replace(shipped, to);
            let file = ConfigFile::parse("x.toml", text).unwrap();
            let e = BillingConfig::from_file(&file).unwrap_err();
            assert_eq!(e.path, path, "{e}");
        }
    }

    #[test]
    fn an_escalation_before_the_last_reminder_is_refused_with_its_line() {
        let text = ConfigFile::shipped()
            .text()
            .replace("escalation_day = 30", "escalation_day = 15");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = BillingConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "billing.dunning.escalation_day");
        assert_eq!(e.line, file.line_of_path("billing.dunning.escalation_day"));
        assert!(e.line.is_some());
    }
}
