//! docs/marketing.md's "## Content" against the shipped settings and the code: every line of
//! the shipped `[content_marketing]` sections as shipped, the calendar's worked example as
//! placed by [`crate::calendar`], and the Flesch figures as [`crate::text`] computes them.

use crate::ContentConfig;
use crate::calendar::{self, Clash, Slot};
use crate::text;
use ascent_core::config::ConfigFile;
use chrono::{Duration, NaiveDate};

const PAGE: &str = include_str!("../../../docs/marketing.md");

fn content() -> &'static str {
    ascent_core::docs::section(PAGE, "Content").expect("a section \"## Content\"")
}

/// The shipped `[content_marketing]` sections' lines (comments and blank lines left out).
fn shipped_lines() -> Vec<String> {
    let text = ConfigFile::shipped().text().to_string();
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with('[') {
            inside = line == "[content_marketing]" || line.starts_with("[content_marketing.");
            if line == "[content_marketing]" {
                continue;
            }
        }
        let l = line.trim();
        if inside && !l.is_empty() && !l.starts_with('#') {
            out.push(l.to_string());
        }
    }
    out
}

#[test]
fn the_content_section_lists_every_shipped_setting_as_shipped() {
    let section = content();
    let lines = shipped_lines();
    assert!(lines.len() > 40, "{lines:?}");
    for line in lines {
        assert!(
            section.lines().any(|l| l.trim() == line),
            "docs/marketing.md ## Content lacks the shipped `{line}`"
        );
    }
    for word in [
        "ContentGapFound",
        "ContentDraftSubmitted",
        "ContentScheduled",
        "CaseStudyConsentGiven",
        "DealClosedWon",
        "ContentEngagementObserved",
        "206.835 − 1.015 × (words / sentences) − 84.6 × (syllables / words)",
    ] {
        assert!(section.contains(word), "{word}");
    }
}

#[test]
fn the_worked_calendar_example_is_what_the_calendar_places() {
    let c = ContentConfig::default();
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let today = d("2026-03-02");
    let from = today + Duration::days(i64::from(c.brief_lead_days));
    let to = today + Duration::days(i64::from(c.horizon_days));
    let clash = Clash {
        days: c.topic_clash_days,
        similarity_pct: c.topic_similarity_pct,
    };
    let blog = c.channels[&c.briefs.channel].cadence();
    let mut taken: Vec<Slot> = Vec::new();
    let mut place = |keyword: &str| {
        let topic = text::topic(keyword);
        let day = calendar::next_free(&blog, from, to, &taken, keyword, &topic, clash).unwrap();
        taken.push(Slot {
            day,
            piece_id: keyword.into(),
            title: keyword.into(),
            topic,
        });
        day
    };
    assert_eq!(place("vr safety training"), d("2026-03-17"));
    assert_eq!(place("safety trainings in VR"), d("2026-04-07"));
    assert_eq!(place("xr maintenance training"), d("2026-03-19"));
    assert_eq!(
        text::topic("safety trainings in VR"),
        ["safeti", "train", "vr"]
    );
    let section = content();
    for phrase in [
        "Tuesday 17 March",
        "takes Tuesday 7 April",
        "takes Thursday 19 March",
        "{safeti, train, vr}",
        "1 of 5 terms shared, 20%",
    ] {
        assert!(section.contains(phrase), "{phrase}");
    }
}

#[test]
fn the_flesch_examples_are_what_the_formula_gives() {
    let section = content();
    for (sentence, shown) in [
        ("The cat sat on the mat. The dog ran.", "= 117.67"),
        ("Technicians practise engine maintenance daily.", "= −1.28"),
    ] {
        let score = text::reading_ease([sentence]).unwrap();
        let figure = format!("= {score:.2}").replace('-', "−");
        assert_eq!(figure, shown);
        assert!(section.contains(sentence), "{sentence}");
        assert!(section.contains(shown), "{shown}");
    }
}
