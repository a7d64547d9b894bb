//! docs/operations.md's "## Operations manager" against the shipped `[operations_manager]`:
//! every setting as shipped, and the worked examples as the code computes them.

use crate::capacity;
use crate::report::SlaLine;
use crate::sla::{DayFigures, Process};
use crate::{OperationsConfig, declaration};
use ascent_core::catalog::QueueDepthObserved;
use ascent_core::config::ConfigFile;
use chrono::Duration;

const PAGE: &str = include_str!("../../../docs/operations.md");

fn section() -> &'static str {
    ascent_core::docs::section(PAGE, "Operations manager")
        .expect("a section \"## Operations manager\"")
}

/// The section with its lines joined (a sentence may wrap anywhere).
fn flowing() -> String {
    section().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The shipped `[operations_manager…]` lines (no comments, not the section's own header).
fn shipped_settings() -> Vec<String> {
    let text = ConfigFile::shipped().text().to_string();
    let start = text.find("\n[operations_manager]\n").expect("the section") + 22;
    let mut out = Vec::new();
    for line in text[start..].lines() {
        let l = line.trim();
        if l.starts_with('[') && !l.starts_with("[operations_manager.") {
            break;
        }
        if !l.is_empty() && !l.starts_with('#') {
            out.push(l.to_string());
        }
    }
    out
}

#[test]
fn the_section_lists_every_shipped_setting() {
    let s = section();
    let settings = shipped_settings();
    assert!(settings.len() >= 25, "{settings:?}");
    for line in settings {
        assert!(
            s.lines().any(|l| l.trim() == line),
            "docs/operations.md ## Operations manager lacks the shipped `{line}`"
        );
    }
    // Every event it subscribes to is named.
    for sub in declaration().subscriptions {
        for t in sub.pattern["detail-type"].as_array().unwrap() {
            let t = t.as_str().unwrap();
            assert!(s.contains(&format!("`{t}`")), "{t}");
        }
    }
}

#[test]
fn the_worked_examples_are_what_the_code_computes() {
    let c = OperationsConfig::default();
    let doc = flowing();
    // Capacity: 1,800 in 300 s, 900 waiting, 0.5 s each.
    let r = capacity::recommend(
        &QueueDepthObserved {
            agent: "support".into(),
            depth: 900,
            arrived: 1800,
            handled: 1800,
            mean_handling_ms: 500.0,
            window_seconds: 300,
            observed_at: "2026-03-02T09:05:00Z".parse().unwrap(),
        },
        &c.capacity,
    )
    .unwrap();
    assert_eq!((r.busy_workers, r.recommended), (3.5, 5));
    assert!(doc.contains("(6 + 1) × 0.5 = 3.5 workers busy; 3.5 / 0.7 = 5."));
    // Service levels: 30 and 80 minutes, one breach, against the shipped 60.
    let target = c.sla.ticket_first_response.target_minutes;
    assert_eq!(target, 60);
    let mut f = DayFigures::default();
    f.record(Duration::minutes(80), c.samples_per_day);
    f.record(Duration::minutes(30), c.samples_per_day);
    f.breaches = 1;
    let line = SlaLine::of(Process::TicketFirstResponse, target, &f);
    assert_eq!(
        (line.median_minutes, line.p90_minutes),
        (Some(30.0), Some(80.0))
    );
    assert!(doc.contains(
        "`ticket first response: target 60 min; 2 completed; median 30.0 min; p90 80.0 min; 1 breach(es)`"
    ));
    assert!(doc.contains("one mail to `support.lead@ascent-xr.example`"));
}
