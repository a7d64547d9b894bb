//! The console's part of the runtime: a paused agent's messages wait (neither lost nor
//! dead-lettered, however long), the pause survives a restart, resuming drains them; an
//! approval decided by a signed-in approver has the link's rules and effects.

use super::super::{Runtime, TwinConfig};
use crate::store::Store;
use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription,
};
use ascent_core::approval::{ApprovalDraft, ApprovalError, ApprovalStatus, Decision, DeskError};
use ascent_core::catalog::LeadCreated;
use ascent_core::context::Ctx;
use ascent_core::event::{Actor, Event};
use ascent_core::ports::{Clock, Condition, Item, ManualClock};
use chrono::{DateTime, Duration, Utc};
use futures::executor::block_on;
use serde_json::json;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

/// Writes each lead; asks for an approval for `lead-approve`.
struct Keeper(AgentDecl);

impl Keeper {
    fn new() -> Self {
        Self(AgentDecl {
            name: "keeper",
            department: Department::Sales,
            queue: QueueClass::Batch,
            subscriptions: vec![Subscription {
                name: "leads",
                pattern: json!({"detail-type": ["LeadCreated"]}),
            }],
            reads: vec![],
            owns: vec![ascent_core::agent::owns(Domain::Customer, "")],
            emits: vec![],
            requests_approvals: true,
            sends_mail: false,
            writes_text: false,
        })
    }
}

#[async_trait::async_trait]
impl Agent for Keeper {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let ascent_core::catalog::Payload::LeadCreated(l) = event.payload() else {
            return Err(AgentError::Invalid("not a lead".into()));
        };
        if l.lead_id == "lead-approve" {
            ctx.request_approval(ApprovalDraft {
                kind: "discount".into(),
                subject: "deal-9".into(),
                summary: "20% off deal-9".into(),
                amount: Some(ascent_core::Money::usd(500_000)),
                requester: "rep@ascent-xr.example".into(),
                approver_role: "sales-director".into(),
                reason: "competitive".into(),
                ..Default::default()
            })?;
        }
        ctx.put(
            Domain::Customer,
            Item::new(format!("lead#{}", l.lead_id), "profile", json!({})),
            Condition::Always,
        )
    }
}

fn lead(id: &str, at: DateTime<Utc>) -> Event {
    Event::new(
        "ascent.crm",
        Actor::system("crm"),
        at,
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

fn open(path: &std::path::Path, clock: &ManualClock) -> Runtime {
    let store = Store::open(path, Arc::new(clock.clone())).unwrap();
    Runtime::new(
        Arc::new(store),
        vec![Arc::new(Keeper::new())],
        TwinConfig::default(),
    )
    .unwrap()
}

fn queued(rt: &Runtime) -> u64 {
    let s = rt.status().unwrap();
    let a = s.agents.iter().find(|a| a.agent == "keeper").unwrap();
    a.visible + a.in_flight
}

fn leads(rt: &Runtime) -> usize {
    rt.store()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM items WHERE domain = 'customer' AND pk LIKE 'lead#%'",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .unwrap() as usize
}

#[test]
fn a_paused_agent_s_messages_wait_through_a_restart_and_drain_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("twin.db");
    let clock = ManualClock::new(t0());
    let rt = open(&db, &clock);
    rt.set_paused("keeper", true, "admin@ascent-xr.example")
        .unwrap();
    assert!(matches!(
        rt.set_paused("nobody", true, "admin@ascent-xr.example"),
        Err(super::super::TwinError::Refused(_))
    ));
    rt.ingest(&[lead("l1", t0()), lead("l2", t0())]).unwrap();
    // Draining with the clock moving on receives nothing and does not spin.
    assert_eq!(block_on(rt.drain(|t| clock.set(t))).unwrap(), 0);
    clock.set(t0() + Duration::days(20));
    assert_eq!(block_on(rt.step()).unwrap(), 0);
    assert_eq!(queued(&rt), 2);
    assert_eq!(leads(&rt), 0);
    assert!(rt.dead_letters().unwrap().is_empty());
    drop(rt);
    // Still paused after a restart.
    let rt = open(&db, &clock);
    assert!(rt.is_paused("keeper"));
    assert_eq!(block_on(rt.step()).unwrap(), 0);
    rt.ingest(&[lead("l3", clock.now())]).unwrap();
    assert_eq!(queued(&rt), 3);
    rt.set_paused("keeper", false, "admin@ascent-xr.example")
        .unwrap();
    assert_eq!(block_on(rt.drain(|t| clock.set(t))).unwrap(), 3);
    assert_eq!((queued(&rt), leads(&rt)), (0, 3));
    assert!(rt.dead_letters().unwrap().is_empty());
    let actions: Vec<(String, String)> = rt
        .store()
        .audit_records()
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.action.starts_with("agent."))
        .map(|r| (r.entry.actor, r.entry.action))
        .collect();
    assert_eq!(
        actions,
        [
            (
                "admin@ascent-xr.example".to_string(),
                "agent.paused".to_string()
            ),
            (
                "admin@ascent-xr.example".to_string(),
                "agent.resumed".to_string()
            )
        ]
    );
}

#[test]
fn a_signed_in_approver_decides_under_the_link_s_rules_with_its_effects() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t0());
    let rt = open(&dir.path().join("twin.db"), &clock);
    rt.ingest(&[lead("lead-approve", t0())]).unwrap();
    block_on(rt.drain(|t| clock.set(t))).unwrap();
    let (pending, decided) = rt.inbox().unwrap();
    assert_eq!((pending.len(), decided.len()), (1, 0));
    let a = &pending[0];
    let approver = a.approver().to_string();
    assert!(matches!(
        rt.decide_approval_as(&a.id, "rep@ascent-xr.example", Decision::Approve, None),
        Err(DeskError::Rule(ApprovalError::SelfApproval))
    ));
    let other = a.chain.last().unwrap().clone();
    assert_ne!(other, approver);
    assert!(matches!(
        rt.decide_approval_as(&a.id, &other, Decision::Approve, None),
        Err(DeskError::Rule(ApprovalError::NotTheApprover(_)))
    ));
    let done = rt
        .decide_approval_as(&a.id, &approver, Decision::Reject, Some("too deep".into()))
        .unwrap();
    assert_eq!(done.status, ApprovalStatus::Rejected);
    assert!(matches!(
        rt.decide_approval_as(&a.id, &approver, Decision::Approve, None),
        Err(DeskError::Rule(ApprovalError::AlreadyClosed(_)))
    ));
    assert_eq!(rt.archived("ApprovalDecided").unwrap().len(), 1);
    let (pending, decided) = rt.inbox().unwrap();
    assert_eq!((pending.len(), decided.len()), (0, 1));
    assert_eq!(decided[0].comment.as_deref(), Some("too deep"));
    let audited = rt
        .store()
        .audit_records()
        .unwrap()
        .into_iter()
        .any(|r| r.entry.action == "approval.decided" && r.entry.actor == approver);
    assert!(audited);
}
