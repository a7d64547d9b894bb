//! Runtime tests with small test-double agents (the real agents are tested in `functions/`
//! and in the whole-flow tests).

use super::*;
use ascent_core::agent::{AgentError, Department, Subscription};
use ascent_core::approval::ApprovalDraft;
use ascent_core::catalog::{ApprovalOutcome, LeadCreated, LeadGrade, LeadScored, Payload};
use ascent_core::context::Ctx;
use ascent_core::ports::ManualClock;
use async_trait::async_trait;
use futures::executor::block_on;
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn lead(id: &str) -> Event {
    Event::new(
        "ascent.crm",
        Actor::system("crm"),
        t0(),
        LeadCreated {
            lead_id: id.into(),
            email: format!("{id}@example.com"),
            full_name: "A B".into(),
            company: "Example".into(),
            company_size: 100,
            industry: "manufacturing".into(),
            role: "CTO".into(),
            country: None,
            channel: "web".into(),
            phone: None,
            time_zone: None,
        },
    )
}

/// Writes the lead and emits a score; fails while `failures_left` > 0; panics on `lead-panic`;
/// reads an undeclared domain on `lead-nosy`; asks for an approval on `lead-approve`.
struct Scorer {
    decl: AgentDecl,
    failures_left: AtomicU32,
}

impl Scorer {
    fn new(failures: u32) -> Self {
        Self {
            decl: AgentDecl {
                name: "scorer",
                department: Department::Sales,
                queue: QueueClass::Priority,
                subscriptions: vec![Subscription {
                    name: "lead-created",
                    pattern: json!({"detail-type": ["LeadCreated"]}),
                }],
                reads: vec![],
                owns: vec![ascent_core::agent::owns(Domain::Customer, "")],
                emits: vec!["LeadScored"],
                requests_approvals: true,
                sends_mail: false,
                writes_text: false,
            },
            failures_left: AtomicU32::new(failures),
        }
    }
}

#[async_trait]
impl Agent for Scorer {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Payload::LeadCreated(l) = event.payload() else {
            return Err(AgentError::Invalid("not a lead".into()));
        };
        match l.lead_id.as_str() {
            "lead-panic" => panic!("boom on {}", l.lead_id),
            "lead-nosy" => {
                ctx.get(Domain::Financial, "x", "y").await?;
            }
            "lead-bulk" => {
                for i in 0..50 {
                    let item = Item::new(format!("bulk#{i}"), "profile", json!({}));
                    ctx.put(Domain::Customer, item, Condition::Always)?;
                }
            }
            "lead-flaky" if self.failures_left.load(Ordering::SeqCst) > 0 => {
                self.failures_left.fetch_sub(1, Ordering::SeqCst);
                return Err(AgentError::Transient("crm timeout".into()));
            }
            "lead-approve" => ctx.request_approval(ApprovalDraft {
                kind: "discount".into(),
                subject: "deal-9".into(),
                summary: "20% off deal-9".into(),
                amount: Some(ascent_core::Money::usd(500_000)),
                requester: "rep@ascent-xr.example".into(),
                approver_role: "sales-director".into(),
                first_approver: None,
                reason: "competitive".into(),
                facts: Default::default(),
                ..Default::default()
            })?,
            _ => {}
        }
        ctx.put(
            Domain::Customer,
            Item::new(
                format!("lead#{}", l.lead_id),
                "profile",
                json!({"email": l.email}),
            ),
            Condition::Always,
        )?;
        ctx.emit(LeadScored {
            lead_id: l.lead_id.clone(),
            score: 80,
            fit: 80,
            intent: 80,
            grade: LeadGrade::Hot,
            model: "test".into(),
            reasons: vec![],
        })
    }
}

/// Counts LeadScored and ApprovalDecided deliveries in the performance domain.
struct Counter {
    decl: AgentDecl,
}

