//! docs/operations.md's "## Process automation" against the shipped `[process_automation]`
//! and the code: the patterns of each class, the retry delays of the worked example and the
//! report's lines.

use crate::ProcessAutomationConfig;
use crate::classify::{FailureClass, retry_delay};
use crate::report::{AgentDay, DailyReport, Tally, rates};

const OPERATIONS: &str = include_str!("../../../docs/operations.md");

fn section() -> &'static str {
    let start = OPERATIONS
        .find("\n## Process automation\n")
        .expect("docs/operations.md has ## Process automation");
    let rest = &OPERATIONS[start + 1..];
    match rest[3..].find("\n## ") {
        Some(end) => &rest[..end + 3],
        None => rest,
    }
}

fn row(class: &str) -> &'static str {
    section()
        .lines()
        .find(|l| l.starts_with(&format!("| {class} |")))
        .unwrap_or_else(|| panic!("no row for {class}"))
}

#[test]
fn the_classes_table_lists_the_shipped_patterns_in_order() {
    let c = ProcessAutomationConfig::default();
    for (class, patterns) in [
        ("poison", &c.patterns.poison),
        ("permanent", &c.patterns.permanent),
        ("transient", &c.patterns.transient),
    ] {
        let listed: Vec<String> = patterns.iter().map(|p| format!("`{p}`")).collect();
        assert!(
            row(class).contains(&listed.join(", ")),
            "{class}: {}",
            row(class)
        );
    }
}

#[test]
fn the_retry_example_follows_the_shipped_backoff() {
    let c = ProcessAutomationConfig::default();
    let delays: Vec<String> = (0..c.max_retries)
        .map(|n| {
            retry_delay(c.retry_base_minutes, c.retry_factor, n)
                .num_minutes()
                .to_string()
        })
        .collect();
    let s = section();
    assert_eq!(delays, ["30", "60", "120"]);
    assert!(s.contains("shipped 30, 60 and 120 minutes"), "{s}");
    assert!(s.contains(&format!("`max_retries` ({})", c.max_retries)));
    assert!(s.contains(&format!("`retries_per_run` ({}:", c.retries_per_run)));
    assert!(s.contains(&format!("`rate_window_days` ({})", c.rate_window_days)));
    assert!(s.contains(&format!("shipped `{}`", c.approver_role)));
}

#[test]
fn the_report_example_is_what_the_report_renders() {
    let mut t = Tally {
        date: Some("2026-03-02".parse().unwrap()),
        ..Tally::default()
    };
    let a: &mut AgentDay = t.entry("crm-push");
    for class in [
        FailureClass::Transient,
        FailureClass::Permanent,
        FailureClass::Poison,
    ] {
        a.failed(class);
    }
    a.redriven = 1;
    let day = "2026-03-02".parse().unwrap();
    let report = DailyReport {
        date: day,
        window_days: 7,
        agents: rates(day, 7, &[t]),
        waiting: vec![],
        more_waiting: false,
    };
    let (subject, text) = report.render();
    let s = section();
    assert!(s.contains(&format!("Subject: {subject}\n")), "{subject}");
    for line in text.lines().skip(2).take(2) {
        assert!(s.contains(&format!("{line}\n")), "missing: {line}");
    }
}
