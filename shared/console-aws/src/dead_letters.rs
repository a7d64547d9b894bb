//! The stack's dead-letter queues as the console's queues page shows them: each agent's
//! (`<prefix><agent>-errors`) and the platform's (the approval requests', the privacy desk's,
//! the events no rule delivered), every message looked at without taking it (received with a
//! visibility timeout of 0), with its reason: the `reason` attribute the host put on a
//! permanent failure, else the failure it recorded for the message's last attempt
//! ([`FailureRecord`] in the idempotency table). A redrive moves a message back to the queue
//! it came from (send, then delete), its `reason` dropped.

use crate::operations::internal;
use ascent_aws::host::{FailureRecord, failure_key};
use ascent_aws::sqs::{PLATFORM_DEAD_LETTER_QUEUES, resend};
use ascent_console::{DeadLetterRow, OpsError};
use ascent_core::agent::{AgentDecl, Domain};
use ascent_core::ports::DataLake;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Rounds of 10 messages a listing looks at per queue at most.
const ROUNDS: usize = 10;

/// One dead-letter queue of the stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorQueue {
    /// The agent (or platform part) whose failures it holds.
    pub owner: String,
    pub name: String,
    /// The queue a redrive sends its messages back to; `None`: nowhere (undelivered events).
    pub back_to: Option<String>,
}

