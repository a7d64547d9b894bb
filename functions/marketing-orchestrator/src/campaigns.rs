//! Campaign records: each campaign's plan (dates, channel budgets, goal) and its status, moved
//! by the CRM's lifecycle events through [`crate::lifecycle::transition`]. Campaigns not
//! ended are indexed (`OPEN_CAMPAIGNS`) for the report and the cost-per-acquisition check.

use crate::allocation::channel_name;
use crate::lifecycle::{Action, Change, Status, transition};
use crate::{MarketingOrchestrator, OPEN_CAMPAIGNS};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{CampaignLaunched, CampaignPlanned, MarketingChannel};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::Condition;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most entries kept in a campaign's history (the latest).
const HISTORY_KEPT: usize = 20;

/// A campaign as the Orchestrator keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub campaign_id: String,
    pub name: String,
    /// Who runs it (`None`: launched without a plan).
    pub owner: Option<String>,
    pub status: Status,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Budget per channel for the whole campaign, base-currency minor units.
    pub budgets: BTreeMap<MarketingChannel, i64>,
    /// New customers it should bring (`None`: no goal).
    pub goal_customers: Option<u32>,
    /// Target cost per acquisition, minor units (`None`: no target).
    pub target_cpa: Option<i64>,
    /// `<date> <what happened>`, the latest [`HISTORY_KEPT`].
    pub history: Vec<String>,
    /// Optimistic concurrency: the version this record was read at.
    pub version: u64,
}

fn pk(id: &str) -> String {
    format!("mkt-campaign#{id}")
}

/// Checks a planned campaign, naming the field at fault.
pub fn check_planned(c: &CampaignPlanned, base: &str) -> Result<(), String> {
    if c.campaign_id.trim().is_empty() {
        return Err("campaign_id: empty".into());
    }
    if c.name.trim().is_empty() {
        return Err("name: empty".into());
    }
    ascent_core::contact::check_email(&c.owner).map_err(|e| format!("owner: {e}"))?;
    if c.ends_on < c.starts_on {
        return Err(format!(
            "ends_on: {} is before starts_on {}",
            c.ends_on, c.starts_on
        ));
    }
    if c.budgets.is_empty() {
        return Err("budgets: a campaign needs a budget on at least one channel".into());
    }
    for (i, b) in c.budgets.iter().enumerate() {
        check_money(&format!("budgets[{i}].amount"), &b.amount, base)?;
        if c.budgets[..i].iter().any(|x| x.channel == b.channel) {
            return Err(format!(
                "budgets[{i}].channel: {} is listed twice",
                channel_name(b.channel)
            ));
        }
    }
    if let Some(t) = &c.target_cpa {
        check_money("target_cpa", t, base)?;
        if t.amount_minor == 0 {
            return Err("target_cpa: zero (leave it out for no target)".into());
        }
    }
    Ok(())
}

fn check_money(field: &str, m: &Money, base: &str) -> Result<(), String> {
    m.check_non_negative()
        .map_err(|e| format!("{field}: {e}"))?;
    if m.currency != base {
        return Err(format!(
            "{field}: {} is not the base currency {base}",
            m.currency
        ));
    }
    Ok(())
}

/// A channel named as in events (`paid`, `webinar`).
pub fn parse_channel(field: &str, s: &str) -> Result<MarketingChannel, String> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_ascii_lowercase()))
        .map_err(|_| format!("{field}: `{s}` is not a marketing channel"))
}

impl MarketingOrchestrator {
    pub(crate) async fn campaign(
        &self,
        ctx: &mut Ctx<'_>,
        id: &str,
    ) -> Result<Option<Campaign>, AgentError> {
        ctx.get_as(Domain::Performance, &pk(id), "campaign").await
    }

    /// Saves `c` one version on from the version it was read at (`None`: new).
    fn save(
        &self,
        ctx: &mut Ctx<'_>,
        mut c: Campaign,
        read: Option<u64>,
    ) -> Result<(), AgentError> {
        c.version = read.map_or(1, |v| v + 1);
        if c.history.len() > HISTORY_KEPT {
            c.history.drain(..c.history.len() - HISTORY_KEPT);
        }
        let index = (c.status != Status::Ended)
            .then(|| (OPEN_CAMPAIGNS.to_string(), c.campaign_id.clone()));
        let condition = Condition::version(read);
        ctx.put_record(
            Domain::Performance,
            &pk(&c.campaign_id),
            "campaign",
            &c,
            index,
            condition,
        )
    }

    fn today(&self, ctx: &Ctx<'_>) -> NaiveDate {
        ctx.cause().time.date_naive()
    }

    pub(crate) async fn on_planned(
        &self,
        ctx: &mut Ctx<'_>,
        p: &CampaignPlanned,
    ) -> Result<(), AgentError> {
        check_planned(p, &self.config.base_currency).map_err(AgentError::Invalid)?;
        let current = self.campaign(ctx, &p.campaign_id).await?;
        let change = transition(
            &p.campaign_id,
            current.as_ref().map(|c| c.status),
            Action::Plan,
        )
        .map_err(|e| AgentError::Invalid(e.to_string()))?;
        let mut history = current
            .as_ref()
            .map(|c| c.history.clone())
            .unwrap_or_default();
        history.push(format!(
            "{} {}",
            self.today(ctx),
            if change == Change::Replan {
                "replanned"
            } else {
                "planned"
            }
        ));
        let c = Campaign {
            campaign_id: p.campaign_id.clone(),
            name: p.name.clone(),
            owner: Some(p.owner.clone()),
            status: Status::Planned,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            budgets: p
                .budgets
                .iter()
                .map(|b| (b.channel, b.amount.amount_minor))
                .collect(),
            goal_customers: Some(p.goal_customers),
            target_cpa: p.target_cpa.as_ref().map(|m| m.amount_minor),
            history,
            version: 0,
        };
        self.save(ctx, c, current.map(|c| c.version))
    }

