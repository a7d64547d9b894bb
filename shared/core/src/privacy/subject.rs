//! A data subject: the identifiers a person is found by (an address, phone numbers, the ids
//! agents key them by), where they occur in a record, and what a record becomes when they are
//! pseudonymised. Pure functions: the twin and the AWS stack scan their own stores with them.

use super::{Personal, PrivacyKey};
use crate::compliance::{normalise_email, normalise_phone};
use serde_json::Value;

/// Identifiers shorter than this are never searched for (they would match everywhere).
const SHORTEST: usize = 4;

/// The person an export or erasure is about: every identifier found so far, lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    identifiers: Vec<String>,
    /// Other personal values of the subject's records (a name, a job title): never searched
    /// for (another person may share them), but redacted in what the identifiers found.
    mentions: Vec<String>,
}

impl Subject {
    /// A subject known by an address and, optionally, a phone number.
    pub fn new(email: Option<&str>, phone: Option<&str>) -> Self {
        let mut s = Subject::default();
        if let Some(e) = email {
            s.add(&normalise_email(e));
        }
        if let Some(p) = phone {
            s.add(p);
        }
        s
    }

    /// Adds an identifier (and, for a phone number, its `+`-and-digits spelling); whether it
    /// was new.
    pub fn add(&mut self, identifier: &str) -> bool {
        let mut added = false;
        let trimmed = identifier.trim();
        let mut spellings = vec![trimmed.to_ascii_lowercase()];
        let phone = normalise_phone(trimmed);
        if phone.len() >= 8 && phone.len() * 2 > trimmed.len() && phone != trimmed {
            spellings.push(phone);
        }
        for s in spellings {
            if s.len() >= SHORTEST && !super::is_pseudonym(&s) && !self.identifiers.contains(&s) {
                self.identifiers.push(s);
                added = true;
            }
        }
        added
    }

    /// Adds a personal value to redact wherever the subject was found (not searched for).
    pub fn mention(&mut self, value: &str) {
        let v = value.trim().to_ascii_lowercase();
        if v.len() >= SHORTEST
            && !super::is_pseudonym(&v)
            && !self.identifiers.contains(&v)
            && !self.mentions.contains(&v)
        {
            self.mentions.push(v);
        }
    }

    pub fn identifiers(&self) -> &[String] {
        &self.identifiers
    }

    pub fn is_empty(&self) -> bool {
        self.identifiers.is_empty()
    }

    /// Whether any identifier occurs in `text` as a whole (case-insensitive: `ana@x.example`
    /// occurs in `To: Ana@X.example,` but not in `diana@x.example`; `L0001` not in `L00012`).
    pub fn occurs_in(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        self.identifiers
            .iter()
            .any(|id| occurrences(&lower, id).next().is_some())
    }

    /// `text` with every occurrence of the subject's addresses, phone numbers and mentions
    /// replaced by its pseudonym. Ids (a lead id) stay: they name no one once the records
    /// about the person are gone, and records kept by law still refer to one another by them.
    pub fn redact(&self, text: &str, key: &PrivacyKey) -> String {
        let mut out = text.to_string();
        // Longest first: a phone number's spelling never leaves a part of a longer one behind.
        let mut ids: Vec<&String> = (self.identifiers.iter())
            .filter(|i| is_contact(i))
            .chain(&self.mentions)
            .collect();
        ids.sort_by_key(|id| std::cmp::Reverse(id.len()));
        for id in ids {
            let lower = out.to_ascii_lowercase();
            let found: Vec<usize> = occurrences(&lower, id).collect();
            if found.is_empty() {
                continue;
            }
            let pseudonym = key.pseudonym(id);
            let mut next = String::with_capacity(out.len());
            let mut from = 0;
            for at in found {
                next.push_str(&out[from..at]);
                next.push_str(&pseudonym);
                from = at + id.len();
            }
            next.push_str(&out[from..]);
            out = next;
        }
        out
    }
}

