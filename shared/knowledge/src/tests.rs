//! Given articles, when searched or grouped, then … (tests of the knowledge base).

use super::*;

fn article(id: &str, title: &str, body: &str, tags: &[&str]) -> Article {
    Article {
        article_id: id.into(),
        title: title.into(),
        body: body.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        version: 1,
    }
}

/// Every hit over the caller's floor, however far below the best.
fn unfiltered() -> SearchSettings {
    SearchSettings {
        relative_score_pct: 0,
        ..SearchSettings::default()
    }
}

fn kb() -> KnowledgeBase {
    kb_with(SearchSettings::default())
}

/// Three articles: Pairing a headset (KB-1), Resetting your password (KB-2), Publishing a
/// project (KB-3).
fn kb_with(settings: SearchSettings) -> KnowledgeBase {
    KnowledgeBase::build_with(
        &[
            article(
                "KB-1",
                "Pairing a headset with Ascent Studio",
                "Open Studio, choose Devices, hold the headset's power button until it pairs.",
                &["hardware", "headset", "pairing"],
            ),
            article(
                "KB-2",
                "Resetting your password",
                "Use the sign-in page's reset link; single sign-on users reset with their provider.",
                &["access", "login"],
            ),
            article(
                "KB-3",
                "Publishing a project to your team",
                "Projects are published from the Share menu; published projects open on every headset.",
                &["projects"],
            ),
        ],
        1,
        settings,
    )
    .unwrap()
}

#[test]
fn ranks_by_bm25_with_stemming_and_title_boost() {
    let kb = kb_with(unfiltered());
    let hits = kb
        .search("Our headsets won't pair since the update!!", 3, 0.0)
        .unwrap();
    assert_eq!(hits[0].article_id, "KB-1", "{hits:?}");
    // "headsets" (plural) matched "headset" through stemming; KB-3 mentions headsets too,
    // but lower.
    assert!(hits.iter().any(|h| h.article_id == "KB-3"));
    assert!(hits[0].score > hits.last().unwrap().score);
    let hits = kb.search("password reset for login", 1, 0.0).unwrap();
    assert_eq!(hits[0].article_id, "KB-2");
}

#[test]
fn nothing_relevant_is_no_hit_and_syntax_is_only_words() {
    let kb = kb();
    assert!(kb.search("invoice VAT number", 3, 0.5).unwrap().is_empty());
    // Query syntax characters never fail a search.
    assert!(kb.search("title:(\"unbalanced AND OR", 3, 0.0).is_ok());
    assert!(
        KnowledgeBase::build(&[], 0)
            .unwrap()
            .search("anything", 3, 0.0)
            .unwrap()
            .is_empty()
    );
}

// ---- Search quality (issue 23, defect 7) ----

use ascent_core::config::ConfigFile;
use serde::Deserialize;

/// The sample knowledge base shipped with the crate.
fn shipped_articles() -> Vec<Article> {
    serde_json::from_str(include_str!("../data/articles.json")).unwrap()
}

fn shipped() -> KnowledgeBase {
    shipped_with(SearchSettings::default())
}

fn shipped_with(settings: SearchSettings) -> KnowledgeBase {
    KnowledgeBase::build_with(&shipped_articles(), 1, settings).unwrap()
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.article_id.as_str()).collect()
}

fn rank(hits: &[Hit], id: &str) -> Option<usize> {
    hits.iter().position(|h| h.article_id == id)
}

#[test]
fn stop_words_are_not_searched_and_words_are_stemmed() {
    assert_eq!(
        analysis::terms("Cannot login to the portal, headsets charging"),
        ["login", "portal", "headset", "charg"]
    );
    // Given the three articles, when a customer cannot log in, then Password reset ranks
    // above Publishing. Before, Publishing came first (1.95 against 1.11): it matched only
    // through "to" and "the".
    let hits = kb_with(unfiltered())
        .search("cannot login to the portal", 3, 0.0)
        .unwrap();
    assert_eq!(ids(&hits), ["KB-2"], "{hits:?}");
    // And with the shipped articles: signing in to the portal first, then Password reset;
    // Publishing nowhere.
    let every = shipped_with(unfiltered())
        .search("cannot login to the portal", 10, 1.0)
        .unwrap();
    assert_eq!(ids(&every)[..2], ["KB-6", "KB-2"], "{every:?}");
    assert!(rank(&every, "KB-3").is_none(), "{every:?}");
}

