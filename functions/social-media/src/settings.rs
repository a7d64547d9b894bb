//! Social Media's settings, read once at start from `ascent.toml`: `[social_media]` (who is
//! told of spikes and unschedulable posts, the platforms, the audience's time zone, how many
//! mentions a day are kept in full and for how long), its lexicon
//! (`[social_media.sentiment]`), spike detection (`[social_media.spikes]`), post scheduling
//! (`[social_media.scheduling]`), publishing runs (`[social_media.publishing]`) and the
//! Mastodon account's instance (`[social_media.mastodon]`; its token from the environment).

use crate::publisher::{MastodonPublisher, Publisher};
use crate::publishing::{MastodonSettings, PublishingSettings};
use crate::sentiment::Lexicon;
use crate::slots::SchedulingSettings;
use crate::spikes::SpikeSettings;
use crate::{SocialMedia, declaration};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_time_zone,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The variable the Mastodon account's access token (scope `write:statuses`) is read from.
pub const MASTODON_TOKEN_VAR: &str = "ASCENT_MASTODON_TOKEN";

/// Social Media's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SocialConfig {
    /// Who is told of a mention spike or a post that found no slot.
    pub owner: String,
    /// The platforms posts and mentions may name (lower case).
    pub platforms: Vec<String>,
    /// The audience's time zone: posting slots are its weekdays and hours.
    pub time_zone: String,
    /// Mentions recorded with their text per day at most (beyond, the score only).
    pub mentions_kept_per_day: u32,
    /// Mention records expire this many days after the mention.
    pub mention_keep_days: u32,
    pub sentiment: Lexicon,
    pub spikes: SpikeSettings,
    pub scheduling: SchedulingSettings,
    pub publishing: PublishingSettings,
    pub mastodon: MastodonSettings,
}

/// `[social_media]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SocialSection {
    owner: String,
    platforms: Vec<String>,
    time_zone: String,
    mentions_kept_per_day: u32,
    mention_keep_days: u32,
    sentiment: Lexicon,
    spikes: SpikeSettings,
    scheduling: SchedulingSettings,
    publishing: PublishingSettings,
    mastodon: MastodonSettings,
}

impl Validate for SocialSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("owner", &self.owner)?;
        if self.platforms.is_empty() {
            return Err(Invalid::new("platforms", "is empty"));
        }
        for (i, p) in self.platforms.iter().enumerate() {
            let ok = !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(Invalid::new(
                    format!("platforms[{i}]"),
                    format!("`{p}` is not a lower-case name"),
                ));
            }
            if self.platforms[..i].contains(p) {
                return Err(Invalid::new(format!("platforms[{i}]"), "listed twice"));
            }
        }
        check_time_zone("time_zone", &self.time_zone)?;
        check_in_range(
            "mentions_kept_per_day",
            self.mentions_kept_per_day,
            1,
            1_000_000,
        )?;
        check_in_range("mention_keep_days", self.mention_keep_days, 1, 3650)?;
        self.sentiment.check("sentiment")?;
        self.spikes.check("spikes")?;
        self.scheduling.check("scheduling", &self.platforms)?;
        self.publishing.check("publishing")?;
        self.mastodon.check("mastodon", &self.publishing)?;
        Ok(())
    }
}

impl SocialConfig {
    /// Reads and validates `[social_media]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let s: SocialSection = file.section("social_media")?;
        Ok(Self {
            owner: s.owner,
            platforms: s.platforms,
            time_zone: s.time_zone,
            mentions_kept_per_day: s.mentions_kept_per_day,
            mention_keep_days: s.mention_keep_days,
            sentiment: s.sentiment,
            spikes: s.spikes,
            scheduling: s.scheduling,
            publishing: s.publishing,
            mastodon: s.mastodon,
        })
    }

    /// The audience's time zone (checked when read).
    pub fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }
}

impl SocialMedia {
    /// The agent without publishers: scheduled posts wait, and each run records why.
    pub fn new(config: SocialConfig) -> Self {
        Self {
            decl: declaration(),
            config,
            publishers: Default::default(),
        }
    }

    /// The agent publishing on `platform` (one of the configured platforms) through
    /// `publisher`.
    pub fn with_publisher(mut self, platform: &str, publisher: Arc<dyn Publisher>) -> Self {
        self.publishers.insert(platform.to_string(), publisher);
        self
    }

