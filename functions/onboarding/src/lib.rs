//! # Onboarding agent
//!
//! On `CustomerSignedUp` lays out the milestone plan of the account's plan tier (account set
//! up, first XR session, team invited, first project shipped, each with a due date) and sends
//! the welcome email with it. Usage reports (`UsageReported`) mark milestones reached; each
//! one reached sends the next step. Every day (`daily.rs`), a milestone past its due date
//! raises `OnboardingStalled` and gives the customer-success manager an intervention task,
//! again every `reescalate_every_days` while it stays unreached, until the
//! `max_escalations`-th hands the account to Retention as at risk ([`escalation`]). When all
//! four are reached, `OnboardingCompleted` hands the account to steady-state success
//! (Retention and the CS Director).

mod daily;
pub mod escalation;
mod settings;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    CustomerSignedUp, ExceptionRaised, OnboardingCompleted, OnboardingMilestone,
    OnboardingMilestoneReached, Payload, Severity, UsageReported,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Mail};
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub const NAME: &str = "onboarding";
/// `gsi1` partition of plans in progress, sorted by their earliest open due date.
pub const IN_PROGRESS: &str = "onboarding#in-progress";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::CustomerSuccess,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "sign-ups",
                pattern: json!({"detail-type": ["CustomerSignedUp"]}),
            },
            Subscription {
                name: "usage",
                pattern: json!({"detail-type": ["UsageReported"]}),
            },
            Subscription {
                name: "daily-check",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Customer],
        // An account's onboarding: its contact (the sign-up's billing address) and the
        // customer-success manager who gets the interventions.
        owns: vec![
            owns(Domain::Customer, "onboarding#").holding(Personal::deleted(
                &["contact", "manager"],
                &["contact"],
                "Guide the new customer's contact through onboarding",
                Retention::Relationship,
            )),
        ],
        emits: vec![
            "OnboardingMilestoneReached",
            "OnboardingStalled",
            "OnboardingCompleted",
            "ExceptionRaised",
        ],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

pub const MILESTONES: [OnboardingMilestone; 4] = [
    OnboardingMilestone::AccountSetUp,
    OnboardingMilestone::FirstXrSession,
    OnboardingMilestone::TeamInvited,
    OnboardingMilestone::FirstProjectShipped,
];

fn label(m: OnboardingMilestone) -> &'static str {
    match m {
        OnboardingMilestone::AccountSetUp => "set up your account (first seat active)",
        OnboardingMilestone::FirstXrSession => "run your first XR session",
        OnboardingMilestone::TeamInvited => "invite your team",
        OnboardingMilestone::FirstProjectShipped => "ship your first project",
    }
}

/// Onboarding's settings: `[onboarding]`, `[plans]` and the company name of `[company]` in
/// `ascent.toml` (see `settings`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OnboardingConfig {
    /// Plan tier → days after sign-up each milestone is due, in [`MILESTONES`] order.
    pub due_days: BTreeMap<String, [i64; 4]>,
    /// Plan tier → customer-success manager who gets intervention tasks.
    pub managers: BTreeMap<String, String>,
    /// Manager of a plan without one of its own.
    pub fallback_manager: String,
    /// Active seats that count as "team invited" at least (or all seats, when fewer) …
    pub team_seats: u32,
    /// … and this share of the seats bought, percent, when that is more.
    pub team_share_pct: u32,
    /// The plan of a sign-up whose plan has no milestone days (flagged).
    pub default_plan: String,
    /// Re-escalation of a stalled milestone, and when the account is given up as at risk.
    pub escalation: escalation::EscalationRule,
    /// The company named in the welcome mail.
    pub company: String,
}

/// One milestone of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MilestoneState {
    pub milestone: OnboardingMilestone,
    pub due_on: NaiveDate,
    pub reached_at: Option<DateTime<Utc>>,
    pub stalled: bool,
    /// Escalations so far (the stall is the first).
    #[serde(default)]
    pub escalations: u32,
    #[serde(default)]
    pub last_escalated_on: Option<NaiveDate>,
}

