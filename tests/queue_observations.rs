//! Queue observations end to end in the twin: Support's queue over an hour (7 tickets in, 5
//! handled at six minutes each, 2 waiting at 10:00) becomes a `QueueDepthObserved` from the
//! platform, and the Operations Manager's capacity record holds the concurrency it calls for.

use ascent_core::agent::{Agent, AgentDecl, AgentError, Domain};
use ascent_core::catalog::{Payload, QueueDepthObserved, TicketOpened};
use ascent_core::context::Ctx;
use ascent_core::event::{Actor, Event};
use ascent_core::ports::ManualClock;
use ascent_embedded::testkit::TestTwin;
use ascent_embedded::{Runtime, Store, TwinConfig};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The real Support agent, each message taking six minutes of the manual clock (the twin
/// measures handling time with its clock).
struct SixMinutesATicket {
    support: Arc<dyn Agent>,
    clock: ManualClock,
}

#[async_trait]
impl Agent for SixMinutesATicket {
    fn declaration(&self) -> &AgentDecl {
        self.support.declaration()
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        self.clock.advance(Duration::minutes(6));
        self.support.handle(event, ctx).await
    }
}

fn ticket(n: u32, t: DateTime<Utc>) -> Event {
    Event::new(
        "ascent.support",
        Actor::system("support-desk"),
        t,
        TicketOpened {
            ticket_id: format!("T-{n}"),
            account_id: "A-100".into(),
            subject: format!("Headset {n} does not pair"),
            body: "The headset does not pair since this morning's update.".into(),
            channel: "email".into(),
            requester: Some("it@northwind.example".into()),
            created_at: Some(t),
        },
    )
}

fn twin() -> TestTwin {
    let clock = ManualClock::new(at("2026-03-02T09:05:00Z"));
    let agents: Vec<Arc<dyn Agent>> = ascent::agents::all()
        .into_iter()
        .filter_map(|a| match a.declaration().name {
            "support" => Some(Arc::new(SixMinutesATicket {
                support: a,
                clock: clock.clone(),
            }) as Arc<dyn Agent>),
            "operations-manager" => Some(a),
            _ => None,
        })
        .collect();
    let store = Arc::new(Store::in_memory(Arc::new(clock.clone())).unwrap());
    let runtime = Runtime::new(store, agents, TwinConfig::default()).unwrap();
    TestTwin { runtime, clock }
}

fn observation(t: &TestTwin, agent: &str) -> QueueDepthObserved {
    t.emitted("QueueDepthObserved")
        .into_iter()
        .find_map(|e| match e.payload() {
            Payload::QueueDepthObserved(o) if o.agent == agent => Some(o.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no observation of {agent}"))
}

#[test]
fn supports_hour_becomes_an_observation_and_a_recommended_concurrency() {
    // Given five tickets at 09:05, worked off at six minutes each (until 09:35), and two more
    // at 09:50 that nobody takes before 10:00.
    let t = twin();
    let first: Vec<Event> = (1..=5).map(|n| ticket(n, t.now())).collect();
    t.runtime.ingest(&first).unwrap();
    t.drain();
    assert_eq!(t.now(), at("2026-03-02T09:35:00Z"));
    t.clock.set(at("2026-03-02T09:50:00Z"));
    t.runtime
        .ingest(&[ticket(6, t.now()), ticket(7, t.now())])
        .unwrap();

    // When the hour's window ends at 10:00 and the queues are observed.
    t.clock.set(at("2026-03-02T10:00:00Z"));
    t.runtime
        .observe_queues(at("2026-03-02T10:00:00Z"), 60)
        .unwrap();
    let seen = t.emitted("QueueDepthObserved");
    assert!(seen.iter().all(|e| e.source == "ascent.system"));
    t.drain();

    // Then Support's hour: 7 arrived, 5 handled, 2 waiting, 6 minutes (360,000 ms) a ticket.
    assert_eq!(
        observation(&t, "support"),
        QueueDepthObserved {
            agent: "support".into(),
            depth: 2,
            arrived: 7,
            handled: 5,
            mean_handling_ms: 360_000.0,
            window_seconds: 3600,
            observed_at: at("2026-03-02T10:00:00Z"),
        }
    );
    // The Operations Manager got the same tickets (its first-response clocks) at no time on
    // the clock: 7 in, 5 handled, 2 waiting.
    let om = observation(&t, "operations-manager");
    assert_eq!((om.arrived, om.handled, om.depth), (7, 5, 2));
    assert_eq!(om.mean_handling_ms, 0.0);

    // And the capacity record: 7 / 3600 arrivals a second, plus the 2 waiting worked off in the
    // shipped 15 minutes (2 / 900 a second), times 360 s: 1.5 workers busy; / 0.7 = 2.14,
    // rounded up: 3. The Operations Manager's own queue, handled in no time, gets the minimum 2.
    let support = t
        .get(Domain::Performance, "ops-manager#capacity", "support")
        .expect("support's recommendation");
    assert_eq!(support["recommended"], 3, "{support}");
    assert_eq!(support["busy_workers"], 1.5, "{support}");
    assert_eq!(support["depth"], 2, "{support}");
    assert_eq!(support["mean_handling_s"], 360.0, "{support}");
    let own = t
        .get(
            Domain::Performance,
            "ops-manager#capacity",
            "operations-manager",
        )
        .expect("the operations manager's own recommendation");
    assert_eq!(own["recommended"], 2, "{own}");
    assert_eq!(t.runtime.status().unwrap().dead_letters, 0);
}
