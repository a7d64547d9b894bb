//! # Customer Success Director agent
//!
//! Keeps the portfolio (`csd#accounts` / `<account>`: plan, seats, seats in use, the latest
//! health score and tier, ARR and renewal date from Retention's `HealthScored`) and every NPS
//! answer. Every Monday's daily run publishes the weekly CS report: accounts per health tier;
//! NPS (promoters 9–10 minus detractors 0–6, in percent) over the last 90 days, per segment
//! (plan) and its trend against the 90 days before; the renewal forecast for the next 90
//! days (ARR up for renewal, of it at risk, and expected: ARR weighted by the tier's renewal
//! rate); upsell candidates (healthy accounts using 90% or more of their seats). The report is
//! kept at `cs-report#<week>`, mailed to the director and announced as `CsReportPublished`.
//!
//! ARR is kept and reported per currency ([`arr`]): never summed across currencies; the single
//! figures are converted to the base currency at the `[currency]` rates of the report's week and
//! labelled (`CsReportPublished.conversion`).

mod arr;
mod settings;

pub use settings::{CsConfig, RenewalRate};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    CsReportPublished, HealthScored, HealthTier, NpsResponse, Payload, ScheduleTick,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub const NAME: &str = "customer-success-director";
pub const ACCOUNTS: &str = "csd#accounts";
pub const NPS: &str = "csd#nps";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::CustomerSuccess,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "portfolio",
                pattern: json!({"detail-type": ["CustomerSignedUp", "HealthScored", "NpsResponse", "AccountChurned"]}),
            },
            Subscription {
                name: "seat-usage",
                pattern: json!({"detail-type": ["UsageReported"], "detail": {"payload": {"metric": ["active_seats"]}}}),
            },
            Subscription {
                name: "weekly-report",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Performance],
        owns: vec![
            // The portfolio (companies' accounts) and the NPS answers, each with its
            // respondent (also in the answer's sort key).
            owns(Domain::Customer, "csd#").holding(Personal::deleted(
                &["respondent"],
                &["respondent"],
                "Report the NPS per segment",
                Retention::Relationship,
            )),
            // Weekly reports: totals and account ids, no one's data.
            owns(Domain::Performance, "cs-report#"),
        ],
        emits: vec!["CsReportPublished"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

/// One account of the portfolio.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortfolioAccount {
    pub account_id: String,
    pub plan: String,
    pub seats: u32,
    pub seats_in_use: u32,
    pub health: Option<u8>,
    pub tier: Option<HealthTier>,
    pub arr: Option<Money>,
    /// ARR in each currency the account is billed in (Retention's `arr_by_currency`).
    #[serde(default)]
    pub arr_by_currency: Vec<Money>,
    pub renews_on: Option<NaiveDate>,
    pub churned: bool,
    /// Optimistic concurrency: updates of one account from parallel batches never overwrite
    /// each other (a lost race is retried).
    #[serde(default)]
    pub version: u32,
}

/// Promoters minus detractors, in percent; `None` without answers.
pub fn nps(scores: &[u8]) -> Option<i32> {
    if scores.is_empty() {
        return None;
    }
    let promoters = scores.iter().filter(|s| **s >= 9).count() as f64;
    let detractors = scores.iter().filter(|s| **s <= 6).count() as f64;
    Some(((promoters - detractors) * 100.0 / scores.len() as f64).round() as i32)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct NpsAnswer {
    account_id: String,
    plan: String,
    score: u8,
    /// Who answered: what finds the answer for them (answers from before it was kept have
    /// it in the sort key only).
    #[serde(default)]
    respondent: String,
}

/// The stored weekly report (`cs-report#<Monday>` / `report`, performance domain).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WeeklyReport {
    pub summary: CsReportPublished,
    pub nps_by_segment: BTreeMap<String, i32>,
    /// NPS of the 90 days before the reported 90.
    pub nps_previous: Option<i32>,
}

pub struct CustomerSuccessDirector {
    decl: AgentDecl,
    config: CsConfig,
}

impl CustomerSuccessDirector {
    async fn update(
        &self,
        ctx: &mut Ctx<'_>,
        account: &str,
        change: impl FnOnce(&mut PortfolioAccount),
    ) -> Result<(), AgentError> {
        let existing: Option<PortfolioAccount> =
            ctx.get_as(Domain::Customer, ACCOUNTS, account).await?;
        let condition = Condition::version(existing.as_ref().map(|a| a.version));
        let mut a = existing.unwrap_or_else(|| PortfolioAccount {
            account_id: account.into(),
            ..Default::default()
        });
        change(&mut a);
        a.version += 1;
        ctx.put_record(Domain::Customer, ACCOUNTS, account, &a, None, condition)
    }

