//! The period's plan: on `ChannelReturnsMeasured` the plan total is reallocated by the
//! measured returns ([`crate::allocation`]), recorded as the plan of the period (the report day
//! after the measured days), and either put in effect at once (`BudgetReallocated`) or, when
//! it goes over the plan in effect or raises one channel by more than `approval_above`, sent
//! for approval to `approver_role`'s chain: approved, it takes effect; rejected or expired, the
//! allocation in effect stays. A newer period's plan supersedes one still waiting. The same
//! run checks each live campaign's measured cost per acquisition against its target.
//!
//! Each run is a fixed handful of writes (the plan, the allocation in effect, a superseded
//! plan) and at most `campaigns_per_run` campaigns read in one query.

use crate::allocation::{self, Allocation, approval_reasons, channel_name};
use crate::campaigns::Campaign;
use crate::lifecycle::Status;
use crate::{APPROVAL_KIND, MarketingOrchestrator, NAME, OPEN_CAMPAIGNS};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{ApprovalDraft, Fact};
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, BudgetReallocated, CampaignReturn, ChannelAllocation,
    ChannelReturnsMeasured, Direction, MarketingChannel, ThresholdCrossed,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Partition of the allocation in effect.
pub const CURRENT_PK: &str = "mkt-plan#current";

/// The allocation in effect and the plan waiting for approval, if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Current {
    pub allocation: Allocation,
    /// The period whose plan it is (`None`: the configured start).
    pub period: Option<NaiveDate>,
    /// The period whose plan waits for approval.
    pub pending: Option<NaiveDate>,
    /// Optimistic concurrency (0: never saved).
    pub version: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    InEffect,
    AwaitingApproval,
    Rejected,
    Expired,
    /// A newer period's plan came before a decision.
    Superseded,
}

/// A live or paused campaign's measured figures in a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub campaign_id: String,
    pub spend: i64,
    pub customers: f64,
    /// Cost per acquisition, minor units (`None`: no customers yet).
    pub cpa: Option<i64>,
    /// Its target was crossed (alerted this period).
    pub over_target: bool,
}

/// One period's plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub period: NaiveDate,
    pub measured_from: NaiveDate,
    pub measured_to: NaiveDate,
    /// The allocation in effect when it was made.
    pub previous: Allocation,
    pub proposed: Allocation,
    /// Measured return per unit spent of the budgeted channels with data.
    pub returns: BTreeMap<MarketingChannel, f64>,
    pub status: PlanStatus,
    /// Why it needed approval (empty: it did not).
    pub reasons: Vec<String>,
    pub approval_id: Option<String>,
    pub decided_by: Option<String>,
    /// Live and paused campaigns' figures over the measured days.
    pub progress: Vec<Progress>,
}

fn plan_pk(period: NaiveDate) -> String {
    format!("mkt-plan#{period}")
}

fn subject(period: NaiveDate) -> String {
    format!("marketing-plan-{period}")
}

/// Minor units in major units (`1234.56`), for `ThresholdCrossed`.
fn major(minor: i64, currency: &str) -> f64 {
    minor as f64 / 10f64.powi(Money::zero(currency).exponent() as i32)
}

/// The progress of each live or paused campaign measured in `measured`, and whether a live
/// one's cost per acquisition is above its target (a campaign without customers has none: no
/// alert; a paused one spends nothing more: no alert).
pub fn progress(campaigns: &[Campaign], measured: &[CampaignReturn]) -> Vec<Progress> {
    campaigns
        .iter()
        .filter(|c| matches!(c.status, Status::Live | Status::Paused))
        .filter_map(|c| {
            let m = measured.iter().find(|m| m.campaign_id == c.campaign_id)?;
            let cpa = m.cac.as_ref().map(|x| x.amount_minor);
            Some(Progress {
                campaign_id: c.campaign_id.clone(),
                spend: m.spend.amount_minor,
                customers: m.customers,
                cpa,
                over_target: c.status == Status::Live
                    && matches!((cpa, c.target_cpa), (Some(x), Some(t)) if x > t),
            })
        })
        .collect()
}

impl MarketingOrchestrator {
    fn money(&self, minor: i64) -> String {
        Money::new(minor, &self.config.base_currency).to_string()
    }

    pub(crate) async fn current(&self, ctx: &mut Ctx<'_>) -> Result<Current, AgentError> {
        Ok(ctx
            .get_as::<Current>(Domain::Performance, CURRENT_PK, "current")
            .await?
            .unwrap_or_else(|| Current {
                allocation: self.config.start.clone(),
                period: None,
                pending: None,
                version: 0,
            }))
    }

