//! The Operations Manager's settings, read once at start from `[operations_manager]` of
//! `ascent.toml`: where the daily report goes, how much one SLA check may do, each process's
//! SLA target and owner (`[operations_manager.sla.<process>]`), each KPI's bounds
//! (`[operations_manager.kpis]`) and the capacity planning rules (`[operations_manager.capacity]`,
//! with the maximum concurrency per agent the AWS template applies).

use crate::sla::Process;
use crate::{OperationsManager, declaration};
use ascent_core::config::platform::{Company, business_date_in};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Lambda's floor for an SQS event source mapping's `ScalingConfig.MaximumConcurrency`.
pub const AWS_MIN_CONCURRENCY: u32 = 2;
/// Lambda's ceiling for it.
pub const AWS_MAX_CONCURRENCY: u32 = 1000;

/// One process's service level: its target and who hears of a breach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTarget {
    /// From start to end within this many minutes, else a breach.
    pub target_minutes: u32,
    /// The process owner: mailed once per breach.
    pub owner: String,
}

/// The four measured processes' service levels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargets {
    pub lead_response: SlaTarget,
    pub ticket_first_response: SlaTarget,
    pub invoice_issue: SlaTarget,
    pub approval_turnaround: SlaTarget,
}

impl SlaTargets {
    pub fn of(&self, p: Process) -> &SlaTarget {
        match p {
            Process::LeadResponse => &self.lead_response,
            Process::TicketFirstResponse => &self.ticket_first_response,
            Process::InvoiceIssue => &self.invoice_issue,
            Process::ApprovalTurnaround => &self.approval_turnaround,
        }
    }
}

/// A KPI's healthy range: below `min` or above `max` is a crossing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

impl Bounds {
    fn check(&self, path: &str, ceiling: Option<f64>) -> Result<(), Invalid> {
        if self.min.is_none() && self.max.is_none() {
            return Err(Invalid::new(path, "needs `min`, `max` or both"));
        }
        for (key, v) in [("min", self.min), ("max", self.max)] {
            if let Some(v) = v {
                let too_high = ceiling.is_some_and(|c| v > c);
                if !v.is_finite() || v < 0.0 || too_high {
                    let range = ceiling.map_or("0 or more".to_string(), |c| format!("0 to {c}"));
                    return Err(Invalid::new(
                        format!("{path}.{key}"),
                        format!("must be {range}"),
                    ));
                }
            }
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max)
            && lo >= hi
        {
            return Err(Invalid::new(path, "`min` must be below `max`"));
        }
        Ok(())
    }
}

/// The monitored KPIs' bounds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiBounds {
    /// Leads created in a day.
    pub daily_leads: Bounds,
    /// Deals won over deals closed (won or lost) in a day, 0 to 1.
    pub win_rate: Bounds,
    /// Support tickets open (opened, not yet resolved).
    pub open_tickets: Bounds,
    /// Invoices in dunning (a dunning step taken, not yet paid).
    pub overdue_invoices: Bounds,
}

/// How concurrency is planned, and what the AWS template applies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Share of each worker's time planned busy (0 < u <= 1): headroom for bursts.
    pub target_utilisation: f64,
    /// A backlog should be worked off within this many minutes, on top of the arrivals.
    pub drain_minutes: u32,
    /// Recommendations never go below this…
    pub min_concurrency: u32,
    /// …nor above this.
    pub max_concurrency: u32,
    /// Applied on AWS as each named agent's SQS event source mapping's
    /// `ScalingConfig.MaximumConcurrency` (2 to 1000); agents not named have none.
    #[serde(default)]
    pub maximum_concurrency: BTreeMap<String, u32>,
}

/// The Operations Manager's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationsConfig {
    /// Mailed the daily operations report and every KPI crossing.
    pub operations_email: String,
    /// Overdue SLA clocks escalated per SLA check at most (the next check takes the rest).
    pub breaches_per_run: usize,
    /// Durations kept per process and day for the median and p90 (beyond: counted only).
    pub samples_per_day: usize,
    /// A completed clock, a breached one and an end that never met its start are forgotten
    /// this many days after their end (or deadline): the running ones are kept.
    pub clock_keep_days: u32,
    pub sla: SlaTargets,
    pub kpis: KpiBounds,
    pub capacity: Capacity,
    /// The company's time zone (`[company] time_zone`): figures and counts are its days.
    #[serde(skip)]
    pub time_zone: String,
}

