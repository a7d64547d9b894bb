//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a sample record of its prefix (a renamed field fails here), and the
//! prefixes holding personal data are exactly the profiles, unsubscribe links, opt-outs and
//! send records (a campaign's record and its returns are counts).

use crate::campaign::Send;
use crate::segments::{LifecycleStage, Profile};
use ascent_core::agent::Domain;
use ascent_core::compliance::{ListEntry, UnsubscribeLink};
use chrono::{TimeZone, Utc};
use serde_json::Value;

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn declared_personal_fields_are_what_the_records_serialise() {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let profile = Profile {
        account_id: "A-1".into(),
        email: "ana@boreal.aero".into(),
        company: "Boreal Aero".into(),
        plan: "team".into(),
        seats: 12,
        country: "DE".into(),
        tier: None,
        stage: LifecycleStage::Active,
        unsubscribe_token: "0f".repeat(16),
        version: 1,
    };
    let link = UnsubscribeLink {
        email: "ana@boreal.aero".into(),
        lead_id: "A-1".into(),
    };
    let optout = ListEntry {
        reason: "hard".into(),
        evidence: "550 5.1.1 <ana@boreal.aero>: user unknown".into(),
        since: at,
    };
    let send = Send {
        campaign_id: "C-1".into(),
        email: "ana@boreal.aero".into(),
        variant: 0,
        sent_at: at,
        opened: true,
        clicked: false,
        bounced: false,
    };
    check(&[
        (Domain::Customer, "email-profile#", vec![record(&profile)]),
        (Domain::Customer, "email-unsubscribe#", vec![record(&link)]),
        (Domain::Customer, "email-optout#", vec![record(&optout)]),
        (Domain::Interaction, "email-send#", vec![record(&send)]),
    ]);
}

/// The declaration's checks against the samples (`ascent_core::privacy::declared`).
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    ascent_core::privacy::declared::check_samples(&crate::declaration(), samples)
}
