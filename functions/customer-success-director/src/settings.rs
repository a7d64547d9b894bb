//! The Customer Success Director's settings: `[customer_success]` of `ascent.toml` (who gets
//! the weekly report and on which day, the NPS and renewal windows, the upsell threshold and
//! the renewal rate assumed per health tier) and the base currency of `[currency]`.

use crate::{CustomerSuccessDirector, declaration};
use ascent_core::catalog::HealthTier;
use ascent_core::config::platform::Currency;
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_weekday,
};
use chrono::Weekday;
use serde::{Deserialize, Serialize};

/// The Customer Success Director's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CsConfig {
    /// Who gets the weekly report.
    pub director: String,
    pub weekly_report_day: Weekday,
    /// NPS of the last this many days, compared with the same span before.
    pub nps_window_days: i64,
    /// Renewals this many days ahead count in the report.
    pub renewal_window_days: i64,
    /// A healthy account using at least this share of its seats (percent) is an upsell.
    pub upsell_seat_use_pct: u32,
    pub renewal_rate: RenewalRate,
    /// Currency of the ARR sums.
    pub base_currency: String,
    /// `[currency]` rates: converts per-currency ARR into one base-currency figure.
    pub fx: ascent_core::money::FxRates,
}

/// Share of ARR expected to renew, per health tier (an unscored account counts as watch).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalRate {
    pub healthy: f64,
    pub watch: f64,
    pub at_risk: f64,
}

impl RenewalRate {
    pub fn of(&self, tier: Option<HealthTier>) -> f64 {
        match tier {
            Some(HealthTier::Healthy) => self.healthy,
            Some(HealthTier::Watch) | None => self.watch,
            Some(HealthTier::AtRisk) => self.at_risk,
        }
    }
}

/// `[customer_success]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsSection {
    director: String,
    weekly_report_day: String,
    nps_window_days: i64,
    renewal_window_days: i64,
    upsell_seat_use_pct: u32,
    renewal_rate: RenewalRate,
}

impl Validate for CsSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("director", &self.director)?;
        check_weekday("weekly_report_day", &self.weekly_report_day)?;
        check_in_range("nps_window_days", self.nps_window_days, 7, 365)?;
        check_in_range("renewal_window_days", self.renewal_window_days, 1, 365)?;
        check_in_range("upsell_seat_use_pct", self.upsell_seat_use_pct, 1, 100)?;
        let r = self.renewal_rate;
        check_in_range("renewal_rate.healthy", r.healthy, 0.0, 1.0)?;
        check_in_range("renewal_rate.watch", r.watch, 0.0, 1.0)?;
        check_in_range("renewal_rate.at_risk", r.at_risk, 0.0, 1.0)
    }
}

impl CsConfig {
    /// Reads and validates `[customer_success]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: CsSection = file.section("customer_success")?;
        let currency: Currency = file.section("currency")?;
        let day = check_weekday("weekly_report_day", &s.weekly_report_day)
            .map_err(|e| file.invalid("customer_success", e))?;
        Ok(Self {
            director: s.director,
            weekly_report_day: day,
            nps_window_days: s.nps_window_days,
            renewal_window_days: s.renewal_window_days,
            upsell_seat_use_pct: s.upsell_seat_use_pct,
            renewal_rate: s.renewal_rate,
            fx: currency.fx(),
            base_currency: currency.base,
        })
    }
}

impl CustomerSuccessDirector {
    pub fn new(config: CsConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(CsConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for CsConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [customer_success] is valid")
    }
}

impl Default for CustomerSuccessDirector {
    fn default() -> Self {
        Self::new(CsConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = CsConfig::default();
        assert_eq!(c.director, "cs.director@ascent-xr.example");
        assert_eq!(c.weekly_report_day, Weekday::Mon);
        assert_eq!((c.nps_window_days, c.renewal_window_days), (90, 90));
        assert_eq!(c.upsell_seat_use_pct, 90);
        assert_eq!(c.renewal_rate.of(None), 0.75);
        assert_eq!(c.renewal_rate.of(Some(HealthTier::AtRisk)), 0.4);
        assert_eq!(c.base_currency, "USD");
    }

    #[test]
    fn a_bad_weekday_is_refused() {
        let text = ConfigFile::shipped().text().replace(
            "weekly_report_day = \"Mon\"",
            "weekly_report_day = \"Funday\"",
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = CsConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "customer_success.weekly_report_day");
        assert!(e.line.is_some());
    }
}
