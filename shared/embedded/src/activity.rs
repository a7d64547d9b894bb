//! What the twin did, one JSON log line each (`ascent up` logs at info level): every handled
//! message (agent, event type, event id, correlation id, outcome, duration), every approval
//! opened, every mail queued — never personal data (no addresses, names or payloads).
//!
//! Lines about the worker's unit of work are held until it commits and dropped if it rolls
//! back, so the log never tells of work that did not happen. When info lines are off (the
//! simulation, `RUST_LOG=warn`, `ascent up --quiet`) nothing is even collected.

use parking_lot::Mutex;
use tracing::Level;

/// One thing the twin did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Activity {
    Message {
        agent: &'static str,
        detail_type: String,
        event_id: String,
        correlation_id: Option<String>,
        outcome: &'static str,
        duration_us: u64,
    },
    ApprovalOpened {
        id: String,
        agent: String,
        kind: String,
    },
    MailQueued {
        agent: &'static str,
        cause: String,
    },
}

impl Activity {
    fn log(&self) {
        match self {
            Activity::Message {
                agent,
                detail_type,
                event_id,
                correlation_id,
                outcome,
                duration_us,
            } => tracing::info!(
                agent,
                detail_type = detail_type.as_str(),
                event_id = event_id.as_str(),
                correlation_id = correlation_id.as_deref().unwrap_or(""),
                outcome,
                duration_us,
                "message {outcome}"
            ),
            Activity::ApprovalOpened { id, agent, kind } => tracing::info!(
                approval_id = id.as_str(),
                agent = agent.as_str(),
                kind = kind.as_str(),
                "approval opened"
            ),
            Activity::MailQueued { agent, cause } => {
                tracing::info!(agent, cause = cause.as_str(), "mail queued")
            }
        }
    }
}

/// Lines waiting for their unit of work to commit.
#[derive(Default)]
pub(crate) struct ActivityLog {
    pending: Mutex<Vec<Activity>>,
}

impl ActivityLog {
    /// Whether anything is logged at all (checked before building a line).
    pub(crate) fn on() -> bool {
        tracing::enabled!(Level::INFO)
    }

    /// Keeps `a` until the unit of work commits.
    pub(crate) fn record(&self, a: Activity) {
        self.pending.lock().push(a);
    }

    /// The unit committed: its lines are logged.
    pub(crate) fn committed(&self) {
        let lines = std::mem::take(&mut *self.pending.lock());
        for a in &lines {
            a.log();
        }
    }

    /// The unit rolled back: its lines never happened.
    pub(crate) fn rolled_back(&self) {
        self.pending.lock().clear();
    }
}
