//! Lead Generation tests through an in-memory twin.

use super::*;
use ascent_core::catalog::{
    InteractionKind, InteractionRecorded, LeadCreated, LeadGrade, LeadScored,
};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, Utc};
use learning::LogisticModel;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn twin() -> TestTwin {
    TestTwin::new(vec![Arc::new(LeadGeneration::default())], t0())
}

fn lead(id: &str, email: &str, name: &str) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: email.into(),
        full_name: name.into(),
        company: "Boreal Aero".into(),
        company_size: 2_000,
        industry: "Aerospace".into(),
        role: "VP Engineering".into(),
        country: Some("DE".into()),
        channel: "web".into(),
        phone: None,
        time_zone: None,
    }
}

fn interaction(
    email: &str,
    kind: InteractionKind,
    at: DateTime<Utc>,
    id: &str,
) -> InteractionRecorded {
    InteractionRecorded {
        interaction_id: id.into(),
        email: email.into(),
        kind,
        occurred_at: at,
        text: None,
    }
}

fn scored(t: &TestTwin) -> Vec<LeadScored> {
    t.emitted("LeadScored")
        .into_iter()
        .map(|e| match e.payload() {
            Payload::LeadScored(s) => s.clone(),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn scores_a_new_lead_with_prior_intent_and_routes_it_when_hot() {
    let t = twin();
    t.emit(
        "ascent.web",
        interaction(
            "ana@boreal.aero",
            InteractionKind::DemoRequested,
            t0() - Duration::days(1),
            "i1",
        ),
    );
    t.emit(
        "ascent.web",
        interaction(
            "ANA@boreal.aero",
            InteractionKind::PricingPageVisit,
            t0() - Duration::days(3),
            "i2",
        ),
    );
    t.emit("ascent.crm", lead("L1", "Ana@Boreal.aero", "Ana Ruiz"));
    let s = scored(&t);
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].score, s[0].grade, s[0].model.as_str()),
        (86, LeadGrade::Hot, "rules-v1")
    );
    let routed = t.emitted("LeadRouted");
    let Payload::LeadRouted(r) = routed[0].payload() else {
        panic!()
    };
    assert_eq!(r.team, "sales-emea");
    let rec = t.get(Domain::Customer, "lead#L1", "profile").unwrap();
    assert_eq!(rec["email"], "ana@boreal.aero");
    assert_eq!(rec["routed_to"], "sales-emea");
}

