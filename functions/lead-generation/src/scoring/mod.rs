//! Lead scoring: firmographic fit and recent intent, each 0–100, with reasons.
//!
//! Weights, point tables and thresholds are configuration ([`ScoringModel`], read from
//! `[lead_generation.scoring]`); the model's name goes on every `LeadScored` so a score always
//! says what produced it.

use aho_corasick::{AhoCorasick, MatchKind};
use ascent_core::catalog::{InteractionKind, LeadGrade};
use ascent_core::config::{Invalid, check_in_range};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Scoring weights, point tables and thresholds.
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
    /// Share of each component in fit.
    pub fit: FitShares,
    pub company_size: SizePoints,
    pub industry: IndustryPoints,
    pub role: RolePoints,
    /// Intent points per interaction before decay.
    pub intent: IntentPoints,
    /// The word tables as one automaton, built on the first score (the tables are read-only
    /// once the model scores).
    #[serde(skip)]
    words: OnceLock<WordIndex>,
}

/// Share of each fit component (they add up to 1).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitShares {
    pub company_size: f64,
    pub industry: f64,
    pub role: f64,
}

/// Points for company size (employees): the first band the size fits, else `larger`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizePoints {
    pub bands: Vec<SizeBand>,
    /// Points of a company larger than the last band.
    pub larger: u8,
}

/// Companies of up to `up_to` employees (and above the previous band) get `points`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeBand {
    pub up_to: u32,
    pub points: u8,
}

/// Words that give points when a text contains one; the first group that matches counts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordGroup {
    pub points: u8,
    pub words: Vec<String>,
}

/// Points for industry: the first group with a word the industry contains, else `other`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndustryPoints {
    pub other: u8,
    pub groups: Vec<WordGroup>,
}

/// Points for the job title: seniority (first group that matches, else `other`) plus
/// `function_bonus` when the title names a function that buys.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePoints {
    pub other: u8,
    pub function_bonus: u8,
    pub function_words: Vec<String>,
    pub seniority: Vec<WordGroup>,
}

/// Intent points of each kind of interaction, before decay.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentPoints {
    pub demo_requested: f64,
    pub pricing_page_visit: f64,
    pub email_replied: f64,
    pub webinar_attended: f64,
    pub content_download: f64,
    pub website_visit: f64,
    pub email_opened: f64,
}

/// Every word of the industry and role tables in one Aho-Corasick automaton, so a text is read
/// once instead of once per word. A match says which table and group its word is in; a table's
/// points are those of its first group with a match, as listed.
#[derive(Clone, Debug)]
struct WordIndex {
    industry: Words,
    role: Words,
}

/// One table's words: the automaton and each word with its group (`FUNCTION_WORD`: a
/// function word of the role table).
#[derive(Clone, Debug)]
struct Words {
    automaton: Option<AhoCorasick>,
    words: Vec<(usize, String)>,
}

const FUNCTION_WORD: usize = usize::MAX;

impl Words {
    fn new(words: Vec<(usize, String)>) -> Self {
        // Checked tables always build; were one not to, each word is read in turn (the same
        // answers, more slowly).
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(words.iter().map(|(_, w)| w))
            .ok();
        Words { automaton, words }
    }

    /// The first group (in table order) with a word in `text`, and whether a function word is.
    fn first_group(&self, text: &str) -> (Option<usize>, bool) {
        let mut first: Option<usize> = None;
        let mut function = false;
        let mut see = |word: usize| match self.words[word].0 {
            FUNCTION_WORD => function = true,
            g => first = Some(first.map_or(g, |f| f.min(g))),
        };
        match &self.automaton {
            Some(ac) => ac
                .find_overlapping_iter(text)
                .for_each(|m| see(m.pattern().as_usize())),
            None => (0..self.words.len())
                .filter(|&i| text.contains(self.words[i].1.as_str()))
                .for_each(&mut see),
        }
        (first, function)
    }
}

impl WordIndex {
    fn new(model: &ScoringModel) -> Self {
        let groups = |groups: &[WordGroup]| -> Vec<(usize, String)> {
            groups
                .iter()
                .enumerate()
                .flat_map(|(g, group)| group.words.iter().map(move |w| (g, w.clone())))
                .collect()
        };
        let mut role = groups(&model.role.seniority);
        role.extend(
            model
                .role
                .function_words
                .iter()
                .map(|w| (FUNCTION_WORD, w.clone())),
        );
        WordIndex {
            industry: Words::new(groups(&model.industry.groups)),
            role: Words::new(role),
        }
    }
}

/// Refuses an empty or upper-case word, and a word listed twice in `seen`'s table.
fn check_words(
    path: &str,
    words: &[String],
    seen: &mut BTreeMap<String, String>,
) -> Result<(), Invalid> {
    for (i, w) in words.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if w.trim().is_empty() {
            return Err(Invalid::new(at, "a word may not be empty"));
        }
        if *w != w.to_lowercase() {
            return Err(Invalid::new(
                at,
                format!("`{w}` is compared with lower-case text: write it in lower case"),
            ));
        }
        if let Some(first) = seen.insert(w.clone(), at.clone()) {
            return Err(Invalid::new(at, format!("`{w}` is already at `{first}`")));
        }
    }
    Ok(())
}

fn check_groups(path: &str, groups: &[WordGroup]) -> Result<(), Invalid> {
    let mut seen = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        check_in_range(&format!("{path}[{i}].points"), g.points, 0, 100)?;
        if g.words.is_empty() {
            return Err(Invalid::new(
                format!("{path}[{i}].words"),
                "needs at least one word",
            ));
        }
        check_words(&format!("{path}[{i}].words"), &g.words, &mut seen)?;
    }
    Ok(())
}