/// An account's onboarding (`onboarding#<account>` / `plan`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnboardingPlan {
    pub account_id: String,
    pub plan: String,
    pub seats: u32,
    pub contact: String,
    pub manager: String,
    pub started_at: DateTime<Utc>,
    pub milestones: Vec<MilestoneState>,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: u32,
}

impl OnboardingPlan {
    /// The next day the daily run has something to do for this plan.
    fn next_check(&self, rule: escalation::EscalationRule) -> Option<NaiveDate> {
        self.milestones
            .iter()
            .filter_map(|m| escalation::next_check(m, rule))
            .min()
    }
}

/// The milestones of a plan started on `start`, each due `days` after it (in [`MILESTONES`]
/// order).
pub fn milestones(start: NaiveDate, days: &[i64; 4]) -> Vec<MilestoneState> {
    MILESTONES
        .iter()
        .zip(days)
        .map(|(m, d)| MilestoneState {
            milestone: *m,
            due_on: start + Duration::days(*d),
            reached_at: None,
            stalled: false,
            escalations: 0,
            last_escalated_on: None,
        })
        .collect()
}

fn pk(account: &str) -> String {
    format!("onboarding#{account}")
}

pub struct Onboarding {
    decl: AgentDecl,
    config: OnboardingConfig,
}

impl Default for Onboarding {
    fn default() -> Self {
        Self::new(OnboardingConfig::default())
    }
}

