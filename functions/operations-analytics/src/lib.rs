//! # Operations Analytics agent
//!
//! Where revenue, the sales pipeline and support load are heading. It keeps three daily
//! series ([`series`]): revenue (paid invoices, `InvoicePaid` on its `paid_on`, converted to the
//! base currency at that day's rates), the open pipeline (the value of deals not yet won or
//! lost, valued by `DealStageChanged` and `ProposalSent`, closed by `DealClosedWon` and
//! `DealClosedLost`, [`pipeline`]) and
//! ticket volume (`TicketOpened`); each day is one record that expires after `history_days`.
//! Customers are kept by sign-up month with the month each churned ([`cohorts`]). Days are the
//! books' days (`[company] time_zone`), as `paid_on` and `churned_on` already are.
//!
//! Each week (the daily tick of `weekly_report_day`) the report fits a Holt-Winters additive
//! model with a weekly season to each series ([`holt_winters`]), forecasts the next
//! `horizon_days` with error bands from rolling-origin back-testing ([`backtest`],
//! [`forecast`]), adds the cohort retention table, mails it to operations, keeps it and emits
//! `ForecastPublished` ([`report`]). A series with less than two seasons of history is said to
//! be too short, not forecast.

pub mod backtest;
pub mod cohorts;
pub mod forecast;
pub mod holt_winters;
pub mod pipeline;
pub mod report;
pub mod series;
mod settings;

pub use settings::OperationsAnalyticsConfig;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{AccountChurned, CustomerSignedUp, OperationsSeries, Payload};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Item, Query, SortKey};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use cohorts::{Cohort, Member};
use serde_json::json;
use series::DayPoint;

