//! The Marketing Orchestrator's settings, read once at start from `ascent.toml`:
//! `[marketing_orchestrator]` (who gets the weekly plan report and on which day, who asks for
//! and who approves budget changes, the plan total per period, the greedy step and the
//! diminishing return, the rise on one channel that needs approval, campaigns read per run,
//! and per channel its floor, cap and the budget in effect at start), the approver chains of
//! `[approvals]` and the base currency of `[currency]`.

use crate::allocation::{Allocation, Bounds, Rules};
use crate::{MarketingOrchestrator, declaration};
use ascent_core::catalog::MarketingChannel;
use ascent_core::config::platform::{Approvals, Currency};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_weekday,
};
use chrono::Weekday;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The Marketing Orchestrator's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct OrchestratorConfig {
    /// Who gets the weekly marketing plan report and hears of rejected plans.
    pub marketing: String,
    /// On whose behalf budget changes are asked for (never an approver).
    pub requester: String,
    /// The role whose chain approves budget changes.
    pub approver_role: String,
    pub weekly_report_day: Weekday,
    /// The greedy allocation's total, step, diminishing return, floors and caps.
    pub rules: Rules,
    /// A channel rising by more than this (minor units) needs approval.
    pub approval_above: i64,
    /// The budgets in effect before the first reallocation.
    pub start: Allocation,
    /// Campaigns read per run (the report, the cost-per-acquisition check).
    pub campaigns_per_run: usize,
    pub base_currency: String,
}

/// One channel of `[marketing_orchestrator.channels]`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelSection {
    floor_minor: i64,
    cap_minor: i64,
    start_minor: i64,
}

/// `[marketing_orchestrator]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    marketing: String,
    requester: String,
    approver_role: String,
    weekly_report_day: String,
    plan_total_minor: i64,
    step_minor: i64,
    diminishing_return: f64,
    approval_above_minor: i64,
    campaigns_per_run: usize,
    channels: BTreeMap<MarketingChannel, ChannelSection>,
}

/// Most greedy steps one allocation takes (the plan total over the step).
const MAX_STEPS: i64 = 10_000;

/// Campaigns read per run at most: the report and the check stay one bounded read each.
const MAX_CAMPAIGNS_PER_RUN: usize = 100;

impl Validate for Section {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("marketing", &self.marketing)?;
        check_email("requester", &self.requester)?;
        check_weekday("weekly_report_day", &self.weekly_report_day)?;
        check_in_range("plan_total_minor", self.plan_total_minor, 1, i64::MAX / 4)?;
        check_in_range("step_minor", self.step_minor, 1, self.plan_total_minor)?;
        if self.plan_total_minor / self.step_minor > MAX_STEPS {
            return Err(Invalid::new(
                "step_minor",
                format!(
                    "at least plan_total_minor / {MAX_STEPS} (one allocation, at most {MAX_STEPS} steps)"
                ),
            ));
        }
        if !self.diminishing_return.is_finite() {
            return Err(Invalid::new("diminishing_return", "is not a number"));
        }
        check_in_range("diminishing_return", self.diminishing_return, 0.01, 1.0)?;
        check_in_range(
            "approval_above_minor",
            self.approval_above_minor,
            0,
            i64::MAX / 4,
        )?;
        check_in_range(
            "campaigns_per_run",
            self.campaigns_per_run,
            1,
            MAX_CAMPAIGNS_PER_RUN,
        )?;
        if self.channels.is_empty() {
            return Err(Invalid::new("channels", "budget at least one channel"));
        }
        for (c, s) in &self.channels {
            let path = format!("channels.{}", crate::allocation::channel_name(*c));
            check_in_range(
                &format!("{path}.floor_minor"),
                s.floor_minor,
                0,
                i64::MAX / 4,
            )?;
            check_in_range(
                &format!("{path}.cap_minor"),
                s.cap_minor,
                s.floor_minor,
                i64::MAX / 4,
            )?;
            check_in_range(
                &format!("{path}.start_minor"),
                s.start_minor,
                s.floor_minor,
                s.cap_minor,
            )?;
        }
        let floors: i64 = self.channels.values().map(|s| s.floor_minor).sum();
        let caps: i64 = self.channels.values().map(|s| s.cap_minor).sum();
        if !(floors <= self.plan_total_minor && self.plan_total_minor <= caps) {
            return Err(Invalid::new(
                "plan_total_minor",
                format!("must lie between the channels' floors ({floors}) and caps ({caps})"),
            ));
        }
        Ok(())
    }
}

impl OrchestratorConfig {
    /// Reads and validates `[marketing_orchestrator]`, `[approvals]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: Section = file.section("marketing_orchestrator")?;
        let currency: Currency = file.section("currency")?;
        let approvals: Approvals = file.section("approvals")?;
        approvals
            .check_role("approver_role", &s.approver_role)
            .map_err(|e| file.invalid("marketing_orchestrator", e))?;
        let day = check_weekday("weekly_report_day", &s.weekly_report_day)
            .map_err(|e| file.invalid("marketing_orchestrator", e))?;
        Ok(Self {
            marketing: s.marketing,
            requester: s.requester,
            approver_role: s.approver_role,
            weekly_report_day: day,
            rules: Rules {
                total: s.plan_total_minor,
                step: s.step_minor,
                diminishing_return: s.diminishing_return,
                channels: s
                    .channels
                    .iter()
                    .map(|(c, b)| {
                        let bounds = Bounds {
                            floor: b.floor_minor,
                            cap: b.cap_minor,
                        };
                        (*c, bounds)
                    })
                    .collect(),
            },
            approval_above: s.approval_above_minor,
            start: s
                .channels
                .iter()
                .map(|(c, b)| (*c, b.start_minor))
                .collect(),
            campaigns_per_run: s.campaigns_per_run,
            base_currency: currency.base,
        })
    }
}

impl MarketingOrchestrator {
    pub fn new(config: OrchestratorConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(OrchestratorConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for OrchestratorConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped())
            .expect("the shipped [marketing_orchestrator] is valid")
    }
}

impl Default for MarketingOrchestrator {
    fn default() -> Self {
        Self::new(OrchestratorConfig::default())
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
pub(crate) mod tests;
