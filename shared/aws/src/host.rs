//! Runs one agent on AWS: the SQS-batch entry point (event source mapping with
//! `ReportBatchItemFailures`) and the EventBridge-direct one, over any data lake, bus and
//! mailer (DynamoDB, EventBridge and SES in the Lambda; the emulator in tests).
//!
//! Effects and idempotency: the handler's writes and an idempotency record holding the
//! *pending* side effects (emitted events, mail, approvals to start) commit in one DynamoDB
//! transaction; the side effects run after it, and the record is then marked done. A redelivery
//! finds the record: done → nothing to do; not done → it finishes the side effects. So an
//! event's effects happen once and nothing it emits is lost between the commit and EventBridge.
//! Each side effect is struck off the record as soon as it succeeded, so a redelivery never
//! repeats one (the second of two mails failing does not send the first again).
//!
//! The handler runs in the one engine ([`ascent_core::engine`]), as in the twin: a panic fails
//! its own message only; a permanent failure (invalid input, an access denial, an undeliverable
//! body) goes to the dead-letter queue at once with its reason, and access denials are audited.
//! A failure that is retried is recorded ([`FailureRecord`], one write per failed attempt, next
//! to the idempotency record): when SQS moves the message to the dead-letter queue after its
//! last receive, `ascent aws dlq list` finds the reason there by the event id.

use ascent_core::agent::{Agent, AgentError, Domain};
use ascent_core::approval::{self, Approval, ApprovalPolicy};
use ascent_core::audit::pseudonymise_text;
use ascent_core::catalog::{EventPayload, MessageDeadLettered};
use ascent_core::engine;
use ascent_core::event::Event;
use ascent_core::ports::{
    Condition, DataLake, DeadLetterOrder, DeadLetterQueues, EventBus, Item, LakeError, Mail,
    Mailer, Write,
};
use ascent_core::privacy::{PrivacyKey, pseudonymise_key};
use ascent_core::retention::DataRetention;
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tracing::Instrument;

/// A recorded failure reason is cut to this (a DynamoDB item holds at most 400 KB).
pub const MAX_FAILURE_REASON_BYTES: usize = 4 * 1024;

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
    /// Dead letters to redrive or discard (Process Automation's orders).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dead_letters: Vec<DeadLetterOrder>,
}

/// The idempotency record of (agent, event).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Handled {
    at: chrono::DateTime<Utc>,
    done: bool,
    pending: Pending,
}

/// Why the last attempt at an event failed, kept in the idempotency table under the agent's
/// own partition key and [`failure_key`] of the event id (of the message id for a body that
/// was no event), as long as a dead letter is kept (`[data_retention] dead_letters_days`, the
/// dead-letter queues' retention); `ascent aws dlq list` shows it for a dead letter SQS
/// moved after its last receive.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FailureRecord {
    /// The error, at most [`MAX_FAILURE_REASON_BYTES`].
    pub reason: String,
    /// The attempt that failed (SQS's `ApproximateReceiveCount`).
    pub attempts: Option<u32>,
    pub message_id: String,
    pub at: chrono::DateTime<Utc>,
}

/// The sort key of an event's [`FailureRecord`] (its partition key is the agent's name).
pub fn failure_key(event_id: &str) -> String {
    format!("failure#{event_id}")
}

/// `text` cut to at most `max` bytes on a character boundary, marked when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    const MARK: &str = " … (truncated)";
    let mut end = max.saturating_sub(MARK.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARK}", &text[..end])
}

/// What became of one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Handled,
    /// Seen before (redelivery or redrive); its effects were not repeated.
    Duplicate,
    /// Seen before with side effects left undone (the first delivery failed after its
    /// commit): this delivery finished them.
    Finished,
}

/// Why one message failed: reported in `batchItemFailures` and retried, or, when permanent,
/// sent to the dead-letter queue at once.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("undeliverable event: {0}")]
    Undeliverable(String),
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// The handler failed for good (the engine's dead-letter outcome).
    #[error("{0}")]
    Permanent(String),
    /// The handler failed for now (the engine's retry outcome).
    #[error("{0}")]
    Transient(String),
    #[error("side effect failed (will be finished on redelivery): {0}")]
    SideEffect(String),
}

impl HostError {
    /// Retrying cannot fix it: the message goes to the dead-letter queue at once.
    pub fn is_permanent(&self) -> bool {
        match self {
            HostError::Undeliverable(_) | HostError::Permanent(_) => true,
            HostError::Agent(e) => e.is_permanent(),
            HostError::Transient(_) | HostError::SideEffect(_) => false,
        }
    }
}

