//! A report as people read it: HTML with one SVG chart per figure, CSV (RFC 4180) and a plain
//! text summary for the mail's body.
//!
//! The HTML is bounded (`[reporting] max_html_bytes`): a report whose charts would take it
//! over the bound goes out without them, saying so; the rest (totals, at most
//! [`LISTED_ANOMALIES`] anomalies, the figures day by day: at most 31 rows of 19 figures) fits
//! the smallest bound allowed (a test fills every figure of a month at its widest).

use crate::figures::Figure;
use crate::report::{Anomaly, Report};
use crate::svg::{Bar, BarKind, bar_chart, escape};
use ascent_core::catalog::ReportCadence;
use std::fmt::Write;

/// Anomalies listed in the HTML and the mail's text at most (all are in the CSV), so that a
/// report flagging every figure on every day stays small.
pub const LISTED_ANOMALIES: usize = 50;

/// The line saying how many anomalies were not listed, if any were not.
fn unlisted(r: &Report) -> Option<String> {
    let more = r.anomalies.len().checked_sub(LISTED_ANOMALIES)?;
    (more > 0).then(|| format!("and {more} more (the CSV lists them all)"))
}

/// `customer_success` as people write it.
pub fn department_name(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut c = spaced.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => spaced,
    }
}

fn cadence_name(c: ReportCadence) -> &'static str {
    match c {
        ReportCadence::Daily => "daily",
        ReportCadence::Weekly => "weekly",
        ReportCadence::Monthly => "monthly",
    }
}

/// The figure's column title (`Revenue won (USD)`).
pub fn column(figure: Figure, base: &str) -> String {
    if figure.is_money() {
        format!("{} ({base})", figure.label())
    } else {
        figure.label().to_string()
    }
}

/// The report's title: `Sales weekly report, 2026-03-02 to 2026-03-08`.
pub fn title(r: &Report) -> String {
    let days = if r.from == r.to {
        r.from.to_string()
    } else {
        format!("{} to {}", r.from, r.to)
    };
    format!(
        "{} {} report, {days}",
        department_name(&r.department),
        cadence_name(r.cadence)
    )
}

/// The attachment's file name: `sales-weekly-2026-03-02.csv`.
pub fn csv_file_name(r: &Report) -> String {
    format!(
        "{}-{}-{}.csv",
        r.department.replace('_', "-"),
        cadence_name(r.cadence),
        r.from
    )
}

/// One anomaly in words.
pub fn anomaly_line(a: &Anomaly, base: &str, threshold: f64) -> String {
    let median = if a.figure.is_money() {
        format!("{:.2}", a.median)
    } else {
        format!("{}", (a.median * 10.0).round() / 10.0)
    };
    format!(
        "{} {}: {} against a median of {median} (robust z {:.2}, beyond ±{threshold})",
        a.day,
        column(a.figure, base),
        a.figure.show(a.value, base),
        a.z
    )
}

/// One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180 §2.6–2.7).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_row(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The period day by day: `day`, each figure, the day's anomalies; then a `total` row. Lines
/// end in CRLF (RFC 4180 §2.1).
pub fn csv(r: &Report) -> String {
    let base = &r.base_currency;
    let mut head = vec!["day".to_string()];
    head.extend(r.series.iter().map(|s| column(s.figure, base)));
    head.push("anomalies".into());
    let mut out = csv_row(&head);
    for (offset, day) in r.period_days().iter().enumerate() {
        let i = r.period_start + offset;
        let mut row = vec![day.to_string()];
        row.extend(r.series.iter().map(|s| s.figure.show(s.values[i], base)));
        let flagged: Vec<String> = r
            .anomalies
            .iter()
            .filter(|a| a.day == *day)
            .map(|a| format!("{}, z {:.2}", a.figure.key(), a.z))
            .collect();
        row.push(flagged.join("; "));
        out.push_str(&csv_row(&row));
    }
    let mut total = vec!["total".to_string()];
    total.extend(r.series.iter().map(|s| s.figure.show(s.total, base)));
    total.push(String::new());
    out.push_str(&csv_row(&total));
    out
}

