//! Scoring tests: the shipped tables, changed tables, refused tables, the word automaton.

use super::*;
use chrono::Duration;

/// The tables read word by word, as the automaton must answer: the first group (in
/// table order) with a word in the text, else `other`.
fn first_group_by_words(text: &str, groups: &[WordGroup], other: u8) -> u8 {
    groups
        .iter()
        .find(|g| g.words.iter().any(|w| text.contains(w.as_str())))
        .map_or(other, |g| g.points)
}

fn role_points_by_words(m: &ScoringModel, title: &str) -> u8 {
    let t = format!(
        " {} ",
        title.to_ascii_lowercase().replace(['-', ',', '/'], " ")
    );
    let r = &m.role;
    let bonus = if r.function_words.iter().any(|w| t.contains(w.as_str())) {
        r.function_bonus
    } else {
        0
    };
    first_group_by_words(&t, &r.seniority, r.other)
        .saturating_add(bonus)
        .min(100)
}

proptest::proptest! {
    /// The one-pass automaton gives every title and industry the points the tables give
    /// word by word: texts built from the tables' own words (in any order, overlapping,
    /// cut, upper-cased) and noise.
    #[test]
    fn the_word_automaton_scores_as_the_tables_read_word_by_word(
        picks in proptest::collection::vec((0usize..200, 0usize..4), 0..5),
        noise in "[a-zA-Z ,/-]{0,12}",
    ) {
        let m = crate::LeadConfig::default().scoring;
        let mut words: Vec<&str> = m.role.function_words.iter().map(String::as_str).collect();
        for g in m.role.seniority.iter().chain(&m.industry.groups) {
            words.extend(g.words.iter().map(String::as_str));
        }
        let mut text = noise.clone();
        for (w, how) in picks {
            let w = words[w % words.len()].trim();
            match how {
                0 => text.push_str(w),
                1 => text = format!("{w} {text}"),
                2 => text.push_str(&w.to_uppercase()),
                _ => text.push_str(&w[..w.len() / 2]),
            }
        }
        proptest::prop_assert_eq!(m.role_points(&text), role_points_by_words(&m, &text));
        let lower = text.to_ascii_lowercase();
        proptest::prop_assert_eq!(
            m.industry_points(&text),
            first_group_by_words(&lower, &m.industry.groups, m.industry.other)
        );
    }
}

fn at() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

/// Role points of the shipped tables.
fn role_points(title: &str) -> u8 {
    crate::LeadConfig::default().scoring.role_points(title)
}

#[test]
fn ideal_enterprise_lead_is_hot_only_with_intent() {
    let m = crate::LeadConfig::default().scoring;
    let mut facts = LeadFacts {
        company_size: 2_000,
        industry: "Aerospace & Defense",
        role: "VP Engineering",
        interactions: &[],
    };
    let cold_start = m.score(&facts, at());
    // size 100, industry 100, role 90 + 10 (engineering) → fit 100.
    assert_eq!(cold_start.fit, 100);
    assert_eq!(cold_start.intent, 0);
    assert_eq!(cold_start.score, 60);
    assert_eq!(cold_start.grade, LeadGrade::Warm);
    let recent = [
        (InteractionKind::DemoRequested, at() - Duration::days(1)),
        (InteractionKind::PricingPageVisit, at() - Duration::days(3)),
    ];
    facts.interactions = &recent;
    let s = m.score(&facts, at());
    // demo 50*(29/30)=48.3 + pricing 20*(27/30)=18 → 66
    assert_eq!(s.intent, 66);
    assert_eq!(s.score, 86); // 0.6*100 + 0.4*66 = 86.4
    assert_eq!(s.grade, LeadGrade::Hot);
    assert!(s.reasons.iter().any(|r| r.contains("DemoRequested")));
}

#[test]
fn small_irrelevant_lead_is_cold_and_old_interactions_do_not_count() {
    let m = crate::LeadConfig::default().scoring;
    let old = [(InteractionKind::DemoRequested, at() - Duration::days(45))];
    let s = m.score(
        &LeadFacts {
            company_size: 4,
            industry: "Restaurants",
            role: "Intern",
            interactions: &old,
        },
        at(),
    );
    assert_eq!(s.intent, 0);
    assert_eq!(s.grade, LeadGrade::Cold);
}

#[test]
fn role_parsing() {
    assert_eq!(role_points("Chief Innovation Officer"), 100);
    assert_eq!(role_points("VP, Operations"), 100);
    assert_eq!(role_points("Head of L&D"), 80);
    assert_eq!(role_points("Training Manager"), 70);
    assert_eq!(role_points("Software engineer"), 40);
    assert_eq!(role_points("student"), 5);
}

