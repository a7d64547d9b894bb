//! docs/marketing.md's "## Social media" against the shipped settings and the code: every
//! setting of `[social_media]` as shipped, and the worked examples as the code computes them.

use crate::SocialConfig;
use crate::slots::{self, Cell, Slot, SlotStats};
use crate::spikes;
use ascent_core::catalog::SlotBasis;
use ascent_core::config::ConfigFile;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

const PAGE: &str = include_str!("../../../docs/marketing.md");

fn section() -> &'static str {
    ascent_core::docs::section(PAGE, "Social media").expect("a section \"## Social media\"")
}

/// The shipped `[social_media]` and its sub-tables, one line each (comments left out).
fn shipped_settings() -> Vec<String> {
    let text = ConfigFile::shipped().text().to_string();
    let start = text.find("\n[social_media]\n").expect("the section") + 1;
    text[start..]
        .lines()
        .take_while(|l| !l.starts_with('[') || l.starts_with("[social_media"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_section_lists_every_shipped_setting_as_shipped() {
    let section = section();
    let settings = shipped_settings();
    assert_eq!(settings.len(), 37, "{settings:?}");
    for line in settings {
        assert!(
            section.lines().any(|l| l.trim() == line),
            "docs/marketing.md ## Social media lacks the shipped `{line}`"
        );
    }
    for word in [
        "MentionObserved",
        "TicketOpened",
        "ThresholdCrossed",
        "SocialPostScheduled",
        "Idempotency-Key",
        "Retry-After",
        "ASCENT_MASTODON_TOKEN",
        "SocialPublishingPageDue",
        "SocialPostPublished",
        "ExceptionRaised",
        "social#failed",
    ] {
        assert!(section.contains(word), "{word}");
    }
}

#[test]
fn the_sentiment_examples_are_what_the_shipped_lexicon_scores() {
    let c = SocialConfig::default();
    let mixed = c
        .sentiment
        .score("I love the new headset but the app crashes and support is not helpful");
    assert_eq!((mixed.score, mixed.negative), (-1.0, false));
    let angry = c
        .sentiment
        .score("Headset firmware broken again and the support portal is useless");
    assert_eq!((angry.score, angry.negative), (-6.0, true));
    let s = section();
    assert!(
        s.contains("not\nhelpful −2: **−1**, not negative"),
        "the mixed example"
    );
    assert!(
        s.contains("useless −3: **−6**, negative"),
        "the angry example"
    );
}

#[test]
fn the_spike_examples_are_what_the_shipped_settings_read() {
    let c = SocialConfig::default().spikes;
    assert_eq!(c.window_buckets, 24);
    let flat = [1u32; 24];
    let r = spikes::read(&c, 10, &flat, false, false);
    assert_eq!((r.z, r.alert), (9.0, true));
    assert!(
        !spikes::read(&c, 9, &flat, false, false).spiking,
        "under min_mentions"
    );
    let mut varied = [2u32; 24];
    varied[12..].fill(6);
    assert_eq!(spikes::z_score(10, &varied, c.min_std), 3.0);
    assert!(!spikes::read(&c, 10, &varied, false, false).spiking);
    assert_eq!(spikes::z_score(11, &varied, c.min_std), 3.5);
    assert!(spikes::read(&c, 11, &varied, false, false).alert);
    let s = section();
    for figure in ["(10 − 1) / 1 = **9**", "z = **3.0**", "**3.5**: a spike"] {
        assert!(s.contains(figure), "{figure}");
    }
}

#[test]
fn the_scheduling_example_is_what_the_shipped_settings_pick() {
    let c = SocialConfig::default();
    let mut stats = SlotStats::default();
    stats.cells.insert(
        "Fri 16:00".into(),
        Cell {
            posts: 3,
            impressions: 3000,
            engagements: 240,
        },
    );
    stats.cells.insert(
        "Wed 12:00".into(),
        Cell {
            posts: 3,
            impressions: 3500,
            engagements: 210,
        },
    );
    for h in 0..14 {
        let label = Slot { day: 5, hour: h }.label();
        stats.cells.insert(
            label,
            Cell {
                posts: 1,
                impressions: 100,
                engagements: 20,
            },
        );
    }
    let (ranked, basis) = slots::best_slots(&stats, "linkedin", &c.scheduling);
    assert_eq!(basis, SlotBasis::Learned);
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let mut taken = BTreeSet::new();
    let mut got = Vec::new();
    for _ in 0..3 {
        let (t, _) = slots::pick(&ranked, at("2026-03-09T12:00:00Z"), 14, &taken, c.zone())
            .expect("a free slot");
        taken.insert(t);
        got.push(t);
    }
    assert_eq!(
        got,
        [
            at("2026-03-11T16:00:00Z"),
            at("2026-03-13T20:00:00Z"),
            at("2026-03-18T16:00:00Z")
        ]
    );
    let s = section();
    for figure in [
        "**Wednesday 11 March 12:00**",
        "(16:00 UTC",
        "**Friday 13 March 16:00**",
        "**Wednesday\n18 March 12:00**",
    ] {
        assert!(s.contains(figure), "{figure}");
    }
}

#[test]
fn the_publishing_figures_are_what_the_shipped_settings_give() {
    use crate::publisher::PublishError;
    use crate::publishing::{Outcome, decide};
    let c = SocialConfig::default();
    let m = &c.mastodon;
    assert_eq!(
        (m.max_attempts, m.timeout_seconds, m.max_wait_seconds),
        (3, 4, 3)
    );
    assert_eq!(c.publishing.page_seconds + m.worst_post_seconds(), 28);
    let now: DateTime<Utc> = "2026-03-04T18:00:00Z".parse().unwrap();
    let o = decide(
        Err(PublishError::RateLimited { wait_seconds: 900 }),
        0,
        now,
        &c.publishing,
    );
    assert!(matches!(o, Outcome::Retry { at, .. } if at == now + chrono::Duration::hours(1)));
    let s = section();
    for figure in [
        "10 + 3 × 4 + 3 + 3 = 28 s",
        "asking for 900 s (more than the 3 s",
        "due again in an hour (`retry_minutes` 60",
    ] {
        assert!(s.contains(figure), "{figure}");
    }
}
