//! SLA deadlines: first response and resolution per priority, counted in the support team's
//! business hours (their time zone, weekdays), except urgent tickets, which run around the
//! clock.

use crate::SlaTarget;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// When the support team works.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BusinessHours {
    pub time_zone: String,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
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
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
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
