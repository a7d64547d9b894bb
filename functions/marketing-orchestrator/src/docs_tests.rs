//! docs/marketing.md's "## Budget allocation" against the shipped settings and the allocation:
//! every setting of `[marketing_orchestrator]` as shipped, and both worked examples' tables as
//! the code computes them, with the approval each needs.

use crate::OrchestratorConfig;
use crate::allocation::{Allocation, allocate, approval_reasons, channel_name};
use ascent_core::catalog::MarketingChannel::{self, Email, Paid, Search, Webinar};
use ascent_core::config::ConfigFile;
use std::collections::BTreeMap;

const PAGE: &str = include_str!("../../../docs/marketing.md");

fn section() -> &'static str {
    ascent_core::docs::section(PAGE, "Budget allocation")
        .expect("a section \"## Budget allocation\"")
}

/// The shipped section's settings and its channels, one line each (comments left out).
fn shipped_settings() -> Vec<String> {
    let text = ConfigFile::shipped().text().to_string();
    let start = text
        .find("\n[marketing_orchestrator]\n")
        .expect("the section")
        + 1;
    let mut lines = Vec::new();
    for l in text[start..].lines().skip(1).map(str::trim) {
        if l.starts_with('[') && !l.starts_with("[marketing_orchestrator.") {
            break;
        }
        if !l.is_empty() && !l.starts_with('#') {
            lines.push(l.to_string());
        }
    }
    lines
}

#[test]
fn the_section_lists_every_shipped_setting_as_shipped() {
    let s = section();
    let settings = shipped_settings();
    assert_eq!(settings.len(), 17, "{settings:?}");
    for line in settings {
        assert!(
            s.lines().any(|l| l.trim() == line),
            "docs/marketing.md ## Budget allocation lacks the shipped `{line}`"
        );
    }
    for word in [
        "CampaignPlanned",
        "ChannelReturnsMeasured",
        "BudgetReallocated",
        "ThresholdCrossed",
        "campaign.<id>.cpa",
        "never goes live again",
    ] {
        assert!(s.contains(word), "{word}");
    }
}

/// 1234567 as "12,345.67", signed when asked.
fn amount(minor: i64, signed: bool) -> String {
    let units = minor.abs() / 100;
    let mut digits = units.to_string();
    let mut i = digits.len() as i64 - 3;
    while i > 0 {
        digits.insert(i as usize, ',');
        i -= 3;
    }
    let sign = match (signed, minor.signum()) {
        (true, 1) => "+",
        (_, -1) => "-",
        _ => "",
    };
    format!("{sign}{digits}.{:02}", minor.abs() % 100)
}

fn rows(before: &Allocation, after: &Allocation) -> Vec<String> {
    after
        .iter()
        .map(|(c, a)| {
            let was = before[c];
            format!(
                "| {} | {} | {} | {} |",
                channel_name(*c),
                amount(was, false),
                amount(*a, false),
                amount(a - was, true)
            )
        })
        .collect()
}

fn example(returns: &[(MarketingChannel, f64)]) -> (Allocation, Vec<String>) {
    let c = OrchestratorConfig::default();
    let r: BTreeMap<MarketingChannel, f64> = returns.iter().copied().collect();
    let after = allocate(&c.rules, &r);
    let why = approval_reasons(&c.start, &after, c.approval_above, |m| amount(m, false));
    (after, why)
}

#[test]
fn the_worked_examples_are_what_the_allocation_computes() {
    let s = section();
    let start = OrchestratorConfig::default().start;
    let (after, why) = example(&[(Paid, 2.0), (Webinar, 1.5), (Search, 1.2), (Email, 0.9)]);
    assert!(why.is_empty(), "{why:?}");
    for row in rows(&start, &after) {
        assert!(s.contains(&row), "example 1 lacks {row}");
    }
    let (after, why) = example(&[(Paid, 3.0), (Webinar, 2.0), (Email, 1.0)]);
    assert_eq!(
        why,
        ["paid rises by 6,000.00 (from 10,000.00 to 16,000.00), more than 5,000.00"]
    );
    for row in rows(&start, &after) {
        assert!(s.contains(&row), "example 2 lacks {row}");
    }
    assert_eq!(amount(0, true), "0.00");
}