impl Counter {
    fn new() -> Self {
        Self {
            decl: AgentDecl {
                name: "counter",
                department: Department::Operations,
                queue: QueueClass::Batch,
                subscriptions: vec![Subscription {
                    name: "scores-and-decisions",
                    pattern: json!({"detail-type": ["LeadScored", "ApprovalDecided"]}),
                }],
                reads: vec![],
                owns: vec![ascent_core::agent::owns(Domain::Performance, "")],
                emits: vec![],
                requests_approvals: false,
                sends_mail: false,
                writes_text: false,
            },
        }
    }
}

#[async_trait]
impl Agent for Counter {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let key = match event.payload() {
            Payload::ApprovalDecided(d) => format!("decided#{:?}", d.outcome),
            other => other.detail_type().to_string(),
        };
        let n = ctx
            .get(Domain::Performance, "count", &key)
            .await?
            .and_then(|i| i.data.as_u64())
            .unwrap_or(0);
        ctx.put(
            Domain::Performance,
            Item::new("count", key, json!(n + 1)),
            Condition::Always,
        )?;
        Ok(())
    }
}

fn twin(failures: u32) -> (Runtime, ManualClock) {
    let clock = ManualClock::new(t0());
    let store = Arc::new(Store::in_memory(Arc::new(clock.clone())).unwrap());
    let rt = Runtime::new(
        store,
        vec![Arc::new(Scorer::new(failures)), Arc::new(Counter::new())],
        TwinConfig::default(),
    )
    .unwrap();
    (rt, clock)
}

fn drain(rt: &Runtime, clock: &ManualClock) -> usize {
    block_on(rt.drain(|t| clock.set(t))).unwrap()
}

fn count(rt: &Runtime, key: &str) -> u64 {
    block_on(ascent_core::ports::DataLake::get(
        rt.store().as_ref(),
        Domain::Performance,
        "count",
        key,
    ))
    .unwrap()
    .and_then(|i| i.data.as_u64())
    .unwrap_or(0)
}

fn agent_status(rt: &Runtime, name: &str) -> AgentStatus {
    rt.status()
        .unwrap()
        .agents
        .into_iter()
        .find(|a| a.agent == name)
        .unwrap()
}

#[test]
fn events_flow_through_agents_and_effects_are_audited() {
    let (rt, clock) = twin(0);
    let report = rt.ingest(&[lead("lead-1"), lead("lead-2")]).unwrap();
    assert_eq!(report.deliveries, 2);
    drain(&rt, &clock);
    assert_eq!(count(&rt, "LeadScored"), 2);
    assert_eq!(agent_status(&rt, "scorer").handled, 2);
    assert_eq!(agent_status(&rt, "counter").handled, 2);
    // 2 scorer puts + 2 counter puts, all chained.
    assert_eq!(rt.store().verify_audit(), Ok(4));
    let scored = rt.archived("LeadScored").unwrap();
    assert_eq!(scored.len(), 2);
    assert!(scored[0].detail.causation_id.is_some());
}

#[test]
fn duplicate_delivery_has_its_effects_once() {
    let (rt, clock) = twin(0);
    let e = lead("lead-1");
    rt.ingest(std::slice::from_ref(&e)).unwrap();
    drain(&rt, &clock);
    rt.ingest(&[e.clone(), e]).unwrap();
    drain(&rt, &clock);
    assert_eq!(count(&rt, "LeadScored"), 1);
    let s = agent_status(&rt, "scorer");
    assert_eq!((s.handled, s.duplicates), (1, 2));
}

#[test]
fn a_duplicate_whose_handler_now_fails_is_still_only_a_duplicate() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(Store::in_memory(Arc::new(clock.clone())).unwrap());
    let scorer = Arc::new(Scorer::new(0));
    let rt = Runtime::new(
        store,
        vec![scorer.clone(), Arc::new(Counter::new())],
        TwinConfig::default(),
    )
    .unwrap();
    let e = lead("lead-flaky");
    rt.ingest(std::slice::from_ref(&e)).unwrap();
    drain(&rt, &clock);
    // The CRM sends the same event again while the scorer's dependency is down.
    scorer.failures_left.store(5, Ordering::SeqCst);
    rt.ingest(&[e]).unwrap();
    drain(&rt, &clock);
    let s = agent_status(&rt, "scorer");
    assert_eq!((s.handled, s.duplicates, s.failures), (1, 1, 0));
    assert!(rt.dead_letters().unwrap().is_empty());
    assert_eq!(count(&rt, "LeadScored"), 1);
}

