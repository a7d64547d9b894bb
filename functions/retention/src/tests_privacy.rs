//! The personal data the declaration names is the data the agent really writes: an account
//! signs up, is used, answers a survey and is scored through the twin, and every record under
//! a prefix is checked against its declaration (a renamed field, or a new field holding an
//! address or phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-01-05T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1"));
    sessions(&t, "A1", 40.0);
    t.emit(
        "ascent.surveys",
        NpsResponse {
            account_id: "A1".into(),
            respondent: "amy@x.example".into(),
            score: 9,
            comment: Some("Call me: +12125550100".into()),
        },
    );
    tick(&t, "2026-01-06T06:00:00Z");
    check("retention#", &t.query(Domain::Customer, "retention#A1"));
    check_none(MODEL_PK, &t.query(Domain::Performance, MODEL_PK));
    assert_eq!(personal_prefixes(), ["retention#"]);
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
