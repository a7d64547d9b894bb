//! Operations Analytics' settings, read once at start from `ascent.toml`:
//! `[operations_analytics]` (who gets the weekly report and on which day, the history kept, the
//! season, horizon, back-testing and band coverages of the forecasts, the smoothing weights or
//! the grid they are fitted on, the cohort table's size), the books' time zone of `[company]`
//! and the base currency and rates of `[currency]`.

use crate::forecast::Method;
use crate::holt_winters::{Smoothing, Weights};
use crate::{OperationsAnalytics, declaration};
use ascent_core::config::platform::{Company, Currency};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_weekday,
};
use ascent_core::money::FxRates;
use chrono::Weekday;
use serde::Deserialize;

/// Operations Analytics' settings.
#[derive(Clone, Debug)]
pub struct OperationsAnalyticsConfig {
    /// Who gets the weekly analytics report.
    pub operations: String,
    pub weekly_report_day: Weekday,
    /// Days each series keeps (its records expire after), and the most a forecast is fitted on.
    pub history_days: u32,
    pub method: Method,
    /// Sign-up months in the cohort table (the latest).
    pub cohort_months: u32,
    /// Months after sign-up the table follows.
    pub retention_months: u32,
    /// The books' time zone: a ticket, a sign-up or a pipeline change is on its day there.
    pub time_zone: chrono_tz::Tz,
    /// Currency of revenue and pipeline.
    pub base_currency: String,
    /// `[currency]` rates: invoices at the rates of the day they were paid, deals of the day
    /// they changed.
    pub fx: FxRates,
}

/// `[operations_analytics]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    operations: String,
    weekly_report_day: String,
    history_days: u32,
    season_days: usize,
    horizon_days: usize,
    backtest_origins: usize,
    min_backtest_origins: usize,
    coverages: Vec<f64>,
    smoothing_grid: Vec<f64>,
    #[serde(default)]
    smoothing: Option<Smoothing>,
    cohort_months: u32,
    retention_months: u32,
}

fn check_weight(path: &str, w: f64) -> Result<(), Invalid> {
    if !(w > 0.0 && w <= 1.0) {
        return Err(Invalid::new(path, "must be above 0 and at most 1"));
    }
    Ok(())
}

impl Validate for Section {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("operations", &self.operations)?;
        check_weekday("weekly_report_day", &self.weekly_report_day)?;
        check_in_range("season_days", self.season_days, 2, 31)?;
        check_in_range("horizon_days", self.horizon_days, 1, 90)?;
        check_in_range("backtest_origins", self.backtest_origins, 1, 200)?;
        check_in_range(
            "min_backtest_origins",
            self.min_backtest_origins,
            1,
            self.backtest_origins,
        )?;
        // At least what the bands need; at most two years of day records read by a report.
        let needs = 2 * self.season_days + self.horizon_days + self.min_backtest_origins - 1;
        check_in_range("history_days", self.history_days as usize, needs, 730)?;
        if self.coverages.is_empty() || self.coverages.len() > 4 {
            return Err(Invalid::new("coverages", "one to four coverages"));
        }
        for (i, c) in self.coverages.iter().enumerate() {
            let path = format!("coverages[{i}]");
            if !(0.5..=0.99).contains(c) {
                return Err(Invalid::new(path, "must be from 0.5 to 0.99"));
            }
            if i > 0 && *c <= self.coverages[i - 1] {
                return Err(Invalid::new(path, "coverages go up, each once"));
            }
        }
        // Each weight of the grid is tried with every other: at most 8³ = 512 fits per origin.
        if self.smoothing_grid.is_empty() || self.smoothing_grid.len() > 8 {
            return Err(Invalid::new("smoothing_grid", "one to eight weights"));
        }
        for (i, w) in self.smoothing_grid.iter().enumerate() {
            check_weight(&format!("smoothing_grid[{i}]"), *w)?;
        }
        if let Some(s) = &self.smoothing {
            check_weight("smoothing.alpha", s.alpha)?;
            check_weight("smoothing.beta", s.beta)?;
            check_weight("smoothing.gamma", s.gamma)?;
        }
        check_in_range("cohort_months", self.cohort_months, 1, 36)?;
        check_in_range("retention_months", self.retention_months, 1, 24)?;
        Ok(())
    }
}

impl OperationsAnalyticsConfig {
    /// Reads and validates `[operations_analytics]`, `[company]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: Section = file.section("operations_analytics")?;
        let company: Company = file.section("company")?;
        let currency: Currency = file.section("currency")?;
        let time_zone = company.time_zone.parse::<chrono_tz::Tz>().map_err(|_| {
            file.invalid(
                "company",
                Invalid::new("time_zone", "is not an IANA time zone"),
            )
        })?;
        let day = check_weekday("weekly_report_day", &s.weekly_report_day)
            .map_err(|e| file.invalid("operations_analytics", e))?;
        let weights = match s.smoothing {
            Some(w) => Weights::Fixed(w),
            None => Weights::Grid(s.smoothing_grid),
        };
        Ok(Self {
            operations: s.operations,
            weekly_report_day: day,
            history_days: s.history_days,
            method: Method {
                season_days: s.season_days,
                horizon_days: s.horizon_days,
                backtest_origins: s.backtest_origins,
                min_backtest_origins: s.min_backtest_origins,
                coverages: s.coverages,
                weights,
            },
            cohort_months: s.cohort_months,
            retention_months: s.retention_months,
            time_zone,
            fx: currency.fx(),
            base_currency: currency.base,
        })
    }
}