#[test]
fn transient_failures_retry_with_backoff_then_succeed() {
    let (rt, clock) = twin(2);
    rt.ingest(&[lead("lead-flaky")]).unwrap();
    assert_eq!(block_on(rt.step()).unwrap(), 1);
    // Invisible during the backoff.
    assert_eq!(block_on(rt.step()).unwrap(), 0);
    let next = rt.next_visible_at().unwrap().unwrap();
    assert_eq!(next, t0() + Duration::seconds(2));
    drain(&rt, &clock);
    assert_eq!(count(&rt, "LeadScored"), 1);
    let s = agent_status(&rt, "scorer");
    assert_eq!((s.handled, s.failures, s.dead_lettered), (1, 2, 0));
    // Backoff doubled: 2 s then 4 s.
    assert_eq!(clock.now(), t0() + Duration::seconds(6));
}

#[test]
fn a_failing_message_is_dead_lettered_with_its_reason_and_redriven() {
    let (rt, clock) = twin(5);
    rt.ingest(&[lead("lead-flaky"), lead("lead-ok")]).unwrap();
    drain(&rt, &clock);
    // The good message of the same batch went through.
    assert_eq!(count(&rt, "LeadScored"), 1);
    let dl = rt.dead_letters().unwrap();
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0].receive_count, 3);
    assert_eq!(dl[0].reason, "crm timeout");
    assert_eq!(dl[0].agent, "scorer");
    // Fixed (2 failures left are used up on redrive? no: 2 more failures, then success).
    assert_eq!(rt.redrive(None, "ops@ascent").unwrap(), 1);
    drain(&rt, &clock);
    assert_eq!(count(&rt, "LeadScored"), 2);
    assert!(rt.dead_letters().unwrap().is_empty());
    assert!(rt.store().verify_audit().is_ok());
}

#[test]
fn a_panicking_handler_never_loses_the_event() {
    let (rt, clock) = twin(0);
    rt.ingest(&[lead("lead-panic"), lead("lead-ok")]).unwrap();
    drain(&rt, &clock);
    assert_eq!(count(&rt, "LeadScored"), 1);
    let dl = rt.dead_letters().unwrap();
    assert_eq!(dl.len(), 1);
    assert!(
        dl[0].reason.contains("panicked: boom on lead-panic"),
        "{}",
        dl[0].reason
    );
    let body = Event::parse(dl[0].body.as_bytes()).unwrap();
    assert_eq!(body.detail_type(), "LeadCreated");
}

#[test]
fn undeclared_access_is_denied_audited_and_dead_lettered_at_once() {
    let (rt, clock) = twin(0);
    rt.ingest(&[lead("lead-nosy")]).unwrap();
    drain(&rt, &clock);
    let dl = rt.dead_letters().unwrap();
    assert_eq!(dl[0].receive_count, 1, "permanent errors are not retried");
    assert_eq!(
        dl[0].reason,
        "access denied: agent `scorer` may not read domain financial"
    );
    let audit = rt.store().audit_records().unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.entry.action == "denied" && r.entry.actor == "scorer")
    );
    assert_eq!(count(&rt, "LeadScored"), 0);
}

/// The twin has AWS's limits: 51 writes are 103 transaction items on DynamoDB, so the twin
/// dead-letters the message at once, naming the limit, and commits none of it.
#[test]
fn a_message_whose_effects_exceed_one_dynamodb_transaction_is_dead_lettered_at_once() {
    let (rt, clock) = twin(0);
    rt.ingest(&[lead("lead-bulk"), lead("lead-ok")]).unwrap();
    drain(&rt, &clock);
    let dl = rt.dead_letters().unwrap();
    assert_eq!(dl.len(), 1, "the healthy message of the batch is handled");
    assert_eq!(dl[0].receive_count, 1, "no retry can shrink the effects");
    assert_eq!(
        dl[0].reason,
        "effects exceed AWS's limits: a transaction of 103 items exceeds DynamoDB's 100"
    );
    assert_eq!(count(&rt, "LeadScored"), 1);
}

