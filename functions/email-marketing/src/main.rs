//! Lambda entry point of the Email Marketing agent: its SQS queue's batches, through the shared
//! host. Unsubscribe links point at `[links] unsubscribe_url`, else at `ASCENT_UNSUBSCRIBE_URL`
//! (the approval API's `/unsubscribe` page, set by the template).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let unsubscribe = std::env::var("ASCENT_UNSUBSCRIBE_URL")
        .unwrap_or_else(|_| email_marketing::TWIN_UNSUBSCRIBE_URL.to_string());
    ascent_aws::run_sqs_agent(move |file| {
        Ok::<_, ascent_core::config::ConfigError>(email_marketing::EmailMarketing::new(
            email_marketing::EmailMarketingConfig::from_file(file, &unsubscribe)?,
        ))
    })
    .await
}
