//! The dashboard's KPIs, read from what the agents store ([`read`]) and drawn by pure
//! functions ([`dashboard`], the series in [`series`]): Reporting's daily counters (pipeline
//! added, revenue won, invoiced and collected, marketing spend, SLA breaches against tickets),
//! the Sales Director's daily pipeline reports (weighted forecast), Billing's AR ageing
//! snapshots, Marketing Analytics' attribution reports (CAC and ROI by channel), the Customer
//! Success Director's NPS answers and portfolio (health tiers). The cost per million events is
//! no agent's record: each home that has a figure puts it in with [`with_cost`].

use crate::lake::{LakeReader, scan_as};
use ascent_console::OpsError;
use ascent_console::insights::{Kpi, Period};
use ascent_core::agent::Domain;
use ascent_core::catalog::ChannelReturnsMeasured;
use ascent_core::records::{AR_AGEING_PK, ArAgeing};
use customer_success_director::{ACCOUNTS, NPS, PortfolioAccount};
use reporting::figures::Figure;
use reporting::report::DayCounts;
use sales_director::PipelineReport;

pub mod series;
pub use series::*;

/// The cost KPI's key, the last of the dashboard.
pub const COST_KEY: &str = "cost-per-million-events";
/// The cost KPI's title.
pub const COST_TITLE: &str = "Cost per million business events";
const COST_SOURCE: &str = "`ascent cost` (docs/operations.md, \"Cost model\")";

/// Items of one kind read at most where the period does not bound them.
const ALL: usize = 1_000_000;

/// What the dashboard is drawn from, as the agents stored it, for one period.
#[derive(Default)]
pub struct Records {
    /// Reporting's daily counters of every department, the period's days.
    pub counts: Vec<DayCounts>,
    /// The Sales Director's daily pipeline reports of the period, oldest first.
    pub pipeline: Vec<PipelineReport>,
    /// Billing's latest AR ageing snapshot by the period's end.
    pub ageing: Option<ArAgeing>,
    /// Marketing Analytics' latest attribution report by the period's end.
    pub attribution: Option<ChannelReturnsMeasured>,
    /// NPS answers given in the period.
    pub nps_scores: Vec<u8>,
    /// The Customer Success Director's portfolio now.
    pub accounts: Vec<PortfolioAccount>,
}

/// Reads the records of `period` from the lake.
pub async fn read(lake: &dyn LakeReader, period: Period) -> Result<Records, OpsError> {
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let days = period.days().len();
    let counts = scan_as::<DayCounts>(
        lake,
        Domain::Performance,
        "reporting#counts#",
        None,
        Some((&from, &to)),
        days * 8,
    )
    .await?
    .into_iter()
    .map(|(_, _, c)| c)
    .collect();
    let pipeline = scan_as::<PipelineReport>(
        lake,
        Domain::Performance,
        "report#pipeline",
        None,
        Some((&from, &to)),
        days,
    )
    .await?
    .into_iter()
    .filter(|(pk, _, _)| pk == "report#pipeline")
    .map(|(_, _, r)| r)
    .collect();
    let ageing = scan_as::<ArAgeing>(
        lake,
        Domain::Financial,
        AR_AGEING_PK,
        None,
        Some(("", &to)),
        100_000,
    )
    .await?
    .into_iter()
    .filter(|(pk, _, _)| pk == AR_AGEING_PK)
    .map(|(_, _, a)| a)
    .next_back();
    // `attribution#report#<day>` / `report`: the latest whose day is within the period's end.
    let last_report = format!("attribution#report#{to}");
    let attribution = scan_as::<ChannelReturnsMeasured>(
        lake,
        Domain::Performance,
        "attribution#report#",
        Some("report"),
        None,
        100_000,
    )
    .await?
    .into_iter()
    .filter(|(pk, _, _)| *pk <= last_report)
    .map(|(_, _, m)| m)
    .next_back();
    let nps_end = format!("{to}~");
    let nps_scores = lake
        .scan(Domain::Customer, NPS, None, Some((&from, &nps_end)), ALL)
        .await?
        .into_iter()
        .filter(|(pk, _, _)| pk == NPS)
        .filter_map(|(_, _, v)| v["score"].as_u64().and_then(|s| u8::try_from(s).ok()))
        .collect();
    let accounts = scan_as::<PortfolioAccount>(lake, Domain::Customer, ACCOUNTS, None, None, ALL)
        .await?
        .into_iter()
        .filter(|(pk, _, _)| pk == ACCOUNTS)
        .map(|(_, _, a)| a)
        .collect();
    Ok(Records {
        counts,
        pipeline,
        ageing,
        attribution,
        nps_scores,
        accounts,
    })
}

/// The cost KPI where the home has no cost figure.
pub fn cost_not_computed() -> Kpi {
    Kpi::empty(
        COST_KEY,
        COST_TITLE,
        COST_SOURCE,
        "this home computes no cost figure; `ascent cost` estimates one from a twin's database",
    )
}

/// `kpis` with the home's cost KPI in place of the one without a figure (or added last).
pub fn with_cost(mut kpis: Vec<Kpi>, cost: Kpi) -> Vec<Kpi> {
    match kpis.iter_mut().find(|k| k.key == cost.key) {
        Some(k) => *k = cost,
        None => kpis.push(cost),
    }
    kpis
}

/// Every KPI of `period` drawn from `r`, in the dashboard's order, money summed in `base`; the
/// cost KPI last, without a figure.
pub fn dashboard(r: &Records, period: Period, base: &str) -> Vec<Kpi> {
    let days = merge(&r.counts);
    let figure = |key: &str, f: Figure| daily_figure(key, f, &days, period, base);
    let [cac, roi] = channels(r.attribution.as_ref());
    vec![
        figure("pipeline-added", Figure::PipelineAdded),
        weighted_forecast(&r.pipeline),
        figure("revenue-won", Figure::RevenueWon),
        figure("revenue-invoiced", Figure::Invoiced),
        figure("revenue-collected", Figure::PaymentsCollected),
        ar_ageing(r.ageing.clone(), base),
        figure("marketing-spend", Figure::MarketingSpend),
        cac,
        roi,
        nps_kpi(&r.nps_scores),
        health_tiers(&r.accounts),
        sla_attainment(&days, period),
        cost_not_computed(),
    ]
}

/// Every KPI over `period`, in the dashboard's order (see [`dashboard`]).
pub async fn kpis(lake: &dyn LakeReader, period: Period, base: &str) -> Result<Vec<Kpi>, OpsError> {
    Ok(dashboard(&read(lake, period).await?, period, base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_s_cost_figure_takes_the_place_of_the_one_without() {
        let period = Period::last(7, "2026-03-31".parse().unwrap());
        let all = dashboard(&Records::default(), period, "USD");
        assert_eq!(all.last().unwrap().key, COST_KEY);
        assert!(all.last().unwrap().no_data.is_some());
        let mut figure = cost_not_computed();
        figure.no_data = None;
        figure.headline = Some("1.45 USD per million business events".into());
        let n = all.len();
        let all = with_cost(all, figure.clone());
        assert_eq!(all.len(), n);
        assert_eq!(all.last(), Some(&figure));
        assert_eq!(with_cost(vec![], figure.clone()), vec![figure]);
    }
}
