//! Process Automation's redrive and discard on SQS (moto): the dead-letter queues port finds
//! the event's message in the agent's dead-letter queue, sends it back to the agent's queue as
//! it came (without the reason attribute) or deletes it, and leaves the others visible; acting
//! on a letter no longer there moves nothing.

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::host::DeadLetterQueue;
use ascent_aws::sqs::{SqsDeadLetterQueues, SqsDeadLetters, event_id_of};
use ascent_core::catalog::ScheduleTick;
use ascent_core::ports::{DeadLetterAction, DeadLetterOrder, DeadLetterQueues};
use aws_sdk_sqs::types::QueueAttributeName;
use moto::Moto;

const PREFIX: &str = "ascent-dl-";

async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let a = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let n = |k: &QueueAttributeName| a[k].parse::<u64>().unwrap();
    n(&QueueAttributeName::ApproximateNumberOfMessages)
        + n(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
}

fn order(event_id: &str, action: DeadLetterAction) -> DeadLetterOrder {
    DeadLetterOrder {
        agent: "billing".into(),
        queue: "priority".into(),
        event_id: event_id.into(),
        action,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_letter_is_redriven_to_its_agent_s_queue_or_discarded_by_its_event_id() {
    let moto = Moto::start();
    let config = moto.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let (errors_url, errors_arn) =
        moto::wire::queue(&sqs, &format!("{PREFIX}billing-errors"), None).await;
    let (queue_url, _) = moto::wire::queue(
        &sqs,
        &format!("{PREFIX}billing-priority"),
        Some(&errors_arn),
    )
    .await;
    // Three of Billing's messages dead-lettered at once, each with its reason.
    let dlq = SqsDeadLetters::new(sqs.clone(), errors_url.clone());
    let bodies: Vec<String> = ["07:00", "08:00", "09:00"]
        .iter()
        .map(|hh| {
            ScheduleTick::event("hourly", format!("2026-03-02T{hh}:00Z").parse().unwrap()).to_json()
        })
        .collect();
    for b in &bodies {
        dlq.send(b, "invalid input: deal D00042 has no line items")
            .await
            .unwrap();
    }
    let ids: Vec<String> = bodies.iter().map(|b| event_id_of(b).unwrap()).collect();
    let queues = SqsDeadLetterQueues::new(sqs.clone(), PREFIX);

    // The second is redriven: back on Billing's queue as it came, without the reason.
    let moved = queues
        .act(&order(&ids[1], DeadLetterAction::Redrive))
        .await
        .unwrap();
    assert!(moved);
    let back = moto::wire::receive(&sqs, &queue_url, 1).await;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].body.as_deref(), Some(bodies[1].as_str()));
    assert!(
        back[0]
            .message_attributes
            .as_ref()
            .is_none_or(|a| !a.contains_key("reason"))
    );
    assert_eq!(depth(&sqs, &errors_url).await, 2, "the others stay");

    // The first is discarded: gone from the dead-letter queue, not redriven.
    let discarded = queues
        .act(&order(&ids[0], DeadLetterAction::Discard))
        .await
        .unwrap();
    assert!(discarded);
    assert_eq!(depth(&sqs, &errors_url).await, 1);
    let left = moto::wire::receive(&sqs, &errors_url, 1).await;
    assert_eq!(left[0].body.as_deref(), Some(bodies[2].as_str()));

    // The second again (a redelivered order): no longer there, nothing moves.
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let again = queues
        .act(&order(&ids[1], DeadLetterAction::Redrive))
        .await
        .unwrap();
    assert!(!again);
    assert_eq!(depth(&sqs, &errors_url).await, 1);
}
