//! Each KPI of the dashboard as a pure function of the agents' records, tested without a
//! lake: Reporting's daily counters merged per day ([`merge`], [`daily_figure`],
//! [`sla_attainment`]), the Sales Director's pipeline reports ([`weighted_forecast`]),
//! Billing's AR ageing ([`ar_ageing`], [`ageing_points`]), Marketing Analytics' attribution
//! ([`channels`]), the Customer Success Director's NPS answers and portfolio ([`nps_kpi`],
//! [`health_tiers`]).

use crate::business::word;
use ascent_console::insights::{Kpi, Period, Point};
use ascent_console::layout::money;
use ascent_core::catalog::{ChannelReturnsMeasured, HealthTier};
use ascent_core::money::Money;
use ascent_core::records::ArAgeing;
use chrono::NaiveDate;
use customer_success_director::{PortfolioAccount, nps};
use reporting::figures::Figure;
use reporting::report::DayCounts;
use sales_director::PipelineReport;
use std::collections::BTreeMap;

/// Each day's value of each figure: the largest any department counted (a figure several
/// departments report is counted in each, the same facts).
pub type Days = BTreeMap<NaiveDate, BTreeMap<Figure, i64>>;

/// Reporting's counters of every department, merged per day.
pub fn merge(counts: &[DayCounts]) -> Days {
    let mut days = Days::new();
    for c in counts {
        let day = days.entry(c.day).or_default();
        for (f, v) in &c.figures {
            let e = day.entry(*f).or_insert(*v);
            *e = (*e).max(*v);
        }
    }
    days
}

fn shown(f: Figure, v: i64, base: &str) -> String {
    if f.is_money() {
        money(&Money::new(v, base))
    } else {
        v.to_string()
    }
}

/// One figure per day of `period` (a day without counts is 0), with its total as headline; no
/// data when no day of the period counted it.
pub fn daily_figure(key: &str, f: Figure, days: &Days, period: Period, base: &str) -> Kpi {
    let source = "reporting (its daily counters, performance domain reporting#counts#<department>)";
    if !days
        .range(period.from..=period.to)
        .any(|(_, d)| d.contains_key(&f))
    {
        return Kpi::empty(
            key,
            f.label(),
            source,
            "nothing counted in this period (Reporting counts each business event as it comes)",
        );
    }
    let mut total = 0;
    let points = period
        .days()
        .into_iter()
        .map(|d| {
            let v = days.get(&d).and_then(|x| x.get(&f)).copied().unwrap_or(0);
            total += v;
            Point {
                label: d.to_string(),
                value: f.number(v, base),
                shown: shown(f, v, base),
            }
        })
        .collect();
    Kpi {
        key: key.into(),
        title: f.label().into(),
        headline: Some(format!("{} in the period", shown(f, total, base))),
        points,
        source: source.into(),
        no_data: None,
    }
}

/// Share of the tickets opened each day that breached no SLA (1 − breaches ÷ opened), over
/// the days with tickets; the headline over the whole period.
pub fn sla_attainment(days: &Days, period: Period) -> Kpi {
    let key = "sla-attainment";
    let title = "SLA attainment";
    let source = "reporting (tickets opened and SLA breaches per day)";
    let day_of = |d: &BTreeMap<Figure, i64>, f| d.get(&f).copied().unwrap_or(0);
    let (mut opened, mut breached) = (0, 0);
    let mut points = Vec::new();
    for (day, d) in days.range(period.from..=period.to) {
        let (o, b) = (
            day_of(d, Figure::TicketsOpened),
            day_of(d, Figure::SlaBreaches),
        );
        if o == 0 {
            continue;
        }
        opened += o;
        breached += b;
        let pct = (1.0 - b as f64 / o as f64).max(0.0) * 100.0;
        points.push(Point {
            label: day.to_string(),
            value: pct,
            shown: format!("{pct:.1}%"),
        });
    }
    if opened == 0 {
        return Kpi::empty(key, title, source, "no ticket opened in this period");
    }
    let pct = (1.0 - breached as f64 / opened as f64).max(0.0) * 100.0;
    Kpi {
        key: key.into(),
        title: title.into(),
        headline: Some(format!(
            "{pct:.1}% ({breached} SLA breach(es) for {opened} ticket(s) opened)"
        )),
        points,
        source: source.into(),
        no_data: None,
    }
}