impl Onboarding {
    pub fn new(config: OnboardingConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    fn save(
        &self,
        ctx: &mut Ctx<'_>,
        p: &OnboardingPlan,
        previous: Option<u32>,
    ) -> Result<(), AgentError> {
        // Indexed while something is still open and not yet flagged as stalled.
        let index = match (p.completed_at, p.next_check(self.config.escalation)) {
            (None, Some(day)) => Some((IN_PROGRESS.to_string(), format!("{day}#{}", p.account_id))),
            _ => None,
        };
        let condition = Condition::version(previous);
        ctx.put_record(
            Domain::Customer,
            &pk(&p.account_id),
            "plan",
            p,
            index,
            condition,
        )
    }

    async fn on_signup(&self, ctx: &mut Ctx<'_>, s: &CustomerSignedUp) -> Result<(), AgentError> {
        if ctx
            .get(Domain::Customer, &pk(&s.account_id), "plan")
            .await?
            .is_some()
        {
            return Ok(());
        }
        let mut tier = s.plan.trim().to_ascii_lowercase();
        if !self.config.due_days.contains_key(&tier) {
            // An unknown plan still gets a welcome and a plan: the default one, flagged for a
            // person to correct.
            ctx.emit(ExceptionRaised {
                agent: NAME.into(),
                subject: s.account_id.clone(),
                reason: format!(
                    "account {}: plan `{}` has no onboarding plan (known: {}); onboarding on \
                     the default plan `{}`",
                    s.account_id,
                    s.plan,
                    self.config
                        .due_days
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.config.default_plan
                ),
                severity: Severity::Medium,
            })?;
            tier = self.config.default_plan.clone();
        }
        let days = &self.config.due_days[&tier];
        // The plan runs from the sign-up itself, whenever it is delivered or replayed.
        let signed_up = ctx.cause().time;
        let plan = OnboardingPlan {
            account_id: s.account_id.clone(),
            plan: tier.clone(),
            seats: s.seats,
            contact: s.billing_email.clone(),
            manager: self
                .config
                .managers
                .get(&tier)
                .cloned()
                .unwrap_or_else(|| self.config.fallback_manager.clone()),
            started_at: signed_up,
            milestones: milestones(signed_up.date_naive(), days),
            completed_at: None,
            version: 0,
        };
        let steps: String = plan
            .milestones
            .iter()
            .map(|m| format!("- by {}: {}\n", m.due_on, label(m.milestone)))
            .collect();
        ctx.send_mail(Mail {
            to: plan.contact.clone(),
            subject: format!("Welcome to {}, {}", self.config.company, s.company),
            text: format!(
                "Welcome aboard! Your onboarding plan ({tier}):\n{steps}\nYour customer-success \
                 manager is {}; reply to this email any time.\n",
                plan.manager
            ),
            html: None,
            ..Default::default()
        })?;
        self.save(ctx, &plan, None)
    }

    async fn on_usage(&self, ctx: &mut Ctx<'_>, u: &UsageReported) -> Result<(), AgentError> {
        if !u.quantity.is_finite() || u.quantity < 0.0 {
            return Err(AgentError::Invalid(format!(
                "usage of {} for {}: quantity {} is not a count",
                u.metric, u.account_id, u.quantity
            )));
        }
        let Some(mut plan) = ctx
            .get_as::<OnboardingPlan>(Domain::Customer, &pk(&u.account_id), "plan")
            .await?
        else {
            return Ok(()); // an account from before onboarding existed
        };
        if plan.completed_at.is_some() {
            return Ok(());
        }
        let team = f64::from(escalation::team_threshold(
            plan.seats,
            self.config.team_seats,
            self.config.team_share_pct,
        ));
        let reached: Vec<OnboardingMilestone> = match u.metric.as_str() {
            "active_seats" if u.quantity >= team => vec![
                OnboardingMilestone::AccountSetUp,
                OnboardingMilestone::TeamInvited,
            ],
            "active_seats" if u.quantity >= 1.0 => vec![OnboardingMilestone::AccountSetUp],
            "xr_sessions" if u.quantity >= 1.0 => vec![OnboardingMilestone::FirstXrSession],
            "projects_published" if u.quantity >= 1.0 => {
                vec![OnboardingMilestone::FirstProjectShipped]
            }
            _ => vec![],
        };
        // Reached by the end of the reported period, and no later than the report itself.
        let at = u.period_end.min(ctx.cause().time);
        let previous = plan.version;
        let mut changed = false;
        for m in reached {
            let state = plan
                .milestones
                .iter_mut()
                .find(|s| s.milestone == m)
                .expect("every milestone is in the plan");
            if state.reached_at.is_some() {
                continue;
            }
            state.reached_at = Some(at);
            changed = true;
            let on_time = at.date_naive() <= state.due_on;
            let due_on = state.due_on;
            ctx.emit(OnboardingMilestoneReached {
                account_id: plan.account_id.clone(),
                milestone: m,
                reached_at: at,
                due_on,
                on_time,
            })?;
        }
        if !changed {
            return Ok(());
        }
        plan.version += 1;
        let open: Vec<&MilestoneState> = plan
            .milestones
            .iter()
            .filter(|m| m.reached_at.is_none())
            .collect();
        match open.first() {
            Some(next) => ctx.send_mail(Mail {
                to: plan.contact.clone(),
                subject: "Nice progress: your next onboarding step".into(),
                text: format!("Next: {} (by {}).\n", label(next.milestone), next.due_on),
                html: None,
                ..Default::default()
            })?,
            None => {
                plan.completed_at = Some(at);
                let late: Vec<OnboardingMilestone> = plan
                    .milestones
                    .iter()
                    .filter(|m| m.reached_at.is_some_and(|r| r.date_naive() > m.due_on))
                    .map(|m| m.milestone)
                    .collect();
                let days = (at - plan.started_at).num_days().max(0) as u32;
                ctx.send_mail(Mail {
                    to: plan.manager.clone(),
                    subject: format!("Onboarding complete: {}", plan.account_id),
                    text: format!(
                        "{} finished onboarding in {days} days; the account moves to steady-state success.\n",
                        plan.account_id
                    ),
                    html: None,
                    ..Default::default()
                })?;
                ctx.emit(OnboardingCompleted {
                    account_id: plan.account_id.clone(),
                    plan: plan.plan.clone(),
                    days_taken: days,
                    late_milestones: late,
                })?;
            }
        }
        self.save(ctx, &plan, Some(previous))
    }
}

#[async_trait]
impl Agent for Onboarding {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::CustomerSignedUp(s) => self.on_signup(ctx, s).await,
            Payload::UsageReported(u) => self.on_usage(ctx, u).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}
#[cfg(test)]
mod tests;
