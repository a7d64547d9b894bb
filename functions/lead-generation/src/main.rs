//! Lambda entry point of the Lead Generation agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(lead_generation::LeadGeneration::from_config).await
}
