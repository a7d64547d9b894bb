//! Email Marketing's settings, read once at start from `ascent.toml`: `[email_marketing]`
//! (batch size, campaigns per hourly run, the window opens and clicks count in, the A/B test in
//! `[email_marketing.ab_test]`, deliverability in `[email_marketing.deliverability]`, the
//! segments in `[[email_marketing.segments]]`), the sender of `[company]` and the unsubscribe
//! page of `[links]`.

use crate::abtest::AbRules;
use crate::deliverability::Thresholds;
use crate::message::Sender;
use crate::segments::Segment;
use crate::{EmailMarketing, declaration};
use ascent_core::config::platform::{Company, Links};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range,
};
use serde::Deserialize;

/// Where unsubscribe links point when `[links] unsubscribe_url` is absent: the twin's page.
pub const TWIN_UNSUBSCRIBE_URL: &str = "http://127.0.0.1:8787/unsubscribe";

/// Writes a batch makes besides one per recipient: the campaign, and room for the engine.
const WRITES_BESIDES_RECIPIENTS: usize = 4;

/// Which response decides an A/B test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AbMetric {
    Opens,
    Clicks,
}

impl AbMetric {
    pub fn as_str(&self) -> &'static str {
        match self {
            AbMetric::Opens => "opens",
            AbMetric::Clicks => "clicks",
        }
    }
}

/// `[email_marketing.ab_test]`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbTestSettings {
    /// Recipients of the test (split between the two variants); the rest get the decision.
    pub test_recipients: u32,
    /// Hours after the test's last send before it is decided.
    pub wait_hours: u32,
    pub metric: AbMetric,
    /// Two-sided significance level of the z-test.
    pub significance: f64,
    pub min_sample_per_variant: u32,
}

impl AbTestSettings {
    pub fn rules(&self) -> AbRules {
        AbRules {
            significance: self.significance,
            min_sample_per_variant: self.min_sample_per_variant,
        }
    }
}

/// `[email_marketing.deliverability]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverabilitySettings {
    /// Who is told when a campaign pauses.
    pub notify: String,
    pub min_sends: u32,
    pub max_bounce_rate_pct: f64,
    pub max_complaint_rate_pct: f64,
}

impl DeliverabilitySettings {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            min_sends: self.min_sends,
            max_bounce_rate_pct: self.max_bounce_rate_pct,
            max_complaint_rate_pct: self.max_complaint_rate_pct,
        }
    }
}

/// `[email_marketing]` as written in the file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    batch_size: usize,
    campaigns_per_tick: usize,
    response_window_days: u32,
    ab_test: AbTestSettings,
    deliverability: DeliverabilitySettings,
    segments: Vec<Segment>,
}

impl Validate for Section {
    fn validate(&self) -> Result<(), Invalid> {
        // One write per recipient, in one message's commit.
        check_in_range(
            "batch_size",
            self.batch_size,
            1,
            ascent_core::limits::MAX_WRITES - WRITES_BESIDES_RECIPIENTS,
        )?;
        // One write and one event per campaign started or decided.
        check_in_range(
            "campaigns_per_tick",
            self.campaigns_per_tick,
            1,
            ascent_core::limits::MAX_WRITES - 1,
        )?;
        check_in_range("response_window_days", self.response_window_days, 1, 90)?;
        let ab = &self.ab_test;
        check_in_range("ab_test.test_recipients", ab.test_recipients, 2, 1_000_000)?;
        check_in_range("ab_test.wait_hours", ab.wait_hours, 1, 24 * 14)?;
        if !(ab.significance > 0.0 && ab.significance < 0.5) {
            return Err(Invalid::new(
                "ab_test.significance",
                format!("{} is not a level in (0, 0.5)", ab.significance),
            ));
        }
        check_in_range(
            "ab_test.min_sample_per_variant",
            ab.min_sample_per_variant,
            1,
            ab.test_recipients / 2,
        )?;
        let d = &self.deliverability;
        check_email("deliverability.notify", &d.notify)?;
        check_in_range("deliverability.min_sends", d.min_sends, 1, 1_000_000)?;
        for (key, v) in [
            ("deliverability.max_bounce_rate_pct", d.max_bounce_rate_pct),
            (
                "deliverability.max_complaint_rate_pct",
                d.max_complaint_rate_pct,
            ),
        ] {
            if !(v > 0.0 && v <= 100.0) {
                return Err(Invalid::new(
                    key,
                    format!("{v} is not a percentage in (0, 100]"),
                ));
            }
        }
        if self.segments.is_empty() {
            return Err(Invalid::new("segments", "define at least one segment"));
        }
        for (i, s) in self.segments.iter().enumerate() {
            s.check(&format!("segments[{i}]"))?;
            if self.segments[..i].iter().any(|o| o.name == s.name) {
                return Err(Invalid::new(
                    format!("segments[{i}].name"),
                    format!("`{}` is defined twice", s.name),
                ));
            }
        }
        Ok(())
    }
}

