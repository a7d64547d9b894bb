//! Lambda entry point of the Outreach agent: its SQS queue's batches, through the shared host.
//! The text writer is the template unless `ASCENT_TEXT_WRITER=bedrock` (see `ascent_aws::bedrock`;
//! it writes for `[company]`);
//! unsubscribe links point at `[links] unsubscribe_url`, else at `ASCENT_UNSUBSCRIBE_URL` (the
//! approval API's `/unsubscribe` page, set by the template).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let writer = ascent_aws::bedrock::WriterChoice::from_env()?;
    let unsubscribe = std::env::var("ASCENT_UNSUBSCRIBE_URL")
        .unwrap_or_else(|_| outreach::TWIN_UNSUBSCRIBE_URL.to_string());
    ascent_aws::run_sqs_agent(move |file| {
        let company = file.section("company")?;
        outreach::Outreach::from_config(file, writer.writer(&company), &unsubscribe)
    })
    .await
}
