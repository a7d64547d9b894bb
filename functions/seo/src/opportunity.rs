//! Keyword opportunities and content gaps, scored as expected extra clicks a month:
//!
//! `score = search_volume × (CTR(target) − CTR(current)) / 100 × (100 − difficulty) / 100`,
//!
//! rounded to whole clicks, where CTR(p) is `ctr_by_position_pct[p − 1]` and 0 beyond the table
//! or when not ranked. An opportunity's target is `target_position` (a keyword at or above it
//! has none); a content gap's is the competitor's position. The ranked list keeps the
//! `opportunities_kept` best, each keyword once, as of its last observation.

use crate::settings::{GapRule, Scoring};
use ascent_core::catalog::KeywordOpportunity;
use serde::{Deserialize, Serialize};

/// The click-through rate in percent of `position` (0 when unranked or beyond the table).
pub fn ctr(s: &Scoring, position: Option<u32>) -> f64 {
    position
        .and_then(|p| s.ctr_by_position_pct.get((p as usize).checked_sub(1)?))
        .copied()
        .unwrap_or(0.0)
}

/// Expected extra clicks a month moving from `current` to `target`, discounted by difficulty.
pub fn click_gain(
    s: &Scoring,
    volume: u32,
    difficulty: u32,
    current: Option<u32>,
    target: u32,
) -> u32 {
    let gain = ctr(s, Some(target)) - ctr(s, current);
    if gain <= 0.0 {
        return 0;
    }
    let ease = f64::from(100 - difficulty.min(100)) / 100.0;
    (f64::from(volume) * gain / 100.0 * ease).round() as u32
}

/// A keyword's opportunity score at the configured target position.
pub fn opportunity(s: &Scoring, volume: u32, difficulty: u32, current: Option<u32>) -> u32 {
    click_gain(s, volume, difficulty, current, s.target_position)
}

/// The ranked opportunities: best first, each keyword once.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub opportunities: Vec<KeywordOpportunity>,
    pub version: u32,
}

impl Ranked {
    /// Puts `o` in its place (replacing the keyword's earlier entry; a score of 0 only removes
    /// it) and keeps the `kept` best: higher score first, then the keyword alphabetically.
    pub fn update(&mut self, o: KeywordOpportunity, kept: usize) {
        self.opportunities.retain(|x| x.keyword != o.keyword);
        if o.score > 0 {
            let at = self.opportunities.partition_point(|x| {
                x.score > o.score || (x.score == o.score && x.keyword < o.keyword)
            });
            self.opportunities.insert(at, o);
        }
        self.opportunities.truncate(kept);
    }
}

/// Whether a competitor's keyword is a content gap for us: the competitor ranks in its top
/// `competitor_top`, the volume is at least `min_volume`, and we rank worse than
/// `our_rank_worse_than` or not at all.
pub fn is_gap(rule: &GapRule, competitor_rank: u32, volume: u32, ours: Option<u32>) -> bool {
    competitor_rank <= rule.competitor_top
        && volume >= rule.min_volume
        && ours.is_none_or(|r| r > rule.our_rank_worse_than)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeoConfig;

    fn scoring() -> Scoring {
        SeoConfig::default().scoring
    }

    fn entry(keyword: &str, score: u32) -> KeywordOpportunity {
        KeywordOpportunity {
            keyword: keyword.into(),
            url: None,
            rank: Some(8),
            search_volume: 1000,
            difficulty: 30,
            score,
        }
    }

    #[test]
    fn the_click_through_rate_comes_from_the_table() {
        let s = scoring();
        assert_eq!(ctr(&s, Some(1)), 27.6);
        assert_eq!(ctr(&s, Some(10)), 2.4);
        assert_eq!(ctr(&s, Some(11)), 0.0);
        assert_eq!(ctr(&s, None), 0.0);
        assert_eq!(ctr(&s, Some(0)), 0.0);
    }

    #[test]
    fn opportunities_are_expected_clicks_discounted_by_difficulty() {
        let s = scoring();
        // 2,400 searches at 7th (3.9%) to 3rd (11.0%), difficulty 42:
        // 2400 × 7.1% × 0.58 = 98.83 -> 99.
        assert_eq!(opportunity(&s, 2400, 42, Some(7)), 99);
        // Unranked to 3rd: 5,000 × 11.0% × 0.30 = 165.
        assert_eq!(opportunity(&s, 5000, 70, None), 165);
        // At or above the target: nothing to gain.
        assert_eq!(opportunity(&s, 9000, 10, Some(3)), 0);
        assert_eq!(opportunity(&s, 9000, 10, Some(1)), 0);
        // Impossible keywords (difficulty 100) score 0.
        assert_eq!(opportunity(&s, 9000, 100, Some(20)), 0);
        // A gap at the competitor's 1st place from our 15th: 800 × 27.6% × 0.5 = 110.4 -> 110.
        assert_eq!(click_gain(&s, 800, 50, Some(15), 1), 110);
    }

    #[test]
    fn the_ranked_list_keeps_the_best_each_keyword_once() {
        let mut r = Ranked::default();
        r.update(entry("vr welding simulator", 120), 3);
        r.update(entry("xr maintenance training", 99), 3);
        r.update(entry("ar remote assistance", 120), 3);
        r.update(entry("immersive onboarding", 40), 3);
        let names = |r: &Ranked| {
            r.opportunities
                .iter()
                .map(|o| (o.keyword.clone(), o.score))
                .collect::<Vec<_>>()
        };
        // A tie goes alphabetically; the fourth falls off.
        assert_eq!(
            names(&r),
            [
                ("ar remote assistance".to_string(), 120),
                ("vr welding simulator".to_string(), 120),
                ("xr maintenance training".to_string(), 99),
            ]
        );
        // A keyword seen again replaces its entry; reaching the target removes it.
        r.update(entry("xr maintenance training", 150), 3);
        r.update(entry("vr welding simulator", 0), 3);
        assert_eq!(
            names(&r),
            [
                ("xr maintenance training".to_string(), 150),
                ("ar remote assistance".to_string(), 120),
            ]
        );
    }

    #[test]
    fn a_gap_needs_a_strong_competitor_volume_and_our_weakness() {
        let rule = SeoConfig::default().gaps; // top 10, 200 searches, worse than 20
        assert!(is_gap(&rule, 3, 1900, None));
        assert!(is_gap(&rule, 10, 200, Some(21)));
        assert!(
            !is_gap(&rule, 11, 1900, None),
            "competitor not in its top 10"
        );
        assert!(!is_gap(&rule, 3, 199, None), "too few searches");
        assert!(!is_gap(&rule, 3, 1900, Some(20)), "we rank well enough");
    }
}
