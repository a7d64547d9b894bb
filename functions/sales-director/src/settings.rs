//! The Sales Director's settings, read once at start from `ascent.toml`: `[sales]` (fallback
//! rep, stall days, the stage win-probability prior), the reps of `[sales_team]` and the
//! rates of `[currency]`.

use crate::assignment::Rep;
use crate::forecast::{OPEN_STAGES, StageDefaults};
use crate::{SalesDirector, quarter_of_day};
use ascent_core::config::platform::{Company, Currency, SalesTeam};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_non_negative,
};
use ascent_core::money::FxRates;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[sales]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SalesSection {
    fallback_rep: String,
    stall_days: i64,
    stale_after_days: i64,
    stage_prior_weight: f64,
    stage_win_probability: BTreeMap<String, f64>,
}

impl Validate for SalesSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("fallback_rep", &self.fallback_rep)?;
        check_in_range("stall_days", self.stall_days, 1, 3650)?;
        check_in_range("stale_after_days", self.stale_after_days, 1, 3650)?;
        if self.stale_after_days <= self.stall_days {
            return Err(Invalid::new(
                "stale_after_days",
                format!(
                    "{} is not after stall_days ({}): a deal is alerted as stalled before it is closed as stale",
                    self.stale_after_days, self.stall_days
                ),
            ));
        }
        check_non_negative("stage_prior_weight", self.stage_prior_weight)?;
        for stage in OPEN_STAGES {
            let name = crate::forecast::stage_name(stage);
            let Some(p) = self.stage_win_probability.get(name) else {
                return Err(Invalid::new(
                    "stage_win_probability",
                    format!("the open stage `{name}` has no probability"),
                ));
            };
            check_in_range(&format!("stage_win_probability.{name}"), *p, 0.0, 1.0)?;
        }
        if let Some(k) = self.stage_win_probability.keys().find(|k| {
            !OPEN_STAGES
                .iter()
                .any(|s| crate::forecast::stage_name(*s) == k.as_str())
        }) {
            return Err(Invalid::new(
                format!("stage_win_probability.{k}"),
                "not an open stage",
            ));
        }
        Ok(())
    }
}

/// The Sales Director's settings: `[sales]`, `[sales_team]` and `[currency]` of
/// `ascent.toml`, read and validated here.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SalesConfig {
    pub reps: Vec<Rep>,
    /// Who gets leads of a territory without reps (and is told).
    pub fallback_rep: String,
    pub stall_days: i64,
    /// Days without activity after which an open deal is closed as lost ("stale").
    pub stale_after_days: i64,
    pub defaults: StageDefaults,
    pub fx: FxRates,
    /// `[company] time_zone`: quarters and report days are the company's business days (a
    /// deal won at 17:00 Pacific on 31 March is a first-quarter deal).
    pub time_zone: String,
}

impl SalesConfig {
    /// The business day of `t` in the company's time zone.
    pub fn business_date(&self, t: DateTime<Utc>) -> chrono::NaiveDate {
        ascent_core::config::platform::business_date_in(&self.time_zone, t)
    }

    /// `YYYY-Qn` of the business day of `t`.
    pub fn quarter(&self, t: DateTime<Utc>) -> String {
        quarter_of_day(self.business_date(t))
    }
}

impl SalesConfig {
    /// Reads and validates `[sales]`, `[sales_team]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let sales: SalesSection = file.section("sales")?;
        let team: SalesTeam = file.section("sales_team")?;
        let currency: Currency = file.section("currency")?;
        let company: Company = file.section("company")?;
        Ok(Self {
            time_zone: company.time_zone,
            reps: team
                .reps
                .into_iter()
                .map(|r| Rep {
                    email: r.email,
                    territory: r.territory,
                    capacity: r.capacity,
                    quota_minor: r.quarterly_quota_minor,
                })
                .collect(),
            fallback_rep: sales.fallback_rep,
            stall_days: sales.stall_days,
            stale_after_days: sales.stale_after_days,
            defaults: StageDefaults {
                probability: sales.stage_win_probability,
                prior_weight: sales.stage_prior_weight,
            },
            fx: currency.fx(),
        })
    }
}

impl SalesDirector {
    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(SalesConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for SalesConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [sales] is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = SalesConfig::from_file(&ConfigFile::shipped()).unwrap();
        assert_eq!(c.reps.len(), 6);
        assert_eq!(c.reps[2].email, "chloe.rep@ascent-xr.example");
        assert_eq!((c.reps[2].capacity, c.reps[2].quota_minor), (5, 15_000_000));
        assert_eq!(c.stall_days, 14);
        assert_eq!(c.defaults.probability["negotiation"], 0.6);
        assert_eq!(c.fx.base, "USD");
    }

    #[test]
    fn a_probability_above_one_is_refused_with_its_path() {
        let text = ConfigFile::shipped()
            .text()
            .replace("negotiation = 0.6", "negotiation = 1.6");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = SalesConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "sales.stage_win_probability.negotiation");
        assert!(e.line.is_some());
    }
}
