//! Posting slots: a weekday and an hour in the audience's time zone. Each platform's
//! engagement is kept per slot (impressions and engagements of the posts published in it);
//! once the platform has `learn_after_posts` posts observed, its slots with at least
//! `min_posts_per_slot` posts are ranked by engagement rate (engagements per impression, over
//! all their posts) and the best `top_slots` are its posting slots; until then, the
//! platform's configured default slots. A post goes into the earliest free occurrence of one
//! of these slots from its `earliest` on, within `horizon_days`; one post per platform per
//! slot occurrence.

use ascent_core::catalog::SlotBasis;
use ascent_core::config::{Invalid, check_in_range};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A weekday and an hour, written `Tue 10:00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub day: u32,
    pub hour: u32,
}

impl Slot {
    pub fn weekday(&self) -> Weekday {
        Weekday::try_from(self.day as u8).unwrap_or(Weekday::Mon)
    }

    /// The slot of `t` in `zone`.
    pub fn of(t: DateTime<Utc>, zone: Tz) -> Self {
        let local = t.with_timezone(&zone);
        Slot {
            day: local.weekday().num_days_from_monday(),
            hour: local.hour(),
        }
    }

    /// Reads `Tue 10:00` (whole hours only).
    pub fn parse(text: &str) -> Option<Self> {
        let (day, time) = text.trim().split_once(' ')?;
        let day: Weekday = day.parse().ok()?;
        let time = NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
        (time.minute() == 0).then_some(Slot {
            day: day.num_days_from_monday(),
            hour: time.hour(),
        })
    }

    pub fn label(&self) -> String {
        format!("{} {:02}:00", self.weekday(), self.hour)
    }
}

/// `[social_media.scheduling]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulingSettings {
    /// A post is scheduled at most this many days after its `earliest`.
    pub horizon_days: u32,
    /// Posts a platform needs observed before its learned slots replace the defaults.
    pub learn_after_posts: u32,
    /// Posts a slot needs observed before its rate counts.
    pub min_posts_per_slot: u32,
    /// How many of the best learned slots are posted in.
    pub top_slots: usize,
    /// Each platform's slots until enough is learned, best first (`Tue 10:00`).
    pub default_slots: BTreeMap<String, Vec<String>>,
}

impl SchedulingSettings {
    /// Checks the settings; every platform of `platforms` needs its default slots.
    pub fn check(&self, path: &str, platforms: &[String]) -> Result<(), Invalid> {
        // The calendar read of one request is at most horizon_days × 24 small items.
        check_in_range(&format!("{path}.horizon_days"), self.horizon_days, 1, 60)?;
        check_in_range(
            &format!("{path}.learn_after_posts"),
            self.learn_after_posts,
            1,
            100_000,
        )?;
        check_in_range(
            &format!("{path}.min_posts_per_slot"),
            self.min_posts_per_slot,
            1,
            1000,
        )?;
        check_in_range(&format!("{path}.top_slots"), self.top_slots, 1, 168)?;
        for p in platforms {
            let slots = self
                .default_slots
                .get(p)
                .ok_or_else(|| Invalid::new(format!("{path}.default_slots.{p}"), "is missing"))?;
            if slots.is_empty() {
                return Err(Invalid::new(
                    format!("{path}.default_slots.{p}"),
                    "is empty",
                ));
            }
            for (i, s) in slots.iter().enumerate() {
                let key = format!("{path}.default_slots.{p}[{i}]");
                let slot = Slot::parse(s).ok_or_else(|| {
                    Invalid::new(
                        &key,
                        format!("`{s}` is not a weekday and a whole hour (`Tue 10:00`)"),
                    )
                })?;
                if slots[..i].iter().any(|o| Slot::parse(o) == Some(slot)) {
                    return Err(Invalid::new(key, "listed twice"));
                }
            }
        }
        if let Some(p) = self.default_slots.keys().find(|p| !platforms.contains(p)) {
            return Err(Invalid::new(
                format!("{path}.default_slots.{p}"),
                "is not one of the configured platforms",
            ));
        }
        Ok(())
    }

