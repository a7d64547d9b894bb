//! The personal data the declaration names is the data the agent really writes: a lead, a
//! flagged lead, an interaction and an outcome go through the twin, and every record under a
//! prefix is checked against its declaration (a renamed field, or a new field holding an
//! address or phone number, fails here).

use crate::{LeadGeneration, MODEL_PK, declaration};
use ascent_core::agent::Domain;
use ascent_core::catalog::{DealClosedWon, InteractionKind, InteractionRecorded, LeadCreated};
use ascent_core::money::Money;
use ascent_core::privacy::{Personal, looks_personal};
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

// ---- the declaration's checks (the same in every agent that declares personal data)

/// The declared personal data of `prefix`.
fn personal(prefix: &str) -> Personal {
    declaration()
        .owns
        .iter()
        .find(|o| o.prefix == prefix)
        .unwrap_or_else(|| panic!("`{prefix}` is not an owned prefix"))
        .personal
        .unwrap_or_else(|| panic!("`{prefix}` declares no personal data"))
}

/// Whether `path` (`a`, `a.b`, `a[]`, `a[].b`) names a value of `record` that is not null
/// (a list: not empty, and so in every element).
fn holds(record: &Value, path: &str) -> bool {
    fn walk(v: &Value, steps: &[&str]) -> bool {
        let Some((step, rest)) = steps.split_first() else {
            return !v.is_null();
        };
        let (name, list) = step
            .strip_suffix("[]")
            .map_or((*step, false), |name| (name, true));
        match (v.get(name), list) {
            (Some(Value::Array(xs)), true) => !xs.is_empty() && xs.iter().all(|x| walk(x, rest)),
            (Some(x), false) => walk(x, rest),
            _ => false,
        }
    }
    walk(record, &path.split('.').collect::<Vec<_>>())
}

/// The paths of `v`'s strings that hold an address or a phone number, alone or in text.
fn identifiers(v: &Value, path: &str, out: &mut Vec<String>) {
    let child = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::String(s) => {
            let mut words = s.split(|c: char| c.is_whitespace() || "<>,;()\"'".contains(c));
            if words.any(looks_personal) {
                out.push(path.to_string());
            }
        }
        Value::Array(xs) => xs
            .iter()
            .for_each(|x| identifiers(x, &format!("{path}[]"), out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| identifiers(x, &child(k), out)),
        _ => {}
    }
}

/// Checks the declaration of `prefix` against records written under it: every declared field
/// is in one of them, what identifies is declared, and every address or phone number in them
/// is in a declared field.
fn check(prefix: &str, records: &[Value]) {
    let p = personal(prefix);
    assert!(!records.is_empty(), "`{prefix}`: no records to check");
    for f in p.fields {
        assert!(
            records.iter().any(|r| holds(r, f)),
            "`{prefix}`: declared field `{f}` is in none of its records: {records:#?}"
        );
    }
    for i in p.identifies {
        assert!(
            p.fields.contains(i),
            "`{prefix}`: `{i}` identifies but is no declared field"
        );
    }
    for r in records {
        let mut found = Vec::new();
        identifiers(r, "", &mut found);
        for f in found {
            assert!(
                p.fields.contains(&f.as_str()),
                "`{prefix}`: `{f}` holds an address or phone number no declaration names: {r:#}"
            );
        }
    }
}

/// Checks that records under `prefix`, which declares none, hold no address or phone number.
fn check_none(prefix: &str, records: &[Value]) {
    assert!(
        personal_prefixes().iter().all(|p| *p != prefix),
        "`{prefix}` declares some"
    );
    for r in records {
        let mut found = Vec::new();
        identifiers(r, "", &mut found);
        assert!(
            found.is_empty(),
            "`{prefix}` holds personal data at {found:?}: {r:#}"
        );
    }
}

/// The prefixes declared to hold personal data.
fn personal_prefixes() -> Vec<&'static str> {
    declaration()
        .owns
        .iter()
        .filter(|o| o.personal.is_some())
        .map(|o| o.prefix)
        .collect()
}
