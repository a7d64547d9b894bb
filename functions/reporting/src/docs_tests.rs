//! docs/operations.md `## Reporting` against the shipped `[reporting]` and the code: the
//! reports table, the settings quoted, the figures, the worked examples as the score computes
//! them; and docs/configuration.md describes every key.

use crate::anomaly::robust_z;
use crate::figures::Figure;
use crate::schedule::period;
use crate::{MAX_RAISED_PER_REPORT, ReportingConfig};
use ascent_core::catalog::ReportCadence;
use chrono::NaiveDate;

const OPERATIONS: &str = include_str!("../../../docs/operations.md");
const CONFIGURATION: &str = include_str!("../../../docs/configuration.md");

fn section<'a>(doc: &'a str, heading: &str) -> &'a str {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} is missing"));
    let rest = &doc[start + heading.len()..];
    let end = rest
        .find(&format!("\n{} ", &heading[..heading.find(' ').unwrap()]))
        .unwrap_or(rest.len());
    &rest[..end]
}

fn reporting() -> &'static str {
    section(OPERATIONS, "\n## Reporting")
}

fn cadence(c: &ReportCadence) -> &'static str {
    match c {
        ReportCadence::Daily => "daily",
        ReportCadence::Weekly => "weekly",
        ReportCadence::Monthly => "monthly",
    }
}

#[test]
fn the_shipped_reports_table_is_the_shipped_configuration() {
    let c = ReportingConfig::default();
    let table = section(reporting(), "### The shipped reports");
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| {
            l.starts_with("| ") && !l.starts_with("| Department") && !l.starts_with("| ---")
        })
        .collect();
    let expected: Vec<String> = c
        .departments
        .iter()
        .map(|(name, d)| {
            let cadences: Vec<&str> = d.cadences.iter().map(cadence).collect();
            let figures: Vec<&str> = d.figures.iter().map(|f| f.key()).collect();
            format!(
                "| {name} | {} | {} | {} |",
                d.to,
                cadences.join(", "),
                figures.join(", ")
            )
        })
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(c.weekly_on, chrono::Weekday::Mon);
    assert!(table.contains("Weekly reports go out on Mondays (`weekly_on = \"Mon\"`)."));
}

#[test]
fn the_settings_quoted_are_the_shipped_ones() {
    let c = ReportingConfig::default();
    let text = reporting();
    assert_eq!(c.anomalies.window_days, 28);
    assert!(text.contains("days before it (shipped 28)"));
    assert_eq!(c.anomalies.threshold, 3.5);
    assert!(text.contains("Beyond ±3.5\n(`anomalies.threshold`"));
    assert_eq!(c.anomalies.min_days_with_data, 7);
    assert!(text.contains("`anomalies.min_days_with_data` days (7)"));
    assert_eq!(c.max_html_bytes, 200_000);
    assert!(text.contains("(shipped 200,000 bytes)"));
    assert_eq!(crate::settings::MIN_HTML_BYTES, 50_000);
    assert!(text.contains("the smallest bound allowed, 50,000"));
    assert_eq!(MAX_RAISED_PER_REPORT, 47);
    assert!(text.contains("A report raises at most 47"));
}

#[test]
fn every_figure_is_in_the_counted_table() {
    let table = section(reporting(), "### What is counted");
    for f in Figure::ALL {
        assert!(table.contains(&format!("`{}`", f.key())), "{}", f.key());
    }
    for t in crate::COUNTED {
        assert!(table.contains(&format!("`{t}`")), "{t}");
    }
}

#[test]
fn the_worked_examples_are_what_the_score_computes() {
    let text = reporting();
    let week = [10.0, 12.0, 11.0, 13.0, 9.0, 10.0, 12.0];
    let z = |x: f64, w: &[f64]| format!("{:.2}", robust_z(x, w).unwrap().z).replace('-', "−");
    assert_eq!(z(30.0, &week), "12.82");
    assert!(text.contains("0.6745 × (30 − 11) / 1 = 12.82"));
    assert_eq!(z(12.0, &week), "0.67");
    assert!(text.contains("A day with\n12 scores 0.67"));
    assert_eq!(z(4.0, &week), "−4.72");
    assert!(text.contains("a day with 4 scores −4.72"));
    let churn = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    assert_eq!(z(3.0, &churn), "16.76");
    assert!(text.contains("3 / (1.253314 / 7) = 16.76"));
}

#[test]
fn december_s_report_goes_out_when_the_doc_says() {
    let c = ReportingConfig::default();
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    for day in ["2027-01-01", "2027-01-02", "2027-01-03"] {
        assert_eq!(
            period(ReportCadence::Monthly, d(day), c.weekly_on, &c.holidays),
            None
        );
    }
    assert_eq!(
        period(
            ReportCadence::Monthly,
            d("2027-01-04"),
            c.weekly_on,
            &c.holidays
        ),
        Some((d("2026-12-01"), d("2026-12-31")))
    );
    assert!(reporting().contains("December 2026's report goes out on Monday\n  2027-01-04"));
}

#[test]
fn the_configuration_page_describes_every_key() {
    let table = section(CONFIGURATION, "### `[reporting]`");
    for key in [
        "weekly_on",
        "holidays",
        "max_html_bytes",
        "remember_days",
        "anomalies.window_days",
        "anomalies.min_days_with_data",
        "anomalies.threshold",
        "departments.<department>.to",
        "departments.<department>.cadences",
        "departments.<department>.figures",
    ] {
        assert!(table.contains(&format!("| `{key}` |")), "{key}");
    }
    for f in Figure::ALL {
        assert!(table.contains(&format!("`{}`", f.key())), "{}", f.key());
    }
}
