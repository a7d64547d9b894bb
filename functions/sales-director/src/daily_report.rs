//! The daily run: the pipeline report (by stage, rep and territory; the weighted forecast of
//! this quarter; commit and won against each rep's quota; conversion and velocity), stalled-deal
//! alerts, and deals idle too long closed as lost; bounded per run.

use crate::forecast::{OPEN_STAGES, StageStats, StageVisit, stage_name};
use crate::{OPEN_DEALS, PipelineDeal, RepQuarter, SalesDirector, quarter_bounds};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{DealStage, DealStalled, ScheduleTick};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Count and value of a slice of the pipeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    pub deals: u32,
    pub amount_minor: i64,
    pub weighted_minor: i64,
}

/// Commit and attainment of one rep for the quarter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepForecast {
    pub rep: String,
    pub quota: Money,
    pub won: Money,
    /// Won plus open deals in negotiation.
    pub commit: Money,
    /// Won plus the weighted value of everything open.
    pub forecast: Money,
    pub attainment_pct: Option<f64>,
}

/// The daily pipeline report (`report#pipeline` / `<date>`, performance domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineReport {
    pub date: chrono::NaiveDate,
    pub quarter: String,
    pub currency: String,
    pub by_stage: BTreeMap<String, Slice>,
    pub by_rep: BTreeMap<String, Slice>,
    pub by_territory: BTreeMap<String, Slice>,
    /// The weighted value of the open deals expected to close this quarter: the forecast.
    pub weighted_forecast_minor: i64,
    /// Open deals expected to close in a later quarter (not in this quarter's forecast).
    #[serde(default)]
    pub later: Slice,
    /// Open deals without an expected close date: shown apart, never in a quarter's forecast.
    #[serde(default)]
    pub unscheduled: Slice,
    /// Deals closed as lost today because they were idle `stale_after_days` (their stage
    /// history teaches the stage probabilities like any lost deal).
    #[serde(default)]
    pub closed_stale: Vec<String>,
    pub probabilities: BTreeMap<String, f64>,
    pub conversion: BTreeMap<String, f64>,
    pub velocity_days: BTreeMap<String, f64>,
    pub reps: Vec<RepForecast>,
    pub stalled: Vec<String>,
}

/// Stale deals one daily run closes (three writes at most each: the deal, its owner's quarter
/// and its share of the statistics), beside the stall alerts and the report: derived from AWS's
/// limit on one message's transaction, not a business setting. The rest close the next day.
pub const STALE_CLOSES_PER_RUN: usize = 12;

/// Stalled deals one daily run alerts (one write each, beside the report): derived from AWS's
/// limit on one message's transaction, not a business setting.
pub const STALL_ALERTS_PER_RUN: usize =
    ascent_core::limits::MAX_WRITES - 2 - 2 * STALE_CLOSES_PER_RUN;