/// The error queues of `decls` and of the platform, named with `prefix`.
pub fn error_queues(prefix: &str, decls: &[&'static AgentDecl]) -> Vec<ErrorQueue> {
    let mut out: Vec<ErrorQueue> = decls
        .iter()
        .map(|d| ErrorQueue {
            owner: d.name.to_string(),
            name: format!("{prefix}{}-errors", d.name),
            back_to: Some(format!("{prefix}{}-{}", d.name, d.queue.as_str())),
        })
        .collect();
    for (name, back_to) in PLATFORM_DEAD_LETTER_QUEUES {
        out.push(ErrorQueue {
            owner: name.trim_end_matches("-errors").into(),
            name: format!("{prefix}{name}"),
            back_to: back_to.map(|b| format!("{prefix}{b}")),
        });
    }
    out
}

/// The dead letters of the stack.
pub struct DeadLetters {
    sqs: aws_sdk_sqs::Client,
    lake: Arc<dyn DataLake>,
    queues: Vec<ErrorQueue>,
    /// Queue URLs found so far (they never change): a page asks for each queue once per
    /// instance, not once per page.
    urls: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

fn sqs_error(queue: &str, e: impl std::error::Error + 'static) -> OpsError {
    internal(format!(
        "queue {queue}: {}",
        aws_sdk_sqs::error::DisplayErrorContext(e)
    ))
}

impl DeadLetters {
    pub fn new(sqs: aws_sdk_sqs::Client, lake: Arc<dyn DataLake>, queues: Vec<ErrorQueue>) -> Self {
        Self {
            sqs,
            lake,
            queues,
            urls: Default::default(),
        }
    }

    /// The URL of queue `name`; `None` when the stack has no such queue.
    async fn url(&self, name: &str) -> Result<Option<String>, OpsError> {
        if let Some(url) = self.urls.lock().expect("not poisoned").get(name) {
            return Ok(Some(url.clone()));
        }
        match self.sqs.get_queue_url().queue_name(name).send().await {
            Ok(out) => {
                if let Some(url) = &out.queue_url {
                    self.urls
                        .lock()
                        .expect("not poisoned")
                        .insert(name.to_string(), url.clone());
                }
                Ok(out.queue_url)
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_queue_does_not_exist()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sqs_error(name, e)),
        }
    }

    /// (visible, not visible or delayed) of queue `name`; zeros when it does not exist.
    async fn depth(&self, name: &str) -> Result<(u64, u64), OpsError> {
        let Some(url) = self.url(name).await? else {
            return Ok((0, 0));
        };
        let a = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| sqs_error(name, e))?
            .attributes
            .unwrap_or_default();
        let n = |k: QueueAttributeName| a.get(&k).and_then(|v| v.parse().ok()).unwrap_or(0u64);
        Ok((
            n(QueueAttributeName::ApproximateNumberOfMessages),
            n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                + n(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        ))
    }

    /// Messages in `agent`'s dead-letter queue.
    pub async fn depth_of(&self, agent: &str) -> Result<u64, OpsError> {
        match self.queues.iter().find(|q| q.owner == agent) {
            Some(q) => self.depth(&q.name).await.map(|(v, n)| v + n),
            None => Ok(0),
        }
    }

    /// (visible, in flight or delayed) of `agent`'s own queue.
    pub async fn agent_queue_depth(&self, agent: &AgentDecl) -> Result<(u64, u64), OpsError> {
        match self.queues.iter().find(|q| q.owner == agent.name) {
            Some(ErrorQueue {
                back_to: Some(main),
                ..
            }) => self.depth(main).await,
            _ => Ok((0, 0)),
        }
    }

    /// Every dead letter, queue by queue, each with its reason.
    pub async fn list(&self) -> Result<Vec<DeadLetterRow>, OpsError> {
        let mut out = Vec::new();
        for q in &self.queues {
            let Some(url) = self.url(&q.name).await? else {
                continue;
            };
            let mut seen: Vec<String> = Vec::new();
            for _ in 0..ROUNDS {
                let messages = self.receive(&q.name, &url, 0).await?;
                let mut new = 0;
                for m in messages {
                    let id = m.message_id.clone().unwrap_or_default();
                    if seen.contains(&id) {
                        continue;
                    }
                    seen.push(id);
                    new += 1;
                    out.push(self.row(q, &m).await);
                }
                if new == 0 {
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn receive(&self, name: &str, url: &str, hide: i32) -> Result<Vec<Message>, OpsError> {
        Ok(self
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(hide)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| sqs_error(name, e))?
            .messages
            .unwrap_or_default())
    }

    /// One dead letter as the page shows it.
    async fn row(&self, q: &ErrorQueue, m: &Message) -> DeadLetterRow {
        let body = m.body.clone().unwrap_or_default();
        let message_id = m.message_id.clone().unwrap_or_default();
        let event: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let event_id = event["detail"]["event_id"].as_str().map(str::to_string);
        let system = |k: MessageSystemAttributeName| {
            m.attributes
                .as_ref()
                .and_then(|a| a.get(&k))
                .cloned()
                .unwrap_or_default()
        };
        let sent = system(MessageSystemAttributeName::SentTimestamp)
            .parse::<i64>()
            .ok()
            .and_then(DateTime::<Utc>::from_timestamp_millis);
        let attribute = m
            .message_attributes
            .as_ref()
            .and_then(|a| a.get("reason"))
            .and_then(|v| v.string_value.clone());
        let key = event_id.clone().unwrap_or_else(|| message_id.clone());
        let recorded = match attribute {
            Some(_) => None,
            None => self.recorded(&q.owner, &key).await,
        };
        let reason = match (attribute, &recorded) {
            (Some(r), _) => r,
            (None, Some(Ok(f))) => format!(
                "{} (at attempt {})",
                f.reason,
                f.attempts.map_or("?".into(), |a| a.to_string())
            ),
            (None, Some(Err(e))) => format!("(no reason read: {e})"),
            (None, None) => format!(
                "(no reason recorded by {} for {key}; failures are kept as long as dead letters)",
                q.owner
            ),
        };
        DeadLetterRow {
            id: format!("{}/{message_id}", q.name),
            agent: q.owner.clone(),
            detail_type: event["detail-type"].as_str().unwrap_or("").to_string(),
            event_id: event_id.unwrap_or_default(),
            receive_count: system(MessageSystemAttributeName::ApproximateReceiveCount)
                .parse()
                .unwrap_or(0),
            reason,
            failed_at: match &recorded {
                Some(Ok(f)) => f.at,
                _ => sent.unwrap_or_else(Utc::now),
            },
            payload: body,
        }
    }

    /// The failure the host recorded for `key` under `owner`, when there is one.
    async fn recorded(&self, owner: &str, key: &str) -> Option<Result<FailureRecord, String>> {
        match self
            .lake
            .get(Domain::Idempotency, owner, &failure_key(key))
            .await
        {
            Ok(Some(item)) => Some(item.parse().map_err(|e| e.to_string())),
            Ok(None) => None,
            Err(e) => Some(Err(e.to_string())),
        }
    }

    /// Moves the dead letters `ids` (`<queue>/<message id>`; `None`: all) back to their
    /// queues; how many moved. Messages of a queue with nowhere to go back to stay.
    pub async fn redrive(&self, ids: Option<&[String]>) -> Result<usize, OpsError> {
        let mut moved = 0;
        for q in &self.queues {
            let Some(back_to) = &q.back_to else {
                continue;
            };
            let wanted: Option<Vec<&str>> = ids.map(|ids| {
                ids.iter()
                    .filter_map(|id| id.strip_prefix(&format!("{}/", q.name)))
                    .collect()
            });
            if wanted.as_ref().is_some_and(Vec::is_empty) {
                continue;
            }
            let (Some(url), Some(target)) = (self.url(&q.name).await?, self.url(back_to).await?)
            else {
                continue;
            };
            let mut passed: Vec<String> = Vec::new();
            for _ in 0..ROUNDS * 10 {
                let messages = self.receive(&q.name, &url, 30).await?;
                if messages.is_empty() {
                    break;
                }
                let mut new = 0;
                for m in messages {
                    let id = m.message_id.clone().unwrap_or_default();
                    let receipt = m.receipt_handle.clone().unwrap_or_default();
                    if wanted.as_ref().is_some_and(|w| !w.contains(&id.as_str())) {
                        if !passed.contains(&id) {
                            passed.push(id);
                            new += 1;
                        }
                        // Not asked for: visible again at once.
                        self.sqs
                            .change_message_visibility()
                            .queue_url(&url)
                            .receipt_handle(receipt)
                            .visibility_timeout(0)
                            .send()
                            .await
                            .map_err(|e| sqs_error(&q.name, e))?;
                        continue;
                    }
                    new += 1;
                    resend(&self.sqs, &m, back_to, &target)
                        .await
                        .map_err(internal)?;
                    self.sqs
                        .delete_message()
                        .queue_url(&url)
                        .receipt_handle(receipt)
                        .send()
                        .await
                        .map_err(|e| sqs_error(&q.name, e))?;
                    moved += 1;
                }
                if new == 0 {
                    break;
                }
            }
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agent_and_the_platform_have_an_error_queue_and_a_way_back() {
        let decls = ascent_ecosystem::leaked();
        let qs = error_queues("ascent-prod-", &decls);
        let billing = qs.iter().find(|q| q.owner == "billing").unwrap();
        assert_eq!(billing.name, "ascent-prod-billing-errors");
        let class = decls.iter().find(|d| d.name == "billing").unwrap().queue;
        assert_eq!(
            billing.back_to.as_deref(),
            Some(format!("ascent-prod-billing-{}", class.as_str()).as_str())
        );
        let undelivered = qs.iter().find(|q| q.owner == "undelivered-events").unwrap();
        assert_eq!(undelivered.back_to, None);
        assert_eq!(qs.len(), decls.len() + 3);
    }
}
