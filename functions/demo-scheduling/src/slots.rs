//! Finding a demo slot: a start on the step grid where the rep is within working hours in
//! their time zone, the prospect within business hours in theirs (each on a weekday, DST
//! included, since local times come from the IANA zone of each instant), the rep has no
//! booking within the buffer, and the resources are free.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A half-open time range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
    pub fn widened(&self, by: Duration) -> Interval {
        Interval {
            start: self.start - by,
            end: self.end + by,
        }
    }
}

/// Working hours in a time zone, Monday to Friday.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hours {
    pub zone: Tz,
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl Hours {
    /// Whether the whole interval is within these hours on one weekday, in local time.
    pub fn contains(&self, i: &Interval) -> bool {
        let s = i.start.with_timezone(&self.zone);
        let e = i.end.with_timezone(&self.zone);
        s.date_naive() == e.date_naive()
            && !matches!(s.weekday(), Weekday::Sat | Weekday::Sun)
            && s.time() >= self.from
            && e.time() <= self.to
    }
}

/// What a search needs besides the calendars.
pub struct Search<'a> {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub step: Duration,
    pub length: Duration,
    pub buffer: Duration,
    pub rep: &'a Hours,
    pub prospect: &'a Hours,
    /// The rep's bookings.
    pub busy: &'a [Interval],
}

/// The first slot on the step grid (aligned to the hour) that fits everyone and for which
/// `resources_free` holds.
pub fn first_free(s: &Search<'_>, resources_free: impl Fn(&Interval) -> bool) -> Option<Interval> {
    let step = s.step.num_minutes().max(1);
    // Align to the grid: the next multiple of `step` minutes after `from`.
    let base = s
        .from
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(s.from);
    let minutes = base.hour() as i64 * 60 + base.minute() as i64;
    let pad = (step - minutes % step) % step;
    let mut t = base + Duration::minutes(pad);
    if t < s.from {
        t += Duration::minutes(step);
    }
    while t < s.until {
        let slot = Interval {
            start: t,
            end: t + s.length,
        };
        if s.rep.contains(&slot)
            && s.prospect.contains(&slot)
            && !s.busy.iter().any(|b| b.overlaps(&slot.widened(s.buffer)))
            && resources_free(&slot.widened(s.buffer))
        {
            return Some(slot);
        }
        t += Duration::minutes(step);
    }
    None
}

/// The time shipped equipment is away for a demo over `slot`: `ship` before it (on its way to
/// the prospect) and `back` after it (on its way back).
pub fn away(slot: &Interval, ship: Duration, back: Duration) -> Interval {
    Interval {
        start: slot.start - ship,
        end: slot.end + back,
    }
}

/// `2026-03-09 09:00 EDT`: a start as the person in `zone` reads it.
pub fn local_label(t: DateTime<Utc>, zone: Tz) -> String {
    zone.from_utc_datetime(&t.naive_utc())
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn hours(zone: &str, from: &str, to: &str) -> Hours {
        Hours {
            zone: zone.parse().unwrap(),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        }
    }

    fn search<'a>(
        from: &str,
        rep: &'a Hours,
        prospect: &'a Hours,
        busy: &'a [Interval],
    ) -> Search<'a> {
        Search {
            from: at(from),
            until: at(from) + Duration::days(14),
            step: Duration::minutes(30),
            length: Duration::minutes(60),
            buffer: Duration::minutes(15),
            rep,
            prospect,
            busy,
        }
    }

    #[test]
    fn new_york_and_berlin_overlap_moves_with_us_daylight_saving() {
        let berlin = hours("Europe/Berlin", "09:00:00", "17:30:00");
        let ny = hours("America/New_York", "09:00:00", "18:00:00");
        // Before 8 March: NY is UTC−5, Berlin UTC+1 → 9:00 in New York is 15:00 in Berlin.
        let s = first_free(&search("2026-03-03T00:00:00Z", &berlin, &ny, &[]), |_| true).unwrap();
        assert_eq!(s.start, at("2026-03-03T14:00:00Z"));
        assert_eq!(local_label(s.start, ny.zone), "2026-03-03 09:00 EST");
        // From 8 March (US DST) until Europe switches on 29 March: a 5-hour gap.
        let s = first_free(&search("2026-03-07T09:00:00Z", &berlin, &ny, &[]), |_| true).unwrap();
        assert_eq!(s.start, at("2026-03-09T13:00:00Z"));
        assert_eq!(local_label(s.start, ny.zone), "2026-03-09 09:00 EDT");
        assert_eq!(local_label(s.start, berlin.zone), "2026-03-09 14:00 CET");
    }

    #[test]
    fn bookings_are_kept_apart_by_the_buffer() {
        let berlin = hours("Europe/Berlin", "09:00:00", "17:30:00");
        let ny = hours("America/New_York", "09:00:00", "18:00:00");
        let busy = [Interval {
            start: at("2026-03-03T14:00:00Z"),
            end: at("2026-03-03T15:00:00Z"),
        }];
        let s = first_free(&search("2026-03-03T00:00:00Z", &berlin, &ny, &busy), |_| {
            true
        })
        .unwrap();
        // 15:00 is inside the 15-minute buffer; 15:30–16:30 UTC ends at 17:30 in Berlin.
        assert_eq!(s.start, at("2026-03-03T15:30:00Z"));
    }

    #[test]
    fn weekends_and_resources_push_the_slot_out() {
        let rep = hours("America/Los_Angeles", "08:00:00", "17:00:00");
        let prospect = hours("Asia/Tokyo", "09:00:00", "18:00:00");
        // Tokyo Monday 9:00 = Sunday 16:00 in LA: the rep's weekend. Tokyo Tuesday 9:00 is
        // Monday 17:00 in LA: too late. The overlap is Tokyo 9:00–10:00 = LA 16:00–17:00 (PST).
        let s = first_free(
            &search("2026-02-28T00:00:00Z", &rep, &prospect, &[]),
            |_| true,
        )
        .unwrap();
        assert_eq!(local_label(s.start, prospect.zone), "2026-03-03 09:00 JST");
        assert_eq!(local_label(s.start, rep.zone), "2026-03-02 16:00 PST");
        let blocked = s;
        let s = first_free(&search("2026-02-28T00:00:00Z", &rep, &prospect, &[]), |i| {
            !i.overlaps(&blocked)
        })
        .unwrap();
        assert_eq!(local_label(s.start, prospect.zone), "2026-03-04 09:00 JST");
    }

    #[test]
    fn no_overlap_at_all_finds_nothing() {
        let rep = hours("Europe/Berlin", "09:00:00", "10:00:00");
        let prospect = hours("America/Los_Angeles", "09:00:00", "10:00:00");
        assert_eq!(
            first_free(
                &search("2026-03-03T00:00:00Z", &rep, &prospect, &[]),
                |_| true
            ),
            None
        );
    }

    #[test]
    fn shipped_equipment_is_away_for_the_journey_both_ways() {
        let demo = Interval {
            start: at("2026-03-09T13:00:00Z"),
            end: at("2026-03-09T14:00:00Z"),
        };
        let away = away(&demo, Duration::days(2), Duration::days(3));
        assert_eq!(away.start, at("2026-03-07T13:00:00Z"));
        assert_eq!(away.end, at("2026-03-12T14:00:00Z"));
    }
}
