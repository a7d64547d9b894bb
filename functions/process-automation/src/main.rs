//! Lambda entry point of the Process Automation agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(process_automation::ProcessAutomation::from_config).await
}
