//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a sample record of its prefix (a renamed field fails here), and the
//! prefixes holding personal data are exactly the known customers (keyed by their billing
//! contact's address) and the mentions. Our own posts, slots, calendars, day counts, publishing
//! runs and volume buckets hold none.

use crate::listening::{KnownCustomer, MentionRecord};
use crate::sentiment::Hit;
use ascent_core::agent::Domain;
use chrono::{TimeZone, Utc};
use serde_json::Value;

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

/// The declaration's checks against the samples (`ascent_core::privacy::declared`).
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    ascent_core::privacy::declared::check_samples(&crate::declaration(), samples)
}