/// Email Marketing's settings.
#[derive(Clone, Debug)]
pub struct EmailMarketingConfig {
    /// Recipients per batch at most.
    pub batch_size: usize,
    /// Campaigns started or tests decided per hourly run at most.
    pub campaigns_per_tick: usize,
    /// Opens and clicks count toward the campaign last sent to the address within these days.
    pub response_window_days: u32,
    pub ab_test: AbTestSettings,
    pub deliverability: DeliverabilitySettings,
    pub segments: Vec<Segment>,
    pub sender: Sender,
}

impl EmailMarketingConfig {
    /// Reads and validates `[email_marketing]`, `[company]` and `[links]`; `unsubscribe_url`
    /// is the host's page, used when `[links] unsubscribe_url` is absent.
    pub fn from_file(file: &ConfigFile, unsubscribe_url: &str) -> Result<Self, ConfigError> {
        let s: Section = file.section("email_marketing")?;
        let company: Company = file.section("company")?;
        let links: Links = file.section("links")?;
        Ok(Self {
            batch_size: s.batch_size,
            campaigns_per_tick: s.campaigns_per_tick,
            response_window_days: s.response_window_days,
            ab_test: s.ab_test,
            deliverability: s.deliverability,
            segments: s.segments,
            sender: Sender {
                company: company.name,
                postal_address: company.postal_address,
                unsubscribe_url: links
                    .unsubscribe_url
                    .unwrap_or_else(|| unsubscribe_url.to_string()),
            },
        })
    }

    /// These settings as a host at `base_url` runs them: unsubscribe links at
    /// `<base_url>/unsubscribe` unless `[links] unsubscribe_url` names the page.
    pub fn at_host(&self, links: &Links, base_url: &str) -> Self {
        let mut c = self.clone();
        if links.unsubscribe_url.is_none() {
            c.sender.unsubscribe_url = format!("{base_url}/unsubscribe");
        }
        c
    }

    /// The segment of that name.
    pub fn segment(&self, name: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.name == name)
    }
}

impl EmailMarketing {
    pub fn new(config: EmailMarketingConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file` (links to the twin's page unless `[links]` says).
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(EmailMarketingConfig::from_file(
            file,
            TWIN_UNSUBSCRIBE_URL,
        )?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root), links to the twin's page.
impl Default for EmailMarketingConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped(), TWIN_UNSUBSCRIBE_URL)
            .expect("the shipped [email_marketing] is valid")
    }
}

impl Default for EmailMarketing {
    fn default() -> Self {
        Self::new(EmailMarketingConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segments::LifecycleStage;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = EmailMarketingConfig::default();
        assert_eq!((c.batch_size, c.campaigns_per_tick), (40, 10));
        assert_eq!(c.response_window_days, 14);
        assert_eq!(c.ab_test.test_recipients, 2000);
        assert_eq!(c.ab_test.metric, AbMetric::Opens);
        assert_eq!(c.ab_test.rules().min_sample_per_variant, 500);
        assert_eq!(c.deliverability.notify, "deliverability@ascent-xr.example");
        assert_eq!(c.deliverability.thresholds().max_bounce_rate_pct, 5.0);
        let names: Vec<&str> = c.segments.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "all-customers",
                "enterprise-us",
                "at-risk-teams",
                "win-back"
            ]
        );
        assert_eq!(
            c.segment("win-back").unwrap().stages,
            [LifecycleStage::Churned]
        );
        assert_eq!(c.sender.company, "Ascent XR");
        assert_eq!(c.sender.unsubscribe_url, TWIN_UNSUBSCRIBE_URL);
    }

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
        EmailMarketingConfig::from_file(&file, TWIN_UNSUBSCRIBE_URL).unwrap_err()
    }

    #[test]
    fn bad_values_are_refused_by_key_path_and_line() {
        let cases = [
            (
                "batch_size = 40",
                "batch_size = 46",
                "email_marketing.batch_size",
            ),
            (
                "batch_size = 40",
                "batch_size = 0",
                "email_marketing.batch_size",
            ),
            (
                "significance = 0.05",
                "significance = 0.7",
                "email_marketing.ab_test.significance",
            ),
            (
                "min_sample_per_variant = 500",
                "min_sample_per_variant = 1001",
                "email_marketing.ab_test.min_sample_per_variant",
            ),
            (
                "max_bounce_rate_pct = 5.0",
                "max_bounce_rate_pct = 0.0",
                "email_marketing.deliverability.max_bounce_rate_pct",
            ),
            (
                "notify = \"deliverability@ascent-xr.example\"",
                "notify = \"deliverability\"",
                "email_marketing.deliverability.notify",
            ),
            (
                "name = \"win-back\"",
                "name = \"enterprise-us\"",
                "email_marketing.segments[3].name",
            ),
            (
                "plans = [\"enterprise\"]\ncountries = [\"US\"]",
                "plans = [\"enterprise\"]\ncountries = [\"U.S.\"]",
                "email_marketing.segments[1].countries[0]",
            ),
            (
                "metric = \"opens\"",
                "metric = \"replies\"",
                "email_marketing.ab_test.metric",
            ),
        ];
        for (from, to, path) in cases {
            let e = refused(from, to);
            assert_eq!(e.path, path, "{to}: {e}");
            assert!(e.line.is_some(), "{to}: {e}");
        }
    }
}
