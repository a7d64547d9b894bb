//! What closed deals teach: per stage, how many deals reached it, how many of those were won,
//! how many moved on, and how long they stayed. Win probabilities blend the learned rate with
//! a default table (a prior worth `prior_weight` deals), so a young pipeline forecasts sensibly
//! and an old one forecasts from its own history.

use ascent_core::catalog::DealStage;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Stages a deal can be open in, in pipeline order.
pub const OPEN_STAGES: [DealStage; 5] = [
    DealStage::Prospecting,
    DealStage::Qualification,
    DealStage::Demo,
    DealStage::Proposal,
    DealStage::Negotiation,
];

pub fn stage_name(s: DealStage) -> &'static str {
    match s {
        DealStage::Prospecting => "prospecting",
        DealStage::Qualification => "qualification",
        DealStage::Demo => "demo",
        DealStage::Proposal => "proposal",
        DealStage::Negotiation => "negotiation",
        DealStage::ClosedWon => "closed_won",
        DealStage::ClosedLost => "closed_lost",
    }
}

/// When a deal entered a stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageVisit {
    pub stage: DealStage,
    pub entered_at: DateTime<Utc>,
}

/// Default win probability per open stage (the prior).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StageDefaults {
    pub probability: BTreeMap<String, f64>,
    /// How many deals of evidence the default is worth.
    pub prior_weight: f64,
}

/// Learned stage statistics (`stats#stages` / `all`, performance domain).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageStats {
    pub reached: BTreeMap<String, u32>,
    pub won: BTreeMap<String, u32>,
    /// Closed deals that left the stage for a later open stage or a win.
    pub advanced: BTreeMap<String, u32>,
    /// Total seconds closed deals spent in the stage, and how many left it.
    pub seconds_in_stage: BTreeMap<String, i64>,
    pub exits: BTreeMap<String, u32>,
    pub deals_learned: u32,
}

fn rank(s: DealStage) -> usize {
    OPEN_STAGES
        .iter()
        .position(|x| *x == s)
        .unwrap_or(usize::MAX)
}

impl StageStats {
    /// Learns from one closed deal's stage history.
    pub fn learn(&mut self, history: &[StageVisit], won: bool, closed_at: DateTime<Utc>) {
        self.count(history, won, closed_at, 1);
    }

    /// Takes back what [`StageStats::learn`] learned from the same arguments (a stale close
    /// the CRM later contradicts).
    pub fn unlearn(&mut self, history: &[StageVisit], won: bool, closed_at: DateTime<Utc>) {
        self.count(history, won, closed_at, -1);
    }

    fn count(&mut self, history: &[StageVisit], won: bool, closed_at: DateTime<Utc>, by: i64) {
        let step = |n: &mut u32, by: i64| *n = n.saturating_add_signed(by as i32);
        step(&mut self.deals_learned, by);
        let mut seen: Vec<DealStage> = Vec::new();
        for (i, v) in history.iter().enumerate() {
            if !OPEN_STAGES.contains(&v.stage) {
                continue;
            }
            let name = stage_name(v.stage).to_string();
            let left_at = history.get(i + 1).map_or(closed_at, |n| n.entered_at);
            let seconds = self.seconds_in_stage.entry(name.clone()).or_default();
            *seconds += by * (left_at - v.entered_at).num_seconds().max(0);
            step(self.exits.entry(name.clone()).or_default(), by);
            if seen.contains(&v.stage) {
                continue; // a deal that went back counts once per stage
            }
            seen.push(v.stage);
            step(self.reached.entry(name.clone()).or_default(), by);
            if won {
                step(self.won.entry(name.clone()).or_default(), by);
            }
            let moved_on = won
                || history[i + 1..].iter().any(|later| {
                    rank(later.stage) > rank(v.stage) && rank(later.stage) != usize::MAX
                });
            if moved_on {
                step(self.advanced.entry(name).or_default(), by);
            }
        }
    }

    /// Win probability of a deal open in `stage`.
    pub fn probability(&self, stage: DealStage, defaults: &StageDefaults) -> f64 {
        let name = stage_name(stage);
        let prior = defaults.probability.get(name).copied().unwrap_or(0.0);
        let reached = self.reached.get(name).copied().unwrap_or(0) as f64;
        let won = self.won.get(name).copied().unwrap_or(0) as f64;
        (won + prior * defaults.prior_weight) / (reached + defaults.prior_weight)
    }

    /// Share of closed deals that moved on from `stage`; `None` before any evidence.
    pub fn conversion(&self, stage: DealStage) -> Option<f64> {
        let name = stage_name(stage);
        let reached = *self.reached.get(name)?;
        (reached > 0).then(|| self.advanced.get(name).copied().unwrap_or(0) as f64 / reached as f64)
    }

    /// Average days a deal stays in `stage`; `None` before any evidence.
    pub fn velocity_days(&self, stage: DealStage) -> Option<f64> {
        let name = stage_name(stage);
        let exits = *self.exits.get(name)?;
        (exits > 0).then(|| {
            self.seconds_in_stage.get(name).copied().unwrap_or(0) as f64 / exits as f64 / 86_400.0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t(day: i64) -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(day)
    }

    fn path(stages: &[(DealStage, i64)]) -> Vec<StageVisit> {
        stages
            .iter()
            .map(|(s, d)| StageVisit {
                stage: *s,
                entered_at: t(*d),
            })
            .collect()
    }

    #[test]
    fn without_history_the_defaults_rule() {
        let s = StageStats::default();
        let d = crate::SalesConfig::default().defaults;
        assert!((s.probability(DealStage::Proposal, &d) - 0.40).abs() < 1e-9);
        assert_eq!(s.conversion(DealStage::Demo), None);
    }

    #[test]
    fn history_moves_probabilities_conversion_and_velocity() {
        use DealStage::*;
        let mut s = StageStats::default();
        // 10 deals reach proposal; 8 are won after 5 days in proposal, 2 lost there.
        for i in 0..10 {
            let won = i < 8;
            s.learn(
                &path(&[(Qualification, 0), (Demo, 3), (Proposal, 10)]),
                won,
                t(15),
            );
        }
        let d = crate::SalesConfig::default().defaults;
        // (8 + 0.4 × 10) / (10 + 10) = 0.6
        assert!((s.probability(Proposal, &d) - 0.6).abs() < 1e-9);
        assert_eq!(s.conversion(Demo), Some(1.0));
        assert_eq!(s.conversion(Proposal), Some(0.8));
        assert_eq!(s.velocity_days(Demo), Some(7.0));
        assert_eq!(s.velocity_days(Proposal), Some(5.0));
    }

    #[test]
    fn a_deal_that_goes_back_counts_once_per_stage() {
        use DealStage::*;
        let mut s = StageStats::default();
        s.learn(
            &path(&[(Demo, 0), (Proposal, 2), (Demo, 4), (Proposal, 6)]),
            false,
            t(8),
        );
        assert_eq!(s.reached["demo"], 1);
        assert_eq!(s.exits["demo"], 2);
        assert_eq!(s.advanced["demo"], 1);
        assert_eq!(s.advanced.get("proposal"), None);
    }
}
