//! The personal data the declaration names is the data the agent really writes: a ticket is
//! opened through the twin and a breach is queued for the desk, and every record under a
//! prefix is checked against its declaration (a renamed field, or a new field holding an
//! address or phone number, fails here).

use super::*;
use ascent_core::privacy::{Personal, looks_personal};
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

// ---- the declaration's checks (the same in every agent that declares personal data)

/// The declared personal data of `prefix`.
fn personal(prefix: &str) -> Personal {
    declaration()
        .owns
        .iter()
        .find(|o| o.prefix == prefix)
        .unwrap_or_else(|| panic!("`{prefix}` is not an owned prefix"))
        .personal
        .unwrap_or_else(|| panic!("`{prefix}` declares no personal data"))
}

/// Whether `path` (`a`, `a.b`, `a[]`, `a[].b`) names a value of `record` that is not null
/// (a list: not empty, and so in every element).
fn holds(record: &Value, path: &str) -> bool {
    fn walk(v: &Value, steps: &[&str]) -> bool {
        let Some((step, rest)) = steps.split_first() else {
            return !v.is_null();
        };
        let (name, list) = step
            .strip_suffix("[]")
            .map_or((*step, false), |name| (name, true));
        match (v.get(name), list) {
            (Some(Value::Array(xs)), true) => !xs.is_empty() && xs.iter().all(|x| walk(x, rest)),
            (Some(x), false) => walk(x, rest),
            _ => false,
        }
    }
    walk(record, &path.split('.').collect::<Vec<_>>())
}

/// The paths of `v`'s strings that hold an address or a phone number, alone or in text.
fn identifiers(v: &Value, path: &str, out: &mut Vec<String>) {
    let child = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::String(s) => {
            let mut words = s.split(|c: char| c.is_whitespace() || "<>,;()\"'".contains(c));
            if words.any(looks_personal) {
                out.push(path.to_string());
            }
        }
        Value::Array(xs) => xs
            .iter()
            .for_each(|x| identifiers(x, &format!("{path}[]"), out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| identifiers(x, &child(k), out)),
        _ => {}
    }
}

/// Checks the declaration of `prefix` against records written under it: every declared field
/// is in one of them, what identifies is declared, and every address or phone number in them
/// is in a declared field.
fn check(prefix: &str, records: &[Value]) {
    let p = personal(prefix);
    assert!(!records.is_empty(), "`{prefix}`: no records to check");
    for f in p.fields {
        assert!(
            records.iter().any(|r| holds(r, f)),
            "`{prefix}`: declared field `{f}` is in none of its records: {records:#?}"
        );
    }
    for i in p.identifies {
        assert!(
            p.fields.contains(i),
            "`{prefix}`: `{i}` identifies but is no declared field"
        );
    }
    for r in records {
        let mut found = Vec::new();
        identifiers(r, "", &mut found);
        for f in found {
            assert!(
                p.fields.contains(&f.as_str()),
                "`{prefix}`: `{f}` holds an address or phone number no declaration names: {r:#}"
            );
        }
    }
}

/// Checks that records under `prefix`, which declares none, hold no address or phone number.
fn check_none(prefix: &str, records: &[Value]) {
    assert!(
        personal_prefixes().iter().all(|p| *p != prefix),
        "`{prefix}` declares some"
    );
    for r in records {
        let mut found = Vec::new();
        identifiers(r, "", &mut found);
        assert!(
            found.is_empty(),
            "`{prefix}` holds personal data at {found:?}: {r:#}"
        );
    }
}

/// The prefixes declared to hold personal data.
fn personal_prefixes() -> Vec<&'static str> {
    declaration()
        .owns
        .iter()
        .filter(|o| o.personal.is_some())
        .map(|o| o.prefix)
        .collect()
}
