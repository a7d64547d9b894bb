//! The daily series: one record per series and day (`ops-analytics#series#<series>`, sorted by
//! day), each expiring `history_days` after its day, so a series never holds more than its
//! capped history. Revenue and tickets are flows (a day without a record had none); the open
//! pipeline is a stock (a day without a record kept the level of the day before).

use ascent_core::catalog::OperationsSeries;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// One day of one series: revenue in minor units of the base currency, the open pipeline's
/// value at the end of the day in minor units, or tickets opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayPoint {
    pub day: NaiveDate,
    pub value: i64,
    pub version: u32,
}

pub const SERIES: [OperationsSeries; 3] = [
    OperationsSeries::Revenue,
    OperationsSeries::Pipeline,
    OperationsSeries::Tickets,
];

pub fn name(s: OperationsSeries) -> &'static str {
    match s {
        OperationsSeries::Revenue => "revenue",
        OperationsSeries::Pipeline => "pipeline",
        OperationsSeries::Tickets => "tickets",
    }
}

/// The partition of a series' day records.
pub fn pk(s: OperationsSeries) -> String {
    format!("ops-analytics#series#{}", name(s))
}

/// A stock is carried over days without a record; a flow is zero on them.
pub fn is_stock(s: OperationsSeries) -> bool {
    s == OperationsSeries::Pipeline
}

/// The values of every day from the first point's day (or `to - cap + 1`, the later) to `to`,
/// oldest first, with the first day; `None` without a point in that window. `points` are in
/// day order.
pub fn daily_values(
    points: &[DayPoint],
    to: NaiveDate,
    cap_days: u32,
    stock: bool,
) -> Option<(NaiveDate, Vec<f64>)> {
    let earliest = to - Duration::days(i64::from(cap_days) - 1);
    let mut inside = points
        .iter()
        .filter(|p| p.day >= earliest && p.day <= to)
        .peekable();
    let from = inside.peek()?.day;
    let mut values = Vec::new();
    let mut last = 0.0;
    let mut day = from;
    while day <= to {
        let today = inside.next_if(|p| p.day == day).map(|p| p.value as f64);
        let v = match (today, stock) {
            (Some(v), _) => v,
            (None, true) => last,
            (None, false) => 0.0,
        };
        last = v;
        values.push(v);
        day += Duration::days(1);
    }
    Some((from, values))
}

/// The last 7 days and the 7 before them: their sums (flows) or the levels on their last days
/// (stocks); days before the history count as nothing.
pub fn weeks(values: &[f64], stock: bool) -> (f64, f64) {
    let n = values.len();
    if stock {
        let at = |back: usize| n.checked_sub(back + 1).map_or(0.0, |i| values[i]);
        return (at(0), at(7));
    }
    let sum = |a: usize, b: usize| values[a..b].iter().sum::<f64>();
    (
        sum(n.saturating_sub(7), n),
        sum(n.saturating_sub(14), n.saturating_sub(7)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn p(day: &str, value: i64) -> DayPoint {
        DayPoint {
            day: d(day),
            value,
            version: 1,
        }
    }

    #[test]
    fn flows_are_zero_and_stocks_carried_on_days_without_a_record() {
        let points = [
            p("2026-03-02", 500),
            p("2026-03-04", 200),
            p("2026-03-05", 0),
        ];
        let (from, flow) = daily_values(&points, d("2026-03-06"), 364, false).unwrap();
        assert_eq!(from, d("2026-03-02"));
        assert_eq!(flow, [500.0, 0.0, 200.0, 0.0, 0.0]);
        let (_, stock) = daily_values(&points, d("2026-03-06"), 364, true).unwrap();
        assert_eq!(stock, [500.0, 500.0, 200.0, 0.0, 0.0]);
    }

    #[test]
    fn the_history_is_capped_and_starts_at_its_first_record() {
        let points = [p("2026-01-01", 9), p("2026-03-01", 1), p("2026-03-03", 2)];
        // 3 days kept up to 2026-03-03: 03-01 .. 03-03.
        let (from, v) = daily_values(&points, d("2026-03-03"), 3, false).unwrap();
        assert_eq!((from, v), (d("2026-03-01"), vec![1.0, 0.0, 2.0]));
        // Points after `to` (today's, still open) are left out.
        let (_, v) = daily_values(&points, d("2026-03-02"), 3, false).unwrap();
        assert_eq!(v, [1.0, 0.0]);
        assert_eq!(daily_values(&points[..1], d("2026-03-03"), 3, false), None);
        assert_eq!(daily_values(&[], d("2026-03-03"), 3, true), None);
    }

    #[test]
    fn weeks_sum_flows_and_take_the_level_of_stocks() {
        let v: Vec<f64> = (1..=16).map(f64::from).collect();
        // Last 7: 10..=16 → 91; the 7 before: 3..=9 → 42.
        assert_eq!(weeks(&v, false), (91.0, 42.0));
        // Stock: the level on the last day (16) and 7 days before it (9).
        assert_eq!(weeks(&v, true), (16.0, 9.0));
        assert_eq!(weeks(&v[..3], false), (6.0, 0.0));
        assert_eq!(weeks(&v[..3], true), (3.0, 0.0));
    }
}
