//! The dashboard: the KPIs the agents compute, each a headline figure and a server-rendered
//! SVG chart (Reporting's own bar chart, `reporting::svg`), over a period chosen as the last
//! 7, 30 or 90 days or from/to dates. A KPI without data says so, and what fills it.

use crate::insights::{Kpi, Period};
use crate::layout::{BASE, escape};
use chrono::NaiveDate;
use reporting::svg::{Bar, BarKind, bar_chart};
use serde::Deserialize;

/// The dashboard's own layout: KPI cards in a grid (the console's frame styles the rest).
const STYLE: &str = ".kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(41rem,1fr));gap:1rem}\
.kpi{background:#fff;border:1px solid #e3e6ee;padding:.2rem .8rem}.kpi h2{font-size:1.05rem;margin:.5rem 0}\
.kpi svg{max-width:100%;height:auto}.headline{font-size:1.15rem;font-weight:600;margin:.2rem 0}\
.categories{columns:2;font-size:.9rem}#period a.on{font-weight:700}";

/// The longest period a dashboard shows.
pub const MAX_DAYS: i64 = 366;

/// The period selector as sent: `days` (7, 30, 90), or `from` and `to` dates.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

impl PeriodForm {
    /// The period asked for, ending `today` by default (the last 30 days).
    pub fn period(&self, today: NaiveDate) -> Result<Period, String> {
        let date = |s: &str, name: &str| {
            s.trim()
                .parse::<NaiveDate>()
                .map_err(|_| format!("{name} must be a date such as 2026-03-02"))
        };
        let (from, to) = (self.from.trim(), self.to.trim());
        if !from.is_empty() || !to.is_empty() {
            let to = if to.is_empty() {
                today
            } else {
                date(to, "to")?
            };
            let from = if from.is_empty() {
                to - chrono::Duration::days(29)
            } else {
                date(from, "from")?
            };
            if from > to {
                return Err(format!("from ({from}) is after to ({to})"));
            }
            if (to - from).num_days() >= MAX_DAYS {
                return Err(format!("a period is at most {MAX_DAYS} days"));
            }
            return Ok(Period { from, to });
        }
        let days = match self.days.trim() {
            "" => 30,
            d => d
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=MAX_DAYS).contains(d))
                .ok_or_else(|| format!("days must be 1 to {MAX_DAYS}"))?,
        };
        Ok(Period::last(days, today))
    }
}

/// A KPI's chart: Reporting's bar chart of its points (a day's label shortened to `MM-DD`).
pub fn chart(k: &Kpi) -> String {
    let bars: Vec<Bar> = k
        .points
        .iter()
        .map(|p| Bar {
            label: match p.label.parse::<NaiveDate>() {
                Ok(d) => d.format("%m-%d").to_string(),
                Err(_) => p.label.clone(),
            },
            value: p.value,
            shown: p.shown.clone(),
            kind: BarKind::Period,
        })
        .collect();
    bar_chart(&k.title, &bars, |m| format!("{m}"))
}

fn card(k: &Kpi) -> String {
    let body = match &k.no_data {
        Some(why) => format!(
            "<p class=\"muted no-data\">No data yet: {}</p>",
            escape(why)
        ),
        None => {
            // Categories (channels, tiers, buckets) are listed too: the chart labels only its ends.
            let categories = k
                .points
                .iter()
                .any(|p| p.label.parse::<NaiveDate>().is_err());
            let list = if categories {
                let items: String = k
                    .points
                    .iter()
                    .map(|p| format!("<li>{}: {}</li>", escape(&p.label), escape(&p.shown)))
                    .collect();
                format!("<ul class=\"categories\">{items}</ul>")
            } else {
                String::new()
            };
            format!("{}{list}", chart(k))
        }
    };
    let headline = k
        .headline
        .as_deref()
        .map(|h| format!("<p class=\"headline\">{}</p>", escape(h)))
        .unwrap_or_default();
    format!(
        "<section class=\"kpi\" id=\"kpi-{key}\"><h2>{title}</h2>{headline}{body}\
         <p class=\"muted source\">From {source}.</p></section>",
        key = escape(&k.key),
        title = escape(&k.title),
        source = escape(&k.source),
    )
}

