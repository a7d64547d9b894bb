//! Retention on the Lambda host: the one engine gives what a handler writes under a
//! `Retention::Days` prefix its expiry, and the idempotency record takes `idempotency_days`
//! (DynamoDB's TTL removes both; the embedded store stands in for DynamoDB here); a failure's
//! recorded reason is kept as long as its dead letter.

use crate::host::{AgentHost, failure_key};
use ascent_core::agent::{Agent, AgentDecl, AgentError, Department, Domain, QueueClass, owns};
use ascent_core::approval::ApprovalPolicy;
use ascent_core::catalog::ScheduleTick;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{
    BusError, Condition, DataLake, EventBus, Item, Mail, MailError, Mailer, ManualClock,
};
use ascent_core::privacy::{Personal, Retention};
use ascent_core::retention::DataRetention;
use ascent_embedded::Store;
use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::Utc;
use std::sync::Arc;

/// Writes one lead record on every event.
struct Leads(AgentDecl);

#[async_trait]
impl Agent for Leads {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }
    async fn handle(&self, _: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let item = Item::new(
            "lead#1",
            "profile",
            serde_json::json!({"email": "a@b.example"}),
        );
        ctx.put(Domain::Customer, item, Condition::Always)
    }
}

struct Nowhere;

#[async_trait]
impl EventBus for Nowhere {
    async fn publish(&self, _: &[Event]) -> Result<(), BusError> {
        Ok(())
    }
}

#[async_trait]
impl Mailer for Nowhere {
    async fn send(&self, _: &str, _: &Mail) -> Result<String, MailError> {
        Ok("id".into())
    }
}

/// A host of `Leads` over `lake` with `retention`, sending nothing anywhere.
fn host(decl: AgentDecl, lake: Arc<Store>, retention: DataRetention) -> AgentHost {
    AgentHost {
        agent: Arc::new(Leads(decl)),
        lake,
        bus: Arc::new(Nowhere),
        mailer: Arc::new(Nowhere),
        approvals: None,
        policy: ApprovalPolicy::default(),
        mail_from: "agents@ascent-xr.example".into(),
        dead_letters: None,
        max_receive_count: None,
        dead_letter_queues: None,
        privacy: ascent_core::privacy::PrivacyKey::new([7u8; 32]).unwrap(),
        retention,
    }
}

#[tokio::test]
async fn the_host_commits_the_declared_expiry_and_the_idempotency_days() {
    // Given a host whose agent keeps leads `unconverted_leads_days`, and short retentions
    let clock = ManualClock::new("2026-03-02T06:00:00Z".parse().unwrap());
    let lake = Arc::new(Store::in_memory(Arc::new(clock)).unwrap());
    let decl = AgentDecl {
        name: "leads",
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![],
        reads: vec![],
        owns: vec![owns(Domain::Customer, "lead#").holding(Personal::deleted(
            &["email"],
            &["email"],
            "Qualify the lead",
            Retention::Days("unconverted_leads_days"),
        ))],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    };
    let retention = DataRetention {
        unconverted_leads_days: 30,
        idempotency_days: 20,
        ..DataRetention::default()
    };
    let host = host(decl, lake.clone(), retention);
    // When it handles an event
    let event = ScheduleTick::event("daily", "2026-03-02T06:00:00Z".parse().unwrap());
    let before = Utc::now().timestamp();
    host.handle_event(&event).await.unwrap();
    let after = Utc::now().timestamp();
    // Then the lead expires 30 days after the handling, the idempotency record 20 days after
    let within =
        |at: i64, days: i64| (before + days * 86_400..=after + days * 86_400).contains(&at);
    let lead = lake
        .get(Domain::Customer, "lead#1", "profile")
        .await
        .unwrap();
    assert!(within(lead.and_then(|i| i.expires_at).unwrap(), 30));
    let key = event.detail.event_id.to_string();
    let handled = lake.get(Domain::Idempotency, "leads", &key).await.unwrap();
    assert!(within(handled.and_then(|i| i.expires_at).unwrap(), 20));
}

#[tokio::test]
async fn a_failure_reason_is_kept_as_long_as_its_dead_letter() {
    // Given a host whose dead letters are kept 5 days, and a message that is no event
    let clock = ManualClock::new("2026-03-02T06:00:00Z".parse().unwrap());
    let lake = Arc::new(Store::in_memory(Arc::new(clock)).unwrap());
    let decl = AgentDecl {
        name: "leads",
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![],
        reads: vec![],
        owns: vec![],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    };
    let retention = DataRetention {
        dead_letters_days: 5,
        ..DataRetention::default()
    };
    let host = host(decl, lake.clone(), retention);
    let batch: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [
        {"messageId": "m-1", "body": "not an event", "attributes": {"ApproximateReceiveCount": "1"}}
    ]}))
    .unwrap();
    // When it fails (retried by SQS until it moves it to the dead-letter queue)
    let before = Utc::now().timestamp();
    let response = host.handle_sqs(batch).await;
    let after = Utc::now().timestamp();
    assert_eq!(response.batch_item_failures.len(), 1);
    // Then the reason recorded for it expires with the dead letter, 5 days on
    let record = lake
        .get(Domain::Idempotency, "leads", &failure_key("m-1"))
        .await
        .unwrap()
        .expect("the reason is recorded");
    let expires = record.expires_at.unwrap();
    assert!((before + 5 * 86_400..=after + 5 * 86_400).contains(&expires));
}
