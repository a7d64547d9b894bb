//! Support's settings, read once at start from `ascent.toml`: `[support]` (business hours,
//! SLA targets per priority, each team's queue and lead addresses, duplicate detection and
//! article matching, the help desks' `[support.desks]`: [`crate::desk_settings`]) and the plans
//! of `[plans]` that raise a ticket's priority.

use crate::desk_settings::{DeskSettings, DesksSection};
use crate::sla::BusinessHours;
use crate::{Support, triage};
use ascent_core::agent::AgentError;
use ascent_core::catalog::TicketPriority;
use ascent_core::config::platform::{Approvals, Plans};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_non_negative,
    check_time_zone, parse_hhmm,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Support's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SupportConfig {
    pub hours: BusinessHours,
    /// The team lead is warned when a timer has used this share of its target (percent).
    pub warn_at_pct: u32,
    /// Tickets from the same account this similar (0–1) within `duplicate_hours` are merged.
    pub duplicate_similarity: f64,
    pub duplicate_hours: i64,
    /// BM25 score an article needs to be suggested.
    pub min_article_score: f32,
    /// Priority (`urgent`, `high`, `normal`, `low`) → its targets.
    pub sla: BTreeMap<String, SlaTarget>,
    /// Team → its addresses.
    pub teams: BTreeMap<String, SupportTeam>,
    /// Plans whose tickets are raised one priority step.
    pub boost_plans: Vec<String>,
    /// Keywords, sentiment lexicon and categories with their teams.
    pub triage: triage::TriageRules,
    /// How the knowledge base is searched (`[knowledge]`, shared with Training).
    pub search: ascent_knowledge::SearchSettings,
    /// How decisions go back to Zendesk and Intercom.
    pub desks: DeskSettings,
}

/// Minutes to first response and to resolution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTarget {
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    /// Counted on the clock, not in business hours.
    #[serde(default)]
    pub around_the_clock: bool,
}

/// Where a team's tickets and breaches go.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportTeam {
    /// The team's queue: gets every ticket triaged to it.
    pub queue: String,
    /// The team lead: told about every SLA breach.
    pub lead: String,
}

/// `[support]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SupportSection {
    warn_at_pct: u32,
    duplicate_similarity: f64,
    duplicate_hours: i64,
    min_article_score: f32,
    business_hours: HoursSection,
    sla: BTreeMap<String, SlaTarget>,
    teams: BTreeMap<String, SupportTeam>,
    triage: triage::TriageRules,
    desks: DesksSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursSection {
    time_zone: String,
    opens: String,
    closes: String,
    /// The desk's holidays (local dates).
    #[serde(default)]
    holidays: Vec<chrono::NaiveDate>,
}

const PRIORITIES: [&str; 4] = ["urgent", "high", "normal", "low"];

fn priority_key(p: TicketPriority) -> &'static str {
    match p {
        TicketPriority::Urgent => "urgent",
        TicketPriority::High => "high",
        TicketPriority::Normal => "normal",
        TicketPriority::Low => "low",
    }
}

impl Validate for SupportSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_in_range("warn_at_pct", self.warn_at_pct, 1, 99)?;
        check_in_range("duplicate_similarity", self.duplicate_similarity, 0.0, 1.0)?;
        check_non_negative("duplicate_hours", self.duplicate_hours)?;
        check_non_negative("min_article_score", self.min_article_score)?;
        let h = &self.business_hours;
        check_time_zone("business_hours.time_zone", &h.time_zone)?;
        let opens = parse_hhmm("business_hours.opens", &h.opens)?;
        if parse_hhmm("business_hours.closes", &h.closes)? <= opens {
            return Err(Invalid::new(
                "business_hours.closes",
                "must come after opens",
            ));
        }
        for p in PRIORITIES {
            let Some(t) = self.sla.get(p) else {
                return Err(Invalid::new(
                    "sla",
                    format!("the priority `{p}` has no targets"),
                ));
            };
            check_in_range(
                &format!("sla.{p}.first_response_minutes"),
                t.first_response_minutes,
                1,
                525_600,
            )?;
            if t.resolution_minutes < t.first_response_minutes {
                return Err(Invalid::new(
                    format!("sla.{p}.resolution_minutes"),
                    "may not be shorter than the first response",
                ));
            }
        }
        if let Some(k) = self.sla.keys().find(|k| !PRIORITIES.contains(&k.as_str())) {
            return Err(Invalid::new(
                format!("sla.{k}"),
                "not a priority (urgent, high, normal, low)",
            ));
        }
        self.triage
            .validate()
            .map_err(|e| Invalid::new(format!("triage.{}", e.path), e.message))?;
        for (i, c) in self.triage.categories.iter().enumerate() {
            if !self.teams.contains_key(&c.team) {
                return Err(Invalid::new(
                    format!("triage.categories[{i}].team"),
                    format!("the team `{}` has no addresses in [support.teams]", c.team),
                ));
            }
        }
        if !self.teams.contains_key(&self.triage.fallback_team) {
            return Err(Invalid::new(
                "triage.fallback_team",
                format!(
                    "the team `{}` has no addresses in [support.teams]",
                    self.triage.fallback_team
                ),
            ));
        }
        for (team, t) in &self.teams {
            check_email(&format!("teams.{team}.queue"), &t.queue)?;
            check_email(&format!("teams.{team}.lead"), &t.lead)?;
        }
        self.desks
            .validate()
            .map_err(|e| Invalid::new(format!("desks.{}", e.path), e.message))
    }
}

