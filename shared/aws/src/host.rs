//! Runs one agent on AWS: the SQS-batch entry point (event source mapping with
//! `ReportBatchItemFailures`) and the EventBridge-direct one, over any data lake, bus and
//! mailer (DynamoDB, EventBridge and SES in the Lambda; the emulator in tests).
//!
//! Effects and idempotency: the handler's writes and an idempotency record holding the
//! *pending* side effects (emitted events, mail, approvals to start) commit in one DynamoDB
//! transaction; the side effects run after it, and the record is then marked done. A redelivery
//! finds the record: done → nothing to do; not done → it finishes the side effects. So an
//! event's effects happen once and nothing it emits is lost between the commit and EventBridge.

use ascent_core::agent::{Agent, AgentError, Domain};
use ascent_core::approval::{self, Approval, ApprovalPolicy};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, DataLake, EventBus, Item, LakeError, Mail, Mailer, Write};
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tracing::Instrument;

const IDEMPOTENCY_DAYS: i64 = 30;
/// Failure reasons are kept as long as SQS keeps a dead letter at most.
const FAILURE_DAYS: i64 = 14;

/// Starts the approval workflow for an opened request (Step Functions on AWS).
#[async_trait]
pub trait ApprovalStarter: Send + Sync {
    async fn start(&self, approval: &Approval) -> Result<(), String>;
}

/// Side effects recorded with the commit and carried out after it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Pending {
    pub events: Vec<serde_json::Value>,
    pub mails: Vec<Mail>,
    pub approvals: Vec<Approval>,
}

/// The idempotency record of (agent, event).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Handled {
    at: chrono::DateTime<Utc>,
    done: bool,
    pending: Pending,
}

/// What became of one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Handled,
    /// Seen before (redelivery or redrive); its effects were not repeated.
    Duplicate,
}

/// Why one message failed (it is reported in `batchItemFailures` and retried).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("undeliverable event: {0}")]
    Undeliverable(String),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error("side effect failed (will be finished on redelivery): {0}")]
    SideEffect(String),
}

/// The audit item of one write: partition per day, sorted by time; never updated or deleted
/// (the functions' roles may only put items in the audit table).
pub fn audit_write(
    agent: &str,
    cause: &Event,
    w: &Write,
    index: usize,
    now: chrono::DateTime<Utc>,
) -> Write {
    let (pk, sk) = w.key();
    let action = w.action();
    Write::Put {
        domain: Domain::Audit,
        item: Item::new(
            format!("audit#{}", now.date_naive()),
            format!(
                "{}#{}#{index}",
                now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                cause.detail.event_id
            ),
            serde_json::json!({
                "at": now,
                "actor": agent,
                "action": action,
                "domain": w.domain().as_str(),
                "item": format!("{pk}/{sk}"),
                "correlation_id": cause.detail.correlation_id,
                "cause": cause.detail_type(),
            }),
        ),
        condition: Condition::NotExists,
    }
}

/// An agent with the ports it runs on.
pub struct AgentHost {
    pub agent: Arc<dyn Agent>,
    pub lake: Arc<dyn DataLake>,
    pub bus: Arc<dyn EventBus>,
    pub mailer: Arc<dyn Mailer>,
    pub approvals: Option<Arc<dyn ApprovalStarter>>,
    pub policy: ApprovalPolicy,
    pub mail_from: String,
}