impl SalesDirector {
    /// The daily run: the pipeline report, and stalled-deal alerts.
    ///
    /// Bounded by continuing in the next run: the report is one write whatever the pipeline,
    /// and one run alerts at most [`STALL_ALERTS_PER_RUN`] stalled deals (one write each); a
    /// stalled deal not alerted today is still stalled tomorrow and alerted then.
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let now = tick.at;
        let today = self.config.business_date(now);
        let quarter = self.config.quarter(now);
        let stats: StageStats = ctx
            .get_as(Domain::Performance, "stats#stages", "all")
            .await?
            .unwrap_or_default();
        let open: Vec<PipelineDeal> = ctx
            .query_as(Domain::Customer, &Query::gsi1(OPEN_DEALS))
            .await?;
        let mut probabilities = BTreeMap::new();
        let mut conversion = BTreeMap::new();
        let mut velocity_days = BTreeMap::new();
        for s in OPEN_STAGES {
            probabilities.insert(
                stage_name(s).to_string(),
                stats.probability(s, &self.config.defaults),
            );
            if let Some(c) = stats.conversion(s) {
                conversion.insert(stage_name(s).to_string(), c);
            }
            if let Some(v) = stats.velocity_days(s) {
                velocity_days.insert(stage_name(s).to_string(), (v * 10.0).round() / 10.0);
            }
        }
        let mut report = PipelineReport {
            date: today,
            quarter: quarter.clone(),
            currency: self.config.fx.base.clone(),
            by_stage: BTreeMap::new(),
            by_rep: BTreeMap::new(),
            by_territory: BTreeMap::new(),
            weighted_forecast_minor: 0,
            later: Slice::default(),
            unscheduled: Slice::default(),
            closed_stale: Vec::new(),
            probabilities,
            conversion,
            velocity_days,
            reps: Vec::new(),
            stalled: Vec::new(),
        };
        let mut commit_open: BTreeMap<String, i64> = BTreeMap::new();
        let mut forecast_by_rep: BTreeMap<String, i64> = BTreeMap::new();
        let (q_start, q_end) = quarter_bounds(today);
        let mut stale = Vec::new();
        for mut d in open {
            let inactive = (now - d.last_activity).num_days();
            if inactive >= self.config.stale_after_days && stale.len() < STALE_CLOSES_PER_RUN {
                stale.push(d);
                continue;
            }
            let amount = d.amount_base.as_ref().map_or(0, |a| a.amount_minor);
            let p = report.probabilities[stage_name(d.stage)];
            let weighted = (amount as f64 * p).round() as i64;
            // Only deals expected to close this quarter are in its forecast and commit.
            let this_quarter = match d.expected_close {
                Some(day) if day >= q_start && day <= q_end => true,
                Some(_) => {
                    add_to(&mut report.later, amount, weighted);
                    false
                }
                None => {
                    add_to(&mut report.unscheduled, amount, weighted);
                    false
                }
            };
            for slice in [
                report
                    .by_stage
                    .entry(stage_name(d.stage).to_string())
                    .or_default(),
                report.by_rep.entry(d.owner.clone()).or_default(),
                report.by_territory.entry(d.territory.clone()).or_default(),
            ] {
                slice.deals += 1;
                slice.amount_minor += amount;
                slice.weighted_minor += weighted;
            }
            if this_quarter {
                report.weighted_forecast_minor += weighted;
                *forecast_by_rep.entry(d.owner.clone()).or_default() += weighted;
                if d.stage == DealStage::Negotiation {
                    *commit_open.entry(d.owner.clone()).or_default() += amount;
                }
            }
            if inactive >= self.config.stall_days
                && !d.stall_alerted
                && report.stalled.len() < STALL_ALERTS_PER_RUN
            {
                report.stalled.push(d.deal_id.clone());
                ctx.emit(DealStalled {
                    deal_id: d.deal_id.clone(),
                    account_id: d.account_id.clone(),
                    owner: d.owner.clone(),
                    stage: d.stage,
                    days_inactive: inactive as u32,
                })?;
                ctx.send_mail(Mail {
                    to: d.owner.clone(),
                    subject: format!("Deal {} has had no activity for {inactive} days", d.deal_id),
                    text: format!(
                        "Deal {} ({}) has been in {} with no activity since {}. Next step?\n",
                        d.deal_id,
                        d.account_id,
                        stage_name(d.stage),
                        d.last_activity.date_naive()
                    ),
                    html: None,
                    ..Default::default()
                })?;
                d.stall_alerted = true;
                self.save(ctx, &d)?;
            }
        }
        let base = self.config.fx.base.clone();
        let qpk = format!("quota#{quarter}");
        for rep in &self.config.reps {
            let rq: RepQuarter = ctx
                .get_as(Domain::Performance, &qpk, &rep.email)
                .await?
                .unwrap_or_default();
            let weighted = forecast_by_rep.get(&rep.email).copied().unwrap_or(0);
            report.reps.push(RepForecast {
                rep: rep.email.clone(),
                quota: Money::new(rep.quota_minor, &base),
                won: Money::new(rq.won_minor, &base),
                commit: Money::new(
                    rq.won_minor + commit_open.get(&rep.email).copied().unwrap_or(0),
                    &base,
                ),
                forecast: Money::new(rq.won_minor + weighted, &base),
                attainment_pct: (rep.quota_minor > 0).then(|| {
                    (rq.won_minor as f64 * 1000.0 / rep.quota_minor as f64).round() / 10.0
                }),
            });
        }
        report.closed_stale = self.close_stale(ctx, stale, now).await?;
        ctx.put_record(
            Domain::Performance,
            "report#pipeline",
            &today.to_string(),
            &report,
            None,
            Condition::Always,
        )
    }

    /// Closes deals idle `stale_after_days` as lost ("stale"): each leaves the pipeline, its
    /// stage history teaches the probabilities as a loss (so they learn from whole cohorts,
    /// not only from deals someone closed), it counts as lost for its owner's quarter, and the
    /// owner is told (the CRM keeps its own record: reopen the deal there if it is alive). One
    /// write for the statistics, one per owner's quarter and one per deal.
    pub(crate) async fn close_stale(
        &self,
        ctx: &mut Ctx<'_>,
        stale: Vec<PipelineDeal>,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, AgentError> {
        if stale.is_empty() {
            return Ok(Vec::new());
        }
        let mut stats: StageStats = ctx
            .get_as(Domain::Performance, "stats#stages", "all")
            .await?
            .unwrap_or_default();
        let quarter = self.config.quarter(now);
        let mut lost_by_owner: BTreeMap<String, u32> = BTreeMap::new();
        let mut ids = Vec::new();
        for mut d in stale {
            let idle = (now - d.last_activity).num_days();
            d.stage = DealStage::ClosedLost;
            d.closed_stale = true;
            d.history.push(StageVisit {
                stage: DealStage::ClosedLost,
                entered_at: now,
            });
            stats.learn(&d.history, false, now);
            *lost_by_owner.entry(d.owner.clone()).or_default() += 1;
            ctx.send_mail(Mail {
                to: d.owner.clone(),
                subject: format!(
                    "Deal {} closed as lost: no activity for {idle} days",
                    d.deal_id
                ),
                text: format!(
                    "Deal {} ({}) had no activity since {} and is now closed as lost (stale) in \
                     the forecast. If it is still alive, reopen it in the CRM.\n",
                    d.deal_id,
                    d.account_id,
                    d.last_activity.date_naive()
                ),
                html: None,
                ..Default::default()
            })?;
            ids.push(d.deal_id.clone());
            self.save(ctx, &d)?;
        }
        ctx.put_record(
            Domain::Performance,
            "stats#stages",
            "all",
            &stats,
            None,
            Condition::Always,
        )?;
        for (owner, lost) in lost_by_owner {
            self.update_quarter(ctx, &quarter, &owner, |rq| rq.deals_lost += lost)
                .await?;
        }
        Ok(ids)
    }
}

fn add_to(s: &mut Slice, amount: i64, weighted: i64) {
    s.deals += 1;
    s.amount_minor += amount;
    s.weighted_minor += weighted;
}
