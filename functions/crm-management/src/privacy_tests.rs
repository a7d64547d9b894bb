//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a sample record under `crm#` (a renamed field fails here). A contact
//! holds the person's values with their history; an index item (`crm#email#…`,
//! `crm#phone#…`, `crm#link#…`) and a queued push hold the contact id that identifies them.
//! The sync runs and cursors hold none.

use crate::PREFIX;
use crate::conflict::FieldValue;
use crate::contact::{Contact, Issue, MergeEntry, RemoteState};
use crate::sync::{Pointer, Queued};
use ascent_core::agent::Domain;
use ascent_core::privacy::field_values;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn declared_personal_fields_are_what_the_records_serialise() {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let value = |v: &str| FieldValue {
        value: v.into(),
        at,
        source: "hubspot".into(),
    };
    let contact = Contact {
        contact_id: "L000123".into(),
        version: 3,
        fields: [
            ("email", value("ana@boreal.aero")),
            ("full_name", value("Ana Lima")),
            ("company", value("Boreal Aero")),
            ("phone", value("+4930123456")),
            ("country", value("DE")),
            ("job_title", value("Head of Training")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        source_ids: vec!["lead:L000123".into(), "hubspot:501".into()],
        remote: [(
            "hubspot".to_string(),
            RemoteState {
                record_id: Some("501".into()),
                seen: [("email".to_string(), "ana@boreal.aero".to_string())].into(),
            },
        )]
        .into(),
        merge_log: vec![MergeEntry {
            at,
            merged_ids: vec!["hubspot:777".into()],
            rule: "email".into(),
            similarity: 1.0,
            replaced: [("full_name".to_string(), "A. Lima".to_string())].into(),
        }],
        issues: vec![Issue {
            at,
            source: "hubspot".into(),
            field: "phone".into(),
            problem: "not a phone number of a known country (DE)".into(),
        }],
    };
    let pointer = Pointer {
        contact_id: "L000123".into(),
    };
    let queued = Queued {
        contact_id: "L000123".into(),
        queued_at: at,
        attempts: 1,
        last_error: Some("HubSpot refused the contact".into()),
        last_attempt_at: Some(at),
    };
    check(&[(
        Domain::Customer,
        PREFIX,
        vec![record(&contact), record(&pointer), record(&queued)],
    )]);
}

/// Whether `path` names a value in the record `v`, as erasure reads it
/// ([`field_values`]: `a` a field, `a.b` a field of the object in `a`, `a[]` the elements of
/// the list in `a`): one at least, and none null.
fn holds(v: &Value, path: &str) -> bool {
    let found = field_values(v, path);
    !found.is_empty() && found.iter().all(|x| !x.is_null())
}

/// Every prefix declared to hold personal data has samples here (and no other), each declared
/// field is in one of its samples, and the identifying fields are among the declared ones.
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    let decl = crate::declaration();
    let declared: Vec<_> = decl
        .owns
        .iter()
        .filter_map(|o| o.personal.map(|p| (o.domain, o.prefix, p)))
        .collect();
    assert_eq!(
        declared
            .iter()
            .map(|(d, p, _)| (*d, *p))
            .collect::<Vec<_>>(),
        samples.iter().map(|(d, p, _)| (*d, *p)).collect::<Vec<_>>(),
        "the prefixes that hold personal data"
    );
    for ((domain, prefix, personal), (_, _, records)) in declared.iter().zip(samples) {
        for field in personal.fields {
            assert!(
                records.iter().any(|r| holds(r, field)),
                "{domain:?} `{prefix}`: `{field}` is in none of its records as serialised: {records:#?}"
            );
        }
        for id in personal.identifies {
            assert!(
                personal.fields.contains(id),
                "{domain:?} `{prefix}`: `{id}` identifies but is not declared personal"
            );
        }
        assert!(!personal.purpose.is_empty(), "`{prefix}`: a purpose");
    }
}

#[test]
fn a_path_names_fields_of_objects_and_elements_of_lists() {
    let v = json!({"a": {"b": "x"}, "l": [{"c": 1}, {"d": 2}], "n": null, "e": [], "s": ["x"]});
    for held in ["a", "a.b", "l[].c", "l[].d", "s[]"] {
        assert!(holds(&v, held), "{held}");
    }
    for missing in ["b", "a.c", "l[].e", "n", "e[]", "a[]", "a.b.c"] {
        assert!(!holds(&v, missing), "{missing}");
    }
}
