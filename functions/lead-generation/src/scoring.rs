//! Lead scoring: firmographic fit and recent intent, each 0–100, with reasons.
//!
//! Weights are configuration ([`ScoringModel`]); the model's name and version go on every
//! `LeadScored` so a score always says what produced it.

use ascent_core::catalog::{InteractionKind, LeadGrade};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Scoring weights and thresholds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringModel {
    /// Identifier written on each score (`rules-v1`).
    #[serde(rename = "model_name")]
    pub name: String,
    /// Share of fit in the final score (intent gets the rest).
    pub fit_weight: f64,
    pub hot_threshold: u8,
    pub warm_threshold: u8,
    /// Interactions older than this do not count.
    pub intent_window_days: i64,
}

/// Points for company size (employees): XR roll-outs pay off from mid-size up.
pub fn size_points(employees: u32) -> u8 {
    match employees {
        0..=9 => 10,
        10..=49 => 35,
        50..=199 => 60,
        200..=999 => 85,
        1000..=4999 => 100,
        _ => 90,
    }
}

/// Points for industry: where XR training, design review and remote assistance sell.
pub fn industry_points(industry: &str) -> u8 {
    let i = industry.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| i.contains(w));
    if has(&["manufactur", "aerospace", "defen", "automotive"]) {
        100
    } else if has(&["health", "medical", "pharma", "energy", "oil", "utilit"]) {
        90
    } else if has(&["construction", "architecture", "engineering", "aec"]) {
        85
    } else if has(&["education", "university", "training"]) {
        70
    } else if has(&["logistic", "retail"]) {
        50
    } else if has(&["software", "saas", "tech"]) {
        40
    } else {
        30
    }
}

/// Points for the job title: seniority, plus a bonus for functions that buy XR.
pub fn role_points(title: &str) -> u8 {
    let t = format!(
        " {} ",
        title.to_ascii_lowercase().replace(['-', ',', '/'], " ")
    );
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let seniority: u8 = if has(&[" intern ", " student "]) {
        5
    } else if has(&[
        "chief",
        " ceo ",
        " cto ",
        " coo ",
        " cio ",
        " cfo ",
        " founder ",
    ]) {
        100
    } else if has(&[" vp ", "vice president", " svp ", " evp "]) {
        90
    } else if has(&["director", " head "]) {
        80
    } else if has(&["manager", " lead "]) {
        60
    } else {
        40
    };
    let function_bonus = if has(&[
        "innovation",
        "training",
        "learning",
        "operations",
        "engineering",
        " xr ",
        " vr ",
        " ar ",
        "digital",
        "simulation",
    ]) {
        10
    } else {
        0
    };
    seniority.saturating_add(function_bonus).min(100)
}

/// Intent points per interaction before decay.
pub fn interaction_points(kind: InteractionKind) -> f64 {
    match kind {
        InteractionKind::DemoRequested => 50.0,
        InteractionKind::PricingPageVisit => 20.0,
        InteractionKind::EmailReplied => 15.0,
        InteractionKind::WebinarAttended => 15.0,
        InteractionKind::ContentDownload => 10.0,
        InteractionKind::WebsiteVisit => 3.0,
        InteractionKind::EmailOpened => 2.0,
    }
}

/// A scored lead with the reasons behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadScore {
    pub score: u8,
    pub fit: u8,
    pub intent: u8,
    pub grade: LeadGrade,
    pub reasons: Vec<String>,
}

/// What the model looks at.
pub struct LeadFacts<'a> {
    pub company_size: u32,
    pub industry: &'a str,
    pub role: &'a str,
    /// (kind, when) of the lead's interactions.
    pub interactions: &'a [(InteractionKind, DateTime<Utc>)],
}

impl ScoringModel {
    /// Hot, warm or cold by the thresholds.
    pub fn grade(&self, score: u8) -> LeadGrade {
        if score >= self.hot_threshold {
            LeadGrade::Hot
        } else if score >= self.warm_threshold {
            LeadGrade::Warm
        } else {
            LeadGrade::Cold
        }
    }