#[test]
fn a_misspelt_word_finds_the_article_it_meant() {
    let kb = kb();
    // "pasword" is one edit from "password"; "hedset" one from "headset".
    assert_eq!(kb.query_terms("pasword"), ["password"]);
    assert_eq!(kb.query_terms("hedset"), ["headset"]);
    assert_eq!(ids(&kb.search("pasword", 3, 1.0).unwrap())[0], "KB-2");
    assert_eq!(
        ids(&kb.search("hedset pairing", 3, 1.0).unwrap())[0],
        "KB-1"
    );
    // With the shipped articles too; before, both found nothing.
    let articles = shipped();
    let first = |q: &str| ids(&articles.search(q, 3, 1.0).unwrap())[0].to_string();
    assert_eq!(first("hedset will not pair"), "KB-1");
    assert_eq!(first("pasword reset email"), "KB-2");
    // Two edits from eight letters: "firnwear" is "firmware" (stem "firmwar": n for m, no e).
    assert_eq!(articles.query_terms("firnwear")[0], "firmwar");
    // Short words are never guessed at (under five letters): "fast" is not "cast", "pai" not
    // "pair"; a word of a synonym group is not a typo either ("visor" stays "visor").
    assert!(articles.query_terms("fast").is_empty());
    assert!(kb.query_terms("pai").is_empty());
    assert_eq!(articles.query_terms("visor")[0], "headset");
    assert_eq!(analysis::levenshtein("pasword", "password"), 1);
    assert_eq!(analysis::levenshtein("calibraton", "calibration"), 1);
    assert_eq!(analysis::levenshtein("kitten", "sitting"), 3);
}

#[test]
fn synonyms_from_the_configuration_widen_the_query() {
    // Given the shipped synonyms, "HMD" finds the headset article though no article says HMD…
    let hits = kb().search("my HMD", 3, 1.0).unwrap();
    assert_eq!(ids(&hits), ["KB-1"], "{hits:?}");
    // A phrase is a phrase: "head mounted display" is those words in a row, which no shipped
    // article has, not "head" anywhere (the fitting article's "head strap").
    let articles = shipped();
    assert_eq!(articles.query_terms("HMD"), ["headset"]);
    assert_eq!(ids(&articles.search("HMD", 3, 1.0).unwrap())[0], "KB-1");
    // "wlan", in no article, searches wifi, the phrase "wi fi" (the articles' "Wi-Fi") and
    // wireless: the Wi-Fi article first.
    assert_eq!(articles.query_terms("wlan"), ["wifi", "wi fi", "wireless"]);
    assert_eq!(ids(&articles.search("wlan", 3, 1.0).unwrap())[0], "KB-13");
    // "sign in" is a phrase of the group: "Cannot sign in" adds "login"; "sign" alone or
    // "log" in "error log" is not the phrase, and adds nothing.
    let group = vec![vec!["login".to_string(), "sign in".into(), "log on".into()]];
    let q = |text: &str| -> Vec<String> {
        analysis::synonyms(&analysis::phrase(text), &group)
            .iter()
            .map(|w| w.text())
            .collect()
    };
    assert_eq!(q("Cannot sign in"), ["login", "log"]);
    assert_eq!(q("Signing in fails"), ["login", "log"]);
    assert!(q("sign the form").is_empty());
    assert!(q("the error log").is_empty());
    // …and without the synonym list it finds nothing ("pair" alone is in KB-1's title, so
    // take a query with only the synonym).
    let none = SearchSettings {
        synonyms: Vec::new(),
        ..SearchSettings::default()
    };
    let bare = KnowledgeBase::build_with(&shipped_articles(), 1, none).unwrap();
    assert!(bare.search("visor", 3, 1.0).unwrap().is_empty());
    let hits = shipped().search("visor", 3, 1.0).unwrap();
    assert!(!hits.is_empty(), "visor means headset");
}

#[test]
fn hits_far_below_the_best_are_left_out() {
    let all = SearchSettings {
        relative_score_pct: 0,
        ..SearchSettings::default()
    };
    let articles = shipped_articles();
    let loose = KnowledgeBase::build_with(&articles, 1, all).unwrap();
    let q = "refund for a charge";
    let every = loose.search(q, 10, 1.0).unwrap();
    assert_eq!(ids(&every), ["KB-9", "KB-4", "KB-17", "KB-5"], "{every:?}");
    let best = every[0].score;
    // Given hits above the old fixed floor of 1.0 but under 40% of the best…
    let weak: Vec<&Hit> = every.iter().filter(|h| h.score < best * 0.4).collect();
    assert!(!weak.is_empty(), "{every:?}");
    // …when searched with the shipped 40%, then only those at 40% or more remain.
    let kept = shipped().search(q, 10, 1.0).unwrap();
    // Refund (13.9) and Charging (8.9, 64%) stay; Lessons not downloading (1.5, 11%) and
    // Firmware updates (1.3, 10%), over the old floor, go.
    assert_eq!(ids(&kept), ["KB-9", "KB-4"], "{kept:?}");
    assert!(kept.iter().all(|h| h.score >= best * 0.4), "{kept:?}");
    assert_eq!(
        kept.len(),
        every.len() - weak.len(),
        "{every:?} vs {kept:?}"
    );
}