    async fn on_nps(&self, ctx: &mut Ctx<'_>, n: &NpsResponse) -> Result<(), AgentError> {
        let plan = ctx
            .get_as::<PortfolioAccount>(Domain::Customer, ACCOUNTS, &n.account_id)
            .await?
            .map(|a| a.plan)
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "unknown".into());
        let day = ctx.cause().time.date_naive();
        ctx.put_record(
            Domain::Customer,
            NPS,
            &format!("{day}#{}#{}", n.account_id, n.respondent.to_lowercase()),
            &NpsAnswer {
                account_id: n.account_id.clone(),
                plan,
                score: n.score,
                respondent: n.respondent.to_lowercase(),
            },
            None,
            Condition::Always,
        )
    }

    async fn answers(
        &self,
        ctx: &mut Ctx<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NpsAnswer>, AgentError> {
        let q = Query::table(NPS).sort(SortKey::Between(from.to_string(), format!("{to}~")));
        ctx.query_as(Domain::Customer, &q).await
    }

    /// The report for the week starting `monday`.
    pub async fn report(
        &self,
        ctx: &mut Ctx<'_>,
        monday: NaiveDate,
    ) -> Result<WeeklyReport, AgentError> {
        let accounts: Vec<PortfolioAccount> = ctx
            .query_as::<PortfolioAccount>(Domain::Customer, &Query::table(ACCOUNTS))
            .await?
            .into_iter()
            .filter(|a| !a.churned)
            .collect();
        let count = |t: HealthTier| accounts.iter().filter(|a| a.tier == Some(t)).count() as u32;
        let last = monday - Duration::days(1);
        let window = self.config.nps_window_days;
        let recent = self
            .answers(ctx, monday - Duration::days(window), last)
            .await?;
        let previous = self
            .answers(
                ctx,
                monday - Duration::days(2 * window),
                monday - Duration::days(window + 1),
            )
            .await?;
        let mut by_segment: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for a in &recent {
            by_segment.entry(a.plan.clone()).or_default().push(a.score);
        }
        let renewing: Vec<&PortfolioAccount> = accounts
            .iter()
            .filter(|a| {
                a.renews_on.is_some_and(|r| {
                    r >= monday && r <= monday + Duration::days(self.config.renewal_window_days)
                })
            })
            .collect();
        // ARR per currency, never summed across currencies (issue 22).
        let arr_of = |a: &PortfolioAccount| -> Vec<Money> {
            if a.arr_by_currency.is_empty() {
                a.arr.iter().cloned().collect()
            } else {
                a.arr_by_currency.clone()
            }
        };
        let all_by = arr::per_currency(accounts.iter().flat_map(arr_of));
        let up_by = arr::per_currency(renewing.iter().flat_map(|a| arr_of(a)));
        let at_risk_by = arr::per_currency(
            renewing
                .iter()
                .filter(|a| a.tier == Some(HealthTier::AtRisk))
                .flat_map(|a| arr_of(a)),
        );
        let expected_by = arr::per_currency(renewing.iter().flat_map(|a| {
            let rate = self.config.renewal_rate.of(a.tier);
            arr_of(a).into_iter().map(move |m| {
                Money::new((m.amount_minor as f64 * rate).round() as i64, &m.currency)
            })
        }));
        let fx = &self.config.fx;
        let conv = |by: &[Money]| {
            arr::converted(fx, by, monday)
                .map_err(|e| AgentError::Invalid(format!("ARR not convertible: {e}")))
        };
        let (up, at_risk, expected, arr_total) = (
            conv(&up_by)?,
            conv(&at_risk_by)?,
            conv(&expected_by)?,
            conv(&all_by)?,
        );
        let upsell: Vec<String> = accounts
            .iter()
            .filter(|a| {
                a.tier == Some(HealthTier::Healthy)
                    && a.seats > 0
                    && a.seats_in_use * 100 >= a.seats * self.config.upsell_seat_use_pct
            })
            .map(|a| a.account_id.clone())
            .collect();
        let summary = CsReportPublished {
            week_of: monday,
            accounts: accounts.len() as u32,
            healthy: count(HealthTier::Healthy),
            watch: count(HealthTier::Watch),
            at_risk: count(HealthTier::AtRisk),
            nps: nps(&recent.iter().map(|a| a.score).collect::<Vec<_>>()),
            arr_up_for_renewal: up,
            arr_at_risk: at_risk,
            arr_expected: expected,
            upsell_candidates: upsell,
            arr_by_currency: all_by,
            arr_up_for_renewal_by_currency: up_by,
            arr_at_risk_by_currency: at_risk_by,
            arr_expected_by_currency: expected_by,
            arr_converted: Some(arr_total),
            conversion: Some(arr::conversion_label(fx, monday)),
        };
        Ok(WeeklyReport {
            summary,
            nps_by_segment: by_segment
                .iter()
                .filter_map(|(k, v)| nps(v).map(|n| (k.clone(), n)))
                .collect(),
            nps_previous: nps(&previous.iter().map(|a| a.score).collect::<Vec<_>>()),
        })
    }

    /// The weekly report run.
    ///
    /// Bounded by construction: one write (the report), one mail and one event whatever the
    /// portfolio; only their size grows, with the upsell candidates' account ids (about 12
    /// bytes each: EventBridge's 256 KB holds some 20,000).
    async fn on_daily(&self, ctx: &mut Ctx<'_>, t: &ScheduleTick) -> Result<(), AgentError> {
        let today = t.at.date_naive();
        if today.weekday() != self.config.weekly_report_day {
            return Ok(());
        }
        let pk = format!("cs-report#{today}");
        if ctx.get(Domain::Performance, &pk, "report").await?.is_some() {
            return Ok(());
        }
        let r = self.report(ctx, today).await?;
        ctx.put_record(
            Domain::Performance,
            &pk,
            "report",
            &r,
            None,
            Condition::NotExists,
        )?;
        let s = &r.summary;
        let segments: String = r
            .nps_by_segment
            .iter()
            .map(|(k, v)| format!("{k} {v:+}; "))
            .collect();
        ctx.send_mail(Mail {
            to: self.config.director.clone(),
            subject: format!("CS weekly report, week of {today}"),
            text: format!(
                "Accounts {}: healthy {}, watch {}, at risk {}.\nNPS (90 days): {} (before: {}); by segment: {segments}\n\
                 Renewals next 90 days: {} up, {} at risk, {} expected.\nARR per currency: {} ({}: {}).\nUpsell candidates: {}\n",
                s.accounts,
                s.healthy,
                s.watch,
                s.at_risk,
                s.nps.map_or("no answers".into(), |n| format!("{n:+}")),
                r.nps_previous.map_or("no answers".into(), |n| format!("{n:+}")),
                s.arr_up_for_renewal,
                s.arr_at_risk,
                s.arr_expected,
                arr::show(&s.arr_by_currency),
                s.conversion.clone().unwrap_or_default(),
                s.arr_converted.clone().map_or("none".into(), |m| m.to_string()),
                if s.upsell_candidates.is_empty() { "none".into() } else { s.upsell_candidates.join(", ") }
            ),
            html: None,
            ..Default::default()
        })?;
        ctx.emit(r.summary)
    }
}