/// The weighted forecast of each daily pipeline report in the period; the latest as headline.
pub fn weighted_forecast(reports: &[PipelineReport]) -> Kpi {
    let key = "weighted-forecast";
    let title = "Pipeline: weighted forecast";
    let source = "sales-director (its daily pipeline report, performance domain report#pipeline)";
    let Some(last) = reports.last() else {
        return Kpi::empty(
            key,
            title,
            source,
            "no pipeline report in this period; the Sales Director writes one each day",
        );
    };
    let points = reports
        .iter()
        .map(|r| {
            let m = Money::new(r.weighted_forecast_minor, &r.currency);
            Point {
                label: r.date.to_string(),
                value: r.weighted_forecast_minor as f64 / 10f64.powi(i32::from(m.exponent())),
                shown: money(&m),
            }
        })
        .collect();
    let open: i64 = last.by_stage.values().map(|s| s.amount_minor).sum();
    let deals: u32 = last.by_stage.values().map(|s| s.deals).sum();
    Kpi {
        key: key.into(),
        title: title.into(),
        headline: Some(format!(
            "{} expected in {} (on {}); {deals} open deal(s) worth {}",
            money(&Money::new(last.weighted_forecast_minor, &last.currency)),
            last.quarter,
            last.date,
            money(&Money::new(open, &last.currency)),
        )),
        points,
        source: source.into(),
        no_data: None,
    }
}

/// The AR ageing buckets of the latest snapshot, in `base` (or its first currency).
pub fn ageing_points(a: &ArAgeing, base: &str) -> (String, Vec<Point>) {
    let currency = if a.by_currency.contains_key(base) {
        base.to_string()
    } else {
        a.by_currency
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| base.into())
    };
    let b = a.by_currency.get(&currency).cloned().unwrap_or_default();
    let points = [
        ("not yet due", b.current),
        ("1–30 days", b.past_due_1_30),
        ("31–60 days", b.past_due_31_60),
        ("61–90 days", b.past_due_61_90),
        ("over 90 days", b.past_due_over_90),
    ]
    .into_iter()
    .map(|(label, v)| {
        let m = Money::new(v, &currency);
        Point {
            label: label.into(),
            value: v as f64 / 10f64.powi(i32::from(m.exponent())),
            shown: money(&m),
        }
    })
    .collect();
    (currency, points)
}

/// The latest AR ageing snapshot's buckets, or why there is none.
pub fn ar_ageing(latest: Option<ArAgeing>, base: &str) -> Kpi {
    let (key, title) = ("ar-ageing", "AR ageing");
    let source = "billing (its daily AR ageing snapshot, financial domain report#ar-ageing)";
    let Some(a) = latest else {
        return Kpi::empty(
            key,
            title,
            source,
            "no snapshot by the period's end; Billing takes one each daily run",
        );
    };
    let (currency, points) = ageing_points(&a, base);
    Kpi {
        key: key.into(),
        title: title.into(),
        headline: Some(format!(
            "{} outstanding on {}",
            money(&a.total(&currency)),
            a.as_of
        )),
        points,
        source: source.into(),
        no_data: None,
    }
}

/// CAC and ROI per channel of the latest attribution report.
pub fn channels(latest: Option<&ChannelReturnsMeasured>) -> [Kpi; 2] {
    let source = "marketing-analytics (its weekly attribution report, performance domain attribution#report#<day>)";
    let Some(m) = latest else {
        let why =
            "no attribution report by the period's end; Marketing Analytics writes one each week";
        return [
            Kpi::empty("cac", "CAC by channel", source, why),
            Kpi::empty("roi", "ROI by channel", source, why),
        ];
    };
    let cac: Vec<Point> = m
        .channels
        .iter()
        .filter_map(|c| {
            c.cac.as_ref().map(|cac| Point {
                label: word(&c.channel),
                value: cac.amount_minor as f64 / 10f64.powi(i32::from(cac.exponent())),
                shown: money(cac),
            })
        })
        .collect();
    let roi: Vec<Point> = m
        .channels
        .iter()
        .filter_map(|c| {
            c.roi.map(|r| Point {
                label: word(&c.channel),
                value: r * 100.0,
                shown: format!("{:.0}% (spend {})", r * 100.0, money(&c.spend)),
            })
        })
        .collect();
    let period = format!("{} to {}, {} attribution", m.from, m.to, word(&m.model));
    let kpi = |key: &str, title: &str, points: Vec<Point>, what: &str| {
        if points.is_empty() {
            Kpi::empty(
                key,
                title,
                source,
                &format!("the report of {period} has no channel with {what}"),
            )
        } else {
            Kpi {
                key: key.into(),
                title: title.into(),
                headline: Some(period.clone()),
                points,
                source: source.into(),
                no_data: None,
            }
        }
    };
    [
        kpi("cac", "CAC by channel", cac, "new customers"),
        kpi(
            "roi",
            "ROI by channel (negative returns are drawn as 0)",
            roi,
            "spend",
        ),
    ]
}

