//! The personal data the declaration names is the data the agent really writes: a lead, a
//! flagged lead, an interaction and an outcome go through the twin, and every record under a
//! prefix is checked against its declaration (a renamed field, or a new field holding an
//! address or phone number, fails here).

use crate::{LeadGeneration, MODEL_PK, declaration};
use ascent_core::agent::Domain;
use ascent_core::catalog::{DealClosedWon, InteractionKind, InteractionRecorded, LeadCreated};
use ascent_core::money::Money;
use ascent_core::privacy::declared;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn lead(id: &str, email: &str, name: &str, size: u32) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: email.into(),
        full_name: name.into(),
        company: "Boreal Aero".into(),
        company_size: size,
        industry: "Aerospace".into(),
        role: "VP Engineering".into(),
        country: Some("DE".into()),
        channel: "web".into(),
        phone: Some("+4930123456".into()),
        time_zone: Some("Europe/Berlin".into()),
    }
}

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = TestTwin::new(
        vec![Arc::new(LeadGeneration::default().learning_after(1))],
        t0(),
    );
    t.emit(
        "ascent.web",
        InteractionRecorded {
            interaction_id: "i1".into(),
            email: "ana@boreal.aero".into(),
            kind: InteractionKind::EmailReplied,
            occurred_at: t0(),
            text: Some("Call me on +4930123456, Ana".into()),
        },
    );
    t.emit(
        "ascent.crm",
        lead("L1", "ana@boreal.aero", "Ana Ruiz", 2_000),
    );
    t.emit("ascent.crm", lead("L2", "bo@boreal.aero", "Bo Berg", 0)); // flagged
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D1".into(),
            account_id: "A1".into(),
            owner: "ava.rep@ascent-xr.example".into(),
            amount: Money::usd(1_000_000),
            proposal_id: None,
            reason: None,
            lead_id: Some("L1".into()),
        },
    );
    let dead = t.runtime.dead_letters().unwrap();
    assert!(dead.is_empty(), "{dead:#?}");
    let c = Domain::Customer;
    let mut leads = t.query(c, "lead#L1");
    leads.extend(t.query(c, "lead#L2"));
    assert_eq!(leads.len(), 3, "profile, outcome, flagged: {leads:#?}");
    check("lead#", &leads);
    check("email#", &t.query(c, "email#ana@boreal.aero"));
    check("person#", &t.query(c, "person#boreal.aero"));
    check(
        "contact#",
        &t.query(Domain::Interaction, "contact#ana@boreal.aero"),
    );
    check_none(MODEL_PK, &t.query(Domain::Performance, MODEL_PK));
    assert_eq!(
        personal_prefixes(),
        ["lead#", "email#", "person#", "contact#"],
        "company# is an index of company domains, the model is weights over many leads"
    );
}

// ---- the declaration's checks (`ascent_core::privacy::declared`)

fn check(prefix: &str, records: &[Value]) {
    declared::check_records(&declaration(), prefix, records)
}

fn check_none(prefix: &str, records: &[Value]) {
    declared::check_no_personal_data(&declaration(), prefix, records)
}

fn personal_prefixes() -> Vec<&'static str> {
    declared::personal_prefixes(&declaration())
}
