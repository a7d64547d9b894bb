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
                let tick = schedule_tick::fire(&bus, inv).await?;
                if !schedule_tick::seals_audit(&inv.schedule) {
                    return Ok(tick);
                }
                // The tick is out; a failed seal fails the run (Scheduler retries it: the
                // tick's id is the same, the seal goes on from its last page).
                let run = ascent_aws::audit_seal::seal_stack(config, chrono::Utc::now())
                    .await
                    .map_err(|e| format!("sealing the audit trail: {e}"))?;
                // One JSON line like the others: the latest seal's hash is kept in the logs
                // too, outside the table it seals.
                println!(
                    "{}",
                    serde_json::json!({"level": "INFO", "message": "audit trail sealed",
                                       "audit_seal": run.to_string()})
                );
                Ok(format!("{tick}; audit: {run}"))
            }
        },
    ))
    .await
}
