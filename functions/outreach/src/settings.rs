//! Outreach's settings, read once at start from `ascent.toml`: `[outreach]` (the sequence and
//! how many due steps a daily run hands out, the call hours and the time zones of single-zone
//! countries of `[outreach.calls]`), the company name and postal address of `[company]`, and
//! the unsubscribe page of `[links]`.

use crate::consent::EmailSettings;
use crate::sequence::Sequence;
use crate::{Outreach, OutreachConfig};
use ascent_core::config::platform::{Company, Links};
use ascent_core::config::{ConfigError, ConfigFile, Invalid, Validate, check_in_range};
use ascent_core::writer::TextWriter;
use serde::Deserialize;
use std::sync::Arc;

/// The placeholders a template may use (the facts Outreach gives the writer).
pub const PLACEHOLDERS: [&str; 7] = [
    "first_name",
    "full_name",
    "company",
    "industry",
    "role",
    "rep_name",
    "rep_email",
];

/// Where unsubscribe links point when `[links] unsubscribe_url` is absent and the host gives
/// none: the twin's default address.
pub const TWIN_UNSUBSCRIBE_URL: &str = "http://127.0.0.1:8787/unsubscribe";

/// `[outreach]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutreachSection {
    max_due_per_tick: usize,
    email: EmailSettings,
    calls: crate::calls::CallsSection,
    sequence: Sequence,
}

fn check_template(path: &str, text: &str) -> Result<(), Invalid> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(Invalid::new(path, "a `{` is never closed"));
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(Invalid::new(
                path,
                format!(
                    "`{{{name}}}` is not a placeholder (known: {})",
                    PLACEHOLDERS.join(", ")
                ),
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

impl Validate for OutreachSection {
    fn validate(&self) -> Result<(), Invalid> {
        // One run's events ride in its idempotency record: at most what fits 400 KB.
        check_in_range(
            "max_due_per_tick",
            self.max_due_per_tick,
            1,
            crate::MAX_DUE_PER_TICK,
        )?;
        for country in self.email.countries.keys() {
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Invalid::new(
                    format!("email.countries.{country}"),
                    format!("`{country}` is not a country code (two upper-case letters)"),
                ));
            }
        }
        for (i, p) in self.email.stop_phrases.iter().enumerate() {
            if p.trim().is_empty() || *p != p.to_lowercase() {
                return Err(Invalid::new(
                    format!("email.stop_phrases[{i}]"),
                    "phrases are lower-case and not blank",
                ));
            }
        }
        let seq = &self.sequence;
        if seq.name.trim().is_empty() {
            return Err(Invalid::new("sequence.name", "may not be empty"));
        }
        if seq.steps.is_empty() {
            return Err(Invalid::new(
                "sequence.steps",
                "a sequence needs at least one step",
            ));
        }
        for (i, s) in seq.steps.iter().enumerate() {
            let path = format!("sequence.steps[{i}]");
            check_in_range(&format!("{path}.wait_days"), s.wait_days, 0, 365)?;
            if s.subject.contains('\n') || s.subject.trim().is_empty() {
                return Err(Invalid::new(
                    format!("{path}.subject"),
                    "must be one non-empty line",
                ));
            }
            if crate::consent::pretends_a_reply(&s.subject) {
                return Err(Invalid::new(
                    format!("{path}.subject"),
                    "may not start with \"Re:\" or \"Fwd:\": the step does not answer an email",
                ));
            }
            check_template(&format!("{path}.subject"), &s.subject)?;
            check_template(&format!("{path}.body"), &s.body)?;
        }
        Ok(())
    }
}

impl OutreachConfig {
    /// Reads and validates `[outreach]`, `[company]` and `[links]`; `unsubscribe_url` is the
    /// host's page, used when `[links] unsubscribe_url` is absent.
    pub fn from_file(file: &ConfigFile, unsubscribe_url: &str) -> Result<Self, ConfigError> {
        let s: OutreachSection = file.section("outreach")?;
        let company: Company = file.section("company")?;
        let links: Links = file.section("links")?;
        let calls = s
            .calls
            .settings()
            .map_err(|e| file.invalid("outreach", e))?;
        Ok(Self {
            sequence: s.sequence,
            email: s.email,
            calls,
            company: company.name,
            postal_address: company.postal_address,
            unsubscribe_url: links
                .unsubscribe_url
                .unwrap_or_else(|| unsubscribe_url.to_string()),
            max_due_per_tick: s.max_due_per_tick,
        })
    }
}

