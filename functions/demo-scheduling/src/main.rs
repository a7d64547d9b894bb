//! Lambda entry point of the Demo Scheduling agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(demo_scheduling::DemoScheduling::from_config).await
}
