//! Capacity planning as a pure decision: from one queue observation (depth, arrivals, mean
//! handling time over a window) the concurrency an agent needs by Little's law — the workers
//! busy at once are the arrival rate times the mean handling time — plus what works off the
//! backlog within `drain_minutes`, divided by the target utilisation, rounded up and kept
//! within the configured minimum and maximum.

use crate::settings::Capacity;
use ascent_core::catalog::QueueDepthObserved;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An observation that cannot be planned from; names the field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BadObservation {
    #[error("field `agent` is empty")]
    NoAgent,
    #[error("field `window_seconds` is 0: no rate over no time")]
    EmptyWindow,
    #[error("field `mean_handling_ms` must be a finite duration of 0 or more")]
    HandlingTime,
}

/// The recommended concurrency of one agent, with the figures it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub agent: String,
    pub observed_at: DateTime<Utc>,
    pub depth: u64,
    /// Messages arriving per second over the window.
    pub arrival_per_s: f64,
    /// Mean handling time, seconds.
    pub mean_handling_s: f64,
    /// Workers busy at once to keep up and work off the backlog (before utilisation).
    pub busy_workers: f64,
    pub recommended: u32,
}

/// Rounded to a millionth, so that 3.5 / 0.7 is 5 and not 5.000000000000001.
fn tidy(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The concurrency `obs` calls for under `c`.
pub fn recommend(obs: &QueueDepthObserved, c: &Capacity) -> Result<Recommendation, BadObservation> {
    if obs.agent.trim().is_empty() {
        return Err(BadObservation::NoAgent);
    }
    if obs.window_seconds == 0 {
        return Err(BadObservation::EmptyWindow);
    }
    if !obs.mean_handling_ms.is_finite() || obs.mean_handling_ms < 0.0 {
        return Err(BadObservation::HandlingTime);
    }
    let arrival_per_s = obs.arrived as f64 / f64::from(obs.window_seconds);
    let drain_per_s = obs.depth as f64 / (f64::from(c.drain_minutes) * 60.0);
    let mean_handling_s = obs.mean_handling_ms / 1000.0;
    let busy_workers = tidy((arrival_per_s + drain_per_s) * mean_handling_s);
    let needed = tidy(busy_workers / c.target_utilisation).ceil();
    let recommended = if needed >= f64::from(c.max_concurrency) {
        c.max_concurrency
    } else {
        (needed as u32).max(c.min_concurrency)
    };
    Ok(Recommendation {
        agent: obs.agent.clone(),
        observed_at: obs.observed_at,
        depth: obs.depth,
        arrival_per_s,
        mean_handling_s,
        busy_workers,
        recommended,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn capacity() -> Capacity {
        Capacity {
            target_utilisation: 0.7,
            drain_minutes: 15,
            min_concurrency: 2,
            max_concurrency: 50,
            maximum_concurrency: BTreeMap::new(),
        }
    }

    fn seen(
        depth: u64,
        arrived: u64,
        mean_handling_ms: f64,
        window_seconds: u32,
    ) -> QueueDepthObserved {
        QueueDepthObserved {
            agent: "support".into(),
            depth,
            arrived,
            handled: arrived,
            mean_handling_ms,
            window_seconds,
            observed_at: "2026-03-02T09:05:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn littles_law_with_the_backlog_and_headroom() {
        // 1,800 arrivals in 300 s: 6/s; 900 waiting worked off in 15 min: +1/s; 0.5 s each:
        // 3.5 workers busy; at 70% utilisation 3.5 / 0.7 = 5.
        let r = recommend(&seen(900, 1800, 500.0, 300), &capacity()).unwrap();
        assert_eq!(r.arrival_per_s, 6.0);
        assert_eq!(r.busy_workers, 3.5);
        assert_eq!(r.recommended, 5);
        // No backlog: 6/s × 0.5 s = 3 busy; 3 / 0.7 = 4.29, rounded up to 5.
        let r = recommend(&seen(0, 1800, 500.0, 300), &capacity()).unwrap();
        assert_eq!(r.recommended, 5);
        // 6/s × 0.25 s = 1.5 busy; 1.5 / 0.7 = 2.14: 3.
        let r = recommend(&seen(0, 1800, 250.0, 300), &capacity()).unwrap();
        assert_eq!(r.recommended, 3);
    }

    #[test]
    fn recommendations_stay_within_the_configured_range() {
        // An idle queue still gets the minimum.
        assert_eq!(
            recommend(&seen(0, 0, 0.0, 300), &capacity())
                .unwrap()
                .recommended,
            2
        );
        // 100/s × 2 s = 200 busy: capped at 50.
        let r = recommend(&seen(0, 30_000, 2000.0, 300), &capacity()).unwrap();
        assert_eq!((r.busy_workers, r.recommended), (200.0, 50));
    }

    #[test]
    fn an_observation_without_a_window_or_with_a_bad_time_is_refused_by_field() {
        let e = recommend(&seen(1, 1, 500.0, 0), &capacity()).unwrap_err();
        assert!(e.to_string().contains("window_seconds"));
        let e = recommend(&seen(1, 1, f64::NAN, 60), &capacity()).unwrap_err();
        assert!(e.to_string().contains("mean_handling_ms"));
        let e = recommend(&seen(1, 1, -3.0, 60), &capacity()).unwrap_err();
        assert!(e.to_string().contains("mean_handling_ms"));
        let mut o = seen(1, 1, 1.0, 60);
        o.agent = " ".into();
        assert!(
            recommend(&o, &capacity())
                .unwrap_err()
                .to_string()
                .contains("agent")
        );
    }
}
