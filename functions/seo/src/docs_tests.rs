//! docs/marketing.md's "## SEO" against the shipped settings and the scoring: every setting of
//! `[seo]` as shipped, and the worked examples as the code computes them.

use crate::SeoConfig;
use crate::opportunity::{click_gain, opportunity};
use crate::ranks::{Observation, drop_of};
use ascent_core::config::ConfigFile;

const PAGE: &str = include_str!("../../../docs/marketing.md");

fn section() -> &'static str {
    ascent_core::docs::section(PAGE, "SEO").expect("a section \"## SEO\"")
}

/// The shipped section's settings, one `key = value` line each (comments left out).
fn shipped_settings() -> Vec<String> {
    ConfigFile::shipped().setting_lines("seo")
}

#[test]
fn the_seo_section_lists_every_shipped_setting_as_shipped() {
    let s = section();
    let settings = shipped_settings();
    assert_eq!(settings.len(), 14, "{settings:?}");
    for line in settings {
        assert!(
            s.lines().any(|l| l.trim() == line),
            "docs/marketing.md ## SEO lacks the shipped `{line}`"
        );
    }
    for word in [
        "ThresholdCrossed",
        "ContentGapFound",
        "KeywordOpportunitiesRanked",
        "score = search_volume × (CTR(target_position) − CTR(position)) / 100 × (100 − difficulty) / 100",
    ] {
        assert!(s.contains(word), "{word}");
    }
}

#[test]
fn the_worked_examples_are_what_the_code_computes() {
    let c = SeoConfig::default();
    let s = section();
    assert_eq!(opportunity(&c.scoring, 2400, 42, Some(7)), 99);
    assert!(s.contains("2400 × (11.0 − 3.9) /\n100 × 0.58 = 98.83, so **99** clicks"));
    assert_eq!(opportunity(&c.scoring, 5000, 70, None), 165);
    assert!(s.contains("5000 ×\n11.0 / 100 × 0.30 = **165**"));
    assert_eq!(click_gain(&c.scoring, 1900, 35, None, 3), 136);
    assert!(s.contains("1900 × 11.0 /\n100 × 0.65 = 135.85, a gap of **136** clicks"));
    let week: Vec<Observation> = [4, 3, 5, 4, 3, 5, 4]
        .iter()
        .enumerate()
        .map(|(i, r)| Observation {
            on: chrono::NaiveDate::from_ymd_opt(2026, 4, 1 + i as u32).unwrap(),
            rank: Some(*r),
            url: None,
        })
        .collect();
    let fourteenth = Observation {
        on: chrono::NaiveDate::from_ymd_opt(2026, 4, 8).unwrap(),
        rank: Some(14),
        url: None,
    };
    let d = drop_of(&week, &fourteenth, &c.drops).expect("a drop");
    assert_eq!((d.trailing_average, d.threshold), (Some(4.0), 9.0));
    assert!(s.contains("ranked 4, 3, 5, 4, 3, 5, 4 for a week (average 4.0), then 14th"));
    assert!(s.contains("so the threshold 9.0 is crossed"));
}
