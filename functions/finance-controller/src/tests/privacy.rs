//! The personal data the declaration names is the data the agent really writes: invoices, a
//! payment, an employee's expense and two recorded approvals go through the twin and the
//! month is closed, and every record under a prefix is checked against its declaration (a
//! renamed field, or a new field holding an address or phone number, fails here).

use super::*;
use crate::ledger::Export;
use ascent_core::privacy::{Personal, looks_personal};
use ascent_integrations::Pending;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    let src = "ascent.agent.billing";
    t.emit(src, invoice("inv-1", 1_000_000, 72_500, "2026-03-02"));
    t.emit(
        "ascent.payments",
        payment("P1", "inv-1", 1_072_500, "2026-03-25T10:00:00Z"),
    );
    t.emit(
        "ascent.agent.expense-management",
        expense("E1", "marketing", 45_000, "2026-03-10"),
    );
    for (id, amount) in [("apr-1", 48_250), ("apr-2", 250_000)] {
        let d = decided(
            &t,
            &approval_record(id, "mara.head@ascent-xr.example", amount),
        );
        t.emit("ascent.approvals", d);
    }
    close(&t, "2026-04-03");
    let f = Domain::Financial;
    let journal = t.query(f, "journal#2026-03");
    assert_eq!(journal.len(), 3, "{journal:#?}");
    check("journal#", &journal);
    check("controls#", &t.query(f, "controls#2026-03"));
    check("close-report#", &t.query(f, "close-report#2026-03"));
    let queued: Vec<Value> = journal
        .iter()
        .map(|e| {
            let entry: JournalEntry = serde_json::from_value(e.clone()).unwrap();
            serde_json::to_value(Pending {
                id: format!("ascent-je-{}", entry.entry_no),
                item: Export { entry, resent: 0 },
                queued_at: t.now(),
                attempts: 1,
                last_error: Some("QuickBooks busy".into()),
                last_attempt_at: Some(t.now()),
            })
            .unwrap()
        })
        .collect();
    check(crate::ledger::PREFIX, &queued);
    check_none("period#", &t.query(f, "period#2026-03"));
    check_none("posted#", &t.query(f, "posted#expense#E1"));
    check_none("ar#", &t.query(f, "ar#A1"));
    assert_eq!(
        personal_prefixes(),
        [
            "journal#",
            "controls#",
            "close-report#",
            crate::ledger::PREFIX
        ]
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