/// The mail's text: the totals and the anomalies.
pub fn text(r: &Report, company: &str) -> String {
    let base = &r.base_currency;
    let mut t = format!("{} ({company})\n\n", title(r));
    for s in &r.series {
        let _ = writeln!(
            t,
            "{}: {}",
            column(s.figure, base),
            s.figure.show(s.total, base)
        );
    }
    t.push('\n');
    if r.anomalies.is_empty() {
        t.push_str("No anomalies.\n");
    } else {
        t.push_str("Anomalies:\n");
        for a in r.anomalies.iter().take(LISTED_ANOMALIES) {
            let _ = writeln!(t, "- {}", anomaly_line(a, base, r.threshold));
        }
        if let Some(more) = unlisted(r) {
            let _ = writeln!(t, "- {more}");
        }
    }
    t.push_str("\nThe figures by day are attached as CSV; the HTML version has a chart of each.\n");
    t
}

fn chart(r: &Report, i: usize) -> String {
    let s = &r.series[i];
    let base = &r.base_currency;
    let bars: Vec<Bar> = r
        .days
        .iter()
        .enumerate()
        .map(|(d, day)| Bar {
            label: day.format("%m-%d").to_string(),
            value: s.figure.number(s.values[d], base),
            shown: s.figure.show(s.values[d], base),
            kind: if d < r.period_start {
                BarKind::Context
            } else if r.flagged(s.figure, *day).is_some() {
                BarKind::Anomaly
            } else {
                BarKind::Period
            },
        })
        .collect();
    bar_chart(&column(s.figure, base), &bars, |m| {
        if s.figure.is_money() {
            format!("{m:.0}")
        } else {
            format!("{m}")
        }
    })
}

/// The HTML of the report, at most `max_bytes`; `false` with it when the charts were left out
/// to stay within the bound.
pub fn html(r: &Report, company: &str, max_bytes: usize) -> (String, bool) {
    let with = page(r, company, true, max_bytes);
    if with.len() <= max_bytes {
        return (with, true);
    }
    (page(r, company, false, max_bytes), false)
}

fn page(r: &Report, company: &str, charts: bool, max_bytes: usize) -> String {
    let base = &r.base_currency;
    let title = escape(&title(r));
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family:sans-serif\">\n<h1>{title}</h1>\n<p>{}. Grey bars: the {} days before, for comparison; red: an anomaly.</p>\n",
        escape(company),
        r.period_start
    );
    h.push_str("<h2>Totals</h2>\n<table>\n<tr><th>Figure</th><th>Total</th></tr>\n");
    for s in &r.series {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(&column(s.figure, base)),
            s.figure.show(s.total, base)
        );
    }
    h.push_str("</table>\n<h2>Anomalies</h2>\n");
    if r.anomalies.is_empty() {
        h.push_str("<p>None.</p>\n");
    } else {
        h.push_str("<ul>\n");
        for a in r.anomalies.iter().take(LISTED_ANOMALIES) {
            let _ = writeln!(
                h,
                "<li>{}</li>",
                escape(&anomaly_line(a, base, r.threshold))
            );
        }
        if let Some(more) = unlisted(r) {
            let _ = writeln!(h, "<li>{more}</li>");
        }
        h.push_str("</ul>\n");
    }
    if charts {
        h.push_str("<h2>Charts</h2>\n");
        for i in 0..r.series.len() {
            h.push_str(&chart(r, i));
            h.push('\n');
        }
    } else {
        let _ = writeln!(
            h,
            "<p>Charts left out: with them this report would be over {max_bytes} bytes.</p>"
        );
    }
    h.push_str("<h2>By day</h2>\n<table>\n<tr><th>Day</th>");
    for s in &r.series {
        let _ = write!(h, "<th>{}</th>", escape(&column(s.figure, base)));
    }
    h.push_str("</tr>\n");
    for (offset, day) in r.period_days().iter().enumerate() {
        let i = r.period_start + offset;
        let _ = write!(h, "<tr><td>{day}</td>");
        for s in &r.series {
            let mark = if r.flagged(s.figure, *day).is_some() {
                " style=\"color:#d1362f;font-weight:bold\""
            } else {
                ""
            };
            let _ = write!(h, "<td{mark}>{}</td>", s.figure.show(s.values[i], base));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n</body></html>\n");
    h
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
