//! Which reports fall due on a day, and the days each covers.
//!
//! The daily run's date is the company's date when it fires (`[company] time_zone`); the
//! reports cover whole days before it: a daily report the day before; a weekly report, on the
//! configured weekday, the seven days before; a monthly report, on the month's first business
//! day (Monday to Friday, not a configured holiday), the whole month before.

use crate::settings::ReportingConfig;
use ascent_core::catalog::{ReportCadence, ReportDue};
use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// Whether `day` is a business day: Monday to Friday and not one of `holidays`.
pub fn is_business_day(day: NaiveDate, holidays: &[NaiveDate]) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&day)
}

/// The first business day of `day`'s month.
pub fn first_business_day(day: NaiveDate, holidays: &[NaiveDate]) -> NaiveDate {
    let mut d = day.with_day(1).expect("every month has a first day");
    while !is_business_day(d, holidays) {
        d = d.succ_opt().expect("within the calendar");
    }
    d
}

/// The days a report of `cadence` due on `today` covers, when it is due that day.
pub fn period(
    cadence: ReportCadence,
    today: NaiveDate,
    weekly_on: Weekday,
    holidays: &[NaiveDate],
) -> Option<(NaiveDate, NaiveDate)> {
    let yesterday = today.pred_opt()?;
    match cadence {
        ReportCadence::Daily => Some((yesterday, yesterday)),
        ReportCadence::Weekly => {
            (today.weekday() == weekly_on).then(|| (today - Days::new(7), yesterday))
        }
        ReportCadence::Monthly => {
            if first_business_day(today, holidays) != today {
                return None;
            }
            let this_month = today.with_day(1)?;
            Some((
                this_month.checked_sub_months(Months::new(1))?,
                this_month.pred_opt()?,
            ))
        }
    }
}

/// Every report due on `today`, department by department (in name order), each cadence in
/// the department's order.
pub fn due(config: &ReportingConfig, today: NaiveDate) -> Vec<ReportDue> {
    let mut out = Vec::new();
    for (name, d) in &config.departments {
        for &cadence in &d.cadences {
            if let Some((from, to)) = period(cadence, today, config.weekly_on, &config.holidays) {
                out.push(ReportDue {
                    department: name.clone(),
                    cadence,
                    from,
                    to,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_daily_report_covers_yesterday() {
        assert_eq!(
            period(ReportCadence::Daily, d("2026-03-04"), Weekday::Mon, &[]),
            Some((d("2026-03-03"), d("2026-03-03")))
        );
    }

    #[test]
    fn the_weekly_report_goes_out_on_its_weekday_covering_the_seven_days_before() {
        // 2026-03-09 is a Monday.
        assert_eq!(
            period(ReportCadence::Weekly, d("2026-03-09"), Weekday::Mon, &[]),
            Some((d("2026-03-02"), d("2026-03-08")))
        );
        assert_eq!(
            period(ReportCadence::Weekly, d("2026-03-10"), Weekday::Mon, &[]),
            None
        );
        assert_eq!(
            period(ReportCadence::Weekly, d("2026-03-13"), Weekday::Fri, &[]),
            Some((d("2026-03-06"), d("2026-03-12")))
        );
    }

    #[test]
    fn the_monthly_report_waits_for_the_first_business_day() {
        // 2026-03-01 is a Sunday: the first business day of March is Monday the 2nd.
        assert_eq!(first_business_day(d("2026-03-20"), &[]), d("2026-03-02"));
        assert_eq!(
            period(ReportCadence::Monthly, d("2026-03-01"), Weekday::Mon, &[]),
            None
        );
        assert_eq!(
            period(ReportCadence::Monthly, d("2026-03-02"), Weekday::Mon, &[]),
            Some((d("2026-02-01"), d("2026-02-28")))
        );
        // New Year's Day (a Thursday) is a holiday: January's first business day is the 2nd,
        // and December's report goes out then.
        let holidays = [d("2026-01-01")];
        assert_eq!(
            period(
                ReportCadence::Monthly,
                d("2026-01-01"),
                Weekday::Mon,
                &holidays
            ),
            None
        );
        assert_eq!(
            period(
                ReportCadence::Monthly,
                d("2026-01-02"),
                Weekday::Mon,
                &holidays
            ),
            Some((d("2025-12-01"), d("2025-12-31")))
        );
        // A leap year's February.
        assert_eq!(
            period(ReportCadence::Monthly, d("2028-03-01"), Weekday::Mon, &[]),
            Some((d("2028-02-01"), d("2028-02-29")))
        );
    }

    #[test]
    fn the_shipped_departments_on_a_monday_that_starts_a_month() {
        let c = ReportingConfig::default();
        // 2026-06-01 is a Monday and the first business day of June.
        let due = due(&c, d("2026-06-01"));
        let names: Vec<(&str, ReportCadence)> = due
            .iter()
            .map(|r| (r.department.as_str(), r.cadence))
            .collect();
        use ReportCadence::*;
        assert_eq!(
            names,
            [
                ("customer_success", Weekly),
                ("customer_success", Monthly),
                ("finance", Daily),
                ("finance", Weekly),
                ("finance", Monthly),
                ("marketing", Weekly),
                ("marketing", Monthly),
                ("operations", Daily),
                ("operations", Weekly),
                ("sales", Daily),
                ("sales", Weekly),
                ("sales", Monthly),
            ]
        );
        let monthly = due.iter().find(|r| r.cadence == Monthly).unwrap();
        assert_eq!(
            (monthly.from, monthly.to),
            (d("2026-05-01"), d("2026-05-31"))
        );
    }
}