fn link_token(mail: &Mail) -> (String, String) {
    let line = mail
        .text
        .lines()
        .find(|l| l.starts_with("Approve: "))
        .unwrap();
    let url = line.trim_start_matches("Approve: ");
    let id = url
        .split("/approvals/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let token = url.split("t=").nth(1).unwrap().split('&').next().unwrap();
    (id.to_string(), token.to_string())
}

#[test]
fn approvals_are_mailed_decided_once_and_announced() {
    let (rt, clock) = twin(0);
    rt.ingest(&[lead("lead-approve")]).unwrap();
    drain(&rt, &clock);
    let mails = rt.mails().unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "sales.director@ascent-xr.example");
    let (id, token) = link_token(&mails[0]);
    assert!(!token.contains("task"), "no raw task token in links");
    // Opening the page (GET) changes nothing.
    let view = rt.show_approval(&id, &token).unwrap();
    assert_eq!(view.approval.status, ApprovalStatus::Pending);
    assert_eq!(rt.status().unwrap().pending_approvals.len(), 1);
    // Forged: token of another id, tampered token.
    assert!(matches!(
        rt.show_approval("apr-other", &token),
        Err(DeskError::Link(LinkError::Forged))
    ));
    let tampered = format!("x{token}");
    assert!(matches!(
        rt.decide_approval(&id, &tampered, Decision::Approve, None),
        Err(DeskError::Link(_))
    ));
    rt.decide_approval(&id, &token, Decision::Approve, Some("fine".into()))
        .unwrap();
    // Replay: the link is single-use.
    let again = rt.decide_approval(&id, &token, Decision::Reject, None);
    assert!(matches!(
        again.unwrap_err(),
        DeskError::Rule(ApprovalError::AlreadyClosed(c)) if c.to_string() == "approved"
    ));
    drain(&rt, &clock);
    assert_eq!(count(&rt, "decided#Approved"), 1);
    let decided = rt.archived("ApprovalDecided").unwrap();
    let Payload::ApprovalDecided(d) = decided[0].payload() else {
        panic!()
    };
    assert_eq!(d.outcome, ApprovalOutcome::Approved);
    assert_eq!(
        d.decided_by.as_deref(),
        Some("sales.director@ascent-xr.example")
    );
    assert_eq!(d.requested_by_agent, "scorer");
    // Same flow: correlation id of the lead.
    let requested = rt.archived("ApprovalRequested").unwrap();
    assert_eq!(
        decided[0].detail.correlation_id,
        requested[0].detail.correlation_id
    );
    assert!(rt.status().unwrap().pending_approvals.is_empty());
    assert!(rt.store().verify_audit().is_ok());
}

#[test]
fn silent_approvers_escalate_then_the_request_expires_and_the_requester_is_told() {
    let (rt, clock) = twin(0);
    rt.ingest(&[lead("lead-approve")]).unwrap();
    drain(&rt, &clock);
    let (id, first_token) = link_token(&rt.mails().unwrap()[0]);
    clock.advance(Duration::hours(49));
    assert_eq!(rt.tick_approvals().unwrap(), 1);
    let mails = rt.mails().unwrap();
    assert_eq!(mails[1].to, "cro@ascent-xr.example");
    // The first approver's link no longer works (expired with its step).
    assert!(rt.show_approval(&id, &first_token).is_err());
    let (_, second_token) = link_token(&mails[1]);
    assert!(rt.show_approval(&id, &second_token).is_ok());
    clock.advance(Duration::hours(49));
    assert_eq!(rt.tick_approvals().unwrap(), 1);
    let mails = rt.mails().unwrap();
    assert_eq!(mails[2].to, "rep@ascent-xr.example");
    assert!(mails[2].subject.starts_with("Approval expired"));
    drain(&rt, &clock);
    assert_eq!(count(&rt, "decided#Expired"), 1);
    assert!(matches!(
        rt.decide_approval(&id, &second_token, Decision::Approve, None),
        Err(DeskError::Link(LinkError::Expired))
    ));
    assert_eq!(rt.tick_approvals().unwrap(), 0);
}

