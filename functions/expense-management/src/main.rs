//! Lambda entry point of the Expense Management agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(expense_management::ExpenseManagement::from_config).await
}
