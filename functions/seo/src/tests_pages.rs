//! Crawled pages through the twin: a fix at the next crawl, a late older crawl, a renamed
//! title, and a report that lists only what is configured.

use super::*;
use ascent_core::config::ConfigFile;

const A: &str = "https://ascent-xr.example/solutions/maintenance";
const B: &str = "https://ascent-xr.example/solutions/welding";

fn counts(t: &TestTwin) -> serde_json::Value {
    t.get(Domain::Performance, crate::pages::SITE_PK, "counts")
        .unwrap()["by_kind"]
        .clone()
}

#[test]
fn a_page_fixed_at_its_next_crawl_leaves_the_findings_and_a_late_crawl_changes_nothing() {
    let t = twin();
    crawl(
        &t,
        A,
        Some("XR training"),
        5200,
        &[("https://ascent-xr.example/old", 404)],
    );
    assert_eq!(counts(&t), json!({"broken_links": 1, "slow_page": 1}));
    assert_eq!(
        t.query_index(Domain::Performance, crate::pages::FINDINGS_INDEX)
            .len(),
        1
    );
    let stale_at = t.now();
    // A day later the page loads in 1.4 s and the link is gone.
    t.clock.set(stale_at + Duration::days(1));
    crawl(&t, A, Some("XR training"), 1400, &[]);
    assert_eq!(counts(&t), json!({}));
    assert!(
        t.query_index(Domain::Performance, crate::pages::FINDINGS_INDEX)
            .is_empty()
    );
    // The first crawl delivered again late: the page keeps its newer state.
    t.emit(
        SEO,
        PageCrawled {
            url: A.into(),
            status: 200,
            title: Some("XR training".into()),
            meta_description: Some("Train technicians.".into()),
            load_ms: 5200,
            links: vec![],
            crawled_at: stale_at,
        },
    );
    assert_eq!(counts(&t), json!({}));
    let site = t
        .get(Domain::Performance, crate::pages::SITE_PK, "counts")
        .unwrap();
    assert_eq!(site["pages"], 1);
    // A recrawl that finds what the last one found leaves the site's counts item alone.
    t.clock.set(t.now() + Duration::days(1));
    crawl(&t, A, Some("XR training"), 1300, &[]);
    let again = t
        .get(Domain::Performance, crate::pages::SITE_PK, "counts")
        .unwrap();
    assert_eq!(again["version"], site["version"]);
}

#[test]
fn a_renamed_page_no_longer_shares_its_old_title() {
    let t = twin();
    crawl(&t, A, Some("XR training | Ascent XR"), 900, &[]);
    crawl(&t, B, Some("XR training | Ascent XR"), 900, &[]);
    assert_eq!(counts(&t), json!({"duplicate_title": 1}));
    // A is renamed; B at its next crawl is unique again.
    t.clock.set(t.now() + Duration::days(1));
    crawl(&t, A, Some("XR maintenance training | Ascent XR"), 900, &[]);
    crawl(&t, B, Some("XR training | Ascent XR"), 900, &[]);
    assert_eq!(counts(&t), json!({}));
    let b = t
        .get(Domain::Performance, &crate::pages::page_pk(B), "page")
        .unwrap();
    assert_eq!(b["findings"], json!([]));
}

#[test]
fn a_page_without_a_valid_status_is_dead_lettered_naming_the_field() {
    let t = twin();
    crawl(
        &t,
        A,
        Some("XR training"),
        900,
        &[("https://ascent-xr.example/x", 0)],
    );
    let reasons = dead_letters(&t);
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains("links[0].status: 0 is not an HTTP status"),
        "{}",
        reasons[0]
    );
    assert!(
        t.get(Domain::Performance, &crate::pages::page_pk(A), "page")
            .is_none()
    );
}

#[test]
fn the_report_lists_at_most_the_configured_pages_and_says_there_are_more() {
    let text = ConfigFile::shipped().text().replacen(
        "report_items_listed = 20",
        "report_items_listed = 1",
        1,
    );
    let file = ConfigFile::parse("x.toml", text).unwrap();
    let t = TestTwin::new(
        vec![Arc::new(Seo::from_config(&file).unwrap())],
        at("2026-04-01T03:00:00Z"),
    );
    crawl(&t, B, None, 900, &[]);
    crawl(&t, A, None, 900, &[]);
    t.tick("daily", at("2026-04-06T06:00:00Z"));
    let mail = mails_to(&t, OWNER).pop().unwrap();
    assert!(
        mail.text.contains("  missing title: 2 page(s)"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("Pages to fix (the first 1 by address):"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains(&format!("  {A}\n")));
    assert!(!mail.text.contains(&format!("  {B}\n")));
}
