//! The personal data the declaration names is the data the agent really writes: a routed
//! lead, a deal won and the daily report go through the twin, and every record under a prefix
//! is checked against its declaration (a renamed field, or a new field holding an address or
//! phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    t.emit(
        "ascent.agent.lead-generation",
        routed("L1", "sales-americas"),
    );
    t.emit(
        "ascent.crm",
        stage("D1", AVA, DealStage::Proposal, Some(1_000_000)),
    );
    t.emit("ascent.crm", won("D1", AVA, 1_000_000));
    daily(&t);
    let c = Domain::Customer;
    let p = Domain::Performance;
    check("assignment#", &t.query(c, "assignment#L1"));
    check("pipeline#", &t.query(c, "pipeline#D1"));
    check("rotation#", &t.query(p, "rotation#sales-americas#2026-Q2"));
    check("quota#", &t.query(p, "quota#2026-Q2"));
    check("report#pipeline", &t.query(p, "report#pipeline"));
    check_none("stats#", &t.query(p, "stats#stages"));
    assert_eq!(
        personal_prefixes(),
        [
            "assignment#",
            "pipeline#",
            "rotation#",
            "quota#",
            "report#pipeline"
        ]
    );
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
