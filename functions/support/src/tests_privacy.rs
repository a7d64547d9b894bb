//! The personal data the declaration names is the data the agent really writes: a ticket is
//! opened through the twin and a breach is queued for the desk, and every record under a
//! prefix is checked against its declaration (a renamed field, or a new field holding an
//! address or phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use ascent_integrations::Pending;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    t.emit(
        "ascent.platform",
        CustomerSignedUp {
            account_id: "A1".into(),
            company: "Boreal Aero".into(),
            plan: "enterprise".into(),
            seats: 50,
            tax_region: "US-CA".into(),
            billing_email: "ap@boreal.example".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    t.emit(
        "ascent.support",
        opened(
            "T1",
            "A1",
            "Headset will not pair",
            "Hi, Ana here (+12125550100): the headset does not pair with Studio.",
        ),
    );
    let i = Domain::Interaction;
    let tickets = t.query(i, "ticket#T1");
    assert_eq!(tickets[0]["requester"], "ops@customer.example");
    check("ticket#", &tickets);
    check("support-open#", &t.query(i, "support-open#A1"));
    check_none(
        "support-account#",
        &t.query(Domain::Customer, "support-account#A1"),
    );
    let ticket: Ticket = serde_json::from_value(tickets[0].clone()).unwrap();
    let update = desk::breach_update(
        &ticket,
        "4711",
        &[SlaTimer::FirstResponse],
        "lead.hardware@ascent-xr.example",
    );
    let queued = Pending {
        id: "c1".into(),
        item: update,
        queued_at: t.now(),
        attempts: 0,
        last_error: None,
        last_attempt_at: None,
    };
    check(
        desk_sync::DESK_PREFIX,
        &[serde_json::to_value(queued).unwrap()],
    );
    assert_eq!(
        personal_prefixes(),
        ["ticket#", "support-open#", desk_sync::DESK_PREFIX]
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
