//! Field-by-field conflict resolution between a contact's value in Ascent and a change from one
//! system, as a pure function (a three-way merge per field).
//!
//! For each field the contact keeps its current value with when and where it was set, and per
//! system the value last seen there (the *base*). An incoming value equal to its system's base
//! is no change there: the current value stands (and goes out to the system if it differs).
//! An incoming change to a field nobody else changed since the base is taken. When both sides
//! changed the field since the base (a **conflict**), the later change wins; at the same
//! instant the system ranked first in `source_priority` wins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A field's current value, when and where it was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    pub value: String,
    pub at: DateTime<Utc>,
    /// `hubspot`, `salesforce` or `ascent`.
    pub source: String,
}

/// What becomes of one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The incoming value is no change there (its base, or the current value already).
    Unchanged,
    /// The incoming change is taken (no one else changed the field).
    Take,
    /// Both sides changed the field; `incoming_wins` says which value stays.
    Conflict { incoming_wins: bool },
}

/// Whether `a` outranks `b` in `priority` (earlier wins; unlisted ranks last).
pub fn outranks(a: &str, b: &str, priority: &[String]) -> bool {
    let rank = |s: &str| priority.iter().position(|p| p == s).unwrap_or(usize::MAX);
    rank(a) < rank(b)
}

/// Resolves one field: `current` in Ascent, `base` the value last seen from `system`,
/// `incoming` the value `system` has now, changed at `at`.
pub fn resolve(
    current: Option<&FieldValue>,
    base: Option<&str>,
    incoming: &str,
    at: DateTime<Utc>,
    system: &str,
    priority: &[String],
) -> Outcome {
    let Some(current) = current else {
        return Outcome::Take;
    };
    if current.value == incoming || base == Some(incoming) {
        return Outcome::Unchanged;
    }
    // The current value is the system's own earlier change, or what the base says it had.
    let changed_here = current.source != system && base != Some(current.value.as_str());
    if !changed_here {
        return Outcome::Take;
    }
    let incoming_wins = match at.cmp(&current.at) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => outranks(system, &current.source, priority),
    };
    Outcome::Conflict { incoming_wins }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn priority() -> Vec<String> {
        ["salesforce", "hubspot", "ascent"]
            .map(String::from)
            .to_vec()
    }

    fn value(v: &str, when: &str, source: &str) -> FieldValue {
        FieldValue {
            value: v.into(),
            at: at(when),
            source: source.into(),
        }
    }

    #[test]
    fn a_change_on_one_side_only_is_taken_and_a_stale_echo_is_not() {
        let p = priority();
        // Ascent has the phone HubSpot last had; HubSpot changes it at 10:00: taken.
        let cur = value("+12125550100", "2026-03-01T09:00:00Z", "ascent");
        let o = resolve(
            Some(&cur),
            Some("+12125550100"),
            "+12125550199",
            at("2026-03-02T10:00:00Z"),
            "hubspot",
            &p,
        );
        assert_eq!(o, Outcome::Take);
        // Ascent changed the title at 11:00; HubSpot's record (modified at 12:00 for another
        // field) still has the title it had: no change there, Ascent's value stands.
        let cur = value("VP Operations", "2026-03-02T11:00:00Z", "ascent");
        let o = resolve(
            Some(&cur),
            Some("Director of Operations"),
            "Director of Operations",
            at("2026-03-02T12:00:00Z"),
            "hubspot",
            &p,
        );
        assert_eq!(o, Outcome::Unchanged);
        // A field Ascent never had is taken.
        let o = resolve(
            None,
            None,
            "DE",
            at("2026-03-02T12:00:00Z"),
            "salesforce",
            &p,
        );
        assert_eq!(o, Outcome::Take);
        // The system's own later change of its own value is no conflict.
        let cur = value("Acme", "2026-03-01T09:00:00Z", "hubspot");
        let o = resolve(
            Some(&cur),
            Some("Acme"),
            "Acme Corp.",
            at("2026-03-02T09:00:00Z"),
            "hubspot",
            &p,
        );
        assert_eq!(o, Outcome::Take);
    }

    #[test]
    fn both_sides_changed_the_later_change_wins() {
        let p = priority();
        // Base "Director"; Ascent set "VP Operations" at 10:15, HubSpot "COO" at 10:05.
        let cur = value("VP Operations", "2026-03-02T10:15:00Z", "ascent");
        let o = resolve(
            Some(&cur),
            Some("Director"),
            "COO",
            at("2026-03-02T10:05:00Z"),
            "hubspot",
            &p,
        );
        assert_eq!(
            o,
            Outcome::Conflict {
                incoming_wins: false
            }
        );
        // HubSpot's change one second after Ascent's wins.
        let o = resolve(
            Some(&cur),
            Some("Director"),
            "COO",
            at("2026-03-02T10:15:01Z"),
            "hubspot",
            &p,
        );
        assert_eq!(
            o,
            Outcome::Conflict {
                incoming_wins: true
            }
        );
    }

    #[test]
    fn at_the_same_instant_the_priority_decides() {
        let p = priority();
        let t = "2026-03-02T10:15:00Z";
        // Salesforce outranks HubSpot: Salesforce's value stays against HubSpot's...
        let cur = value("+4930901820", t, "salesforce");
        let o = resolve(Some(&cur), None, "+4930901821", at(t), "hubspot", &p);
        assert_eq!(
            o,
            Outcome::Conflict {
                incoming_wins: false
            }
        );
        // ...and Salesforce's wins against Ascent's.
        let cur = value("+4930901820", t, "ascent");
        let o = resolve(Some(&cur), None, "+4930901821", at(t), "salesforce", &p);
        assert_eq!(
            o,
            Outcome::Conflict {
                incoming_wins: true
            }
        );
        assert!(outranks("hubspot", "ascent", &p));
        assert!(!outranks("ascent", "hubspot", &p));
        assert!(outranks("ascent", "pipedrive", &p));
    }
}
