//! Queue observations, the same in both homes: an agent's queue over a window (what arrived,
//! what was handled, how long its receives took, what waits at the window's end) becomes the
//! `QueueDepthObserved` the Operations Manager plans concurrency from. The twin counts from its
//! own tables (`ascent_embedded::queue_observations`); on AWS the [`QueueMetrics`] port reads
//! SQS and CloudWatch (`ascent_aws::queue_metrics`) and the schedule function calls
//! [`observe_all`] once a window.

use crate::catalog::QueueDepthObserved;
use crate::event::{Actor, Event, name_uuid};
use crate::ports::EventBus;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// One agent's queue over one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueWindow {
    /// Messages visible in the queue at the window's end, waiting for a worker.
    pub depth: u64,
    /// Messages that arrived in the queue during the window.
    pub arrived: u64,
    /// Messages handled (and so deleted from the queue) during the window.
    pub handled: u64,
    /// Receives during the window (handled, duplicates, failures): what the handling time is
    /// spread over.
    pub receives: u64,
    /// Time spent handling those receives, microseconds.
    pub handling_us: u64,
}

impl QueueWindow {
    /// Nothing arrived, nothing was received, nothing waits.
    pub fn is_quiet(&self) -> bool {
        self.depth == 0 && self.arrived == 0 && self.receives == 0 && self.handled == 0
    }

    /// Mean time of one receive, milliseconds (0 when nothing was received).
    pub fn mean_handling_ms(&self) -> f64 {
        if self.receives == 0 {
            return 0.0;
        }
        self.handling_us as f64 / self.receives as f64 / 1000.0
    }

    /// The observation of `agent`'s queue over the window of `window_seconds` ending `at`.
    pub fn observed(
        &self,
        agent: &str,
        window_seconds: u32,
        at: DateTime<Utc>,
    ) -> QueueDepthObserved {
        QueueDepthObserved {
            agent: agent.into(),
            depth: self.depth,
            arrived: self.arrived,
            handled: self.handled,
            mean_handling_ms: self.mean_handling_ms(),
            window_seconds,
            observed_at: at,
        }
    }
}

/// Whether a window is worth an event where the observer remembers the last one (the twin):
/// a quiet window after a quiet one says nothing new, so an idle agent costs one event when it
/// falls idle and none while it stays so.
pub fn worth_reporting(previous_was_quiet: bool, w: &QueueWindow) -> bool {
    !(previous_was_quiet && w.is_quiet())
}

/// The end of the window `at` falls in when windows are `minutes` long and start on the hour
/// (`minutes` a divisor of 60, as `[schedule] queue_observation_minutes` is validated).
pub fn window_end_at_or_before(at: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
    let step = i64::from(minutes.max(1)) * 60;
    let secs = at.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(step), 0).unwrap_or(at)
}

/// The window ends after `after` up to `until`, oldest first.
pub fn window_ends(after: DateTime<Utc>, until: DateTime<Utc>, minutes: u32) -> Vec<DateTime<Utc>> {
    let step = Duration::minutes(i64::from(minutes.max(1)));
    let mut end = window_end_at_or_before(after, minutes) + step;
    let mut out = Vec::new();
    while end <= until {
        out.push(end);
        end += step;
    }
    out
}

impl QueueDepthObserved {
    /// The observation as an event from `ascent.system`; its id is derived from the agent and
    /// the window's end, so an observation made twice (a retried schedule, a restart) is one.
    pub fn event(self) -> Event {
        let id = name_uuid(&format!(
            "queue-depth|{}|{}",
            self.agent,
            self.observed_at.to_rfc3339()
        ));
        let at = self.observed_at;
        Event::with_ids(
            crate::producers::SYSTEM_SOURCE,
            Actor::system("queues"),
            at,
            self,
            id,
            id,
            None,
        )
    }
}

/// The queue figures could not be read.
#[derive(Debug, thiserror::Error)]
#[error("queue metrics of `{agent}`: {reason}")]
pub struct MetricsError {
    pub agent: String,
    pub reason: String,
}

/// Where the figures of a queue over a window come from (SQS and CloudWatch on AWS).
#[async_trait]
pub trait QueueMetrics: Send + Sync {
    /// `agent`'s queue over the window `[from, to)`, its depth read now.
    async fn window(
        &self,
        agent: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<QueueWindow, MetricsError>;
}

/// Why a round of observations failed.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error("publishing the observations: {0}")]
    Bus(#[from] crate::ports::BusError),
}

/// Observes each agent's queue over the `minutes`-long window ending `at` and publishes one
/// `QueueDepthObserved` per agent (every agent, quiet or not: a stateless observer cannot
/// tell a quiet window from the last one). One read per agent, one event per agent.
pub async fn observe_all(
    metrics: &dyn QueueMetrics,
    bus: &dyn EventBus,
    agents: &[String],
    at: DateTime<Utc>,
    minutes: u32,
) -> Result<Vec<QueueDepthObserved>, ObserveError> {
    let from = at - Duration::minutes(i64::from(minutes));
    let mut seen = Vec::with_capacity(agents.len());
    for agent in agents {
        let w = metrics.window(agent, from, at).await?;
        seen.push(w.observed(agent, minutes * 60, at));
    }
    let events: Vec<Event> = seen
        .iter()
        .cloned()
        .map(QueueDepthObserved::event)
        .collect();
    bus.publish(&events).await?;
    Ok(seen)
}

#[cfg(test)]
mod tests;
