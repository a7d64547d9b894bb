//! docs/marketing.md's "## Email marketing" against the shipped `[email_marketing]`: every
//! setting as shipped, each segment, and the A/B test's worked example as the code decides it.

use crate::EmailMarketingConfig;
use crate::abtest::{self, AbRules};
use ascent_core::catalog::{AbTestOutcome, AbVariantResult};
use ascent_core::config::ConfigFile;

const PAGE: &str = include_str!("../../../docs/marketing.md");

fn section() -> &'static str {
    ascent_core::docs::section(PAGE, "Email marketing").expect("a section \"## Email marketing\"")
}

/// The shipped `[email_marketing…]` settings, one `key = value` line each (no comments, no
/// headers).
fn shipped_settings() -> Vec<String> {
    let text = ConfigFile::shipped().text().to_string();
    let start = text.find("\n[email_marketing]\n").expect("the section") + 1;
    let mut out = Vec::new();
    for line in text[start..].lines() {
        let l = line.trim();
        if l.starts_with('[') && !l.contains("email_marketing") {
            break;
        }
        if !l.is_empty() && !l.starts_with('#') && !l.starts_with('[') && !l.starts_with("name =") {
            out.push(l.to_string());
        }
    }
    out
}

#[test]
fn the_email_marketing_section_lists_every_shipped_setting_and_segment() {
    let s = section();
    let settings = shipped_settings();
    assert!(settings.len() >= 13, "{settings:?}");
    for line in settings {
        assert!(
            s.lines().any(|l| l.trim() == line),
            "docs/marketing.md ## Email marketing lacks the shipped `{line}`"
        );
    }
    for segment in &EmailMarketingConfig::default().segments {
        assert!(
            s.contains(&format!("`{}`", segment.name)),
            "{}",
            segment.name
        );
    }
    for word in [
        "List-Unsubscribe-Post",
        "postal address",
        "suppression list",
        "EmailBatchDue",
        "EmailCampaignResumed",
        "ThresholdCrossed",
        "z-test",
    ] {
        assert!(s.contains(word), "{word}");
    }
}

#[test]
fn the_worked_ab_example_is_what_the_code_decides() {
    let s = section();
    let c = EmailMarketingConfig::default();
    let d = abtest::decide(
        &[
            AbVariantResult {
                variant: "A".into(),
                sent: 1000,
                responded: 250,
            },
            AbVariantResult {
                variant: "B".into(),
                sent: 1000,
                responded: 200,
            },
        ],
        AbRules {
            significance: c.ab_test.significance,
            min_sample_per_variant: c.ab_test.min_sample_per_variant,
        },
    );
    assert_eq!(d.outcome, AbTestOutcome::Winner);
    for figure in [
        format!("z = {:.2}", d.z.unwrap()),
        format!("p = {:.4}", d.p_value.unwrap()),
    ] {
        assert!(s.contains(&figure), "{figure}");
    }
}
