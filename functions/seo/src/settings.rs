//! SEO's settings, read once at start from `ascent.toml`'s `[seo]`: who owns SEO (drop alerts,
//! the weekly report) and on which day the report is made, how much rank history is kept and
//! what counts as a drop, the click-through rate by position that scores opportunities and
//! gaps, what counts as a content gap, and the thresholds of the technical checks.

use crate::{Seo, declaration};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_weekday,
};
use ascent_core::limits::MAX_WRITES;
use chrono::Weekday;
use serde::{Deserialize, Serialize};

/// The rank tracker's deepest position: a keyword outside the top 100 is "not ranked".
pub const DEEPEST_RANK: u32 = 100;

/// SEO's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeoConfig {
    /// Gets rank drop alerts and the weekly SEO report.
    pub owner: String,
    pub weekly_report_day: Weekday,
    /// Observations kept per keyword, the most recent by day.
    pub history_kept: usize,
    pub drops: DropRule,
    pub scoring: Scoring,
    pub gaps: GapRule,
    /// Keywords one `CompetitorKeywordsObserved` may list (more is refused: bounded work).
    pub competitor_keywords_per_event: usize,
    pub pages: PageChecks,
    /// Pages with findings, and drops, listed in the weekly report at most.
    pub report_items_listed: usize,
}

/// When a keyword's new position is a drop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropRule {
    /// More places worse than the trailing average is a drop.
    pub places: f64,
    /// The average is over this many previous ranked observations …
    pub trailing: usize,
    /// … and needs at least this many of them.
    pub min_trailing: usize,
    /// Leaving the top `top_n` (in it at the previous observation) is a drop too.
    pub top_n: u32,
}

/// How keyword opportunities and content gaps are scored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scoring {
    /// Click-through rate in percent of positions 1, 2, …; beyond the table no clicks.
    pub ctr_by_position_pct: Vec<f64>,
    /// The position an opportunity is scored at.
    pub target_position: u32,
    /// Opportunities kept in the ranked list (the best).
    pub opportunities_kept: usize,
}

/// What makes a competitor's keyword a content gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapRule {
    /// The competitor ranks at this position or better.
    pub competitor_top: u32,
    /// At least this many searches a month.
    pub min_volume: u32,
    /// We rank worse than this position, or not at all.
    pub our_rank_worse_than: u32,
}

/// Thresholds of the technical checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageChecks {
    /// A page loading in more milliseconds is slow.
    pub slow_ms: u32,
    /// Broken links listed per page (all are counted).
    pub broken_links_kept: usize,
}

/// `[seo]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeoSection {
    owner: String,
    weekly_report_day: String,
    history_kept: usize,
    drop_places: f64,
    trailing_observations: usize,
    min_trailing: usize,
    top_n: u32,
    ctr_by_position_pct: Vec<f64>,
    target_position: u32,
    opportunities_kept: usize,
    gaps: GapRule,
    competitor_keywords_per_event: usize,
    pages: PageChecks,
    report_items_listed: usize,
}

impl Validate for SeoSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("owner", &self.owner)?;
        check_weekday("weekly_report_day", &self.weekly_report_day)?;
        // Each observation is at most ~1.1 KB of the keyword's one item (its page address is
        // at most 1,000 characters): 200 stay far below DynamoDB's 400 KB.
        check_in_range("history_kept", self.history_kept, 2, 200)?;
        if !self.drop_places.is_finite() {
            return Err(Invalid::new("drop_places", "is not a number"));
        }
        check_in_range("drop_places", self.drop_places, 0.5, 99.0)?;
        check_in_range(
            "trailing_observations",
            self.trailing_observations,
            1,
            self.history_kept - 1,
        )?;
        check_in_range(
            "min_trailing",
            self.min_trailing,
            1,
            self.trailing_observations,
        )?;
        check_in_range("top_n", self.top_n, 1, DEEPEST_RANK - 1)?;
        let ctr = &self.ctr_by_position_pct;
        if ctr.is_empty() || ctr.len() > DEEPEST_RANK as usize {
            return Err(Invalid::new(
                "ctr_by_position_pct",
                "needs 1 to 100 positions",
            ));
        }
        for (i, p) in ctr.iter().enumerate() {
            let at = format!("ctr_by_position_pct[{i}]");
            if !p.is_finite() {
                return Err(Invalid::new(at, "is not a number"));
            }
            check_in_range(&at, *p, 0.0, 100.0)?;
            if i > 0 && *p > ctr[i - 1] {
                return Err(Invalid::new(at, "is above the position before it"));
            }
        }
        if ctr.iter().sum::<f64>() > 100.0 {
            return Err(Invalid::new("ctr_by_position_pct", "adds up to over 100"));
        }
        check_in_range("target_position", self.target_position, 1, ctr.len() as u32)?;
        // The list is one item, each entry at most ~1.3 KB (address and keyword).
        check_in_range("opportunities_kept", self.opportunities_kept, 1, 200)?;
        check_in_range(
            "gaps.competitor_top",
            self.gaps.competitor_top,
            1,
            DEEPEST_RANK,
        )?;
        check_in_range(
            "gaps.our_rank_worse_than",
            self.gaps.our_rank_worse_than,
            1,
            DEEPEST_RANK,
        )?;
        // A gap marker per keyword, plus nothing else: one transaction.
        check_in_range(
            "competitor_keywords_per_event",
            self.competitor_keywords_per_event,
            1,
            MAX_WRITES,
        )?;
        check_in_range("pages.slow_ms", self.pages.slow_ms, 100, 120_000)?;
        check_in_range(
            "pages.broken_links_kept",
            self.pages.broken_links_kept,
            1,
            200,
        )?;
        check_in_range("report_items_listed", self.report_items_listed, 1, 200)?;
        Ok(())
    }
}

