//! Reporting's settings, read once at start from `ascent.toml`: `[reporting]` (the weekly
//! report's day, the holidays the monthly report skips, the anomaly detection's window and
//! threshold, the HTML bound), each department's address, cadences and figures in
//! `[reporting.departments.*]`, the books' time zone of `[company]` and the rates of
//! `[currency]`.

use crate::figures::Figure;
use crate::{Reporting, declaration};
use ascent_core::catalog::ReportCadence;
use ascent_core::config::platform::{Company, Currency};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_weekday,
};
use ascent_core::money::FxRates;
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The departments a report can be for (the keys of `[reporting.departments]`).
pub const DEPARTMENTS: [&str; 5] = [
    "marketing",
    "sales",
    "finance",
    "customer_success",
    "operations",
];

/// The smallest HTML bound allowed: the report without its charts (figures by day, at most 31
/// days of 19 figures) always fits in it.
pub const MIN_HTML_BYTES: usize = 50_000;
/// The largest: the stored report (HTML and CSV) and its mail (HTML, text and the CSV) each
/// stay well inside DynamoDB's 400 KB item.
pub const MAX_HTML_BYTES: usize = 200_000;
/// Anomalies raised as `ThresholdCrossed` by one report at most: each is one write (its
/// once-per-KPI-and-day marker) besides the report itself, within a message's writes.
pub const MAX_RAISED_PER_REPORT: usize = ascent_core::limits::MAX_WRITES - 2;

/// One department's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentReport {
    /// Who gets it.
    pub to: String,
    /// How often: `daily`, `weekly`, `monthly`.
    pub cadences: Vec<ReportCadence>,
    /// What it carries, in this order.
    pub figures: Vec<Figure>,
}

/// Anomaly detection on the figures.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnomalySettings {
    /// A day is scored against this many days before it.
    pub window_days: u32,
    /// Of which at least this many must have counted anything for the department (no
    /// anomalies out of the days before Reporting started counting).
    pub min_days_with_data: u32,
    /// `|robust z| above this` is an anomaly (3.5, Iglewicz and Hoaglin).
    pub threshold: f64,
}

/// Reporting's settings.
#[derive(Clone, Debug)]
pub struct ReportingConfig {
    /// The weekly reports go out on this day (the company's date of the daily run).
    pub weekly_on: Weekday,
    /// Days that are not business days besides Saturdays and Sundays.
    pub holidays: Vec<NaiveDate>,
    pub anomalies: AnomalySettings,
    /// The report's HTML at most (bytes): above it, the charts are left out, and it says so.
    pub max_html_bytes: usize,
    /// How long a counted fact's key is remembered against counting it twice (days).
    pub remember_days: u32,
    pub departments: BTreeMap<String, DepartmentReport>,
    pub company: String,
    pub time_zone: chrono_tz::Tz,
    pub base_currency: String,
    pub fx: FxRates,
}

/// `[reporting]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportingSection {
    weekly_on: String,
    holidays: Vec<NaiveDate>,
    anomalies: AnomalySettings,
    max_html_bytes: usize,
    remember_days: u32,
    departments: BTreeMap<String, DepartmentReport>,
}

impl Validate for ReportingSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_weekday("weekly_on", &self.weekly_on)?;
        let a = self.anomalies;
        check_in_range("anomalies.window_days", a.window_days, 5, 90)?;
        check_in_range(
            "anomalies.min_days_with_data",
            a.min_days_with_data,
            1,
            a.window_days,
        )?;
        if !a.threshold.is_finite() || a.threshold <= 0.0 {
            return Err(Invalid::new(
                "anomalies.threshold",
                format!("{} is not a positive number", a.threshold),
            ));
        }
        check_in_range(
            "max_html_bytes",
            self.max_html_bytes,
            MIN_HTML_BYTES,
            MAX_HTML_BYTES,
        )?;
        check_in_range("remember_days", self.remember_days, 31, 3660)?;
        if self.departments.is_empty() {
            return Err(Invalid::new("departments", "no department gets a report"));
        }
        for (name, d) in &self.departments {
            let at = format!("departments.{name}");
            if !DEPARTMENTS.contains(&name.as_str()) {
                return Err(Invalid::new(
                    &at,
                    format!("not a department (known: {})", DEPARTMENTS.join(", ")),
                ));
            }
            check_email(&format!("{at}.to"), &d.to)?;
            if d.cadences.is_empty() {
                return Err(Invalid::new(format!("{at}.cadences"), "is empty"));
            }
            if d.figures.is_empty() {
                return Err(Invalid::new(format!("{at}.figures"), "is empty"));
            }
            for (i, c) in d.cadences.iter().enumerate() {
                if d.cadences[..i].contains(c) {
                    return Err(Invalid::new(format!("{at}.cadences[{i}]"), "listed twice"));
                }
            }
            for (i, f) in d.figures.iter().enumerate() {
                if d.figures[..i].contains(f) {
                    return Err(Invalid::new(format!("{at}.figures[{i}]"), "listed twice"));
                }
            }
        }
        Ok(())
    }
}

