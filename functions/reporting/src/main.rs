//! Lambda entry point of the Reporting agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(reporting::Reporting::from_config).await
}
