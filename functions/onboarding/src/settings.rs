//! Onboarding's settings, read once at start from `ascent.toml`: `[onboarding]` (the seats
//! that count as a team), each plan's milestone days and success manager from `[plans]`, and
//! the company name of `[company]`.

use crate::{Onboarding, OnboardingConfig};
use ascent_core::config::platform::{Company, Plans};
use ascent_core::config::{ConfigError, ConfigFile, Invalid, Validate, check_in_range};
use serde::Deserialize;

/// `[onboarding]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnboardingSection {
    team_seats: u32,
    team_share_pct: u32,
    default_plan: String,
    reescalate_every_days: i64,
    max_escalations: u32,
}

impl Validate for OnboardingSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_in_range("team_seats", self.team_seats, 1, 100_000)?;
        check_in_range("team_share_pct", self.team_share_pct, 1, 100)?;
        check_in_range("reescalate_every_days", self.reescalate_every_days, 1, 90)?;
        check_in_range("max_escalations", self.max_escalations, 1, 10)
    }
}

impl OnboardingConfig {
    /// Reads and validates `[onboarding]`, `[plans]` and `[company]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: OnboardingSection = file.section("onboarding")?;
        let plans: Plans = file.section("plans")?;
        let company: Company = file.section("company")?;
        if !plans.tiers.contains_key(&s.default_plan) {
            return Err(file.invalid(
                "onboarding",
                Invalid::new(
                    "default_plan",
                    format!("`{}` is not a plan of [plans.tiers]", s.default_plan),
                ),
            ));
        }
        Ok(Self {
            due_days: plans
                .tiers
                .iter()
                .map(|(t, p)| (t.clone(), p.onboarding_due_days))
                .collect(),
            managers: plans
                .tiers
                .iter()
                .map(|(t, p)| (t.clone(), p.success_manager.clone()))
                .collect(),
            fallback_manager: plans.fallback_success_manager,
            team_seats: s.team_seats,
            team_share_pct: s.team_share_pct,
            default_plan: s.default_plan,
            escalation: crate::escalation::EscalationRule {
                every_days: s.reescalate_every_days,
                max_escalations: s.max_escalations,
            },
            company: company.name,
        })
    }
}

impl Onboarding {
    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(OnboardingConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for OnboardingConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [onboarding] is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = OnboardingConfig::default();
        assert_eq!(c.due_days["starter"], [2, 5, 10, 21]);
        assert_eq!(c.due_days["enterprise"], [7, 14, 30, 60]);
        assert_eq!(c.managers["starter"], "csm.digital@ascent-xr.example");
        assert_eq!(c.team_seats, 3);
        assert_eq!(c.company, "Ascent XR");
    }

    #[test]
    fn decreasing_milestone_days_are_refused() {
        let text = ConfigFile::shipped()
            .text()
            .replace("[2, 5, 10, 21]", "[2, 5, 1, 21]");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = OnboardingConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "plans.tiers.starter.onboarding_due_days");
        assert!(e.line.is_some());
    }

    /// The `## Onboarding` section of docs/customer-facing.md.
    fn documented() -> String {
        let page = include_str!("../../../docs/customer-facing.md");
        let start = page
            .find("## Onboarding")
            .expect("docs/customer-facing.md has ## Onboarding");
        let rest = &page[start + 3..];
        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
    }

    #[test]
    fn the_onboarding_page_states_every_shipped_rule() {
        let c = OnboardingConfig::default();
        let page = documented();
        let rules = [
            format!("`team_seats` ({})", c.team_seats),
            format!("`team_share_pct` ({}%)", c.team_share_pct),
            format!("`default_plan` ({})", c.default_plan),
            format!("`reescalate_every_days` ({})", c.escalation.every_days),
            format!(
                "`max_escalations`-th ({}",
                ordinal(c.escalation.max_escalations)
            ),
        ];
        for rule in rules {
            assert!(page.contains(&rule), "## Onboarding does not say {rule}");
        }
    }

    fn ordinal(n: u32) -> String {
        let suffix = match (n % 10, n % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        format!("{n}{suffix}")
    }
}
