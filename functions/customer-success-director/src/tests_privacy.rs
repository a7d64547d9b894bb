//! The personal data the declaration names is the data the agent really writes: an account
//! signs up, is scored, answers a survey and is reported through the twin, and every record
//! under a prefix is checked against its declaration (a renamed field, or a new field holding
//! an address or phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = TestTwin::new(
        vec![Arc::new(CustomerSuccessDirector::default())],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1", "enterprise", 50));
    t.emit(
        "ascent.agent.retention",
        health("A1", 82, HealthTier::Healthy, 4_240_000, "2026-05-01"),
    );
    t.emit(
        "ascent.surveys",
        NpsResponse {
            account_id: "A1".into(),
            respondent: "Amy@Boreal.example".into(),
            score: 9,
            comment: Some("Call me: +12125550100".into()),
        },
    );
    t.tick("daily", at("2026-03-09T06:00:00Z")); // Monday: the weekly report
    let c = Domain::Customer;
    let answers = t.query(c, NPS);
    assert_eq!(answers[0]["respondent"], "amy@boreal.example");
    let mut records = t.query(c, ACCOUNTS);
    records.extend(answers);
    check("csd#", &records);
    check_none(
        "cs-report#",
        &t.query(Domain::Performance, "cs-report#2026-03-09"),
    );
    assert_eq!(personal_prefixes(), ["csd#"]);
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
