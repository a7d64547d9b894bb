//! A small server-side SVG bar chart: one bar per day, drawn the same way every time.
//!
//! No scripts, no fonts to load, no external references: mail clients and browsers show the
//! chart as it is. Every text is escaped; coordinates are written with one decimal, so the same
//! figures give the same bytes (a test compares them). The y axis runs from 0 to a round
//! maximum (1, 2, 2.5 or 5 times a power of ten) at or above the largest value.

use std::fmt::Write;

pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 220.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 28.0;

/// How a bar is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    /// A day of the trailing window before the period, for context (grey).
    Context,
    /// A day of the period (blue).
    Period,
    /// A day of the period flagged as an anomaly (red).
    Anomaly,
}

impl BarKind {
    fn fill(self) -> &'static str {
        match self {
            BarKind::Context => "#c8ccd4",
            BarKind::Period => "#3b6fb6",
            BarKind::Anomaly => "#d1362f",
        }
    }
}

/// One bar: its axis label, its height and the value as people read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
    pub kind: BarKind,
}

/// Escapes text for XML and HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The round axis maximum at or above `max` (1 for nothing to show).
pub fn nice_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|s| s * power)
        .find(|m| *m >= max)
        .unwrap_or(10.0 * power)
}

/// The chart of `bars` under `title`; `axis_max` labels the top of the y axis (the caller
/// formats it, as money or as a count, from [`nice_max`]).
pub fn bar_chart(title: &str, bars: &[Bar], axis_max_label: impl Fn(f64) -> String) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base_y = TOP + plot_h;
    let largest = bars.iter().map(|b| b.value.max(0.0)).fold(0.0, f64::max);
    let top = nice_max(largest);
    let title = escape(title);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" role="img" aria-label="{title}">"#
    );
    let _ = write!(s, "<title>{title}</title>");
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{title}</text>"#
    );
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{:.1}" y2="{TOP}" stroke="#e3e5e8"/>"##,
        LEFT + plot_w
    );
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{base_y}" x2="{:.1}" y2="{base_y}" stroke="#888888"/>"##,
        LEFT + plot_w
    );
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">{}</text>"#,
        LEFT - 4.0,
        TOP + 4.0,
        escape(&axis_max_label(top))
    );
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">0</text>"#,
        LEFT - 4.0,
        base_y + 4.0
    );
    if !bars.is_empty() {
        let bw = plot_w / bars.len() as f64;
        for (i, b) in bars.iter().enumerate() {
            let h = b.value.max(0.0) / top * plot_h;
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                LEFT + i as f64 * bw + bw * 0.1,
                base_y - h,
                bw * 0.8,
                h,
                b.kind.fill(),
                escape(&b.label),
                escape(&b.shown)
            );
        }
        let last = bars.len() - 1;
        for i in if last == 0 { vec![0] } else { vec![0, last] } {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"#,
                LEFT + (i as f64 + 0.5) * bw,
                base_y + 16.0,
                escape(&bars[i].label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64, kind: BarKind) -> Bar {
        Bar {
            label: label.into(),
            value,
            shown: format!("{value}"),
            kind,
        }
    }

    #[test]
    fn round_axis_maxima() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(25.0), 25.0);
        assert_eq!(nice_max(26.0), 50.0);
        assert_eq!(nice_max(101.0), 200.0);
        assert_eq!(nice_max(0.3), 0.5);
        assert_eq!(nice_max(f64::NAN), 1.0);
    }

    #[test]
    fn two_bars_are_drawn_where_the_arithmetic_puts_them() {
        // Plot 576 × 164 from (56, 28); axis 0..5 (nice_max of 3); bars 288 wide slots,
        // 80% of a slot (230.4) from 10% in. 1 is 32.8 high, 3 is 98.4.
        let svg = bar_chart(
            "Leads",
            &[
                bar("03-01", 1.0, BarKind::Context),
                bar("03-02", 3.0, BarKind::Anomaly),
            ],
            |m| format!("{m}"),
        );
        let expected = concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="220" viewBox="0 0 640 220" font-family="sans-serif" role="img" aria-label="Leads">"#,
            "<title>Leads</title>",
            r#"<text x="56" y="18" font-size="13" font-weight="bold">Leads</text>"#,
            r##"<line x1="56" y1="28" x2="632.0" y2="28" stroke="#e3e5e8"/>"##,
            r##"<line x1="56" y1="192" x2="632.0" y2="192" stroke="#888888"/>"##,
            r#"<text x="52.0" y="32.0" text-anchor="end" font-size="11">5</text>"#,
            r#"<text x="52.0" y="196.0" text-anchor="end" font-size="11">0</text>"#,
            r##"<rect x="84.8" y="159.2" width="230.4" height="32.8" fill="#c8ccd4"><title>03-01: 1</title></rect>"##,
            r##"<rect x="372.8" y="93.6" width="230.4" height="98.4" fill="#d1362f"><title>03-02: 3</title></rect>"##,
            r#"<text x="200.0" y="208.0" text-anchor="middle" font-size="11">03-01</text>"#,
            r#"<text x="488.0" y="208.0" text-anchor="middle" font-size="11">03-02</text>"#,
            "</svg>"
        );
        assert_eq!(svg, expected);
    }

    #[test]
    fn text_is_escaped_and_output_is_deterministic() {
        let bars = [bar("<b>", 2.0, BarKind::Period)];
        let a = bar_chart("R&D \"ops\" <x>", &bars, |m| format!("{m}"));
        let b = bar_chart("R&D \"ops\" <x>", &bars, |m| format!("{m}"));
        assert_eq!(a, b);
        assert!(a.contains("<title>R&amp;D &quot;ops&quot; &lt;x&gt;</title>"));
        assert!(a.contains("&lt;b&gt;: 2"));
        assert!(!a.contains("<b>"));
        assert!(!a.contains("<x>"));
    }

    #[test]
    fn no_days_still_draws_the_axes_and_zero_values_draw_no_height() {
        let empty = bar_chart("Churned accounts", &[], |m| format!("{m}"));
        assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
        assert!(!empty.contains("<rect"));
        let zero = bar_chart("Churned", &[bar("03-01", 0.0, BarKind::Period)], |m| {
            format!("{m}")
        });
        assert!(
            zero.contains(r#"y="192.0" width="460.8" height="0.0""#),
            "{zero}"
        );
    }
}
