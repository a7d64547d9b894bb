//! Budget allocation, pure: each period the plan total is spread over the budgeted channels
//! greedily, one configured step at a time, to the channel with the best *marginal* return.
//!
//! Every channel starts at its floor. A channel's measured return per unit spent (Marketing
//! Analytics' `ChannelReturnsMeasured`) is its first step's expected return; each further step
//! on the same channel is expected to return `diminishing_return` times the one before
//! (diminishing returns: the best audiences are reached first). So step `k` (from 0) of a
//! channel with measured return `r` is worth `r × diminishing_return^k`, and each step goes to
//! the channel below its cap whose next step is worth most (a tie: the higher measured return,
//! then the channel order). Only channels with a positive measured return compete; a channel
//! without data (or returning nothing) keeps its floor, unless every measured channel is at its
//! cap, when the rest fills the others in channel order. The last step may be smaller (what
//! remains, or the room below a cap). The total is always the plan total: floors sum to no
//! more and caps to no less (the settings refuse anything else).
//!
//! A new allocation needs the approver's consent ([`approval_reasons`]) when its total is over
//! the allocation in effect, or when one channel rises by more than `approval_above`.

use ascent_core::catalog::MarketingChannel;
use std::collections::BTreeMap;

/// A budget per channel, base-currency minor units.
pub type Allocation = BTreeMap<MarketingChannel, i64>;

/// One channel's bounds, base-currency minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub floor: i64,
    pub cap: i64,
}

/// How the plan total is spread.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    /// The period's total.
    pub total: i64,
    /// Budget moved per greedy step.
    pub step: i64,
    /// Each further step on a channel returns this fraction of the one before (0 < f ≤ 1).
    pub diminishing_return: f64,
    /// Floors and caps of the budgeted channels.
    pub channels: BTreeMap<MarketingChannel, Bounds>,
}

/// The allocation of `rules.total` by the measured `returns` (return per unit spent per
/// channel; channels missing have no data). Channels not budgeted are ignored.
pub fn allocate(rules: &Rules, returns: &BTreeMap<MarketingChannel, f64>) -> Allocation {
    let mut alloc: Allocation = rules.channels.iter().map(|(c, b)| (*c, b.floor)).collect();
    let mut steps: BTreeMap<MarketingChannel, i32> = BTreeMap::new();
    let mut remaining = rules.total - alloc.values().sum::<i64>();
    while remaining > 0 {
        let room = |c: &MarketingChannel, a: &Allocation| rules.channels[c].cap - a[c];
        let best = rules
            .channels
            .keys()
            .filter(|c| room(c, &alloc) > 0)
            .filter_map(|c| {
                let r = returns
                    .get(c)
                    .copied()
                    .filter(|r| r.is_finite() && *r > 0.0)?;
                let k = steps.get(c).copied().unwrap_or(0);
                // Nine decimals: a tie is a tie, whatever the floating-point noise.
                let marginal = (r * rules.diminishing_return.powi(k) * 1e9).round() / 1e9;
                Some((*c, marginal, r))
            })
            // The first of the best: max_by keeps the last of equals, so compare reversed order.
            .fold(None::<(MarketingChannel, f64, f64)>, |best, x| match best {
                Some(b) if (b.1, b.2) >= (x.1, x.2) => Some(b),
                _ => Some(x),
            })
            .map(|(c, _, _)| c);
        let Some(c) = best.or_else(|| rules.channels.keys().copied().find(|c| room(c, &alloc) > 0))
        else {
            break; // caps below the total: refused by the settings, never reached
        };
        let d = rules.step.min(remaining).min(room(&c, &alloc));
        *alloc.get_mut(&c).expect("budgeted") += d;
        *steps.entry(c).or_default() += 1;
        remaining -= d;
    }
    alloc
}

/// Why a change from `previous` to `proposed` needs approval (empty: it does not).
/// `money` formats minor units for the reasons.
pub fn approval_reasons(
    previous: &Allocation,
    proposed: &Allocation,
    approval_above: i64,
    money: impl Fn(i64) -> String,
) -> Vec<String> {
    let mut why = Vec::new();
    let (before, after) = (total(previous), total(proposed));
    if after > before {
        why.push(format!(
            "the total of {} is over the plan in effect ({}) by {}",
            money(after),
            money(before),
            money(after - before)
        ));
    }
    for (c, amount) in proposed {
        let was = previous.get(c).copied().unwrap_or(0);
        if amount - was > approval_above {
            why.push(format!(
                "{} rises by {} (from {} to {}), more than {}",
                channel_name(*c),
                money(amount - was),
                money(was),
                money(*amount),
                money(approval_above)
            ));
        }
    }
    why
}

/// The money a change moves into channels: the sum of the increases.
pub fn increase(previous: &Allocation, proposed: &Allocation) -> i64 {
    proposed
        .iter()
        .map(|(c, a)| (a - previous.get(c).copied().unwrap_or(0)).max(0))
        .sum()
}

pub fn total(a: &Allocation) -> i64 {
    a.values().sum()
}

/// A channel's name as written in events and settings (`paid`, `webinar`).
pub fn channel_name(c: MarketingChannel) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "allocation_tests.rs"]
mod tests;
