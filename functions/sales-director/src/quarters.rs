//! Calendar quarters of business days: the quarter a deal or a lead counts in (`YYYY-Qn`),
//! and the first and last day of a quarter (what this quarter's forecast includes).

use chrono::Datelike;

pub fn quarter_of_day(day: chrono::NaiveDate) -> String {
    format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

/// The first and last day of the calendar quarter of `day`.
pub fn quarter_bounds(day: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::Datelike;
    let first_month = (day.month() - 1) / 3 * 3 + 1;
    let start = chrono::NaiveDate::from_ymd_opt(day.year(), first_month, 1).expect("a day");
    let end = (start + chrono::Months::new(3)).pred_opt().expect("a day");
    (start, end)
}
