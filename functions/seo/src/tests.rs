//! SEO through an in-memory twin: given events, when they are handled, then what is kept,
//! emitted and mailed.

use super::*;
use ascent_core::catalog::{
    CompetitorKeyword, CompetitorKeywordsObserved, ContentGapFound, CrawledLink, PageCrawled,
};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::sync::Arc;

#[path = "tests_pages.rs"]
mod crawls;

const SEO: &str = "ascent.seo";
const OWNER: &str = "seo@ascent-xr.example";
const MAINTENANCE: &str = "https://ascent-xr.example/solutions/maintenance";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn twin() -> TestTwin {
    // 2026-04-01 is a Wednesday.
    TestTwin::new(vec![Arc::new(Seo::default())], at("2026-04-01T03:00:00Z"))
}

fn day(d: &str) -> NaiveDate {
    d.parse().unwrap()
}

fn rank(t: &TestTwin, keyword: &str, on: &str, r: Option<u32>, volume: u32, difficulty: u32) {
    t.emit(
        SEO,
        KeywordRankObserved {
            keyword: keyword.into(),
            url: r.map(|_| MAINTENANCE.into()),
            rank: r,
            search_volume: volume,
            difficulty,
            observed_on: day(on),
        },
    );
}

fn dead_letters(t: &TestTwin) -> Vec<String> {
    t.runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect()
}

fn mails_to(t: &TestTwin, to: &str) -> Vec<ascent_core::ports::Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect()
}

fn alerts(t: &TestTwin) -> Vec<ThresholdCrossed> {
    t.emitted("ThresholdCrossed")
        .iter()
        .map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) => x.clone(),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn a_keyword_falling_below_its_trailing_average_alerts_the_owner_once() {
    let t = twin();
    // Given a week at 3rd to 5th for "xr maintenance training" (2,400 searches, difficulty 42).
    let ranks = [4, 3, 5, 4, 3, 5, 4];
    for (i, r) in ranks.iter().enumerate() {
        let on = day("2026-04-01") + Duration::days(i as i64);
        rank(
            &t,
            " XR Maintenance Training",
            &on.to_string(),
            Some(*r),
            2400,
            42,
        );
    }
    assert!(alerts(&t).is_empty());
    // When it falls to 14th (trailing average 28 / 7 = 4.0; the threshold 9.0).
    rank(
        &t,
        "xr maintenance training",
        "2026-04-08",
        Some(14),
        2400,
        42,
    );
    // Then one ThresholdCrossed and one mail to the SEO owner.
    let a = alerts(&t);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].metric, "seo.rank.xr maintenance training");
    assert_eq!((a[0].value, a[0].threshold), (14.0, 9.0));
    assert_eq!(a[0].direction, Direction::Above);
    let mails = mails_to(&t, OWNER);
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].subject,
        "SEO rank drop: \"xr maintenance training\" fell to #14 on 2026-04-08"
    );
    assert!(
        mails[0]
            .text
            .contains("from #4 at the observation before; trailing average 4.0"),
        "{}",
        mails[0].text
    );
    // Still down the next day: no second alert.
    rank(
        &t,
        "xr maintenance training",
        "2026-04-09",
        Some(15),
        2400,
        42,
    );
    assert_eq!(alerts(&t).len(), 1);
    // The history is one item of the most recent observations, oldest first.
    let h = t
        .get(
            Domain::Performance,
            &keyword_pk("xr maintenance training"),
            "history",
        )
        .unwrap();
    let kept: Vec<u64> = h["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(kept, [4, 3, 5, 4, 3, 5, 4, 14, 15]);
    assert!(dead_letters(&t).is_empty());
}

