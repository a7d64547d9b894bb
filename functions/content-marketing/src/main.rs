//! Lambda entry point of the Content Marketing agent: its SQS queue's batches, through the
//! shared host. The text writer is the template unless `ASCENT_TEXT_WRITER=bedrock` (see
//! `ascent_aws::bedrock`; it writes for `[company]`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let writer = ascent_aws::bedrock::WriterChoice::from_env()?;
    ascent_aws::run_sqs_agent(move |file| {
        let company = file.section("company")?;
        content_marketing::ContentMarketing::from_config(file, writer.writer(&company))
    })
    .await
}
