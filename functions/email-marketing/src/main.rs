//! Lambda entry point of the Email Marketing agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(email_marketing::EmailMarketing::from_config).await
}
