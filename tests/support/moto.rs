//! A moto server (AWS on the wire, locally) for one test: started from the repo's `.venv`
//! (created by `bash tools/test`), or reused from `ASCENT_MOTO_URL`; killed when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    pub url: String,
    child: Option<Child>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Moto {
    pub fn start() -> Moto {
        if let Ok(url) = std::env::var("ASCENT_MOTO_URL") {
            return Moto { url, child: None };
        }
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
        assert!(
            bin.exists(),
            "moto is not installed: run `bash tools/test` (it installs moto[server] into .venv), \
             or set ASCENT_MOTO_URL to a running moto server"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            url,
            child: Some(child),
        }
    }

    pub async fn config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(ascent_aws::lambda::behavior_version())
            .endpoint_url(&self.url)
            .region(aws_config::Region::new("us-east-1"))
            .test_credentials()
            .load()
            .await
    }
}

/// Building what `infra/` declares on moto, and playing the event source mapping, for the
/// tests that run agents through the Lambda host (`same_outcome`, `aws_scheduled`).
#[allow(dead_code)]
pub mod wire {
    use ascent_core::agent::Domain;
    use aws_lambda_events::event::sqs::SqsEvent;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
    use serde_json::{Value, json};
    use std::time::Duration;

    /// Polls `check` until it gives a value, or fails with `what` after `seconds`.
    pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let started = std::time::Instant::now();
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(seconds),
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// A queue `tap` receiving the given detail-types from `bus`, to watch a flow.
    pub async fn tap(
        sqs: &aws_sdk_sqs::Client,
        eb: &aws_sdk_eventbridge::Client,
        bus: &str,
        detail_types: &[&str],
    ) -> String {
        let (url, arn) = queue(sqs, "tap", None).await;
        route(
            eb,
            bus,
            "tap",
            &json!({ "detail-type": detail_types }),
            &arn,
        )
        .await;
        url
    }

    /// One table per domain, keyed `pk`/`sk`, with the `gsi1` index (as the template has).
    pub async fn create_tables(ddb: &aws_sdk_dynamodb::Client, prefix: &str) {
        let attr = |n: &str| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap()
        };
        let key = |n: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(n)
                .key_type(t)
                .build()
                .unwrap()
        };
        for d in Domain::ALL {
            ddb.create_table()
                .table_name(format!("{prefix}{}", d.as_str()))
                .billing_mode(BillingMode::PayPerRequest)
                .set_attribute_definitions(Some(vec![
                    attr("pk"),
                    attr("sk"),
                    attr("gsi1pk"),
                    attr("gsi1sk"),
                ]))
                .set_key_schema(Some(vec![
                    key("pk", KeyType::Hash),
                    key("sk", KeyType::Range),
                ]))
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name("gsi1")
                        .set_key_schema(Some(vec![
                            key("gsi1pk", KeyType::Hash),
                            key("gsi1sk", KeyType::Range),
                        ]))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        }
    }

    /// A queue (visibility timeout 1 s; with a dead-letter queue after 3 receives); its URL
    /// and ARN.
    pub async fn queue(
        sqs: &aws_sdk_sqs::Client,
        name: &str,
        dlq_arn: Option<&str>,
    ) -> (String, String) {
        let mut req = sqs
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::VisibilityTimeout, "1");
        if let Some(arn) = dlq_arn {
            req = req.attributes(
                QueueAttributeName::RedrivePolicy,
                json!({"deadLetterTargetArn": arn, "maxReceiveCount": "3"}).to_string(),
            );
        }
        let url = req.send().await.unwrap().queue_url.unwrap();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&QueueAttributeName::QueueArn]
            .clone();
        (url, arn)
    }

    /// An EventBridge rule on `bus` delivering what `pattern` matches to the queue `arn`.
    pub async fn route(
        eb: &aws_sdk_eventbridge::Client,
        bus: &str,
        rule: &str,
        pattern: &Value,
        arn: &str,
    ) {
        eb.put_rule()
            .name(rule)
            .event_bus_name(bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .unwrap();
        eb.put_targets()
            .rule(rule)
            .event_bus_name(bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("q")
                    .arn(arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// Receives up to `want` messages (waiting up to ~5 s), as the event source mapping does.
    pub async fn receive(sqs: &aws_sdk_sqs::Client, url: &str, want: usize) -> Vec<Message> {
        let mut got = Vec::new();
        for _ in 0..25 {
            let out = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10.min(want.saturating_sub(got.len())).max(1) as i32)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await
                .unwrap();
            got.extend(out.messages.unwrap_or_default());
            if got.len() >= want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        got
    }

    /// The Lambda SQS event for received messages.
    pub fn sqs_event(messages: &[Message]) -> SqsEvent {
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attrs: serde_json::Map<String, Value> = m
                    .attributes
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_string(), Value::from(v)))
                    .collect();
                json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                       "attributes": attrs, "messageAttributes": {}, "eventSource": "aws:sqs"})
            })
            .collect();
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    /// Deletes messages from a queue (what Lambda does with those not reported as failed).
    pub async fn delete(sqs: &aws_sdk_sqs::Client, url: &str, messages: &[&Message]) {
        for m in messages {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}
