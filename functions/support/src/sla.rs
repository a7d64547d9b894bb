//! SLA deadlines: first response and resolution per priority, counted in the support desk's
//! calendar (its time zone, opening hours, weekdays less its holidays), except urgent
//! tickets, which run around the clock; the warning point at a share of each target; and the
//! business time a pause (pending on the customer) takes off the clock.

use crate::SlaTarget;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// When the support desk works.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BusinessHours {
    pub time_zone: String,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    /// Days the desk is closed (its local dates): the clock does not run on them.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

impl BusinessHours {
    /// A weekday that is not one of the desk's holidays.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }
}

fn at_local(zone: Tz, date: chrono::NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    // Business hours never start inside a DST gap (those are at night); take the first
    // valid instant if one ever does.
    let mut probe = date.and_time(t);
    loop {
        if let Some(dt) = zone.from_local_datetime(&probe).earliest() {
            return dt.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
}

/// `start` plus `minutes` of business time.
pub fn add_business_minutes(
    start: DateTime<Utc>,
    minutes: i64,
    hours: &BusinessHours,
    zone: Tz,
) -> DateTime<Utc> {
    let mut left = Duration::minutes(minutes);
    let mut day = start.with_timezone(&zone).date_naive();
    loop {
        if hours.is_working_day(day) {
            let open = at_local(zone, day, hours.opens);
            let close = at_local(zone, day, hours.closes);
            let from = start.max(open);
            if from < close {
                let available = close - from;
                if left <= available {
                    return from + left;
                }
                left -= available;
            }
        }
        day += Duration::days(1);
    }
}

/// Business minutes between `from` and `to` (0 when `to` is not after `from`).
pub fn business_minutes_between(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    hours: &BusinessHours,
    zone: Tz,
) -> i64 {
    let mut total = 0;
    let mut day = from.with_timezone(&zone).date_naive();
    let last = to.with_timezone(&zone).date_naive();
    while day <= last {
        if hours.is_working_day(day) {
            let open = at_local(zone, day, hours.opens).max(from);
            let close = at_local(zone, day, hours.closes).min(to);
            if close > open {
                total += (close - open).num_minutes();
            }
        }
        day += Duration::days(1);
    }
    total
}

/// `start` plus `minutes` on the target's clock: around the clock, or in business hours.
pub fn add_minutes(
    start: DateTime<Utc>,
    minutes: i64,
    target: &SlaTarget,
    hours: &BusinessHours,
    zone: Tz,
) -> DateTime<Utc> {
    if target.around_the_clock {
        start + Duration::minutes(minutes)
    } else {
        add_business_minutes(start, minutes, hours, zone)
    }
}

/// Minutes on the target's clock from `from` to `to`.
pub fn minutes_between(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    target: &SlaTarget,
    hours: &BusinessHours,
    zone: Tz,
) -> i64 {
    if target.around_the_clock {
        (to - from).num_minutes().max(0)
    } else {
        business_minutes_between(from, to, hours, zone)
    }
}

/// When the team lead is warned that a timer of `minutes` started at `start` is at risk:
/// `warn_pct` percent of it, on its clock.
pub fn warning_at(
    start: DateTime<Utc>,
    minutes: i64,
    warn_pct: u32,
    target: &SlaTarget,
    hours: &BusinessHours,
    zone: Tz,
) -> DateTime<Utc> {
    add_minutes(
        start,
        minutes * i64::from(warn_pct) / 100,
        target,
        hours,
        zone,
    )
}

/// A deadline moved by a pause: what was left of it at `paused_at` runs again from `resumed_at`.
pub fn resume(
    due: DateTime<Utc>,
    paused_at: DateTime<Utc>,
    resumed_at: DateTime<Utc>,
    target: &SlaTarget,
    hours: &BusinessHours,
    zone: Tz,
) -> DateTime<Utc> {
    if due <= paused_at {
        return due; // already passed when it paused
    }
    let left = minutes_between(paused_at, due, target, hours, zone);
    add_minutes(resumed_at.max(paused_at), left, target, hours, zone)
}

/// First-response and resolution deadlines of a ticket opened at `opened` with the targets
/// of its priority.
pub fn deadlines(
    opened: DateTime<Utc>,
    target: &SlaTarget,
    hours: &BusinessHours,
    zone: Tz,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let (first, resolve) = (target.first_response_minutes, target.resolution_minutes);
    if target.around_the_clock {
        return (
            opened + Duration::minutes(first),
            opened + Duration::minutes(resolve),
        );
    }
    (
        add_business_minutes(opened, first, hours, zone),
        add_business_minutes(opened, resolve, hours, zone),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SupportConfig;
    use ascent_core::catalog::TicketPriority;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn business_hours_skip_nights_and_weekends() {
        let c = SupportConfig::default();
        let h = c.hours.clone();
        let ny: Tz = "America/New_York".parse().unwrap();
        // Friday 2026-03-06 16:00 EST (21:00 UTC), 4 business hours: 2 on Friday, 2 on Monday.
        let due = add_business_minutes(utc("2026-03-06T21:00:00Z"), 240, &h, ny);
        // Monday 9 March is after the DST change: 10:00 EDT = 14:00 UTC.
        assert_eq!(due, utc("2026-03-09T14:00:00Z"));
        // Opened at night: the clock starts at 08:00.
        let due = add_business_minutes(utc("2026-03-10T03:00:00Z"), 60, &h, ny);
        assert_eq!(due, utc("2026-03-10T13:00:00Z"));
    }

    fn desk() -> (BusinessHours, Tz) {
        let c = SupportConfig::default();
        let zone: Tz = c.hours.time_zone.parse().unwrap();
        (c.hours.clone(), zone)
    }

    /// Issue 23: a high-priority ticket on 24 December at 16:00 fell due on Christmas Day.
    #[test]
    fn holidays_stop_the_clock() {
        let c = SupportConfig::default();
        let (h, ny) = desk();
        // Thursday 24 December 2026, 16:00 EST (21:00 UTC); high: 240 min first response,
        // 1,200 resolution. 2 h are left on the 24th (to 18:00); Friday 25 is Christmas, then
        // the weekend: Monday 28 December 08:00 + 2 h = 10:00 EST = 15:00 UTC.
        let (first, resolve) = deadlines(
            utc("2026-12-24T21:00:00Z"),
            c.target(TicketPriority::High),
            &h,
            ny,
        );
        assert_eq!(first, utc("2026-12-28T15:00:00Z"));
        // Resolution: 2 h on the 24th, 10 h on Monday 28, 8 h on Tuesday 29: 16:00 EST.
        assert_eq!(resolve, utc("2026-12-29T21:00:00Z"));
        // Without the holiday it was Christmas Day 10:00.
        let open_every_day = BusinessHours {
            holidays: vec![],
            ..h.clone()
        };
        let (first, _) = deadlines(
            utc("2026-12-24T21:00:00Z"),
            c.target(TicketPriority::High),
            &open_every_day,
            ny,
        );
        assert_eq!(first, utc("2026-12-25T15:00:00Z"));
    }

    #[test]
    fn business_minutes_between_counts_only_open_hours() {
        let (h, ny) = desk();
        // Friday 24 April 2026 17:00 EDT to Monday 27 10:00 EDT: 1 h + 2 h.
        assert_eq!(
            business_minutes_between(
                utc("2026-04-24T21:00:00Z"),
                utc("2026-04-27T14:00:00Z"),
                &h,
                ny
            ),
            180
        );
        assert_eq!(
            business_minutes_between(
                utc("2026-04-27T14:00:00Z"),
                utc("2026-04-24T21:00:00Z"),
                &h,
                ny
            ),
            0
        );
    }

    #[test]
    fn a_pause_moves_the_deadline_by_the_business_time_it_took() {
        let c = SupportConfig::default();
        let (h, ny) = desk();
        let high = c.target(TicketPriority::High);
        // Due Tuesday 28 April 2026 15:00 EDT; paused Monday 27 at 10:00 EDT with 15 business
        // hours left (8 on Monday, 7 on Tuesday); resumed Wednesday 29 at 09:00 EDT: 15 h from
        // then = Wednesday 9 h (to 18:00) + Thursday 6 h = Thursday 30 April 14:00 EDT.
        let due = resume(
            utc("2026-04-28T19:00:00Z"),
            utc("2026-04-27T14:00:00Z"),
            utc("2026-04-29T13:00:00Z"),
            high,
            &h,
            ny,
        );
        assert_eq!(due, utc("2026-04-30T18:00:00Z"));
        // Around the clock: the pause's length is added.
        let urgent = c.target(TicketPriority::Urgent);
        let due = resume(
            utc("2026-04-27T15:00:00Z"),
            utc("2026-04-27T14:30:00Z"),
            utc("2026-04-27T16:00:00Z"),
            urgent,
            &h,
            ny,
        );
        assert_eq!(due, utc("2026-04-27T16:30:00Z"));
    }

    #[test]
    fn the_warning_comes_at_its_share_of_the_target() {
        let c = SupportConfig::default();
        let (h, ny) = desk();
        // Urgent, 60 minutes around the clock: 80% is 48 minutes.
        let w = warning_at(
            utc("2026-04-27T14:00:00Z"),
            60,
            80,
            c.target(TicketPriority::Urgent),
            &h,
            ny,
        );
        assert_eq!(w, utc("2026-04-27T14:48:00Z"));
    }

    #[test]
    fn urgent_runs_around_the_clock() {
        let c = SupportConfig::default();
        let h = c.hours.clone();
        let ny: Tz = "America/New_York".parse().unwrap();
        let (f, r) = deadlines(
            utc("2026-03-07T23:00:00Z"),
            c.target(TicketPriority::Urgent),
            &h,
            ny,
        );
        assert_eq!(f, utc("2026-03-08T00:00:00Z"));
        assert_eq!(r, utc("2026-03-08T07:00:00Z"));
        let (f, _) = deadlines(
            utc("2026-03-07T23:00:00Z"),
            c.target(TicketPriority::Normal),
            &h,
            ny,
        );
        // Saturday night → Monday 08:00 EDT + 8 h = 16:00 EDT = 20:00 UTC.
        assert_eq!(f, utc("2026-03-09T20:00:00Z"));
    }
}