/// An address or a phone number (as keys hold it, or as people write it), not an id.
fn is_contact(identifier: &str) -> bool {
    super::looks_personal(identifier)
        || (super::looks_personal(&normalise_phone(identifier))
            && identifier
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c)))
}

/// Byte offsets where `id` occurs in `lower` as a whole.
fn occurrences<'a>(lower: &'a str, id: &'a str) -> impl Iterator<Item = usize> + 'a {
    lower.match_indices(id).map(|(i, _)| i).filter(move |&i| {
        let before = lower[..i].chars().next_back();
        let after = &lower[i + id.len()..];
        let continues_before =
            before.is_some_and(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
        let mut rest = after.chars();
        let continues_after = match rest.next() {
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => true,
            Some('.' | '-' | '@') => rest.next().is_some_and(|c| c.is_ascii_alphanumeric()),
            _ => false,
        };
        !continues_before && !continues_after
    })
}

/// The values at `path` in `data`: `a` a field, `a.b` a field of an object field, `a[]` every
/// element of a list field (`a[].b` a field of each).
pub fn field_values<'v>(data: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut here = vec![data];
    for step in path.split('.') {
        let (name, each) = match step.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (step, false),
        };
        let mut next = Vec::new();
        for v in here {
            match v.get(name) {
                Some(Value::Array(items)) if each => next.extend(items.iter()),
                Some(found) if !each => next.push(found),
                _ => {}
            }
        }
        here = next;
    }
    here
}

/// The values of `personal`'s identifying fields in `data` (strings and numbers, as text).
pub fn identifiers_in(data: &Value, personal: &Personal) -> Vec<String> {
    let mut out = Vec::new();
    for path in personal.identifies {
        for v in field_values(data, path) {
            match v {
                Value::String(s) if !s.trim().is_empty() => out.push(s.clone()),
                Value::Number(n) => out.push(n.to_string()),
                _ => {}
            }
        }
    }
    out
}

/// Every string held in `personal`'s declared fields of `data` (the values erasure redacts).
pub fn personal_values(data: &Value, personal: &Personal) -> Vec<String> {
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => map.values().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for path in personal.fields {
        for v in field_values(data, path) {
            strings(v, &mut out);
        }
    }
    out
}

/// Pseudonymises a record kept after erasure: each declared personal field's value becomes
/// the pseudonym of what it held (a string, or every string inside it), and every other string
/// loses the subject's identifiers.
pub fn pseudonymise_record(
    data: &mut Value,
    personal: &Personal,
    subject: &Subject,
    key: &PrivacyKey,
) {
    for path in personal.fields {
        for_each_at(data, path, &mut |v| {
            replace_strings(v, &|s| key.pseudonym(s))
        });
    }
    replace_strings(data, &|s| {
        if super::is_pseudonym(s) {
            s.to_string()
        } else {
            subject.redact(s, key)
        }
    });
}

fn replace_strings(v: &mut Value, f: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) if !s.is_empty() => *s = f(s),
        Value::Array(items) => items.iter_mut().for_each(|i| replace_strings(i, f)),
        Value::Object(map) => map.values_mut().for_each(|i| replace_strings(i, f)),
        _ => {}
    }
}

