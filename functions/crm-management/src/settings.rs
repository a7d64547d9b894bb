//! CRM Management's settings, read once at start from `ascent.toml`'s `[crm_management]`:
//! the default region of phone numbers, the email matching rules, the duplicate threshold, the
//! synchronised CRMs with their source priority and page sizes, and each CRM's REST endpoint
//! with the HTTP retry policy (`[crm_management.hubspot]`, `.salesforce`, `.http`).

use crate::CrmManagement;
use crate::connector::RetryPolicy;
use ascent_core::config::{ConfigError, ConfigFile, Invalid, Validate, check_in_range};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The CRMs a connector exists for.
pub const KNOWN_SYSTEMS: [&str; 2] = ["hubspot", "salesforce"];
/// Ascent's own changes (leads, forms) in `source_priority`.
pub const ASCENT: &str = "ascent";

/// How email addresses are compared (see [`crate::hygiene::match_key`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailRules {
    pub strip_plus_tags: bool,
    pub dotless_domains: Vec<String>,
    pub domain_aliases: BTreeMap<String, String>,
    pub free_mail_domains: Vec<String>,
}

/// CRM Management's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrmConfig {
    /// ISO 3166-1 alpha-2 region of phone numbers written without a country code.
    pub default_region: String,
    pub email: EmailRules,
    /// Jaro-Winkler similarity from which two names are one person (same domain or phone).
    pub name_similarity: f64,
    /// Contacts of one company domain compared with a new one, at most.
    pub candidates_per_domain: usize,
    /// The CRMs synchronised both ways.
    pub systems: Vec<String>,
    /// Who wins a conflict of changes made at the same instant: first listed first.
    pub source_priority: Vec<String>,
    pub pull_page_size: usize,
    pub pushes_per_page: usize,
    pub max_pages_per_run: u32,
    pub hubspot: Endpoint,
    pub salesforce: Endpoint,
    pub http: RetryPolicy,
}

/// A CRM's REST endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub base_url: String,
    /// Salesforce's REST API version (`v61.0`); HubSpot's is in its paths (`/crm/v3`).
    #[serde(default)]
    pub api_version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSection {
    max_attempts: u32,
    backoff_ms: u64,
    max_wait_seconds: u64,
    timeout_seconds: u64,
}

/// `[crm_management]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    default_region: String,
    strip_plus_tags: bool,
    dotless_domains: Vec<String>,
    domain_aliases: BTreeMap<String, String>,
    free_mail_domains: Vec<String>,
    name_similarity: f64,
    candidates_per_domain: usize,
    systems: Vec<String>,
    source_priority: Vec<String>,
    pull_page_size: usize,
    pushes_per_page: usize,
    max_pages_per_run: u32,
    hubspot: Endpoint,
    salesforce: Endpoint,
    http: HttpSection,
}

fn check_domain(path: &str, d: &str) -> Result<(), Invalid> {
    let ok = d.contains('.')
        && d == d.to_ascii_lowercase()
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !ok {
        return Err(Invalid::new(
            path,
            format!("`{d}` is not a lower-case domain"),
        ));
    }
    Ok(())
}

fn check_url(path: &str, url: &str) -> Result<(), Invalid> {
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.ends_with('/') {
        return Err(Invalid::new(
            path,
            format!("`{url}` is not an http(s) base URL without a trailing `/`"),
        ));
    }
    Ok(())
}

