//! Lambda entry point of the CRM Management agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(crm_management::CrmManagement::from_config).await
}