/// Where a message that can never succeed goes at once, with its reason (the agent's SQS
/// dead-letter queue on AWS).
#[async_trait]
pub trait DeadLetterQueue: Send + Sync {
    async fn send(&self, body: &str, reason: &str) -> Result<(), String>;
}

/// The audit item of an access denial (the twin audits them in its chain; on AWS they join the
/// audit table like every write). Its item and detail hold pseudonyms, never an address or a
/// phone number ([`ascent_core::audit::pseudonymise_text`]).
pub fn denial_audit(
    agent: &str,
    cause: &Event,
    denied: &ascent_core::policy::AccessDenied,
    index: usize,
    now: chrono::DateTime<Utc>,
    privacy: &PrivacyKey,
) -> Write {
    Write::Put {
        domain: Domain::Audit,
        item: Item::new(
            format!("audit#{}", now.date_naive()),
            format!(
                "{}#{}#denied{index}",
                now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                cause.detail.event_id
            ),
            serde_json::json!({
                "at": now,
                "actor": agent,
                "action": "denied",
                "domain": denied.what,
                "item": cause.detail.event_id.to_string(),
                "correlation_id": cause.detail.correlation_id,
                "cause": cause.detail_type(),
                "detail": pseudonymise_text(&denied.to_string(), privacy),
            }),
        ),
        condition: Condition::NotExists,
    }
}

