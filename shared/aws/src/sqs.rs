//! The agent's SQS dead-letter queue as the [`DeadLetterQueue`] port: a message that can never
//! succeed is sent there at once, its body unchanged (a redrive sends it back as it came) and
//! its reason as the `reason` message attribute, so `aws sqs receive-message` and the console
//! show why.

use crate::host::DeadLetterQueue;
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
