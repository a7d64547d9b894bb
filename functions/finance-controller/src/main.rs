//! Lambda entry point of the Finance Controller agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(finance_controller::FinanceController::from_config).await
}