impl Validate for Section {
    fn validate(&self) -> Result<(), Invalid> {
        if crate::hygiene::country_code(&self.default_region).as_deref()
            != Some(self.default_region.as_str())
        {
            return Err(Invalid::new(
                "default_region",
                format!(
                    "`{}` is not an ISO 3166-1 alpha-2 code",
                    self.default_region
                ),
            ));
        }
        for (i, d) in self.dotless_domains.iter().enumerate() {
            check_domain(&format!("dotless_domains[{i}]"), d)?;
        }
        for (from, to) in &self.domain_aliases {
            check_domain(&format!("domain_aliases.{from}"), from)?;
            check_domain(&format!("domain_aliases.{from}"), to)?;
        }
        for (i, d) in self.free_mail_domains.iter().enumerate() {
            check_domain(&format!("free_mail_domains[{i}]"), d)?;
        }
        if !(self.name_similarity > 0.5 && self.name_similarity <= 1.0) {
            return Err(Invalid::new(
                "name_similarity",
                format!("{} is not within (0.5, 1]", self.name_similarity),
            ));
        }
        check_in_range("candidates_per_domain", self.candidates_per_domain, 1, 200)?;
        for (i, s) in self.systems.iter().enumerate() {
            if !KNOWN_SYSTEMS.contains(&s.as_str()) || self.systems[..i].contains(s) {
                return Err(Invalid::new(
                    format!("systems[{i}]"),
                    format!("`{s}` is not one of hubspot, salesforce (each once)"),
                ));
            }
        }
        for (i, s) in self.source_priority.iter().enumerate() {
            if !(KNOWN_SYSTEMS.contains(&s.as_str()) || s == ASCENT)
                || self.source_priority[..i].contains(s)
            {
                return Err(Invalid::new(
                    format!("source_priority[{i}]"),
                    format!("`{s}` is not one of salesforce, hubspot, ascent (each once)"),
                ));
            }
        }
        if self.source_priority.len() != KNOWN_SYSTEMS.len() + 1 {
            return Err(Invalid::new(
                "source_priority",
                "must rank all of salesforce, hubspot and ascent",
            ));
        }
        check_in_range("pull_page_size", self.pull_page_size, 1, 100)?;
        check_in_range("pushes_per_page", self.pushes_per_page, 1, 100)?;
        // One page is one commit: a pulled contact writes 6 items at most (the contact, its
        // email, link and phone keys, two queued pushes), a push 3 (the contact, its link,
        // the queue entry), the run 2.
        let writes = 6 * self.pull_page_size + 3 * self.pushes_per_page + 2;
        if writes > ascent_core::limits::MAX_WRITES {
            return Err(Invalid::new(
                "pull_page_size",
                format!(
                    "6 × pull_page_size + 3 × pushes_per_page + 2 = {writes} writes a page, above the {} one commit takes",
                    ascent_core::limits::MAX_WRITES
                ),
            ));
        }
        check_in_range("max_pages_per_run", self.max_pages_per_run, 1, 1000)?;
        check_url("hubspot.base_url", &self.hubspot.base_url)?;
        check_url("salesforce.base_url", &self.salesforce.base_url)?;
        match self.salesforce.api_version.as_deref() {
            Some(v) if v.starts_with('v') && v[1..].parse::<f32>().is_ok() => {}
            _ => {
                return Err(Invalid::new(
                    "salesforce.api_version",
                    "is needed, written like `v61.0`",
                ));
            }
        }
        check_in_range("http.max_attempts", self.http.max_attempts, 1, 10)?;
        check_in_range("http.backoff_ms", self.http.backoff_ms, 1, 60_000)?;
        check_in_range("http.max_wait_seconds", self.http.max_wait_seconds, 0, 900)?;
        check_in_range("http.timeout_seconds", self.http.timeout_seconds, 1, 120)?;
        Ok(())
    }
}

impl CrmConfig {
    /// Reads and validates `[crm_management]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: Section = file.section("crm_management")?;
        Ok(Self {
            default_region: s.default_region,
            email: EmailRules {
                strip_plus_tags: s.strip_plus_tags,
                dotless_domains: s.dotless_domains,
                domain_aliases: s.domain_aliases,
                free_mail_domains: s.free_mail_domains,
            },
            name_similarity: s.name_similarity,
            candidates_per_domain: s.candidates_per_domain,
            systems: s.systems,
            source_priority: s.source_priority,
            pull_page_size: s.pull_page_size,
            pushes_per_page: s.pushes_per_page,
            max_pages_per_run: s.max_pages_per_run,
            hubspot: s.hubspot,
            salesforce: s.salesforce,
            http: RetryPolicy {
                max_attempts: s.http.max_attempts,
                backoff: Duration::from_millis(s.http.backoff_ms),
                max_wait: Duration::from_secs(s.http.max_wait_seconds),
                timeout: Duration::from_secs(s.http.timeout_seconds),
            },
        })
    }
}