    fn save_current(&self, ctx: &mut Ctx<'_>, mut c: Current) -> Result<(), AgentError> {
        let read = (c.version > 0).then_some(c.version);
        c.version += 1;
        let cond = Condition::version(read);
        ctx.put_record(Domain::Performance, CURRENT_PK, "current", &c, None, cond)
    }

    pub(crate) async fn plan(
        &self,
        ctx: &mut Ctx<'_>,
        period: NaiveDate,
    ) -> Result<Option<Plan>, AgentError> {
        ctx.get_as(Domain::Performance, &plan_pk(period), "plan")
            .await
    }

    fn save_plan(&self, ctx: &mut Ctx<'_>, p: &Plan, new: bool) -> Result<(), AgentError> {
        let cond = if new {
            Condition::NotExists
        } else {
            Condition::Always
        };
        ctx.put_record(
            Domain::Performance,
            &plan_pk(p.period),
            "plan",
            p,
            None,
            cond,
        )
    }

    /// The campaigns not ended, at most `campaigns_per_run` (one bounded query).
    pub(crate) async fn open_campaigns(
        &self,
        ctx: &mut Ctx<'_>,
    ) -> Result<Vec<Campaign>, AgentError> {
        let q = Query::gsi1(OPEN_CAMPAIGNS).limit(self.config.campaigns_per_run);
        ctx.query_as(Domain::Performance, &q).await
    }

    fn reallocated(&self, plan: &Plan, approved_by: Option<String>) -> BudgetReallocated {
        let money = |m| Money::new(m, &self.config.base_currency);
        BudgetReallocated {
            period: plan.period,
            allocations: plan
                .proposed
                .iter()
                .map(|(c, a)| ChannelAllocation {
                    channel: *c,
                    budget: money(*a),
                    previous: money(plan.previous.get(c).copied().unwrap_or(0)),
                    return_per_unit: plan.returns.get(c).copied(),
                })
                .collect(),
            total: money(allocation::total(&plan.proposed)),
            approval_id: plan.approval_id.clone(),
            approved_by,
        }
    }

    pub(crate) async fn on_measured(
        &self,
        ctx: &mut Ctx<'_>,
        m: &ChannelReturnsMeasured,
    ) -> Result<(), AgentError> {
        let base = &self.config.base_currency;
        for (i, c) in m.channels.iter().enumerate() {
            if c.spend.currency != *base {
                return Err(AgentError::Invalid(format!(
                    "channels[{i}].spend: {} is not the base currency {base}",
                    c.spend.currency
                )));
            }
        }
        let period = m.to + Duration::days(1);
        if self.plan(ctx, period).await?.is_some() {
            return Ok(()); // this period is planned (the measure sent again)
        }
        let mut current = self.current(ctx).await?;
        let returns: BTreeMap<MarketingChannel, f64> = m
            .channels
            .iter()
            .filter(|c| self.config.rules.channels.contains_key(&c.channel))
            .filter_map(|c| Some((c.channel, c.return_per_unit.filter(|r| r.is_finite())?)))
            .collect();
        // Nothing measured on any budgeted channel, or nothing returned by any (a channel
        // returning nothing counts as one without data): nothing to reallocate by.
        let proposed = if !returns.values().any(|r| *r > 0.0) {
            current.allocation.clone()
        } else {
            allocation::allocate(&self.config.rules, &returns)
        };
        let reasons = approval_reasons(
            &current.allocation,
            &proposed,
            self.config.approval_above,
            |x| self.money(x),
        );
        let campaigns = self.open_campaigns(ctx).await?;
        let progress = progress(&campaigns, &m.campaigns);
        for p in progress.iter().filter(|p| p.over_target) {
            let target = campaigns
                .iter()
                .find(|c| c.campaign_id == p.campaign_id)
                .and_then(|c| c.target_cpa)
                .unwrap_or(0);
            ctx.emit(ThresholdCrossed {
                metric: format!("campaign.{}.cpa", p.campaign_id),
                value: major(p.cpa.unwrap_or(0), base),
                threshold: major(target, base),
                direction: Direction::Above,
            })?;
        }
        if let Some(old) = current.pending.take()
            && let Some(mut p) = self.plan(ctx, old).await?
        {
            p.status = PlanStatus::Superseded;
            self.save_plan(ctx, &p, false)?;
        }
        let mut plan = Plan {
            period,
            measured_from: m.from,
            measured_to: m.to,
            previous: current.allocation.clone(),
            proposed,
            returns,
            status: PlanStatus::InEffect,
            reasons,
            approval_id: None,
            decided_by: None,
            progress,
        };
        if plan.reasons.is_empty() {
            current.allocation = plan.proposed.clone();
            current.period = Some(period);
            ctx.emit(self.reallocated(&plan, None))?;
        } else {
            let id = ascent_core::approval::approval_id(ctx.cause().detail.event_id, NAME, 0);
            ctx.request_approval(self.draft(&plan))?;
            plan.status = PlanStatus::AwaitingApproval;
            plan.approval_id = Some(id);
            current.pending = Some(period);
        }
        self.save_plan(ctx, &plan, true)?;
        self.save_current(ctx, current)
    }

