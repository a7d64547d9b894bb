//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a sample record of its prefix (a renamed field fails here), and the
//! prefixes holding personal data are exactly the pieces (their writer's address) and the
//! case files (the contact who agreed to be named). The calendar's slots, the keywords
//! remembered and the engagement tallies and reports hold none.

use crate::case_studies::{CaseFile, Consent, WonDeal};
use crate::{Piece, PieceState};
use ascent_core::agent::Domain;
use chrono::NaiveDate;
use serde_json::Value;

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

/// The declaration's checks against the samples (`ascent_core::privacy::declared`).
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    ascent_core::privacy::declared::check_samples(&crate::declaration(), samples)
}
