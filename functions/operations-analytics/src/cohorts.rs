//! Cohort retention: customers by the month they signed up (`CustomerSignedUp`), and in which
//! month after it each churned (`AccountChurned`). One record per cohort month
//! (`ops-analytics#cohorts`, sorted by month) holds its count and its churn per month offset;
//! one record per customer keeps its sign-up day so a churn finds its cohort once.
//!
//! The share retained after `k` months is the cohort less those churned in its sign-up month or
//! the `k` months after, over the cohort; it is shown once the k-th month after the sign-up
//! month is over.

use ascent_core::catalog::CohortRetention;
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// One sign-up month's customers and churn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// `YYYY-MM`.
    pub month: String,
    pub customers: u32,
    /// `churned[j]`: customers who churned in the j-th month after the sign-up month (0: the
    /// sign-up month itself).
    pub churned: Vec<u32>,
    pub version: u32,
}

/// A customer of a cohort.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub account_id: String,
    pub signed_up_on: NaiveDate,
    #[serde(default)]
    pub churned_on: Option<NaiveDate>,
}

pub fn month_of(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

/// Calendar months from `from`'s month to `to`'s month (0: the same month).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month())
}

impl Cohort {
    pub fn new(month: String) -> Self {
        Self {
            month,
            customers: 0,
            churned: Vec::new(),
            version: 0,
        }
    }

    /// Counts a churn `offset` months after the sign-up month.
    pub fn churn(&mut self, offset: usize) {
        if self.churned.len() <= offset {
            self.churned.resize(offset + 1, 0);
        }
        self.churned[offset] += 1;
    }
}

/// The retention table as of `as_of`: each cohort with its share retained after 1..=`months`
/// months, as far as those months are over; shares to four decimals.
pub fn table(cohorts: &[Cohort], as_of: NaiveDate, months: u32) -> Vec<CohortRetention> {
    cohorts
        .iter()
        .filter(|c| c.customers > 0)
        .filter_map(|c| {
            let start = NaiveDate::parse_from_str(&format!("{}-01", c.month), "%Y-%m-%d").ok()?;
            let mut gone = c.churned.first().copied().unwrap_or(0);
            let retained = (1..=months)
                // The k-th month after the sign-up month is over once the next one began.
                .take_while(|k| {
                    start
                        .checked_add_months(Months::new(k + 1))
                        .is_some_and(|end| end <= as_of)
                })
                .map(|k| {
                    gone += c.churned.get(k as usize).copied().unwrap_or(0);
                    let share =
                        f64::from(c.customers.saturating_sub(gone)) / f64::from(c.customers);
                    (share * 10_000.0).round() / 10_000.0
                })
                .collect();
            Some(CohortRetention {
                cohort: c.month.clone(),
                customers: c.customers,
                retained,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cohort(month: &str, customers: u32, churned: &[u32]) -> Cohort {
        Cohort {
            month: month.into(),
            customers,
            churned: churned.to_vec(),
            version: 1,
        }
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(months_between(d("2026-01-31"), d("2026-02-01")), 1);
        assert_eq!(months_between(d("2026-01-01"), d("2026-01-31")), 0);
        assert_eq!(months_between(d("2025-11-15"), d("2026-02-03")), 3);
        assert_eq!(months_between(d("2026-02-03"), d("2026-01-15")), -1);
        assert_eq!(month_of(d("2026-03-09")), "2026-03");
    }

    /// As of 2026-05-04: January's 4 customers lost one in February and one in April (months
    /// 1 and 3 after): 3/4 after 1 month, 3/4 after 2, 2/4 after 3; April is not over for the
    /// 4th. February's 5 lost 2 in its own month: 3/5 after 1 and 2 months (March, April).
    /// April's cohort has no month over yet.
    #[test]
    fn a_hand_computed_table() {
        let cohorts = [
            cohort("2026-01", 4, &[0, 1, 0, 1]),
            cohort("2026-02", 5, &[2]),
            cohort("2026-03", 0, &[]),
            cohort("2026-04", 3, &[1]),
        ];
        let t = table(&cohorts, d("2026-05-04"), 6);
        let rows: Vec<(&str, u32, Vec<f64>)> = t
            .iter()
            .map(|r| (r.cohort.as_str(), r.customers, r.retained.clone()))
            .collect();
        assert_eq!(
            rows,
            [
                ("2026-01", 4, vec![0.75, 0.75, 0.5]),
                ("2026-02", 5, vec![0.6, 0.6]),
                ("2026-04", 3, vec![]),
            ]
        );
        // At most `months` columns; thirds rounded to four decimals.
        let t = table(&[cohort("2025-01", 3, &[0, 1])], d("2026-05-04"), 2);
        assert_eq!(t[0].retained, [0.6667, 0.6667]);
    }

    #[test]
    fn churn_counts_grow_to_their_month() {
        let mut c = Cohort::new("2026-01".into());
        c.customers = 2;
        c.churn(3);
        c.churn(0);
        assert_eq!(c.churned, [1, 0, 0, 1]);
    }
}