impl SeoConfig {
    /// Reads and validates `[seo]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: SeoSection = file.section("seo")?;
        let day = check_weekday("weekly_report_day", &s.weekly_report_day)
            .map_err(|e| file.invalid("seo", e))?;
        Ok(Self {
            owner: s.owner,
            weekly_report_day: day,
            history_kept: s.history_kept,
            drops: DropRule {
                places: s.drop_places,
                trailing: s.trailing_observations,
                min_trailing: s.min_trailing,
                top_n: s.top_n,
            },
            scoring: Scoring {
                ctr_by_position_pct: s.ctr_by_position_pct,
                target_position: s.target_position,
                opportunities_kept: s.opportunities_kept,
            },
            gaps: s.gaps,
            competitor_keywords_per_event: s.competitor_keywords_per_event,
            pages: s.pages,
            report_items_listed: s.report_items_listed,
        })
    }
}

impl Seo {
    pub fn new(config: SeoConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(SeoConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for SeoConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [seo] is valid")
    }
}

impl Default for Seo {
    fn default() -> Self {
        Self::new(SeoConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_read() {
        let c = SeoConfig::default();
        assert_eq!(c.owner, "seo@ascent-xr.example");
        assert_eq!(c.weekly_report_day, Weekday::Mon);
        assert_eq!(c.history_kept, 30);
        assert_eq!(
            c.drops,
            DropRule {
                places: 5.0,
                trailing: 7,
                min_trailing: 3,
                top_n: 10
            }
        );
        assert_eq!(c.scoring.ctr_by_position_pct.len(), 10);
        assert_eq!(c.scoring.ctr_by_position_pct[2], 11.0);
        assert_eq!(
            (c.scoring.target_position, c.scoring.opportunities_kept),
            (3, 25)
        );
        assert_eq!(
            c.gaps,
            GapRule {
                competitor_top: 10,
                min_volume: 200,
                our_rank_worse_than: 20
            }
        );
        assert_eq!(c.competitor_keywords_per_event, 40);
        assert_eq!(
            c.pages,
            PageChecks {
                slow_ms: 3000,
                broken_links_kept: 20
            }
        );
        assert_eq!(c.report_items_listed, 20);
    }

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        let at = shipped.find("\n[seo]\n").expect("the section");
        assert!(shipped[at..].contains(from), "{from}");
        let text = format!("{}{}", &shipped[..at], shipped[at..].replacen(from, to, 1));
        let file = ConfigFile::parse("x.toml", text).unwrap();
        SeoConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn bad_settings_are_refused_naming_the_key() {
        let cases = [
            (
                "owner = \"seo@ascent-xr.example\"",
                "owner = \"seo\"",
                "seo.owner",
            ),
            (
                "weekly_report_day = \"Mon\"",
                "weekly_report_day = \"Funday\"",
                "seo.weekly_report_day",
            ),
            ("history_kept = 30", "history_kept = 1", "seo.history_kept"),
            ("drop_places = 5.0", "drop_places = nan", "seo.drop_places"),
            (
                "trailing_observations = 7",
                "trailing_observations = 30",
                "seo.trailing_observations",
            ),
            ("min_trailing = 3", "min_trailing = 8", "seo.min_trailing"),
            ("top_n = 10", "top_n = 100", "seo.top_n"),
            ("15.8, 11.0", "15.8, 16.0", "seo.ctr_by_position_pct[2]"),
            ("27.6, 15.8", "97.6, 15.8", "seo.ctr_by_position_pct"),
            (
                "target_position = 3",
                "target_position = 11",
                "seo.target_position",
            ),
            (
                "opportunities_kept = 25",
                "opportunities_kept = 0",
                "seo.opportunities_kept",
            ),
            (
                "competitor_top = 10",
                "competitor_top = 101",
                "seo.gaps.competitor_top",
            ),
            (
                "competitor_keywords_per_event = 40",
                "competitor_keywords_per_event = 50",
                "seo.competitor_keywords_per_event",
            ),
            ("slow_ms = 3000", "slow_ms = 5", "seo.pages.slow_ms"),
            (
                "report_items_listed = 20",
                "report_items_listed = 0",
                "seo.report_items_listed",
            ),
            (
                "min_volume = 200,",
                "min_volume = 200, extra = 1,",
                "seo.gaps.extra",
            ),
        ];
        for (from, to, path) in cases {
            let e = refused(from, to);
            assert!(e.path.starts_with(path), "{to}: {} ({})", e.path, e.message);
            assert!(e.line.is_some(), "{to}");
        }
    }
}