impl Validate for OperationsConfig {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("operations_email", &self.operations_email)?;
        // Each breach writes its clock, plus one day record per process, in the run's one
        // commit: within what one DynamoDB transaction holds.
        check_in_range(
            "breaches_per_run",
            self.breaches_per_run,
            1,
            ascent_core::limits::MAX_WRITES - Process::ALL.len(),
        )?;
        // A day record of 8-byte durations stays far below DynamoDB's 400 KB item.
        check_in_range("samples_per_day", self.samples_per_day, 1, 20_000)?;
        check_in_range("clock_keep_days", self.clock_keep_days, 1, 3650)?;
        for p in Process::ALL {
            let t = self.sla.of(p);
            let path = format!("sla.{}", p.as_str());
            check_in_range(
                &format!("{path}.target_minutes"),
                t.target_minutes,
                1,
                525_600,
            )?;
            check_email(&format!("{path}.owner"), &t.owner)?;
        }
        self.kpis.daily_leads.check("kpis.daily_leads", None)?;
        self.kpis.win_rate.check("kpis.win_rate", Some(1.0))?;
        self.kpis.open_tickets.check("kpis.open_tickets", None)?;
        self.kpis
            .overdue_invoices
            .check("kpis.overdue_invoices", None)?;
        let c = &self.capacity;
        if !(c.target_utilisation > 0.0 && c.target_utilisation <= 1.0) {
            return Err(Invalid::new(
                "capacity.target_utilisation",
                "must be above 0 and at most 1",
            ));
        }
        check_in_range("capacity.drain_minutes", c.drain_minutes, 1, 1440)?;
        check_in_range(
            "capacity.min_concurrency",
            c.min_concurrency,
            1,
            AWS_MAX_CONCURRENCY,
        )?;
        check_in_range(
            "capacity.max_concurrency",
            c.max_concurrency,
            c.min_concurrency,
            AWS_MAX_CONCURRENCY,
        )?;
        for (agent, n) in &c.maximum_concurrency {
            check_in_range(
                &format!("capacity.maximum_concurrency.{agent}"),
                *n,
                AWS_MIN_CONCURRENCY,
                AWS_MAX_CONCURRENCY,
            )?;
        }
        Ok(())
    }
}

impl OperationsConfig {
    /// Reads and validates `[operations_manager]`, and the time zone of `[company]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let company: Company = file.section("company")?;
        let mut config: Self = file.section("operations_manager")?;
        config.time_zone = company.time_zone;
        Ok(config)
    }
}

impl OperationsManager {
    pub fn new(config: OperationsConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(OperationsConfig::from_file(file)?))
    }

    pub fn config(&self) -> &OperationsConfig {
        &self.config
    }

    /// The company's day `at` falls on.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        business_date_in(&self.config.time_zone, at)
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for OperationsConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [operations_manager] is valid")
    }
}

impl Default for OperationsManager {
    fn default() -> Self {
        Self::new(OperationsConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = OperationsConfig::default();
        assert_eq!(c.operations_email, "operations@ascent-xr.example");
        assert_eq!((c.breaches_per_run, c.samples_per_day), (40, 5000));
        assert_eq!(c.clock_keep_days, 90);
        assert_eq!(c.time_zone, "America/Los_Angeles");
        let m = OperationsManager::new(c.clone());
        // 17:00 in Los Angeles on 31 March is 00:00 UTC on 1 April: a March day.
        let evening = "2026-04-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            m.day_of(evening),
            "2026-03-31".parse::<NaiveDate>().unwrap()
        );
        assert_eq!(c.sla.ticket_first_response.target_minutes, 60);
        assert_eq!(
            c.sla.ticket_first_response.owner,
            "support.lead@ascent-xr.example"
        );
        assert_eq!(c.sla.lead_response.target_minutes, 240);
        assert_eq!(c.sla.invoice_issue.target_minutes, 1440);
        assert_eq!(c.sla.approval_turnaround.target_minutes, 2880);
        assert_eq!(c.kpis.win_rate.min, Some(0.2));
        assert_eq!(c.kpis.open_tickets.max, Some(150.0));
        assert_eq!(c.capacity.target_utilisation, 0.7);
        assert!(c.capacity.maximum_concurrency.is_empty());
    }

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
        OperationsConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn bad_values_are_refused_naming_their_key() {
        let e = refused("breaches_per_run = 40", "breaches_per_run = 46");
        assert_eq!(e.path, "operations_manager.breaches_per_run");
        assert!(e.line.is_some());
        let e = refused(
            "operations_email = \"operations@ascent-xr.example\"",
            "operations_email = \"operations\"",
        );
        assert_eq!(e.path, "operations_manager.operations_email");
        let e = refused("target_minutes = 60\n", "target_minutes = 0\n");
        assert_eq!(
            e.path,
            "operations_manager.sla.ticket_first_response.target_minutes"
        );
        let e = refused("win_rate = { min = 0.2 }", "win_rate = { min = 1.5 }");
        assert_eq!(e.path, "operations_manager.kpis.win_rate.min");
        let e = refused("daily_leads = { min = 5 }", "daily_leads = {}");
        assert_eq!(e.path, "operations_manager.kpis.daily_leads");
        let e = refused("target_utilisation = 0.7", "target_utilisation = 1.2");
        assert_eq!(e.path, "operations_manager.capacity.target_utilisation");
        let e = refused(
            "maximum_concurrency = {}",
            "maximum_concurrency = { support = 1 }",
        );
        assert_eq!(
            e.path,
            "operations_manager.capacity.maximum_concurrency.support"
        );
        let e = refused("clock_keep_days = 90", "clock_keep_days = 0");
        assert_eq!(e.path, "operations_manager.clock_keep_days");
        let e = refused("max_concurrency = 50", "max_concurrency = 1");
        assert_eq!(e.path, "operations_manager.capacity.max_concurrency");
        let e = refused(
            "samples_per_day = 5000",
            "samples_per_day = 5000\nbonus = 1",
        );
        assert!(e.path.contains("bonus"), "{}", e.path);
    }
}