#[test]
fn opportunities_are_kept_ranked_by_expected_click_gain() {
    let t = twin();
    // 2400 × (11.0 − 3.9)% × 0.58 = 98.83 -> 99.
    rank(
        &t,
        "xr maintenance training",
        "2026-04-01",
        Some(7),
        2400,
        42,
    );
    // Unranked: 5000 × 11.0% × 0.30 = 165.
    rank(&t, "vr welding simulator", "2026-04-01", None, 5000, 70);
    // Already 2nd: no opportunity.
    rank(&t, "ascent xr", "2026-04-01", Some(2), 900, 5);
    let list = t
        .get(Domain::Performance, OPPORTUNITIES_PK, "current")
        .unwrap();
    let got: Vec<(String, u64)> = list["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["keyword"].as_str().unwrap().to_string(),
                o["score"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("vr welding simulator".to_string(), 165),
            ("xr maintenance training".to_string(), 99)
        ]
    );
    // Reaching 3rd removes it from the list.
    rank(
        &t,
        "xr maintenance training",
        "2026-04-02",
        Some(3),
        2400,
        42,
    );
    let list = t
        .get(Domain::Performance, OPPORTUNITIES_PK, "current")
        .unwrap();
    assert_eq!(list["opportunities"].as_array().unwrap().len(), 1);
}

fn competitor(t: &TestTwin, keywords: &[(&str, u32, u32, u32)]) {
    t.emit(
        SEO,
        CompetitorKeywordsObserved {
            competitor: "RivalXR.example".into(),
            observed_on: day("2026-04-06"),
            keywords: keywords
                .iter()
                .map(|(k, rank, volume, difficulty)| CompetitorKeyword {
                    keyword: k.to_string(),
                    rank: *rank,
                    search_volume: *volume,
                    difficulty: *difficulty,
                })
                .collect(),
        },
    );
}