impl AgentHost {
    fn name(&self) -> &'static str {
        self.agent.declaration().name
    }

    /// Handles one event, idempotently.
    pub async fn handle_event(&self, event: &Event) -> Result<Disposition, HostError> {
        let name = self.name();
        let key = event.detail.event_id.to_string();
        if let Some(item) = self
            .lake
            .get(Domain::Idempotency, name, &key)
            .await
            .map_err(AgentError::from)?
        {
            let record: Handled = item.parse().map_err(AgentError::from)?;
            if !record.done {
                self.finish(&key, record.pending).await?;
            }
            return Ok(Disposition::Duplicate);
        }
        let now = Utc::now();
        let mut ctx = Ctx::new(self.agent.declaration(), self.lake.as_ref(), event, now);
        let result = self.agent.handle(event, &mut ctx).await;
        let effects = ctx.into_effects();
        for d in &effects.denials {
            // Audited in the logs (CloudWatch): agent, what, event; never personal data.
            tracing::warn!(agent = name, event_id = %key, denied = %d, "access denied");
        }
        result?;
        let mut approvals = Vec::new();
        for (seq, draft) in effects.approvals.into_iter().enumerate() {
            let id = approval::approval_id(event.detail.event_id, name, seq);
            let a = self
                .policy
                .open(id, name, draft, event.detail.correlation_id, now)
                .map_err(|e| AgentError::Invalid(e.to_string()))?;
            approvals.push(a);
        }
        let pending = Pending {
            events: effects.emitted.iter().map(Event::to_value).collect(),
            mails: effects.mails,
            approvals,
        };
        let record = Handled {
            at: now,
            done: false,
            pending: pending.clone(),
        };
        let mut writes = vec![Write::Put {
            domain: Domain::Idempotency,
            item: Item::new(
                name,
                &key,
                serde_json::to_value(&record).expect("record serialises"),
            )
            .expiring_at((now + Duration::days(IDEMPOTENCY_DAYS)).timestamp()),
            condition: Condition::NotExists,
        }];
        // Every write is audited in the same transaction: who, what, when, which flow.
        let audit: Vec<Write> = effects
            .writes
            .iter()
            .enumerate()
            .map(|(i, w)| audit_write(name, event, w, i, now))
            .collect();
        writes.extend(effects.writes);
        writes.extend(audit);
        match self.lake.transact(&writes).await {
            Ok(()) => {}
            Err(LakeError::ConditionFailed { domain, pk, .. })
                if domain == Domain::Idempotency.as_str() && pk == name =>
            {
                return Ok(Disposition::Duplicate); // a concurrent delivery won the race
            }
            Err(e) => return Err(AgentError::from(e).into()),
        }
        self.finish(&key, pending).await?;
        Ok(Disposition::Handled)
    }

    /// Publishes, mails and starts approvals, then marks the record done.
    async fn finish(&self, key: &str, pending: Pending) -> Result<(), HostError> {
        let events = pending
            .events
            .iter()
            .map(|v| Event::from_value(v.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HostError::SideEffect(e.to_string()))?;
        self.bus
            .publish(&events)
            .await
            .map_err(|e| HostError::SideEffect(e.to_string()))?;
        for m in &pending.mails {
            self.mailer
                .send(&self.mail_from, m)
                .await
                .map_err(|e| HostError::SideEffect(e.to_string()))?;
        }
        if !pending.approvals.is_empty() {
            let starter = self.approvals.as_ref().ok_or_else(|| {
                HostError::SideEffect(
                    "approvals requested but ASCENT_APPROVAL_STATE_MACHINE_ARN is not set".into(),
                )
            })?;
            for a in &pending.approvals {
                starter.start(a).await.map_err(HostError::SideEffect)?;
            }
        }
        let done = Handled {
            at: Utc::now(),
            done: true,
            pending: Pending::default(),
        };
        self.lake
            .transact(&[Write::Put {
                domain: Domain::Idempotency,
                item: Item::new(
                    self.name(),
                    key,
                    serde_json::to_value(&done).expect("record serialises"),
                )
                .expiring_at((Utc::now() + Duration::days(IDEMPOTENCY_DAYS)).timestamp()),
                condition: Condition::Always,
            }])
            .await
            .map_err(|e| HostError::SideEffect(e.to_string()))
    }

    /// Keeps why a message failed, so a dead letter's reason can be looked up by event id.
    async fn record_failure(
        &self,
        event_id: &str,
        message_id: &str,
        receive_count: &str,
        reason: &str,
    ) {
        let now = Utc::now();
        let item = Item::new(
            format!("failure#{}", self.name()),
            event_id,
            serde_json::json!({"reason": reason, "message_id": message_id, "receive_count": receive_count, "at": now}),
        )
        .expiring_at((now + Duration::days(FAILURE_DAYS)).timestamp());
        let put = Write::Put {
            domain: Domain::Idempotency,
            item,
            condition: Condition::Always,
        };
        if let Err(e) = self.lake.transact(&[put]).await {
            tracing::error!(
                agent = self.name(),
                event_id,
                "could not record the failure reason: {e}"
            );
        }
    }

    /// The failure reason recorded for an event, if any (for dead-letter listings).
    pub async fn failure_reason(&self, event_id: &str) -> Option<String> {
        let item = self
            .lake
            .get(
                Domain::Idempotency,
                &format!("failure#{}", self.name()),
                event_id,
            )
            .await
            .ok()??;
        item.data["reason"].as_str().map(str::to_string)
    }

    /// The SQS entry point: every record in order; exactly the failed ones are reported.
    pub async fn handle_sqs(&self, batch: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in batch.records {
            let message_id = record.message_id.clone().unwrap_or_default();
            let receive_count = record
                .attributes
                .get("ApproximateReceiveCount")
                .cloned()
                .unwrap_or_default();
            let body = record.body.unwrap_or_default();
            let parsed = Event::parse(body.as_bytes());
            // Every line about this record carries the agent and, once known, the event and
            // correlation ids.
            let span = match &parsed {
                Ok(event) => tracing::info_span!(
                    "event",
                    agent = self.name(),
                    message_id = %message_id,
                    event_id = %event.detail.event_id,
                    correlation_id = %event.detail.correlation_id,
                    detail_type = event.detail_type(),
                ),
                Err(_) => {
                    tracing::info_span!("event", agent = self.name(), message_id = %message_id)
                }
            };
            let failed = async {
                let outcome = match parsed {
                    Err(e) => Err((String::new(), HostError::Undeliverable(e.to_string()))),
                    Ok(event) => {
                        let id = event.detail.event_id.to_string();
                        self.handle_event(&event).await.map_err(|e| (id, e))
                    }
                };
                match outcome {
                    Ok(d) => {
                        tracing::info!(disposition = ?d, "handled");
                        false
                    }
                    Err((event_id, e)) => {
                        tracing::error!(receive_count, error = %e, "failed");
                        let key = if event_id.is_empty() {
                            message_id.clone()
                        } else {
                            event_id
                        };
                        self.record_failure(&key, &message_id, &receive_count, &e.to_string())
                            .await;
                        true
                    }
                }
            }
            .instrument(span)
            .await;
            if failed {
                response.add_failure(message_id);
            }
        }
        response
    }

    /// The EventBridge-direct entry point (a rule targeting the function): one event; an error
    /// makes Lambda retry and then use the function's on-failure destination.
    pub async fn handle_eventbridge(
        &self,
        raw: serde_json::Value,
    ) -> Result<Disposition, HostError> {
        let event = Event::from_value(raw).map_err(|e| HostError::Undeliverable(e.to_string()))?;
        self.handle_event(&event).await
    }
}