#[derive(Debug, Deserialize)]
struct Labelled {
    query: String,
    relevant: Vec<String>,
}

/// The labelled query set (data/queries.json: 48 questions customers ask, each with the
/// articles that answer it) over the shipped articles, searched as the agents do (three hits,
/// the absolute floor 1.0, the shipped settings). Precision@3 is the share of the hits shown
/// (up to three) that answer the question, averaged over the queries (a query with no hit
/// counts 0); recall@3 the share of a query's answers (up to three) that are shown.
#[test]
fn the_labelled_queries_find_their_articles() {
    let kb = shipped();
    let queries: Vec<Labelled> =
        serde_json::from_str(include_str!("../data/queries.json")).unwrap();
    assert!(queries.len() >= 30 && kb.len() >= 15);
    let (mut precision, mut recall, mut first) = (0.0, 0.0, 0usize);
    let mut misses = Vec::new();
    for q in &queries {
        assert!(
            q.relevant.iter().all(|id| kb.article(id).is_some()),
            "{q:?}"
        );
        let hits = kb.search(&q.query, 3, 1.0).unwrap();
        let found = hits
            .iter()
            .filter(|h| q.relevant.contains(&h.article_id))
            .count();
        precision += if hits.is_empty() {
            0.0
        } else {
            found as f64 / hits.len() as f64
        };
        recall += found as f64 / q.relevant.len().min(3) as f64;
        if hits
            .first()
            .is_some_and(|h| q.relevant.contains(&h.article_id))
        {
            first += 1;
        } else {
            misses.push(format!("{:?} -> {:?}", q.query, ids(&hits)));
        }
    }
    let n = queries.len() as f64;
    let (precision, recall) = (precision / n, recall / n);
    println!(
        "knowledge search over {} queries, {} articles: precision@3 {:.3}, recall@3 {:.3}, \
         right first {}/{}",
        queries.len(),
        kb.len(),
        precision,
        recall,
        first,
        queries.len()
    );
    for m in &misses {
        println!("  first hit not an answer: {m}");
    }
    // Measured with the shipped settings: 0.760, 0.938, 44 of 48. The search as it was
    // (stop-words counted, no typos, no synonyms, a fixed floor of 1.0) found nothing for
    // "pasword", "hedset" or "HMD" and put Publishing first for "cannot login to the portal".
    assert!(precision >= 0.70, "precision@3 {precision:.3}");
    assert!(recall >= 0.90, "recall@3 {recall:.3}");
    assert!(first as f64 >= 0.85 * n, "right first {first}");
}

// ---- Knowledge-gap topics ----

/// Four issues no article answers, each told twice in different words.
const PAIRS: [(&str, &str); 4] = [
    (
        "Spatial audio crackles in the headset. The audio crackles during every lesson.",
        "Crackling audio: headset sound crackling since Monday",
    ),
    (
        "Certificates for completed courses are not generated; learners ask for certificates",
        "No certificate generated after the learner completed the course",
    ),
    (
        "Kiosk mode: how do we lock the headset into kiosk mode for the trade show?",
        "Lock headsets to one app at our trade show (kiosk)",
    ),
    (
        "Haptic gloves integration - do you support haptic gloves?",
        "Support for haptic glove hardware integration in lessons",
    ),
];

