//! # Retention agent
//!
//! Keeps the signals of every customer account (usage, tickets, NPS, payments, activity) and
//! once a day scores its health, component by component ([`health`]), so a score always
//! explains itself. The scoring runs on the hourly schedule, at most `per_run` accounts a run,
//! those scored longest ago first: each run stays one bounded transaction (DynamoDB takes 100
//! writes), and 24 runs a day score ~1,000 accounts. Accounts fall into tiers (healthy, watch, at risk); moving into watch or
//! at risk plans an intervention playbook (executive outreach, training offer, success plan)
//! as a task for its owner. Renewals get reminders 90, 60 and 30 days ahead of the end of the
//! contract's term (`ContractIssued.terms.term_months`, rolled on by auto-renewal and by each
//! `AccountRenewed`; without a contract, `term_months` after sign-up). ARR counts recurring
//! lines only, per currency, kept current by invoices, credit notes, renewals and churn
//! ([`arr`]). Renewals and churn (`AccountRenewed`, `AccountChurned`) teach the score: after
//! enough outcomes a logistic regression over the components, refit online and versioned,
//! replaces the default weights, and every `HealthScored` names its model. Onboarding's
//! at-risk hand-over (`OnboardingStalled` with `at_risk`) marks the account at risk until the
//! stalled milestone is reached, so the scoring run starts its at-risk play ([`handover`]).

pub mod arr;
pub mod handover;
pub mod health;
mod health_settings;
mod scoring;

mod settings;

pub use settings::{RetentionConfig, Tiers};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{Payload, TicketPriority};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::learning::Logistic;
use ascent_core::ports::Condition;
use ascent_core::privacy::{Personal, Retention as Kept};
use async_trait::async_trait;
use chrono::{Months, NaiveDate};
use health::Signals;
use serde_json::json;

