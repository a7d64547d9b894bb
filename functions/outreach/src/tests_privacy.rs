//! The personal data the declaration names is the data the agent really writes: a lead, its
//! assignment and first step, a duplicate, consents, a do-not-call entry, a bounce and a
//! customer go through the twin, and every record under a prefix is checked against its
//! declaration (a renamed field, or a new field holding an address or phone number, fails).

use crate::calls::{CallTask, call_task_pk};
use crate::{Outreach, declaration};
use ascent_core::agent::Domain;
use ascent_core::catalog::{
    BounceKind, CallConsent, CallConsentKind, ContactPreference, ContactPreferenceChanged,
    CustomerSignedUp, EmailBounced, LeadAssigned, LeadCreated, OutreachChannel, OutreachStepTaken,
    StepOutcome,
};
use ascent_core::compliance::CallConsentRecord;
use ascent_core::privacy::declared;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

const ANA: &str = "ana.ruiz@boreal-aero.example";
const PHONE: &str = "+12125550100";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn lead(id: &str) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: ANA.into(),
        full_name: "Ana Ruiz".into(),
        company: "Boreal Aero".into(),
        company_size: 2_000,
        industry: "Aerospace".into(),
        role: "VP Engineering".into(),
        country: Some("US".into()),
        channel: "web".into(),
        phone: Some(PHONE.into()),
        time_zone: Some("America/New_York".into()),
    }
}

fn preference(change: ContactPreference, phone: Option<&str>) -> ContactPreferenceChanged {
    ContactPreferenceChanged {
        email: ANA.into(),
        change,
        phone: phone.map(str::to_string),
        evidence: format!("demo form of {ANA}, box ticked"),
        consent: (change == ContactPreference::CallConsentGiven).then(|| CallConsent {
            kind: CallConsentKind::ExpressWritten,
            given_at: at("2026-03-01T10:00:00Z"),
            disclosure: Some("I agree that Ascent XR may call me at this number.".into()),
            signature: Some("esign-envelope-4411".into()),
            recording: None,
        }),
    }
}

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = TestTwin::new(
        vec![Arc::new(Outreach::default())],
        at("2026-03-02T15:00:00Z"),
    );
    t.emit("ascent.crm", lead("L1"));
    t.emit("ascent.crm", lead("L2")); // the same address again: a duplicate
    t.emit(
        "ascent.crm",
        preference(ContactPreference::CallConsentGiven, Some(PHONE)),
    );
    t.emit(
        "ascent.crm",
        preference(ContactPreference::EmailConsentGiven, None),
    );
    t.emit(
        "ascent.agent.sales-director",
        LeadAssigned {
            lead_id: "L1".into(),
            rep: "dario.rep@ascent-xr.example".into(),
            territory: "sales-amer".into(),
            score: 88,
        },
    );
    t.emit(
        "ascent.crm",
        preference(ContactPreference::DoNotCall, Some("+12125550199")),
    );
    t.emit(
        "ascent.mail",
        EmailBounced {
            email: "gone@boreal-aero.example".into(),
            bounce: BounceKind::Hard,
            diagnostic: "550 5.1.1 <gone@boreal-aero.example>: no such user".into(),
        },
    );
    t.emit(
        "ascent.platform",
        CustomerSignedUp {
            account_id: "A00042".into(),
            company: "Kranbau".into(),
            plan: "team".into(),
            seats: 40,
            tax_region: "US-NY".into(),
            billing_email: "jan@kranbau.example".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    let dead = t.runtime.dead_letters().unwrap();
    assert!(dead.is_empty(), "{dead:#?}");
    let c = Domain::Customer;
    check("outreach#", &t.query(c, "outreach#L1"));
    check(
        "outreach-contact#",
        &t.query(c, &format!("outreach-contact#{ANA}")),
    );
    let enrollment = &t.query(c, "outreach#L1")[0];
    let token = enrollment["unsubscribe_token"].as_str().unwrap();
    check("unsubscribe#", &t.query(c, &format!("unsubscribe#{token}")));
    check("outreach-duplicate#", &t.query(c, "outreach-duplicate#L2"));
    check(
        "email-consent#",
        &t.query(c, &format!("email-consent#{ANA}")),
    );
    check("do-not-call#", &t.query(c, "do-not-call#+12125550199"));
    check(
        "suppression#",
        &t.query(c, "suppression#gone@boreal-aero.example"),
    );
    check(
        "existing-customer#",
        &t.query(c, "existing-customer#jan@kranbau.example"),
    );
    // A step skipped says why (a call without consent, outside the hours).
    let mut touches = t.query(Domain::Interaction, &format!("touch#{ANA}"));
    touches.push(record(&OutreachStepTaken {
        lead_id: "L1".into(),
        sequence: "default".into(),
        step: 3,
        channel: OutreachChannel::Call,
        outcome: StepOutcome::Skipped,
        rep: "dario.rep@ascent-xr.example".into(),
        summary: "Call Ana Ruiz".into(),
        window_start: None,
        window_end: None,
        note: Some(format!("no call consent for {PHONE}")),
        written_by: Some("template".into()),
    }));
    check("touch#", &touches);
    // A consent with every kind of evidence (written: disclosure and signature; verbal: a
    // recording), and a call task, as they serialise.
    let mut consents = t.query(c, &format!("call-consent#{PHONE}"));
    consents.push(record(&CallConsentRecord {
        kind: Some(CallConsentKind::Verbal),
        evidence: "call with Ana".into(),
        given_at: Some(at("2026-03-01T10:00:00Z")),
        disclosure: Some("May we call you?".into()),
        signature: Some("esign-envelope-4411".into()),
        recording: Some("call-recording-7781".into()),
        since: at("2026-03-01T10:00:00Z"),
    }));
    check("call-consent#", &consents);
    assert!(call_task_pk(PHONE).starts_with("call-task#"));
    check(
        "call-task#",
        &[record(&CallTask {
            lead_id: "L1".into(),
            window_start: at("2026-03-03T14:00:00Z"),
            window_end: at("2026-03-03T16:00:00Z"),
        })],
    );
    assert_eq!(
        personal_prefixes().len(),
        declaration().owns.len(),
        "every prefix holds some"
    );
}

// ---- the declaration's checks (`ascent_core::privacy::declared`)

fn check(prefix: &str, records: &[Value]) {
    declared::check_records(&declaration(), prefix, records)
}

fn personal_prefixes() -> Vec<&'static str> {
    declared::personal_prefixes(&declaration())
}
