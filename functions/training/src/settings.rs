//! Training's settings: `[training]` of `ascent.toml` (who hears about knowledge gaps, when a
//! gap is raised and how tickets are grouped into one, article matching, webinar look-ahead and
//! reminders), and the knowledge search's `[knowledge]`.

use crate::{Training, declaration};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_non_negative,
};
use ascent_knowledge::{KnowledgeCache, SearchSettings};
use serde::{Deserialize, Serialize};

/// `[training]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    /// Who hears about knowledge gaps.
    pub docs_team: String,
    /// BM25 score an article needs to count as an answer.
    pub min_article_score: f32,
    /// Unanswered tickets on one topic before the gap is reported.
    pub gap_after_tickets: usize,
    /// A ticket's topic: its this many most frequent terms (stop-words out, stemmed).
    pub gap_key_terms: usize,
    /// An unanswered ticket joins the gap whose topic is most like its own when their terms
    /// are at least this alike (shared terms over all terms, percent); else it opens a gap.
    pub gap_similarity_pct: u32,
    /// How far ahead webinars are recommended, in days.
    pub webinar_lookahead_days: i64,
    /// How far ahead the daily run reminds registrants, in hours.
    pub reminder_hours_ahead: i64,
    /// How the knowledge base is searched: `[knowledge]`, read with `[training]`.
    #[serde(skip, default)]
    pub search: SearchSettings,
}

impl Validate for TrainingConfig {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("docs_team", &self.docs_team)?;
        check_non_negative("min_article_score", self.min_article_score)?;
        check_in_range("gap_after_tickets", self.gap_after_tickets, 1, 1_000)?;
        check_in_range("gap_key_terms", self.gap_key_terms, 1, 20)?;
        check_in_range("gap_similarity_pct", self.gap_similarity_pct, 1, 100)?;
        check_in_range(
            "webinar_lookahead_days",
            self.webinar_lookahead_days,
            1,
            365,
        )?;
        check_in_range("reminder_hours_ahead", self.reminder_hours_ahead, 1, 72)
    }
}

impl TrainingConfig {
    /// Reads and validates `[training]` and `[knowledge]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let mut config: Self = file.section("training")?;
        config.search = SearchSettings::from_file(file)?;
        Ok(config)
    }
}

impl Training {
    pub fn new(config: TrainingConfig) -> Self {
        Self {
            decl: declaration(),
            knowledge: KnowledgeCache::new(config.search.clone()),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(TrainingConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for TrainingConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [training] is valid")
    }
}

impl Default for Training {
    fn default() -> Self {
        Self::new(TrainingConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = TrainingConfig::default();
        assert_eq!(c.docs_team, "docs@ascent-xr.example");
        assert_eq!((c.min_article_score, c.gap_after_tickets), (1.0, 2));
        assert_eq!((c.gap_key_terms, c.gap_similarity_pct), (5, 25));
        assert_eq!(c.search, SearchSettings::default());
        assert_eq!((c.webinar_lookahead_days, c.reminder_hours_ahead), (30, 36));
    }

    #[test]
    fn a_bad_docs_address_is_refused_with_its_line() {
        let text = ConfigFile::shipped().text().replace(
            "docs_team = \"docs@ascent-xr.example\"",
            "docs_team = \"docs\"",
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = TrainingConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "training.docs_team");
        assert!(e.line.is_some());
    }

    #[test]
    fn a_bad_gap_setting_or_search_setting_is_refused_with_its_key() {
        for (from, to, path) in [
            (
                "gap_similarity_pct = 25",
                "gap_similarity_pct = 0",
                "training.gap_similarity_pct",
            ),
            (
                "gap_key_terms = 5",
                "gap_key_terms = 0",
                "training.gap_key_terms",
            ),
            (
                "relative_score_pct = 40",
                "relative_score_pct = 101",
                "knowledge.relative_score_pct",
            ),
        ] {
            let text = ConfigFile::shipped().text().replace(from, to);
            let file = ConfigFile::parse("x.toml", text).unwrap();
            let e = TrainingConfig::from_file(&file).unwrap_err();
            assert_eq!(e.path, path);
            assert!(e.line.is_some(), "{e}");
        }
    }

    /// docs/support.md "Knowledge search" lists the gap settings with their shipped values.
    #[test]
    fn the_support_page_describes_the_configured_gap_grouping() {
        let page = include_str!("../../../docs/support.md");
        let start = page.find("\n## Knowledge search\n").expect("the section");
        let section = &page[start + 1..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
        let c = TrainingConfig::default();
        for (key, value) in [
            ("gap_key_terms", c.gap_key_terms.to_string()),
            ("gap_similarity_pct", c.gap_similarity_pct.to_string()),
            ("gap_after_tickets", c.gap_after_tickets.to_string()),
        ] {
            let row = format!("| `{key}` | {value} |");
            assert!(section.contains(&row), "missing or out of date: {row}");
        }
    }
}