impl SupportConfig {
    /// Reads and validates `[support]`, `[plans]` and `[knowledge]`; the desks' approver role
    /// must have a chain in `[approvals.roles]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: SupportSection = file.section("support")?;
        let plans: Plans = file.section("plans")?;
        let at = |e| file.invalid("support", e);
        let approvals: Approvals = file.section("approvals")?;
        approvals
            .check_role("desks.approver_role", &s.desks.approver_role)
            .map_err(at)?;
        let h = &s.business_hours;
        Ok(Self {
            hours: BusinessHours {
                time_zone: h.time_zone.clone(),
                opens: parse_hhmm("business_hours.opens", &h.opens).map_err(at)?,
                closes: parse_hhmm("business_hours.closes", &h.closes).map_err(at)?,
                holidays: h.holidays.clone(),
            },
            warn_at_pct: s.warn_at_pct,
            duplicate_similarity: s.duplicate_similarity,
            duplicate_hours: s.duplicate_hours,
            min_article_score: s.min_article_score,
            sla: s.sla,
            teams: s.teams,
            triage: s.triage,
            search: ascent_knowledge::SearchSettings::from_file(file)?,
            desks: s.desks.into(),
            boost_plans: plans
                .tiers
                .into_iter()
                .filter(|(_, p)| p.support_priority_boost)
                .map(|(t, _)| t)
                .collect(),
        })
    }

    /// The targets of a priority (validation guarantees every priority has them).
    pub fn target(&self, p: TicketPriority) -> &SlaTarget {
        &self.sla[priority_key(p)]
    }

    /// The addresses of a team.
    pub fn team(&self, name: &str) -> Result<&SupportTeam, AgentError> {
        self.teams
            .get(name)
            .ok_or_else(|| AgentError::Invalid(format!("team `{name}` has no addresses")))
    }
}

impl Support {
    /// The agent with the settings of `file` and the help desks whose credentials the
    /// environment has (`ASCENT_ZENDESK_API_TOKEN`, `ASCENT_INTERCOM_TOKEN`): the Lambda's
    /// start. Without them, nothing is queued for that desk.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        let config = SupportConfig::from_file(file)?;
        let d = config.desks.clone();
        let mut agent = Self::new(config)
            .map_err(|e| file.invalid("support", Invalid::new("business_hours.time_zone", e)))?;
        if let Ok(token) = std::env::var("ASCENT_ZENDESK_API_TOKEN") {
            agent = agent.with_help_desk(std::sync::Arc::new(crate::zendesk::Zendesk::new(
                &d.zendesk, &token, d.http,
            )));
        }
        if let Ok(token) = std::env::var("ASCENT_INTERCOM_TOKEN") {
            agent = agent.with_help_desk(std::sync::Arc::new(crate::intercom::Intercom::new(
                &d.intercom,
                &token,
                d.http,
            )));
        }
        Ok(agent)
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for SupportConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [support] is valid")
    }
}

