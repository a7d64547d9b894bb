//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a sample record of its prefix (a renamed field fails here), and the
//! prefixes holding personal data are exactly the pieces (their writer's address) and the
//! case files (the contact who agreed to be named). The calendar's slots, the keywords
//! remembered and the engagement tallies and reports hold none.

use crate::case_studies::{CaseFile, Consent, WonDeal};
use crate::{Piece, PieceState};
use ascent_core::agent::Domain;
use ascent_core::privacy::field_values;
use chrono::NaiveDate;
use serde_json::{Value, json};

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn declared_personal_fields_are_what_the_records_serialise() {
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let piece = Piece {
        piece_id: "p-1".into(),
        channel: "blog".into(),
        title: "XR training at scale".into(),
        keywords: vec!["xr training".into()],
        topic: vec!["xr".into(), "train".into()],
        state: PieceState::Returned,
        slot: Some(day),
        author: Some("writer@freelance.example".into()),
        draft_fingerprint: Some(7),
        failures: vec!["too short".into()],
        views: 0,
        clicks: 0,
        shares: 0,
        version: 2,
    };
    let case = CaseFile {
        consent: Some(Consent {
            company: "Boreal Aero".into(),
            contact_name: "Ana Lima".into(),
            contact_email: "ana@boreal.aero".into(),
            quote: Some("Our pilots train twice as often.".into()),
            given_on: day,
        }),
        deal: Some(WonDeal {
            deal_id: "D-1".into(),
            reason: Some("fleet roll-out".into()),
        }),
        piece_id: None,
        withdrawn_on: None,
        version: 1,
    };
    check(&[
        (Domain::Knowledge, "content#", vec![record(&piece)]),
        (Domain::Customer, "case-study#", vec![record(&case)]),
    ]);
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