/// The dashboard's body: the period selector, then each KPI.
pub fn render(
    form: &PeriodForm,
    period: Option<Period>,
    kpis: &[Kpi],
    error: Option<&str>,
) -> String {
    let choice = |d: &str, label: &str| {
        format!(
            "<a href=\"{BASE}/dashboard?days={d}\"{}>{label}</a>",
            if form.days.trim() == d && form.from.is_empty() && form.to.is_empty() {
                " class=\"on\""
            } else {
                ""
            }
        )
    };
    let mut out = format!(
        "<style>{STYLE}</style><form method=\"get\" action=\"{BASE}/dashboard\" id=\"period\"><p>Last {} · {} · {} days, \
         or <label>from <input type=\"date\" name=\"from\" value=\"{}\"></label> \
         <label>to <input type=\"date\" name=\"to\" value=\"{}\"></label> \
         <button type=\"submit\">Show</button></p></form>",
        choice("7", "7"),
        choice("30", "30"),
        choice("90", "90"),
        escape(&form.from),
        escape(&form.to),
    );
    if let Some(e) = error {
        out.push_str(&format!("<p class=\"error\">{}</p>", escape(e)));
        return out;
    }
    if let Some(p) = period {
        out.push_str(&format!(
            "<p id=\"shown-period\">{} to {} ({} days).</p>",
            p.from,
            p.to,
            (p.to - p.from).num_days() + 1
        ));
    }
    out.push_str("<div class=\"kpis\">");
    for k in kpis {
        out.push_str(&card(k));
    }
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::Point;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_period_is_the_last_days_or_the_dates_given() {
        let today = d("2026-03-31");
        let p = PeriodForm::default().period(today).unwrap();
        assert_eq!((p.from, p.to), (d("2026-03-02"), today));
        let week = PeriodForm {
            days: "7".into(),
            ..Default::default()
        };
        assert_eq!(week.period(today).unwrap().from, d("2026-03-25"));
        let dates = PeriodForm {
            from: "2026-01-01".into(),
            to: "2026-01-31".into(),
            ..Default::default()
        };
        assert_eq!(dates.period(today).unwrap().days().len(), 31);
        for bad in ["0", "400", "x"] {
            let f = PeriodForm {
                days: bad.into(),
                ..Default::default()
            };
            assert!(f.period(today).is_err(), "{bad}");
        }
        let backwards = PeriodForm {
            from: "2026-02-01".into(),
            to: "2026-01-01".into(),
            ..Default::default()
        };
        assert!(backwards.period(today).is_err());
    }

    #[test]
    fn a_kpi_is_charted_in_svg_with_its_series_and_one_without_data_says_why() {
        let kpis = vec![
            Kpi {
                key: "revenue-invoiced".into(),
                title: "Revenue invoiced".into(),
                headline: Some("3,000.00 USD".into()),
                points: vec![
                    Point {
                        label: "2026-03-01".into(),
                        value: 1000.0,
                        shown: "1,000.00 USD".into(),
                    },
                    Point {
                        label: "2026-03-02".into(),
                        value: 2000.0,
                        shown: "2,000.00 USD".into(),
                    },
                ],
                source: "reporting".into(),
                no_data: None,
            },
            Kpi::empty(
                "nps",
                "NPS",
                "customer-success-director",
                "no NPS answer <yet>",
            ),
        ];
        let page = render(&PeriodForm::default(), None, &kpis, None);
        assert!(page.contains("<svg"), "{page}");
        assert!(
            page.contains("<title>03-01: 1,000.00 USD</title>"),
            "{page}"
        );
        assert!(page.contains("<title>03-02: 2,000.00 USD</title>"));
        assert!(page.contains("3,000.00 USD"));
        assert!(page.contains("No data yet: no NPS answer &lt;yet&gt;"));
        assert!(!page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"220\" viewBox=\"0 0 640 220\" font-family=\"sans-serif\" role=\"img\" aria-label=\"NPS\""));
    }

    #[test]
    fn categories_are_listed_beside_their_chart() {
        let k = Kpi {
            key: "health".into(),
            title: "Health tiers".into(),
            headline: None,
            points: vec![Point {
                label: "at risk".into(),
                value: 2.0,
                shown: "2".into(),
            }],
            source: "customer-success-director".into(),
            no_data: None,
        };
        assert!(card(&k).contains("<li>at risk: 2</li>"));
    }
}
