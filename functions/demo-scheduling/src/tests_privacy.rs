//! The personal data the declaration names is the data the agent really writes: a demo with
//! headsets is booked and a request is declined through the twin, and every record under a
//! prefix is checked against its declaration (a renamed field, or a new field holding an
//! address or phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    t.emit("ascent.crm", request("R1", DARIO, 1));
    let mut vague = request("R2", DARIO, 0);
    vague.qualification = Qualification {
        budget: None,
        authority: Some(false),
        need: None,
        timeline_days: None,
    };
    t.emit("ascent.crm", vague);
    let c = Domain::Customer;
    let demos = t.query(c, "demo#demo-R1-1");
    assert_eq!(demos.len(), 1, "booked");
    check("demo#", &demos);
    check("calendar#", &t.query(c, &format!("calendar#{DARIO}")));
    check_none("resource#", &t.query(c, "resource#headset"));
    let mut requests = t.query(c, "demo-request#R1");
    requests.extend(t.query(c, "demo-request#R2"));
    assert_eq!(requests.len(), 2, "booked and declined: {requests:#?}");
    check_none("demo-request#", &requests);
    assert_eq!(personal_prefixes(), ["calendar#", "demo#"]);
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
