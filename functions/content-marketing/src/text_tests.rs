//! Words, syllables, sentences and Flesch reading ease against hand-counted texts; topics and
//! their similarity.

use super::*;

#[test]
fn syllables_follow_the_rules_on_known_words() {
    for (word, n) in [
        ("the", 1),
        ("cat", 1),
        ("training", 2),
        ("maintenance", 3),
        ("simple", 2),
        ("walked", 1),
        ("wanted", 2),
        ("makes", 1),
        ("boxes", 2),
        ("technician", 3),
        ("engine", 2),
        ("daily", 2),
        ("every", 3),
        ("Headset", 2),
        ("2026", 1),
    ] {
        assert_eq!(syllables(word), n, "{word}");
    }
}

#[test]
fn words_skip_links_and_punctuation() {
    assert_eq!(
        words("Read [our guide](https://ascent-xr.example/guide), it's *free*!"),
        ["read", "our", "guide", "it's", "free"]
    );
    assert_eq!(words("VR-based 100% safe"), ["vr", "based", "100", "safe"]);
}

#[test]
fn sentences_end_at_stops_followed_by_space_or_the_end() {
    assert_eq!(sentences("The cat sat. The dog ran!"), 2);
    // A decimal point is not a stop; a line without one is a sentence.
    assert_eq!(sentences("Costs fell 2.5 times. Then"), 2);
    assert_eq!(sentences("- a list item"), 1);
    assert_eq!(sentences("Why? Because."), 2);
}

#[test]
fn flesch_reading_ease_by_hand() {
    // 9 words, 2 sentences, 9 syllables:
    // 206.835 - 1.015 * 4.5 - 84.6 * 1.0 = 117.6675
    let easy = reading_ease(["The cat sat on the mat. The dog ran."]).unwrap();
    assert!((easy - 117.6675).abs() < 1e-9, "{easy}");
    // "Technicians practise engine maintenance daily." 5 words, 1 sentence;
    // syllables 3 (tech-ni-cians) + 2 (prac-tise) + 2 + 3 + 2 (dai-ly) = 12:
    // 206.835 - 1.015 * 5 - 84.6 * 12 / 5 = 206.835 - 5.075 - 203.04 = -1.28
    let hard = reading_ease(["Technicians practise engine maintenance daily."]).unwrap();
    assert!((hard - -1.28).abs() < 1e-9, "{hard}");
    // Two paragraphs count together: 14 words, 3 sentences, 21 syllables.
    let both = reading_ease([
        "The cat sat on the mat. The dog ran.",
        "Technicians practise engine maintenance daily.",
    ])
    .unwrap();
    let by_hand = 206.835 - 1.015 * 14.0 / 3.0 - 84.6 * 21.0 / 14.0;
    assert!((both - by_hand).abs() < 1e-9, "{both} vs {by_hand}");
    assert_eq!(reading_ease(["", "  "]), None);
}

#[test]
fn markdown_blocks_are_headings_and_paragraphs() {
    let b = blocks("# Title\n\nFirst line\nsecond line.\n\n## Part two\nText.\n\n\n");
    assert_eq!(b.headings, ["Title", "Part two"]);
    assert_eq!(b.paragraphs, ["First line\nsecond line.", "Text."]);
}

#[test]
fn phrases_match_on_stems_without_overlap() {
    let text = stems("Training technicians: XR training for technicians trains technician teams.");
    assert_eq!(occurrences(&text, &stems("train technicians")), 2);
    assert_eq!(occurrences(&text, &stems("xr training")), 1);
    assert_eq!(occurrences(&text, &stems("vr")), 0);
    assert_eq!(occurrences(&text, &[]), 0);
}

#[test]
fn near_identical_topics_share_most_stemmed_terms() {
    let a = topic("VR safety training");
    let b = topic("safety trainings in VR");
    assert_eq!(a, ["safeti", "train", "vr"]);
    assert_eq!(similarity_pct(&a, &b), 100);
    let c = topic("VR maintenance training");
    // {vr, train} shared of {vr, safeti, train, mainten}: 50%.
    assert_eq!(similarity_pct(&a, &c), 50);
    assert_eq!(similarity_pct(&a, &topic("pricing of headsets")), 0);
    assert_eq!(similarity_pct(&[], &[]), 0);
}