fn for_each_at(data: &mut Value, path: &str, f: &mut dyn FnMut(&mut Value)) {
    let (step, rest) = match path.split_once('.') {
        Some((s, r)) => (s, Some(r)),
        None => (path, None),
    };
    let (name, each) = match step.strip_suffix("[]") {
        Some(n) => (n, true),
        None => (step, false),
    };
    let Some(v) = data.get_mut(name) else { return };
    let mut visit = |v: &mut Value| match rest {
        Some(r) => for_each_at(v, r, f),
        None => f(v),
    };
    match v {
        Value::Array(items) if each => items.iter_mut().for_each(&mut visit),
        _ if !each => visit(v),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::Retention;
    use serde_json::json;

    fn key() -> PrivacyKey {
        PrivacyKey::new(*b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn an_identifier_occurs_only_as_a_whole() {
        let s = Subject::new(Some(" Ana@Boreal.AERO"), Some("+1 (415) 555-0100"));
        assert!(s.occurs_in("To: ANA@boreal.aero, cc"));
        assert!(s.occurs_in(r#"{"phone":"+14155550100"}"#));
        assert!(s.occurs_in(r#"{"phone":"+1 (415) 555-0100"}"#));
        assert!(!s.occurs_in("diana@boreal.aero"));
        assert!(!s.occurs_in("ana@boreal.aero.example"));
        assert!(s.occurs_in("mail ana@boreal.aero."));
        let mut id = Subject::default();
        id.add("L0001");
        assert!(id.occurs_in("lead#L0001/profile"));
        assert!(!id.occurs_in("lead#L00012/profile"));
    }

    #[test]
    fn short_identifiers_and_pseudonyms_are_never_searched() {
        let mut s = Subject::default();
        assert!(!s.add("a1"));
        assert!(!s.add(&key().pseudonym("ana@boreal.aero")));
        assert!(s.is_empty());
    }

    #[test]
    fn redaction_leaves_no_spelling_behind() {
        let s = Subject::new(Some("ana@boreal.aero"), Some("+1 (415) 555-0100"));
        let k = key();
        let mut s = s;
        s.mention("Ana Lima");
        assert!(!s.occurs_in("Ana Lima"), "a mention is not searched for");
        let text = "Ana Lima: Ana@Boreal.aero called from +1 (415) 555-0100 (+14155550100); diana@boreal.aero";
        let out = s.redact(text, &k);
        assert!(!s.occurs_in(&out), "{out}");
        assert!(!out.contains("Ana Lima"), "{out}");
        assert!(out.contains("diana@boreal.aero"));
        assert!(out.contains(&k.pseudonym("ana@boreal.aero")));
        let mut with_id = s.clone();
        with_id.add("L0001");
        assert_eq!(with_id.redact("lead L0001", &k), "lead L0001", "ids stay");
    }

    #[test]
    fn field_paths_reach_nested_values_and_lists() {
        let data = json!({"email": "a@b.example", "contact": {"phone": "+4930123456"},
                          "attendees": [{"email": "c@d.example"}, {"email": "e@f.example"}],
                          "cc": ["g@h.example"]});
        assert_eq!(field_values(&data, "email"), vec![&json!("a@b.example")]);
        assert_eq!(
            field_values(&data, "contact.phone"),
            vec![&json!("+4930123456")]
        );
        assert_eq!(field_values(&data, "attendees[].email").len(), 2);
        assert_eq!(field_values(&data, "cc[]"), vec![&json!("g@h.example")]);
        assert!(field_values(&data, "missing.x").is_empty());
    }

    #[test]
    fn a_kept_record_keeps_its_figures_and_loses_the_person() {
        let personal = Personal::pseudonymised(
            &["bill_to.name", "bill_to.email"],
            &["bill_to.email"],
            "Invoices kept by law",
            Retention::Legal("tax_records_years"),
        );
        let mut data = json!({"invoice": "inv-1", "total_minor": 120000,
            "bill_to": {"name": "Ana Lima", "email": "ana@boreal.aero"},
            "note": "sent to ana@boreal.aero"});
        let subject = Subject::new(Some("ana@boreal.aero"), None);
        assert_eq!(identifiers_in(&data, &personal), vec!["ana@boreal.aero"]);
        let k = key();
        pseudonymise_record(&mut data, &personal, &subject, &k);
        assert_eq!(data["invoice"], "inv-1");
        assert_eq!(data["total_minor"], 120000);
        assert_eq!(
            data["bill_to"]["email"],
            json!(k.pseudonym("ana@boreal.aero"))
        );
        assert!(crate::privacy::is_pseudonym(
            data["bill_to"]["name"].as_str().unwrap()
        ));
        let text = data.to_string();
        assert!(
            !text.contains("Ana Lima") && !subject.occurs_in(&text),
            "{text}"
        );
    }
}