#[test]
fn the_shipped_tables_give_today_s_points() {
    let m = crate::LeadConfig::default().scoring;
    let sizes = [0, 9, 10, 49, 50, 199, 200, 999, 1000, 4999, 5000, 100_000];
    assert_eq!(
        sizes.map(|n| m.size_points(n)),
        [10, 10, 35, 35, 60, 60, 85, 85, 100, 100, 90, 90]
    );
    let industries = [
        "Automotive",
        "Oil & Gas",
        "AEC",
        "Higher Education",
        "Retail",
        "SaaS",
        "Restaurants",
    ];
    assert_eq!(
        industries.map(|i| m.industry_points(i)),
        [100, 90, 85, 70, 50, 40, 30]
    );
    assert_eq!(role_points("CEO"), 100);
    assert_eq!(role_points("Mischief Maker"), 100, "`chief` is a substring");
    assert_eq!(role_points("Team Lead"), 60);
    assert_eq!(m.interaction_points(InteractionKind::DemoRequested), 50.0);
    assert_eq!(m.interaction_points(InteractionKind::EmailOpened), 2.0);
}

#[test]
fn changed_point_tables_change_the_grade() {
    let shipped = crate::LeadConfig::default().scoring;
    let recent = [(InteractionKind::PricingPageVisit, at() - Duration::days(1))];
    let facts = LeadFacts {
        company_size: 300,
        industry: "Retail",
        role: "Store Manager",
        interactions: &recent,
    };
    // size 85, industry 50, role 60 → fit 65; pricing 20*(29/30) → intent 19; score 47.
    let before = shipped.score(&facts, at());
    assert_eq!((before.score, before.grade), (47, LeadGrade::Warm));
    // A company that now sells to retail: retail is worth 100 points.
    let text = ascent_core::config::ConfigFile::shipped().text().replace(
        "{ points = 50, words = [\"logistic\", \"retail\"] }",
        "{ points = 100, words = [\"logistic\", \"retail\"] }",
    );
    let file = ascent_core::config::ConfigFile::parse("x.toml", text).unwrap();
    let changed = crate::LeadConfig::from_file(&file).unwrap().scoring;
    assert_eq!(changed.industry_points("Retail"), 100);
    let after = changed.score(&facts, at());
    // fit 0.35*85 + 0.35*100 + 0.3*60 = 82.75 → 83; 0.6*83 + 0.4*19 = 57.4 → 57.
    assert_eq!((after.fit, after.score), (83, 57));
    assert!(
        after
            .reasons
            .iter()
            .any(|r| r == "industry Retail (100 pts)")
    );
    // And more for a pricing-page visit makes the same lead hot.
    let text = file
        .text()
        .replace("pricing_page_visit = 20.0", "pricing_page_visit = 90.0");
    let file = ascent_core::config::ConfigFile::parse("x.toml", text).unwrap();
    let hot = crate::LeadConfig::from_file(&file).unwrap().scoring;
    assert_eq!(hot.score(&facts, at()).grade, LeadGrade::Hot);
}

#[test]
fn invalid_point_tables_are_refused_naming_the_key() {
    let shipped = ascent_core::config::ConfigFile::shipped();
    let refused = |from: &str, to: &str| {
        assert!(shipped.text().contains(from), "{from}");
        let text = shipped.text().replace(from, to);
        let file = ascent_core::config::ConfigFile::parse("x.toml", text).unwrap();
        let e = crate::LeadConfig::from_file(&file).unwrap_err();
        assert!(e.line.is_some(), "{e}");
        (e.path, e.message)
    };
    let (path, message) = refused(
        "{ up_to = 49, points = 35 }",
        "{ up_to = 49, points = 135 }",
    );
    assert_eq!(path, "lead_generation.scoring.company_size.bands[1].points");
    assert_eq!(message, "135 is outside 0 … 100");
    let (path, _) = refused("{ up_to = 199, points = 60 }", "{ up_to = 9, points = 60 }");
    assert_eq!(path, "lead_generation.scoring.company_size.bands[2].up_to");
    let (path, message) = refused("\"logistic\", \"retail\"", "\"logistic\", \"aerospace\"");
    assert_eq!(path, "lead_generation.scoring.industry.groups[4].words[1]");
    assert!(message.contains("already at"), "{message}");
    let (path, _) = refused("\"logistic\", \"retail\"", "\"logistic\", \" \"");
    assert_eq!(path, "lead_generation.scoring.industry.groups[4].words[1]");
    let (path, _) = refused("industry = 0.35", "industry = 0.45");
    assert_eq!(path, "lead_generation.scoring.fit");
    let (path, _) = refused("demo_requested = 50.0", "demo_requested = -5.0");
    assert_eq!(path, "lead_generation.scoring.intent.demo_requested");
    let (path, _) = refused("function_bonus = 10", "function_bonus = 10\nbonus = 1");
    assert_eq!(path, "lead_generation.scoring.role.bonus");
}
