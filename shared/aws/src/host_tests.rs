//! The Lambda host over in-memory ports (the embedded store as the lake, recording bus, mailer
//! and dead-letter queue): what becomes of each message of an SQS batch.

use super::*;
use ascent_core::agent::{AgentDecl, Department, QueueClass};
use ascent_core::catalog::{Payload, ScheduleTick};
use ascent_core::context::Ctx;
use ascent_core::ports::{BusError, MailError, ManualClock, Query};
use ascent_embedded::Store;
use std::sync::Mutex as StdMutex;

/// A mutex whose lock cannot be poisoned by a test's panic.
struct Mutex<T>(StdMutex<T>);
impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self(StdMutex::default())
    }
}
impl<T> Mutex<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Behaves as the tick's schedule name says.
struct Moody(AgentDecl);

#[async_trait]
impl Agent for Moody {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Payload::ScheduleTick(t) = event.payload() else {
            return Err(AgentError::Invalid("not a tick".into()));
        };
        match t.schedule.as_str() {
            "panic" => panic!("boom"),
            // A retryable failure whose message is far beyond what an item may hold.
            "flaky" => Err(AgentError::Transient(format!(
                "upstream unavailable: {}",
                "é".repeat(300_000)
            ))),
            "invalid" => Err(AgentError::Invalid("no such invoice".into())),
            "nosy" => ctx
                .get(Domain::Financial, "invoice#1", "invoice")
                .await
                .map(|_| ()),
            "bulk" => {
                for i in 0..50 {
                    let item = Item::new(format!("bulk#{i}"), "row", serde_json::json!({}));
                    ctx.put(Domain::Customer, item, Condition::Always)?;
                }
                Ok(())
            }
            "two-mails" => {
                for to in ["first@example.com", "second@example.com"] {
                    ctx.send_mail(Mail {
                        to: to.into(),
                        subject: "Reminder".into(),
                        text: "Hello".into(),
                        html: None,
                        ..Default::default()
                    })?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<String>>,
    /// Recipients whose next send fails once.
    fail_once: Mutex<Vec<String>>,
    dead: Mutex<Vec<(String, String)>>,
    published: Mutex<Vec<Event>>,
}

#[async_trait]
impl Mailer for Recorder {
    async fn send(&self, _from: &str, mail: &Mail) -> Result<String, MailError> {
        let mut fail = self.fail_once.lock();
        if let Some(i) = fail.iter().position(|t| *t == mail.to) {
            fail.remove(i);
            return Err(MailError("throttled".into()));
        }
        self.sent.lock().push(mail.to.clone());
        Ok("id".into())
    }
}

#[async_trait]
impl EventBus for Recorder {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        self.published.lock().extend_from_slice(events);
        Ok(())
    }
}

#[async_trait]
impl DeadLetterQueue for Recorder {
    async fn send(&self, body: &str, reason: &str) -> Result<(), String> {
        self.dead.lock().push((body.into(), reason.into()));
        Ok(())
    }
}

fn make_host(with_dlq: bool) -> (AgentHost, Arc<Recorder>, Arc<Store>) {
    let clock = ManualClock::new("2026-03-02T06:00:00Z".parse().unwrap());
    let lake = Arc::new(Store::in_memory(Arc::new(clock)).unwrap());
    let rec = Arc::new(Recorder::default());
    let agent = Moody(AgentDecl {
        name: "moody",
        department: Department::Finance,
        queue: QueueClass::Priority,
        subscriptions: vec![],
        reads: vec![],
        owns: vec![ascent_core::agent::owns(Domain::Customer, "")],
        emits: vec![],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    });
    let host = AgentHost {
        max_receive_count: None,
        dead_letter_queues: None,
        privacy: ascent_core::privacy::PrivacyKey::new([7u8; 32]).unwrap(),
        retention: Default::default(),
        agent: Arc::new(agent),
        lake: lake.clone(),
        bus: rec.clone(),
        mailer: rec.clone(),
        approvals: None,
        policy: ApprovalPolicy::default(),
        mail_from: "agents@ascent-xr.example".into(),
        dead_letters: with_dlq.then(|| rec.clone() as Arc<dyn DeadLetterQueue>),
    };
    (host, rec, lake)
}

fn tick(schedule: &str) -> Event {
    let mut e = ScheduleTick::event("daily", "2026-03-02T06:00:00Z".parse().unwrap());
    if let Payload::ScheduleTick(t) = &mut e.detail.payload {
        t.schedule = schedule.into();
    }
    e.detail.event_id = uuid::Uuid::new_v4();
    e
}

fn batch(bodies: &[String]) -> SqsEvent {
    received(bodies, 1)
}

/// A batch of `bodies` at their `receives`th receive.
fn received(bodies: &[String], receives: u32) -> SqsEvent {
    let records: Vec<serde_json::Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            serde_json::json!({"messageId": format!("m-{i}"), "body": b,
                "attributes": {"ApproximateReceiveCount": receives.to_string()},
                "messageAttributes": {}})
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
}

fn failed(r: &SqsBatchResponse) -> Vec<String> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn a_panicking_handler_fails_its_own_message_and_not_the_batch() {
    let (host, _, _) = make_host(true);
    let bodies = [tick("fine"), tick("panic"), tick("fine")].map(|e| e.to_json());
    let response = host.handle_sqs(batch(&bodies)).await;
    assert_eq!(
        failed(&response),
        vec!["m-1"],
        "only the panicking message is retried"
    );
}

#[tokio::test]
async fn a_permanent_failure_goes_to_the_dead_letter_queue_at_once_with_its_reason() {
    let (host, rec, _) = make_host(true);
    let bodies = [
        tick("invalid").to_json(),
        "{not json".to_string(),
        tick("fine").to_json(),
    ];
    let response = host.handle_sqs(batch(&bodies)).await;
    assert!(failed(&response).is_empty(), "none is retried");
    let dead = rec.dead.lock().clone();
    assert_eq!(dead.len(), 2);
    assert_eq!(
        dead[0],
        (bodies[0].clone(), "invalid input: no such invoice".into())
    );
    assert!(
        dead[1].1.starts_with("undeliverable event: malformed JSON"),
        "{dead:?}"
    );

    // Without a dead-letter queue configured, they are retried as before.
    let (host, _, _) = make_host(false);
    let response = host.handle_sqs(batch(&bodies)).await;
    assert_eq!(failed(&response), vec!["m-0", "m-1"]);
}

/// The host checks AWS's limits before it commits, as the twin does: a message of 50 writes
/// (101 transaction items) goes to the dead-letter queue at once, naming the limit, and the
/// rest of the batch is handled.
#[tokio::test]
async fn effects_beyond_one_transaction_go_to_the_dead_letter_queue_at_once() {
    let (host, rec, lake) = make_host(true);
    let bodies = [tick("bulk").to_json(), tick("fine").to_json()];
    let response = host.handle_sqs(batch(&bodies)).await;
    assert!(failed(&response).is_empty(), "none is retried");
    let dead = rec.dead.lock().clone();
    assert_eq!(
        dead,
        vec![(
            bodies[0].clone(),
            "effects exceed AWS's limits: a transaction of 101 items exceeds DynamoDB's 100".into()
        )]
    );
    let committed = lake.get(Domain::Customer, "bulk#0", "row").await.unwrap();
    assert!(committed.is_none(), "nothing of it is committed");
}

#[tokio::test]
async fn an_access_denial_is_audited_on_aws_as_in_the_twin() {
    let (host, rec, lake) = make_host(true);
    let e = tick("nosy");
    host.handle_sqs(batch(&[e.to_json()])).await;
    assert_eq!(rec.dead.lock().len(), 1, "dead-lettered at once");
    let day = format!("audit#{}", chrono::Utc::now().date_naive());
    let audit = lake.query(Domain::Audit, &Query::table(day)).await.unwrap();
    let denial = audit
        .iter()
        .find(|i| i.data["action"] == "denied")
        .unwrap_or_else(|| panic!("no denial audited: {audit:?}"));
    assert_eq!(denial.data["actor"], "moody");
    assert_eq!(denial.data["domain"], "domain financial");
    assert_eq!(denial.data["item"], e.detail.event_id.to_string());
}

#[tokio::test]
async fn a_redelivery_sends_only_the_mails_that_failed_and_says_it_finished() {
    let (host, rec, _) = make_host(true);
    rec.fail_once.lock().push("second@example.com".into());
    let e = tick("two-mails");
    let first = host.handle_event(&e).await;
    assert!(matches!(first, Err(HostError::SideEffect(_))), "{first:?}");
    assert_eq!(*rec.sent.lock(), vec!["first@example.com"]);

    let again = host.handle_event(&e).await.unwrap();
    assert_eq!(again, Disposition::Finished);
    assert_eq!(
        *rec.sent.lock(),
        vec!["first@example.com", "second@example.com"],
        "the first mail is not sent twice"
    );
    assert_eq!(host.handle_event(&e).await.unwrap(), Disposition::Duplicate);
}

/// A lake whose failure records cannot be written (a throttled or refused `PutItem`).
struct RefusesFailureRecords(Arc<Store>);

#[async_trait]
impl DataLake for RefusesFailureRecords {
    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Item>, LakeError> {
        self.0.get(domain, pk, sk).await
    }
    async fn query(&self, domain: Domain, query: &Query) -> Result<Vec<Item>, LakeError> {
        self.0.query(domain, query).await
    }
    async fn transact(&self, writes: &[Write]) -> Result<(), LakeError> {
        if writes.iter().any(|w| w.key().1.starts_with("failure#")) {
            return Err(LakeError::Unavailable("throttled".into()));
        }
        self.0.transact(writes).await
    }
}

/// A retried failure is recorded where `ascent aws dlq list` looks when SQS dead-letters the
/// message after its last receive: under the agent's own partition key (the only one its role
/// may write in the idempotency table), one write per attempt, the reason cut to fit an item.
#[tokio::test]
async fn a_retried_failure_is_recorded_under_the_agents_own_key_with_its_reason_cut_to_fit() {
    let (host, _, lake) = make_host(true);
    let e = tick("flaky");
    let id = e.detail.event_id.to_string();
    for receive in 1..=3 {
        let response = host.handle_sqs(received(&[e.to_json()], receive)).await;
        assert_eq!(failed(&response), vec!["m-0"], "retried");
        let item = lake
            .get(Domain::Idempotency, "moody", &failure_key(&id))
            .await
            .unwrap()
            .expect("the failure is recorded under the agent's name");
        assert_eq!(item.pk, "moody");
        assert!(
            item.expires_at.is_some(),
            "it expires with the dead letters"
        );
        let record = host.failure(&id).await.unwrap();
        assert_eq!(record.attempts, Some(receive), "the last attempt's");
        assert_eq!(record.message_id, "m-0");
        assert!(record.reason.starts_with("upstream unavailable: éé"));
        assert!(record.reason.ends_with("(truncated)"), "{}", record.reason);
        assert!(record.reason.len() <= MAX_FAILURE_REASON_BYTES);
    }
    // The idempotency record itself is untouched: the event is still to be handled.
    assert!(
        lake.get(Domain::Idempotency, "moody", &id)
            .await
            .unwrap()
            .is_none()
    );

    // A permanent failure carries its reason to the dead-letter queue: nothing to record.
    let invalid = tick("invalid");
    host.handle_sqs(batch(&[invalid.to_json()])).await;
    assert_eq!(
        host.failure(&invalid.detail.event_id.to_string()).await,
        None
    );
}

/// Recording is best effort: a lake that refuses the record changes no message's outcome.
#[tokio::test]
async fn a_failure_that_cannot_be_recorded_changes_nothing() {
    let (mut host, _, lake) = make_host(true);
    host.lake = Arc::new(RefusesFailureRecords(lake));
    let bodies = [tick("flaky").to_json(), tick("fine").to_json()];
    let response = host.handle_sqs(batch(&bodies)).await;
    assert_eq!(failed(&response), vec!["m-0"]);
}

#[path = "host_dead_letter_tests.rs"]
mod dead_letters;
