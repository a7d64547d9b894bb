//! `ascent aws privacy export|erase`: a data subject's records in a deployed stack, read with
//! the operator's AWS credentials (IAM is the authentication: docs/privacy.md), and an erasure
//! requested through the stack: `ErasureRequested` on its bus, carried out by the privacy desk
//! function.

use ascent_aws::dynamo::Tables;
use ascent_aws::eventbridge::EventBridgeBus;
use ascent_aws::privacy::AwsPrivacy;
use ascent_core::catalog::ErasureRequested;
use ascent_core::event::{Actor, Event};
use ascent_core::ports::EventBus;
use ascent_core::privacy::Subject;
use ascent_core::privacy::erasure::Export;

fn desk(
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    stage: &str,
    decls: &[ascent_core::agent::AgentDecl],
) -> AwsPrivacy {
    AwsPrivacy::new(
        ddb,
        Tables {
            prefix: format!("ascent-{stage}-"),
        },
        Some((sqs, format!("ascent-{stage}-"))),
        decls
            .iter()
            .map(|d| &*Box::leak(Box::new(d.clone())))
            .collect(),
    )
}

/// Every record and dead letter about the subject in the stack `stage`.
pub async fn export(
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    stage: &str,
    subject: Subject,
) -> anyhow::Result<Export> {
    let decls = crate::agents::declarations();
    let found = desk(ddb, sqs, stage, &decls).find(subject).await?;
    Ok(found.export(chrono::Utc::now()))
}

/// Puts `ErasureRequested` on the stack's bus; the privacy desk function carries it out.
pub async fn request_erasure(
    events: aws_sdk_eventbridge::Client,
    stage: &str,
    request: ErasureRequested,
) -> anyhow::Result<()> {
    let bus = EventBridgeBus::new(events, format!("ascent-{stage}"));
    let event = Event::new(
        "ascent.privacy",
        Actor::human(&request.requested_by),
        chrono::Utc::now(),
        request,
    );
    bus.publish(&[event]).await?;
    Ok(())
}