    pub(crate) async fn on_launched(
        &self,
        ctx: &mut Ctx<'_>,
        l: &CampaignLaunched,
    ) -> Result<(), AgentError> {
        let current = self.campaign(ctx, &l.campaign_id).await?;
        if current.is_some() {
            let reason = "launched".to_string();
            return self
                .on_moved(ctx, &l.campaign_id, Action::Launch, reason)
                .await;
        }
        // Launched without a plan: live at once, on its one channel, without a goal.
        let channel = parse_channel("channel", &l.channel).map_err(AgentError::Invalid)?;
        check_money("budget", &l.budget, &self.config.base_currency)
            .map_err(AgentError::Invalid)?;
        if l.ends_on < l.starts_on {
            return Err(AgentError::Invalid(format!(
                "ends_on: {} is before starts_on {}",
                l.ends_on, l.starts_on
            )));
        }
        transition(&l.campaign_id, None, Action::Launch)
            .map_err(|e| AgentError::Invalid(e.to_string()))?;
        let c = Campaign {
            campaign_id: l.campaign_id.clone(),
            name: l.name.clone(),
            owner: None,
            status: Status::Live,
            starts_on: l.starts_on,
            ends_on: l.ends_on,
            budgets: BTreeMap::from([(channel, l.budget.amount_minor)]),
            goal_customers: None,
            target_cpa: None,
            history: vec![format!("{} launched without a plan", self.today(ctx))],
            version: 0,
        };
        self.save(ctx, c, None)
    }

    /// Moves a known campaign by `action` (`note`: what its history says).
    pub(crate) async fn on_moved(
        &self,
        ctx: &mut Ctx<'_>,
        id: &str,
        action: Action,
        note: String,
    ) -> Result<(), AgentError> {
        let current = self.campaign(ctx, id).await?;
        let change = transition(id, current.as_ref().map(|c| c.status), action)
            .map_err(|e| AgentError::Invalid(e.to_string()))?;
        let (Change::To(status), Some(mut c)) = (change, current) else {
            return Ok(()); // already there (a resend)
        };
        let read = c.version;
        c.status = status;
        c.history.push(format!("{} {note}", self.today(ctx)));
        self.save(ctx, c, Some(read))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::catalog::ChannelBudget;

    fn planned() -> CampaignPlanned {
        CampaignPlanned {
            campaign_id: "C-2026-Q2-AERO".into(),
            name: "XR for aerospace MRO".into(),
            owner: "marketing.lead@ascent-xr.example".into(),
            starts_on: "2026-04-01".parse().unwrap(),
            ends_on: "2026-06-30".parse().unwrap(),
            budgets: vec![
                ChannelBudget {
                    channel: MarketingChannel::Webinar,
                    amount: Money::usd(1_500_000),
                },
                ChannelBudget {
                    channel: MarketingChannel::Paid,
                    amount: Money::usd(1_000_000),
                },
            ],
            goal_customers: 8,
            target_cpa: Some(Money::usd(300_000)),
        }
    }

    #[test]
    fn a_sound_plan_passes_and_each_fault_names_its_field() {
        assert_eq!(check_planned(&planned(), "USD"), Ok(()));
        let fault = |f: fn(&mut CampaignPlanned)| {
            let mut p = planned();
            f(&mut p);
            check_planned(&p, "USD").unwrap_err()
        };
        assert!(fault(|p| p.ends_on = "2026-03-31".parse().unwrap()).starts_with("ends_on:"));
        assert!(fault(|p| p.budgets.clear()).starts_with("budgets:"));
        assert_eq!(
            fault(|p| p.budgets[1].channel = MarketingChannel::Webinar),
            "budgets[1].channel: webinar is listed twice"
        );
        assert_eq!(
            fault(|p| p.budgets[0].amount = Money::new(1_000, "EUR")),
            "budgets[0].amount: EUR is not the base currency USD"
        );
        assert!(fault(|p| p.budgets[1].amount = Money::usd(-5)).starts_with("budgets[1].amount:"));
        assert!(fault(|p| p.target_cpa = Some(Money::usd(0))).starts_with("target_cpa:"));
        assert!(fault(|p| p.owner = "not an address".into()).starts_with("owner:"));
        assert!(fault(|p| p.campaign_id = " ".into()).starts_with("campaign_id:"));
    }

    #[test]
    fn channels_are_read_as_events_name_them() {
        assert_eq!(parse_channel("channel", "Paid"), Ok(MarketingChannel::Paid));
        assert_eq!(
            parse_channel("channel", "webinar "),
            Ok(MarketingChannel::Webinar)
        );
        assert_eq!(
            parse_channel("channel", "billboard"),
            Err("channel: `billboard` is not a marketing channel".into())
        );
    }
}
