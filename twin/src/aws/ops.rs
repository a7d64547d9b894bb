//! The operator's view of a deployed stack: queue depths and dead letters (`status`), dead
//! letters with the reason the function recorded (`dlq list`), and moving them back to the
//! agent's queue (`dlq redrive`).

use super::LocalStack;
use anyhow::Context;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};

/// One queue of the stack: its name, the error queue's main queue (for an error queue).
#[derive(Clone, Debug)]
pub struct Queue {
    pub name: String,
    pub url: String,
    /// For an error queue: the name of the queue it takes dead letters from.
    pub redrive_to: Option<String>,
}

/// One dead letter.
#[derive(Clone, Debug)]
pub struct DeadLetter {
    pub queue: String,
    pub message_id: String,
    pub reason: String,
    pub receives: String,
    pub body: String,
}

/// The stack's queues that exist on the endpoint.
pub async fn queues(stack: &LocalStack, sqs: &aws_sdk_sqs::Client) -> anyhow::Result<Vec<Queue>> {
    let declared = stack.of_type("AWS::SQS::Queue");
    let mut out = Vec::new();
    for (logical, r) in &declared {
        let name = stack.string(&r["Properties"]["QueueName"]);
        let redrive_to = declared
            .iter()
            .find(|(_, m)| {
                m["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                    == logical.as_str()
            })
            .map(|(_, m)| stack.string(&m["Properties"]["QueueName"]));
        let Ok(found) = sqs.get_queue_url().queue_name(&name).send().await else {
            continue;
        };
        out.push(Queue {
            name,
            url: found.queue_url.unwrap_or_default(),
            redrive_to,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// (visible, in flight) of a queue.
pub async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<(u64, u64)> {
    let a = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .with_context(|| format!("reading {url}"))?
        .attributes
        .unwrap_or_default();
    let n = |k: &QueueAttributeName| a.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok((
        n(&QueueAttributeName::ApproximateNumberOfMessages),
        n(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    ))
}

/// The dead letters of an error queue, left where they are (received with a visibility
/// timeout of 0), each with its reason: the `reason` attribute the function put on a permanent
/// failure, else the failure it recorded for the message's last attempt ([`recorded_failure`]).
pub async fn dead_letters(
    stack: &LocalStack,
    sqs: &aws_sdk_sqs::Client,
    ddb: &aws_sdk_dynamodb::Client,
    queue: &Queue,
) -> anyhow::Result<Vec<DeadLetter>> {
    let mut out: Vec<DeadLetter> = Vec::new();
    for _ in 0..10 {
        let got = sqs
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .with_context(|| format!("receiving from {}", queue.name))?;
        let messages = got.messages.unwrap_or_default();
        let mut new = 0;
        for m in messages {
            let id = m.message_id.clone().unwrap_or_default();
            if out.iter().any(|d| d.message_id == id) {
                continue;
            }
            new += 1;
            let body = m.body.unwrap_or_default();
            let attribute = m
                .message_attributes
                .as_ref()
                .and_then(|a| a.get("reason"))
                .and_then(|v| v.string_value.clone());
            let reason = match attribute {
                Some(r) => r,
                None => recorded_failure(stack, ddb, &queue.name, &id, &body).await,
            };
            out.push(DeadLetter {
                queue: queue.name.clone(),
                message_id: id,
                reason,
                receives: m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .cloned()
                    .unwrap_or_default(),
                body,
            });
        }
        if new == 0 {
            break;
        }
    }
    Ok(out)
}

/// The agent whose error queue `queue` is (`ascent-<stage>-<agent>-errors`).
fn agent_of(stack: &LocalStack, queue: &str) -> Option<String> {
    queue
        .strip_prefix(&format!("ascent-{}-", stack.stage))?
        .strip_suffix("-errors")
        .map(str::to_string)
}

/// The reason the Lambda host recorded for the last failed attempt at a message SQS moved to
/// the error queue after its last receive (`ascent_aws::host::FailureRecord`): in the
/// idempotency table under the agent's name and `failure#<event id>` (the message id for a
/// body that is no event). Described, never an error: a listing shows every dead letter.
async fn recorded_failure(
    stack: &LocalStack,
    ddb: &aws_sdk_dynamodb::Client,
    queue: &str,
    message_id: &str,
    body: &str,
) -> String {
    use aws_sdk_dynamodb::types::AttributeValue;
    let Some(agent) = agent_of(stack, queue) else {
        return "(no reason recorded)".into();
    };
    let event_id = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["detail"]["event_id"].as_str().map(str::to_string));
    let key = event_id.unwrap_or_else(|| message_id.to_string());
    let table = format!("ascent-{}-idempotency", stack.stage);
    let got = ddb
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(agent.clone()))
        .key("sk", AttributeValue::S(format!("failure#{key}")))
        .send()
        .await;
    let item = match got {
        Ok(out) => out.item,
        Err(e) => {
            return format!(
                "(no reason read: {table} {agent}/failure#{key}: {})",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            );
        }
    };
    let data = item
        .as_ref()
        .and_then(|i| i.get("data"))
        .and_then(|d| d.as_m().ok());
    let field = |k: &str| {
        data.and_then(|d| d.get(k)).and_then(|v| match v {
            AttributeValue::S(s) | AttributeValue::N(s) => Some(s.clone()),
            _ => None,
        })
    };
    match field("reason") {
        Some(reason) => format!(
            "{reason} (recorded by {agent} at attempt {}, {})",
            field("attempts").unwrap_or_else(|| "?".into()),
            field("at").unwrap_or_else(|| "?".into())
        ),
        None => format!("(no reason recorded by {agent} for {key}; failures are kept 14 days)"),
    }
}

/// `ascent aws status`: every queue's depth, then the dead letters with their reasons.
pub async fn status(
    stack: &LocalStack,
    sqs: &aws_sdk_sqs::Client,
    ddb: &aws_sdk_dynamodb::Client,
) -> anyhow::Result<String> {
    let mut text =
        String::from("queue                                          visible  in-flight\n");
    let qs = queues(stack, sqs).await?;
    for q in &qs {
        let (visible, in_flight) = depth(sqs, &q.url).await?;
        text.push_str(&format!("{:<46} {visible:>7}  {in_flight:>9}\n", q.name));
    }
    text.push_str(&list(stack, &qs, sqs, ddb).await?);
    Ok(text)
}

async fn list(
    stack: &LocalStack,
    qs: &[Queue],
    sqs: &aws_sdk_sqs::Client,
    ddb: &aws_sdk_dynamodb::Client,
) -> anyhow::Result<String> {
    let mut text = String::new();
    let mut n = 0;
    for q in qs.iter().filter(|q| q.redrive_to.is_some()) {
        for d in dead_letters(stack, sqs, ddb, q).await? {
            n += 1;
            text.push_str(&format!(
                "dead letter {} in {} (received {}): {}\n",
                d.message_id, d.queue, d.receives, d.reason
            ));
        }
    }
    if n == 0 {
        text.push_str("no dead letters\n");
    }
    Ok(text)
}

/// `ascent aws dlq list`.
pub async fn dlq_list(
    stack: &LocalStack,
    sqs: &aws_sdk_sqs::Client,
    ddb: &aws_sdk_dynamodb::Client,
) -> anyhow::Result<String> {
    list(stack, &queues(stack, sqs).await?, sqs, ddb).await
}

/// `ascent aws dlq redrive`: moves every dead letter back to its agent's queue (receive, send,
/// delete); returns how many per error queue.
pub async fn dlq_redrive(
    stack: &LocalStack,
    sqs: &aws_sdk_sqs::Client,
) -> anyhow::Result<Vec<(String, String, usize)>> {
    let qs = queues(stack, sqs).await?;
    let mut out = Vec::new();
    for q in qs.iter() {
        let Some(target) = &q.redrive_to else {
            continue;
        };
        let Some(target) = qs.iter().find(|t| &t.name == target) else {
            continue;
        };
        let mut moved = 0;
        loop {
            let got = sqs
                .receive_message()
                .queue_url(&q.url)
                .max_number_of_messages(10)
                .visibility_timeout(60)
                .message_attribute_names("All")
                .send()
                .await
                .with_context(|| format!("receiving from {}", q.name))?;
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for m in messages {
                ascent_aws::sqs::resend(sqs, &m, &target.name, &target.url)
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?;
                sqs.delete_message()
                    .queue_url(&q.url)
                    .receipt_handle(m.receipt_handle.unwrap_or_default())
                    .send()
                    .await
                    .with_context(|| format!("deleting from {}", q.name))?;
                moved += 1;
            }
        }
        if moved > 0 {
            out.push((q.name.clone(), target.name.clone(), moved));
        }
    }
    Ok(out)
}

/// Approvals still pending in the stack's approvals table: (approval record key, the
/// record's data as DynamoDB holds it, shortened).
pub async fn pending_approvals(
    stage: &str,
    ddb: &aws_sdk_dynamodb::Client,
) -> anyhow::Result<Vec<String>> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let table = format!("ascent-{stage}-approvals");
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = ddb
            .scan()
            .table_name(&table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))
            .with_context(|| format!("scanning table {table}"))?;
        for item in page.items.unwrap_or_default() {
            let s = |a: Option<&AttributeValue>| a.and_then(|v| v.as_s().ok()).cloned();
            if s(item.get("sk")).as_deref() != Some("approval") {
                continue;
            }
            let data = item.get("data").and_then(|d| d.as_m().ok());
            if s(data.and_then(|d| d.get("status"))).as_deref() == Some("pending") {
                out.push(s(item.get("pk")).unwrap_or_default());
            }
        }
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out.sort();
    Ok(out)
}