    fn defaults(&self, platform: &str) -> Vec<Slot> {
        self.default_slots
            .get(platform)
            .map(|s| s.iter().filter_map(|s| Slot::parse(s)).collect())
            .unwrap_or_default()
    }
}

/// One slot's observed engagement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub posts: u32,
    pub impressions: u64,
    pub engagements: u64,
}

impl Cell {
    pub fn rate(&self) -> Option<f64> {
        (self.impressions > 0).then(|| self.engagements as f64 / self.impressions as f64)
    }
}

/// A platform's engagement per slot (at most 168 cells: one small item).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlotStats {
    /// Keyed by the slot's label (`Tue 10:00`).
    pub cells: BTreeMap<String, Cell>,
    pub version: u32,
}

impl SlotStats {
    pub fn posts(&self) -> u32 {
        self.cells.values().map(|c| c.posts).sum()
    }

    /// Adds one post's observation (`sign` 1) or takes an earlier one back (`sign` -1).
    pub fn apply(&mut self, slot: Slot, impressions: u64, engagements: u64, add: bool) {
        let c = self.cells.entry(slot.label()).or_default();
        if add {
            c.posts += 1;
            c.impressions += impressions;
            c.engagements += engagements;
        } else {
            c.posts = c.posts.saturating_sub(1);
            c.impressions = c.impressions.saturating_sub(impressions);
            c.engagements = c.engagements.saturating_sub(engagements);
        }
    }
}

/// A slot a post may go into, with its rate when learned.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub slot: Slot,
    pub rate: Option<f64>,
}

/// The platform's posting slots, best first, and where they come from.
pub fn best_slots(
    stats: &SlotStats,
    platform: &str,
    s: &SchedulingSettings,
) -> (Vec<Ranked>, SlotBasis) {
    let mut learned: Vec<Ranked> = stats
        .cells
        .iter()
        .filter(|(_, c)| c.posts >= s.min_posts_per_slot)
        .filter_map(|(label, c)| {
            Some(Ranked {
                slot: Slot::parse(label)?,
                rate: Some(c.rate()?),
            })
        })
        .collect();
    if stats.posts() < s.learn_after_posts || learned.is_empty() {
        let defaults = s.defaults(platform);
        let ranked = defaults.into_iter().map(|slot| Ranked { slot, rate: None });
        return (ranked.collect(), SlotBasis::Default);
    }
    // Highest rate first; a tie goes to the slot earlier in the week.
    learned.sort_by(|a, b| {
        b.rate
            .partial_cmp(&a.rate)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.slot.cmp(&b.slot))
    });
    learned.truncate(s.top_slots);
    (learned, SlotBasis::Learned)
}

/// The earliest free occurrence of one of `slots` from `earliest` on, within `horizon_days`
/// (`taken`: the platform's occupied slot starts). Local times a clock change skips are
/// passed over.
pub fn pick(
    slots: &[Ranked],
    earliest: DateTime<Utc>,
    horizon_days: u32,
    taken: &BTreeSet<DateTime<Utc>>,
    zone: Tz,
) -> Option<(DateTime<Utc>, Ranked)> {
    let until = earliest + Duration::days(i64::from(horizon_days));
    let first_day = earliest.with_timezone(&zone).date_naive();
    let mut found: Option<(DateTime<Utc>, Ranked)> = None;
    for d in 0..=i64::from(horizon_days) + 1 {
        let date = first_day + Duration::days(d);
        for r in slots {
            if date.weekday().num_days_from_monday() != r.slot.day {
                continue;
            }
            let Some(local) = date.and_hms_opt(r.slot.hour, 0, 0) else {
                continue;
            };
            let Some(at) = zone.from_local_datetime(&local).earliest() else {
                continue; // skipped by a clock change
            };
            let at = at.with_timezone(&Utc);
            if at < earliest || at > until || taken.contains(&at) {
                continue;
            }
            if found.as_ref().is_none_or(|(t, _)| at < *t) {
                found = Some((at, r.clone()));
            }
        }
        if found.is_some() {
            return found;
        }
    }
    found
}

#[cfg(test)]
#[path = "slots_tests.rs"]
mod tests;
