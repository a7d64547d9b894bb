//! Duplicate detection: hand-computed similarities, and precision and recall on the labelled
//! sample `data/duplicate_pairs.tsv` (each contact cleaned as a change from a CRM would be).

use super::*;
use crate::contact::{Contact, RawFields, clean};
use crate::settings::CrmConfig;

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3
}

#[test]
fn similarities_worked_by_hand() {
    // Jaro-Winkler of maria/mario: 4 of 5 letters match in place, no transpositions:
    // jaro = (4/5 + 4/5 + 4/4) / 3 = 0.8667; a common prefix of 4: + 4 × 0.1 × 0.1333 = 0.92.
    assert!(near(name_similarity("maria garcia", "mario garcia"), 0.92));
    // jon/john: 3 matches, jaro = (1 + 3/4 + 1) / 3 = 0.9167; prefix 2: 0.9333.
    assert!(near(name_similarity("jon smith", "john smith"), 0.9333));
    // An initial and a nickname count as the name; the family name still has to match.
    assert_eq!(name_similarity("a ruiz", "ana ruiz"), 1.0);
    assert_eq!(name_similarity("bob lindqvist", "robert lindqvist"), 1.0);
    assert_eq!(name_similarity("steve kowalski", "stephen kowalski"), 1.0);
    // nilsson/nilson: 6 matches of 7 and 6, jaro 0.9524; prefix 4: 0.9714.
    assert!(near(
        name_similarity("greta nilsson", "greta nilson"),
        0.9714
    ));
    assert_eq!(name_similarity("", "ana ruiz"), 0.0);
}

#[test]
fn the_rules_in_order() {
    let keys = |email: &str, domain: Option<&str>, name: &str, phone: Option<&str>| MatchKeys {
        email: Some(email.into()),
        domain: domain.map(String::from),
        company: None,
        name: Some(name.into()),
        phone: phone.map(String::from),
    };
    let a = keys(
        "ana.ruiz@boreal-aero.example",
        Some("boreal-aero.example"),
        "ana ruiz",
        None,
    );
    let b = keys("ana.ruiz@boreal-aero.example", None, "someone else", None);
    assert_eq!(duplicate(&a, &b, 0.93).unwrap().rule, Rule::SameEmail);
    let c = keys(
        "aruiz@boreal-aero.example",
        Some("boreal-aero.example"),
        "a ruiz",
        None,
    );
    let d = duplicate(&a, &c, 0.93).unwrap();
    assert_eq!((d.rule, d.similarity), (Rule::SameDomainSimilarName, 1.0));
    let e = keys("ana@gmail.com", None, "ana ruiz", Some("+4930901820"));
    let f = keys("ana.r@yahoo.com", None, "ana ruiz", Some("+4930901820"));
    assert_eq!(
        duplicate(&e, &f, 0.93).unwrap().rule,
        Rule::SamePhoneSimilarName
    );
    // Similar names with nothing else in common are two people.
    let g = keys(
        "ana@solvent-labs.example",
        Some("solvent-labs.example"),
        "ana ruiz",
        None,
    );
    assert_eq!(duplicate(&a, &g, 0.93), None);
    // Maria and Mario at one company stay two people at 0.93, one at 0.90.
    let m1 = keys(
        "maria@sunridge.example",
        Some("sunridge.example"),
        "maria garcia",
        None,
    );
    let m2 = keys(
        "mario@sunridge.example",
        Some("sunridge.example"),
        "mario garcia",
        None,
    );
    assert_eq!(duplicate(&m1, &m2, 0.93), None);
    assert!(duplicate(&m1, &m2, 0.90).is_some());
}

fn contact(f: &[&str], config: &CrmConfig) -> Contact {
    let v = |s: &str| (s != "-").then(|| s.to_string());
    let raw = RawFields {
        full_name: v(f[0]),
        email: v(f[1]),
        company: v(f[2]),
        phone: v(f[3]),
        ..RawFields::default()
    };
    let at = "2026-03-02T09:00:00Z".parse().unwrap();
    let change = clean("hubspot", "1", at, &raw, None, config);
    assert!(change.refused.is_empty(), "{f:?}: {:?}", change.refused);
    let mut c = Contact::new("hubspot:1");
    c.apply(&change, &config.source_priority);
    c
}

/// What duplicate detection finds on the labelled sample: true and false positives, false
/// negatives, true negatives, and each wrong pair.
pub(crate) fn measure(config: &CrmConfig) -> (u32, u32, u32, u32, Vec<String>) {
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    let data = include_str!("../data/duplicate_pairs.tsv");
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 10, "{line}");
        let a = contact(&f[1..5], config).match_keys(config);
        let b = contact(&f[5..9], config).match_keys(config);
        let found = duplicate(&a, &b, config.name_similarity).is_some();
        match (f[0] == "1", found) {
            (true, true) => tp += 1,
            (false, true) => {
                fp += 1;
                wrong.push(format!("false duplicate: {} / {} ({})", f[1], f[5], f[9]));
            }
            (true, false) => {
                fn_ += 1;
                wrong.push(format!("missed: {} / {} ({})", f[1], f[5], f[9]));
            }
            (false, false) => tn += 1,
        }
    }
    (tp, fp, fn_, tn, wrong)
}

#[test]
fn precision_and_recall_on_the_labelled_sample_are_at_least_095() {
    let config = CrmConfig::default();
    let (tp, fp, fn_, tn, wrong) = measure(&config);
    let precision = tp as f64 / (tp + fp) as f64;
    let recall = tp as f64 / (tp + fn_) as f64;
    println!(
        "duplicate detection on {} labelled pairs at name similarity {}: precision {precision:.3} ({tp} of {} found), recall {recall:.3} ({tp} of {} duplicates); {tn} pairs rightly kept apart",
        tp + fp + fn_ + tn,
        config.name_similarity,
        tp + fp,
        tp + fn_
    );
    for w in &wrong {
        println!("  {w}");
    }
    assert!(tp + fp + fn_ + tn >= 60);
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");
}
