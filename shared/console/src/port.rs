//! The console's port: what its pages read and do, implemented by each home (the twin over its
//! SQLite runtime; AWS over DynamoDB, SQS and Step Functions later). Every change names the
//! operator who made it, and the home audits it under that name.

use crate::access::Operator;
use ascent_core::approval::{Approval, ApprovalError, Decision, DeskError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Why an operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpsError {
    #[error("not found: {0}")]
    NotFound(String),
    /// The request breaks a rule (an approval's deciders, an unknown agent): said as it is.
    #[error("{0}")]
    Refused(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A refused decision said as the approver would want it said (every home decides through
/// an approval desk).
impl From<DeskError> for OpsError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::NotFound(id) => OpsError::NotFound(format!("approval request {id}")),
            DeskError::Rule(ApprovalError::NotTheApprover(who)) => OpsError::Refused(format!(
                "{who} is not the approver of this request at its current step"
            )),
            DeskError::Rule(r) => OpsError::Refused(r.to_string()),
            DeskError::Link(l) => OpsError::Refused(l.to_string()),
            DeskError::Internal(e) => OpsError::Internal(e),
        }
    }
}

/// Approvals as the inbox shows them.
#[derive(Clone, Debug, Default)]
pub struct Inbox {
    /// Waiting for a decision, soonest deadline first.
    pub pending: Vec<Approval>,
    /// Closed (approved, rejected, expired), latest first.
    pub decided: Vec<Approval>,
}

/// One agent as the agents page shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AgentRow {
    pub name: String,
    /// Its rules (subscriptions), by name.
    pub rules: Vec<String>,
    /// Queue class (`priority`, `standard`, `batch`).
    pub queue: String,
    /// Messages waiting in its queue (visible, or in a retry's backoff).
    pub queued: u64,
    pub handled: u64,
    pub failures: u64,
    pub dead_lettered: u64,
    /// Messages handled per minute over the current observation window, when known.
    pub per_minute: Option<f64>,
    /// When it last wrote anything (its latest audit record), when known.
    pub last_activity: Option<DateTime<Utc>>,
    pub paused: bool,
}

impl AgentRow {
    /// Failed receives over all receives, as a fraction; `None` before any receive.
    pub fn error_rate(&self) -> Option<f64> {
        let receives = self.handled + self.failures;
        (receives > 0).then(|| self.failures as f64 / receives as f64)
    }
}

/// One queue's depth.
#[derive(Clone, Debug, Default, Serialize)]
pub struct QueueRow {
    /// The agent the queue feeds.
    pub agent: String,
    pub class: String,
    /// Waiting for a worker now.
    pub visible: u64,
    /// In a retry's backoff or received.
    pub delayed: u64,
    pub dead_letters: u64,
    pub paused: bool,
}

/// A message that failed for good, with why.
#[derive(Clone, Debug, Serialize)]
pub struct DeadLetterRow {
    /// The home's id of the dead letter (what a redrive names).
    pub id: String,
    pub agent: String,
    pub detail_type: String,
    pub event_id: String,
    pub receive_count: u32,
    pub reason: String,
    pub failed_at: DateTime<Utc>,
    /// The event as it was delivered (JSON).
    pub payload: String,
}

/// A console action worth a record of its own (sign-in, sign-out, a refusal); the changes the
/// port makes are audited by the port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleAction {
    /// The operator's address (what they typed, for a refused sign-in).
    pub actor: String,
    /// `console.signed-in`, `console.signed-out`, `console.refused`, …
    pub action: String,
    pub detail: String,
}

/// What the console reads and does, in one home.
#[async_trait::async_trait]
pub trait Operations: Send + Sync {
    /// The home's clock (sessions, "due in").
    fn now(&self) -> DateTime<Utc>;
    async fn inbox(&self) -> Result<Inbox, OpsError>;
    /// Decides approval `id` as `operator`, under the same rules as an email link: the
    /// operator must be the approver of its current step, never the requester, once.
    async fn decide(
        &self,
        id: &str,
        operator: &Operator,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<Approval, OpsError>;
    async fn agents(&self) -> Result<Vec<AgentRow>, OpsError>;
    /// Pauses (its messages wait in its queue) or resumes an agent.
    async fn set_paused(
        &self,
        agent: &str,
        paused: bool,
        operator: &Operator,
    ) -> Result<(), OpsError>;
    async fn queues(&self) -> Result<Vec<QueueRow>, OpsError>;
    async fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, OpsError>;
    /// Sends dead letters (these, or all) back to their queues; how many went.
    async fn redrive(
        &self,
        ids: Option<Vec<String>>,
        operator: &Operator,
    ) -> Result<usize, OpsError>;
    /// Appends a console action to the audit chain.
    async fn record(&self, action: ConsoleAction) -> Result<(), OpsError>;
}