impl CrmManagement {
    /// The agent with the settings of `file` and the connectors whose tokens the environment
    /// has (`ASCENT_HUBSPOT_TOKEN`, `ASCENT_SALESFORCE_TOKEN`): the Lambda's start.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        let config = CrmConfig::from_file(file)?;
        let mut agent = Self::new(config.clone());
        for system in &config.systems {
            let var = format!("ASCENT_{}_TOKEN", system.to_ascii_uppercase());
            if let Ok(token) = std::env::var(&var) {
                agent = agent.with_connector(crate::connector::for_system(system, &config, &token));
            }
        }
        Ok(agent)
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for CrmConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [crm_management] is valid")
    }
}

impl Default for CrmManagement {
    fn default() -> Self {
        Self::new(CrmConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
        CrmConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = CrmConfig::default();
        assert_eq!(c.default_region, "US");
        assert_eq!(c.systems, ["hubspot", "salesforce"]);
        assert_eq!(c.source_priority, ["salesforce", "hubspot", "ascent"]);
        assert_eq!((c.pull_page_size, c.pushes_per_page), (5, 5));
        assert_eq!(c.name_similarity, 0.93);
        assert_eq!(c.email.domain_aliases["googlemail.com"], "gmail.com");
        assert_eq!(c.http.max_attempts, 4);
        assert_eq!(c.http.backoff, Duration::from_millis(500));
    }

    #[test]
    fn bad_values_are_refused_by_key_path() {
        let e = refused("default_region = \"US\"", "default_region = \"USA\"");
        assert_eq!(e.path, "crm_management.default_region");
        assert!(e.line.is_some());
        let e = refused("name_similarity = 0.93", "name_similarity = 1.2");
        assert_eq!(e.path, "crm_management.name_similarity");
        let e = refused(
            "systems = [\"hubspot\", \"salesforce\"]",
            "systems = [\"hubspot\", \"pipedrive\"]",
        );
        assert_eq!(e.path, "crm_management.systems[1]");
        let e = refused(
            "source_priority = [\"salesforce\", \"hubspot\", \"ascent\"]",
            "source_priority = [\"salesforce\", \"ascent\"]",
        );
        assert_eq!(e.path, "crm_management.source_priority");
        let e = refused("pull_page_size = 5", "pull_page_size = 6");
        assert_eq!(e.path, "crm_management.pull_page_size");
        assert!(e.message.contains("53 writes"), "{}", e.message);
        let e = refused(
            "dotless_domains = [\"gmail.com\"]",
            "dotless_domains = [\"Gmail\"]",
        );
        assert_eq!(e.path, "crm_management.dotless_domains[0]");
        let e = refused("api_version = \"v61.0\"", "api_version = \"61\"");
        assert_eq!(e.path, "crm_management.salesforce.api_version");
        let e = refused(
            "base_url = \"https://api.hubapi.com\"",
            "base_url = \"https://api.hubapi.com/\"",
        );
        assert_eq!(e.path, "crm_management.hubspot.base_url");
        // Other sections' http tables have the same key: this section's, by its header.
        let e = refused(
            "[crm_management.http]\nmax_attempts = 4",
            "[crm_management.http]\nmax_attempts = 0",
        );
        assert_eq!(e.path, "crm_management.http.max_attempts");
        let e = refused(
            "max_pages_per_run = 50",
            "max_pages_per_run = 50\nturbo = true",
        );
        assert!(e.path.contains("turbo"), "{}", e.path);
    }
}