/// NPS of the answers given in the period: promoters (9–10), passives, detractors (0–6).
pub fn nps_kpi(scores: &[u8]) -> Kpi {
    let source = "customer-success-director (its NPS answers, customer domain csd#nps)";
    let Some(score) = nps(scores) else {
        return Kpi::empty("nps", "NPS", source, "no NPS answer in this period");
    };
    let count = |f: fn(&u8) -> bool| scores.iter().filter(|s| f(s)).count();
    let points = [
        ("promoters", count(|s| *s >= 9)),
        ("passives", count(|s| (7..=8).contains(s))),
        ("detractors", count(|s| *s <= 6)),
    ]
    .into_iter()
    .map(|(label, n)| Point {
        label: label.into(),
        value: n as f64,
        shown: n.to_string(),
    })
    .collect();
    Kpi {
        key: "nps".into(),
        title: "NPS".into(),
        headline: Some(format!("{score} from {} answer(s)", scores.len())),
        points,
        source: source.into(),
        no_data: None,
    }
}

/// Accounts of the portfolio now, per health tier (churned ones left out).
pub fn health_tiers(accounts: &[PortfolioAccount]) -> Kpi {
    let source = "customer-success-director (its portfolio, customer domain csd#accounts)";
    let live: Vec<&PortfolioAccount> = accounts.iter().filter(|a| !a.churned).collect();
    if live.is_empty() {
        return Kpi::empty(
            "health-tiers",
            "Health tiers (now)",
            source,
            "no account in the portfolio",
        );
    }
    let count = |t: Option<HealthTier>| live.iter().filter(|a| a.tier == t).count();
    let points = [
        ("healthy", count(Some(HealthTier::Healthy))),
        ("watch", count(Some(HealthTier::Watch))),
        ("at risk", count(Some(HealthTier::AtRisk))),
        ("not scored", count(None)),
    ]
    .into_iter()
    .map(|(label, n)| Point {
        label: label.into(),
        value: n as f64,
        shown: n.to_string(),
    })
    .collect();
    Kpi {
        key: "health-tiers".into(),
        title: "Health tiers (now)".into(),
        headline: Some(format!("{} live account(s)", live.len())),
        points,
        source: source.into(),
        no_data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn counts(department: &str, day: &str, figures: &[(Figure, i64)]) -> DayCounts {
        DayCounts {
            department: department.into(),
            day: d(day),
            version: 1,
            figures: figures.iter().copied().collect(),
        }
    }

    #[test]
    fn a_figure_two_departments_count_is_counted_once_and_every_day_of_the_period_is_drawn() {
        let days = merge(&[
            counts("sales", "2026-03-02", &[(Figure::Invoiced, 150_000)]),
            counts("finance", "2026-03-02", &[(Figure::Invoiced, 150_000)]),
            counts("finance", "2026-03-04", &[(Figure::Invoiced, 50_000)]),
        ]);
        let period = Period {
            from: d("2026-03-01"),
            to: d("2026-03-04"),
        };
        let k = daily_figure("revenue-invoiced", Figure::Invoiced, &days, period, "USD");
        assert_eq!(k.headline.as_deref(), Some("2,000.00 USD in the period"));
        let values: Vec<f64> = k.points.iter().map(|p| p.value).collect();
        assert_eq!(values, [0.0, 1500.0, 0.0, 500.0]);
        let none = daily_figure("x", Figure::Leads, &days, period, "USD");
        assert!(none.no_data.unwrap().contains("nothing counted"));
    }

    #[test]
    fn sla_attainment_is_the_share_of_tickets_without_a_breach() {
        let days = merge(&[
            counts(
                "support",
                "2026-03-02",
                &[(Figure::TicketsOpened, 10), (Figure::SlaBreaches, 1)],
            ),
            counts("support", "2026-03-03", &[(Figure::TicketsOpened, 10)]),
        ]);
        let k = sla_attainment(
            &days,
            Period {
                from: d("2026-03-01"),
                to: d("2026-03-31"),
            },
        );
        assert!(k.headline.unwrap().starts_with("95.0%"));
        assert_eq!(k.points[0].shown, "90.0%");
        assert!(
            sla_attainment(&Days::new(), Period::last(7, d("2026-03-31")))
                .no_data
                .is_some()
        );
    }

    #[test]
    fn nps_and_tiers_count_what_they_should() {
        let k = nps_kpi(&[10, 9, 8, 3]);
        assert_eq!(k.headline.as_deref(), Some("25 from 4 answer(s)"));
        assert_eq!(k.points.iter().map(|p| p.value).sum::<f64>(), 4.0);
        assert!(nps_kpi(&[]).no_data.is_some());
        let acct = |tier, churned| PortfolioAccount {
            tier,
            churned,
            ..Default::default()
        };
        let k = health_tiers(&[
            acct(Some(HealthTier::AtRisk), false),
            acct(Some(HealthTier::AtRisk), true),
            acct(None, false),
        ]);
        let at_risk = k.points.iter().find(|p| p.label == "at risk").unwrap();
        assert_eq!(at_risk.value, 1.0);
    }
}
