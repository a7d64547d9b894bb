//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a sample record of its prefix (a renamed field fails here), and the
//! prefixes holding personal data are exactly a contact's touches and a lead's contact. The
//! attribution ledgers, the credited marks (per deal, account and spend) and the reports are
//! sums over many people and hold none.

use crate::models::Touch;
use crate::touches::{ContactTouches, LeadContact};
use ascent_core::agent::Domain;
use ascent_core::catalog::MarketingChannel;
use chrono::{TimeZone, Utc};
use serde_json::Value;

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn declared_personal_fields_are_what_the_records_serialise() {
    let touches = ContactTouches {
        email: "ana@boreal.aero".into(),
        version: 1,
        touches: vec![Touch {
            id: "t-1".into(),
            channel: MarketingChannel::Webinar,
            campaign_id: Some("C-1".into()),
            at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
        }],
    };
    let lead = LeadContact {
        email: "ana@boreal.aero".into(),
    };
    check(&[
        (Domain::Interaction, "touches#", vec![record(&touches)]),
        (Domain::Interaction, "touch-lead#", vec![record(&lead)]),
    ]);
}

/// The declaration's checks against the samples (`ascent_core::privacy::declared`).
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    ascent_core::privacy::declared::check_samples(&crate::declaration(), samples)
}
