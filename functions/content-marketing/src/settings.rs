//! Content Marketing's settings, read once at start from `ascent.toml`'s `[content_marketing]`:
//! who gets briefs, drafts and the report and on which day, the topic-clash rule, how far
//! ahead pieces are placed, the quality gate (`.gate`), briefs from SEO's gaps (`.briefs`),
//! case studies (`.case_studies`) and every channel's cadence and rules (`.channels.<name>`).

use crate::calendar::Cadence;
use crate::{ContentMarketing, declaration};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_weekday,
};
use ascent_core::writer::{TextWriter, fill};
use chrono::Weekday;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Content Marketing's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContentConfig {
    /// Who gets briefs, case-study drafts, calendar warnings and the weekly report.
    pub marketing: String,
    pub weekly_report_day: Weekday,
    /// Pieces of a channel on near-identical topics are at least this many days apart.
    pub topic_clash_days: u32,
    /// Near-identical: shared stemmed terms are at least this percent of both topics' terms.
    pub topic_similarity_pct: u32,
    /// A brief or case study is placed at least this many days ahead (time to write it).
    pub brief_lead_days: u32,
    /// A passed draft is placed at least this many days ahead (time to edit and publish).
    pub draft_lead_days: u32,
    /// Nothing is placed more than this many days ahead.
    pub horizon_days: u32,
    /// Pieces named in the weekly report, most viewed first.
    pub report_top_pieces: usize,
    pub gate: GateSettings,
    pub briefs: BriefSettings,
    pub case_studies: CaseStudySettings,
    pub channels: BTreeMap<String, ChannelRules>,
}

/// The gate's settings that hold for every channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSettings {
    /// Flesch reading ease a draft must reach.
    pub min_reading_ease: f64,
    /// Words a paragraph may have.
    pub max_paragraph_words: usize,
    /// Phrases no piece may contain (any case; whole words).
    pub banned_claims: Vec<String>,
}

/// Percent bounds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
}

/// One channel's calendar and rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelRules {
    /// Publishing days (`Tue`, `Thu`): one slot each.
    pub days: Vec<String>,
    /// Every week (1), every other week (2), …
    pub every_weeks: u32,
    pub min_words: usize,
    pub max_words: usize,
    pub min_headings: usize,
    /// The target keyword's words in percent of the body's words.
    pub keyword_density_pct: Bounds,
}

impl ChannelRules {
    pub fn cadence(&self) -> Cadence {
        Cadence {
            days: self.days.iter().filter_map(|d| d.parse().ok()).collect(),
            every_weeks: self.every_weeks,
        }
    }
}

/// Briefs from SEO's content gaps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BriefSettings {
    /// The channel briefs are placed in.
    pub channel: String,
    /// Gaps scored below this are not worth a brief.
    pub min_score: u32,
    /// Who the pieces are written for.
    pub audience: String,
    /// Words a brief asks for.
    pub words: usize,
    /// Related terms a brief suggests at most (from earlier gaps sharing a term).
    pub related_terms: usize,
    /// Gap keywords remembered for related terms (the most recent).
    pub keywords_kept: usize,
    /// Title template (`{keyword}`, `{audience}`).
    pub title: String,
    /// Outline: one section heading template each.
    pub outline: Vec<String>,
}

/// Case studies from won deals of customers who agreed to be named.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseStudySettings {
    pub channel: String,
    /// Title template.
    pub title: String,
    /// Draft template.
    pub body: String,
}

/// Placeholders of the brief templates.
pub const BRIEF_FACTS: &[&str] = &["keyword", "audience"];
/// Placeholders of the case-study templates.
pub const CASE_FACTS: &[&str] = &["company", "contact_name", "reason", "quote", "publish_on"];

fn check_template(path: &str, template: &str, facts: &[&str]) -> Result<(), Invalid> {
    let given = facts
        .iter()
        .map(|f| (f.to_string(), String::new()))
        .collect();
    fill(template, &given)
        .map(|_| ())
        .map_err(|e| Invalid::new(path, format!("{e} (known: {})", facts.join(", "))))
}

/// `[content_marketing]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentSection {
    marketing: String,
    weekly_report_day: String,
    topic_clash_days: u32,
    topic_similarity_pct: u32,
    brief_lead_days: u32,
    draft_lead_days: u32,
    horizon_days: u32,
    report_top_pieces: usize,
    gate: GateSettings,
    briefs: BriefSettings,
    case_studies: CaseStudySettings,
    channels: BTreeMap<String, ChannelRules>,
}

