//! Lambda entry point of the Social Media agent: its SQS queue's batches, through the shared host.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::run_sqs_agent(social_media::SocialMedia::from_config).await
}