impl Outreach {
    /// The agent with the settings of `file` (see [`OutreachConfig::from_file`]).
    pub fn from_config(
        file: &ConfigFile,
        writer: Arc<dyn TextWriter>,
        unsubscribe_url: &str,
    ) -> Result<Self, ConfigError> {
        Ok(Self::new(
            OutreachConfig::from_file(file, unsubscribe_url)?,
            writer,
        ))
    }
}

/// The shipped settings (`ascent.toml` at the repository root), links to the twin's default
/// address.
impl Default for OutreachConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped(), TWIN_UNSUBSCRIBE_URL)
            .expect("the shipped [outreach] is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = OutreachConfig::default();
        assert_eq!(c.sequence.name, "xr-intro");
        assert_eq!(c.sequence.steps.len(), 6);
        assert!(
            c.sequence.steps[0]
                .body
                .starts_with("Hi {first_name},\n\nteams in {industry}")
        );
        assert!(
            c.postal_address
                .starts_with("Ascent XR Inc., 548 Market St")
        );
        assert_eq!(c.unsubscribe_url, TWIN_UNSUBSCRIBE_URL);
        assert_eq!(c.max_due_per_tick, 250);
        assert_eq!(c.calls.policy.hours.to_string(), "8:00-21:00");
        assert_eq!(c.calls.country_time_zones["DE"], "Europe/Berlin");
        assert_eq!(c.calls.country_time_zones["UK"], "Europe/London");
        assert!(!c.calls.country_time_zones.contains_key("US"));
        let fl = &c.calls.policy.states["US-FL"];
        assert_eq!(fl.hours.unwrap().to_string(), "8:00-20:00");
        assert_eq!(fl.max_per_24h, Some(3));
        assert_eq!(c.calls.max_extract_age_days, 31);
        assert_eq!(c.calls.registry_countries, ["US"]);
    }

    fn refused(from: &str, to: &str) -> ConfigError {
        let text = ConfigFile::shipped().text().replace(from, to);
        assert_ne!(
            text,
            ConfigFile::shipped().text(),
            "`{from}` is in the file"
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        OutreachConfig::from_file(&file, TWIN_UNSUBSCRIBE_URL).unwrap_err()
    }

    #[test]
    fn call_hours_that_end_before_they_start_are_refused_with_their_line() {
        let e = refused(
            "hours = [\"08:00\", \"21:00\"]",
            "hours = [\"21:00\", \"08:00\"]",
        );
        assert_eq!(e.path, "outreach.calls.hours");
        assert!(e.line.is_some());
        let e = refused(
            "hours = [\"08:00\", \"21:00\"]",
            "hours = [\"8am\", \"21:00\"]",
        );
        assert_eq!(e.path, "outreach.calls.hours[0]");
    }

    #[test]
    fn a_bad_country_or_zone_is_refused_with_its_key() {
        let e = refused("DE = \"Europe/Berlin\"", "DE = \"Europe/Bonn\"");
        assert_eq!(e.path, "outreach.calls.country_time_zones.DE");
        assert!(e.message.contains("Europe/Bonn"), "{e}");
        assert!(e.line.is_some());
        let e = refused("DE = \"Europe/Berlin\"", "de = \"Europe/Berlin\"");
        assert_eq!(e.path, "outreach.calls.country_time_zones.de");
    }

    /// Issue 23: a step whose subject starts "Re:" pretended to answer an email.
    #[test]
    fn a_subject_that_pretends_a_reply_is_refused() {
        let e = refused(
            "subject = \"Following up: {company}",
            "subject = \"Re: {company}",
        );
        assert_eq!(e.path, "outreach.sequence.steps[3].subject");
        let e = refused("{ DE = \"consent\"", "{ DE = \"maybe\"");
        assert_eq!(e.path, "outreach.email.countries.DE");
    }

    #[test]
    fn an_unknown_placeholder_is_refused_with_its_step() {
        let text = ConfigFile::shipped().text().replace(
            "Call {full_name} ({company})",
            "Call {fullname} ({company})",
        );
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = OutreachConfig::from_file(&file, TWIN_UNSUBSCRIBE_URL).unwrap_err();
        assert_eq!(e.path, "outreach.sequence.steps[2].subject");
        assert!(e.message.contains("{fullname}"), "{e}");
        assert!(e.line.is_some());
    }
}