#[test]
fn above_the_two_person_amount_a_second_distinct_approver_must_approve() {
    let clock = ManualClock::new(t0());
    let store = Arc::new(Store::in_memory(Arc::new(clock.clone())).unwrap());
    let mut config = TwinConfig::default();
    // The test agent asks for 5,000.00: make that "large".
    config.approvals.two_person_above_minor = Some(100_000);
    let rt = Runtime::new(
        store,
        vec![Arc::new(Scorer::new(0)), Arc::new(Counter::new())],
        config,
    )
    .unwrap();
    rt.ingest(&[lead("lead-approve")]).unwrap();
    drain(&rt, &clock);
    let (id, director_token) = link_token(&rt.mails().unwrap()[0]);
    let view = rt
        .decide_approval(&id, &director_token, Decision::Approve, None)
        .unwrap();
    assert_eq!(view.approval.status, ApprovalStatus::Pending);
    // The CRO is asked next; the director cannot approve again.
    let mails = rt.mails().unwrap();
    assert_eq!(mails[1].to, "cro@ascent-xr.example");
    assert!(
        rt.decide_approval(&id, &director_token, Decision::Approve, None)
            .is_err()
    );
    drain(&rt, &clock);
    assert_eq!(count(&rt, "decided#Approved"), 0);
    let (_, cro_token) = link_token(&mails[1]);
    rt.decide_approval(&id, &cro_token, Decision::Approve, None)
        .unwrap();
    drain(&rt, &clock);
    assert_eq!(count(&rt, "decided#Approved"), 1);
    let decided = rt.archived("ApprovalDecided").unwrap();
    let Payload::ApprovalDecided(d) = decided[0].payload() else {
        panic!()
    };
    assert_eq!(
        d.decided_by.as_deref(),
        Some("sales.director@ascent-xr.example, cro@ascent-xr.example")
    );
    assert!(rt.store().verify_audit().is_ok());
}

#[test]
fn schedule_ticks_are_idempotent_by_time() {
    let (rt, _clock) = twin(0);
    rt.schedule_tick("daily", t0()).unwrap();
    rt.schedule_tick("daily", t0()).unwrap();
    rt.schedule_tick("daily", t0() + Duration::days(1)).unwrap();
    let ticks = rt.archived("ScheduleTick").unwrap();
    assert_eq!(ticks.len(), 3, "the archive logs every arrival");
    // The same schedule and time always has the same id: handlers' idempotency absorbs it.
    assert_eq!(ticks[0].detail.event_id, ticks[1].detail.event_id);
    assert_ne!(ticks[0].detail.event_id, ticks[2].detail.event_id);
}

#[test]
fn outbox_files_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t0());
    let store = Arc::new(Store::in_memory(Arc::new(clock.clone())).unwrap());
    let config = TwinConfig {
        outbox_dir: Some(dir.path().to_path_buf()),
        ..TwinConfig::default()
    };
    let rt = Runtime::new(store, vec![Arc::new(Scorer::new(0))], config).unwrap();
    rt.ingest(&[lead("lead-approve")]).unwrap();
    drain(&rt, &clock);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(eml.contains("To: sales.director@ascent-xr.example"));
    assert!(eml.contains("/approvals/apr-"));
}

#[test]
fn dead_letters_keep_the_body_of_their_event() {
    let (rt, clock) = twin(5);
    let e = lead("lead-flaky");
    rt.ingest(std::slice::from_ref(&e)).unwrap();
    drain(&rt, &clock);
    let dl = rt.dead_letters().unwrap();
    assert_eq!(Event::parse(dl[0].body.as_bytes()).unwrap(), e);
}

