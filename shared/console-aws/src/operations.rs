//! The console's [`Operations`] on AWS: the approvals table and Step Functions (inbox and
//! decisions, through the approval API's own desk), each agent's queue, function and event
//! source mapping (the agents page, pause and resume), the dead-letter queues (queues page,
//! redrive), and the audit table (every change, under the operator's address).
//!
//! Names follow the generated stack: an agent's function is `<prefix><agent>`, its queue
//! `<prefix><agent>-<queue class>`, its dead-letter queue `<prefix><agent>-errors`
//! (`<prefix>` is `ascent-<stage>-`).

use crate::audit::{audit_item, latest_activity};
use crate::dead_letters::DeadLetters;
use crate::reader::DynamoReader;
use ascent_aws::approvals::StepFunctionsDesk;
use ascent_console::{
    AgentRow, ConsoleAction, DeadLetterRow, Inbox, Operations, Operator, OpsError, QueueRow,
};
use ascent_core::agent::{AgentDecl, Domain};
use ascent_core::approval::{Approval, ApprovalStatus, Decision};
use ascent_core::audit::AuditEntry;
use ascent_core::ports::{DataLake, Write};
use ascent_core::queues::QueueMetrics;
use aws_sdk_lambda::types::EventSourceMappingConfiguration;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How far back the agents page measures throughput and errors.
pub const WINDOW_MINUTES: i64 = 60;

/// The console's home on AWS.
pub struct AwsOperations {
    pub lake: Arc<dyn DataLake>,
    pub reader: Arc<DynamoReader>,
    pub desk: Arc<StepFunctionsDesk>,
    pub lambda: aws_sdk_lambda::Client,
    pub metrics: Arc<dyn QueueMetrics>,
    pub dead_letters: DeadLetters,
    pub decls: Vec<&'static AgentDecl>,
    /// `ascent-<stage>-`.
    pub prefix: String,
}

pub(crate) fn internal(e: impl std::fmt::Display) -> OpsError {
    OpsError::Internal(e.to_string())
}

impl AwsOperations {
    fn decl(&self, agent: &str) -> Result<&'static AgentDecl, OpsError> {
        self.decls
            .iter()
            .copied()
            .find(|d| d.name == agent)
            .ok_or_else(|| OpsError::Refused(format!("no agent is called {agent:?}")))
    }

    /// The event source mappings feeding `agent`'s function (one per queue it reads).
    async fn mappings(
        &self,
        agent: &str,
    ) -> Result<Vec<EventSourceMappingConfiguration>, OpsError> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = self
                .lambda
                .list_event_source_mappings()
                .function_name(format!("{}{agent}", self.prefix))
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| {
                    internal(format!(
                        "the event source mappings of {agent}: {}",
                        aws_sdk_lambda::error::DisplayErrorContext(e)
                    ))
                })?;
            out.extend(page.event_source_mappings.unwrap_or_default());
            match page.next_marker {
                Some(m) if !m.is_empty() => marker = Some(m),
                _ => return Ok(out),
            }
        }
    }

    /// Paused: its mappings are disabled (or being disabled).
    async fn is_paused(&self, agent: &str) -> Result<bool, OpsError> {
        let mappings = self.mappings(agent).await?;
        Ok(!mappings.is_empty() && mappings.iter().all(|m| paused_state(m.state())))
    }

    async fn row(
        &self,
        d: &'static AgentDecl,
        now: DateTime<Utc>,
        activity: &BTreeMap<String, DateTime<Utc>>,
    ) -> Result<AgentRow, OpsError> {
        let from = now - Duration::minutes(WINDOW_MINUTES);
        let window = self
            .metrics
            .window(d.name, from, now)
            .await
            .map_err(internal)?;
        let dead = self.dead_letters.depth_of(d.name).await?;
        Ok(AgentRow {
            name: d.name.to_string(),
            rules: d.subscriptions.iter().map(|s| s.name.to_string()).collect(),
            queue: d.queue.as_str().to_string(),
            queued: window.depth,
            handled: window.handled,
            failures: window.receives.saturating_sub(window.handled),
            dead_lettered: dead,
            per_minute: Some(window.handled as f64 / WINDOW_MINUTES as f64),
            last_activity: activity.get(d.name).copied(),
            paused: self.is_paused(d.name).await?,
        })
    }

    async fn audit(&self, entry: AuditEntry) -> Result<(), OpsError> {
        self.lake
            .transact(&[Write::Put {
                domain: Domain::Audit,
                item: audit_item(&entry),
                condition: ascent_core::ports::Condition::NotExists,
            }])
            .await
            .map_err(internal)
    }
}

/// A mapping that no longer delivers (or soon will not).
pub fn paused_state(state: Option<&str>) -> bool {
    matches!(state, Some("Disabled" | "Disabling"))
}

