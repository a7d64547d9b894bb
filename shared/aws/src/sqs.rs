//! The agent's SQS dead-letter queue as the [`DeadLetterQueue`] port: a message that can never
//! succeed is sent there at once, its body unchanged (a redrive sends it back as it came) and
//! its reason as the `reason` message attribute, so `aws sqs receive-message` and the console
//! show why.
//!
//! [`SqsDeadLetterQueues`]: every agent's dead-letter queue for Process Automation's redrives
//! and discards.

use crate::host::DeadLetterQueue;
use ascent_core::ports::{DeadLetterAction, DeadLetterError, DeadLetterOrder, DeadLetterQueues};
use async_trait::async_trait;
use aws_sdk_sqs::types::MessageAttributeValue;

/// SQS message attribute values are at most 256 KB with the body; reasons are kept short.
const MAX_REASON_CHARS: usize = 1_000;

pub struct SqsDeadLetters {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsDeadLetters {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl DeadLetterQueue for SqsDeadLetters {
    async fn send(&self, body: &str, reason: &str) -> Result<(), String> {
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(if reason.is_empty() {
                "unknown"
            } else {
                &reason
            })
            .build()
            .map_err(|e| e.to_string())?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("reason", attribute)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                // Name the queue (a missing one is QueueDoesNotExist, which does not).
                format!(
                    "dead-letter queue {}: {}",
                    self.queue_url,
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                )
            })
    }
}

/// The platform's queues that hold failed or undelivered messages (after the stack's prefix),
/// each with the queue a redrive sends them back to: the approval requests', the privacy
/// desk's, and the events no rule could deliver (which have nowhere to go back to).
pub const PLATFORM_DEAD_LETTER_QUEUES: [(&str, Option<&str>); 3] = [
    ("approval-requests-errors", Some("approval-requests")),
    ("privacy-errors", Some("privacy")),
    ("undelivered-events", None),
];

/// Sends a dead letter back to queue `target` (at `target_url`) as it came: its body and its
/// attributes but the `reason` the host put on it. The caller deletes it from where it was.
pub async fn resend(
    client: &aws_sdk_sqs::Client,
    message: &aws_sdk_sqs::types::Message,
    target: &str,
    target_url: &str,
) -> Result<(), String> {
    let mut send = client
        .send_message()
        .queue_url(target_url)
        .message_body(message.body.clone().unwrap_or_default());
    for (k, v) in message.message_attributes.clone().unwrap_or_default() {
        if k != "reason" {
            send = send.message_attributes(k, v);
        }
    }
    send.send().await.map(|_| ()).map_err(|e| {
        format!(
            "queue {target}: {}",
            aws_sdk_sqs::error::DisplayErrorContext(e)
        )
    })
}

/// Receives looked through for one dead letter at most (10 messages each).
const MAX_SEARCH_RECEIVES: usize = 10;

/// Every agent's SQS dead-letter queue as the [`DeadLetterQueues`] port (Process Automation's
/// redrives and discards): the queues are named `<prefix><agent>-errors` and
/// `<prefix><agent>-<queue class>` (`ASCENT_QUEUE_PREFIX`, `ascent-<stage>-`). A redrive
/// receives from the agent's dead-letter queue until it finds the message of the event, sends
/// its body back to the agent's queue as it came (its attributes but the reason) and deletes it;
/// a discard only deletes it. Messages of other events are made visible again at once.
pub struct SqsDeadLetterQueues {
    client: aws_sdk_sqs::Client,
    prefix: String,
}

impl SqsDeadLetterQueues {
    pub fn new(client: aws_sdk_sqs::Client, prefix: impl Into<String>) -> Self {
        Self {
            client,
            prefix: prefix.into(),
        }
    }

    async fn url(&self, name: &str) -> Result<String, DeadLetterError> {
        self.client
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(|e| fail(name, e))?
            .queue_url
            .ok_or_else(|| DeadLetterError(format!("queue {name} has no URL")))
    }
}

fn fail(queue: &str, e: impl std::error::Error + 'static) -> DeadLetterError {
    DeadLetterError(format!(
        "queue {queue}: {}",
        aws_sdk_sqs::error::DisplayErrorContext(e)
    ))
}

/// The event id a dead letter's body carries (`detail.event_id`), if it is an event.
pub fn event_id_of(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.pointer("/detail/event_id")?.as_str().map(str::to_string)
}

#[async_trait]
impl DeadLetterQueues for SqsDeadLetterQueues {
    async fn act(&self, order: &DeadLetterOrder) -> Result<bool, DeadLetterError> {
        let errors = format!("{}{}-errors", self.prefix, order.agent);
        let errors_url = self.url(&errors).await?;
        let mut others = Vec::new();
        let mut found = false;
        let mut exhausted = false;
        for _ in 0..MAX_SEARCH_RECEIVES {
            let got = self
                .client
                .receive_message()
                .queue_url(&errors_url)
                .max_number_of_messages(10)
                .visibility_timeout(60)
                .message_attribute_names("All")
                .send()
                .await
                .map_err(|e| fail(&errors, e))?;
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                exhausted = true;
                break;
            }
            for m in messages {
                let body = m.body.clone().unwrap_or_default();
                let receipt = m.receipt_handle.clone().unwrap_or_default();
                if found || event_id_of(&body).as_deref() != Some(order.event_id.as_str()) {
                    others.push(receipt);
                    continue;
                }
                if order.action == DeadLetterAction::Redrive {
                    let target = format!("{}{}-{}", self.prefix, order.agent, order.queue);
                    let target_url = self.url(&target).await?;
                    resend(&self.client, &m, &target, &target_url)
                        .await
                        .map_err(DeadLetterError)?;
                }
                self.client
                    .delete_message()
                    .queue_url(&errors_url)
                    .receipt_handle(receipt)
                    .send()
                    .await
                    .map_err(|e| fail(&errors, e))?;
                found = true;
            }
            if found {
                break;
            }
        }
        // The others back at once, for the next search and for `ascent aws dlq`.
        for receipt in others {
            let _ = self
                .client
                .change_message_visibility()
                .queue_url(&errors_url)
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .send()
                .await;
        }
        if !found && !exhausted {
            return Err(DeadLetterError(format!(
                "{} not among the first {} messages of {errors}: try again",
                order.event_id,
                MAX_SEARCH_RECEIVES * 10
            )));
        }
        Ok(found)
    }
}
