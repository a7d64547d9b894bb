//! The observation arithmetic, the windows and the stateless round, on hand-made figures.

use super::*;
use crate::ports::BusError;
use std::collections::BTreeMap;
use std::sync::Mutex;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn the_mean_handling_time_spreads_the_time_over_every_receive() {
    // 7 arrived, 5 handled, 1 retried once (6 receives), 2 left waiting; 1.8 s of handling.
    let w = QueueWindow {
        depth: 2,
        arrived: 7,
        handled: 5,
        receives: 6,
        handling_us: 1_800_000,
    };
    assert_eq!(w.mean_handling_ms(), 300.0);
    let o = w.observed("support", 3600, at("2026-03-02T10:00:00Z"));
    assert_eq!(
        (
            o.agent.as_str(),
            o.depth,
            o.arrived,
            o.handled,
            o.window_seconds
        ),
        ("support", 2, 7, 5, 3600)
    );
    assert_eq!(o.mean_handling_ms, 300.0);
    // Nothing received: no time per receive, not a division by zero.
    assert_eq!(QueueWindow::default().mean_handling_ms(), 0.0);
}

#[test]
fn a_quiet_window_after_a_quiet_one_is_not_reported() {
    let quiet = QueueWindow::default();
    let waiting = QueueWindow {
        depth: 1,
        ..QueueWindow::default()
    };
    assert!(
        worth_reporting(false, &quiet),
        "the first quiet window brings the plan down"
    );
    assert!(!worth_reporting(true, &quiet));
    assert!(
        worth_reporting(true, &waiting),
        "a message waiting is not quiet"
    );
}

#[test]
fn windows_start_on_the_hour() {
    assert_eq!(
        window_end_at_or_before(at("2026-03-02T06:59:59Z"), 60),
        at("2026-03-02T06:00:00Z")
    );
    assert_eq!(
        window_ends(at("2026-03-02T06:00:00Z"), at("2026-03-02T09:30:00Z"), 60),
        vec![
            at("2026-03-02T07:00:00Z"),
            at("2026-03-02T08:00:00Z"),
            at("2026-03-02T09:00:00Z")
        ]
    );
    assert_eq!(
        window_ends(at("2026-03-02T06:07:00Z"), at("2026-03-02T06:45:00Z"), 15),
        vec![
            at("2026-03-02T06:15:00Z"),
            at("2026-03-02T06:30:00Z"),
            at("2026-03-02T06:45:00Z")
        ]
    );
    assert!(window_ends(at("2026-03-02T06:00:00Z"), at("2026-03-02T06:59:00Z"), 60).is_empty());
}

struct Figures(BTreeMap<&'static str, QueueWindow>);

#[async_trait]
impl QueueMetrics for Figures {
    async fn window(
        &self,
        agent: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<QueueWindow, MetricsError> {
        assert_eq!(to - from, Duration::minutes(60));
        self.0.get(agent).copied().ok_or_else(|| MetricsError {
            agent: agent.into(),
            reason: "no such queue".into(),
        })
    }
}

#[derive(Default)]
struct Recorded(Mutex<Vec<Event>>);

#[async_trait]
impl EventBus for Recorded {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        self.0.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

#[test]
fn a_round_publishes_one_observation_per_agent_with_ids_from_the_window() {
    futures::executor::block_on(a_round())
}

async fn a_round() {
    let figures = Figures(BTreeMap::from([
        (
            "support",
            QueueWindow {
                depth: 2,
                arrived: 7,
                handled: 5,
                receives: 5,
                handling_us: 2_500_000,
            },
        ),
        ("billing", QueueWindow::default()),
    ]));
    let bus = Recorded::default();
    let agents = vec!["support".to_string(), "billing".to_string()];
    let end = at("2026-03-02T10:00:00Z");
    let seen = observe_all(&figures, &bus, &agents, end, 60).await.unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].mean_handling_ms, 500.0);
    assert_eq!(seen[1].arrived, 0);
    observe_all(&figures, &bus, &agents, end, 60).await.unwrap();
    let events = bus.0.lock().unwrap().clone();
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.source == "ascent.system"
        && e.detail_type() == "QueueDepthObserved"
        && e.time == end));
    // The same window observed again is the same event (a retried schedule).
    assert_eq!(events[0].detail.event_id, events[2].detail.event_id);
    assert_ne!(events[0].detail.event_id, events[1].detail.event_id);

    let unknown = vec!["support".to_string(), "nobody".to_string()];
    let e = observe_all(&figures, &bus, &unknown, end, 60)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("`nobody`"), "{e}");
    assert_eq!(
        bus.0.lock().unwrap().len(),
        4,
        "nothing published of a failed round"
    );
}