fn gaps(t: &TestTwin) -> Vec<ContentGapFound> {
    t.emitted("ContentGapFound")
        .iter()
        .map(|e| match e.payload() {
            Payload::ContentGapFound(g) => g.clone(),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn content_gaps_are_found_once_per_keyword() {
    let t = twin();
    // We rank 35th for "ar remote assistance" and 6th for "xr maintenance training".
    rank(&t, "ar remote assistance", "2026-04-05", Some(35), 800, 50);
    rank(
        &t,
        "xr maintenance training",
        "2026-04-05",
        Some(6),
        2400,
        42,
    );
    competitor(
        &t,
        &[
            ("VR safety training", 3, 1900, 35),      // we do not rank: a gap
            ("ar remote assistance", 1, 800, 50),     // we are 35th: a gap
            ("xr maintenance training", 2, 2400, 42), // we are 6th: no gap
            ("vr forklift course", 4, 150, 20),       // too few searches
            ("immersive learning", 14, 5000, 60),     // competitor not in its top 10
        ],
    );
    let g = gaps(&t);
    assert_eq!(g.len(), 2);
    // 1900 × 11.0% × 0.65 = 135.85 -> 136; 800 × 27.6% × 0.50 = 110.4 -> 110.
    assert_eq!(
        g[0],
        ContentGapFound {
            keyword: "vr safety training".into(),
            search_volume: 1900,
            difficulty: 35,
            competitor: "rivalxr.example".into(),
            competitor_rank: 3,
            our_rank: None,
            score: 136,
        }
    );
    assert_eq!(
        (g[1].keyword.as_str(), g[1].our_rank, g[1].score),
        ("ar remote assistance", Some(35), 110)
    );
    // The next week's page lists them again: nothing new.
    competitor(&t, &[("vr safety training", 2, 2000, 35)]);
    assert_eq!(gaps(&t).len(), 2);
}

#[test]
fn bad_rank_and_competitor_events_are_dead_lettered_naming_the_field() {
    let t = twin();
    rank(
        &t,
        "xr maintenance training",
        "2026-04-01",
        Some(0),
        2400,
        42,
    );
    rank(&t, "   ", "2026-04-01", Some(4), 2400, 42);
    rank(
        &t,
        "xr maintenance training",
        "2026-04-01",
        Some(4),
        2400,
        142,
    );
    competitor(&t, &[("vr safety training", 3, 1900, 35), ("", 2, 500, 10)]);
    let too_many: Vec<(&str, u32, u32, u32)> = vec![("vr", 1, 500, 10); 41];
    competitor(&t, &too_many);
    let reasons = dead_letters(&t);
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(
        reasons[0].contains("rank: 0 is not a position 1 to 100"),
        "{}",
        reasons[0]
    );
    assert!(reasons[1].contains("keyword: is blank"), "{}", reasons[1]);
    assert!(reasons[2].contains("difficulty: 142"), "{}", reasons[2]);
    assert!(
        reasons[3].contains("keywords[1].keyword: is blank"),
        "{}",
        reasons[3]
    );
    assert!(
        reasons[4].contains("keywords: 41 listed, at most 40"),
        "{}",
        reasons[4]
    );
    // Nothing of a refused page was used.
    assert!(gaps(&t).is_empty());
}

fn crawl(t: &TestTwin, url: &str, title: Option<&str>, load_ms: u32, links: &[(&str, u16)]) {
    t.emit(
        SEO,
        PageCrawled {
            url: url.into(),
            status: 200,
            title: title.map(str::to_string),
            meta_description: Some("Train technicians on virtual engines.".into()),
            load_ms,
            links: links
                .iter()
                .map(|(href, status)| CrawledLink {
                    href: href.to_string(),
                    status: *status,
                })
                .collect(),
            crawled_at: t.now(),
        },
    );
}

#[test]
fn the_weekly_report_lists_findings_drops_and_opportunities() {
    let t = twin();
    let (a, b, c) = (
        "https://ascent-xr.example/solutions/maintenance",
        "https://ascent-xr.example/solutions/welding",
        "https://ascent-xr.example/about",
    );
    crawl(
        &t,
        a,
        Some("XR training | Ascent XR"),
        1200,
        &[("https://ascent-xr.example/pricing", 200)],
    );
    crawl(
        &t,
        b,
        Some("XR Training | Ascent XR"),
        4100,
        &[("https://ascent-xr.example/old", 404)],
    );
    crawl(&t, c, None, 900, &[]);
    for (i, r) in [Some(8), Some(9), Some(7), Some(12)].iter().enumerate() {
        let on = day("2026-04-06") + Duration::days(i as i64);
        rank(&t, "xr maintenance training", &on.to_string(), *r, 2400, 42);
    }
    let h = t
        .get(Domain::Performance, &crate::pages::page_pk(b), "page")
        .unwrap();
    assert_eq!(h["findings"].as_array().unwrap().len(), 3, "{h}");
    // Tuesday's daily run: not the report day.
    t.tick("daily", at("2026-04-07T06:00:00Z"));
    assert!(
        mails_to(&t, OWNER)
            .iter()
            .all(|m| !m.subject.starts_with("SEO report"))
    );
    // Monday's: the report.
    t.tick("daily", at("2026-04-13T06:00:00Z"));
    t.tick("daily", at("2026-04-13T06:00:00Z"));
    let reports: Vec<_> = mails_to(&t, OWNER)
        .into_iter()
        .filter(|m| m.subject.starts_with("SEO report"))
        .collect();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].subject, "SEO report, week of 2026-04-06");
    let text = &reports[0].text;
    for line in [
        "Technical checks: 3 page(s) crawled; findings:",
        "  missing title: 1 page(s)",
        "  duplicate title: 1 page(s)",
        "  broken links: 1 page(s)",
        "  slow page: 1 page(s)",
        "    - broken links: 1 broken: https://ascent-xr.example/old (404)",
        "    - slow page: loads in 4100 ms (over 3000 ms)",
        &format!("    - duplicate title: the same title as {a}"),
        // 2400 × (11.0 − 0)% × 0.58 = 153.12 -> 153.
        "  1. \"xr maintenance training\": 153 clicks (#12 now, 2400 searches, difficulty 42)",
        "  2026-04-09 \"xr maintenance training\": #7 to #12 (left the top 10)",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    }
    // Pages to fix in address order.
    let about = text.find(&format!("  {c}\n")).unwrap();
    assert!(about < text.find(&format!("  {b}\n")).unwrap());
    assert!(!text.contains(&format!("  {a}\n")), "{text}");
    let ranked = t.emitted("KeywordOpportunitiesRanked");
    assert_eq!(ranked.len(), 1);
    assert!(
        t.get(Domain::Performance, "seo#report#2026-04-13", "report")
            .is_some()
    );
}
