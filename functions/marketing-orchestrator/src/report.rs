//! The weekly marketing plan report: on the daily tick of `weekly_report_day`, the campaigns
//! not ended (at most `campaigns_per_run`, one query) with their goals and progress as last
//! measured,
//! the allocation in effect and what its plan changed, and the plan waiting for approval;
//! mailed to marketing and kept (`mkt-report#<day>`), once per day.

use crate::MarketingOrchestrator;
use crate::allocation::{self, Allocation, channel_name};
use crate::campaigns::Campaign;
use crate::lifecycle::Status;
use crate::plan::{Plan, Progress};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::ScheduleTick;
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The report as kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub day: NaiveDate,
    pub live: Vec<String>,
    pub allocation: Allocation,
    /// The period whose plan is in effect (`None`: the configured start).
    pub in_effect_since: Option<NaiveDate>,
    /// The period whose plan waits for approval.
    pub pending: Option<NaiveDate>,
    pub text: String,
}

/// One campaign's line: status, dates, goal and progress, cost per acquisition and target.
pub fn campaign_line(c: &Campaign, p: Option<&Progress>, currency: &str) -> String {
    let money = |m| Money::new(m, currency).to_string();
    let mut line = format!(
        "  {} {} ({}, {} to {})",
        c.campaign_id, c.name, c.status, c.starts_on, c.ends_on
    );
    let budget: i64 = c.budgets.values().sum();
    let _ = write!(line, ", budget {}", money(budget));
    match (c.goal_customers, p) {
        (Some(goal), Some(p)) => {
            let pct = if goal == 0 {
                100.0
            } else {
                p.customers * 100.0 / f64::from(goal)
            };
            let _ = write!(line, ": {:.2} of {goal} customers ({pct:.0}%)", p.customers);
        }
        (Some(goal), None) => {
            let _ = write!(line, ": goal {goal} customers, nothing measured yet");
        }
        (None, Some(p)) => {
            let _ = write!(line, ": {:.2} customers, no goal", p.customers);
        }
        (None, None) => line.push_str(": no goal, nothing measured yet"),
    }
    if let Some(p) = p {
        let _ = write!(line, ", spend {}", money(p.spend));
        let cpa = p.cpa.map_or("n/a".into(), money);
        let _ = write!(line, ", cost per customer {cpa}");
    }
    if let Some(t) = c.target_cpa {
        let over = if p.is_some_and(|p| p.over_target) {
            " — OVER TARGET"
        } else {
            ""
        };
        let _ = write!(line, " (target {}){over}", money(t));
    }
    line
}

/// The report's text.
pub fn text(
    campaigns: &[Campaign],
    in_effect: Option<&Plan>,
    allocation: &Allocation,
    pending: Option<&Plan>,
    currency: &str,
) -> String {
    let money = |m| Money::new(m, currency).to_string();
    // Progress as last measured: the plan waiting, else the one in effect.
    let latest = pending.or(in_effect);
    let progress = |c: &Campaign| {
        latest.and_then(|p| p.progress.iter().find(|x| x.campaign_id == c.campaign_id))
    };
    let mut out = String::new();
    for (title, status) in [
        ("Live campaigns", Status::Live),
        ("Paused campaigns", Status::Paused),
        ("Planned campaigns", Status::Planned),
    ] {
        let these: Vec<&Campaign> = campaigns.iter().filter(|c| c.status == status).collect();
        let _ = writeln!(out, "{title} ({}):", these.len());
        if these.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for c in these {
            let _ = writeln!(out, "{}", campaign_line(c, progress(c), currency));
        }
        out.push('\n');
    }
    let since = in_effect.map_or("the configured start".into(), |p| {
        format!("the plan of the week of {}", p.period)
    });
    let _ = writeln!(
        out,
        "Budget per channel, {} a week, from {since}:",
        money(allocation::total(allocation))
    );
    for (c, a) in allocation {
        let was = in_effect
            .and_then(|p| p.previous.get(c).copied())
            .unwrap_or(*a);
        let change = match a - was {
            0 => "unchanged".to_string(),
            d if d > 0 => format!("+{}", money(d)),
            d => format!("-{}", money(-d)),
        };
        let r = in_effect
            .and_then(|p| p.returns.get(c))
            .map_or("no data".into(), |r| format!("return {r}"));
        let _ = writeln!(out, "  {}: {} ({change}; {r})", channel_name(*c), money(*a));
    }
    out.push('\n');
    match pending {
        Some(p) => {
            let _ = writeln!(
                out,
                "Waiting for approval: the plan of the week of {} ({} in all): {}.",
                p.period,
                money(allocation::total(&p.proposed)),
                p.reasons.join("; ")
            );
        }
        None => {
            let _ = writeln!(out, "No budget change waits for approval.");
        }
    }
    out
}

impl MarketingOrchestrator {
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        t: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = t.at.date_naive();
        if today.weekday() != self.config.weekly_report_day {
            return Ok(());
        }
        let pk = format!("mkt-report#{today}");
        if ctx.get(Domain::Performance, &pk, "report").await?.is_some() {
            return Ok(());
        }
        let campaigns = self.open_campaigns(ctx).await?;
        let current = self.current(ctx).await?;
        let in_effect = match current.period {
            Some(p) => self.plan(ctx, p).await?,
            None => None,
        };
        let pending = match current.pending {
            Some(p) => self.plan(ctx, p).await?,
            None => None,
        };
        let currency = self.config.base_currency.as_str();
        let body = text(
            &campaigns,
            in_effect.as_ref(),
            &current.allocation,
            pending.as_ref(),
            currency,
        );
        let report = Report {
            day: today,
            live: campaigns
                .iter()
                .filter(|c| c.status == Status::Live)
                .map(|c| c.campaign_id.clone())
                .collect(),
            allocation: current.allocation.clone(),
            in_effect_since: current.period,
            pending: current.pending,
            text: body.clone(),
        };
        ctx.put_record(
            Domain::Performance,
            &pk,
            "report",
            &report,
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: self.config.marketing.clone(),
            subject: format!("Marketing plan, week of {today}"),
            text: body,
            ..Default::default()
        })
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
