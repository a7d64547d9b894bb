//! Retention's settings, read once at start from `ascent.toml`: `[retention]` (who runs
//! executive outreach, tier thresholds, renewal reminders, when a new score is announced,
//! when the learned model takes over, accounts per hourly run, the health components' weights
//! and points in `[retention.health]`), each plan's success manager from `[plans]`, and the
//! base currency of `[currency]`.

use crate::health::{HealthSettings, ModelStart};
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
    /// Subscription term: an account renews this many calendar months after sign-up.
    pub term_months: u32,
    /// Renewal reminders, days ahead, largest first.
    pub renewal_reminder_days: Vec<u32>,
    /// A score that moved at least this much (or changed tier) is announced again.
    pub rescore_announce_delta: u8,
    pub tiers: Tiers,
    /// How the health components are scored and weighted.
    pub health: HealthSettings,
    /// Where the learned model starts.
    pub model: ModelStart,
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
    term_months: u32,
    renewal_reminder_days: Vec<u32>,
    rescore_announce_delta: u8,
    tiers: Tiers,
    health: HealthSettings,
    model: ModelStart,
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
        check_in_range("term_months", self.term_months, 1, 120)?;
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
        self.health.check("health")?;
        self.model.check("model")?;
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
            term_months: s.term_months,
            renewal_reminder_days: reminders,
            rescore_announce_delta: s.rescore_announce_delta,
            tiers: s.tiers,
            health: s.health,
            model: s.model,
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

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
        RetentionConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn invalid_health_settings_are_refused_by_key_path() {
        let e = refused("nps = 0.15,", "nps = 0.25,");
        assert_eq!(e.path, "retention.health.weights");
        assert!(e.line.is_some());
        let e = refused("urgent = 30,", "urgent = 130,");
        assert_eq!(e.path, "retention.health.ticket_penalty.urgent");
        assert!(e.line.is_some());
        let e = refused(
            "{ within_days = 14, points = 70 }",
            "{ within_days = 5, points = 70 }",
        );
        assert_eq!(e.path, "retention.health.engagement[1].within_days");
        assert!(e.line.is_some());
        let e = refused("usage_ratio_floor = 0.2", "usage_ratio_floor = 1.0");
        assert_eq!(e.path, "retention.health.usage_ratio_floor");
        let e = refused("new_account_points = 60", "new_account_points = 101");
        assert_eq!(e.path, "retention.health.new_account_points");
        let e = refused("history_days = 60", "history_days = 59");
        assert_eq!(e.path, "retention.health.history_days");
        let e = refused("no_nps_points = 60", "no_nps_points = 60\nbonus = 1");
        assert!(e.path.contains("bonus"), "{}", e.path);
        assert!(e.line.is_some());
    }

    fn with(from: &str, to: &str) -> RetentionConfig {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
        RetentionConfig::from_file(&file).unwrap()
    }

    #[test]
    fn the_term_and_the_model_s_start_come_from_the_file() {
        let shipped = RetentionConfig::default();
        assert_eq!(shipped.term_months, 12);
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(crate::renewal_of(d("2026-01-10"), 12), d("2027-01-10"));
        // Calendar months, not 365 days: a leap year's sign-up renews on the same date.
        assert_eq!(crate::renewal_of(d("2028-03-01"), 12), d("2029-03-01"));
        assert_eq!(crate::renewal_of(d("2026-08-31"), 6), d("2027-02-28"));
        let half_year = with("\nterm_months = 12", "\nterm_months = 6");
        assert_eq!(half_year.term_months, 6);

        // Shipped: an even chance at a score of 50 (every component at 0.5).
        let p = shipped.model.prior();
        assert!((p.predict(&[0.5; 5]) - 0.5).abs() < 1e-9);
        let bolder = with("intercept = -5.0", "intercept = -3.0").model.prior();
        assert!(bolder.predict(&[0.5; 5]) > 0.8);
    }

    #[test]
    fn an_invalid_term_or_model_start_is_refused_by_key_path() {
        let e = refused("\nterm_months = 12", "\nterm_months = 0");
        assert_eq!(e.path, "retention.term_months");
        assert!(e.line.is_some());
        let e = refused("intercept = -5.0", "intercept = inf");
        assert_eq!(e.path, "retention.model.intercept");
        let e = refused("nps = 1.5,", "nps = nan,");
        assert_eq!(e.path, "retention.model.weights.nps");
        assert!(e.line.is_some());
    }
}
