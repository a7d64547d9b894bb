//! Demo Scheduling's settings, read once at start from `ascent.toml`: `[demo_scheduling]`
//! (hours, buffers, horizon, resource pools, qualification), each rep's zone and hours from
//! `[sales_team]`, the rates of `[currency]` and the company name of `[company]`.

use crate::{DemoConfig, DemoScheduling, RepHours};
use ascent_core::config::platform::{Company, Currency, SalesTeam, check_hours};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_in_range, check_non_negative,
    check_time_zone, parse_hhmm,
};
use ascent_core::money::Money;
use serde::Deserialize;

/// `[demo_scheduling]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSection {
    default_rep_time_zone: String,
    default_rep_hours: [String; 2],
    prospect_hours: [String; 2],
    buffer_minutes: i64,
    step_minutes: i64,
    min_lead_hours: i64,
    search_days: i64,
    reminder_hours_ahead: i64,
    headsets: u32,
    sandboxes: u32,
    headset_ship_days: i64,
    headset_return_days: i64,
    min_budget_minor: i64,
    max_timeline_days: u32,
    max_unknowns: u32,
    prep_material: String,
    meeting_url: String,
}

impl Validate for DemoSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_time_zone("default_rep_time_zone", &self.default_rep_time_zone)?;
        check_hours("default_rep_hours", &self.default_rep_hours)?;
        check_hours("prospect_hours", &self.prospect_hours)?;
        check_non_negative("buffer_minutes", self.buffer_minutes)?;
        check_in_range("step_minutes", self.step_minutes, 5, 240)?;
        check_non_negative("min_lead_hours", self.min_lead_hours)?;
        check_in_range("search_days", self.search_days, 1, 90)?;
        check_in_range("reminder_hours_ahead", self.reminder_hours_ahead, 1, 72)?;
        check_in_range("headset_ship_days", self.headset_ship_days, 0, 30)?;
        check_in_range("headset_return_days", self.headset_return_days, 0, 30)?;
        check_non_negative("min_budget_minor", self.min_budget_minor)?;
        check_in_range("max_timeline_days", self.max_timeline_days, 1, 3650)?;
        check_in_range("max_unknowns", self.max_unknowns, 0, 4)?;
        if self.prep_material.trim().is_empty() {
            return Err(Invalid::new("prep_material", "may not be empty"));
        }
        if !self.meeting_url.starts_with("https://") || !self.meeting_url.contains("{request_id}") {
            return Err(Invalid::new(
                "meeting_url",
                "an https:// link with {request_id} where the demo request's id goes",
            ));
        }
        Ok(())
    }
}

fn hours(path: &str, time_zone: String, h: &[String; 2]) -> Result<RepHours, Invalid> {
    Ok(RepHours {
        time_zone,
        from: parse_hhmm(&format!("{path}[0]"), &h[0])?,
        to: parse_hhmm(&format!("{path}[1]"), &h[1])?,
    })
}

impl DemoConfig {
    /// Reads and validates `[demo_scheduling]`, `[sales_team]`, `[currency]` and `[company]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: DemoSection = file.section("demo_scheduling")?;
        let company: Company = file.section("company")?;
        let team: SalesTeam = file.section("sales_team")?;
        let currency: Currency = file.section("currency")?;
        let mut reps = std::collections::BTreeMap::new();
        for (i, r) in team.reps.into_iter().enumerate() {
            let path = format!("reps[{i}].working_hours");
            let h = hours(&path, r.time_zone, &r.working_hours)
                .map_err(|e| file.invalid("sales_team", e))?;
            reps.insert(r.email, h);
        }
        let at = |e| file.invalid("demo_scheduling", e);
        let default_rep_hours = hours(
            "default_rep_hours",
            s.default_rep_time_zone,
            &s.default_rep_hours,
        )
        .map_err(at)?;
        Ok(Self {
            reps,
            default_rep_hours,
            prospect_from: parse_hhmm("prospect_hours[0]", &s.prospect_hours[0]).map_err(at)?,
            prospect_to: parse_hhmm("prospect_hours[1]", &s.prospect_hours[1]).map_err(at)?,
            buffer_minutes: s.buffer_minutes,
            step_minutes: s.step_minutes,
            min_lead_hours: s.min_lead_hours,
            search_days: s.search_days,
            headsets: s.headsets,
            sandboxes: s.sandboxes,
            headset_ship_days: s.headset_ship_days,
            headset_return_days: s.headset_return_days,
            min_budget: Money::new(s.min_budget_minor, &currency.base),
            max_timeline_days: s.max_timeline_days,
            max_unknowns: s.max_unknowns,
            reminder_hours_ahead: s.reminder_hours_ahead,
            fx: currency.fx(),
            prep_material: s.prep_material,
            meeting_url: s.meeting_url,
            company: company.name,
        })
    }
}

impl DemoScheduling {
    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(DemoConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for DemoConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [demo_scheduling] is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = DemoConfig::default();
        assert_eq!(
            c.reps["kenji.rep@ascent-xr.example"].time_zone,
            "Asia/Tokyo"
        );
        assert_eq!(
            c.reps["ava.rep@ascent-xr.example"].to.to_string(),
            "17:30:00"
        );
        assert_eq!(c.prospect_to.to_string(), "18:00:00");
        assert_eq!(c.min_budget, Money::usd(1_000_000));
        assert_eq!((c.headsets, c.sandboxes, c.max_unknowns), (8, 2, 1));
        assert_eq!(c.reminder_hours_ahead, 36);
        assert_eq!(c.company, "Ascent XR");
    }

    #[test]
    fn an_empty_company_name_is_refused_with_its_key() {
        let text = ConfigFile::shipped()
            .text()
            .replace("name = \"Ascent XR\"", "name = \" \"");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = DemoConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "company.name");
        assert!(e.line.is_some());
    }

    #[test]
    fn hours_that_end_before_they_start_are_refused() {
        let text = ConfigFile::shipped().text().replace(
            "prospect_hours = [\"09:00\", \"18:00\"]",
            "prospect_hours = [\"19:00\", \"18:00\"]",
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = DemoConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "demo_scheduling.prospect_hours");
        assert!(e.line.is_some());
    }

    /// The `## Demos` section of docs/customer-facing.md.
    fn documented() -> String {
        let page = include_str!("../../../docs/customer-facing.md");
        let start = page
            .find("## Demos")
            .expect("docs/customer-facing.md has ## Demos");
        let rest = &page[start + 3..];
        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
    }

    #[test]
    fn the_demos_page_states_every_shipped_rule() {
        let c = DemoConfig::default();
        let page = documented();
        let rules = [
            "`[demo_scheduling] meeting_url`".to_string(),
            format!("`headset_ship_days` ({})", c.headset_ship_days),
            format!("`headset_return_days` ({})", c.headset_return_days),
            format!(
                "`headset_ship_days` ({}) days after it is booked",
                c.headset_ship_days
            ),
            format!("`min_lead_hours` ({}) hours", c.min_lead_hours),
            "`booking::earliest_start`".to_string(),
            "METHOD:REQUEST".to_string(),
            "METHOD:CANCEL".to_string(),
            "SEQUENCE".to_string(),
        ];
        for rule in rules {
            assert!(page.contains(&rule), "## Demos does not say {rule}");
        }
    }

    #[test]
    fn a_shipping_time_beyond_a_month_is_refused_with_its_key() {
        let text = ConfigFile::shipped()
            .text()
            .replace("headset_ship_days = 2", "headset_ship_days = 45");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = DemoConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "demo_scheduling.headset_ship_days");
        assert!(e.line.is_some());
    }
}
