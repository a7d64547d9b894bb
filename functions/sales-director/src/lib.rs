//! # Sales Director agent
//!
//! Leads the sales team:
//! - assigns each qualified lead (`LeadRouted`) to a rep of its territory by weighted round
//!   robin on capacity ([`assignment`]) and announces `LeadAssigned`;
//! - follows every deal through its stages (`DealStageChanged`, `ProposalSent`, won/lost),
//!   keeping its stage history and last activity;
//! - learns stage win probabilities, conversion and velocity from closed deals
//!   ([`forecast`]), with a default table as the prior;
//! - every day writes the pipeline report (by stage, rep and territory; weighted forecast;
//!   commit and won vs quarterly quota per rep; conversion and velocity) and alerts the owner
//!   of each deal with no activity for `stall_days` (`DealStalled`, once per stall).
//!
//! It is also the approver of discounts above Closing's threshold: the `sales-director` role
//! of the approval policy (the Sales Director, escalating to the CRO).

pub mod assignment;
pub mod forecast;
mod settings;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    DealClosedLost, DealClosedWon, DealStage, DealStageChanged, DealStalled, ExceptionRaised,
    LeadAssigned, LeadRouted, Payload, ProposalSent, ScheduleTick, Severity,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::{FxRates, Money};
use ascent_core::ports::{Condition, Mail, Query};
use assignment::Rep;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use forecast::{OPEN_STAGES, StageDefaults, StageStats, StageVisit, stage_name};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub const NAME: &str = "sales-director";
/// `gsi1` partition of open deals.
pub const OPEN_DEALS: &str = "deals#open";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "lead-routed",
                pattern: json!({"detail-type": ["LeadRouted"]}),
            },
            Subscription {
                name: "deal-activity",
                pattern: json!({"detail-type": ["DealStageChanged", "ProposalSent", "DealClosedWon", "DealClosedLost"]}),
            },
            Subscription {
                name: "daily-pipeline",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Performance],
        owns: vec![
            owns(Domain::Customer, "assignment#"),
            owns(Domain::Customer, "pipeline#"),
            owns(Domain::Performance, "rotation#"),
            owns(Domain::Performance, "stats#"),
            owns(Domain::Performance, "quota#"),
            owns(Domain::Performance, "report#pipeline"),
        ],
        emits: vec!["LeadAssigned", "DealStalled", "ExceptionRaised"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

/// The Sales Director's settings: `[sales]`, `[sales_team]` and `[currency]` of
/// `ascent.toml` (see `settings`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SalesConfig {
    pub reps: Vec<Rep>,
    /// Who gets leads of a territory without reps (and is told).
    pub fallback_rep: String,
    pub stall_days: i64,
    /// Days without activity after which an open deal is closed as lost ("stale").
    pub stale_after_days: i64,
    pub defaults: StageDefaults,
    pub fx: FxRates,
    /// `[company] time_zone`: quarters and report days are the company's business days (a
    /// deal won at 17:00 Pacific on 31 March is a first-quarter deal).
    pub time_zone: String,
}

impl SalesConfig {
    /// The business day of `t` in the company's time zone.
    pub fn business_date(&self, t: DateTime<Utc>) -> chrono::NaiveDate {
        ascent_core::config::platform::business_date_in(&self.time_zone, t)
    }

    /// `YYYY-Qn` of the business day of `t`.
    pub fn quarter(&self, t: DateTime<Utc>) -> String {
        quarter_of_day(self.business_date(t))
    }
}

/// A deal as the Sales Director follows it (`pipeline#<id>` / `pipeline`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineDeal {
    pub deal_id: String,
    pub account_id: String,
    pub owner: String,
    pub territory: String,
    pub stage: DealStage,
    /// Expected value in the base currency, when known.
    pub amount_base: Option<Money>,
    pub history: Vec<StageVisit>,
    pub last_activity: DateTime<Utc>,
    pub stall_alerted: bool,
    /// The day the CRM expects the deal to close, when it says.
    #[serde(default)]
    pub expected_close: Option<chrono::NaiveDate>,
}

