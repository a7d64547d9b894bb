//! The queue observations' AWS adapter on moto: the depth from SQS and the window's sums from
//! CloudWatch (moto holds no metrics of its own: `PutMetricData` stands for what SQS and Lambda
//! publish), turned into Support's `QueueDepthObserved` by the same round the schedule runs.

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::queue_metrics::SqsCloudWatchMetrics;
use ascent_core::event::Event;
use ascent_core::ports::{BusError, EventBus};
use ascent_core::queues::{QueueMetrics, QueueWindow, observe_all};
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use chrono::{DateTime, Duration, Utc};
use moto::Moto;
use std::collections::BTreeMap;
use std::sync::Mutex;

const PREFIX: &str = "ascent-qo-";

#[derive(Default)]
struct Recorded(Mutex<Vec<Event>>);

#[async_trait::async_trait]
impl EventBus for Recorded {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        self.0.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

async fn put(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    name: &str,
    dimension: (&str, &str),
    values: &[(DateTime<Utc>, f64)],
) {
    let mut req = cw.put_metric_data().namespace(namespace);
    for (at, v) in values {
        req = req.metric_data(
            MetricDatum::builder()
                .metric_name(name)
                .dimensions(
                    Dimension::builder()
                        .name(dimension.0)
                        .value(dimension.1)
                        .build(),
                )
                .timestamp(AwsTime::from_secs(at.timestamp()))
                .value(*v)
                .build(),
        );
    }
    req.send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn supports_window_is_read_from_sqs_and_cloudwatch() {
    let moto = Moto::start();
    let config = moto.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let queue = format!("{PREFIX}support-priority");
    let (url, _) = moto::wire::queue(&sqs, &queue, None).await;
    // Given 2 messages waiting in Support's queue now.
    for n in 0..2 {
        sqs.send_message()
            .queue_url(&url)
            .message_body(format!("{{\"n\": {n}}}"))
            .send()
            .await
            .unwrap();
    }
    // And the last hour's metrics: 7 sent (4 + 3), 5 deleted, 6 received, the function's
    // invocations 1,000 + 800 ms; a point before the window that must not count.
    let end = Utc::now() - Duration::minutes(5);
    let start = end - Duration::hours(1);
    let inside = |m: i64| start + Duration::minutes(m);
    let q = ("QueueName", queue.as_str());
    put(
        &cw,
        "AWS/SQS",
        "NumberOfMessagesSent",
        q,
        &[(inside(10), 4.0), (inside(40), 3.0)],
    )
    .await;
    put(
        &cw,
        "AWS/SQS",
        "NumberOfMessagesSent",
        q,
        &[(start - Duration::minutes(20), 50.0)],
    )
    .await;
    put(
        &cw,
        "AWS/SQS",
        "NumberOfMessagesDeleted",
        q,
        &[(inside(20), 5.0)],
    )
    .await;
    put(
        &cw,
        "AWS/SQS",
        "NumberOfMessagesReceived",
        q,
        &[(inside(20), 6.0)],
    )
    .await;
    let function = format!("{PREFIX}support");
    put(
        &cw,
        "AWS/Lambda",
        "Duration",
        ("FunctionName", function.as_str()),
        &[(inside(15), 1000.0), (inside(25), 800.0)],
    )
    .await;

    // When the adapter reads Support's window.
    let metrics = SqsCloudWatchMetrics::new(
        sqs.clone(),
        cw.clone(),
        PREFIX,
        BTreeMap::from([("support".to_string(), "priority".to_string())]),
    );
    let w = metrics.window("support", start, end).await.unwrap();

    // Then 2 waiting, 7 arrived, 5 handled, 6 receives of 1.8 s in all: 300 ms each.
    assert_eq!(
        w,
        QueueWindow {
            depth: 2,
            arrived: 7,
            handled: 5,
            receives: 6,
            handling_us: 1_800_000,
        }
    );
    let bus = Recorded::default();
    let seen = observe_all(&metrics, &bus, &["support".to_string()], end, 60)
        .await
        .unwrap();
    assert_eq!(seen[0].mean_handling_ms, 300.0);
    assert_eq!(bus.0.lock().unwrap()[0].detail_type(), "QueueDepthObserved");

    // An agent without a known queue is refused by name, before any call.
    let e = metrics.window("billing", start, end).await.unwrap_err();
    assert!(e.to_string().contains("`billing`"), "{e}");
}
