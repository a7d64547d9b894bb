//! The personal data the declaration names against the records as they serialise: the
//! declared field is in a clock as serialised (a renamed field fails here). A lead-response
//! clock is keyed and indexed by the lead's id; the day figures, open markers, gauges, KPI
//! states, capacity recommendations and reports are counts and hold none.

use crate::PREFIX;
use crate::sla::{Clock, Process};
use ascent_core::agent::Domain;
use chrono::{TimeZone, Utc};
use serde_json::Value;

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn declared_personal_fields_are_what_the_records_serialise() {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let clock = Clock {
        process: Process::LeadResponse,
        subject: "L000123".into(),
        started_at: Some(at),
        ended_at: None,
        due_at: Some(at),
        breached: false,
        version: 1,
    };
    check(&[(Domain::Performance, PREFIX, vec![record(&clock)])]);
}

/// The declaration's checks against the samples (`ascent_core::privacy::declared`).
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    ascent_core::privacy::declared::check_samples(&crate::declaration(), samples)
}
