//! What kind of failure a dead letter is, from its reason and its history, and when a
//! transient one is tried again: pure functions over the configured patterns.

use ascent_core::config::Invalid;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The reason patterns of each class (case-insensitive substrings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patterns {
    /// Failures no retry and no fix of the data will cure as such (a panic).
    pub poison: Vec<String>,
    /// Failures a retry cannot fix: the data or the rules must change first.
    pub permanent: Vec<String>,
    /// Failures that pass (timeouts, throttling, an integration's 5xx, storage busy).
    pub transient: Vec<String>,
}

impl Patterns {
    pub(crate) fn check(&self, path: &str) -> Result<(), Invalid> {
        for (name, list) in [
            ("poison", &self.poison),
            ("permanent", &self.permanent),
            ("transient", &self.transient),
        ] {
            for (i, p) in list.iter().enumerate() {
                if p.trim().is_empty() {
                    return Err(Invalid::new(
                        format!("{path}.{name}[{i}]"),
                        "an empty pattern matches every reason",
                    ));
                }
            }
        }
        if self.transient.is_empty() {
            return Err(Invalid::new(
                format!("{path}.transient"),
                "without a pattern nothing is ever retried",
            ));
        }
        Ok(())
    }

    fn any(list: &[String], reason: &str) -> bool {
        list.iter()
            .any(|p| reason.contains(p.to_lowercase().as_str()))
    }
}

/// The kind of a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Will likely pass: redriven with backoff.
    Transient,
    /// Needs a fix first: a person decides (redrive after the fix, or discard).
    Permanent,
    /// Keeps failing after redrives, or crashes its handler: a person decides.
    Poison,
}

impl FailureClass {
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureClass::Transient => "transient",
            FailureClass::Permanent => "permanent",
            FailureClass::Poison => "poison",
        }
    }
}

/// Classifies a dead letter from its reason and how often it was redriven before.
///
/// Poison patterns first; a permanent failure (or a reason no pattern knows, which a person
/// should see) is poison once it was redriven before — it failed again after someone's fix;
/// a transient one is poison once `max_retries` redrives did not cure it.
pub fn classify(
    reason: &str,
    redrives: u32,
    max_retries: u32,
    patterns: &Patterns,
) -> FailureClass {
    let reason = reason.to_lowercase();
    if Patterns::any(&patterns.poison, &reason) {
        return FailureClass::Poison;
    }
    let transient =
        !Patterns::any(&patterns.permanent, &reason) && Patterns::any(&patterns.transient, &reason);
    match (transient, redrives) {
        (true, n) if n < max_retries => FailureClass::Transient,
        (true, _) => FailureClass::Poison,
        (false, 0) => FailureClass::Permanent,
        (false, _) => FailureClass::Poison,
    }
}

/// How long after its dead-lettering a transient failure is redriven, its `redrives` so far
/// given: `base × factor^redrives`, in whole minutes.
pub fn retry_delay(base_minutes: u32, factor: f64, redrives: u32) -> Duration {
    let minutes = f64::from(base_minutes) * factor.powi(redrives.min(30) as i32);
    Duration::minutes(minutes.round().min(366.0 * 24.0 * 60.0) as i64)
}

/// When the retry of a transient failure dead-lettered at `at` is due.
pub fn retry_due(
    at: DateTime<Utc>,
    base_minutes: u32,
    factor: f64,
    redrives: u32,
) -> DateTime<Utc> {
    at + retry_delay(base_minutes, factor, redrives)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Patterns {
        crate::ProcessAutomationConfig::default().patterns
    }

    #[test]
    fn given_reasons_of_every_kind_when_classified_then_each_falls_in_its_class() {
        let p = shipped();
        let c = |reason: &str| classify(reason, 0, 3, &p);
        // Transient: an integration's timeout and 503, throttling, storage busy.
        assert_eq!(c("crm timeout"), FailureClass::Transient);
        assert_eq!(
            c("HubSpot answered 503 Service Unavailable"),
            FailureClass::Transient
        );
        assert_eq!(c("Stripe: 429 Too Many Requests"), FailureClass::Transient);
        assert_eq!(
            c("ThrottlingException: Rate exceeded"),
            FailureClass::Transient
        );
        assert_eq!(c("data lake: database is locked"), FailureClass::Transient);
        // Permanent: invalid input naming a field, an access denial, AWS's limits.
        assert_eq!(
            c("invalid input: field `payload.amount`: expected a number"),
            FailureClass::Permanent
        );
        assert_eq!(
            c("billing may not read domain customer"),
            FailureClass::Permanent
        );
        assert_eq!(
            c("effects exceed AWS's limits: a transaction of 101 items exceeds DynamoDB's 100"),
            FailureClass::Permanent
        );
        // Poison: a panic.
        assert_eq!(
            c("handler panicked: index out of bounds"),
            FailureClass::Poison
        );
        // Unknown: a person looks.
        assert_eq!(c("something odd"), FailureClass::Permanent);
    }

    #[test]
    fn given_redrives_when_it_fails_again_then_it_becomes_poison() {
        let p = shipped();
        assert_eq!(classify("crm timeout", 2, 3, &p), FailureClass::Transient);
        assert_eq!(classify("crm timeout", 3, 3, &p), FailureClass::Poison);
        assert_eq!(
            classify("invalid input: no lines", 1, 3, &p),
            FailureClass::Poison
        );
        // No retries at all: a transient failure goes to a person at once.
        assert_eq!(classify("crm timeout", 0, 0, &p), FailureClass::Poison);
    }

    #[test]
    fn given_the_backoff_when_retries_follow_then_the_delay_grows_by_the_factor() {
        // 30 × 2^n minutes: 30, 60, 120, 240.
        let d: Vec<i64> = (0..4)
            .map(|n| retry_delay(30, 2.0, n).num_minutes())
            .collect();
        assert_eq!(d, [30, 60, 120, 240]);
        // 5 × 1.5^3 = 16.875 → 17 minutes.
        assert_eq!(retry_delay(5, 1.5, 3).num_minutes(), 17);
        let at: DateTime<Utc> = "2026-03-02T09:10:00Z".parse().unwrap();
        assert_eq!(
            retry_due(at, 30, 2.0, 1),
            "2026-03-02T10:10:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // Huge exponents stay bounded (a year at most).
        assert_eq!(retry_delay(60, 10.0, 25).num_days(), 366);
    }
}
