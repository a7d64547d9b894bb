//! The [`QueueMetrics`] port on AWS: an agent's queue over a window from SQS and CloudWatch.
//!
//! - depth: the queue's `ApproximateNumberOfMessages` (SQS `GetQueueAttributes`, read now);
//! - arrived: `NumberOfMessagesSent` of the queue (the bus's rule sends each delivery);
//! - handled: `NumberOfMessagesDeleted` (the event source mapping deletes what succeeded);
//! - receives: `NumberOfMessagesReceived` (retries included, as the twin counts them);
//! - handling time: the agent function's `Duration` (`AWS/Lambda`, summed over the window,
//!   milliseconds), spread over the receives.
//!
//! The four sums come from one CloudWatch `GetMetricData` call per agent, one period the
//! window's length. Queues are `<prefix><agent>-<queue class>` and functions
//! `<prefix><agent>` (`ascent-<stage>-`).

use ascent_core::queues::{MetricsError, QueueMetrics, QueueWindow};
use async_trait::async_trait;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// SQS and CloudWatch, for the queues of the named agents.
pub struct SqsCloudWatchMetrics {
    sqs: aws_sdk_sqs::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    prefix: String,
    /// Agent → its queue class (`priority`, `batch`).
    classes: BTreeMap<String, String>,
}

impl SqsCloudWatchMetrics {
    pub fn new(
        sqs: aws_sdk_sqs::Client,
        cloudwatch: aws_sdk_cloudwatch::Client,
        prefix: impl Into<String>,
        classes: BTreeMap<String, String>,
    ) -> Self {
        Self {
            sqs,
            cloudwatch,
            prefix: prefix.into(),
            classes,
        }
    }

    async fn depth(&self, agent: &str, queue: &str) -> Result<u64, MetricsError> {
        let fail = |reason: String| MetricsError {
            agent: agent.into(),
            reason,
        };
        let url = self
            .sqs
            .get_queue_url()
            .queue_name(queue)
            .send()
            .await
            .map_err(|e| {
                fail(format!(
                    "queue {queue}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                ))
            })?
            .queue_url
            .ok_or_else(|| fail(format!("queue {queue} has no URL")))?;
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| {
                fail(format!(
                    "queue {queue}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                ))
            })?
            .attributes
            .unwrap_or_default();
        attributes
            .get(&QueueAttributeName::ApproximateNumberOfMessages)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| fail(format!("queue {queue}: no ApproximateNumberOfMessages")))
    }
}

/// One summed metric of the window.
fn sum(
    id: &str,
    namespace: &str,
    name: &str,
    dimension: (&str, &str),
    period: i32,
) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(namespace)
                        .metric_name(name)
                        .dimensions(
                            Dimension::builder()
                                .name(dimension.0)
                                .value(dimension.1)
                                .build(),
                        )
                        .build(),
                )
                .period(period)
                .stat("Sum")
                .build(),
        )
        .return_data(true)
        .build()
}

fn aws_time(t: DateTime<Utc>) -> AwsTime {
    AwsTime::from_secs(t.timestamp())
}

#[async_trait]
impl QueueMetrics for SqsCloudWatchMetrics {
    async fn window(
        &self,
        agent: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<QueueWindow, MetricsError> {
        let fail = |reason: String| MetricsError {
            agent: agent.into(),
            reason,
        };
        let class = self
            .classes
            .get(agent)
            .ok_or_else(|| fail("no queue class known for it".into()))?;
        let queue = format!("{}{agent}-{class}", self.prefix);
        let function = format!("{}{agent}", self.prefix);
        let depth = self.depth(agent, &queue).await?;
        let period = i32::try_from((to - from).num_seconds())
            .ok()
            .filter(|p| *p >= 60)
            .ok_or_else(|| fail("the window must be a minute or more".into()))?;
        let queue_dim = ("QueueName", queue.as_str());
        let out = self
            .cloudwatch
            .get_metric_data()
            .start_time(aws_time(from))
            .end_time(aws_time(to))
            .metric_data_queries(sum(
                "sent",
                "AWS/SQS",
                "NumberOfMessagesSent",
                queue_dim,
                period,
            ))
            .metric_data_queries(sum(
                "deleted",
                "AWS/SQS",
                "NumberOfMessagesDeleted",
                queue_dim,
                period,
            ))
            .metric_data_queries(sum(
                "received",
                "AWS/SQS",
                "NumberOfMessagesReceived",
                queue_dim,
                period,
            ))
            .metric_data_queries(sum(
                "duration",
                "AWS/Lambda",
                "Duration",
                ("FunctionName", function.as_str()),
                period,
            ))
            .send()
            .await
            .map_err(|e| {
                fail(format!(
                    "CloudWatch: {}",
                    aws_sdk_cloudwatch::error::DisplayErrorContext(e)
                ))
            })?;
        // A metric with no data point in the window is 0 (nothing was sent, nothing ran).
        let total = |id: &str| -> f64 {
            out.metric_data_results()
                .iter()
                .filter(|r| r.id() == Some(id))
                .flat_map(|r| r.values().iter().copied())
                .sum()
        };
        let count = |id: &str| total(id).max(0.0).round() as u64;
        Ok(QueueWindow {
            depth,
            arrived: count("sent"),
            handled: count("deleted"),
            receives: count("received"),
            handling_us: (total("duration").max(0.0) * 1000.0).round() as u64,
        })
    }
}
