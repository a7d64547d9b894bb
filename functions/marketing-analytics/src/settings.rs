//! Marketing Analytics' settings, read once at start from `ascent.toml`: `[marketing_analytics]`
//! (who gets the weekly report and on which day, the lookback of the measured returns, the
//! report's model, the attribution window, touches kept per contact, the time-decay half-life
//! and the position-based shares) and the base currency and rates of `[currency]`.

use crate::models::{ModelSettings, PositionShares};
use crate::{MarketingAnalytics, declaration};
use ascent_core::catalog::AttributionModel;
use ascent_core::config::platform::Currency;
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_weekday,
};
use ascent_core::money::FxRates;
use chrono::Weekday;
use serde::{Deserialize, Serialize};

/// Marketing Analytics' settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnalyticsConfig {
    /// Who gets the weekly report.
    pub marketing: String,
    pub weekly_report_day: Weekday,
    /// The measured returns cover this many days before the report day.
    pub lookback_days: u32,
    /// The model the report, ROI, CAC and the measured returns credit by.
    pub report_model: AttributionModel,
    /// Touches up to this many days before a win or sign-up are credited.
    pub attribution_window_days: u32,
    /// Touches kept per contact (the most recent).
    pub touches_kept: usize,
    pub models: ModelSettings,
    /// Currency of the ledger and the report.
    pub base_currency: String,
    /// `[currency]` rates: deals and spend are converted on their day.
    pub fx: FxRates,
}

/// `[marketing_analytics]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyticsSection {
    marketing: String,
    weekly_report_day: String,
    lookback_days: u32,
    report_model: AttributionModel,
    attribution_window_days: u32,
    touches_kept: usize,
    half_life_days: f64,
    position_shares: PositionShares,
}

/// Most touches kept per contact: each is ~150 bytes of the contact's one item (far below
/// DynamoDB's 400 KB).
const MAX_TOUCHES_KEPT: usize = 500;

impl Validate for AnalyticsSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("marketing", &self.marketing)?;
        check_weekday("weekly_report_day", &self.weekly_report_day)?;
        // At least the report's week; at most a year of day ledgers read by one report.
        check_in_range("lookback_days", self.lookback_days, 7, 366)?;
        check_in_range(
            "attribution_window_days",
            self.attribution_window_days,
            1,
            730,
        )?;
        check_in_range("touches_kept", self.touches_kept, 1, MAX_TOUCHES_KEPT)?;
        if !self.half_life_days.is_finite() {
            return Err(Invalid::new("half_life_days", "is not a number"));
        }
        check_in_range("half_life_days", self.half_life_days, 0.5, 365.0)?;
        let p = self.position_shares;
        if p.first + p.middle + p.last != 100 {
            return Err(Invalid::new(
                "position_shares",
                format!(
                    "first + middle + last must be 100 (percent), not {}",
                    p.first + p.middle + p.last
                ),
            ));
        }
        Ok(())
    }
}

impl AnalyticsConfig {
    /// Reads and validates `[marketing_analytics]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: AnalyticsSection = file.section("marketing_analytics")?;
        let currency: Currency = file.section("currency")?;
        let day = check_weekday("weekly_report_day", &s.weekly_report_day)
            .map_err(|e| file.invalid("marketing_analytics", e))?;
        Ok(Self {
            marketing: s.marketing,
            weekly_report_day: day,
            lookback_days: s.lookback_days,
            report_model: s.report_model,
            attribution_window_days: s.attribution_window_days,
            touches_kept: s.touches_kept,
            models: ModelSettings {
                half_life_days: s.half_life_days,
                position: s.position_shares,
            },
            fx: currency.fx(),
            base_currency: currency.base,
        })
    }
}

impl MarketingAnalytics {
    pub fn new(config: AnalyticsConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(AnalyticsConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [marketing_analytics] is valid")
    }
}

impl Default for MarketingAnalytics {
    fn default() -> Self {
        Self::new(AnalyticsConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_read() {
        let c = AnalyticsConfig::default();
        assert_eq!(c.marketing, "marketing@ascent-xr.example");
        assert_eq!(c.weekly_report_day, Weekday::Mon);
        assert_eq!((c.lookback_days, c.attribution_window_days), (90, 180));
        assert_eq!(c.report_model, AttributionModel::PositionBased);
        assert_eq!(c.touches_kept, 50);
        assert_eq!(c.models.half_life_days, 7.0);
        assert_eq!(
            c.models.position,
            PositionShares {
                first: 40,
                middle: 20,
                last: 40
            }
        );
        assert_eq!(c.base_currency, "USD");
    }

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        let at = shipped.find("[marketing_analytics]").expect("the section");
        assert!(shipped[at..].contains(from), "{from}");
        let text = format!("{}{}", &shipped[..at], shipped[at..].replacen(from, to, 1));
        let file = ConfigFile::parse("x.toml", text).unwrap();
        AnalyticsConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn bad_settings_are_refused_naming_the_key() {
        let cases = [
            (
                "marketing = \"marketing@ascent-xr.example\"",
                "marketing = \"marketing\"",
                "marketing_analytics.marketing",
            ),
            (
                "weekly_report_day = \"Mon\"",
                "weekly_report_day = \"Someday\"",
                "marketing_analytics.weekly_report_day",
            ),
            (
                "lookback_days = 90",
                "lookback_days = 6",
                "marketing_analytics.lookback_days",
            ),
            (
                "report_model = \"position_based\"",
                "report_model = \"gut_feeling\"",
                "marketing_analytics.report_model",
            ),
            (
                "attribution_window_days = 180",
                "attribution_window_days = 0",
                "marketing_analytics.attribution_window_days",
            ),
            (
                "touches_kept = 50",
                "touches_kept = 5000",
                "marketing_analytics.touches_kept",
            ),
            (
                "half_life_days = 7.0",
                "half_life_days = nan",
                "marketing_analytics.half_life_days",
            ),
            (
                "half_life_days = 7.0",
                "half_life_days = 0.0",
                "marketing_analytics.half_life_days",
            ),
            (
                "middle = 20,",
                "middle = 30,",
                "marketing_analytics.position_shares",
            ),
        ];
        for (from, to, path) in cases {
            let e = refused(from, to);
            assert!(e.path.starts_with(path), "{to}: {} ({})", e.path, e.message);
            assert!(e.line.is_some(), "{to}");
        }
    }
}
