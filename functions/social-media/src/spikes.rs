//! Mention-volume spikes by rolling z-score. Mentions are counted per bucket
//! (`[social_media.spikes] bucket_minutes`); a bucket's z-score is its count less the mean of
//! the `window_buckets` buckets before it (a bucket with no mention counts 0), over their
//! standard deviation (population, never below `min_std`, so a flat history does not make
//! every extra mention a spike). A bucket with at least `min_mentions` mentions and a z-score
//! above `z_threshold` is spiking; a spike is the run of spiking buckets, and it is announced
//! once, in its first bucket.

use ascent_core::config::{Invalid, check_in_range};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// `[social_media.spikes]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSettings {
    /// Length of a counting bucket, minutes (divides a day).
    pub bucket_minutes: u32,
    /// Buckets before the current one that make its baseline.
    pub window_buckets: u32,
    /// A bucket whose z-score is above this is spiking.
    pub z_threshold: f64,
    /// The standard deviation used is at least this.
    pub min_std: f64,
    /// Fewer mentions than this in a bucket are never a spike.
    pub min_mentions: u32,
}

impl SpikeSettings {
    pub fn check(&self, path: &str) -> Result<(), Invalid> {
        check_in_range(
            &format!("{path}.bucket_minutes"),
            self.bucket_minutes,
            5,
            1440,
        )?;
        if 1440 % self.bucket_minutes != 0 {
            return Err(Invalid::new(
                format!("{path}.bucket_minutes"),
                format!(
                    "{} does not divide a day (1440 minutes)",
                    self.bucket_minutes
                ),
            ));
        }
        // The baseline is one bounded query of at most this many items.
        check_in_range(
            &format!("{path}.window_buckets"),
            self.window_buckets,
            3,
            720,
        )?;
        for (key, v) in [("z_threshold", self.z_threshold), ("min_std", self.min_std)] {
            if !v.is_finite() {
                return Err(Invalid::new(format!("{path}.{key}"), "is not a number"));
            }
        }
        check_in_range(&format!("{path}.z_threshold"), self.z_threshold, 0.5, 20.0)?;
        check_in_range(&format!("{path}.min_std"), self.min_std, 0.1, 1000.0)?;
        check_in_range(
            &format!("{path}.min_mentions"),
            self.min_mentions,
            1,
            1_000_000,
        )?;
        Ok(())
    }

    /// The start of the bucket holding `t`.
    pub fn bucket_of(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let len = i64::from(self.bucket_minutes) * 60;
        let s = t.timestamp();
        Utc.timestamp_opt(s - s.rem_euclid(len), 0)
            .single()
            .unwrap_or(t)
    }

    pub fn bucket_len(&self) -> Duration {
        Duration::minutes(i64::from(self.bucket_minutes))
    }
}

/// The sort key of a bucket: its start, `2026-03-02T14:00Z` (sorts as time does).
pub fn bucket_key(start: DateTime<Utc>) -> String {
    start.format("%Y-%m-%dT%H:%MZ").to_string()
}

/// One bucket's count as kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub start: String,
    pub mentions: u32,
    /// Whether the bucket is (so far) part of a spike.
    pub spiking: bool,
    /// Whether the spike was announced from this bucket.
    pub alerted: bool,
    pub version: u32,
}

/// The z-score of `current` against the `trailing` counts.
pub fn z_score(current: u32, trailing: &[u32], min_std: f64) -> f64 {
    let n = trailing.len().max(1) as f64;
    let mean = trailing.iter().map(|&c| f64::from(c)).sum::<f64>() / n;
    let var = trailing
        .iter()
        .map(|&c| (f64::from(c) - mean).powi(2))
        .sum::<f64>()
        / n;
    (f64::from(current) - mean) / var.sqrt().max(min_std)
}

/// What one more mention in a bucket means.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub z: f64,
    pub spiking: bool,
    /// The spike starts here: announce it.
    pub alert: bool,
}