    /// The agent with the settings of `file`, publishing on Mastodon when the environment has
    /// its token (`ASCENT_MASTODON_TOKEN`): the Lambda's start.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        let token = std::env::var(MASTODON_TOKEN_VAR).ok();
        Self::with_token(file, token.as_deref())
    }

    /// The agent with the settings of `file`, publishing on Mastodon (when configured among
    /// the platforms) with `token` when there is one.
    pub fn with_token(file: &ConfigFile, token: Option<&str>) -> Result<Self, ConfigError> {
        let config = SocialConfig::from_file(file)?;
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        let mastodon = config.platforms.iter().any(|p| p == "mastodon");
        let publisher = token.filter(|_| mastodon).map(|t| {
            let m = &config.mastodon;
            Arc::new(MastodonPublisher::new(&m.base_url, t, m.policy())) as Arc<dyn Publisher>
        });
        let agent = Self::new(config);
        Ok(match publisher {
            Some(p) => agent.with_publisher("mastodon", p),
            None => agent,
        })
    }

    /// Why `platform`'s posts are not published, when they are not.
    pub(crate) fn publishing_off(&self, platform: &str) -> Option<String> {
        if self.publishers.contains_key(platform) {
            return None;
        }
        Some(if platform == "mastodon" {
            format!("publishing is off: no Mastodon token ({MASTODON_TOKEN_VAR} is not set)")
        } else {
            format!("publishing is off: no publisher for {platform} (post by hand)")
        })
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for SocialConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [social_media] is valid")
    }
}

impl Default for SocialMedia {
    fn default() -> Self {
        Self::new(SocialConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_read() {
        let c = SocialConfig::default();
        assert_eq!(c.owner, "social@ascent-xr.example");
        assert_eq!(c.platforms, ["linkedin", "mastodon", "x"]);
        assert_eq!(c.zone(), chrono_tz::America::New_York);
        assert_eq!((c.mentions_kept_per_day, c.mention_keep_days), (2000, 90));
        assert_eq!(c.sentiment.negative_below, -2.0);
        assert_eq!(c.sentiment.negative["broken"], 3.0);
        assert_eq!((c.spikes.bucket_minutes, c.spikes.window_buckets), (60, 24));
        assert_eq!((c.spikes.z_threshold, c.spikes.min_mentions), (3.0, 10));
        assert_eq!(c.scheduling.default_slots["linkedin"][0], "Tue 10:00");
        assert_eq!(c.publishing.max_posts_per_run, 5);
        assert_eq!(
            (c.publishing.retry_minutes, c.publishing.max_tries),
            (60, 6)
        );
        assert_eq!(c.mastodon.base_url, "https://mastodon.social");
        // 3 attempts of 4 s, two pauses of 3 s (the longest rate-limit wait): 18 s, and the
        // page's 10 s before the last post starts: 28 s.
        assert_eq!(c.mastodon.worst_post_seconds(), 18);
        assert_eq!(c.publishing.page_seconds, 10);
    }

    #[test]
    fn a_token_turns_mastodon_publishing_on_and_nothing_else() {
        let file = ConfigFile::shipped();
        let on = SocialMedia::with_token(&file, Some("tok-3f9a")).unwrap();
        assert!(on.publishing_off("mastodon").is_none());
        assert!(
            on.publishing_off("linkedin")
                .unwrap()
                .contains("no publisher for linkedin")
        );
        for token in [None, Some(""), Some("  ")] {
            let off = SocialMedia::with_token(&file, token).unwrap();
            let why = off.publishing_off("mastodon").unwrap();
            assert!(why.contains("ASCENT_MASTODON_TOKEN is not set"), "{why}");
        }
    }

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
        SocialConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn a_bad_value_is_refused_naming_its_key() {
        let e = refused("owner = \"social@ascent-xr.example\"", "owner = \"social\"");
        assert_eq!(e.path, "social_media.owner");
        assert!(e.line.is_some());
        let e = refused(
            "hours there.\ntime_zone = \"America/New_York\"",
            "hours there.\ntime_zone = \"Mars/Olympus\"",
        );
        assert_eq!(e.path, "social_media.time_zone");
        let e = refused("bucket_minutes = 60", "bucket_minutes = 7");
        assert_eq!(e.path, "social_media.spikes.bucket_minutes");
        assert!(e.line.is_some());
        let e = refused("broken = 3", "broken = -3");
        assert_eq!(e.path, "social_media.sentiment.negative.broken");
        let e = refused("linkedin = [\"Tue 10:00\"", "linkedin = [\"Tue 10:15\"");
        assert_eq!(e.path, "social_media.scheduling.default_slots.linkedin[0]");
        let e = refused("horizon_days = 14", "horizon_days = 14\nhorizon_weeks = 2");
        assert!(e.path.contains("horizon_weeks"), "{}", e.path);
        let e = refused("max_posts_per_run = 5", "max_posts_per_run = 21");
        assert_eq!(e.path, "social_media.publishing.max_posts_per_run");
        assert!(e.line.is_some());
        let e = refused("max_tries = 6", "max_tries = 0");
        assert_eq!(e.path, "social_media.publishing.max_tries");
        let e = refused(
            "base_url = \"https://mastodon.social\"",
            "base_url = \"https://mastodon.social/\"",
        );
        assert_eq!(e.path, "social_media.mastodon.base_url");
        // 4 attempts: 16 s of requests and 9 s of pauses, with the page's 10 s: 35 s.
        let e = refused("max_attempts = 3", "max_attempts = 4");
        assert_eq!(e.path, "social_media.mastodon.max_attempts");
        assert!(e.message.contains("35 s"), "{}", e.message);
    }
}
