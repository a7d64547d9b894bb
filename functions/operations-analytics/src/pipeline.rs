//! The open pipeline: the value of every deal not yet won or lost. Each deal's last known value
//! and state is one record (`ops-analytics#deal#<id>`); a change moves the pipeline by the
//! difference of the deal's open value before and after it, on the day it is processed (the
//! pipeline series is the level as known at the end of each day). A change older than the
//! deal's last one is out of order and ignored. A deal's value is the amount of its latest stage
//! change that has one, or the total of its latest proposal (`ProposalSent`, after discount),
//! whichever came last; a stage change without an amount keeps it.

use crate::{OperationsAnalytics, PREFIX};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{DealStage, OperationsSeries};
use ascent_core::context::Ctx;
use ascent_core::ports::Condition;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A deal as the pipeline knows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    /// Its value in minor units of the base currency.
    pub value: i64,
    /// Neither won nor lost.
    pub open: bool,
    /// When its latest change happened.
    pub as_of: DateTime<Utc>,
    pub version: u32,
}

impl Deal {
    fn open_value(&self) -> i64 {
        if self.open { self.value } else { 0 }
    }
}

/// What happened to a deal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Change {
    /// It moved to a stage, with its value when the CRM gave one.
    Stage {
        stage: DealStage,
        value: Option<i64>,
    },
    /// A proposal was sent for it: its total is the deal's value (an open deal stays open, a
    /// closed one closed).
    Valued(i64),
    /// It was won or lost.
    Closed,
}

/// The deal after `change` at `at` and how much the open pipeline moves; `None` for a change
/// older than the deal's latest.
pub fn apply(previous: Option<&Deal>, change: Change, at: DateTime<Utc>) -> Option<(Deal, i64)> {
    if previous.is_some_and(|p| p.as_of > at) {
        return None;
    }
    let known = previous.map_or(0, |p| p.value);
    let (value, open) = match change {
        Change::Stage { stage, value } => (
            value.unwrap_or(known),
            !matches!(stage, DealStage::ClosedWon | DealStage::ClosedLost),
        ),
        Change::Valued(value) => (value, previous.is_none_or(|p| p.open)),
        Change::Closed => (known, false),
    };
    let deal = Deal {
        value,
        open,
        as_of: at,
        version: previous.map_or(0, |p| p.version) + 1,
    };
    let delta = deal.open_value() - previous.map_or(0, Deal::open_value);
    Some((deal, delta))
}

impl OperationsAnalytics {
    pub(crate) async fn on_deal(
        &self,
        ctx: &mut Ctx<'_>,
        deal_id: &str,
        change: Change,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        if deal_id.trim().is_empty() {
            return Err(AgentError::Invalid("deal_id: must not be empty".into()));
        }
        let pk = format!("{PREFIX}deal#{deal_id}");
        let previous = ctx.get_as::<Deal>(Domain::Performance, &pk, "deal").await?;
        let Some((deal, delta)) = apply(previous.as_ref(), change, at) else {
            return Ok(());
        };
        let today = self.day_of(ctx.now());
        if delta != 0 {
            self.add(ctx, OperationsSeries::Pipeline, today, delta)
                .await?;
        }
        let condition = Condition::version(previous.map(|p| p.version));
        if deal.open {
            ctx.put_record(Domain::Performance, &pk, "deal", &deal, None, condition)
        } else {
            // A closed deal is kept as long as the history, against late changes.
            self.put_dated(ctx, &pk, "deal", &deal, today, condition)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_pipeline_moves_by_the_open_value_before_and_after() {
        let t1 = at("2026-03-02T10:00:00Z");
        let proposal = |value| Change::Stage {
            stage: DealStage::Proposal,
            value,
        };
        // A new deal of 50,000.00 opens the pipeline by it.
        let (d1, delta) = apply(None, proposal(Some(5_000_000)), t1).unwrap();
        assert_eq!((d1.value, d1.open, delta), (5_000_000, true, 5_000_000));
        // Negotiated down to 42,400.00: −7,600.00.
        let t2 = at("2026-03-05T10:00:00Z");
        let (d2, delta) = apply(Some(&d1), proposal(Some(4_240_000)), t2).unwrap();
        assert_eq!(delta, -760_000);
        // A stage change without an amount keeps the value: no move.
        let negotiation = Change::Stage {
            stage: DealStage::Negotiation,
            value: None,
        };
        let (d3, delta) = apply(Some(&d2), negotiation, t2).unwrap();
        assert_eq!((d3.value, delta), (4_240_000, 0));
        // Won: the whole value leaves the pipeline; a second close moves nothing.
        let t3 = at("2026-03-09T10:00:00Z");
        let (d4, delta) = apply(Some(&d3), Change::Closed, t3).unwrap();
        assert_eq!((d4.open, delta), (false, -4_240_000));
        let (_, delta) = apply(Some(&d4), Change::Closed, t3).unwrap();
        assert_eq!(delta, 0);
        // A late stage change from before the win does not reopen it.
        assert_eq!(apply(Some(&d4), proposal(None), t2), None);
        // A stage change to closed_lost closes it too.
        let lost = Change::Stage {
            stage: DealStage::ClosedLost,
            value: Some(100),
        };
        let (d5, delta) = apply(Some(&d1), lost, t3).unwrap();
        assert_eq!((d5.open, delta), (false, -5_000_000));
        // A deal first seen closed never was in the pipeline.
        assert_eq!(apply(None, Change::Closed, t1).unwrap().1, 0);
        // A proposal values a deal seen without an amount; a closed deal stays closed.
        let qualification = Change::Stage {
            stage: DealStage::Qualification,
            value: None,
        };
        let (q, delta) = apply(None, qualification, t1).unwrap();
        assert_eq!((q.value, q.open, delta), (0, true, 0));
        let (p, delta) = apply(Some(&q), Change::Valued(4_320_000), t2).unwrap();
        assert_eq!((p.value, p.open, delta), (4_320_000, true, 4_320_000));
        let (late, delta) = apply(Some(&d4), Change::Valued(1), t3).unwrap();
        assert_eq!((late.open, delta), (false, 0));
    }
}
