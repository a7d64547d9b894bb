//! Lambda entry point of the schedule: EventBridge Scheduler invokes it with
//! `{"schedule": "daily", "at": "<aws.scheduler.scheduled-time>"}` (or the queue
//! observations' `{"schedule": "queues", "at": …, "minutes": 60, "queues": {…}}`).

use std::sync::Arc;
use tokio::sync::OnceCell;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::lambda::init_logging();
    let config: Arc<OnceCell<aws_config::SdkConfig>> = Arc::new(OnceCell::new());
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<schedule_tick::Invocation>| {
            let config = config.clone();
            async move {
                let config = config
                    .get_or_init(|| async {
                        aws_config::defaults(ascent_aws::lambda::behavior_version())
                            .load()
                            .await
                    })
                    .await;
                let bus = ascent_aws::eventbridge::EventBridgeBus::new(
                    aws_sdk_eventbridge::Client::new(config),
                    std::env::var("ASCENT_EVENT_BUS").unwrap_or_else(|_| "ascent".into()),
                );
                let inv = &event.payload;
                if inv.schedule == schedule_tick::QUEUE_OBSERVATION {
                    let metrics = ascent_aws::queue_metrics::SqsCloudWatchMetrics::new(
                        aws_sdk_sqs::Client::new(config),
                        aws_sdk_cloudwatch::Client::new(config),
                        std::env::var("ASCENT_QUEUE_PREFIX")
                            .unwrap_or_else(|_| "ascent-dev-".into()),
                        inv.queues.clone(),
                    );
                    return schedule_tick::observe(&bus, &metrics, inv).await;
                }
                schedule_tick::fire(&bus, inv).await
            }
        },
    ))
    .await
}
