//! When a call may be made: the decision, pure and tested without I/O. The window is the
//! stricter of every zone the callee may be in (the number's area code and the lead's stated
//! zone), inside the company's calling days and hours and the stricter rules of the state the
//! number belongs to (hours, calls per number in 24 hours, no Sundays or public holidays), and
//! after the per-number frequency cap lets the next call through. The rules are settings
//! (`[outreach.calls]`); `docs/compliance.md` cites where each comes from.

use super::CallHours;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// How far ahead a window is looked for.
pub const LOOKAHEAD_DAYS: i64 = 14;

/// A state's or province's own rules, stricter than the company's.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StateRule {
    /// Hours allowed in the callee's time; `None` keeps the company's.
    pub hours: Option<CallHours>,
    /// Calls to one number within 24 hours; `None` keeps the company's.
    pub max_per_24h: Option<u32>,
    /// No calls on Sundays.
    pub no_sundays: bool,
    /// No calls on the public holidays of the number's country, nor on `extra_holidays`.
    pub no_holidays: bool,
    /// The state's own legal holidays (Utah's Pioneer Day), beyond its country's.
    pub extra_holidays: Vec<NaiveDate>,
    /// The statute the rule comes from (shown in a refusal and in the docs).
    pub source: String,
}

/// The company's call rules and the states' rules on top.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallPolicy {
    pub hours: CallHours,
    /// The days the company calls on.
    pub days: Vec<Weekday>,
    /// Calls to one number within any 24 hours.
    pub max_per_24h: u32,
    /// Public holidays per country (ISO 3166 alpha-2).
    pub holidays: BTreeMap<String, Vec<NaiveDate>>,
    /// Whether the company skips the callee country's public holidays everywhere (a state
    /// rule may require it where the company would not).
    pub skip_public_holidays: bool,
    /// Rules per ISO 3166-2 subdivision (`US-FL`).
    pub states: BTreeMap<String, StateRule>,
}

/// Who is called, as far as the rules care.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Callee {
    /// The zone the lead gave (or its single-zone country's).
    pub stated_zone: Option<Tz>,
    /// The zones of the number's area code (empty outside North America).
    pub number_zones: Vec<Tz>,
    /// The number's country (ISO 3166 alpha-2), else the lead's.
    pub country: Option<String>,
    /// The number's ISO 3166-2 subdivision (`US-FL`), when its area code says.
    pub subdivision: Option<String>,
}

impl Callee {
    /// The zone a rep reads the window in: the stated one, else the number's first.
    pub fn display_zone(&self) -> Option<Tz> {
        self.stated_zone
            .or_else(|| self.number_zones.first().copied())
    }

    fn zones(&self) -> Vec<Tz> {
        let mut z: Vec<Tz> = self.stated_zone.into_iter().collect();
        for n in &self.number_zones {
            if !z.contains(n) {
                z.push(*n);
            }
        }
        z
    }
}

/// A window a call may be made in, as UTC instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl CallPolicy {
    /// The rule of the callee's state, if it has one.
    pub fn state_rule(&self, callee: &Callee) -> Option<&StateRule> {
        callee.subdivision.as_ref().and_then(|s| self.states.get(s))
    }

    /// The hours and cap that apply: the stricter of the company's and the state's.
    fn effective(&self, rule: Option<&StateRule>) -> (CallHours, u32) {
        let mut hours = self.hours;
        let mut cap = self.max_per_24h;
        if let Some(r) = rule {
            if let Some(h) = r.hours {
                hours = CallHours {
                    from: hours.from.max(h.from),
                    until: hours.until.min(h.until),
                };
            }
            if let Some(m) = r.max_per_24h {
                cap = cap.min(m);
            }
        }
        (hours, cap)
    }

    fn day_allowed(&self, day: NaiveDate, country: Option<&str>, rule: Option<&StateRule>) -> bool {
        let weekday = day.weekday();
        if !self.days.contains(&weekday) {
            return false;
        }
        if rule.is_some_and(|r| r.no_sundays) && weekday == Weekday::Sun {
            return false;
        }
        let holiday = country
            .and_then(|c| self.holidays.get(c))
            .is_some_and(|h| h.contains(&day));
        let state_holiday = rule.is_some_and(|r| r.no_holidays && r.extra_holidays.contains(&day));
        !(state_holiday
            || holiday && (self.skip_public_holidays || rule.is_some_and(|r| r.no_holidays)))
    }

    /// The next window a call to `callee` may be made in, from `now`, given the calls
    /// already given out for the number (`calls`: their window starts); or why there is none.
    pub fn next_window(
        &self,
        now: DateTime<Utc>,
        callee: &Callee,
        calls: &[DateTime<Utc>],
    ) -> Result<CallWindow, String> {
        let zones = callee.zones();
        if zones.is_empty() {
            return Err(format!(
                "time zone unknown: calls are only allowed {} the recipient's time",
                self.hours
            ));
        }
        let rule = self.state_rule(callee);
        let (hours, cap) = self.effective(rule);
        if hours.from >= hours.until {
            return Err(format!("no hours are left to call in ({hours})"));
        }
        // The frequency cap: with `cap` calls in the last 24 hours (or planned), the next one
        // waits until the oldest of the last `cap` is 24 hours old.
        let mut recent: Vec<DateTime<Utc>> = calls
            .iter()
            .copied()
            .filter(|c| *c > now - Duration::hours(24))
            .collect();
        recent.sort();
        let earliest = match recent.len().checked_sub(cap as usize) {
            Some(i) => now.max(recent[i] + Duration::hours(24)),
            None => now,
        };
        let country = callee.country.as_deref();
        // Allowed periods per zone, then their intersection.
        let mut allowed: Option<Vec<CallWindow>> = None;
        for zone in &zones {
            let first = earliest.with_timezone(zone).date_naive() - Duration::days(1);
            let periods: Vec<CallWindow> = (0..=LOOKAHEAD_DAYS + 1)
                .map(|d| first + Duration::days(d))
                .filter(|day| self.day_allowed(*day, country, rule))
                .map(|day| CallWindow {
                    start: super::local(*zone, day, hours.from),
                    end: super::local(*zone, day, hours.until),
                })
                .collect();
            allowed = Some(match allowed {
                None => periods,
                Some(before) => intersect(&before, &periods),
            });
        }
        allowed
            .unwrap_or_default()
            .into_iter()
            .filter(|w| w.end > earliest && w.start < earliest + Duration::days(LOOKAHEAD_DAYS))
            .map(|w| CallWindow {
                start: w.start.max(earliest),
                end: w.end,
            })
            .next()
            .ok_or_else(|| {
                format!(
                    "no day in the next {LOOKAHEAD_DAYS} allows a call ({hours}{})",
                    rule.map(|r| format!(", {}", r.source)).unwrap_or_default()
                )
            })
    }
}

/// The overlaps of two sorted lists of periods.
fn intersect(a: &[CallWindow], b: &[CallWindow]) -> Vec<CallWindow> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let (start, end) = (x.start.max(y.start), x.end.min(y.end));
            if start < end {
                out.push(CallWindow { start, end });
            }
        }
    }
    out.sort_by_key(|w| w.start);
    out
}

#[cfg(test)]
mod tests;
