//! The pipeline as the Sales Director follows it: every deal through its stages (stage
//! history, owner's territory, value in the base currency, last activity), and each closed
//! deal learnt from (stage statistics) and booked against its owner's quarter.

use crate::forecast::{OPEN_STAGES, StageStats, StageVisit};
use crate::{OPEN_DEALS, SalesDirector};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{DealStage, DealStageChanged, ProposalSent};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::Condition;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// Closed as lost by the daily run for being idle (not by the CRM): a later close from the
    /// CRM, which keeps the truth, replaces it.
    #[serde(default)]
    pub closed_stale: bool,
}

/// Won business per rep in a quarter (`quota#<YYYY-Qn>` / `<rep>`, performance domain).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RepQuarter {
    pub rep: String,
    pub won_minor: i64,
    pub deals_won: u32,
    pub deals_lost: u32,
}

fn pipeline_pk(id: &str) -> String {
    format!("pipeline#{id}")
}

impl SalesDirector {
    pub(crate) fn territory_of(&self, rep: &str) -> String {
        self.config
            .reps
            .iter()
            .find(|r| r.email.eq_ignore_ascii_case(rep))
            .map_or_else(|| "unassigned".to_string(), |r| r.territory.clone())
    }

    pub(crate) async fn load(
        &self,
        ctx: &mut Ctx<'_>,
        deal_id: &str,
    ) -> Result<Option<PipelineDeal>, AgentError> {
        ctx.get_as(Domain::Customer, &pipeline_pk(deal_id), "pipeline")
            .await
    }

    pub(crate) fn save(&self, ctx: &mut Ctx<'_>, d: &PipelineDeal) -> Result<(), AgentError> {
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

    pub(crate) fn base(&self, m: &Money) -> Result<Money, AgentError> {
        self.config.fx.to_base(m).map_err(AgentError::Invalid)
    }

    pub(crate) async fn on_stage(
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
                closed_stale: false,
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

    pub(crate) async fn on_proposal(
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

    pub(crate) async fn on_closed(
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
                closed_stale: false,
            },
        };
        let mut d = d;
        if d.closed_stale && won.is_some() {
            // The CRM says a deal the daily run closed as stale was won: the stale loss is
            // taken back (statistics, the owner's quarter) and the win booked instead.
            self.undo_stale_close(ctx, &mut d).await?;
        } else if !OPEN_STAGES.contains(&d.stage) && !d.history.is_empty() {
            return Ok(()); // already closed (the CRM sends both a stage change and a close)
        }
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

    /// Reads the learned stage statistics, changes them, writes them back.
    pub(crate) async fn update_stats(
        &self,
        ctx: &mut Ctx<'_>,
        change: impl FnOnce(&mut StageStats),
    ) -> Result<(), AgentError> {
        let mut stats: StageStats = ctx
            .get_as(Domain::Performance, "stats#stages", "all")
            .await?
            .unwrap_or_default();
        change(&mut stats);
        ctx.put_record(
            Domain::Performance,
            "stats#stages",
            "all",
            &stats,
            None,
            Condition::Always,
        )
    }

    /// Reads `rep`'s record of `quarter` (a new one if none), changes it, writes it back.
    pub(crate) async fn update_quarter(
        &self,
        ctx: &mut Ctx<'_>,
        quarter: &str,
        rep: &str,
        change: impl FnOnce(&mut RepQuarter),
    ) -> Result<(), AgentError> {
        let qpk = format!("quota#{quarter}");
        let mut rq: RepQuarter = ctx
            .get_as(Domain::Performance, &qpk, rep)
            .await?
            .unwrap_or_else(|| RepQuarter {
                rep: rep.to_string(),
                ..Default::default()
            });
        change(&mut rq);
        ctx.put_record(Domain::Performance, &qpk, rep, &rq, None, Condition::Always)
    }

    /// Takes back a stale close of `d`: what the statistics learned from it as a loss, the
    /// loss in its owner's quarter of the close; `d` is open again at its last stage.
    async fn undo_stale_close(
        &self,
        ctx: &mut Ctx<'_>,
        d: &mut PipelineDeal,
    ) -> Result<(), AgentError> {
        let closed_at = d.history.last().map_or(d.last_activity, |v| v.entered_at);
        self.update_stats(ctx, |stats| stats.unlearn(&d.history, false, closed_at))
            .await?;
        let quarter = self.config.quarter(closed_at);
        self.update_quarter(ctx, &quarter, &d.owner, |rq| {
            rq.deals_lost = rq.deals_lost.saturating_sub(1)
        })
        .await?;
        if d.history
            .last()
            .is_some_and(|v| v.stage == DealStage::ClosedLost)
        {
            d.history.pop();
        }
        d.stage = d.history.last().map_or(DealStage::Prospecting, |v| v.stage);
        d.closed_stale = false;
        Ok(())
    }

    /// Learns from a closed deal and books it against the owner's quarter.
    pub(crate) async fn closed(
        &self,
        ctx: &mut Ctx<'_>,
        d: PipelineDeal,
        won: bool,
        amount: Option<Money>,
    ) -> Result<(), AgentError> {
        let closed_at = d.history.last().map_or(d.last_activity, |v| v.entered_at);
        self.update_stats(ctx, |stats| stats.learn(&d.history, won, closed_at))
            .await?;
        let value = match (won, amount) {
            (false, _) => None,
            (true, Some(a)) => Some(self.base(&a)?),
            (true, None) => d.amount_base.clone(),
        };
        let quarter = self.config.quarter(closed_at);
        self.update_quarter(ctx, &quarter, &d.owner, |rq| {
            if won {
                rq.won_minor += value.map_or(0, |v| v.amount_minor);
                rq.deals_won += 1;
            } else {
                rq.deals_lost += 1;
            }
        })
        .await?;
        self.save(ctx, &d)
    }
}
