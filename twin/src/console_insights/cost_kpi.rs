//! The dashboard's cost per million business events: no agent computes it, so it is `ascent
//! cost`'s figure (the monthly AWS bill of the period's traffic on the generated stack,
//! docs/operations.md "Cost model") over the twin's own database file, with the bill per
//! service as its chart. It takes the place of the shared dashboard's cost KPI without a
//! figure (`ascent_insights::kpis::with_cost`).

use crate::config::AscentConfig;
use crate::cost::{self, Bill};
use ascent_console::insights::{Kpi, Period, Point};
use ascent_embedded::Runtime;
use ascent_insights::kpis::{COST_KEY as KEY, COST_TITLE as TITLE};
use std::path::PathBuf;

const SOURCE: &str = "`ascent cost` over the twin's database (docs/operations.md, \"Cost model\")";

/// The file the runtime's store is kept in; `None` for a store in memory.
fn database(rt: &Runtime) -> Option<PathBuf> {
    let file: String = rt
        .store()
        .read(|c| {
            c.query_row(
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
                [],
                |r| r.get(0),
            )
        })
        .ok()?;
    (!file.is_empty()).then(|| PathBuf::from(file))
}

/// The KPI of a bill: its figure per million events as headline, each service's share of the
/// monthly bill as the chart.
pub fn of_bill(b: &Bill) -> Kpi {
    if b.business_events_per_month <= 0.0 {
        return Kpi::empty(KEY, TITLE, SOURCE, "no business event in this period");
    }
    let points = b
        .per_service
        .iter()
        .map(|(s, usd)| Point {
            label: s.label().into(),
            value: *usd,
            shown: format!("{usd:.2} USD a month"),
        })
        .collect();
    Kpi {
        key: KEY.into(),
        title: TITLE.into(),
        headline: Some(format!(
            "{:.2} USD per million business events ({:.2} USD of it the traffic's); a month of \
             this period's traffic: {:.2} USD on AWS",
            b.per_million_business_events, b.per_million_business_events_traffic, b.total_usd
        )),
        points,
        source: SOURCE.into(),
        no_data: None,
    }
}

/// The cost KPI of `period` for the twin of `rt`.
pub fn kpi(rt: &Runtime, period: Period) -> Kpi {
    let Some(db) = database(rt) else {
        return Kpi::empty(KEY, TITLE, SOURCE, "this twin keeps its store in memory");
    };
    let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let span = cost::Period {
        from: midnight(period.from),
        to: midnight(period.to + chrono::Duration::days(1)),
    };
    let days = period.days().len() as f64;
    match cost::bill_of(&db, &AscentConfig::shipped(), span, Some(days)) {
        Ok(bill) => of_bill(&bill),
        Err(e) => Kpi::empty(
            KEY,
            TITLE,
            SOURCE,
            &format!("the bill could not be made: {e:#}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::bill::Service;

    fn bill(events: f64) -> Bill {
        Bill {
            region: "us-east-1".into(),
            prices_taken: String::new(),
            prices_source: String::new(),
            database: String::new(),
            run_days: 30.0,
            month_days: 30,
            scale: 1.0,
            business_events_per_month: events,
            parts: vec![],
            per_service: vec![(Service::Lambda, 12.5), (Service::Sqs, 2.0)],
            total_usd: 14.5,
            per_million_business_events: 1.45,
            fixed_usd: 4.5,
            per_million_business_events_traffic: 1.0,
        }
    }

    #[test]
    fn a_bill_is_its_figure_per_million_and_its_services_and_none_without_events() {
        let k = of_bill(&bill(10_000_000.0));
        let headline = k.headline.unwrap();
        assert!(
            headline.starts_with("1.45 USD per million business events (1.00 USD"),
            "{headline}"
        );
        assert_eq!(k.points[0].label, "Lambda");
        assert_eq!(k.points[1].shown, "2.00 USD a month");
        assert!(of_bill(&bill(0.0)).no_data.is_some());
    }
}