impl OperationsAnalytics {
    pub fn new(config: OperationsAnalyticsConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(OperationsAnalyticsConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for OperationsAnalyticsConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped())
            .expect("the shipped [operations_analytics] is valid")
    }
}

impl Default for OperationsAnalytics {
    fn default() -> Self {
        Self::new(OperationsAnalyticsConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_read() {
        let c = OperationsAnalyticsConfig::default();
        assert_eq!(c.operations, "operations@ascent-xr.example");
        assert_eq!(c.weekly_report_day, Weekday::Mon);
        assert_eq!(c.history_days, 364);
        let m = &c.method;
        assert_eq!((m.season_days, m.horizon_days), (7, 28));
        assert_eq!((m.backtest_origins, m.min_backtest_origins), (28, 8));
        assert_eq!(m.coverages, [0.8, 0.95]);
        assert_eq!(
            m.weights,
            Weights::Grid(vec![0.05, 0.1, 0.2, 0.3, 0.5, 0.8])
        );
        assert_eq!((c.cohort_months, c.retention_months), (12, 6));
        assert_eq!(c.base_currency, "USD");
        assert_eq!(c.time_zone, chrono_tz::America::Los_Angeles);
    }

    fn edited(from: &str, to: &str) -> Result<OperationsAnalyticsConfig, ConfigError> {
        let shipped = ConfigFile::shipped().text().to_string();
        let at = shipped.find("[operations_analytics]").expect("the section");
        assert!(shipped[at..].contains(from), "{from}");
        let text = format!("{}{}", &shipped[..at], shipped[at..].replacen(from, to, 1));
        OperationsAnalyticsConfig::from_file(&ConfigFile::parse("x.toml", text).unwrap())
    }

    #[test]
    fn fixed_weights_replace_the_grid() {
        let c = edited(
            "cohort_months = 12",
            "cohort_months = 12\nsmoothing = { alpha = 0.3, beta = 0.05, gamma = 0.2 }",
        )
        .unwrap();
        assert_eq!(
            c.method.weights,
            Weights::Fixed(Smoothing {
                alpha: 0.3,
                beta: 0.05,
                gamma: 0.2
            })
        );
    }

    #[test]
    fn bad_settings_are_refused_naming_the_key() {
        let cases = [
            (
                "operations = \"operations@ascent-xr.example\"",
                "operations = \"ops\"",
                "operations",
            ),
            (
                "weekly_report_day = \"Mon\"",
                "weekly_report_day = \"Funday\"",
                "weekly_report_day",
            ),
            ("history_days = 364", "history_days = 40", "history_days"),
            ("history_days = 364", "history_days = 1000", "history_days"),
            ("season_days = 7", "season_days = 1", "season_days"),
            ("horizon_days = 28", "horizon_days = 0", "horizon_days"),
            (
                "backtest_origins = 28",
                "backtest_origins = 500",
                "backtest_origins",
            ),
            (
                "min_backtest_origins = 8",
                "min_backtest_origins = 29",
                "min_backtest_origins",
            ),
            (
                "coverages = [0.8, 0.95]",
                "coverages = [0.95, 0.8]",
                "coverages[1]",
            ),
            (
                "coverages = [0.8, 0.95]",
                "coverages = [0.8, 1.0]",
                "coverages[1]",
            ),
            ("coverages = [0.8, 0.95]", "coverages = []", "coverages"),
            (
                "smoothing_grid = [0.05,",
                "smoothing_grid = [0.0,",
                "smoothing_grid[0]",
            ),
            (
                "smoothing_grid = [0.05,",
                "smoothing_grid = [nan,",
                "smoothing_grid[0]",
            ),
            (
                "cohort_months = 12",
                "cohort_months = 12\nsmoothing = { alpha = 0.3, beta = 1.5, gamma = 0.2 }",
                "smoothing.beta",
            ),
            ("cohort_months = 12", "cohort_months = 0", "cohort_months"),
            (
                "retention_months = 6",
                "retention_months = 25",
                "retention_months",
            ),
            (
                "retention_months = 6",
                "retention_months = 6\nwhim = 1",
                "whim",
            ),
        ];
        for (from, to, key) in cases {
            let e = edited(from, to).unwrap_err();
            let path = format!("operations_analytics.{key}");
            assert!(
                e.path.starts_with(&path),
                "{to}: {} ({})",
                e.path,
                e.message
            );
            assert!(e.line.is_some(), "{to}");
        }
    }
}