pub const NAME: &str = "operations-analytics";
/// Every record of the agent starts with it.
pub const PREFIX: &str = "ops-analytics#";
/// Partition of the cohort records, sorted by sign-up month.
pub const COHORTS_PK: &str = "ops-analytics#cohorts";
/// Partition of the weekly reports, sorted by day.
pub const REPORTS_PK: &str = "ops-analytics#reports";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Operations,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "revenue-pipeline-tickets",
                pattern: json!({"detail-type": ["InvoicePaid", "DealStageChanged", "ProposalSent",
                                                "DealClosedWon", "DealClosedLost", "TicketOpened"]}),
            },
            Subscription {
                name: "cohorts",
                pattern: json!({"detail-type": ["CustomerSignedUp", "AccountChurned"]}),
            },
            Subscription {
                name: "weekly-report",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Performance],
        owns: vec![owns(Domain::Performance, PREFIX)],
        emits: vec!["ForecastPublished"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct OperationsAnalytics {
    decl: AgentDecl,
    config: OperationsAnalyticsConfig,
}

/// Seconds since the epoch at the end of `day + days`: when a record of `day` expires.
fn expiry(day: NaiveDate, days: u32) -> i64 {
    (day + Duration::days(i64::from(days) + 1))
        .and_hms_opt(0, 0, 0)
        .map_or(i64::MAX, |t| t.and_utc().timestamp())
}

impl OperationsAnalytics {
    /// The books' day of `t` (`[company] time_zone`).
    pub(crate) fn day_of(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.config.time_zone).date_naive()
    }

    /// Converts `m` into minor units of the base currency at the rates of `on`; `field`
    /// names it in errors.
    fn to_base(&self, m: &Money, on: NaiveDate, field: &str) -> Result<i64, AgentError> {
        m.check_non_negative()
            .map_err(|e| AgentError::Invalid(format!("{field}: {e}")))?;
        self.config
            .fx
            .to_base_on(m, on)
            .map(|b| b.amount_minor)
            .map_err(|e| AgentError::Invalid(format!("{field}: {e}")))
    }

    /// Puts a record of `day` that expires with the history.
    fn put_dated<T: serde::Serialize>(
        &self,
        ctx: &mut Ctx<'_>,
        pk: &str,
        sk: &str,
        record: &T,
        day: NaiveDate,
        condition: Condition,
    ) -> Result<(), AgentError> {
        let data = serde_json::to_value(record)
            .map_err(|e| AgentError::Invalid(format!("record does not serialise: {e}")))?;
        let item = Item {
            pk: pk.into(),
            sk: sk.into(),
            gsi1: None,
            expires_at: Some(expiry(day, self.config.history_days)),
            data,
        };
        ctx.put(Domain::Performance, item, condition)
    }

    /// Marks `what` (an invoice, a ticket) counted; `false` when it was already.
    async fn first_time(
        &self,
        ctx: &mut Ctx<'_>,
        what: &str,
        day: NaiveDate,
    ) -> Result<bool, AgentError> {
        let pk = format!("{PREFIX}counted#{what}");
        if ctx
            .get(Domain::Performance, &pk, "counted")
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let record = json!({ "day": day });
        self.put_dated(ctx, &pk, "counted", &record, day, Condition::NotExists)?;
        Ok(true)
    }

    /// The latest day record of `s` on or before `day`.
    async fn latest(
        &self,
        ctx: &mut Ctx<'_>,
        s: OperationsSeries,
        day: NaiveDate,
    ) -> Result<Option<DayPoint>, AgentError> {
        let q = Query::table(series::pk(s))
            .sort(SortKey::AtMost(day.to_string()))
            .descending()
            .limit(1);
        Ok(ctx
            .query_as::<DayPoint>(Domain::Performance, &q)
            .await?
            .pop())
    }

    /// Adds `delta` to the day record of a flow, or sets a stock's day to its latest level
    /// plus `delta`.
    async fn add(
        &self,
        ctx: &mut Ctx<'_>,
        s: OperationsSeries,
        day: NaiveDate,
        delta: i64,
    ) -> Result<(), AgentError> {
        let pk = series::pk(s);
        let (mut point, previous) = if series::is_stock(s) {
            match self.latest(ctx, s, day).await? {
                Some(p) if p.day == day => (p.clone(), Some(p.version)),
                Some(p) => (
                    DayPoint {
                        day,
                        value: p.value,
                        version: 0,
                    },
                    None,
                ),
                None => (
                    DayPoint {
                        day,
                        value: 0,
                        version: 0,
                    },
                    None,
                ),
            }
        } else {
            match ctx
                .get_as::<DayPoint>(Domain::Performance, &pk, &day.to_string())
                .await?
            {
                Some(p) => {
                    let v = p.version;
                    (p, Some(v))
                }
                None => (
                    DayPoint {
                        day,
                        value: 0,
                        version: 0,
                    },
                    None,
                ),
            }
        };
        point.value = point.value.saturating_add(delta);
        point.version += 1;
        let condition = Condition::version(previous);
        self.put_dated(ctx, &pk, &day.to_string(), &point, day, condition)
    }

    async fn on_signed_up(
        &self,
        ctx: &mut Ctx<'_>,
        c: &CustomerSignedUp,
        day: NaiveDate,
    ) -> Result<(), AgentError> {
        let pk = format!("{PREFIX}customer#{}", c.account_id);
        if ctx
            .get(Domain::Performance, &pk, "customer")
            .await?
            .is_some()
        {
            return Ok(()); // counted in its cohort once
        }
        let month = cohorts::month_of(day);
        let mut cohort = ctx
            .get_as::<Cohort>(Domain::Performance, COHORTS_PK, &month)
            .await?
            .unwrap_or_else(|| Cohort::new(month.clone()));
        let previous = (cohort.version > 0).then_some(cohort.version);
        cohort.customers += 1;
        cohort.version += 1;
        let member = Member {
            account_id: c.account_id.clone(),
            signed_up_on: day,
            churned_on: None,
        };
        ctx.put_record(
            Domain::Performance,
            &pk,
            "customer",
            &member,
            None,
            Condition::NotExists,
        )?;
        ctx.put_record(
            Domain::Performance,
            COHORTS_PK,
            &month,
            &cohort,
            None,
            Condition::version(previous),
        )
    }

    async fn on_churned(&self, ctx: &mut Ctx<'_>, c: &AccountChurned) -> Result<(), AgentError> {
        let pk = format!("{PREFIX}customer#{}", c.account_id);
        let Some(mut member) = ctx
            .get_as::<Member>(Domain::Performance, &pk, "customer")
            .await?
        else {
            return Ok(()); // signed up before this agent counted: in no cohort
        };
        if member.churned_on.is_some() {
            return Ok(());
        }
        let offset = cohorts::months_between(member.signed_up_on, c.churned_on);
        if offset < 0 || c.churned_on < member.signed_up_on {
            return Err(AgentError::Invalid(format!(
                "churned_on: {} is before the account signed up ({})",
                c.churned_on, member.signed_up_on
            )));
        }
        let month = cohorts::month_of(member.signed_up_on);
        let Some(mut cohort) = ctx
            .get_as::<Cohort>(Domain::Performance, COHORTS_PK, &month)
            .await?
        else {
            return Ok(());
        };
        let previous = cohort.version;
        cohort.churn(offset as usize);
        cohort.version += 1;
        member.churned_on = Some(c.churned_on);
        ctx.put_record(
            Domain::Performance,
            &pk,
            "customer",
            &member,
            None,
            Condition::Always,
        )?;
        ctx.put_record(
            Domain::Performance,
            COHORTS_PK,
            &month,
            &cohort,
            None,
            Condition::version(Some(previous)),
        )
    }
}