    /// Scores a lead as of `at`.
    pub fn score(&self, facts: &LeadFacts<'_>, at: DateTime<Utc>) -> LeadScore {
        let size = size_points(facts.company_size);
        let industry = industry_points(facts.industry);
        let role = role_points(facts.role);
        let fit = (0.35 * size as f64 + 0.35 * industry as f64 + 0.30 * role as f64).round() as u8;

        let window = self.intent_window_days as f64;
        let mut contributions: Vec<(f64, InteractionKind)> = facts
            .interactions
            .iter()
            .filter_map(|(kind, when)| {
                let age_days = (at - *when).num_seconds() as f64 / 86_400.0;
                // Linear decay to zero at the end of the window; future-dated counts as now.
                let weight = (1.0 - age_days.max(0.0) / window).max(0.0);
                (weight > 0.0).then(|| (interaction_points(*kind) * weight, *kind))
            })
            .collect();
        let intent = contributions
            .iter()
            .map(|(p, _)| p)
            .sum::<f64>()
            .min(100.0)
            .round() as u8;
        let score = (self.fit_weight * fit as f64 + (1.0 - self.fit_weight) * intent as f64)
            .round()
            .clamp(0.0, 100.0) as u8;
        let grade = self.grade(score);

        let mut reasons = vec![
            (
                size as f64 * 0.35,
                format!("company size {} ({size} pts)", facts.company_size),
            ),
            (
                industry as f64 * 0.35,
                format!("industry {} ({industry} pts)", facts.industry),
            ),
            (
                role as f64 * 0.30,
                format!("role {} ({role} pts)", facts.role),
            ),
        ];
        contributions.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (points, kind) in contributions.iter().take(3) {
            reasons.push((*points, format!("recent {kind:?} (+{points:.0} intent)")));
        }
        reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
        LeadScore {
            score,
            fit,
            intent,
            grade,
            reasons: reasons.into_iter().map(|(_, r)| r).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn ideal_enterprise_lead_is_hot_only_with_intent() {
        let m = crate::LeadConfig::default().scoring;
        let mut facts = LeadFacts {
            company_size: 2_000,
            industry: "Aerospace & Defense",
            role: "VP Engineering",
            interactions: &[],
        };
        let cold_start = m.score(&facts, at());
        // size 100, industry 100, role 90 + 10 (engineering) → fit 100.
        assert_eq!(cold_start.fit, 100);
        assert_eq!(cold_start.intent, 0);
        assert_eq!(cold_start.score, 60);
        assert_eq!(cold_start.grade, LeadGrade::Warm);
        let recent = [
            (InteractionKind::DemoRequested, at() - Duration::days(1)),
            (InteractionKind::PricingPageVisit, at() - Duration::days(3)),
        ];
        facts.interactions = &recent;
        let s = m.score(&facts, at());
        // demo 50*(29/30)=48.3 + pricing 20*(27/30)=18 → 66
        assert_eq!(s.intent, 66);
        assert_eq!(s.score, 86); // 0.6*100 + 0.4*66 = 86.4
        assert_eq!(s.grade, LeadGrade::Hot);
        assert!(s.reasons.iter().any(|r| r.contains("DemoRequested")));
    }

    #[test]
    fn small_irrelevant_lead_is_cold_and_old_interactions_do_not_count() {
        let m = crate::LeadConfig::default().scoring;
        let old = [(InteractionKind::DemoRequested, at() - Duration::days(45))];
        let s = m.score(
            &LeadFacts {
                company_size: 4,
                industry: "Restaurants",
                role: "Intern",
                interactions: &old,
            },
            at(),
        );
        assert_eq!(s.intent, 0);
        assert_eq!(s.grade, LeadGrade::Cold);
    }

    #[test]
    fn role_parsing() {
        assert_eq!(role_points("Chief Innovation Officer"), 100);
        assert_eq!(role_points("VP, Operations"), 100);
        assert_eq!(role_points("Head of L&D"), 80);
        assert_eq!(role_points("Training Manager"), 70);
        assert_eq!(role_points("Software engineer"), 40);
        assert_eq!(role_points("student"), 5);
    }
}
