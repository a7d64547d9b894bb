//! The five attribution models: pure functions sharing a won deal's amount (integer minor
//! units) among the touches before the win. Every model gives each touch a weight; the amount
//! is then split by largest remainder ([`allocate`]), so the shares always sum exactly to the
//! amount and no cent is lost or made up.

use ascent_core::catalog::{AttributionModel, MarketingChannel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every model, in the order the ledger keeps their figures.
pub const MODELS: [AttributionModel; 5] = [
    AttributionModel::FirstTouch,
    AttributionModel::LastTouch,
    AttributionModel::Linear,
    AttributionModel::TimeDecay,
    AttributionModel::PositionBased,
];

/// Where `model` sits in [`MODELS`] (and in the ledger's per-model figures).
pub fn index(model: AttributionModel) -> usize {
    MODELS
        .iter()
        .position(|m| *m == model)
        .expect("MODELS lists every model")
}

/// A contact's marketing touch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Touch {
    /// The touch's id (a repeat is kept once).
    pub id: String,
    pub channel: MarketingChannel,
    #[serde(default)]
    pub campaign_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// Position-based shares in percent: the first touch, the middle touches together, the last
/// touch (summing to 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionShares {
    pub first: u32,
    pub middle: u32,
    pub last: u32,
}

/// The models' parameters (from `[marketing_analytics]`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSettings {
    /// Time decay: a touch this many days before the last one gets half its credit.
    pub half_life_days: f64,
    pub position: PositionShares,
}

/// Fixed-point scale of the time-decay weights (the last touch weighs this much).
const DECAY_SCALE: f64 = 1e12;

/// Each touch's weight under `model`; `touches` are oldest first and not empty.
pub fn weights(model: AttributionModel, touches: &[Touch], s: &ModelSettings) -> Vec<u64> {
    let n = touches.len();
    let mut w = vec![0u64; n];
    if n == 0 {
        return w;
    }
    match model {
        AttributionModel::FirstTouch => w[0] = 1,
        AttributionModel::LastTouch => w[n - 1] = 1,
        AttributionModel::Linear => w.fill(1),
        AttributionModel::TimeDecay => {
            // Relative to the newest touch (weight 1): the common factor of the age from the
            // win cancels out, and the newest touch keeps the sum above zero.
            let last = touches[n - 1].at;
            for (wi, t) in w.iter_mut().zip(touches) {
                let days = (last - t.at).num_seconds().max(0) as f64 / 86_400.0;
                *wi = (DECAY_SCALE * 0.5f64.powf(days / s.half_life_days)).round() as u64;
            }
        }
        AttributionModel::PositionBased => {
            let p = s.position;
            match n {
                1 => w[0] = 1,
                // No middle: the first and last share in proportion to their shares.
                2 => {
                    w[0] = u64::from(p.first);
                    w[1] = u64::from(p.last);
                }
                _ => {
                    // With m middle touches: first·m, middle each, last·m (sum 100·m).
                    let m = (n - 2) as u64;
                    w.fill(u64::from(p.middle));
                    w[0] = u64::from(p.first) * m;
                    w[n - 1] = u64::from(p.last) * m;
                }
            }
        }
    }
    if w.iter().all(|x| *x == 0) {
        // Shares of 0 everywhere (a position setting of 0/100/0 with two touches): equal.
        w.fill(1);
    }
    w
}

/// Splits `amount` (minor units, not negative) in proportion to `weights` by largest
/// remainder: each gets the floor of its exact share, and the cents left go one each to the
/// largest remainders, the earlier touch first on a tie. The result sums to `amount`.
pub fn allocate(amount: i64, weights: &[u64]) -> Vec<i64> {
    let total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if weights.is_empty() || total == 0 {
        return vec![0; weights.len()];
    }
    let amount_u = amount.max(0) as u128;
    let mut shares: Vec<i64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = amount_u * u128::from(*w);
        shares.push((exact / total) as i64);
        remainders.push((exact % total, i));
    }
    let left = amount.max(0) - shares.iter().sum::<i64>();
    // Largest remainder first; on a tie the earlier touch.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.into_iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

/// `amount` shared among `touches` (oldest first) under `model`.
pub fn attribute(
    model: AttributionModel,
    touches: &[Touch],
    amount: i64,
    s: &ModelSettings,
) -> Vec<i64> {
    allocate(amount, &weights(model, touches, s))
}

/// The touches that count for a win at `won_at`: not after it and at most `window_days`
/// before it, oldest first.
pub fn in_window(touches: &[Touch], won_at: DateTime<Utc>, window_days: u32) -> Vec<Touch> {
    let from = won_at - chrono::Duration::days(i64::from(window_days));
    let mut t: Vec<Touch> = touches
        .iter()
        .filter(|t| t.at <= won_at && t.at >= from)
        .cloned()
        .collect();
    t.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    t
}

#[cfg(test)]
#[path = "models_tests.rs"]
mod tests;