/// The inbox from every stored request: pending soonest deadline first, the rest latest
/// decision first.
pub fn inbox(mut all: Vec<Approval>) -> Inbox {
    let (mut pending, mut decided): (Vec<_>, Vec<_>) = all
        .drain(..)
        .partition(|a| a.status == ApprovalStatus::Pending);
    pending.sort_by_key(|a| a.step_deadline);
    decided.sort_by_key(|a| std::cmp::Reverse(a.decided_at.unwrap_or(a.created_at)));
    Inbox { pending, decided }
}

#[async_trait::async_trait]
impl Operations for AwsOperations {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn inbox(&self) -> Result<Inbox, OpsError> {
        let items = self
            .reader
            .items(
                Domain::Approvals,
                "approval#",
                Some("approval"),
                None,
                usize::MAX,
            )
            .await?;
        let all = items
            .into_iter()
            .filter_map(|i| i.parse::<Approval>().ok())
            .collect();
        Ok(inbox(all))
    }

    async fn decide(
        &self,
        id: &str,
        operator: &Operator,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<Approval, OpsError> {
        let a = self
            .desk
            .decide_as(id, &operator.email, None, decision, comment.clone())
            .await?;
        self.audit(AuditEntry {
            at: Utc::now(),
            actor: operator.email.clone(),
            action: "approval.decided".into(),
            domain: "approvals".into(),
            item: format!("approval#{id}"),
            correlation_id: Some(a.correlation_id.to_string()),
            detail: format!(
                "{} from the console{}",
                match decision {
                    Decision::Approve => "approve",
                    Decision::Reject => "reject",
                },
                comment.map(|c| format!(": {c}")).unwrap_or_default()
            ),
        })
        .await?;
        Ok(a)
    }

    async fn agents(&self) -> Result<Vec<AgentRow>, OpsError> {
        let now = Utc::now();
        let activity = latest_activity(self.lake.as_ref(), now).await?;
        let rows =
            futures::future::join_all(self.decls.iter().map(|d| self.row(d, now, &activity))).await;
        rows.into_iter().collect()
    }

    async fn set_paused(
        &self,
        agent: &str,
        paused: bool,
        operator: &Operator,
    ) -> Result<(), OpsError> {
        let d = self.decl(agent)?;
        let mappings = self.mappings(d.name).await?;
        if mappings.is_empty() {
            return Err(OpsError::Refused(format!(
                "{agent} has no event source mapping to {}",
                if paused { "pause" } else { "resume" }
            )));
        }
        for m in &mappings {
            self.lambda
                .update_event_source_mapping()
                .uuid(m.uuid().unwrap_or_default())
                .enabled(!paused)
                .send()
                .await
                .map_err(|e| {
                    internal(format!(
                        "{agent}'s event source mapping: {}",
                        aws_sdk_lambda::error::DisplayErrorContext(e)
                    ))
                })?;
        }
        self.audit(AuditEntry {
            at: Utc::now(),
            actor: operator.email.clone(),
            action: if paused {
                "agent.paused"
            } else {
                "agent.resumed"
            }
            .into(),
            domain: "console".into(),
            item: format!("agent#{agent}"),
            correlation_id: None,
            detail: format!("{} event source mapping(s)", mappings.len()),
        })
        .await
    }

    async fn queues(&self) -> Result<Vec<QueueRow>, OpsError> {
        let rows = futures::future::join_all(self.decls.iter().map(|d| async move {
            let (visible, delayed) = self.dead_letters.agent_queue_depth(d).await?;
            Ok::<_, OpsError>(QueueRow {
                agent: d.name.to_string(),
                class: d.queue.as_str().to_string(),
                visible,
                delayed,
                dead_letters: self.dead_letters.depth_of(d.name).await?,
                paused: self.is_paused(d.name).await?,
            })
        }))
        .await;
        rows.into_iter().collect()
    }

    async fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, OpsError> {
        self.dead_letters.list().await
    }

    async fn redrive(
        &self,
        ids: Option<Vec<String>>,
        operator: &Operator,
    ) -> Result<usize, OpsError> {
        let n = self.dead_letters.redrive(ids.as_deref()).await?;
        if n == 0 && ids.is_some() {
            return Err(OpsError::NotFound(
                "that dead letter (already redriven?)".into(),
            ));
        }
        self.audit(AuditEntry {
            at: Utc::now(),
            actor: operator.email.clone(),
            action: "dlq.redrive".into(),
            domain: "console".into(),
            item: match &ids {
                Some(ids) => ids.join(","),
                None => "all".into(),
            },
            correlation_id: None,
            detail: format!("{n} dead letter(s) sent back"),
        })
        .await?;
        Ok(n)
    }

    async fn record(&self, action: ConsoleAction) -> Result<(), OpsError> {
        self.audit(AuditEntry {
            at: Utc::now(),
            actor: action.actor,
            action: action.action,
            domain: "console".into(),
            item: "console".into(),
            correlation_id: None,
            detail: action.detail,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_disabled_mappings_are_paused() {
        assert!(paused_state(Some("Disabled")));
        assert!(paused_state(Some("Disabling")));
        assert!(!paused_state(Some("Enabled")));
        assert!(!paused_state(Some("Enabling")));
        assert!(!paused_state(None));
    }
}