impl ReportingConfig {
    /// Reads and validates `[reporting]`, `[company]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: ReportingSection = file.section("reporting")?;
        let company: Company = file.section("company")?;
        let currency: Currency = file.section("currency")?;
        let time_zone = company.time_zone.parse::<chrono_tz::Tz>().map_err(|_| {
            file.invalid(
                "company",
                Invalid::new("time_zone", "is not an IANA time zone"),
            )
        })?;
        let weekly_on =
            check_weekday("weekly_on", &s.weekly_on).map_err(|e| file.invalid("reporting", e))?;
        Ok(Self {
            weekly_on,
            holidays: s.holidays,
            anomalies: s.anomalies,
            max_html_bytes: s.max_html_bytes,
            remember_days: s.remember_days,
            departments: s.departments,
            company: company.name,
            time_zone,
            fx: currency.fx(),
            base_currency: currency.base,
        })
    }
}

impl Reporting {
    pub fn new(config: ReportingConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(ReportingConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for ReportingConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [reporting] is valid")
    }
}

impl Default for Reporting {
    fn default() -> Self {
        Self::new(ReportingConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = ReportingConfig::default();
        assert_eq!(c.weekly_on, Weekday::Mon);
        assert_eq!(c.anomalies.window_days, 28);
        assert_eq!(c.anomalies.min_days_with_data, 7);
        assert_eq!(c.anomalies.threshold, 3.5);
        assert_eq!(c.max_html_bytes, 200_000);
        assert_eq!(c.base_currency, "USD");
        assert_eq!(c.time_zone, chrono_tz::America::Los_Angeles);
        let names: Vec<&str> = c.departments.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "customer_success",
                "finance",
                "marketing",
                "operations",
                "sales"
            ]
        );
        let sales = &c.departments["sales"];
        assert_eq!(sales.to, "sales.director@ascent-xr.example");
        assert_eq!(
            sales.cadences,
            [
                ReportCadence::Daily,
                ReportCadence::Weekly,
                ReportCadence::Monthly
            ]
        );
        assert_eq!(sales.figures[0], Figure::Leads);
        assert!(c.holidays.contains(&"2026-01-01".parse().unwrap()));
    }

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
        ReportingConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn bad_values_are_refused_naming_their_key() {
        let e = refused("weekly_on = \"Mon\"", "weekly_on = \"Someday\"");
        assert_eq!(e.path, "reporting.weekly_on");
        assert!(e.line.is_some());
        let e = refused("threshold = 3.5", "threshold = -1.0");
        assert_eq!(e.path, "reporting.anomalies.threshold");
        let e = refused("window_days = 28", "window_days = 400");
        assert_eq!(e.path, "reporting.anomalies.window_days");
        let e = refused("max_html_bytes = 200_000", "max_html_bytes = 900_000");
        assert_eq!(e.path, "reporting.max_html_bytes");
        let e = refused(
            "to = \"sales.director@ascent-xr.example\"",
            "to = \"sales director\"",
        );
        assert_eq!(e.path, "reporting.departments.sales.to");
        let e = refused(
            "[reporting.departments.operations]",
            "[reporting.departments.legal]",
        );
        assert_eq!(e.path, "reporting.departments.legal");
    }

    #[test]
    fn an_unknown_figure_or_cadence_is_refused_by_its_path() {
        let e = refused("figures = [\"leads\",", "figures = [\"leeds\",");
        assert!(e.path.starts_with("reporting.departments."), "{}", e.path);
        assert!(e.path.contains("figures"), "{}", e.path);
        assert!(e.message.contains("leeds"), "{}", e.message);
        let e = refused("cadences = [\"daily\",", "cadences = [\"hourly\",");
        assert!(e.path.contains("cadences"), "{}", e.path);
    }
}