#[test]
fn a_database_whose_deliveries_carry_bodies_is_migrated_without_losing_any() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let (queued, dead, seen) = (lead("lead-queued"), lead("lead-dead"), lead("lead-seen"));
    {
        // The layout before deliveries pointed at the archive.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE queue_messages (
                id INTEGER PRIMARY KEY, agent TEXT NOT NULL, class TEXT NOT NULL,
                event_id TEXT NOT NULL, detail_type TEXT NOT NULL, body TEXT NOT NULL,
                receive_count INTEGER NOT NULL DEFAULT 0, visible_at INTEGER NOT NULL,
                enqueued_at INTEGER NOT NULL, last_error TEXT);
             CREATE TABLE dead_letters (
                id INTEGER PRIMARY KEY, agent TEXT NOT NULL, class TEXT NOT NULL,
                event_id TEXT NOT NULL, detail_type TEXT NOT NULL, body TEXT NOT NULL,
                receive_count INTEGER NOT NULL, reason TEXT NOT NULL,
                failed_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL);
             CREATE TABLE items (
                domain TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL,
                gsi1pk TEXT, gsi1sk TEXT, expires_at INTEGER, data TEXT NOT NULL,
                PRIMARY KEY (domain, pk, sk)) WITHOUT ROWID;",
        )
        .unwrap();
        let t = t0().timestamp_millis();
        for e in [&queued, &seen] {
            c.execute(
                "INSERT INTO queue_messages (agent, class, event_id, detail_type, body, visible_at, enqueued_at) \
                 VALUES ('scorer', 'priority', ?1, 'LeadCreated', ?2, ?3, ?3)",
                params![e.detail.event_id.to_string(), e.to_json(), t],
            )
            .unwrap();
        }
        // `seen` was handled already: its idempotency record was a data-lake item.
        c.execute(
            "INSERT INTO items (domain, pk, sk, expires_at, data) VALUES ('idempotency', 'scorer', ?1, ?2, '{}')",
            params![seen.detail.event_id.to_string(), t0().timestamp() + 86_400],
        )
        .unwrap();
        c.execute(
            "INSERT INTO dead_letters (agent, class, event_id, detail_type, body, receive_count, reason, failed_at, enqueued_at) \
             VALUES ('scorer', 'priority', ?1, 'LeadCreated', ?2, 3, 'crm timeout', ?3, ?3)",
            params![dead.detail.event_id.to_string(), dead.to_json(), t],
        )
        .unwrap();
    }
    let clock = ManualClock::new(t0());
    let store = Arc::new(Store::open(&path, Arc::new(clock.clone())).unwrap());
    let rt = Runtime::new(store, vec![Arc::new(Scorer::new(0))], TwinConfig::default()).unwrap();
    drain(&rt, &clock);
    let s = agent_status(&rt, "scorer");
    assert_eq!(
        (s.handled, s.duplicates),
        (1, 1),
        "the queued message; the one seen before"
    );
    assert_eq!(rt.redrive(None, "ops@ascent").unwrap(), 1);
    drain(&rt, &clock);
    assert_eq!(
        agent_status(&rt, "scorer").handled,
        2,
        "the redriven dead letter"
    );
    assert_eq!(rt.archived("LeadScored").unwrap().len(), 2);
}

/// Writes two items per lead: on `lead-conflict` the second write's condition cannot hold; on
/// `lead-twice` it writes one item twice, the second conditioned on the first.
struct Ledger {
    decl: AgentDecl,
}

#[async_trait]
impl Agent for Ledger {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Payload::LeadCreated(l) = event.payload() else {
            return Ok(());
        };
        let id = l.lead_id.as_str();
        let put = |sk: &str, v: u64| Item::new(format!("ledger#{id}"), sk, json!({"v": v}));
        match id {
            "lead-conflict" => {
                ctx.put(Domain::Customer, put("a", 1), Condition::Always)?;
                ctx.put(Domain::Customer, put("b", 1), Condition::Exists)?;
            }
            _ => {
                ctx.put(Domain::Customer, put("k", 1), Condition::Always)?;
                ctx.put(
                    Domain::Customer,
                    put("k", 2),
                    Condition::FieldEquals {
                        field: "v".into(),
                        value: json!(1),
                    },
                )?;
            }
        }
        Ok(())
    }
}

