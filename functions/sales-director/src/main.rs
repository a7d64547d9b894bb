//! Lambda entry point of the Sales Director agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(sales_director::SalesDirector::from_config).await
}
