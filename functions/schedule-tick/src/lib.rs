//! # Schedule tick
//!
//! EventBridge Scheduler (daily at `[schedule] daily_at` of `ascent.toml`, 06:00 UTC shipped,
//! written into `infra/template.yaml` by `ascent infra`; hourly on the hour) invokes this
//! function; it puts the `ScheduleTick` the agents' daily and hourly rules match (dunning,
//! reminders, outreach steps, reimbursement batches, the month close, SLA timers) on the bus.
//! The event id comes from the schedule's name and scheduled time, so Scheduler's retries are
//! one tick. The time is a deploy-time setting: this function never reads it.
//!
//! The schedule `queues` (every `[schedule] queue_observation_minutes`) is no tick: it observes
//! each agent's queue over the window ending at the scheduled time (SQS depth, CloudWatch
//! arrivals, deletions, receives and the function's duration, through the
//! [`QueueMetrics`] port) and puts one `QueueDepthObserved` per agent on the bus, the figures
//! the Operations Manager plans concurrency from. Its input names the window's minutes and the
//! agents with their queue classes (written by `ascent infra` from the declarations).
//!
//! The daily and hourly runs also seal the audit trail's finished days
//! ([`ascent_aws::audit_seal`]): a bounded number of pages a run, the next run going on where
//! it stopped, so sealing keeps up with any volume and no run depends on how much was audited.

use ascent_core::catalog::ScheduleTick;
use ascent_core::ports::EventBus;
use ascent_core::queues::{QueueMetrics, observe_all};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The schedule that observes the queues instead of ticking.
pub const QUEUE_OBSERVATION: &str = "queues";

/// What the schedule's target input carries.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Invocation {
    pub schedule: String,
    /// The scheduled time (`<aws.scheduler.scheduled-time>`), not the time of the invocation.
    pub at: DateTime<Utc>,
    /// `queues` only: the window's length, minutes.
    #[serde(default)]
    pub minutes: u32,
    /// `queues` only: each observed agent's queue class (`support` → `priority`).
    #[serde(default)]
    pub queues: BTreeMap<String, String>,
}

/// Observes the queues the invocation names over the window ending at its time; returns how
/// many observations were put on the bus.
pub async fn observe(
    bus: &dyn EventBus,
    metrics: &dyn QueueMetrics,
    inv: &Invocation,
) -> Result<String, String> {
    if inv.minutes == 0 || 60 % inv.minutes != 0 {
        return Err(format!(
            "field `minutes` is {}: a divisor of 60 is needed",
            inv.minutes
        ));
    }
    if inv.queues.is_empty() {
        return Err("field `queues` names no agent".into());
    }
    let agents: Vec<String> = inv.queues.keys().cloned().collect();
    let seen = observe_all(metrics, bus, &agents, inv.at, inv.minutes)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!("{} queue(s) observed", seen.len()))
}

/// Whether a run of `schedule` also seals the audit trail (the daily and hourly runs: a day
/// too large for one run is finished by the next hours').
pub fn seals_audit(schedule: &str) -> bool {
    matches!(schedule, "daily" | "hourly")
}

/// Puts the tick on the bus; returns its event id.
pub async fn fire(bus: &dyn EventBus, inv: &Invocation) -> Result<String, String> {
    if inv.schedule.trim().is_empty() {
        return Err("the invocation names no schedule".into());
    }
    let event = ScheduleTick::event(&inv.schedule, inv.at);
    bus.publish(std::slice::from_ref(&event))
        .await
        .map_err(|e| e.to_string())?;
    Ok(event.detail.event_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::event::Event;
    use ascent_core::ports::BusError;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<Event>>);

    #[async_trait::async_trait]
    impl EventBus for Recorded {
        async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
            self.0.lock().unwrap().extend_from_slice(events);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_retried_invocation_is_the_same_tick() {
        let bus = Recorded::default();
        let inv: Invocation =
            serde_json::from_str(r#"{"schedule": "daily", "at": "2026-03-02T06:00:00Z"}"#).unwrap();
        let a = fire(&bus, &inv).await.unwrap();
        let b = fire(&bus, &inv).await.unwrap();
        assert_eq!(a, b);
        let first = bus.0.lock().unwrap()[0].clone();
        assert_eq!(first.detail_type(), "ScheduleTick");
        assert_eq!(first.source, "ascent.scheduler");
        assert_eq!(first.time, inv.at);
        let bad = Invocation {
            schedule: " ".into(),
            ..inv.clone()
        };
        assert!(fire(&bus, &bad).await.is_err());
    }

    #[test]
    fn the_daily_and_hourly_runs_seal_the_audit_trail() {
        assert!(seals_audit("daily") && seals_audit("hourly"));
        assert!(!seals_audit("sla") && !seals_audit(QUEUE_OBSERVATION));
    }

    /// Support's hour as CloudWatch would give it, and a quiet billing queue.
    struct Figures;

    #[async_trait::async_trait]
    impl QueueMetrics for Figures {
        async fn window(
            &self,
            agent: &str,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<ascent_core::queues::QueueWindow, ascent_core::queues::MetricsError> {
            assert_eq!((to - from).num_minutes(), 60);
            Ok(match agent {
                "support" => ascent_core::queues::QueueWindow {
                    depth: 2,
                    arrived: 7,
                    handled: 5,
                    receives: 5,
                    handling_us: 2_000_000,
                },
                _ => Default::default(),
            })
        }
    }

    #[tokio::test]
    async fn the_queues_schedule_puts_one_observation_per_named_agent() {
        let bus = Recorded::default();
        let inv: Invocation = serde_json::from_str(
            r#"{"schedule": "queues", "at": "2026-03-02T10:00:00Z", "minutes": 60,
                "queues": {"support": "priority", "billing": "priority"}}"#,
        )
        .unwrap();
        assert_eq!(
            observe(&bus, &Figures, &inv).await.unwrap(),
            "2 queue(s) observed"
        );
        let events = bus.0.lock().unwrap().clone();
        let support = events
            .iter()
            .find_map(|e| match e.payload() {
                ascent_core::catalog::Payload::QueueDepthObserved(o) if o.agent == "support" => {
                    Some(o.clone())
                }
                _ => None,
            })
            .unwrap();
        assert_eq!((support.depth, support.arrived, support.handled), (2, 7, 5));
        assert_eq!(support.mean_handling_ms, 400.0);
        assert_eq!(support.window_seconds, 3600);
        assert!(events.iter().all(|e| e.source == "ascent.system"));

        let bad_window = Invocation {
            minutes: 45,
            ..inv.clone()
        };
        let e = observe(&bus, &Figures, &bad_window).await.unwrap_err();
        assert!(e.contains("`minutes`"), "{e}");
        let nobody = Invocation {
            queues: BTreeMap::new(),
            ..inv
        };
        let e = observe(&bus, &Figures, &nobody).await.unwrap_err();
        assert!(e.contains("`queues`"), "{e}");
        assert_eq!(bus.0.lock().unwrap().len(), 2);
    }
}