impl ScoringModel {
    /// Points for company size (employees).
    pub fn size_points(&self, employees: u32) -> u8 {
        let s = &self.company_size;
        s.bands
            .iter()
            .find(|b| employees <= b.up_to)
            .map_or(s.larger, |b| b.points)
    }

    /// Points for industry, by the words of `[lead_generation.scoring.industry]`.
    pub fn industry_points(&self, industry: &str) -> u8 {
        let i = industry.to_ascii_lowercase();
        let (group, _) = self.word_index().industry.first_group(&i);
        group.map_or(self.industry.other, |g| self.industry.groups[g].points)
    }

    fn word_index(&self) -> &WordIndex {
        self.words.get_or_init(|| WordIndex::new(self))
    }

    /// Points for the job title: seniority, plus a bonus for functions that buy.
    ///
    /// The title is compared in lower case, with `-`, `,` and `/` read as spaces and a space
    /// added at each end, so a word written `" ceo "` matches only the whole word.
    pub fn role_points(&self, title: &str) -> u8 {
        let t = format!(
            " {} ",
            title.to_ascii_lowercase().replace(['-', ',', '/'], " ")
        );
        let r = &self.role;
        let (group, function) = self.word_index().role.first_group(&t);
        let seniority = group.map_or(r.other, |g| r.seniority[g].points);
        let function_bonus = if function { r.function_bonus } else { 0 };
        seniority.saturating_add(function_bonus).min(100)
    }

    /// Intent points per interaction before decay.
    pub fn interaction_points(&self, kind: InteractionKind) -> f64 {
        let p = &self.intent;
        match kind {
            InteractionKind::DemoRequested => p.demo_requested,
            InteractionKind::PricingPageVisit => p.pricing_page_visit,
            InteractionKind::EmailReplied => p.email_replied,
            InteractionKind::WebinarAttended => p.webinar_attended,
            InteractionKind::ContentDownload => p.content_download,
            InteractionKind::WebsiteVisit => p.website_visit,
            InteractionKind::EmailOpened => p.email_opened,
        }
    }

    /// The rules of the point tables (paths relative to `[lead_generation]`).
    pub fn check_tables(&self) -> Result<(), Invalid> {
        let f = &self.fit;
        for (key, share) in [
            ("company_size", f.company_size),
            ("industry", f.industry),
            ("role", f.role),
        ] {
            check_in_range(&format!("scoring.fit.{key}"), share, 0.0, 1.0)?;
        }
        let sum = f.company_size + f.industry + f.role;
        if (sum - 1.0).abs() > 1e-9 {
            return Err(Invalid::new(
                "scoring.fit",
                format!("the shares add up to {sum}, not 1"),
            ));
        }
        let s = &self.company_size;
        if s.bands.is_empty() {
            return Err(Invalid::new(
                "scoring.company_size.bands",
                "needs at least one band",
            ));
        }
        for (i, b) in s.bands.iter().enumerate() {
            check_in_range(
                &format!("scoring.company_size.bands[{i}].points"),
                b.points,
                0,
                100,
            )?;
            if i > 0 && b.up_to <= s.bands[i - 1].up_to {
                return Err(Invalid::new(
                    format!("scoring.company_size.bands[{i}].up_to"),
                    format!(
                        "{} is not above the previous band's {}",
                        b.up_to,
                        s.bands[i - 1].up_to
                    ),
                ));
            }
        }
        check_in_range("scoring.company_size.larger", s.larger, 0, 100)?;
        check_in_range("scoring.industry.other", self.industry.other, 0, 100)?;
        check_groups("scoring.industry.groups", &self.industry.groups)?;
        let r = &self.role;
        check_in_range("scoring.role.other", r.other, 0, 100)?;
        check_in_range("scoring.role.function_bonus", r.function_bonus, 0, 100)?;
        check_groups("scoring.role.seniority", &r.seniority)?;
        check_words(
            "scoring.role.function_words",
            &r.function_words,
            &mut BTreeMap::new(),
        )?;
        let p = &self.intent;
        for (key, points) in [
            ("demo_requested", p.demo_requested),
            ("pricing_page_visit", p.pricing_page_visit),
            ("email_replied", p.email_replied),
            ("webinar_attended", p.webinar_attended),
            ("content_download", p.content_download),
            ("website_visit", p.website_visit),
            ("email_opened", p.email_opened),
        ] {
            check_in_range(&format!("scoring.intent.{key}"), points, 0.0, 100.0)?;
        }
        Ok(())
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
        let size = self.size_points(facts.company_size);
        let industry = self.industry_points(facts.industry);
        let role = self.role_points(facts.role);
        let f = &self.fit;
        let fit =
            (f.company_size * size as f64 + f.industry * industry as f64 + f.role * role as f64)
                .round() as u8;

        let window = self.intent_window_days as f64;
        let mut contributions: Vec<(f64, InteractionKind)> = facts
            .interactions
            .iter()
            .filter_map(|(kind, when)| {
                let age_days = (at - *when).num_seconds() as f64 / 86_400.0;
                // Linear decay to zero at the end of the window; future-dated counts as now.
                let weight = (1.0 - age_days.max(0.0) / window).max(0.0);
                (weight > 0.0).then(|| (self.interaction_points(*kind) * weight, *kind))
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
                size as f64 * f.company_size,
                format!("company size {} ({size} pts)", facts.company_size),
            ),
            (
                industry as f64 * f.industry,
                format!("industry {} ({industry} pts)", facts.industry),
            ),
            (
                role as f64 * f.role,
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
mod tests;
