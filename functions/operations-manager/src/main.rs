//! Lambda entry point of the Operations Manager: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(operations_manager::OperationsManager::from_config).await
}
