//! The personal data the declaration names is the data the agent really writes: an attendee
//! registers for a webinar, is reminded, and tickets make a gap, through the twin; every
//! record under a prefix is checked against its declaration (a renamed field, or a new field
//! holding an address or phone number, fails here).

use super::*;
use ascent_core::privacy::{Personal, looks_personal};
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