#[test]
fn duplicates_by_email_and_by_person_at_domain_are_flagged_not_scored() {
    let t = twin();
    t.emit("ascent.crm", lead("L1", "ana@boreal.aero", "Ana Ruiz"));
    t.emit(
        "ascent.crm",
        lead("L2", "ANA+events@boreal.aero", "A. Ruiz"),
    );
    t.emit("ascent.crm", lead("L3", "a.ruiz@boreal.aero", "Ana  Ruiz"));
    // Same name at a free-mail domain is not a duplicate (a small company: plausible).
    let mut l4 = lead("L4", "ana.ruiz@gmail.com", "Ana Ruiz");
    l4.company_size = 12;
    t.emit("ascent.crm", l4);
    let dups: Vec<(String, String)> = t
        .emitted("LeadDuplicateDetected")
        .iter()
        .map(|e| match e.payload() {
            Payload::LeadDuplicateDetected(d) => (d.lead_id.clone(), d.matched_on.clone()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        dups,
        vec![
            ("L2".into(), "email".into()),
            ("L3".into(), "name_and_domain".into())
        ]
    );
    assert_eq!(
        scored(&t)
            .iter()
            .map(|s| s.lead_id.as_str())
            .collect::<Vec<_>>(),
        vec!["L1", "L4"]
    );
}

#[test]
fn redelivery_of_the_same_lead_is_not_a_duplicate_and_scores_once() {
    let t = twin();
    let e = t.emit("ascent.crm", lead("L1", "ana@boreal.aero", "Ana Ruiz"));
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    assert_eq!(scored(&t).len(), 1);
    assert!(t.emitted("LeadDuplicateDetected").is_empty());
}

#[test]
fn later_intent_rescores_and_routes_once() {
    let t = twin();
    t.emit("ascent.crm", lead("L1", "ana@boreal.aero", "Ana Ruiz"));
    assert_eq!(scored(&t)[0].grade, LeadGrade::Warm);
    t.clock.advance(Duration::days(1));
    t.emit(
        "ascent.web",
        interaction(
            "ana@boreal.aero",
            InteractionKind::DemoRequested,
            t0() + Duration::days(1),
            "i1",
        ),
    );
    t.emit(
        "ascent.web",
        interaction(
            "ana@boreal.aero",
            InteractionKind::WebsiteVisit,
            t0() + Duration::days(1),
            "i2",
        ),
    );
    let s = scored(&t);
    assert_eq!(s.len(), 3);
    assert_eq!(s[1].grade, LeadGrade::Hot);
    assert_eq!(t.emitted("LeadRouted").len(), 1, "routed once");
}

#[test]
fn unusable_email_is_dead_lettered_with_the_reason() {
    let t = twin();
    t.emit("ascent.crm", lead("L9", "ana@localhost", "Ana"));
    let dl = t.runtime.dead_letters().unwrap();
    assert_eq!(dl.len(), 1);
    assert_eq!(
        dl[0].reason,
        "undeliverable event: field `detail.payload.email`: not an RFC 5322 address (a domain of one label)"
    );
}

#[test]
fn territories() {
    let routing = LeadConfig::default().routing;
    assert_eq!(routing.territory(None), "sales-americas");
    assert_eq!(routing.territory(Some("us")), "sales-americas");
    assert_eq!(routing.territory(Some("JP")), "sales-apac");
    assert_eq!(routing.territory(Some("FR")), "sales-emea");
}

#[test]
fn incomplete_leads_are_flagged_not_scored() {
    let t = twin();
    let mut l = lead("L1", "ana@gmail.com", "Ana Ruiz");
    l.industry = "n/a".into();
    l.company_size = 0;
    t.emit("ascent.crm", l);
    assert!(scored(&t).is_empty());
    let Payload::LeadFlagged(f) = t.emitted("LeadFlagged")[0].payload().clone() else {
        unreachable!()
    };
    assert_eq!(
        f.problems,
        ["company size missing (0 employees)", "industry missing"]
    );
    let mut big = lead("L2", "bo@gmail.com", "Bo Lind");
    big.company_size = 5_000;
    t.emit("ascent.crm", big);
    let Payload::LeadFlagged(f) = t.emitted("LeadFlagged")[1].payload().clone() else {
        unreachable!()
    };
    assert!(f.problems[0].starts_with("personal address (gmail.com)"));
}

#[test]
fn outcomes_teach_the_score_and_scores_name_the_model_version() {
    let t = TestTwin::new(
        vec![Arc::new(LeadGeneration::default().learning_after(30))],
        t0(),
    );
    // History: small aerospace companies never buy; large ones always do.
    for i in 0..30 {
        let big = i % 2 == 0;
        let mut l = lead(
            &format!("H{i}"),
            &format!("p{i}@co{i}.example"),
            &format!("P {i}"),
        );
        l.company_size = if big { 2_000 } else { 20 };
        t.emit("ascent.crm", l);
        let deal = format!("D{i}");
        if big {
            t.emit(
                "ascent.crm",
                ascent_core::catalog::DealClosedWon {
                    deal_id: deal,
                    account_id: format!("A{i}"),
                    owner: "ava.rep@ascent-xr.example".into(),
                    amount: ascent_core::money::Money::usd(1_000_000),
                    proposal_id: None,
                    reason: None,
                    lead_id: Some(format!("H{i}")),
                },
            );
        } else {
            t.emit(
                "ascent.crm",
                ascent_core::catalog::DealClosedLost {
                    deal_id: deal,
                    account_id: format!("A{i}"),
                    owner: "ava.rep@ascent-xr.example".into(),
                    reason: "budget".into(),
                    lead_id: Some(format!("H{i}")),
                },
            );
        }
    }
    // Learned once each, even when the CRM repeats itself.
    t.emit(
        "ascent.crm",
        ascent_core::catalog::DealClosedLost {
            deal_id: "D1".into(),
            account_id: "A1".into(),
            owner: "ava.rep@ascent-xr.example".into(),
            reason: "budget".into(),
            lead_id: Some("H1".into()),
        },
    );
    let m: LogisticModel =
        serde_json::from_value(t.get(Domain::Performance, MODEL_PK, "current").unwrap()).unwrap();
    assert_eq!((m.version, m.outcomes), (30, 30));
    assert!(t.get(Domain::Performance, MODEL_PK, "v000017").is_some());
    // Before the 30th outcome the rules scored; now the learned model does.
    let before = scored(&t);
    assert!(before.iter().all(|s| s.model == "rules-v1"));
    let mut small = lead("N1", "new@small.example", "New Small");
    small.company_size = 20;
    t.emit("ascent.crm", small);
    t.emit("ascent.crm", lead("N2", "new@big.example", "New Big"));
    let after = scored(&t);
    let (s_small, s_big) = (&after[after.len() - 2], &after[after.len() - 1]);
    assert_eq!(s_small.model, "logit-v30");
    assert!(
        s_big.score > s_small.score + 20,
        "{} vs {}",
        s_big.score,
        s_small.score
    );
    assert!(
        s_big
            .reasons
            .last()
            .unwrap()
            .starts_with("learned from 30 outcomes")
    );
}
