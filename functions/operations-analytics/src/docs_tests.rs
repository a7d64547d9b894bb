//! docs/operations.md's "## Operations analytics" against the shipped settings and the code:
//! every setting of `[operations_analytics]` as shipped, the Holt-Winters worked example, the
//! band example and the cohort table as the code computes them.

use crate::backtest;
use crate::cohorts::{self, Cohort};
use crate::holt_winters::{self, Smoothing};
use crate::{OperationsAnalyticsConfig, report};
use ascent_core::config::ConfigFile;
use chrono::NaiveDate;

const PAGE: &str = include_str!("../../../docs/operations.md");

fn section() -> &'static str {
    ascent_core::docs::section(PAGE, "Operations analytics")
        .expect("a section \"## Operations analytics\"")
}

/// The shipped section's settings, one `key = value` line each (comments left out).
fn shipped_settings() -> Vec<String> {
    ConfigFile::shipped().setting_lines("operations_analytics")
}

#[test]
fn the_section_lists_every_shipped_setting_as_shipped() {
    let s = section();
    let settings = shipped_settings();
    assert_eq!(settings.len(), 11, "{settings:?}");
    for line in settings {
        assert!(
            s.lines().any(|l| l.trim() == line),
            "docs/operations.md ## Operations analytics lacks the shipped `{line}`"
        );
    }
    // The history the bands need, as the page says, from the shipped settings.
    let c = OperationsAnalyticsConfig::default();
    let m = &c.method;
    let needs = 2 * m.season_days + m.horizon_days + m.min_backtest_origins - 1;
    assert!(s.contains(&format!("({needs} shipped)")), "{needs}");
    assert!(s.contains(&format!(
        "fewer than two seasons of history ({} days)",
        2 * m.season_days
    )));
}

#[test]
fn the_worked_example_is_what_the_code_computes() {
    let s = section();
    let half = Smoothing {
        alpha: 0.5,
        beta: 0.5,
        gamma: 0.5,
    };
    let f = holt_winters::fit(&[10.0, 20.0, 14.0, 24.0, 16.0, 28.0], 2, half).unwrap();
    let state = format!(
        "level {}, trend {}, season {} and {}, SSE {}",
        f.level,
        f.trend,
        f.season[0].to_string().replace('-', "−"),
        f.season[1],
        f.sse
    );
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&state), "{state}");
    let ahead = f.forecast(3);
    let next = format!("forecast {}, {} and {}", ahead[0], ahead[1], ahead[2]);
    assert!(flat.contains(&next), "{next}");

    let (lo, hi) = backtest::band(&[5.0, -1.0, 2.0, -3.0, 0.0], 0.8).unwrap();
    let below = format!("{lo:.1}").replace('-', "−");
    let band = format!(
        "quantile {below} and the 90% quantile {hi:.1}: a forecast of 100 gets the band {} to {}",
        100.0 + (lo * 10.0).round() / 10.0,
        100.0 + (hi * 10.0).round() / 10.0
    );
    assert!(flat.contains(&band), "{band}");
}

#[test]
fn the_cohort_table_is_what_the_report_prints() {
    let c = |month: &str, customers, churned: &[u32]| Cohort {
        month: month.into(),
        customers,
        churned: churned.to_vec(),
        version: 1,
    };
    let kept = [
        c("2026-01", 4, &[0, 1, 0, 1]),
        c("2026-02", 5, &[2]),
        c("2026-04", 3, &[1]),
    ];
    let as_of: NaiveDate = "2026-05-04".parse().unwrap();
    let mut out = String::new();
    report::cohort_text(&mut out, &cohorts::table(&kept, as_of, 6), 6);
    let table: String = out.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert!(section().contains(&table), "{table}");
}