/// The audit item of one write: partition per day, sorted by time; never updated or deleted
/// (the functions' roles may only put items in the audit table). The written key is audited
/// with its addresses and phone numbers replaced by their pseudonyms ([`pseudonymise_key`]).
pub fn audit_write(
    agent: &str,
    cause: &Event,
    w: &Write,
    index: usize,
    now: chrono::DateTime<Utc>,
    privacy: &PrivacyKey,
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
                "item": pseudonymise_text(&pseudonymise_key(&format!("{pk}/{sk}"), privacy), privacy),
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
    /// Where permanent failures go at once; `None`: they are retried until SQS moves them.
    pub dead_letters: Option<Arc<dyn DeadLetterQueue>>,
    /// The queue's `maxReceiveCount`: a failure at this receive is the last, and SQS moves the
    /// message to the dead-letter queue. Known, the host announces it (`MessageDeadLettered`),
    /// as it announces every permanent failure it dead-letters at once.
    pub max_receive_count: Option<u32>,
    /// Redrives and discards ordered by the handler (Process Automation's); `None` for an
    /// agent that orders none.
    pub dead_letter_queues: Option<Arc<dyn DeadLetterQueues>>,
    /// The key of the pseudonyms the audit items hold instead of addresses and phone numbers
    /// (`ASCENT_PRIVACY_KEY`, see [`crate::lambda::privacy_key`]).
    pub privacy: PrivacyKey,
    /// `[data_retention]`: the expiry of the handler's writes (from the agent's declaration),
    /// and of the idempotency records (`idempotency_days`).
    pub retention: DataRetention,
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
                self.finish(&key, record.at, record.pending).await?;
                return Ok(Disposition::Finished);
            }
            return Ok(Disposition::Duplicate);
        }
        // A late event about an erased person is handled without their identifiers.
        let admitted = crate::privacy::admit(self.lake.as_ref(), &self.privacy, event)
            .await
            .map_err(|e| match e {
                crate::privacy::AdmitError::Unavailable(m) => HostError::Transient(m),
                crate::privacy::AdmitError::Refused(m) => HostError::Permanent(m),
            })?;
        let event = admitted.as_ref();

        let now = Utc::now();
        let outcome = engine::handle(
            self.agent.as_ref(),
            event,
            self.lake.as_ref(),
            now,
            &self.retention,
        )
        .await;
        self.audit_denials(event, outcome.denials(), now).await;
        let effects = match outcome {
            engine::Outcome::Handled(effects) => effects,
            // As in the twin: a handler that was refused an access fails for good, however it
            // failed (retrying cannot grant the access).
            engine::Outcome::Retry { reason, denials } if !denials.is_empty() => {
                return Err(HostError::Permanent(reason));
            }
            engine::Outcome::Retry { reason, .. } => return Err(HostError::Transient(reason)),
            engine::Outcome::DeadLetter { reason, .. } => return Err(HostError::Permanent(reason)),
        };
        let mut approvals = Vec::new();
        for (seq, draft) in effects.approvals.into_iter().enumerate() {
            let id = approval::approval_id(event.detail.event_id, name, seq);
            let a = self
                .policy
                .open(id, name, draft, event.detail.correlation_id, now)
                // Dead-lettered with the same reason as in the twin.
                .map_err(|e| HostError::Permanent(e.to_string()))?;
            approvals.push(a);
        }
        let pending = Pending {
            events: effects.emitted.iter().map(Event::to_value).collect(),
            mails: effects.mails,
            approvals,
            dead_letters: effects.dead_letters,
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
            .expiring_at((now + self.retention.idempotency()).timestamp()),
            condition: Condition::NotExists,
        }];
        // Every write is audited in the same transaction: who, what, when, which flow.
        let audit: Vec<Write> = effects
            .writes
            .iter()
            .enumerate()
            .map(|(i, w)| audit_write(name, event, w, i, now, &self.privacy))
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
        self.finish(&key, now, pending).await?;
        Ok(Disposition::Handled)
    }

    /// Audits the access denials of a handler (best effort: a failure is logged).
    async fn audit_denials(
        &self,
        event: &Event,
        denials: &[ascent_core::policy::AccessDenied],
        now: chrono::DateTime<Utc>,
    ) {
        if denials.is_empty() {
            return;
        }
        let name = self.name();
        let writes: Vec<Write> = denials
            .iter()
            .enumerate()
            .map(|(i, d)| denial_audit(name, event, d, i, now, &self.privacy))
            .collect();
        for d in denials {
            tracing::warn!(agent = name, event_id = %event.detail.event_id, denied = %d, "access denied");
        }
        if let Err(e) = self.lake.transact(&writes).await {
            tracing::error!(agent = name, "could not audit an access denial: {e}");
        }
    }

    /// Publishes, mails and starts approvals, striking each off the record once it succeeded
    /// (a redelivery finishes only what is left), then marks the record done.
    async fn finish(
        &self,
        key: &str,
        at: chrono::DateTime<Utc>,
        mut pending: Pending,
    ) -> Result<(), HostError> {
        let side = |e: String| HostError::SideEffect(e);
        if !pending.events.is_empty() {
            let events = pending
                .events
                .iter()
                .map(|v| Event::from_value(v.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| side(e.to_string()))?;
            // Published as one batch: EventBridge dedupes nothing, but every id is derived
            // from the cause, so a repeat is absorbed by the receivers' idempotency.
            self.bus
                .publish(&events)
                .await
                .map_err(|e| side(e.to_string()))?;
            pending.events.clear();
            if !pending.mails.is_empty()
                || !pending.approvals.is_empty()
                || !pending.dead_letters.is_empty()
            {
                self.save(key, at, false, &pending).await?;
            }
        }
        while let Some(m) = pending.mails.first() {
            self.mailer
                .send(&self.mail_from, m)
                .await
                .map_err(|e| side(e.to_string()))?;
            pending.mails.remove(0);
            if !pending.mails.is_empty()
                || !pending.approvals.is_empty()
                || !pending.dead_letters.is_empty()
            {
                self.save(key, at, false, &pending).await?;
            }
        }
        if !pending.approvals.is_empty() {
            let starter = self.approvals.as_ref().ok_or_else(|| {
                side("approvals requested but ASCENT_APPROVAL_STATE_MACHINE_ARN is not set".into())
            })?;
            while let Some(a) = pending.approvals.first() {
                starter.start(a).await.map_err(side)?;
                pending.approvals.remove(0);
                if !pending.approvals.is_empty() || !pending.dead_letters.is_empty() {
                    self.save(key, at, false, &pending).await?;
                }
            }
        }
        if !pending.dead_letters.is_empty() {
            let queues = self.dead_letter_queues.as_ref().ok_or_else(|| {
                side("dead letters ordered but ASCENT_QUEUE_PREFIX is not set".into())
            })?;
            // Acting on a letter no longer there is no error: a repeat moves nothing twice.
            while let Some(order) = pending.dead_letters.first() {
                queues.act(order).await.map_err(|e| side(e.to_string()))?;
                pending.dead_letters.remove(0);
                if !pending.dead_letters.is_empty() {
                    self.save(key, at, false, &pending).await?;
                }
            }
        }
        self.save(key, at, true, &Pending::default()).await
    }

    /// Rewrites the idempotency record of `key` with what is left to do.
    async fn save(
        &self,
        key: &str,
        at: chrono::DateTime<Utc>,
        done: bool,
        pending: &Pending,
    ) -> Result<(), HostError> {
        let record = Handled {
            at,
            done,
            pending: pending.clone(),
        };
        self.lake
            .transact(&[Write::Put {
                domain: Domain::Idempotency,
                item: Item::new(
                    self.name(),
                    key,
                    serde_json::to_value(&record).expect("record serialises"),
                )
                .expiring_at((at + self.retention.idempotency()).timestamp()),
                condition: Condition::Always,
            }])
            .await
            .map_err(|e| HostError::SideEffect(e.to_string()))
    }

    /// Keeps why a message failed, so a dead letter's reason can be looked up by event id
    /// (`ascent aws dlq list`): one write per failed attempt, next to the idempotency record
    /// of (agent, event) — the same partition key, the agent's name, which is all its role may
    /// write there. Best effort: a failure to record is logged and changes nothing.
    async fn record_failure(
        &self,
        event_id: &str,
        message_id: &str,
        receive_count: &str,
        reason: &str,
    ) {
        let now = Utc::now();
        let record = FailureRecord {
            reason: truncate(reason, MAX_FAILURE_REASON_BYTES),
            attempts: receive_count.parse().ok(),
            message_id: message_id.to_string(),
            at: now,
        };
        let item = Item::new(
            self.name(),
            failure_key(event_id),
            serde_json::to_value(&record).expect("record serialises"),
        )
        .expiring_at((now + self.retention.dead_letters()).timestamp());
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

    /// Tells the platform a message was dead-lettered (best effort: a failure is logged; the
    /// letter stays in its queue for `ascent aws dlq`). A notice's own dead letter is not
    /// announced (no loop).
    async fn announce_dead_letter(&self, notice: MessageDeadLettered) {
        if notice.detail_type == MessageDeadLettered::DETAIL_TYPE {
            return;
        }
        if let Err(e) = self.bus.publish(&[notice.event()]).await {
            tracing::error!(
                agent = self.name(),
                "could not announce the dead letter: {e}"
            );
        }
    }

    /// The last failure recorded for an event (or, for a body that was no event, a message
    /// id), if any.
    pub async fn failure(&self, event_id: &str) -> Option<FailureRecord> {
        let item = self
            .lake
            .get(Domain::Idempotency, self.name(), &failure_key(event_id))
            .await
            .ok()??;
        serde_json::from_value(item.data).ok()
    }

    /// The last failure reason recorded for an event, if any (for dead-letter listings).
    pub async fn failure_reason(&self, event_id: &str) -> Option<String> {
        self.failure(event_id).await.map(|f| f.reason)
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
            let first_received = record
                .attributes
                .get("ApproximateFirstReceiveTimestamp")
                .and_then(|ms| ms.parse::<i64>().ok())
                .and_then(chrono::DateTime::from_timestamp_millis);
            let body = record.body.unwrap_or_default();
            let parsed = Event::parse(body.as_bytes());
            let about = parsed.as_ref().ok().map(|e| {
                (
                    e.detail_type().to_string(),
                    e.detail.correlation_id.to_string(),
                )
            });
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
                        let key = if event_id.is_empty() {
                            message_id.clone()
                        } else {
                            event_id
                        };
                        let reason = e.to_string();
                        // Retrying cannot fix a permanent failure: to the dead-letter queue
                        // now, with its reason, and reported as done so SQS deletes it.
                        let retried = match (&self.dead_letters, e.is_permanent()) {
                            (Some(dlq), true) => match dlq.send(&body, &reason).await {
                                Ok(()) => {
                                    tracing::error!(receive_count, error = %reason, "dead-lettered at once");
                                    false
                                }
                                Err(send) => {
                                    tracing::error!(receive_count, error = %reason, "failed; the dead-letter queue refused it ({send}), so it is retried");
                                    true
                                }
                            },
                            _ => {
                                tracing::error!(receive_count, error = %reason, "failed");
                                true
                            }
                        };
                        // Dead-lettered now, or by SQS after this last receive: announced.
                        let last = self.max_receive_count.is_some_and(|max| {
                            receive_count.parse::<u32>().is_ok_and(|n| n >= max)
                        });
                        if !retried || last {
                            let (detail_type, correlation_id) = about.clone().unzip();
                            self.announce_dead_letter(MessageDeadLettered {
                                agent: self.name().into(),
                                queue: self.agent.declaration().queue.as_str().into(),
                                event_id: key.clone(),
                                detail_type: detail_type.unwrap_or_default(),
                                reason: truncate(&reason, MAX_FAILURE_REASON_BYTES),
                                receive_count: receive_count.parse().unwrap_or(1),
                                first_received_at: first_received.unwrap_or_else(Utc::now),
                                dead_lettered_at: Utc::now(),
                                correlation_id,
                            })
                            .await;
                        }
                        // A retried message reaches the dead-letter queue through SQS after its
                        // last receive, without a reason of its own: keep this attempt's.
                        if retried {
                            self.record_failure(&key, &message_id, &receive_count, &reason)
                                .await;
                        }
                        retried
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

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