/// Reads the current bucket (`current` mentions so far) against its trailing window;
/// `previous_spiking` is whether the bucket before it was, `alerted` whether this one already
/// announced a spike.
pub fn read(
    s: &SpikeSettings,
    current: u32,
    trailing: &[u32],
    previous_spiking: bool,
    alerted: bool,
) -> Reading {
    let z = z_score(current, trailing, s.min_std);
    let spiking = current >= s.min_mentions && z > s.z_threshold;
    Reading {
        z,
        spiking,
        alert: spiking && !alerted && !previous_spiking,
    }
}

/// The trailing window's counts, oldest first, from the buckets found (missing ones are 0):
/// the `window` buckets before `current`.
pub fn trailing(s: &SpikeSettings, current: DateTime<Utc>, found: &[Bucket]) -> Vec<u32> {
    (1..=i64::from(s.window_buckets))
        .rev()
        .map(|k| bucket_key(current - s.bucket_len() * k as i32))
        .map(|key| {
            found
                .iter()
                .find(|b| b.start == key)
                .map_or(0, |b| b.mentions)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SpikeSettings {
        SpikeSettings {
            bucket_minutes: 60,
            window_buckets: 6,
            z_threshold: 3.0,
            min_std: 1.0,
            min_mentions: 5,
        }
    }

    #[test]
    fn the_z_score_is_against_the_trailing_mean_and_population_deviation() {
        // mean 5, squares 9+1+1+9+0+0 = 20, variance 20/6, deviation 1.8257: (12-5)/1.8257.
        let z = z_score(12, &[2, 6, 4, 8, 5, 5], 1.0);
        assert!((z - 3.8341).abs() < 1e-4, "{z}");
        // A flat history: deviation 0, floored at min_std 1.0: (9-3)/1 = 6.
        assert_eq!(z_score(9, &[3, 3, 3, 3], 1.0), 6.0);
        assert_eq!(z_score(0, &[0, 0, 0], 1.0), 0.0);
    }

    #[test]
    fn a_spike_is_announced_once_in_its_first_bucket() {
        let s = settings();
        let window = [2, 6, 4, 8, 5, 5];
        // 11: z = 6/1.8257 = 3.29 > 3: the spike starts.
        let r = read(&s, 11, &window, false, false);
        assert!(r.spiking && r.alert, "{r:?}");
        // The same bucket once announced: still spiking, not announced again.
        let r = read(&s, 12, &window, false, true);
        assert!(r.spiking && !r.alert);
        // The next bucket still spiking: the same spike.
        assert!(!read(&s, 14, &window, true, false).alert);
        // 10: z = 5/1.8257 = 2.74: no spike.
        assert!(!read(&s, 10, &window, false, false).spiking);
        // Four mentions on a silent window: z 4 but under min_mentions.
        assert!(!read(&s, 4, &[0; 6], false, false).spiking);
        assert!(read(&s, 5, &[0; 6], false, false).alert);
    }

    #[test]
    fn buckets_start_on_the_bucket_and_missing_ones_count_zero() {
        let s = settings();
        let t: DateTime<Utc> = "2026-03-02T14:37:12Z".parse().unwrap();
        let start = s.bucket_of(t);
        assert_eq!(bucket_key(start), "2026-03-02T14:00Z");
        let b = |start: &str, mentions| Bucket {
            start: start.into(),
            mentions,
            ..Bucket::default()
        };
        let found = [
            b("2026-03-02T09:00Z", 4),
            b("2026-03-02T13:00Z", 7),
            b("2026-03-02T14:00Z", 9),
        ];
        // 08:00 … 13:00: the current bucket is not its own baseline.
        assert_eq!(trailing(&s, start, &found), [0, 4, 0, 0, 0, 7]);
    }

    #[test]
    fn settings_breaking_their_rules_are_refused_by_key() {
        let mut s = settings();
        s.bucket_minutes = 7;
        assert_eq!(s.check("x").unwrap_err().path, "x.bucket_minutes");
        let mut s = settings();
        s.z_threshold = f64::NAN;
        assert_eq!(s.check("x").unwrap_err().path, "x.z_threshold");
        let mut s = settings();
        s.window_buckets = 1;
        assert_eq!(s.check("x").unwrap_err().path, "x.window_buckets");
        assert_eq!(settings().check("x"), Ok(()));
    }
}
