//! Lambda entry point of the Customer Success Director agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(customer_success_director::CustomerSuccessDirector::from_config).await
}
