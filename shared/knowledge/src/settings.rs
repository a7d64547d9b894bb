//! Search settings: `[knowledge]` of `ascent.toml` (synonyms, the relative score threshold,
//! typo tolerance, the title's weight).

use ascent_core::config::{ConfigError, ConfigFile, Invalid, Validate, check_in_range};
use serde::{Deserialize, Serialize};

/// `[knowledge]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSettings {
    /// A hit is kept when it scores at least this share of the best hit (percent); the
    /// caller's minimum score is the absolute floor.
    pub relative_score_pct: u32,
    /// How much more a word in the title counts than one in the body or tags.
    pub title_boost: f32,
    /// Query words shorter than this (after stemming) are never corrected.
    pub fuzzy_min_length: usize,
    /// Edits a misspelt query word may be corrected by (1 or 2).
    pub fuzzy_distance: usize,
    /// Words at least this long may be corrected by two edits.
    pub fuzzy_two_edits_from: usize,
    /// Groups of words or phrases that mean the same; a query with one searches for all.
    pub synonyms: Vec<Vec<String>>,
}

impl Validate for SearchSettings {
    fn validate(&self) -> Result<(), Invalid> {
        check_in_range("relative_score_pct", self.relative_score_pct, 0, 100)?;
        check_in_range("title_boost", self.title_boost, 0.1, 10.0)?;
        check_in_range("fuzzy_min_length", self.fuzzy_min_length, 3, 20)?;
        check_in_range("fuzzy_distance", self.fuzzy_distance, 0, 2)?;
        check_in_range(
            "fuzzy_two_edits_from",
            self.fuzzy_two_edits_from,
            self.fuzzy_min_length,
            40,
        )?;
        for (i, group) in self.synonyms.iter().enumerate() {
            if group.len() < 2 {
                return Err(Invalid::new(
                    format!("synonyms[{i}]"),
                    "a group needs two or more words or phrases",
                ));
            }
            for (j, member) in group.iter().enumerate() {
                if crate::analysis::terms(member).is_empty() {
                    return Err(Invalid::new(
                        format!("synonyms[{i}][{j}]"),
                        format!("`{member}` has no word to search for (blank or only stop-words)"),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl SearchSettings {
    /// Reads and validates `[knowledge]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        file.section("knowledge")
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for SearchSettings {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [knowledge] is valid")
    }
}
