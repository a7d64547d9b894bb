//! Fuzzy duplicate detection as a pure function over two contacts' match keys.
//!
//! Two contacts are one person when (in this order):
//! 1. `same_email`: their addresses have one match key ([`crate::hygiene::match_key`]: case,
//!    `+tag`s, Gmail's dots and domain aliases as configured);
//! 2. `same_domain_similar_name`: they are at one company, by the domain of their work
//!    addresses (never a free-mail domain) or by their company names without legal forms, and
//!    their names are similar ([`name_similarity`] at least the configured threshold);
//! 3. `same_phone_similar_name`: one E.164 number and similar names.
//!
//! Name similarity is the lower of the first names' and the last names' Jaro-Winkler
//! similarity (`strsim`), where a first name matches its initial (`A. Ruiz`) and its common
//! nicknames (`Bob` and `Robert`) fully: a shared family name does not make Maria and Mario
//! one person, and one first name does not make two families one.

use serde::{Deserialize, Serialize};

/// What duplicate detection compares of a contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchKeys {
    /// Email match key.
    pub email: Option<String>,
    /// Company domain of the address (none for free mail).
    pub domain: Option<String>,
    /// Company name without legal form, folded.
    pub company: Option<String>,
    /// Person's name folded, honorifics dropped.
    pub name: Option<String>,
    /// E.164 phone number.
    pub phone: Option<String>,
}

/// The rule two contacts matched by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    SameEmail,
    SameDomainSimilarName,
    SamePhoneSimilarName,
}

impl Rule {
    pub fn as_str(&self) -> &'static str {
        match self {
            Rule::SameEmail => "same_email",
            Rule::SameDomainSimilarName => "same_domain_similar_name",
            Rule::SamePhoneSimilarName => "same_phone_similar_name",
        }
    }
}

/// Two contacts found to be one person.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duplicate {
    pub rule: Rule,
    /// The name similarity that decided (1 for the same email).
    pub similarity: f64,
}

/// Common nicknames and the names they stand for.
const NICKNAMES: [(&str, &str); 25] = [
    ("bob", "robert"),
    ("rob", "robert"),
    ("bill", "william"),
    ("will", "william"),
    ("liz", "elizabeth"),
    ("beth", "elizabeth"),
    ("jim", "james"),
    ("mike", "michael"),
    ("tom", "thomas"),
    ("dave", "david"),
    ("chris", "christopher"),
    ("alex", "alexander"),
    ("dan", "daniel"),
    ("matt", "matthew"),
    ("nick", "nicholas"),
    ("sam", "samuel"),
    ("steve", "steven"),
    ("stephen", "steven"),
    ("tony", "anthony"),
    ("joe", "joseph"),
    ("jen", "jennifer"),
    ("kate", "katherine"),
    ("katie", "katherine"),
    ("pete", "peter"),
    ("andy", "andrew"),
];

fn canonical(first: &str) -> &str {
    NICKNAMES
        .iter()
        .find(|(n, _)| *n == first)
        .map_or(first, |(_, full)| full)
}

fn first_name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (canonical(a), canonical(b));
    if a == b || (a.len() == 1 && b.starts_with(a)) || (b.len() == 1 && a.starts_with(b)) {
        return 1.0;
    }
    strsim::jaro_winkler(a, b)
}

/// How alike two folded names are, 0 to 1: the lower of the first names' similarity (initials
/// and nicknames count as the name) and the last names' (Jaro-Winkler); a one-word name is
/// compared whole with the other's last name.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let wa: Vec<&str> = a.split(' ').filter(|w| !w.is_empty()).collect();
    let wb: Vec<&str> = b.split(' ').filter(|w| !w.is_empty()).collect();
    let (Some(la), Some(lb)) = (wa.last(), wb.last()) else {
        return 0.0;
    };
    let last = strsim::jaro_winkler(la, lb);
    if wa.len() < 2 || wb.len() < 2 {
        return last;
    }
    last.min(first_name_similarity(wa[0], wb[0]))
}

/// Whether `a` and `b` are one person, and by which rule; `threshold` is the least name
/// similarity of the name rules.
pub fn duplicate(a: &MatchKeys, b: &MatchKeys, threshold: f64) -> Option<Duplicate> {
    let same = |x: &Option<String>, y: &Option<String>| matches!((x, y), (Some(x), Some(y)) if !x.is_empty() && x == y);
    if same(&a.email, &b.email) {
        return Some(Duplicate {
            rule: Rule::SameEmail,
            similarity: 1.0,
        });
    }
    let similarity = match (&a.name, &b.name) {
        (Some(x), Some(y)) => name_similarity(x, y),
        _ => return None,
    };
    if similarity < threshold {
        return None;
    }
    let rule = if same(&a.domain, &b.domain) || same(&a.company, &b.company) {
        Rule::SameDomainSimilarName
    } else if same(&a.phone, &b.phone) {
        Rule::SamePhoneSimilarName
    } else {
        return None;
    };
    Some(Duplicate { rule, similarity })
}

#[cfg(test)]
#[path = "dedupe_tests.rs"]
pub(crate) mod tests;
