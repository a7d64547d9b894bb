//! Lambda entry point of the Outreach agent: its SQS queue's batches, through the shared host.
//! The text writer is the template unless `ASCENT_TEXT_WRITER=bedrock` (see `ascent_aws::bedrock`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let writer = ascent_aws::bedrock::text_writer_from_env()?;
    ascent_aws::run_sqs_agent(outreach::Outreach::new(
        outreach::OutreachConfig::from_env(),
        writer,
    ))
    .await
}
