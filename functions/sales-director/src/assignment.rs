//! Territory assignment: a qualified lead goes to a rep of its territory by weighted round
//! robin on capacity — each rep gets leads in proportion to their capacity, in a steady,
//! interleaved order (smooth weighted round robin), counted per quarter.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A sales rep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rep {
    pub email: String,
    /// Team / territory (`sales-emea`), as Lead Generation routes leads.
    pub territory: String,
    /// Relative share of new leads (e.g. 10 for a full-time rep, 5 for a ramping one); 0 = none.
    pub capacity: u32,
    /// Quarterly quota, base-currency minor units.
    pub quota_minor: i64,
}

/// Picks the rep whose share of this quarter's leads is furthest below their capacity share.
/// `assigned` counts leads per rep so far. Ties go to the rep listed first.
pub fn pick<'a>(
    reps: &'a [Rep],
    territory: &str,
    assigned: &BTreeMap<String, u32>,
) -> Option<&'a Rep> {
    let candidates: Vec<&Rep> = reps
        .iter()
        .filter(|r| r.territory == territory && r.capacity > 0)
        .collect();
    let total_capacity: u64 = candidates.iter().map(|r| r.capacity as u64).sum();
    let total_assigned: u64 = candidates
        .iter()
        .map(|r| assigned.get(&r.email).copied().unwrap_or(0) as u64)
        .sum();
    // Deficit = what the rep should have had after the next lead − what they have, scaled to
    // integers: (total + 1) × capacity − assigned × total_capacity.
    candidates.into_iter().max_by(|a, b| {
        let deficit = |r: &Rep| {
            (total_assigned as i128 + 1) * r.capacity as i128
                - assigned.get(&r.email).copied().unwrap_or(0) as i128 * total_capacity as i128
        };
        // `max_by` keeps the last of equals: compare reversed positions to keep the first.
        deficit(a)
            .cmp(&deficit(b))
            .then(std::cmp::Ordering::Greater)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(email: &str, territory: &str, capacity: u32) -> Rep {
        Rep {
            email: email.into(),
            territory: territory.into(),
            capacity,
            quota_minor: 0,
        }
    }

    #[test]
    fn leads_split_in_proportion_to_capacity_and_interleave() {
        let reps = [
            rep("a", "sales-emea", 2),
            rep("b", "sales-emea", 1),
            rep("c", "sales-apac", 5),
        ];
        let mut assigned = BTreeMap::new();
        let mut order = String::new();
        for _ in 0..9 {
            let r = pick(&reps, "sales-emea", &assigned).unwrap();
            order.push_str(&r.email);
            *assigned.entry(r.email.clone()).or_insert(0) += 1;
        }
        assert_eq!(order, "abaabaaba");
        assert_eq!((assigned["a"], assigned["b"]), (6, 3));
    }

    #[test]
    fn no_rep_with_capacity_means_no_pick() {
        let reps = [rep("a", "sales-emea", 0)];
        assert!(pick(&reps, "sales-emea", &BTreeMap::new()).is_none());
        assert!(pick(&reps, "sales-apac", &BTreeMap::new()).is_none());
    }
}
