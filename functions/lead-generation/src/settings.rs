//! Lead Generation's settings: `[lead_generation]` of `ascent.toml` (the scoring model with its
//! point tables, when the learned model takes over, what flags a personal address, and
//! routing by country).

use crate::LeadGeneration;
use crate::scoring::ScoringModel;
use ascent_core::config::{ConfigError, ConfigFile, Invalid, Validate, check_in_range};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[lead_generation]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadConfig {
    /// Outcomes the learned model needs before it replaces the rules.
    pub learn_after_outcomes: u32,
    /// Domains of personal mailboxes: a company lead from one needs a person to check it.
    pub personal_mail_domains: Vec<String>,
    /// Company size from which a personal address is flagged.
    pub personal_mail_min_company_size: u32,
    pub scoring: ScoringModel,
    pub routing: Routing,
}

/// Which sales team (territory) gets a lead, by its country.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Team of a lead without a country.
    pub no_country: String,
    /// Team of a country not listed.
    pub other_countries: String,
    /// Team → ISO 3166 alpha-2 countries.
    pub countries: BTreeMap<String, Vec<String>>,
}

impl Routing {
    /// Sales team by territory, from the lead's country.
    pub fn territory(&self, country: Option<&str>) -> &str {
        let Some(country) = country else {
            return &self.no_country;
        };
        self.countries
            .iter()
            .find(|(_, cs)| cs.iter().any(|c| c.eq_ignore_ascii_case(country.trim())))
            .map_or(&self.other_countries, |(team, _)| team)
    }

    /// Every team a lead can be routed to.
    pub fn teams(&self) -> Vec<&str> {
        let mut t: Vec<&str> = self.countries.keys().map(String::as_str).collect();
        t.extend([self.no_country.as_str(), self.other_countries.as_str()]);
        t.sort();
        t.dedup();
        t
    }
}

impl Validate for LeadConfig {
    fn validate(&self) -> Result<(), Invalid> {
        check_in_range(
            "learn_after_outcomes",
            self.learn_after_outcomes,
            1,
            1_000_000,
        )?;
        for (i, d) in self.personal_mail_domains.iter().enumerate() {
            if d.is_empty() || *d != d.to_ascii_lowercase() || !d.contains('.') {
                return Err(Invalid::new(
                    format!("personal_mail_domains[{i}]"),
                    "a domain is lower-case, like `gmail.com`",
                ));
            }
        }
        let s = &self.scoring;
        check_in_range("scoring.fit_weight", s.fit_weight, 0.0, 1.0)?;
        check_in_range("scoring.hot_threshold", s.hot_threshold, 1, 100)?;
        check_in_range("scoring.warm_threshold", s.warm_threshold, 0, 100)?;
        if s.warm_threshold >= s.hot_threshold {
            return Err(Invalid::new(
                "scoring.warm_threshold",
                "must be below scoring.hot_threshold",
            ));
        }
        check_in_range("scoring.intent_window_days", s.intent_window_days, 1, 3650)?;
        if s.name.trim().is_empty() {
            return Err(Invalid::new("scoring.model_name", "may not be empty"));
        }
        s.check_tables()?;
        let mut seen = BTreeMap::new();
        for (team, countries) in &self.routing.countries {
            for (i, c) in countries.iter().enumerate() {
                let path = format!("routing.countries.{team}[{i}]");
                if c.len() != 2 || !c.chars().all(|c| c.is_ascii_uppercase()) {
                    return Err(Invalid::new(path, "a country is two upper-case letters"));
                }
                if let Some(other) = seen.insert(c.clone(), team.clone()) {
                    return Err(Invalid::new(path, format!("`{c}` is already in `{other}`")));
                }
            }
        }
        Ok(())
    }
}

impl LeadConfig {
    /// Reads and validates `[lead_generation]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        file.section("lead_generation")
    }
}

impl LeadGeneration {
    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(LeadConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for LeadConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [lead_generation] is valid")
    }
}

impl Default for LeadGeneration {
    fn default() -> Self {
        Self::new(LeadConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = LeadConfig::default();
        assert_eq!(c.learn_after_outcomes, 20);
        assert_eq!(
            (c.scoring.hot_threshold, c.scoring.warm_threshold),
            (70, 40)
        );
        assert_eq!(c.scoring.name, "rules-v1");
        assert_eq!(c.personal_mail_domains.len(), 8);
        assert_eq!(
            c.routing.teams(),
            ["sales-americas", "sales-apac", "sales-emea"]
        );
    }

    #[test]
    fn a_country_in_two_territories_is_refused() {
        let text = ConfigFile::shipped()
            .text()
            .replace("sales-apac = [\"JP\"", "sales-apac = [\"US\", \"JP\"");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = LeadConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "lead_generation.routing.countries.sales-apac[0]");
        assert!(e.line.is_some());
    }
}
