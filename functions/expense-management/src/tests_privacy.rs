//! The personal data the declaration names is the data the agent really writes: a claim
//! approved by policy, one approved by the manager and the Friday batch go through the twin,
//! and every record under a prefix is checked against its declaration (a renamed field, or a
//! new field holding an address or phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    t.emit(
        "ascent.expenses",
        claim("E1", "meals", Money::usd(3_850), "2026-03-02"),
    );
    let mut e = claim("E2", "travel", Money::usd(48_250), "2026-03-02");
    e.receipt_text = Some("LUFTHANSA\nDate: 2026-03-02\nTOTAL USD 482.50".into());
    t.emit("ascent.expenses", e);
    t.decide_from_mail(MANAGER, Decision::Approve, Some("ok"))
        .unwrap();
    t.runtime
        .schedule_tick("daily", "2026-03-06T06:00:00Z".parse().unwrap())
        .unwrap();
    t.drain();
    let f = Domain::Financial;
    let mut claims = t.query(f, "expense#E1");
    claims.extend(t.query(f, "expense#E2"));
    check("expense#", &claims);
    check(
        "expense-fingerprint#",
        &t.query(
            f,
            &format!("expense-fingerprint#{EMPLOYEE}#2026-03-02#3850USD"),
        ),
    );
    check(
        "reimbursement#",
        &t.query(f, "reimbursement#reimb-2026-03-06"),
    );
    assert_eq!(
        personal_prefixes(),
        ["expense#", "expense-fingerprint#", "reimbursement#"]
    );
}

// ---- the declaration's checks (`ascent_core::privacy::declared`)

fn check(prefix: &str, records: &[Value]) {
    declared::check_records(&declaration(), prefix, records)
}

fn personal_prefixes() -> Vec<&'static str> {
    declared::personal_prefixes(&declaration())
}
