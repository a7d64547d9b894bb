//! Rendering: given a report, when it is rendered, then the CSV, text and HTML people get.

use super::*;
use crate::report::{Anomaly, Series};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Two days of sales (03-03 and 03-04) after two days of window.
fn report() -> Report {
    Report {
        department: "sales".into(),
        cadence: ReportCadence::Daily,
        from: d("2026-03-03"),
        to: d("2026-03-04"),
        base_currency: "USD".into(),
        days: vec![
            d("2026-03-01"),
            d("2026-03-02"),
            d("2026-03-03"),
            d("2026-03-04"),
        ],
        period_start: 2,
        series: vec![
            Series {
                figure: Figure::Leads,
                values: vec![10, 12, 11, 30],
                total: 41,
            },
            Series {
                figure: Figure::RevenueWon,
                values: vec![0, 0, 4_240_000, 0],
                total: 4_240_000,
            },
        ],
        anomalies: vec![Anomaly {
            day: d("2026-03-04"),
            figure: Figure::Leads,
            value: 30,
            median: 11.0,
            z: 12.8155,
        }],
        threshold: 3.5,
    }
}

#[test]
fn csv_fields_are_quoted_as_rfc_4180_says() {
    assert_eq!(csv_field("42400.00"), "42400.00");
    assert_eq!(csv_field("leads, z 12.82"), "\"leads, z 12.82\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    assert_eq!(csv_field("cr\r"), "\"cr\r\"");
    assert_eq!(csv_field(""), "");
}

#[test]
fn the_csv_has_a_row_per_day_of_the_period_and_a_total() {
    let expected = concat!(
        "day,Leads,Revenue won (USD),anomalies\r\n",
        "2026-03-03,11,42400.00,\r\n",
        "2026-03-04,30,0.00,\"leads, z 12.82\"\r\n",
        "total,41,42400.00,\r\n",
    );
    assert_eq!(csv(&report()), expected);
}

#[test]
fn the_mail_text_gives_totals_and_anomalies_in_words() {
    let t = text(&report(), "Ascent XR");
    assert!(t.starts_with("Sales daily report, 2026-03-03 to 2026-03-04 (Ascent XR)\n"));
    assert!(t.contains("\nLeads: 41\n"));
    assert!(t.contains("\nRevenue won (USD): 42400.00\n"));
    assert!(
        t.contains("- 2026-03-04 Leads: 30 against a median of 11 (robust z 12.82, beyond ±3.5)\n"),
        "{t}"
    );
}

#[test]
fn names_titles_and_file_names() {
    assert_eq!(department_name("customer_success"), "Customer success");
    let mut r = report();
    assert_eq!(title(&r), "Sales daily report, 2026-03-03 to 2026-03-04");
    r.to = r.from;
    assert_eq!(title(&r), "Sales daily report, 2026-03-03");
    r.department = "customer_success".into();
    r.cadence = ReportCadence::Monthly;
    assert_eq!(csv_file_name(&r), "customer-success-monthly-2026-03-03.csv");
}

#[test]
fn the_html_has_a_chart_per_figure_with_the_anomaly_in_red() {
    let (h, charts) = html(&report(), "R&D <Labs>", 200_000);
    assert!(charts);
    assert_eq!(h.matches("<svg ").count(), 2);
    assert!(h.contains("R&amp;D &lt;Labs&gt;"));
    assert!(!h.contains("<Labs>"));
    assert!(h.contains("<title>Leads</title>"));
    assert!(h.contains("<title>Revenue won (USD)</title>"));
    // Two grey window bars, then 03-03 in blue and 03-04 in red.
    assert!(
        h.contains(r##"fill="#d1362f"><title>03-04: 30</title>"##),
        "{h}"
    );
    assert!(h.contains(r##"fill="#3b6fb6"><title>03-03: 11</title>"##));
    assert!(h.contains(r##"fill="#c8ccd4"><title>03-01: 10</title>"##));
    assert!(h.contains("<li>2026-03-04 Leads: 30 against a median of 11"));
    assert!(h.contains("<td style=\"color:#d1362f;font-weight:bold\">30</td>"));
    // The same report renders to the same bytes.
    assert_eq!(html(&report(), "R&D <Labs>", 200_000).0, h);
}

#[test]
fn over_the_bound_the_charts_are_left_out_and_the_report_says_so() {
    let (full, _) = html(&report(), "Ascent XR", 200_000);
    let bound = full.len() - 1;
    let (h, charts) = html(&report(), "Ascent XR", bound);
    assert!(!charts);
    assert!(h.len() <= bound);
    assert!(!h.contains("<svg"));
    assert!(h.contains(&format!(
        "Charts left out: with them this report would be over {bound} bytes."
    )));
    // The figures are all still there.
    assert!(h.contains("<td>2026-03-04</td>"));
    assert!(h.contains("42400.00"));
}

#[test]
fn a_month_of_every_figure_without_charts_fits_the_smallest_bound_allowed() {
    // 31 days of 19 figures at their widest, and an anomaly on each figure and day.
    let days: Vec<NaiveDate> = d("2026-01-01").iter_days().take(28 + 31).collect();
    let r = Report {
        department: "customer_success".into(),
        cadence: ReportCadence::Monthly,
        from: days[28],
        to: days[58],
        base_currency: "USD".into(),
        period_start: 28,
        series: Figure::ALL
            .iter()
            .map(|f| Series {
                figure: *f,
                values: vec![999_999_999_999; days.len()],
                total: i64::MAX,
            })
            .collect(),
        anomalies: days[28..]
            .iter()
            .flat_map(|day| {
                Figure::ALL.iter().map(|f| Anomaly {
                    day: *day,
                    figure: *f,
                    value: 999_999_999_999,
                    median: 1_000_000_000.0,
                    z: -123_456.789,
                })
            })
            .collect(),
        days,
        threshold: 3.5,
    };
    let (h, _) = html(&r, "Ascent XR", crate::settings::MIN_HTML_BYTES);
    assert!(h.len() <= crate::settings::MIN_HTML_BYTES, "{}", h.len());
    assert!(h.contains("<li>and 539 more (the CSV lists them all)</li>"));
    // The CSV has all 589, by day.
    assert_eq!(csv(&r).matches(", z -123456.79").count(), 589);
}
