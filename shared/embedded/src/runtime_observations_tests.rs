//! Queue observations on a hand-made load: exact figures, idempotence, the quiet rule.

use super::*;
use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription,
};
use ascent_core::catalog::{LeadCreated, Payload, QueueDepthObserved};
use ascent_core::context::Ctx;
use ascent_core::event::{Actor, Event};
use ascent_core::ports::{Clock, ManualClock};
use ascent_core::queues::QueueWindow;
use async_trait::async_trait;
use futures::executor::block_on;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn what_arrived_is_what_the_queue_gained_plus_what_left_it() {
    let before = Reading {
        messages: 3,
        visible: 3,
        handled: 10,
        duplicates: 1,
        failures: 2,
        dead_lettered: 1,
        micros: 4_000_000,
    };
    let after = Reading {
        messages: 5,
        visible: 4,
        handled: 17,
        duplicates: 2,
        failures: 4,
        dead_lettered: 2,
        micros: 7_000_000,
    };
    let w = window(&before, &after);
    // Left: 7 handled + 1 duplicate + 1 dead letter = 9; the queue grew by 2: 11 arrived.
    assert_eq!(w.arrived, 11);
    assert_eq!((w.depth, w.handled, w.receives), (4, 7, 10));
    // 3 s over 10 receives (7 handled, 1 duplicate, 2 failed).
    assert_eq!(w.mean_handling_ms(), 300.0);
    // No earlier reading: everything counted is the window's.
    assert_eq!(window(&Reading::default(), &after).arrived, 5 + 17 + 2 + 2);
}

#[test]
fn a_window_of_nothing_but_the_last_rounds_observations_is_quiet() {
    let echo_only = QueueWindow {
        arrived: 3,
        handled: 3,
        receives: 3,
        ..QueueWindow::default()
    };
    assert!(quiet_but_for(&echo_only, 3));
    assert!(!quiet_but_for(&echo_only, 2), "one more than was delivered");
    assert!(!quiet_but_for(&echo_only, 0));
    let waiting = QueueWindow {
        depth: 1,
        ..echo_only
    };
    assert!(!quiet_but_for(&waiting, 3));
    assert!(quiet_but_for(&QueueWindow::default(), 0));
}

/// A support desk that takes 300 ms of the manual clock per message and fails `lead-flaky`
/// once.
struct Desk {
    decl: AgentDecl,
    clock: ManualClock,
    failed: AtomicBool,
}

fn decl(name: &'static str, detail_type: &str) -> AgentDecl {
    AgentDecl {
        name,
        department: Department::CustomerSuccess,
        queue: QueueClass::Priority,
        subscriptions: vec![Subscription {
            name: "work",
            pattern: json!({"detail-type": [detail_type]}),
        }],
        reads: vec![],
        owns: vec![ascent_core::agent::owns(Domain::Interaction, "")],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }
}

#[async_trait]
impl Agent for Desk {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }
    async fn handle(&self, event: &Event, _ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        self.clock.advance(chrono::Duration::milliseconds(300));
        let Payload::LeadCreated(l) = event.payload() else {
            return Err(AgentError::Invalid("not a lead".into()));
        };
        if l.lead_id == "lead-flaky" && !self.failed.swap(true, Ordering::Relaxed) {
            return Err(AgentError::Transient("the desk's system is busy".into()));
        }
        Ok(())
    }
}

/// An agent nothing is ever sent to.
struct Idle(AgentDecl);

#[async_trait]
impl Agent for Idle {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }
    async fn handle(&self, _: &Event, _: &mut Ctx<'_>) -> Result<(), AgentError> {
        Ok(())
    }
}

fn lead(id: &str, t: DateTime<Utc>) -> Event {
    Event::new(
        "ascent.crm",
        Actor::system("crm"),
        t,
        LeadCreated {
            lead_id: id.into(),
            email: format!("{id}@example.com"),
            full_name: "Dana Reyes".into(),
            company: "Example Robotics".into(),
            company_size: 120,
            industry: "manufacturing".into(),
            role: "CTO".into(),
            country: None,
            channel: "web".into(),
            phone: None,
            time_zone: None,
        },
    )
}

