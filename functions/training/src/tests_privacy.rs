//! The personal data the declaration names is the data the agent really writes: an attendee
//! registers for a webinar, is reminded, and tickets make a gap, through the twin; every
//! record under a prefix is checked against its declaration (a renamed field, or a new field
//! holding an address or phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    t.emit(
        "ascent.web",
        WebinarRegistrationRequested {
            webinar_id: "W1".into(),
            email: "Ana@Boreal.example".into(),
            name: "Ana Ruiz".into(),
            account_id: Some("A1".into()),
        },
    );
    for (id, subject) in [
        ("T2", "VAT number on invoice"),
        ("T3", "Invoice VAT number"),
    ] {
        t.emit(
            "ascent.support",
            ticket(id, subject, "wrong VAT number on the invoice"),
        );
    }
    t.tick("daily", at("2026-03-04T16:30:00Z"));
    let k = Domain::Knowledge;
    let mut webinars = t.query(k, "webinar#W1");
    assert_eq!(
        webinars.len(),
        2,
        "the webinar and a registration: {webinars:#?}"
    );
    assert!(
        webinars.iter().all(|w| w["reminded_through"].is_null()),
        "a finished reminder run keeps no address"
    );
    // A reminder run that pages keeps the last address reminded until it is done.
    let mut paging: Webinar = serde_json::from_value(
        webinars
            .iter()
            .find(|w| w.get("webinar").is_some())
            .unwrap()
            .clone(),
    )
    .unwrap();
    paging.reminded_through = Some("ana@boreal.example".into());
    webinars.push(serde_json::to_value(paging).unwrap());
    check("webinar#", &webinars);
    check_none("gap#", &t.query(k, "gap#invoice number vat wrong"));
    check_none("kb#", &t.query(k, "kb#articles"));
    assert_eq!(personal_prefixes(), ["webinar#"]);
}

// ---- the declaration's checks (`ascent_core::privacy::declared`)

fn check(prefix: &str, records: &[Value]) {
    declared::check_records(&declaration(), prefix, records)
}

fn check_none(prefix: &str, records: &[Value]) {
    declared::check_no_personal_data(&declaration(), prefix, records)
}

fn personal_prefixes() -> Vec<&'static str> {
    declared::personal_prefixes(&declaration())
}
