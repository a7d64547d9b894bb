//! The twin's storage health: whether the last write failed for want of storage (a full disk,
//! an I/O error), since when and why. Ingestion answers 503 and the health endpoint reports
//! the fault while it lasts; the first write that commits again ends it.

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;

/// A storage fault in force.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StorageFault {
    /// The first failure of this spell.
    pub since: DateTime<Utc>,
    /// The latest failure's message (SQLite's: "database or disk is full", "disk I/O error").
    pub error: String,
    /// Failed writes in this spell.
    pub failures: u64,
}

/// The current fault, if any (shared by the HTTP side and the worker).
#[derive(Default)]
pub(crate) struct StorageHealth {
    fault: Mutex<Option<StorageFault>>,
}

impl StorageHealth {
    pub(crate) fn failed(&self, error: &str, at: DateTime<Utc>) {
        let mut fault = self.fault.lock();
        match fault.as_mut() {
            Some(f) => {
                f.failures += 1;
                f.error = error.to_string();
            }
            None => {
                tracing::error!(
                    error,
                    "storage fault: refusing events until storage works again"
                );
                *fault = Some(StorageFault {
                    since: at,
                    error: error.to_string(),
                    failures: 1,
                });
            }
        }
    }

    pub(crate) fn recovered(&self) {
        let mut fault = self.fault.lock();
        if let Some(f) = fault.take() {
            tracing::info!(
                since = %f.since,
                failures = f.failures,
                "storage works again"
            );
        }
    }

    pub(crate) fn current(&self) -> Option<StorageFault> {
        self.fault.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_lasts_from_the_first_failure_to_the_next_success() {
        let h = StorageHealth::default();
        assert_eq!(h.current(), None);
        let t0: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
        h.failed("database or disk is full", t0);
        h.failed("disk I/O error", t0 + chrono::Duration::seconds(5));
        let f = h.current().unwrap();
        assert_eq!(
            (f.since, f.failures, f.error.as_str()),
            (t0, 2, "disk I/O error")
        );
        h.recovered();
        assert_eq!(h.current(), None);
    }
}
