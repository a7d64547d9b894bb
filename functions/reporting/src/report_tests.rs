//! Building a report from daily counters, by hand: given the counters, when the report is
//! built, then its totals, its days and its anomalies.

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn settings() -> AnomalySettings {
    AnomalySettings {
        window_days: 7,
        min_days_with_data: 3,
        threshold: 3.5,
    }
}

fn sales() -> DepartmentReport {
    DepartmentReport {
        to: "sales.director@ascent-xr.example".into(),
        cadences: vec![ReportCadence::Weekly],
        figures: vec![Figure::Leads, Figure::RevenueWon],
    }
}

fn day(day: &str, leads: i64, revenue: i64) -> DayCounts {
    let mut figures = BTreeMap::new();
    figures.insert(Figure::Leads, leads);
    if revenue > 0 {
        figures.insert(Figure::RevenueWon, revenue);
    }
    DayCounts {
        department: "sales".into(),
        day: d(day),
        version: 1,
        figures,
    }
}

/// The week of 2026-03-02 and the seven days before it.
fn counters() -> Vec<DayCounts> {
    let window = [10, 12, 11, 13, 9, 10, 12];
    let week = [11, 30, 12, 10, 11, 12, 11];
    let mut out = Vec::new();
    for (i, leads) in window.iter().chain(week.iter()).enumerate() {
        let day_ = d("2026-02-23") + Days::new(i as u64);
        let revenue = if day_ == d("2026-03-05") {
            4_240_000
        } else {
            0
        };
        out.push(day(&day_.to_string(), *leads, revenue));
    }
    out
}

fn weekly(counts: &[DayCounts]) -> Report {
    build(
        "sales",
        &sales(),
        ReportCadence::Weekly,
        (d("2026-03-02"), d("2026-03-08")),
        counts,
        &settings(),
        "USD",
    )
}

#[test]
fn the_week_s_totals_and_its_one_spike() {
    let r = weekly(&counters());
    assert_eq!(r.days.len(), 14);
    assert_eq!(r.days[0], d("2026-02-23"));
    assert_eq!(r.period_start, 7);
    assert_eq!(r.period_days()[0], d("2026-03-02"));
    // 11 + 30 + 12 + 10 + 11 + 12 + 11
    assert_eq!(r.series[0].total, 97);
    assert_eq!(r.series[1].total, 4_240_000);
    // 03-03 against 02-24..03-02 (12 11 13 9 10 12 11): median 11, MAD 1:
    // 0.6745 × (30 − 11) / 1 = 12.8155. The revenue of one deal in a window of nothing has
    // no spread to be measured against: not scored.
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    let a = &r.anomalies[0];
    assert_eq!(
        (a.day, a.figure, a.value),
        (d("2026-03-03"), Figure::Leads, 30)
    );
    assert_eq!(a.median, 11.0);
    assert!((a.z - 12.8155).abs() < 1e-9, "{}", a.z);
    assert!(r.flagged(Figure::Leads, d("2026-03-03")).is_some());
    assert!(r.flagged(Figure::Leads, d("2026-03-04")).is_none());
}

#[test]
fn days_without_a_record_count_zero_and_a_thin_window_is_not_scored() {
    // Only two days of the window counted anything (min_days_with_data is 3): nothing is
    // scored on the period's first day, whatever its value.
    let counts = vec![
        day("2026-02-28", 10, 0),
        day("2026-03-01", 11, 0),
        day("2026-03-02", 90, 0),
    ];
    let r = weekly(&counts);
    assert_eq!(r.series[0].values[..7], [0, 0, 0, 0, 0, 10, 11]);
    assert_eq!(r.series[0].total, 90);
    assert!(r.flagged(Figure::Leads, d("2026-03-02")).is_none());
    // From 03-03 the window holds three days with data (10, 11, 90 and four zeros): median
    // 0... but 03-03 itself is 0, and so are the rest: nothing flagged.
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn a_collapse_is_an_anomaly_below() {
    let mut counts = counters();
    // 03-08 had 2 leads: its window (03-01..03-07: 12 11 30 12 10 11 12) has median 12, MAD 1.
    counts.last_mut().unwrap().figures.insert(Figure::Leads, 2);
    let r = weekly(&counts);
    let a = r.flagged(Figure::Leads, d("2026-03-08")).unwrap();
    // 0.6745 × (2 − 12) / 1 = −6.745
    assert!((a.z + 6.745).abs() < 1e-9, "{}", a.z);
}

#[test]
fn the_largest_anomalies_are_raised_first_within_the_limit() {
    let mut counts = counters();
    counts.last_mut().unwrap().figures.insert(Figure::Leads, 2);
    let r = weekly(&counts);
    assert_eq!(r.anomalies.len(), 2);
    // By day in the report; by |z| for raising: 12.8155 before 6.745.
    assert_eq!(r.anomalies[0].day, d("2026-03-03"));
    let raised = to_raise(&r, 1);
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].day, d("2026-03-03"));
    assert_eq!(to_raise(&r, 47).len(), 2);
}

#[test]
fn a_daily_report_reads_its_day_and_the_window_before() {
    assert_eq!(
        first_day_read(d("2026-03-04"), &settings()),
        d("2026-02-25")
    );
    let r = build(
        "sales",
        &sales(),
        ReportCadence::Daily,
        (d("2026-03-03"), d("2026-03-03")),
        &counters(),
        &settings(),
        "USD",
    );
    assert_eq!(r.days.len(), 8);
    assert_eq!(r.period_days(), [d("2026-03-03")]);
    assert_eq!(r.series[0].total, 30);
    assert_eq!(r.anomalies.len(), 1);
}