#[test]
fn the_same_issue_in_other_words_is_one_gap_and_different_issues_are_not() {
    let threshold = 25;
    // Given the first ticket of each issue as a gap's topic…
    let firsts: Vec<GapTopic> = PAIRS.iter().map(|(a, _)| gap_topic(a, 5)).collect();
    assert_eq!(
        firsts[0].terms,
        ["audio", "crackl", "headset", "lesson", "spatial"]
    );
    assert_eq!(firsts[0].name, "audio crackles headset lesson spatial");
    // …when the second ticket comes, then it joins its own issue's topic. By hand, shared
    // terms over all terms: audio, crackl, headset of 7 = 43%; all 5 (certificate, complete,
    // course, generate, learner in other forms) = 100%; headset, lock, trade of 7 = 43%;
    // glove, haptic, integr, support of 5 = 80%.
    let expected = [3.0 / 7.0, 1.0, 3.0 / 7.0, 0.8];
    for (i, (_, second)) in PAIRS.iter().enumerate() {
        let topic = gap_topic(second, 5);
        let similarity = topics::jaccard(&topic.terms, &firsts[i].terms);
        assert!(
            (similarity - expected[i]).abs() < 1e-9,
            "{topic:?}: {similarity}"
        );
        let joined = closest_topic(&topic.terms, &firsts, threshold);
        assert_eq!(
            joined.map(|t| &t.name),
            Some(&firsts[i].name),
            "{second:?} {topic:?} should join {:?}",
            firsts[i]
        );
    }
    // Different issues never join each other: the most any two share is "headset", 1 of 9.
    for (i, a) in firsts.iter().enumerate() {
        let others: Vec<GapTopic> = firsts
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, t)| t.clone())
            .collect();
        assert!(
            closest_topic(&a.terms, &others, threshold).is_none(),
            "{a:?}"
        );
    }
    // Order-free and stemmed: the two ways of saying it are one topic.
    let calibration = gap_topic("Calibration keeps drifting; the calibration drifts", 2);
    assert_eq!(calibration.terms, ["calibr", "drift"]);
    assert_eq!(calibration.name, "calibration drifting");
    assert_eq!(topic_terms("drift after calibrating", 2), calibration.terms);
    assert_eq!(topics::jaccard(&[], &[]), 0.0);
}

// ---- Settings and the support page ----

#[test]
fn a_bad_search_setting_is_refused_with_its_key() {
    let text = ConfigFile::shipped()
        .text()
        .replace("relative_score_pct = 40", "relative_score_pct = 140");
    let e = SearchSettings::from_file(&ConfigFile::parse("x.toml", text).unwrap()).unwrap_err();
    assert_eq!(e.path, "knowledge.relative_score_pct");
    let text = ConfigFile::shipped()
        .text()
        .replace("fuzzy_distance = 1", "fuzzy_distance = 3");
    let e = SearchSettings::from_file(&ConfigFile::parse("x.toml", text).unwrap()).unwrap_err();
    assert_eq!(e.path, "knowledge.fuzzy_distance");
    // A synonym that is only stop-words would match nothing: refused with its place.
    let text = ConfigFile::shipped().text().replace(
        r#"["password", "passcode""#,
        r#"["password", "it", "passcode""#,
    );
    let e = SearchSettings::from_file(&ConfigFile::parse("x.toml", text).unwrap()).unwrap_err();
    assert_eq!(e.path, "knowledge.synonyms[2][1]");
    assert!(e.message.contains("`it`"), "{e}");
    // Typo tolerance off: nothing is corrected, however long.
    let off = SearchSettings {
        fuzzy_distance: 0,
        ..SearchSettings::default()
    };
    assert_eq!(analysis::allowed_edits("firnwear", &off), 0);
    assert_eq!(
        analysis::allowed_edits("firnwear", &SearchSettings::default()),
        2
    );
    assert_eq!(
        analysis::allowed_edits("hedset", &SearchSettings::default()),
        1
    );
    assert_eq!(
        analysis::allowed_edits("fast", &SearchSettings::default()),
        0
    );
}

/// docs/support.md's "Knowledge search" section.
pub(crate) fn support_page_section() -> String {
    let page = include_str!("../../../docs/support.md");
    let start = page.find("\n## Knowledge search\n").expect("the section") + 1;
    let rest = &page[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    rest[..end].to_string()
}

#[test]
fn the_support_page_describes_the_configured_search() {
    let section = support_page_section();
    let s = SearchSettings::default();
    // Every [knowledge] setting with its shipped value…
    for (key, value) in [
        ("relative_score_pct", s.relative_score_pct.to_string()),
        ("title_boost", format!("{:?}", s.title_boost)),
        ("fuzzy_min_length", s.fuzzy_min_length.to_string()),
        ("fuzzy_distance", s.fuzzy_distance.to_string()),
        ("fuzzy_two_edits_from", s.fuzzy_two_edits_from.to_string()),
    ] {
        let row = format!("| `{key}` | {value} |");
        assert!(section.contains(&row), "missing or out of date: {row}");
    }
    assert!(section.contains("| `synonyms` |"));
    // …and every synonym group, as configured.
    for group in &s.synonyms {
        let row = format!("| {} |", group.join(", "));
        assert!(section.contains(&row), "synonym group missing: {row}");
    }
    let rows = section
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(", ") && !l.contains('`'))
        .count();
    assert_eq!(
        rows,
        s.synonyms.len(),
        "a group listed that is not configured"
    );
}
