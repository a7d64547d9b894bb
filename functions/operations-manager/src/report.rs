//! The daily operations report as a pure rendering: each process's SLA figures of the day
//! (target, completions, median, p90, breaches), each KPI against its bounds, and each agent's
//! recommended concurrency beside what the AWS template applies.

use crate::kpi::{Kpi, Standing};
use crate::settings::Bounds;
use crate::sla::{DayFigures, Process};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One process's line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaLine {
    pub process: Process,
    pub target_minutes: u32,
    pub count: u64,
    pub median_minutes: Option<f64>,
    pub p90_minutes: Option<f64>,
    pub breaches: u64,
}

impl SlaLine {
    pub fn of(process: Process, target_minutes: u32, f: &DayFigures) -> Self {
        let minutes = |s: Option<i64>| s.map(|s| s as f64 / 60.0);
        Self {
            process,
            target_minutes,
            count: f.count,
            median_minutes: minutes(f.median_s()),
            p90_minutes: minutes(f.p90_s()),
            breaches: f.breaches,
        }
    }
}

/// One KPI's line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KpiLine {
    pub kpi: Kpi,
    pub value: Option<f64>,
    pub standing: Standing,
    pub bounds: Bounds,
}

/// One agent's recommended concurrency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapacityLine {
    pub agent: String,
    pub recommended: u32,
    pub busy_workers: f64,
    pub depth: u64,
    /// The maximum concurrency the configuration applies on AWS, when it names the agent.
    pub applied: Option<u32>,
}

/// The report of one day, as kept and mailed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationsReport {
    pub day: NaiveDate,
    pub sla: Vec<SlaLine>,
    pub kpis: Vec<KpiLine>,
    pub capacity: Vec<CapacityLine>,
}

fn minutes(m: Option<f64>) -> String {
    m.map_or("-".to_string(), |m| format!("{m:.1} min"))
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn bounds(b: Bounds) -> String {
    match (b.min, b.max) {
        (Some(lo), Some(hi)) => format!("{} to {}", number(lo), number(hi)),
        (Some(lo), None) => format!("at least {}", number(lo)),
        (None, Some(hi)) => format!("at most {}", number(hi)),
        (None, None) => "none".into(),
    }
}

impl OperationsReport {
    pub fn breaches(&self) -> u64 {
        self.sla.iter().map(|l| l.breaches).sum()
    }

    pub fn kpis_out_of_bounds(&self) -> usize {
        self.kpis
            .iter()
            .filter(|k| k.standing != Standing::Within)
            .count()
    }

    pub fn subject(&self) -> String {
        format!(
            "Operations report {}: {} SLA breach(es), {} KPI(s) out of bounds",
            self.day,
            self.breaches(),
            self.kpis_out_of_bounds()
        )
    }

    pub fn text(&self) -> String {
        let mut t = format!(
            "Operations report for {} (the company's day)\n\nService levels\n",
            self.day
        );
        for l in &self.sla {
            let _ = writeln!(
                t,
                "- {}: target {} min; {} completed; median {}; p90 {}; {} breach(es)",
                l.process.label(),
                l.target_minutes,
                l.count,
                minutes(l.median_minutes),
                minutes(l.p90_minutes),
                l.breaches
            );
        }
        t.push_str("\nKPIs\n");
        for k in &self.kpis {
            let value = k.value.map_or("no data".to_string(), number);
            let standing = match k.standing {
                Standing::Within => "within",
                Standing::Below => "BELOW",
                Standing::Above => "ABOVE",
            };
            let _ = writeln!(
                t,
                "- {}: {value} (bounds: {}) {standing}",
                k.kpi.as_str(),
                bounds(k.bounds)
            );
        }
        t.push_str("\nCapacity (recommended concurrency)\n");
        if self.capacity.is_empty() {
            t.push_str("- no queue observed\n");
        }
        for c in &self.capacity {
            let applied = c.applied.map_or("none".to_string(), |n| n.to_string());
            let _ = writeln!(
                t,
                "- {}: {} ({} busy workers, {} waiting; applied on AWS: {applied})",
                c.agent,
                c.recommended,
                number(c.busy_workers),
                c.depth
            );
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn the_report_reads_as_the_figures_say() {
        let mut f = DayFigures::default();
        for m in [12, 30, 75] {
            f.record(Duration::minutes(m), 100);
        }
        f.breaches = 1;
        let r = OperationsReport {
            day: "2026-03-02".parse().unwrap(),
            sla: vec![
                SlaLine::of(Process::TicketFirstResponse, 60, &f),
                SlaLine::of(Process::InvoiceIssue, 1440, &DayFigures::default()),
            ],
            kpis: vec![
                KpiLine {
                    kpi: Kpi::WinRate,
                    value: Some(0.25),
                    standing: Standing::Within,
                    bounds: Bounds {
                        min: Some(0.2),
                        max: None,
                    },
                },
                KpiLine {
                    kpi: Kpi::OpenTickets,
                    value: Some(151.0),
                    standing: Standing::Above,
                    bounds: Bounds {
                        min: None,
                        max: Some(150.0),
                    },
                },
            ],
            capacity: vec![CapacityLine {
                agent: "support".into(),
                recommended: 5,
                busy_workers: 3.5,
                depth: 900,
                applied: None,
            }],
        };
        assert_eq!(
            r.subject(),
            "Operations report 2026-03-02: 1 SLA breach(es), 1 KPI(s) out of bounds"
        );
        let text = r.text();
        // Median of 12, 30, 75 is the 2nd (30); p90 the 3rd (⌈2.7⌉): 75.
        assert!(
            text.contains("- ticket first response: target 60 min; 3 completed; median 30.0 min; p90 75.0 min; 1 breach(es)"),
            "{text}"
        );
        assert!(text.contains(
            "- invoice issue: target 1440 min; 0 completed; median -; p90 -; 0 breach(es)"
        ));
        assert!(text.contains("- win_rate: 0.25 (bounds: at least 0.20) within"));
        assert!(text.contains("- open_tickets: 151 (bounds: at most 150) ABOVE"));
        assert!(
            text.contains("- support: 5 (3.50 busy workers, 900 waiting; applied on AWS: none)")
        );
    }
}
