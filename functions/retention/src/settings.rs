//! Retention's settings, read once at start from `ascent.toml`: `[retention]` (who runs
//! executive outreach, tier thresholds, renewal reminders, when a new score is announced,
//! when the learned model takes over, accounts per hourly run), each plan's success manager
//! from `[plans]`, and the base currency of `[currency]`.

use crate::{Retention, declaration};
use ascent_core::catalog::HealthTier;
use ascent_core::config::platform::{Currency, Plans};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range,
};
use serde::{Deserialize, Serialize};

/// Retention's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RetentionConfig {
    /// Who runs executive outreach for at-risk accounts.
    pub executive: String,
    /// Outcomes the learned model needs before it replaces the default weights.
    pub learn_after_outcomes: u32,
    /// Accounts scored per hourly run at most.
    pub accounts_per_run: usize,
    /// Renewal reminders, days ahead, largest first.
    pub renewal_reminder_days: Vec<u32>,
    /// A score that moved at least this much (or changed tier) is announced again.
    pub rescore_announce_delta: u8,
    pub tiers: Tiers,
    pub plans: Plans,
    pub base_currency: String,
}

/// Health score thresholds of the tiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    /// From this score up an account is healthy.
    pub healthy_from: u8,
    /// From this score up (below `healthy_from`) an account is watched; below, at risk.
    pub watch_from: u8,
}

impl Tiers {
    pub fn tier(&self, score: u8) -> HealthTier {
        if score >= self.healthy_from {
            HealthTier::Healthy
        } else if score >= self.watch_from {
            HealthTier::Watch
        } else {
            HealthTier::AtRisk
        }
    }
}

/// `[retention]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionSection {
    executive: String,
    learn_after_outcomes: u32,
    accounts_per_run: usize,
    renewal_reminder_days: Vec<u32>,
    rescore_announce_delta: u8,
    tiers: Tiers,
}

impl Validate for RetentionSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("executive", &self.executive)?;
        check_in_range(
            "learn_after_outcomes",
            self.learn_after_outcomes,
            1,
            1_000_000,
        )?;
        // Each account scored is one write of the run's one commit: at most what one
        // DynamoDB transaction holds (each write audited, plus the idempotency record).
        check_in_range(
            "accounts_per_run",
            self.accounts_per_run,
            1,
            ascent_core::limits::MAX_WRITES,
        )?;
        for (i, d) in self.renewal_reminder_days.iter().enumerate() {
            check_in_range(&format!("renewal_reminder_days[{i}]"), *d, 1, 365)?;
            if self.renewal_reminder_days[..i].contains(d) {
                return Err(Invalid::new(
                    format!("renewal_reminder_days[{i}]"),
                    "listed twice",
                ));
            }
        }
        check_in_range(
            "rescore_announce_delta",
            self.rescore_announce_delta,
            0,
            100,
        )?;
        let t = self.tiers;
        if !(0 < t.watch_from && t.watch_from < t.healthy_from && t.healthy_from <= 100) {
            return Err(Invalid::new(
                "tiers",
                "need 0 < watch_from < healthy_from <= 100",
            ));
        }
        Ok(())
    }
}

impl RetentionConfig {
    /// Reads and validates `[retention]`, `[plans]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: RetentionSection = file.section("retention")?;
        let plans: Plans = file.section("plans")?;
        let currency: Currency = file.section("currency")?;
        let mut reminders = s.renewal_reminder_days;
        reminders.sort_unstable_by(|a, b| b.cmp(a));
        Ok(Self {
            executive: s.executive,
            learn_after_outcomes: s.learn_after_outcomes,
            accounts_per_run: s.accounts_per_run,
            renewal_reminder_days: reminders,
            rescore_announce_delta: s.rescore_announce_delta,
            tiers: s.tiers,
            plans,
            base_currency: currency.base,
        })
    }
}

impl Retention {
    pub fn new(config: RetentionConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(RetentionConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for RetentionConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [retention] is valid")
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self::new(RetentionConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = RetentionConfig::default();
        assert_eq!(c.executive, "vp.customer-success@ascent-xr.example");
        assert_eq!((c.learn_after_outcomes, c.accounts_per_run), (10, 40));
        assert_eq!(c.renewal_reminder_days, [90, 60, 30]);
        assert_eq!(c.rescore_announce_delta, 5);
        assert_eq!(c.tiers.tier(70), HealthTier::Healthy);
        assert_eq!(c.tiers.tier(69), HealthTier::Watch);
        assert_eq!(c.tiers.tier(45), HealthTier::Watch);
        assert_eq!(c.tiers.tier(44), HealthTier::AtRisk);
        assert_eq!(
            c.plans.success_manager("enterprise"),
            "csm.enterprise@ascent-xr.example"
        );
    }

    #[test]
    fn tiers_out_of_order_are_refused() {
        let text = ConfigFile::shipped().text().replace(
            "tiers = { healthy_from = 70, watch_from = 45 }",
            "tiers = { healthy_from = 40, watch_from = 45 }",
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = RetentionConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "retention.tiers");
        assert!(e.line.is_some());
    }
}