#[async_trait]
impl Agent for CustomerSuccessDirector {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::CustomerSignedUp(c) => {
                let (plan, seats) = (c.plan.trim().to_ascii_lowercase(), c.seats);
                self.update(ctx, &c.account_id, |a| {
                    a.plan = plan;
                    a.seats = seats;
                })
                .await
            }
            Payload::HealthScored(h) => {
                let h: HealthScored = h.clone();
                self.update(ctx, &h.account_id, |a| {
                    a.health = Some(h.score);
                    a.tier = Some(h.tier);
                    a.arr = h.arr.clone().or(a.arr.take());
                    if !h.arr_by_currency.is_empty() || h.arr.is_some() {
                        a.arr_by_currency = h.arr_by_currency.clone();
                    }
                    a.renews_on = h.renews_on.or(a.renews_on);
                })
                .await
            }
            Payload::UsageReported(u) => {
                if !u.quantity.is_finite() || u.quantity < 0.0 {
                    return Err(AgentError::Invalid(format!(
                        "active_seats for {}: {} is not a count",
                        u.account_id, u.quantity
                    )));
                }
                let n = u.quantity as u32;
                self.update(ctx, &u.account_id, |a| a.seats_in_use = n)
                    .await
            }
            Payload::AccountChurned(c) => {
                self.update(ctx, &c.account_id, |a| a.churned = true).await
            }
            Payload::NpsResponse(n) => self.on_nps(ctx, n).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
