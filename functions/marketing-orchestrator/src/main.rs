//! Lambda entry point of the Marketing Orchestrator: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(marketing_orchestrator::MarketingOrchestrator::from_config).await
}
