//! Technical checks of crawled pages, by hand.

use super::*;

const CHECKS: PageChecks = PageChecks {
    slow_ms: 3000,
    broken_links_kept: 2,
};

fn page(url: &str) -> PageCrawled {
    PageCrawled {
        url: url.into(),
        status: 200,
        title: Some("XR maintenance training | Ascent XR".into()),
        meta_description: Some("Train technicians on virtual engines.".into()),
        load_ms: 1850,
        links: vec![CrawledLink {
            href: "https://ascent-xr.example/pricing".into(),
            status: 200,
        }],
        crawled_at: "2026-04-06T02:10:00Z".parse().unwrap(),
    }
}

#[test]
fn a_healthy_page_has_no_findings() {
    assert_eq!(
        findings(&page("https://ascent-xr.example/a"), &[], &CHECKS),
        []
    );
}

#[test]
fn every_check_names_what_to_fix() {
    let mut p = page("https://ascent-xr.example/solutions/welding");
    p.status = 503;
    p.title = Some("   ".into());
    p.meta_description = None;
    p.load_ms = 4200;
    p.links = [
        ("https://ascent-xr.example/old-case-study", 404),
        ("https://ascent-xr.example/pricing", 200),
        ("https://partner.example/api", 500),
        ("https://ascent-xr.example/gone", 410),
        ("https://ascent-xr.example/moved", 301),
    ]
    .iter()
    .map(|(href, status)| CrawledLink {
        href: href.to_string(),
        status: *status,
    })
    .collect();
    let f = findings(&p, &[], &CHECKS);
    let kinds: Vec<Kind> = f.iter().map(|x| x.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::ErrorStatus,
            Kind::MissingTitle,
            Kind::MissingMetaDescription,
            Kind::BrokenLinks,
            Kind::SlowPage
        ]
    );
    assert_eq!(f[0].detail, "the page answers 503");
    // Three broken (a redirect is not), two listed as configured.
    assert_eq!(
        f[3].detail,
        "3 broken: https://ascent-xr.example/old-case-study (404), \
         https://partner.example/api (500) and 1 more"
    );
    assert_eq!(f[4].detail, "loads in 4200 ms (over 3000 ms)");
    // Exactly at the threshold is not slow.
    let mut p = page("https://ascent-xr.example/b");
    p.load_ms = 3000;
    assert_eq!(findings(&p, &[], &CHECKS), []);
}

#[test]
fn a_title_shared_with_another_page_is_a_duplicate() {
    let p = page("https://ascent-xr.example/b");
    let f = findings(&p, &["https://ascent-xr.example/a".to_string()], &CHECKS);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::DuplicateTitle);
    assert_eq!(f[0].detail, "the same title as https://ascent-xr.example/a");
    assert_eq!(
        title_key(Some("  XR Maintenance   Training | Ascent XR ")),
        title_key(Some("xr maintenance training | ascent xr"))
    );
    assert_eq!(title_key(Some(" ")), None);
}

#[test]
fn bad_pages_are_refused_naming_the_field() {
    let mut p = page("https://ascent-xr.example/a");
    p.links[0].status = 0;
    let e = check(&p).unwrap_err().to_string();
    assert!(
        e.contains("links[0].status: 0 is not an HTTP status"),
        "{e}"
    );
    let mut p = page("not a url");
    let e = check(&p).unwrap_err().to_string();
    assert!(e.contains("url: `not a url`"), "{e}");
    p.url = "https://ascent-xr.example/a".into();
    p.status = 999;
    assert!(check(&p).unwrap_err().to_string().contains("status: 999"));
}

#[test]
fn site_counts_follow_each_page_s_change() {
    let mut s = SiteCounts::default();
    s.apply(None, &[Kind::SlowPage, Kind::BrokenLinks]);
    s.apply(None, &[Kind::SlowPage]);
    s.apply(None, &[]);
    assert_eq!(s.pages, 3);
    assert_eq!(s.by_kind[&Kind::SlowPage], 2);
    // The first page fixed its links and got faster; the second lost its title.
    s.apply(Some(&[Kind::SlowPage, Kind::BrokenLinks]), &[]);
    s.apply(
        Some(&[Kind::SlowPage]),
        &[Kind::SlowPage, Kind::MissingTitle],
    );
    assert_eq!(s.pages, 3);
    assert_eq!(
        s.by_kind.iter().map(|(k, n)| (*k, *n)).collect::<Vec<_>>(),
        [(Kind::MissingTitle, 1), (Kind::SlowPage, 1)]
    );
}
