//! Lambda entry point of the SEO agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(seo::Seo::from_config).await
}
