//! Lambda entry point of the Operations Analytics agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(operations_analytics::OperationsAnalytics::from_config).await
}
