//! Lambda entry point of the schedule: EventBridge Scheduler invokes it with
//! `{"schedule": "daily", "at": "<aws.scheduler.scheduled-time>"}`.

use std::sync::Arc;
use tokio::sync::OnceCell;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::lambda::init_logging();
    let bus: Arc<OnceCell<ascent_aws::eventbridge::EventBridgeBus>> = Arc::new(OnceCell::new());
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<schedule_tick::Invocation>| {
            let bus = bus.clone();
            async move {
                let bus = bus
                    .get_or_init(|| async {
                        let config = aws_config::defaults(ascent_aws::lambda::behavior_version())
                            .load()
                            .await;
                        ascent_aws::eventbridge::EventBridgeBus::new(
                            aws_sdk_eventbridge::Client::new(&config),
                            std::env::var("ASCENT_EVENT_BUS").unwrap_or_else(|_| "ascent".into()),
                        )
                    })
                    .await;
                schedule_tick::fire(bus, &event.payload).await
            }
        },
    ))
    .await
}