impl Validate for ContentSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("marketing", &self.marketing)?;
        check_weekday("weekly_report_day", &self.weekly_report_day)?;
        check_in_range("topic_clash_days", self.topic_clash_days, 0, 365)?;
        check_in_range("topic_similarity_pct", self.topic_similarity_pct, 1, 100)?;
        check_in_range("horizon_days", self.horizon_days, 7, 366)?;
        check_in_range(
            "brief_lead_days",
            self.brief_lead_days,
            0,
            self.horizon_days,
        )?;
        check_in_range(
            "draft_lead_days",
            self.draft_lead_days,
            0,
            self.horizon_days,
        )?;
        check_in_range("report_top_pieces", self.report_top_pieces, 1, 100)?;
        let g = &self.gate;
        if !g.min_reading_ease.is_finite() {
            return Err(Invalid::new("gate.min_reading_ease", "is not a number"));
        }
        check_in_range("gate.min_reading_ease", g.min_reading_ease, -100.0, 121.0)?;
        check_in_range("gate.max_paragraph_words", g.max_paragraph_words, 10, 1000)?;
        for (i, c) in g.banned_claims.iter().enumerate() {
            if c.trim().is_empty() {
                return Err(Invalid::new(format!("gate.banned_claims[{i}]"), "is empty"));
            }
        }
        if self.channels.is_empty() {
            return Err(Invalid::new("channels", "no channel"));
        }
        for (name, c) in &self.channels {
            let at = |k: &str| format!("channels.{name}.{k}");
            if c.days.is_empty() {
                return Err(Invalid::new(at("days"), "no publishing day"));
            }
            for (i, d) in c.days.iter().enumerate() {
                let day = check_weekday(&at(&format!("days[{i}]")), d)?;
                if c.days[..i].iter().any(|e| e.parse::<Weekday>() == Ok(day)) {
                    return Err(Invalid::new(at(&format!("days[{i}]")), "listed twice"));
                }
            }
            check_in_range(&at("every_weeks"), c.every_weeks, 1, 12)?;
            check_in_range(&at("min_words"), c.min_words, 1, 20_000)?;
            check_in_range(&at("max_words"), c.max_words, c.min_words, 20_000)?;
            check_in_range(&at("min_headings"), c.min_headings, 0, 50)?;
            let d = c.keyword_density_pct;
            if !(d.min.is_finite() && d.max.is_finite() && 0.0 <= d.min && d.min <= d.max) {
                return Err(Invalid::new(
                    at("keyword_density_pct"),
                    "need 0 <= min <= max",
                ));
            }
            check_in_range(&at("keyword_density_pct.max"), d.max, 0.0, 100.0)?;
        }
        let b = &self.briefs;
        if !self.channels.contains_key(&b.channel) {
            return Err(Invalid::new(
                "briefs.channel",
                format!("`{}` is no channel", b.channel),
            ));
        }
        check_in_range("briefs.words", b.words, 1, 20_000)?;
        check_in_range("briefs.related_terms", b.related_terms, 0, 20)?;
        // The remembered keywords are one item (~40 bytes each, far below 400 KB).
        check_in_range("briefs.keywords_kept", b.keywords_kept, 1, 2_000)?;
        check_template("briefs.title", &b.title, BRIEF_FACTS)?;
        if b.outline.is_empty() {
            return Err(Invalid::new("briefs.outline", "no section"));
        }
        for (i, s) in b.outline.iter().enumerate() {
            check_template(&format!("briefs.outline[{i}]"), s, BRIEF_FACTS)?;
        }
        let c = &self.case_studies;
        if !self.channels.contains_key(&c.channel) {
            return Err(Invalid::new(
                "case_studies.channel",
                format!("`{}` is no channel", c.channel),
            ));
        }
        check_template("case_studies.title", &c.title, CASE_FACTS)?;
        check_template("case_studies.body", &c.body, CASE_FACTS)?;
        Ok(())
    }
}

impl ContentConfig {
    /// Reads and validates `[content_marketing]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: ContentSection = file.section("content_marketing")?;
        let day = check_weekday("weekly_report_day", &s.weekly_report_day)
            .map_err(|e| file.invalid("content_marketing", e))?;
        let mut gate = s.gate;
        gate.banned_claims = gate
            .banned_claims
            .iter()
            .map(|c| {
                c.to_lowercase()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        Ok(Self {
            marketing: s.marketing,
            weekly_report_day: day,
            topic_clash_days: s.topic_clash_days,
            topic_similarity_pct: s.topic_similarity_pct,
            brief_lead_days: s.brief_lead_days,
            draft_lead_days: s.draft_lead_days,
            horizon_days: s.horizon_days,
            report_top_pieces: s.report_top_pieces,
            gate,
            briefs: s.briefs,
            case_studies: s.case_studies,
            channels: s.channels,
        })
    }
}

impl ContentMarketing {
    pub fn new(config: ContentConfig, writer: Arc<dyn TextWriter>) -> Self {
        Self {
            decl: declaration(),
            config,
            writer,
        }
    }

    /// The agent with the settings of `file`, writing through `writer`.
    pub fn from_config(
        file: &ConfigFile,
        writer: Arc<dyn TextWriter>,
    ) -> Result<Self, ConfigError> {
        Ok(Self::new(ContentConfig::from_file(file)?, writer))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for ContentConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [content_marketing] is valid")
    }
}

impl Default for ContentMarketing {
    fn default() -> Self {
        Self::new(
            ContentConfig::default(),
            Arc::new(ascent_core::writer::TemplateWriter),
        )
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
