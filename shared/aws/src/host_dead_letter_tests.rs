//! Dead letters on AWS: the host announces each one it dead-letters at once, and each failure
//! at the queue's last receive (SQS moves it then), as `MessageDeadLettered`; and it carries
//! out a handler's redrive and discard orders after the commit, through the port, once.

use super::*;
use ascent_core::ports::{DeadLetterAction, DeadLetterError};

fn notices(rec: &Recorder) -> Vec<MessageDeadLettered> {
    rec.published
        .lock()
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::MessageDeadLettered(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_permanent_failure_dead_lettered_at_once_is_announced_with_its_reason() {
    let (host, rec, _) = make_host(true);
    let e = tick("invalid");
    let mut sqs = batch(&[e.to_json()]);
    sqs.records[0].event_source_arn =
        Some("arn:aws:sqs:us-east-1:123456789012:ascent-prod-moody-priority".into());
    sqs.records[0].attributes.insert(
        "ApproximateFirstReceiveTimestamp".into(),
        "1772431200000".into(),
    );
    host.handle_sqs(sqs).await;
    let n = notices(&rec);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].agent, "moody");
    // The queue class, as in the twin: with the agent it names the queue on AWS.
    assert_eq!(n[0].queue, "priority");
    assert_eq!(n[0].event_id, e.detail.event_id.to_string());
    assert_eq!(n[0].detail_type, "ScheduleTick");
    assert_eq!(n[0].reason, "invalid input: no such invoice");
    assert_eq!(n[0].receive_count, 1);
    assert_eq!(
        n[0].first_received_at.to_rfc3339(),
        "2026-03-02T06:00:00+00:00"
    );
    assert_eq!(
        n[0].correlation_id,
        Some(e.detail.correlation_id.to_string())
    );
    // The notice is an event of the platform, in the failed event's flow.
    let published = rec.published.lock().clone();
    assert_eq!(published[0].source, "ascent.system");
    assert_eq!(published[0].detail.correlation_id, e.detail.correlation_id);
}

#[tokio::test]
async fn a_transient_failure_is_announced_at_the_last_receive_only() {
    let (mut host, rec, _) = make_host(true);
    host.max_receive_count = Some(3);
    let body = tick("flaky").to_json();
    for receive in 1..=2 {
        let response = host
            .handle_sqs(received(std::slice::from_ref(&body), receive))
            .await;
        assert_eq!(failed(&response), ["m-0"]);
    }
    assert!(notices(&rec).is_empty(), "SQS retries it: not dead yet");
    host.handle_sqs(received(std::slice::from_ref(&body), 3))
        .await;
    let n = notices(&rec);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].receive_count, 3);
    assert!(n[0].reason.starts_with("upstream unavailable: "));
    assert!(
        n[0].reason.len() <= MAX_FAILURE_REASON_BYTES,
        "cut like the failure record"
    );
    // Without the queue's maxReceiveCount the host cannot tell the last receive.
    let (host, rec, _) = make_host(true);
    host.handle_sqs(received(std::slice::from_ref(&body), 3))
        .await;
    assert!(notices(&rec).is_empty());
}

#[tokio::test]
async fn a_dead_letter_notice_that_fails_is_not_announced_again() {
    let (host, rec, _) = make_host(true);
    let notice = MessageDeadLettered {
        agent: "billing".into(),
        queue: "priority".into(),
        event_id: "e-1".into(),
        detail_type: "DealWon".into(),
        reason: "invalid input".into(),
        receive_count: 1,
        first_received_at: "2026-03-02T06:00:00Z".parse().unwrap(),
        dead_lettered_at: "2026-03-02T06:00:01Z".parse().unwrap(),
        correlation_id: None,
    };
    // Moody refuses it (not a tick): dead-lettered, not announced (no loop).
    host.handle_sqs(batch(&[notice.event().to_json()])).await;
    assert_eq!(rec.dead.lock().len(), 1);
    assert!(notices(&rec).is_empty());
}

/// Orders what its tick says of dead letter `e-7` of billing.
struct Redriver(AgentDecl);

#[async_trait]
impl Agent for Redriver {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Payload::ScheduleTick(t) = event.payload() else {
            return Err(AgentError::Invalid("not a tick".into()));
        };
        let action = match t.schedule.as_str() {
            "redrive" => DeadLetterAction::Redrive,
            _ => DeadLetterAction::Discard,
        };
        ctx.act_on_dead_letter(DeadLetterOrder {
            agent: "billing".into(),
            queue: "priority".into(),
            event_id: "e-7".into(),
            action,
        })
    }
}

/// Dead-letter queues that fail the first order, then take them.
#[derive(Default)]
struct Queues {
    orders: Mutex<Vec<DeadLetterOrder>>,
    fail_next: Mutex<bool>,
}

#[async_trait]
impl DeadLetterQueues for Queues {
    async fn act(&self, order: &DeadLetterOrder) -> Result<bool, DeadLetterError> {
        if std::mem::take(&mut *self.fail_next.lock()) {
            return Err(DeadLetterError(
                "queue ascent-prod-billing-errors: throttled".into(),
            ));
        }
        self.orders.lock().push(order.clone());
        Ok(true)
    }
}

#[tokio::test]
async fn a_redrive_order_is_carried_out_after_the_commit_and_finished_on_redelivery() {
    let (mut host, _, _) = make_host(true);
    host.agent = Arc::new(Redriver(AgentDecl {
        name: "process-automation",
        department: Department::Operations,
        queue: QueueClass::Priority,
        subscriptions: vec![ascent_core::agent::Subscription {
            name: "dead-letters",
            pattern: serde_json::json!({"detail-type": ["MessageDeadLettered"]}),
        }],
        reads: vec![],
        owns: vec![],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }));
    let queues = Arc::new(Queues::default());
    *queues.fail_next.lock() = true;
    host.dead_letter_queues = Some(queues.clone());
    let body = tick("redrive").to_json();
    // The queue fails: the message is retried; the commit is kept with the order pending.
    let response = host.handle_sqs(batch(std::slice::from_ref(&body))).await;
    assert_eq!(failed(&response), ["m-0"]);
    assert!(queues.orders.lock().is_empty());
    // Redelivered: the order is finished, once.
    let response = host.handle_sqs(batch(std::slice::from_ref(&body))).await;
    assert!(failed(&response).is_empty());
    host.handle_sqs(batch(std::slice::from_ref(&body))).await;
    let orders = queues.orders.lock().clone();
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (orders[0].event_id.as_str(), orders[0].action),
        ("e-7", DeadLetterAction::Redrive)
    );
}

#[tokio::test]
async fn an_agent_that_is_handed_no_dead_letters_may_not_order_one() {
    let (mut host, _, _) = make_host(true);
    host.agent = Arc::new(Redriver(AgentDecl {
        name: "billing",
        department: Department::Finance,
        queue: QueueClass::Priority,
        subscriptions: vec![],
        reads: vec![],
        owns: vec![],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }));
    let queues = Arc::new(Queues::default());
    host.dead_letter_queues = Some(queues.clone());
    let err = host.handle_event(&tick("discard")).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("dead letters"), "{err}");
    assert!(queues.orders.lock().is_empty());
}