impl Default for Support {
    fn default() -> Self {
        Self::new(SupportConfig::default()).expect("the shipped time zone is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Support searches as the deployed file says (`[knowledge]`), like Training, not as the
    /// compiled-in defaults.
    #[test]
    fn the_search_settings_come_from_the_deployed_file() {
        assert_eq!(SupportConfig::default().search.relative_score_pct, 40);
        let text = ConfigFile::shipped()
            .text()
            .replace("relative_score_pct = 40", "relative_score_pct = 75");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let c = SupportConfig::from_file(&file).unwrap();
        assert_eq!(c.search.relative_score_pct, 75);
    }

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = SupportConfig::default();
        assert_eq!(c.hours.time_zone, "America/New_York");
        assert_eq!(c.hours.opens.to_string(), "08:00:00");
        let t = |p| {
            let t = c.target(p);
            (
                t.first_response_minutes,
                t.resolution_minutes,
                t.around_the_clock,
            )
        };
        assert_eq!(t(TicketPriority::Urgent), (60, 480, true));
        assert_eq!(t(TicketPriority::High), (240, 1_200, false));
        assert_eq!(t(TicketPriority::Normal), (480, 3_000, false));
        assert_eq!(t(TicketPriority::Low), (1_440, 6_000, false));
        let team = c.team("support-technical").unwrap();
        assert_eq!(team.queue, "support-technical@ascent-xr.example");
        assert_eq!(team.lead, "lead.support-technical@ascent-xr.example");
        assert_eq!(c.boost_plans, ["enterprise"]);
    }

    #[test]
    fn a_missing_priority_and_a_bad_zone_are_refused() {
        let shipped = ConfigFile::shipped();
        let text = shipped
            .text()
            .replace("[support.sla.low]", "[support.sla.lowest]");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = SupportConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "support.sla");
        let text = shipped.text().replace(
            "time_zone = \"America/New_York\"\nopens",
            "time_zone = \"Eastern\"\nopens",
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = SupportConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "support.business_hours.time_zone");
        assert!(e.line.is_some());
    }

    fn with(from: &str, to: &str) -> Result<SupportConfig, ConfigError> {
        let text = ConfigFile::shipped().text().replace(from, to);
        assert_ne!(
            text,
            ConfigFile::shipped().text(),
            "`{from}` is not in the shipped file"
        );
        SupportConfig::from_file(&ConfigFile::parse("x.toml", text).unwrap())
    }

    #[test]
    fn changed_triage_rules_change_the_triage() {
        let text = ("Sync is slow", "The headset lags in the studio.");
        let shipped = SupportConfig::default();
        let t = shipped.triage.triage(text.0, text.1, None);
        assert_eq!((t.category, t.team), ("performance", "support-technical"));
        // A company that sends performance tickets to its hardware team.
        let c = with(
            "name = \"performance\"\nteam = \"support-technical\"",
            "name = \"performance\"\nteam = \"support-hardware\"",
        )
        .unwrap();
        assert_eq!(
            c.triage.triage(text.0, text.1, None).team,
            "support-hardware"
        );
        // A word that makes a ticket urgent.
        let c = with(
            "urgent_words = [\"outage\",",
            "urgent_words = [\"lags\", \"outage\",",
        )
        .unwrap();
        assert_eq!(
            c.triage.triage(text.0, text.1, None).priority,
            TicketPriority::Urgent
        );
        assert_eq!(
            shipped.triage.triage(text.0, text.1, None).priority,
            TicketPriority::Normal
        );
    }

    #[test]
    fn invalid_triage_rules_are_refused_naming_the_key() {
        let refused = |from: &str, to: &str| {
            let e = with(from, to).unwrap_err();
            assert!(e.line.is_some(), "{e}");
            e.path
        };
        assert_eq!(
            refused(
                "team = \"support-billing\"\nwords",
                "team = \"support-finance\"\nwords"
            ),
            "support.triage.categories[0].team"
        );
        assert_eq!(
            refused(
                "low_words = [\"feature request\",",
                "low_words = [\"Feature Request\","
            ),
            "support.triage.low_words[0]"
        );
        assert_eq!(
            refused("name = \"bug\"", "name = \"billing\""),
            "support.triage.categories[4].name"
        );
        assert_eq!(
            refused("points_per_word = 20", "points_per_word = -5"),
            "support.triage.points_per_word"
        );
        assert_eq!(
            refused(
                "fallback_team = \"support-success\"",
                "fallback_team = \"nobody\""
            ),
            "support.triage.fallback_team"
        );
    }
}
