//! Training's settings: `[training]` of `ascent.toml` (who hears about knowledge gaps, when a
//! gap is raised, article matching, webinar look-ahead and reminders).

use crate::{Training, declaration};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_non_negative,
};
use ascent_knowledge::KnowledgeCache;
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
    /// How far ahead webinars are recommended, in days.
    pub webinar_lookahead_days: i64,
    /// How far ahead the daily run reminds registrants, in hours.
    pub reminder_hours_ahead: i64,
}

impl Validate for TrainingConfig {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("docs_team", &self.docs_team)?;
        check_non_negative("min_article_score", self.min_article_score)?;
        check_in_range("gap_after_tickets", self.gap_after_tickets, 1, 1_000)?;
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
    /// Reads and validates `[training]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        file.section("training")
    }
}

impl Training {
    pub fn new(config: TrainingConfig) -> Self {
        Self {
            decl: declaration(),
            knowledge: KnowledgeCache::default(),
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
}
