//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a dead letter or a daily report as serialised (a renamed field fails
//! here). The day tallies are counts and hold none.

use crate::classify::FailureClass;
use crate::letters::{Failure, Letter, LetterState};
use crate::report::DailyReport;
use ascent_core::agent::Domain;
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::Value;

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

/// The declaration's checks against the samples (`ascent_core::privacy::declared`).
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    ascent_core::privacy::declared::check_samples(&crate::declaration(), samples)
}
