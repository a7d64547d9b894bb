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
use chrono::{TimeZone, Utc};
use serde_json::Value;

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

/// The declaration's checks against the samples (`ascent_core::privacy::declared`).
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    ascent_core::privacy::declared::check_samples(&crate::declaration(), samples)
}