fn ledger_twin() -> (Runtime, ManualClock) {
    let clock = ManualClock::new(t0());
    let store = Arc::new(Store::in_memory(Arc::new(clock.clone())).unwrap());
    let mut decl = Scorer::new(0).decl;
    decl.name = "ledger";
    decl.emits = vec![];
    decl.requests_approvals = false;
    let rt = Runtime::new(
        store,
        vec![Arc::new(Ledger { decl })],
        TwinConfig::default(),
    )
    .unwrap();
    (rt, clock)
}

fn ledger_item(rt: &Runtime, id: &str, sk: &str) -> Option<serde_json::Value> {
    block_on(ascent_core::ports::DataLake::get(
        rt.store().as_ref(),
        Domain::Customer,
        &format!("ledger#{id}"),
        sk,
    ))
    .unwrap()
    .map(|i| i.data)
}

#[test]
fn a_failed_condition_leaves_none_of_the_messages_writes() {
    let (rt, clock) = ledger_twin();
    rt.ingest(&[lead("lead-conflict"), lead("lead-fine")])
        .unwrap();
    drain(&rt, &clock);
    assert_eq!(
        ledger_item(&rt, "lead-conflict", "a"),
        None,
        "not half applied"
    );
    let dl = rt.dead_letters().unwrap();
    assert_eq!(dl.len(), 1);
    assert!(dl[0].reason.contains("condition"), "{}", dl[0].reason);
    // The other message of the batch went through, and the audit chain has only its writes.
    assert_eq!(ledger_item(&rt, "lead-fine", "k"), Some(json!({"v": 2})));
    let records = rt.store().audit_records().unwrap();
    assert!(
        !records
            .iter()
            .any(|r| r.entry.item.starts_with("ledger#lead-conflict")),
        "no audit record of a write that was not made"
    );
    assert!(records.iter().any(|r| r.entry.action == "dead-lettered"));
    assert!(rt.store().verify_audit().is_ok());
}

#[test]
fn a_write_conditioned_on_an_earlier_write_of_the_same_message_sees_it() {
    let (rt, clock) = ledger_twin();
    rt.ingest(&[lead("lead-twice")]).unwrap();
    drain(&rt, &clock);
    assert!(rt.dead_letters().unwrap().is_empty());
    assert_eq!(ledger_item(&rt, "lead-twice", "k"), Some(json!({"v": 2})));
}

/// Counts the rows ever inserted into `queue_messages` (a temporary trigger on the twin's
/// connection).
fn count_queue_inserts(rt: &Runtime) -> impl Fn() -> i64 + '_ {
    rt.store()
        .read(|c| {
            c.execute_batch(
                "CREATE TEMP TABLE queue_inserts (n INTEGER NOT NULL); \
                 INSERT INTO queue_inserts VALUES (0); \
                 CREATE TEMP TRIGGER count_queue_inserts AFTER INSERT ON queue_messages \
                 BEGIN UPDATE queue_inserts SET n = n + 1; END;",
            )
        })
        .unwrap();
    move || {
        rt.store()
            .read(|c| c.query_row("SELECT n FROM queue_inserts", [], |r| r.get(0)))
            .unwrap()
    }
}

/// Makes the counter's item `INSERT`s or `UPDATE`s fail inside SQLite (a temporary trigger
/// named `boom` running a broken statement), as a full disk or a corrupt page would.
fn break_counter_writes(rt: &Runtime, statement: &str) {
    rt.store()
        .read(|c| {
            c.execute_batch(&format!(
                "CREATE TEMP TRIGGER boom BEFORE {statement} ON items WHEN NEW.domain = 'performance' \
                 BEGIN SELECT json('not json'); END;"
            ))
        })
        .unwrap();
}

#[test]
fn deliveries_received_within_the_unit_that_published_them_are_never_written() {
    let (rt, clock) = twin(0);
    let inserts = count_queue_inserts(&rt);
    rt.ingest(&[lead("lead-1"), lead("lead-2")]).unwrap();
    assert_eq!(inserts(), 2, "ingestion writes its deliveries");
    drain(&rt, &clock);
    // The scorer's two LeadScored reached the counter inside the same unit of work.
    assert_eq!(count(&rt, "LeadScored"), 2);
    assert_eq!(inserts(), 2);
    assert!(rt.store().verify_audit().is_ok());
}

