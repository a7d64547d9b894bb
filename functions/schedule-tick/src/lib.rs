//! # Schedule tick
//!
//! EventBridge Scheduler (daily at `[schedule] daily_at` of `ascent.toml`, 06:00 UTC shipped,
//! written into `infra/template.yaml` by `ascent infra`; hourly on the hour) invokes this
//! function; it puts the `ScheduleTick` the agents' daily and hourly rules match (dunning,
//! reminders, outreach steps, reimbursement batches, the month close, SLA timers) on the bus.
//! The event id comes from the schedule's name and scheduled time, so Scheduler's retries are
//! one tick. The time is a deploy-time setting: this function never reads it.

use ascent_core::catalog::ScheduleTick;
use ascent_core::ports::EventBus;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// What the schedule's target input carries.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Invocation {
    pub schedule: String,
    /// The scheduled time (`<aws.scheduler.scheduled-time>`), not the time of the invocation.
    pub at: DateTime<Utc>,
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
            at: inv.at,
        };
        assert!(fire(&bus, &bad).await.is_err());
    }
}
