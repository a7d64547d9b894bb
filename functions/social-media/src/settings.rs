//! Social Media's settings, read once at start from `ascent.toml`: `[social_media]` (who is
//! told of spikes and unschedulable posts, the platforms, the audience's time zone, how many
//! mentions a day are kept in full and for how long), its lexicon
//! (`[social_media.sentiment]`), spike detection (`[social_media.spikes]`) and post scheduling
//! (`[social_media.scheduling]`).

use crate::sentiment::Lexicon;
use crate::slots::SchedulingSettings;
use crate::spikes::SpikeSettings;
use crate::{SocialMedia, declaration};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range, check_time_zone,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

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
        })
    }

    /// The audience's time zone (checked when read).
    pub fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }
}

impl SocialMedia {
    pub fn new(config: SocialConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(SocialConfig::from_file(file)?))
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
    }
}