#[test]
fn deliveries_left_when_a_unit_ends_are_written_with_it() {
    let (rt, clock) = twin(0);
    rt.ingest(&[lead("lead-1"), lead("lead-2")]).unwrap();
    // One step: one batch per agent that had messages when it began (only the scorer).
    assert_eq!(block_on(rt.step()).unwrap(), 2);
    let counter = agent_status(&rt, "counter");
    assert_eq!((counter.visible, counter.handled), (2, 0));
    assert_eq!(agent_status(&rt, "scorer").handled, 2);
    drain(&rt, &clock);
    assert_eq!(count(&rt, "LeadScored"), 2);
    assert_eq!(agent_status(&rt, "counter").handled, 2);
}

#[test]
fn a_write_failing_in_sqlite_undoes_its_unit_then_the_message_fails_alone() {
    let (rt, clock) = twin(0);
    // Any write of the counter now fails inside SQLite (not a condition: a broken statement).
    break_counter_writes(&rt, "INSERT");
    rt.ingest(&[lead("lead-1")]).unwrap();
    // The counter's write had no savepoint: the whole unit rolls back, the scorer's work with
    // it, and its counters too.
    assert!(block_on(rt.drain(|t| clock.set(t))).is_err());
    assert_eq!(agent_status(&rt, "scorer").handled, 0);
    assert_eq!(agent_status(&rt, "scorer").visible, 1);
    assert_eq!(rt.archived("LeadScored").unwrap().len(), 0);
    // From then on each failure costs only its own message (a savepoint each), until the
    // receive count runs out and the delivery is dead-lettered with SQLite's reason.
    let mut attempts = 0;
    while block_on(rt.drain(|t| clock.set(t))).is_err() {
        attempts += 1;
        assert!(attempts < 10, "the twin kept failing");
    }
    assert_eq!(agent_status(&rt, "scorer").handled, 1);
    let dl = rt.dead_letters().unwrap();
    assert_eq!(dl.len(), 1, "{dl:?}");
    assert_eq!((dl[0].agent.as_str(), dl[0].receive_count), ("counter", 3));
    assert!(dl[0].reason.contains("malformed JSON"), "{}", dl[0].reason);
    // Repaired and redriven, the delivery has its effect once.
    rt.store()
        .read(|c| c.execute_batch("DROP TRIGGER boom"))
        .unwrap();
    assert_eq!(rt.redrive(None, "ops@ascent").unwrap(), 1);
    drain(&rt, &clock);
    assert_eq!(count(&rt, "LeadScored"), 1);
    assert!(rt.dead_letters().unwrap().is_empty());
    assert!(rt.store().verify_audit().is_ok());
}

#[test]
fn ingest_and_drain_accepts_its_events_with_the_unit_that_handles_them() {
    let (rt, clock) = twin(0);
    let inserts = count_queue_inserts(&rt);
    let n =
        block_on(rt.ingest_and_drain(&[lead("lead-1"), lead("lead-2")], |t| clock.set(t))).unwrap();
    assert_eq!(n, 4, "two leads scored, two scores counted");
    assert_eq!(count(&rt, "LeadScored"), 2);
    assert_eq!(inserts(), 0, "every delivery was received from memory");
    assert_eq!(rt.archived("LeadCreated").unwrap().len(), 2);

    // A unit that fails takes its events with it: the caller is told, nothing half-done.
    break_counter_writes(&rt, "UPDATE");
    assert!(block_on(rt.ingest_and_drain(&[lead("lead-3")], |t| clock.set(t))).is_err());
    assert_eq!(rt.archived("LeadCreated").unwrap().len(), 2);
    assert_eq!(agent_status(&rt, "scorer").visible, 0);
    assert!(rt.store().verify_audit().is_ok());
}

#[path = "storage_fault_tests.rs"]
mod storage_faults;

#[path = "activity_tests.rs"]
mod activity;