/// Who a lead went to (`assignment#<lead id>` / `assignment`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadAssignment {
    pub rep: String,
    pub territory: String,
    /// When the lead was routed (the event's time, not when it was processed).
    pub assigned_at: DateTime<Utc>,
}

/// Won business per rep in a quarter (`quota#<YYYY-Qn>` / `<rep>`, performance domain).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RepQuarter {
    pub rep: String,
    pub won_minor: i64,
    pub deals_won: u32,
    pub deals_lost: u32,
}

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

pub fn quarter_of_day(day: chrono::NaiveDate) -> String {
    format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

fn pipeline_pk(id: &str) -> String {
    format!("pipeline#{id}")
}

pub struct SalesDirector {
    decl: AgentDecl,
    config: SalesConfig,
}

impl Default for SalesDirector {
    fn default() -> Self {
        Self::new(SalesConfig::default())
    }
}

impl SalesDirector {
    pub fn new(config: SalesConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    fn territory_of(&self, rep: &str) -> String {
        self.config
            .reps
            .iter()
            .find(|r| r.email.eq_ignore_ascii_case(rep))
            .map_or_else(|| "unassigned".to_string(), |r| r.territory.clone())
    }

    async fn on_routed(&self, ctx: &mut Ctx<'_>, l: &LeadRouted) -> Result<(), AgentError> {
        let key = format!("assignment#{}", l.lead_id);
        if ctx
            .get(Domain::Customer, &key, "assignment")
            .await?
            .is_some()
        {
            return Ok(());
        }
        // The quarter and time the lead was routed, however late that is handled.
        let routed_at = ctx.cause().time;
        let quarter = self.config.quarter(routed_at);
        let rotation_pk = format!("rotation#{}#{quarter}", l.team);
        let rotation: Option<BTreeMap<String, u32>> = ctx
            .get_as(Domain::Performance, &rotation_pk, "counts")
            .await?;
        let version_condition = match &rotation {
            Some(_) => Condition::Exists,
            None => Condition::NotExists,
        };
        let mut counts = rotation.unwrap_or_default();
        let rep = match assignment::pick(&self.config.reps, &l.team, &counts) {
            Some(r) => r.email.clone(),
            None => {
                ctx.emit(ExceptionRaised {
                    agent: NAME.into(),
                    subject: l.lead_id.clone(),
                    reason: format!(
                        "no rep with capacity in territory {}: lead given to {}",
                        l.team, self.config.fallback_rep
                    ),
                    severity: Severity::Medium,
                })?;
                self.config.fallback_rep.clone()
            }
        };
        *counts.entry(rep.clone()).or_default() += 1;
        ctx.put_record(
            Domain::Performance,
            &rotation_pk,
            "counts",
            &counts,
            None,
            version_condition,
        )?;
        ctx.put_record(
            Domain::Customer,
            &key,
            "assignment",
            &LeadAssignment {
                rep: rep.clone(),
                territory: l.team.clone(),
                assigned_at: routed_at,
            },
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: rep.clone(),
            subject: format!(
                "New {} lead {} (score {})",
                format!("{:?}", l.grade).to_lowercase(),
                l.lead_id,
                l.score
            ),
            text: format!(
                "Lead {} in {} is yours: score {} ({:?}). Outreach starts its sequence now.\n",
                l.lead_id, l.team, l.score, l.grade
            ),
            html: None,
            ..Default::default()
        })?;
        ctx.emit(LeadAssigned {
            lead_id: l.lead_id.clone(),
            rep,
            territory: l.team.clone(),
            score: l.score,
        })
    }

    async fn load(
        &self,
        ctx: &mut Ctx<'_>,
        deal_id: &str,
    ) -> Result<Option<PipelineDeal>, AgentError> {
        ctx.get_as(Domain::Customer, &pipeline_pk(deal_id), "pipeline")
            .await
    }

    fn save(&self, ctx: &mut Ctx<'_>, d: &PipelineDeal) -> Result<(), AgentError> {
        let open = OPEN_STAGES.contains(&d.stage);
        ctx.put_record(
            Domain::Customer,
            &pipeline_pk(&d.deal_id),
            "pipeline",
            d,
            open.then(|| (OPEN_DEALS.to_string(), d.deal_id.clone())),
            Condition::Always,
        )
    }

    fn base(&self, m: &Money) -> Result<Money, AgentError> {
        self.config.fx.to_base(m).map_err(AgentError::Invalid)
    }

    async fn on_stage(
        &self,
        ctx: &mut Ctx<'_>,
        c: &DealStageChanged,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        let amount = c.amount.as_ref().map(|a| self.base(a)).transpose()?;
        let mut d = match self.load(ctx, &c.deal_id).await? {
            Some(d) => d,
            None => PipelineDeal {
                deal_id: c.deal_id.clone(),
                account_id: c.account_id.clone(),
                owner: c.owner.clone(),
                territory: self.territory_of(&c.owner),
                stage: c.to_stage,
                amount_base: None,
                history: Vec::new(),
                last_activity: at,
                stall_alerted: false,
                expected_close: None,
            },
        };
        if !OPEN_STAGES.contains(&d.stage) && !d.history.is_empty() {
            return Ok(()); // closed already; a late stage change changes nothing
        }
        if d.history.last().is_none_or(|v| v.stage != c.to_stage) {
            d.history.push(StageVisit {
                stage: c.to_stage,
                entered_at: at,
            });
        }
        d.stage = c.to_stage;
        d.owner = c.owner.clone();
        d.territory = self.territory_of(&c.owner);
        if amount.is_some() {
            d.amount_base = amount;
        }
        if c.expected_close.is_some() {
            d.expected_close = c.expected_close;
        }
        d.last_activity = d.last_activity.max(at);
        d.stall_alerted = false;
        match c.to_stage {
            DealStage::ClosedWon => self.closed(ctx, d, true, None).await,
            DealStage::ClosedLost => self.closed(ctx, d, false, None).await,
            _ => self.save(ctx, &d),
        }
    }

    async fn on_proposal(
        &self,
        ctx: &mut Ctx<'_>,
        p: &ProposalSent,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        let Some(mut d) = self.load(ctx, &p.deal_id).await? else {
            return Ok(()); // a proposal for a deal the pipeline never saw: nothing to follow
        };
        if !OPEN_STAGES.contains(&d.stage) {
            return Ok(());
        }
        d.amount_base = Some(self.base(&p.total)?);
        d.last_activity = d.last_activity.max(at);
        d.stall_alerted = false;
        self.save(ctx, &d)
    }

    async fn on_closed(
        &self,
        ctx: &mut Ctx<'_>,
        deal_id: &str,
        account_id: &str,
        owner: &str,
        won: Option<Money>,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        let d = match self.load(ctx, deal_id).await? {
            Some(d) => d,
            None => PipelineDeal {
                deal_id: deal_id.into(),
                account_id: account_id.into(),
                owner: owner.into(),
                territory: self.territory_of(owner),
                stage: DealStage::Prospecting,
                amount_base: None,
                history: Vec::new(),
                last_activity: at,
                stall_alerted: false,
                expected_close: None,
            },
        };
        if !OPEN_STAGES.contains(&d.stage) && !d.history.is_empty() {
            return Ok(()); // already closed (the CRM sends both a stage change and a close)
        }
        let mut d = d;
        d.last_activity = at;
        let is_won = won.is_some();
        d.stage = if is_won {
            DealStage::ClosedWon
        } else {
            DealStage::ClosedLost
        };
        d.history.push(StageVisit {
            stage: d.stage,
            entered_at: at,
        });
        self.closed(ctx, d, is_won, won).await
    }

    /// Learns from a closed deal and books it against the owner's quarter.
    async fn closed(
        &self,
        ctx: &mut Ctx<'_>,
        d: PipelineDeal,
        won: bool,
        amount: Option<Money>,
    ) -> Result<(), AgentError> {
        let closed_at = d.history.last().map_or(d.last_activity, |v| v.entered_at);
        let mut stats: StageStats = ctx
            .get_as(Domain::Performance, "stats#stages", "all")
            .await?
            .unwrap_or_default();
        stats.learn(&d.history, won, closed_at);
        ctx.put_record(
            Domain::Performance,
            "stats#stages",
            "all",
            &stats,
            None,
            Condition::Always,
        )?;
        let quarter = self.config.quarter(closed_at);
        let qpk = format!("quota#{quarter}");
        let mut rq: RepQuarter = ctx
            .get_as(Domain::Performance, &qpk, &d.owner)
            .await?
            .unwrap_or_else(|| RepQuarter {
                rep: d.owner.clone(),
                ..Default::default()
            });
        if won {
            let value = match amount {
                Some(a) => Some(self.base(&a)?),
                None => d.amount_base.clone(),
            };
            rq.won_minor += value.map_or(0, |v| v.amount_minor);
            rq.deals_won += 1;
        } else {
            rq.deals_lost += 1;
        }
        ctx.put_record(
            Domain::Performance,
            &qpk,
            &d.owner,
            &rq,
            None,
            Condition::Always,
        )?;
        self.save(ctx, &d)
    }

    /// The daily run: the pipeline report, and stalled-deal alerts.
    ///
    /// Bounded by continuing in the next run: the report is one write whatever the pipeline,
    /// and one run alerts at most [`STALL_ALERTS_PER_RUN`] stalled deals (one write each); a
    /// stalled deal not alerted today is still stalled tomorrow and alerted then.
    async fn on_daily(&self, ctx: &mut Ctx<'_>, tick: &ScheduleTick) -> Result<(), AgentError> {
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
    async fn close_stale(
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
        let qpk = format!("quota#{quarter}");
        let mut lost_by_owner: BTreeMap<String, u32> = BTreeMap::new();
        let mut ids = Vec::new();
        for mut d in stale {
            let idle = (now - d.last_activity).num_days();
            d.stage = DealStage::ClosedLost;
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
            let mut rq: RepQuarter = ctx
                .get_as(Domain::Performance, &qpk, &owner)
                .await?
                .unwrap_or_else(|| RepQuarter {
                    rep: owner.clone(),
                    ..Default::default()
                });
            rq.deals_lost += lost;
            ctx.put_record(
                Domain::Performance,
                &qpk,
                &owner,
                &rq,
                None,
                Condition::Always,
            )?;
        }
        Ok(ids)
    }
}

fn add_to(s: &mut Slice, amount: i64, weighted: i64) {
    s.deals += 1;
    s.amount_minor += amount;
    s.weighted_minor += weighted;
}

/// The first and last day of the calendar quarter of `day`.
pub fn quarter_bounds(day: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::Datelike;
    let first_month = (day.month() - 1) / 3 * 3 + 1;
    let start = chrono::NaiveDate::from_ymd_opt(day.year(), first_month, 1).expect("a day");
    let end = (start + chrono::Months::new(3)).pred_opt().expect("a day");
    (start, end)
}

/// Stale deals one daily run closes (three writes at most each: the deal, its owner's quarter
/// and its share of the statistics), beside the stall alerts and the report: derived from AWS's
/// limit on one message's transaction, not a business setting. The rest close the next day.
pub const STALE_CLOSES_PER_RUN: usize = 12;

/// Stalled deals one daily run alerts (one write each, beside the report): derived from AWS's
/// limit on one message's transaction, not a business setting.
pub const STALL_ALERTS_PER_RUN: usize =
    ascent_core::limits::MAX_WRITES - 2 - 2 * STALE_CLOSES_PER_RUN;

#[async_trait]
impl Agent for SalesDirector {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let at = event.time;
        match event.payload() {
            Payload::LeadRouted(l) => self.on_routed(ctx, l).await,
            Payload::DealStageChanged(c) => self.on_stage(ctx, c, at).await,
            Payload::ProposalSent(p) => self.on_proposal(ctx, p, at).await,
            Payload::DealClosedWon(DealClosedWon {
                deal_id,
                account_id,
                owner,
                amount,
                ..
            }) => {
                self.on_closed(ctx, deal_id, account_id, owner, Some(amount.clone()), at)
                    .await
            }
            Payload::DealClosedLost(DealClosedLost {
                deal_id,
                account_id,
                owner,
                ..
            }) => {
                self.on_closed(ctx, deal_id, account_id, owner, None, at)
                    .await
            }
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
