//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a sample record of its prefix (a renamed field fails here), and the
//! prefixes holding personal data are exactly the known customers (keyed by their billing
//! contact's address) and the mentions. Our own posts, slots, calendars, day counts, publishing
//! runs and volume buckets hold none.

use crate::listening::{KnownCustomer, MentionRecord};
use crate::sentiment::Hit;
use ascent_core::agent::Domain;
use ascent_core::privacy::field_values;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn declared_personal_fields_are_what_the_records_serialise() {
    let customer = KnownCustomer {
        account_id: "A-1".into(),
        company: "Boreal Aero".into(),
    };
    let mention = MentionRecord {
        mention_id: "m-1".into(),
        platform: "mastodon".into(),
        author: "@ana@boreal.social".into(),
        author_email: Some("ana@boreal.aero".into()),
        posted_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
        url: "https://boreal.social/@ana/1".into(),
        score: -2.5,
        negative: true,
        hits: vec![Hit {
            word: "broken".into(),
            weight: -2.5,
        }],
        text: Some("The headset is broken again".into()),
        ticket_id: Some("social-m-1".into()),
    };
    check(&[
        (
            Domain::Customer,
            "social-customer#",
            vec![record(&customer)],
        ),
        (Domain::Interaction, "social#", vec![record(&mention)]),
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
