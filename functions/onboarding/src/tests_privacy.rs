//! The personal data the declaration names is the data the agent really writes: a sign-up's
//! onboarding plan goes through the twin and is checked against the declaration (a renamed
//! field, or a new field holding an address or phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "team", 20));
    check("onboarding#", &t.query(Domain::Customer, "onboarding#A1"));
    assert_eq!(personal_prefixes(), ["onboarding#"]);
}

// ---- the declaration's checks (`ascent_core::privacy::declared`)

fn check(prefix: &str, records: &[Value]) {
    declared::check_records(&declaration(), prefix, records)
}

fn personal_prefixes() -> Vec<&'static str> {
    declared::personal_prefixes(&declaration())
}
