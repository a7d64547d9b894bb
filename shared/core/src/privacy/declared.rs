//! Checks of an agent's personal-data declaration against records it writes, for the agents'
//! tests: every declared field is in the records as serialised (a rename fails), what identifies
//! is declared, and no address or phone number sits outside a declared field. Assertions, not
//! results: they panic naming the prefix and the field.

use super::{Personal, field_values, looks_personal};
use crate::agent::{AgentDecl, Domain};
use serde_json::Value;

/// The declared personal data of `prefix`.
pub fn personal(decl: &AgentDecl, prefix: &str) -> Personal {
    decl.owns
        .iter()
        .find(|o| o.prefix == prefix)
        .unwrap_or_else(|| panic!("`{prefix}` is not an owned prefix"))
        .personal
        .unwrap_or_else(|| panic!("`{prefix}` declares no personal data"))
}

/// Whether `path` (`a`, `a.b`, `a[]`, `a[].b`) names a value of `record` that is not null
/// (a list: not empty, and so in every element).
pub fn holds_in_every(record: &Value, path: &str) -> bool {
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
pub fn identifier_paths(v: &Value, path: &str, out: &mut Vec<String>) {
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
            .for_each(|x| identifier_paths(x, &format!("{path}[]"), out)),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| identifier_paths(x, &child(k), out)),
        _ => {}
    }
}

/// Checks the declaration of `prefix` against records written under it: every declared field
/// is in one of them, what identifies is declared, and every address or phone number in them
/// is in a declared field.
pub fn check_records(decl: &AgentDecl, prefix: &str, records: &[Value]) {
    let p = personal(decl, prefix);
    assert!(!records.is_empty(), "`{prefix}`: no records to check");
    for f in p.fields {
        assert!(
            records.iter().any(|r| holds_in_every(r, f)),
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
        identifier_paths(r, "", &mut found);
        for f in found {
            assert!(
                p.fields.contains(&f.as_str()),
                "`{prefix}`: `{f}` holds an address or phone number no declaration names: {r:#}"
            );
        }
    }
}

/// Checks that records under `prefix`, which declares none, hold no address or phone number.
pub fn check_no_personal_data(decl: &AgentDecl, prefix: &str, records: &[Value]) {
    assert!(
        personal_prefixes(decl).iter().all(|p| *p != prefix),
        "`{prefix}` declares some"
    );
    for r in records {
        let mut found = Vec::new();
        identifier_paths(r, "", &mut found);
        assert!(
            found.is_empty(),
            "`{prefix}` holds personal data at {found:?}: {r:#}"
        );
    }
}

/// The prefixes declared to hold personal data.
pub fn personal_prefixes(decl: &AgentDecl) -> Vec<&'static str> {
    decl.owns
        .iter()
        .filter(|o| o.personal.is_some())
        .map(|o| o.prefix)
        .collect()
}

/// Whether `path` names a value in the record `v`, as erasure reads it
/// ([`field_values`]: `a` a field, `a.b` a field of the object in `a`, `a[]` the elements of
/// the list in `a`): one at least, and none null.
pub fn holds_in_any(v: &Value, path: &str) -> bool {
    let found = field_values(v, path);
    !found.is_empty() && found.iter().all(|x| !x.is_null())
}

/// Every prefix declared to hold personal data has samples here (and no other), each declared
/// field is in one of its samples, and the identifying fields are among the declared ones.
pub fn check_samples(decl: &AgentDecl, samples: &[(Domain, &str, Vec<Value>)]) {
    let declared: Vec<_> = decl
        .owns
        .iter()
        .filter_map(|o| o.personal.map(|p| (o.domain, o.prefix, p)))
        .collect();
    assert_eq!(
        declared
            .iter()
            .map(|(d, p, _)| (*d, *p))
            .collect::<Vec<_>>(),
        samples.iter().map(|(d, p, _)| (*d, *p)).collect::<Vec<_>>(),
        "the prefixes that hold personal data"
    );
    for ((domain, prefix, personal), (_, _, records)) in declared.iter().zip(samples) {
        for field in personal.fields {
            assert!(
                records.iter().any(|r| holds_in_any(r, field)),
                "{domain:?} `{prefix}`: `{field}` is in none of its records as serialised: {records:#?}"
            );
        }
        for id in personal.identifies {
            assert!(
                personal.fields.contains(id),
                "{domain:?} `{prefix}`: `{id}` identifies but is not declared personal"
            );
        }
        assert!(!personal.purpose.is_empty(), "`{prefix}`: a purpose");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_path_names_fields_of_objects_and_elements_of_lists() {
        let v = json!({"a": {"b": "x"}, "l": [{"c": 1}, {"d": 2}], "n": null, "e": [], "s": ["x"]});
        for held in ["a", "a.b", "l[].c", "l[].d", "s[]"] {
            assert!(holds_in_any(&v, held), "{held}");
        }
        for missing in ["b", "a.c", "l[].e", "n", "e[]", "a[]", "a.b.c"] {
            assert!(!holds_in_any(&v, missing), "{missing}");
        }
    }

    fn decl() -> AgentDecl {
        AgentDecl {
            name: "t",
            department: crate::agent::Department::Sales,
            queue: crate::agent::QueueClass::Priority,
            subscriptions: vec![],
            reads: vec![],
            owns: vec![crate::agent::owns(Domain::Customer, "contact#").holding(
                Personal::deleted(
                    &["email"],
                    &["email"],
                    "Reach",
                    super::super::Retention::Relationship,
                ),
            )],
            emits: vec![],
            requests_approvals: false,
            sends_mail: false,
            writes_text: false,
        }
    }

    #[test]
    fn records_that_match_their_declaration_pass() {
        check_records(
            &decl(),
            "contact#",
            &[json!({"email": "ana@boreal.aero", "n": 1})],
        );
    }

    #[test]
    #[should_panic(expected = "`mail` holds an address or phone number no declaration names")]
    fn an_address_outside_the_declared_fields_fails() {
        check_records(
            &decl(),
            "contact#",
            &[json!({"email": "a@b.example", "mail": "ana@boreal.aero"})],
        );
    }

    #[test]
    #[should_panic(expected = "declared field `email` is in none of its records")]
    fn a_renamed_field_fails() {
        check_records(&decl(), "contact#", &[json!({"address": "x"})]);
    }
}
