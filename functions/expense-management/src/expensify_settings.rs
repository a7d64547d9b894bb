//! `[expenses.expensify]`: marking reports reimbursed in Expensify — the Integration Server's
//! endpoint, how many batches a run tells it of, the HTTP retry policy. The partner
//! credentials come from the environment ([`PARTNER_USER_ID_VAR`], [`PARTNER_USER_SECRET_VAR`]).

use ascent_core::config::{Invalid, check_email, check_in_range};
use ascent_integrations::RetryPolicy;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The environment variable holding Expensify's `partnerUserID`.
pub const PARTNER_USER_ID_VAR: &str = "ASCENT_EXPENSIFY_PARTNER_USER_ID";
/// The environment variable holding Expensify's `partnerUserSecret`.
pub const PARTNER_USER_SECRET_VAR: &str = "ASCENT_EXPENSIFY_PARTNER_USER_SECRET";

/// Most batches one run may tell Expensify of: each costs up to three writes (the outbox, the
/// batch record, the held copy), within one message's 49.
pub const MAX_SYNCS_PER_RUN: usize = 15;

/// `[expenses.expensify]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpensifySection {
    url: String,
    max_syncs_per_run: usize,
    accounts_payable: String,
    http: HttpSection,
}

/// `[expenses.expensify.http]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSection {
    max_attempts: u32,
    backoff_ms: u64,
    max_wait_seconds: u64,
    timeout_seconds: u64,
}

/// Reports marked reimbursed in Expensify: `[expenses.expensify]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpensifySettings {
    /// The Integration Server's endpoint
    /// (`https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations`).
    pub url: String,
    /// Batches one hourly run tells Expensify of at most; the rest wait for the next run.
    pub max_syncs_per_run: usize,
    /// Accounts payable: a refused change is raised on their behalf, and they mark the reports
    /// by hand when it is given up.
    pub accounts_payable: String,
    /// Attempts, backoff, longest `Retry-After` waited, time limit of one request.
    pub http: RetryPolicy,
}

impl ExpensifySection {
    /// Checks the section (paths relative to `[expenses]`).
    pub(crate) fn check(&self) -> Result<(), Invalid> {
        if !(self.url.starts_with("https://") || self.url.starts_with("http://"))
            || self.url.trim() != self.url
        {
            return Err(Invalid::new(
                "expensify.url",
                "an http(s) URL, like `https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations`",
            ));
        }
        check_in_range(
            "expensify.max_syncs_per_run",
            self.max_syncs_per_run,
            1,
            MAX_SYNCS_PER_RUN,
        )?;
        check_email("expensify.accounts_payable", &self.accounts_payable)?;
        check_in_range("expensify.http.max_attempts", self.http.max_attempts, 1, 10)?;
        check_in_range("expensify.http.backoff_ms", self.http.backoff_ms, 1, 60_000)?;
        check_in_range(
            "expensify.http.max_wait_seconds",
            self.http.max_wait_seconds,
            0,
            900,
        )?;
        check_in_range(
            "expensify.http.timeout_seconds",
            self.http.timeout_seconds,
            1,
            120,
        )
    }

    pub(crate) fn settings(&self) -> ExpensifySettings {
        ExpensifySettings {
            url: self.url.clone(),
            max_syncs_per_run: self.max_syncs_per_run,
            accounts_payable: self.accounts_payable.clone(),
            http: RetryPolicy {
                max_attempts: self.http.max_attempts,
                backoff: Duration::from_millis(self.http.backoff_ms),
                max_wait: Duration::from_secs(self.http.max_wait_seconds),
                timeout: Duration::from_secs(self.http.timeout_seconds),
            },
        }
    }
}
