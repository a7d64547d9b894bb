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
            "invalid" => Err(AgentError::Invalid("no such invoice".into())),
            "nosy" => ctx
                .get(Domain::Financial, "invoice#1", "invoice")
                .await
                .map(|_| ()),
            "two-mails" => {
                for to in ["first@example.com", "second@example.com"] {
                    ctx.send_mail(Mail {
                        to: to.into(),
                        subject: "Reminder".into(),
                        text: "Hello".into(),
                        html: None,
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
    async fn publish(&self, _: &[Event]) -> Result<(), BusError> {
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
        writes: vec![Domain::Customer],
        emits: vec![],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    });
    let host = AgentHost {
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
    let records: Vec<serde_json::Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            serde_json::json!({"messageId": format!("m-{i}"), "body": b,
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}})
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
