//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a dead letter or a daily report as serialised (a renamed field fails
//! here). The day tallies are counts and hold none.

use crate::classify::FailureClass;
use crate::letters::{Failure, Letter, LetterState};
use crate::report::DailyReport;
use ascent_core::agent::Domain;
use ascent_core::privacy::field_values;
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn declared_personal_fields_are_what_the_records_serialise() {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let letter = Letter {
        agent: "support".into(),
        queue: "support".into(),
        event_id: "e-1".into(),
        detail_type: "TicketOpened".into(),
        correlation_id: None,
        first_received_at: at,
        failures: vec![Failure {
            at,
            reason: "requester: `ana@boreal` is not an address".into(),
            receive_count: 3,
            class: FailureClass::Permanent,
        }],
        redrives: 0,
        state: LetterState::Discarded {
            at,
            by: "ops@ascent-xr.example".into(),
        },
        version: 2,
    };
    let report = DailyReport {
        date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        window_days: 7,
        agents: vec![],
        waiting: vec!["support TicketOpened e-1 since 2026-12-01T09:00:00Z: ...".into()],
        more_waiting: false,
    };
    check(&[(
        Domain::Performance,
        "dlq#",
        vec![record(&letter), record(&report)],
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