pub const NAME: &str = "retention";
/// `gsi1` partition of every account Retention follows, sorted by the day it was last scored.
pub const ACCOUNTS: &str = "retention#accounts";
pub const MODEL_PK: &str = "model#health";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::CustomerSuccess,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "account-signals",
                pattern: json!({"detail-type": ["CustomerSignedUp", "UsageReported", "TicketTriaged", "NpsResponse",
                                                "InvoiceIssued", "DunningStepTaken", "InvoicePaid",
                                                "ContractIssued", "CreditNoteIssued"]}),
            },
            Subscription {
                name: "onboarding-hand-over",
                pattern: json!({"$or": [
                    {"detail-type": ["OnboardingStalled"], "detail": {"payload": {"at_risk": [true]}}},
                    {"detail-type": ["OnboardingMilestoneReached"]}
                ]}),
            },
            Subscription {
                name: "outcomes",
                pattern: json!({"detail-type": ["AccountRenewed", "AccountChurned"]}),
            },
            Subscription {
                name: "hourly-health",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["hourly"]}}}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Performance],
        owns: vec![
            // An account's health signals: a company's, with its customer-success manager
            // (an employee); NPS answers are kept as scores, without who gave them.
            owns(Domain::Customer, "retention#").holding(Personal::pseudonymised(
                &["manager"],
                &["manager"],
                "Score the account's health and plan its manager's interventions",
                Kept::Relationship,
            )),
            // Model weights learned over many accounts' renewals: no one's data.
            owns(Domain::Performance, "model#health"),
        ],
        emits: vec!["HealthScored", "InterventionPlanned", "RenewalApproaching"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

fn pk(account: &str) -> String {
    format!("retention#{account}")
}

pub struct Retention {
    decl: AgentDecl,
    config: RetentionConfig,
}

impl Retention {
    async fn signals(
        &self,
        ctx: &mut Ctx<'_>,
        account: &str,
    ) -> Result<Option<Signals>, AgentError> {
        ctx.get_as(Domain::Customer, &pk(account), "signals").await
    }

    fn save(
        &self,
        ctx: &mut Ctx<'_>,
        s: &Signals,
        previous: Option<u32>,
    ) -> Result<(), AgentError> {
        let condition = Condition::version(previous);
        // Churned accounts leave the scoring index.
        let index = (s.renewed != Some(false)).then(|| {
            let day = s
                .scored_on
                .map_or("0000-00-00".to_string(), |d| d.to_string());
            (ACCOUNTS.to_string(), format!("{day}#{}", s.account_id))
        });
        ctx.put_record(
            Domain::Customer,
            &pk(&s.account_id),
            "signals",
            s,
            index,
            condition,
        )
    }

    /// Applies `change` to a known account's signals (unknown accounts are not customers yet).
    async fn update(
        &self,
        ctx: &mut Ctx<'_>,
        account: &str,
        change: impl FnOnce(&mut Signals),
    ) -> Result<(), AgentError> {
        let Some(mut s) = self.signals(ctx, account).await? else {
            return Ok(());
        };
        let v = s.version;
        change(&mut s);
        s.version += 1;
        self.save(ctx, &s, Some(v))
    }

    async fn model(&self, ctx: &mut Ctx<'_>) -> Result<Option<Logistic>, AgentError> {
        Ok(ctx
            .get_as::<Logistic>(Domain::Performance, MODEL_PK, "current")
            .await?
            .filter(|m| m.outcomes >= self.config.learn_after_outcomes))
    }

    async fn on_outcome(
        &self,
        ctx: &mut Ctx<'_>,
        account: &str,
        renewed: bool,
    ) -> Result<(), AgentError> {
        let Some(s) = self.signals(ctx, account).await? else {
            return Ok(());
        };
        if s.outcome_learned {
            return Ok(());
        }
        // Learned from the health as of the outcome (the ARR and term were updated first).
        // The account's health as of the renewal or churn, not as of its processing.
        let today = ctx.cause().time.date_naive();
        let x = health::features(&health::components(&s, today, &self.config.health));
        ascent_core::learning::learn_outcome(
            ctx,
            Domain::Performance,
            MODEL_PK,
            || self.config.model.prior(),
            &x,
            renewed,
        )
        .await?;
        self.update(ctx, account, |s| {
            s.outcome_learned = true;
            s.renewed = Some(renewed);
        })
        .await
    }
}

#[async_trait]
impl Agent for Retention {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        // A signal is dated when it happened (the event's time), however late it is delivered.
        let today: NaiveDate = event.time.date_naive();
        match event.payload() {
            Payload::CustomerSignedUp(c) => {
                if self.signals(ctx, &c.account_id).await?.is_some() {
                    return Ok(());
                }
                let manager = self
                    .config
                    .plans
                    .success_manager(&c.plan.trim().to_ascii_lowercase());
                let mut s = Signals::new(c, manager, today);
                // A contract issued before the sign-up.
                s.term = ctx
                    .get_as::<arr::Term>(Domain::Customer, &pk(&c.account_id), "contract")
                    .await?;
                self.save(ctx, &s, None)
            }
            Payload::UsageReported(u) => {
                if !u.quantity.is_finite() || u.quantity < 0.0 {
                    return Err(AgentError::Invalid(format!(
                        "usage of {} for {}: quantity {} is not a count",
                        u.metric, u.account_id, u.quantity
                    )));
                }
                let day = u.period_start.date_naive();
                let (metric, q) = (u.metric.clone(), u.quantity);
                let history = self.config.health.history_days;
                self.update(ctx, &u.account_id, |s| {
                    s.record_usage(&metric, q, day, today, history)
                })
                .await
            }
            Payload::TicketTriaged(t) => {
                let p: TicketPriority = t.priority;
                let history = self.config.health.history_days;
                self.update(ctx, &t.account_id, |s| s.record_ticket(p, today, history))
                    .await
            }
            Payload::NpsResponse(n) => {
                if n.score > 10 {
                    return Err(AgentError::Invalid(format!(
                        "NPS score {} is above 10",
                        n.score
                    )));
                }
                let score = n.score;
                self.update(ctx, &n.account_id, |s| s.nps = Some((score, today)))
                    .await
            }
            Payload::InvoiceIssued(i) => {
                let Some(r) = arr::recurring_of(i) else {
                    return Ok(()); // one-time lines only: no ARR
                };
                self.update(ctx, &i.account_id, |s| {
                    if !s.recurring.iter().any(|x| x.invoice_id == r.invoice_id) {
                        s.recurring.push(r);
                    }
                })
                .await
            }
            Payload::CreditNoteIssued(c) => {
                let (amount, subtotal) = (c.amount.amount_minor, c.subtotal.as_ref());
                let subtotal = subtotal.map(|m| m.amount_minor);
                let invoice = c.invoice_id.clone();
                self.update(ctx, &c.account_id, |s| {
                    if let Some(r) = s.recurring.iter_mut().find(|r| r.invoice_id == invoice) {
                        r.credit(amount, subtotal);
                    }
                })
                .await
            }
            Payload::ContractIssued(c) => {
                let term = arr::Term {
                    start: today,
                    months: c.terms.term_months.max(1),
                    auto_renew: c.terms.auto_renew,
                };
                if self.signals(ctx, &c.account_id).await?.is_none() {
                    // Not a customer yet: kept for its sign-up.
                    return ctx.put_record(
                        Domain::Customer,
                        &pk(&c.account_id),
                        "contract",
                        &term,
                        None,
                        Condition::Always,
                    );
                }
                self.update(ctx, &c.account_id, |s| s.term = Some(term))
                    .await
            }
            Payload::DunningStepTaken(d) => {
                let inv = d.invoice_id.clone();
                self.update(ctx, &d.account_id, |s| {
                    if !s.overdue_invoices.contains(&inv) {
                        s.overdue_invoices.push(inv);
                    }
                })
                .await
            }
            Payload::InvoicePaid(p) => {
                let inv = p.invoice_id.clone();
                self.update(ctx, &p.account_id, |s| {
                    s.overdue_invoices.retain(|i| *i != inv)
                })
                .await
            }
            Payload::AccountRenewed(r) => {
                let default_months = self.config.term_months;
                let (on, arr, months) = (r.renewed_on, r.arr.clone(), r.term_months);
                self.update(ctx, &r.account_id, |s| {
                    let months = months
                        .or(s.term.map(|t| t.months))
                        .unwrap_or(default_months)
                        .max(1);
                    let auto_renew = s.term.is_some_and(|t| t.auto_renew);
                    s.term = Some(arr::Term {
                        start: on,
                        months,
                        auto_renew,
                    });
                    let to = renewal_of(on, months).pred_opt().unwrap_or(on);
                    s.renewal_arr = Some(arr::RenewalArr { arr, from: on, to });
                })
                .await?;
                self.on_outcome(ctx, &r.account_id, true).await
            }
            Payload::AccountChurned(c) => {
                self.update(ctx, &c.account_id, |s| {
                    s.recurring.clear();
                    s.renewal_arr = None;
                    s.arr = None;
                })
                .await?;
                self.on_outcome(ctx, &c.account_id, false).await
            }
            Payload::OnboardingStalled(e) => self.on_onboarding_stalled(ctx, e, today).await,
            Payload::OnboardingMilestoneReached(m) => {
                self.on_onboarding_milestone(ctx, &m.account_id, m.milestone)
                    .await
            }
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

/// The renewal date of an account that signed up on `signed_up` for a term of `term_months`
/// calendar months (a month-end sign-up renews on the last day of a shorter month).
pub fn renewal_of(signed_up: NaiveDate, term_months: u32) -> NaiveDate {
    signed_up
        .checked_add_months(Months::new(term_months))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests;
