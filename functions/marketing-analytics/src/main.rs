//! Lambda entry point of the Marketing Analytics agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(marketing_analytics::MarketingAnalytics::from_config).await
}