fn observations(rt: &Runtime) -> Vec<QueueDepthObserved> {
    rt.archived("QueueDepthObserved")
        .unwrap()
        .into_iter()
        .map(|e| match e.payload() {
            Payload::QueueDepthObserved(o) => o.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn each_window_end_reports_the_agents_queue_with_exact_figures() {
    // Given a desk with an idle neighbour, on a manual clock.
    let clock = ManualClock::new(at("2026-03-02T09:10:00Z"));
    let store = Arc::new(crate::Store::in_memory(Arc::new(clock.clone())).unwrap());
    let desk = Desk {
        decl: decl("desk", "LeadCreated"),
        clock: clock.clone(),
        failed: AtomicBool::new(false),
    };
    let idle = Idle(decl("idle", "LeadScored"));
    let agents: Vec<Arc<dyn Agent>> = vec![Arc::new(desk), Arc::new(idle)];
    let rt = Runtime::new(store, agents, crate::TwinConfig::default()).unwrap();
    let drain = || block_on(rt.drain(|t| clock.set(t))).unwrap();

    // When 5 messages arrive at 09:10 (one failing once) and are worked off, and 2 more arrive
    // at 09:50 with nobody to take them before 10:00.
    let first: Vec<Event> = ["lead-1", "lead-2", "lead-flaky", "lead-4", "lead-5"]
        .iter()
        .map(|id| lead(id, clock.now()))
        .collect();
    rt.ingest(&first).unwrap();
    drain();
    clock.set(at("2026-03-02T09:50:00Z"));
    rt.ingest(&[lead("lead-6", clock.now()), lead("lead-7", clock.now())])
        .unwrap();
    clock.set(at("2026-03-02T10:00:00Z"));
    assert_eq!(
        rt.observe_queues(at("2026-03-02T10:00:00Z"), 60).unwrap(),
        1
    );

    // Then the desk's hour: 7 arrived, 5 handled, 2 waiting; 6 receives (the retry is one) of
    // 300 ms each. The idle agent is not reported.
    let seen = observations(&rt);
    assert_eq!(
        seen,
        vec![QueueDepthObserved {
            agent: "desk".into(),
            depth: 2,
            arrived: 7,
            handled: 5,
            mean_handling_ms: 300.0,
            window_seconds: 3600,
            observed_at: at("2026-03-02T10:00:00Z"),
        }]
    );
    let e = &rt.archived("QueueDepthObserved").unwrap()[0];
    assert_eq!(e.source, "ascent.system");
    // The same end observed again (a restart, a retried tick) publishes nothing.
    assert_eq!(
        rt.observe_queues(at("2026-03-02T10:00:00Z"), 60).unwrap(),
        0
    );

    // When the two are handled at 10:30, the next hour has nothing new arriving.
    clock.set(at("2026-03-02T10:30:00Z"));
    drain();
    clock.set(at("2026-03-02T11:00:00Z"));
    rt.observe_queues(at("2026-03-02T11:00:00Z"), 60).unwrap();
    let last = observations(&rt).pop().unwrap();
    assert_eq!(
        (
            last.depth,
            last.arrived,
            last.handled,
            last.mean_handling_ms
        ),
        (0, 0, 2, 300.0)
    );

    // Then a quiet hour is reported once (the plan comes down), and no more while quiet.
    assert_eq!(
        rt.observe_queues(at("2026-03-02T12:00:00Z"), 60).unwrap(),
        1
    );
    let quiet = observations(&rt).pop().unwrap();
    assert_eq!(
        (quiet.arrived, quiet.handled, quiet.mean_handling_ms),
        (0, 0, 0.0)
    );
    assert_eq!(
        rt.observe_queues(at("2026-03-02T13:00:00Z"), 60).unwrap(),
        0
    );
    assert!(observations(&rt).iter().all(|o| o.agent == "desk"));
}

#[test]
fn a_jumping_clock_observes_every_window_end_it_passes() {
    // Given a desk that handled 3 messages at 18:00.
    let clock = ManualClock::new(at("2026-03-02T18:00:00Z"));
    let store = Arc::new(crate::Store::in_memory(Arc::new(clock.clone())).unwrap());
    let desk = Desk {
        decl: decl("desk", "LeadCreated"),
        clock: clock.clone(),
        failed: AtomicBool::new(true),
    };
    // And a planner taking the observations, as the Operations Manager does.
    let planner = Idle(decl("planner", "QueueDepthObserved"));
    let agents: Vec<Arc<dyn Agent>> = vec![Arc::new(desk), Arc::new(planner)];
    let rt = Runtime::new(store, agents, crate::TwinConfig::default()).unwrap();
    let leads: Vec<Event> = (1..=3)
        .map(|i| lead(&format!("lead-{i}"), clock.now()))
        .collect();
    block_on(rt.ingest_and_drain(&leads, |t| clock.set(t))).unwrap();

    // When the clock jumps to 06:00 the next morning.
    let last = block_on(rt.observe_queues_until(
        at("2026-03-02T18:00:00Z"),
        at("2026-03-03T06:00:00Z"),
        60,
        |t| clock.set(t),
    ))
    .unwrap();

    // Then the 19:00 window holds the evening's work and 20:00 the quiet one; the planner,
    // which only handled those observations, is never reported; the twelve ends are passed and
    // the clock stands at the last.
    assert_eq!(last, at("2026-03-03T06:00:00Z"));
    assert_eq!(clock.now(), at("2026-03-03T06:00:00Z"));
    let seen = observations(&rt);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        (seen[0].observed_at, seen[0].arrived, seen[0].handled),
        (at("2026-03-02T19:00:00Z"), 3, 3)
    );
    assert_eq!(
        (seen[1].observed_at, seen[1].arrived, seen[1].handled),
        (at("2026-03-02T20:00:00Z"), 0, 0)
    );
    assert!(seen.iter().all(|o| o.agent == "desk"));
    let planner = rt
        .status()
        .unwrap()
        .agents
        .into_iter()
        .find(|a| a.agent == "planner")
        .unwrap();
    assert_eq!(planner.handled, 2, "the planner took both observations");
}

#[test]
fn a_round_after_an_idle_one_is_skipped_until_something_is_written() {
    // Given a desk whose queue was worked off, observed once (reported), then idle rounds.
    let clock = ManualClock::new(at("2026-03-02T09:10:00Z"));
    let store = Arc::new(crate::Store::in_memory(Arc::new(clock.clone())).unwrap());
    let desk = Desk {
        decl: decl("desk", "LeadCreated"),
        clock: clock.clone(),
        failed: AtomicBool::new(false),
    };
    let rt = Runtime::new(store, vec![Arc::new(desk)], crate::TwinConfig::default()).unwrap();
    let drain = || block_on(rt.drain(|t| clock.set(t))).unwrap();
    rt.ingest(&[lead("lead-1", clock.now())]).unwrap();
    drain();
    let round = |end: &str| {
        clock.set(at(end));
        rt.observe_queues(at(end), 60).unwrap()
    };
    // Reported busy at 10:00, then once more as quiet at 11:00; quiet since.
    assert_eq!(round("2026-03-02T10:00:00Z"), 1);
    assert_eq!(round("2026-03-02T11:00:00Z"), 1);
    assert_eq!(round("2026-03-02T12:00:00Z"), 0);
    let changes = || rt.store().read(|c| Ok(c.total_changes())).unwrap();
    let idle = changes();
    assert_eq!(round("2026-03-02T13:00:00Z"), 0);
    assert_eq!(changes(), idle, "an idle round writes nothing");
    // When a lead arrives and waits, the next round sees it.
    rt.ingest(&[lead("lead-2", clock.now())]).unwrap();
    assert_eq!(round("2026-03-02T14:00:00Z"), 1);
    assert_eq!(observations(&rt).last().map(|o| o.depth), Some(1));
}
