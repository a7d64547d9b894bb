//! docs/marketing.md's "## Attribution" against the shipped settings and the models: every
//! setting of `[marketing_analytics]` as shipped, and the worked example as the code computes
//! it.

use crate::AnalyticsConfig;
use crate::models::{self, MODELS, Touch};
use ascent_core::catalog::MarketingChannel;
use ascent_core::config::ConfigFile;

const PAGE: &str = include_str!("../../../docs/marketing.md");

fn attribution() -> &'static str {
    ascent_core::docs::section(PAGE, "Attribution").expect("a section \"## Attribution\"")
}

/// The shipped section's settings, one `key = value` line each (comments left out).
fn shipped_settings() -> Vec<String> {
    ConfigFile::shipped().setting_lines("marketing_analytics")
}

#[test]
fn the_attribution_section_lists_every_shipped_setting_as_shipped() {
    let section = attribution();
    let settings = shipped_settings();
    assert_eq!(settings.len(), 8, "{settings:?}");
    for line in settings {
        assert!(
            section.lines().any(|l| l.trim() == line),
            "docs/marketing.md ## Attribution lacks the shipped `{line}`"
        );
    }
    for word in [
        "first touch",
        "last touch",
        "linear",
        "time decay",
        "position based",
        "ROI =",
        "CAC =",
        "ChannelReturnsMeasured",
    ] {
        assert!(section.contains(word), "{word}");
    }
}

/// 1234567 as "12,345.67".
fn show(minor: i64) -> String {
    let units = (minor / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", minor % 100)
}

#[test]
fn the_worked_example_is_what_the_models_compute() {
    let c = AnalyticsConfig::default();
    let journey: Vec<Touch> = [
        (MarketingChannel::Search, "2026-01-05"),
        (MarketingChannel::Webinar, "2026-01-19"),
        (MarketingChannel::Email, "2026-02-02"),
        (MarketingChannel::Paid, "2026-02-09"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (channel, day))| Touch {
        id: format!("t{i}"),
        channel: *channel,
        campaign_id: None,
        at: format!("{day}T10:00:00Z").parse().unwrap(),
    })
    .collect();
    let names = [
        "first touch",
        "last touch",
        "linear",
        "time decay",
        "position based",
    ];
    let section = attribution();
    for (model, name) in MODELS.iter().zip(names) {
        let shares = models::attribute(*model, &journey, 1_234_567, &c.models);
        let row = format!(
            "| {name} | {} |",
            shares
                .iter()
                .map(|s| show(*s))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        assert!(
            section.contains(&row),
            "the example's row should read {row}"
        );
    }
    assert_eq!(show(1_234_567), "12,345.67");
    assert_eq!(show(23_294), "232.94");
}
