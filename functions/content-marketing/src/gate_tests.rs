//! The quality gate on hand-counted drafts: a good one passes, and every failing check is named.

use super::*;
use crate::settings::Bounds;

fn rules() -> ChannelRules {
    ChannelRules {
        days: vec!["Tue".into()],
        every_weeks: 1,
        min_words: 40,
        max_words: 200,
        min_headings: 2,
        keyword_density_pct: Bounds {
            min: 1.0,
            max: 10.0,
        },
    }
}

fn gate() -> GateSettings {
    GateSettings {
        min_reading_ease: 50.0,
        max_paragraph_words: 60,
        banned_claims: vec![
            "guaranteed".into(),
            "100% safe".into(),
            "best in the world".into(),
        ],
    }
}

const GOOD: &str = "# VR safety training that crews remember

VR safety training lets a crew practise the rare jobs. They try a fire drill. They fix a leak. No one gets hurt.

## Why it works

People keep what they do. A crew that has done the drill in a headset knows the steps. The next real drill goes well.

## How to start

Pick one risky job. Build the scene with your best trainer. Run VR safety training once a month and track the results.
";

#[test]
fn a_clear_draft_on_its_keyword_passes() {
    let r = review(
        Draft {
            title: "VR safety training that crews remember",
            body: GOOD,
            keyword: "VR safety training",
        },
        &rules(),
        &gate(),
    );
    assert_eq!(r.failures, []);
    assert!(r.passed());
    // 23 + 24 + 22 words in the three paragraphs (headings are not counted);
    // the keyword's 3 words twice: 6 / 69 = 8.70%.
    assert_eq!(r.words, 69);
    assert!((r.density_pct - 600.0 / 69.0).abs() < 1e-9);
    assert!(r.reading_ease.unwrap() > 50.0);
}

#[test]
fn every_failing_check_is_named() {
    // 11 words, 1 sentence, 14 syllables (guar-an-teed, pro-gramme): reading ease
    // 206.835 - 11.165 - 107.67 = 88.0, which passes; the rest fails.
    let body = "# Headsets\n\nThis guaranteed, 100% SAFE programme is the best in   the world.\n";
    let r = review(
        Draft {
            title: "Our new headsets",
            body,
            keyword: "VR safety training",
        },
        &rules(),
        &gate(),
    );
    let kw = || "VR safety training".to_string();
    assert_eq!(
        r.failures,
        [
            Failure::KeywordNotInTitle { keyword: kw() },
            Failure::KeywordNotInFirstParagraph { keyword: kw() },
            Failure::KeywordDensity {
                pct: 0.0,
                min: 1.0,
                max: 10.0
            },
            Failure::TooFewHeadings { found: 1, min: 2 },
            Failure::TooShort { words: 11, min: 40 },
            Failure::BannedClaim {
                phrase: "guaranteed".into()
            },
            Failure::BannedClaim {
                phrase: "100% safe".into()
            },
            Failure::BannedClaim {
                phrase: "best in the world".into()
            },
        ]
    );
    assert!((r.reading_ease.unwrap() - 87.997_272_727).abs() < 1e-6);
    assert_eq!(
        r.failures[2].to_string(),
        "keyword density 0.00% is outside 1% to 10% of the words"
    );
    assert_eq!(r.failures[5].to_string(), "banned claim \"guaranteed\"");
}

#[test]
fn banned_claims_match_whole_words_only() {
    let body = GOOD.replace("No one gets hurt.", "Results are unguaranteed.");
    let r = review(
        Draft {
            title: "VR safety training that crews remember",
            body: &body,
            keyword: "VR safety training",
        },
        &rules(),
        &gate(),
    );
    assert!(
        !r.failures
            .iter()
            .any(|f| matches!(f, Failure::BannedClaim { .. })),
        "{:?}",
        r.failures
    );
}

#[test]
fn hard_long_and_overlong_drafts_are_named() {
    // One paragraph of 66 long words: hard to read and longer than 60 words; with three more
    // short ones the draft has 231 words, more than 200.
    let dense = "VR safety training institutionalises comprehensive organisational \
                 competencies, operationalising interdisciplinary methodologies systematically. "
        .repeat(6);
    let short = "VR safety training helps crews. ".repeat(11);
    let body = format!(
        "# VR safety training\n\n{dense}\n\n## One\n\n{short}\n\n## Two\n\n{short}\n\n{short}\n"
    );
    let r = review(
        Draft {
            title: "VR safety training",
            body: &body,
            keyword: "VR safety training",
        },
        &rules(),
        &gate(),
    );
    assert_eq!(r.words, 66 + 3 * 55);
    let ease = r.reading_ease.unwrap();
    assert!(r.failures.contains(&Failure::HardToRead {
        score: ease,
        min: 50.0
    }));
    assert!(ease < 50.0, "{ease}");
    assert!(r.failures.contains(&Failure::LongParagraphs {
        count: 1,
        first: 1,
        words: 66,
        max: 60
    }));
    assert!(r.failures.iter().any(|f| f.to_string()
        == "1 paragraph(s) of more than 60 words (the first: paragraph 1, 66 words)"));
    assert!(r.failures.contains(&Failure::TooLong {
        words: 231,
        max: 200
    }));
}

#[test]
fn many_long_paragraphs_make_one_failure_with_their_count() {
    // Three paragraphs of 65 words (13 five-word sentences), one of 20: one failure, so a
    // huge draft's reasons stay short.
    let long = "VR safety training helps crews. ".repeat(13);
    let short = "VR safety training helps crews. ".repeat(4);
    let body = format!("# A\n\n{short}\n\n## B\n\n{long}\n\n{long}\n\n{long}\n");
    let r = review(
        Draft {
            title: "VR safety training",
            body: &body,
            keyword: "VR safety training",
        },
        &rules(),
        &gate(),
    );
    let long: Vec<&Failure> = r
        .failures
        .iter()
        .filter(|f| matches!(f, Failure::LongParagraphs { .. }))
        .collect();
    assert_eq!(
        long,
        [&Failure::LongParagraphs {
            count: 3,
            first: 2,
            words: 65,
            max: 60
        }]
    );
}