/// A day an event says something happened: at most a day after the event itself (time zones),
/// else refused naming `field`.
fn not_ahead(day: NaiveDate, event_day: NaiveDate, field: &str) -> Result<NaiveDate, AgentError> {
    if day > event_day + Duration::days(1) {
        return Err(AgentError::Invalid(format!(
            "{field}: {day} is after the event's day ({event_day})"
        )));
    }
    Ok(day)
}

#[async_trait]
impl Agent for OperationsAnalytics {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let event_day = self.day_of(event.time);
        match event.payload() {
            Payload::InvoicePaid(p) => {
                let day = not_ahead(p.paid_on, event_day, "paid_on")?;
                let amount = self.to_base(&p.total, day, "total")?;
                if !self
                    .first_time(ctx, &format!("invoice#{}", p.invoice_id), day)
                    .await?
                {
                    return Ok(());
                }
                self.add(ctx, OperationsSeries::Revenue, day, amount).await
            }
            Payload::TicketOpened(t) => {
                let day = t.created_at.map_or(event_day, |c| self.day_of(c));
                let day = not_ahead(day, event_day, "created_at")?;
                if !self
                    .first_time(ctx, &format!("ticket#{}", t.ticket_id), day)
                    .await?
                {
                    return Ok(());
                }
                self.add(ctx, OperationsSeries::Tickets, day, 1).await
            }
            Payload::DealStageChanged(d) => {
                let value = match &d.amount {
                    Some(a) => Some(self.to_base(a, event_day, "amount")?),
                    None => None,
                };
                let change = pipeline::Change::Stage {
                    stage: d.to_stage,
                    value,
                };
                self.on_deal(ctx, &d.deal_id, change, event.time).await
            }
            Payload::ProposalSent(p) => {
                let value = self.to_base(&p.total, event_day, "total")?;
                let change = pipeline::Change::Valued(value);
                self.on_deal(ctx, &p.deal_id, change, event.time).await
            }
            Payload::DealClosedWon(d) => {
                self.on_deal(ctx, &d.deal_id, pipeline::Change::Closed, event.time)
                    .await
            }
            Payload::DealClosedLost(d) => {
                self.on_deal(ctx, &d.deal_id, pipeline::Change::Closed, event.time)
                    .await
            }
            Payload::CustomerSignedUp(c) => self.on_signed_up(ctx, c, event_day).await,
            Payload::AccountChurned(c) => self.on_churned(ctx, c).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod tests;
