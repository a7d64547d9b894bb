//! A department's report for a period, built from its daily counters: each figure day by day
//! (the period and, for context and anomaly scoring, the trailing window before it), the
//! period's totals, and the days whose value is an anomaly against the window before them.

use crate::anomaly::robust_z;
use crate::figures::Figure;
use crate::settings::{AnomalySettings, DepartmentReport};
use ascent_core::catalog::ReportCadence;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One department's counts of one day (performance domain, `reporting#counts#<department>`,
/// sort key the day): what the report of any period reads, one record per day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayCounts {
    pub department: String,
    pub day: NaiveDate,
    /// Optimistic concurrency: each count is a conditional write on the version read.
    pub version: u64,
    /// Each figure's count, or its sum in minor units of the base currency.
    pub figures: BTreeMap<Figure, i64>,
}

/// A figure over the report's days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub figure: Figure,
    /// One value per day of [`Report::days`].
    pub values: Vec<i64>,
    /// The sum over the period's days.
    pub total: i64,
}

/// A day of the period whose value is far from the window before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    pub day: NaiveDate,
    pub figure: Figure,
    /// The day's value (count, or minor units).
    pub value: i64,
    /// The window's median (major units for money).
    pub median: f64,
    /// Its robust z-score.
    pub z: f64,
}

/// A report, as stored and rendered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub department: String,
    pub cadence: ReportCadence,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub base_currency: String,
    /// The window's days, then the period's.
    pub days: Vec<NaiveDate>,
    /// Where the period starts in `days`.
    pub period_start: usize,
    pub series: Vec<Series>,
    /// By day, then in the figures' order.
    pub anomalies: Vec<Anomaly>,
    /// `|z|` above this is an anomaly.
    pub threshold: f64,
}

impl Report {
    /// The period's days.
    pub fn period_days(&self) -> &[NaiveDate] {
        &self.days[self.period_start..]
    }

    /// Whether `figure` is flagged on `day`.
    pub fn flagged(&self, figure: Figure, day: NaiveDate) -> Option<&Anomaly> {
        self.anomalies
            .iter()
            .find(|a| a.figure == figure && a.day == day)
    }
}

/// The first day a report of `from` reads: the trailing window before it.
pub fn first_day_read(from: NaiveDate, a: &AnomalySettings) -> NaiveDate {
    from - Days::new(u64::from(a.window_days))
}

/// Builds the report of `department` for `from..=to` out of the counters read (any order; days
/// without a record counted nothing).
pub fn build(
    name: &str,
    department: &DepartmentReport,
    cadence: ReportCadence,
    (from, to): (NaiveDate, NaiveDate),
    counts: &[DayCounts],
    anomalies: &AnomalySettings,
    base_currency: &str,
) -> Report {
    let first = first_day_read(from, anomalies);
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= to).collect();
    let by_day: BTreeMap<NaiveDate, &DayCounts> = counts.iter().map(|c| (c.day, c)).collect();
    let has_data: Vec<bool> = days.iter().map(|d| by_day.contains_key(d)).collect();
    let period_start = anomalies.window_days as usize;
    let w = anomalies.window_days as usize;
    let mut series = Vec::new();
    let mut found = Vec::new();
    for &figure in &department.figures {
        let values: Vec<i64> = days
            .iter()
            .map(|d| {
                by_day
                    .get(d)
                    .and_then(|c| c.figures.get(&figure))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        let numbers: Vec<f64> = values
            .iter()
            .map(|v| figure.number(*v, base_currency))
            .collect();
        for i in period_start..days.len() {
            let with_data = has_data[i - w..i].iter().filter(|h| **h).count();
            if with_data < anomalies.min_days_with_data as usize {
                continue;
            }
            if let Some(s) = robust_z(numbers[i], &numbers[i - w..i])
                && s.is_anomaly(anomalies.threshold)
            {
                found.push(Anomaly {
                    day: days[i],
                    figure,
                    value: values[i],
                    median: s.median,
                    z: s.z,
                });
            }
        }
        let total = values[period_start..].iter().sum();
        series.push(Series {
            figure,
            values,
            total,
        });
    }
    found.sort_by_key(|a| a.day);
    Report {
        department: name.to_string(),
        cadence,
        from,
        to,
        base_currency: base_currency.to_string(),
        days,
        period_start,
        series,
        anomalies: found,
        threshold: anomalies.threshold,
    }
}

/// The anomalies to raise, at most `limit`: the largest `|z|` first (ties by day, then figure),
/// so a report with more than a message can raise drops the mildest.
pub fn to_raise(report: &Report, limit: usize) -> Vec<&Anomaly> {
    let mut v: Vec<&Anomaly> = report.anomalies.iter().collect();
    v.sort_by(|a, b| {
        b.z.abs()
            .total_cmp(&a.z.abs())
            .then(a.day.cmp(&b.day))
            .then(a.figure.cmp(&b.figure))
    });
    v.truncate(limit);
    v
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
