//! `[content_marketing]` as shipped, and bad values refused naming their key.

use super::*;
use chrono::NaiveDate;

#[test]
fn the_shipped_settings_are_read() {
    let c = ContentConfig::default();
    assert_eq!(c.marketing, "content@ascent-xr.example");
    assert_eq!(c.weekly_report_day, Weekday::Mon);
    assert_eq!((c.topic_clash_days, c.topic_similarity_pct), (21, 60));
    assert_eq!(
        (c.brief_lead_days, c.draft_lead_days, c.horizon_days),
        (14, 2, 90)
    );
    assert_eq!(
        c.channels.keys().collect::<Vec<_>>(),
        ["blog", "case_study", "newsletter", "social"]
    );
    let blog = c.channels["blog"].cadence();
    assert_eq!(blog.days, [Weekday::Tue, Weekday::Thu]);
    // 2026-03-03 is a Tuesday, 2026-03-04 a Wednesday.
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    assert!(blog.has_slot(d("2026-03-03")) && !blog.has_slot(d("2026-03-04")));
    assert_eq!(c.briefs.channel, "blog");
    assert_eq!(c.case_studies.channel, "case_study");
    assert!(c.gate.banned_claims.contains(&"100% safe".to_string()));
}

fn refused(from: &str, to: &str) -> ConfigError {
    let shipped = ConfigFile::shipped().text().to_string();
    assert!(shipped.contains(from), "{from}");
    let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
    ContentConfig::from_file(&file).unwrap_err()
}

#[test]
fn bad_values_are_refused_by_key_path() {
    let e = refused(
        "days = [\"Tue\", \"Thu\"]",
        "days = [\"Tue\", \"Donnerstag\"]",
    );
    assert_eq!(e.path, "content_marketing.channels.blog.days[1]");
    assert!(e.line.is_some());
    let e = refused("days = [\"Tue\", \"Thu\"]", "days = [\"Tue\", \"Tue\"]");
    assert_eq!(e.path, "content_marketing.channels.blog.days[1]");
    let e = refused(
        "min_words = 800\nmax_words = 2500",
        "min_words = 800\nmax_words = 500",
    );
    assert_eq!(e.path, "content_marketing.channels.blog.max_words");
    let e = refused(
        "keyword_density_pct = { min = 0.5, max = 2.5 }",
        "keyword_density_pct = { min = 3.5, max = 2.5 }",
    );
    assert_eq!(
        e.path,
        "content_marketing.channels.blog.keyword_density_pct"
    );
    let e = refused("channel = \"blog\"", "channel = \"podcast\"");
    assert_eq!(e.path, "content_marketing.briefs.channel");
    let e = refused(
        "title = \"How {company} trains with Ascent XR\"",
        "title = \"How {customer} trains with Ascent XR\"",
    );
    assert_eq!(e.path, "content_marketing.case_studies.title");
    assert!(e.message.contains("customer"), "{}", e.message);
    let e = refused("min_reading_ease = 50.0", "min_reading_ease = nan");
    assert_eq!(e.path, "content_marketing.gate.min_reading_ease");
    let e = refused("topic_similarity_pct = 60", "topic_similarity_pct = 0");
    assert_eq!(e.path, "content_marketing.topic_similarity_pct");
    let e = refused(
        "content@ascent-xr.example\"\nweekly_report_day = \"Mon\"",
        "content@ascent-xr.example\"\nweekly_report_day = \"Mo\"",
    );
    assert_eq!(e.path, "content_marketing.weekly_report_day");
    let e = refused(
        "report_top_pieces = 10",
        "report_top_pieces = 10\nbonus = 1",
    );
    assert!(e.path.contains("bonus"), "{}", e.path);
}

#[test]
fn banned_claims_are_compared_in_lower_case_with_single_spaces() {
    let shipped = ConfigFile::shipped().text().to_string();
    let text = shipped.replacen("\"never fails\"]", "\"Never   FAILS\"]", 1);
    let c = ContentConfig::from_file(&ConfigFile::parse("x.toml", text).unwrap()).unwrap();
    assert_eq!(c.gate.banned_claims.last().unwrap(), "never fails");
}