    fn draft(&self, plan: &Plan) -> ApprovalDraft {
        let increase = allocation::increase(&plan.previous, &plan.proposed);
        let base = |minor: i64| Fact::from(Money::new(minor, &self.config.base_currency));
        let mut facts = BTreeMap::new();
        facts.insert(
            "Measured".into(),
            format!("{} to {}", plan.measured_from, plan.measured_to).into(),
        );
        facts.insert(
            "Total proposed".into(),
            base(allocation::total(&plan.proposed)),
        );
        facts.insert(
            "Total in effect".into(),
            base(allocation::total(&plan.previous)),
        );
        for (c, a) in &plan.proposed {
            let was = plan.previous.get(c).copied().unwrap_or(0);
            let r = plan
                .returns
                .get(c)
                .map_or("no data".into(), |r| format!("return {r}"));
            let base = |minor: i64| Money::new(minor, &self.config.base_currency);
            facts.insert(
                format!("Channel {}", channel_name(*c)),
                Fact::Change {
                    from: base(was),
                    to: base(*a),
                    note: Some(r),
                },
            );
        }
        ApprovalDraft {
            kind: APPROVAL_KIND.into(),
            subject: subject(plan.period),
            summary: format!(
                "Marketing budget for the week of {}: the amount moves into channels",
                plan.period
            ),
            amount: Some(Money::new(increase, &self.config.base_currency)),
            requester: self.config.requester.clone(),
            approver_role: self.config.approver_role.clone(),
            first_approver: None,
            reason: plan.reasons.join("; "),
            facts,
            ..Default::default()
        }
    }

    pub(crate) async fn on_decided(
        &self,
        ctx: &mut Ctx<'_>,
        d: &ApprovalDecided,
    ) -> Result<(), AgentError> {
        // Only what the approval record says (a forged or early event is refused).
        ascent_core::approval::confirmed(ctx, d).await?;
        let period = d
            .subject
            .strip_prefix("marketing-plan-")
            .and_then(|s| s.parse::<NaiveDate>().ok())
            .ok_or_else(|| {
                AgentError::Invalid(format!("subject: `{}` is not a marketing plan", d.subject))
            })?;
        let Some(mut plan) = self.plan(ctx, period).await? else {
            return Err(AgentError::Invalid(format!(
                "subject: approval {} is about the plan of {period}, which does not exist",
                d.approval_id
            )));
        };
        if plan.status != PlanStatus::AwaitingApproval
            || plan.approval_id.as_deref() != Some(d.approval_id.as_str())
        {
            return Ok(()); // decided already (a redelivery), or superseded
        }
        let mut current = self.current(ctx).await?;
        if current.pending == Some(period) {
            current.pending = None;
        }
        plan.decided_by = d.decided_by.clone();
        match d.outcome {
            ApprovalOutcome::Approved => {
                plan.status = PlanStatus::InEffect;
                plan.previous = current.allocation.clone();
                current.allocation = plan.proposed.clone();
                current.period = Some(period);
                ctx.emit(self.reallocated(&plan, d.decided_by.clone()))?;
            }
            ApprovalOutcome::Rejected | ApprovalOutcome::Expired => {
                let (status, what) = match d.outcome {
                    ApprovalOutcome::Rejected => (
                        PlanStatus::Rejected,
                        format!("rejected by {}", d.decided_by.as_deref().unwrap_or("?")),
                    ),
                    _ => (PlanStatus::Expired, "not decided in time".to_string()),
                };
                plan.status = status;
                let comment = d
                    .comment
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                ctx.send_mail(Mail {
                    to: self.config.marketing.clone(),
                    subject: format!("Marketing budget for the week of {period} {what}"),
                    text: format!(
                        "The reallocation for the week of {period} was {what}{comment}; the \
                         allocation in effect stays ({}).\nIt asked for: {}.\n",
                        self.money(allocation::total(&current.allocation)),
                        plan.reasons.join("; ")
                    ),
                    ..Default::default()
                })?;
            }
        }
        self.save_plan(ctx, &plan, false)?;
        self.save_current(ctx, current)
    }
}
