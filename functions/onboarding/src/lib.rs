//! # Onboarding agent
//!
//! On `CustomerSignedUp` lays out the milestone plan of the account's plan tier (account set
//! up, first XR session, team invited, first project shipped, each with a due date) and sends
//! the welcome email with it. Usage reports (`UsageReported`) mark milestones reached; each
//! one reached sends the next step. Every day, a milestone past its due date raises
//! `OnboardingStalled` once and gives the customer-success manager an intervention task.
//! When all four are reached, `OnboardingCompleted` hands the account to steady-state
//! success (Retention and the CS Director).

mod settings;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    CustomerSignedUp, OnboardingCompleted, OnboardingMilestone, OnboardingMilestoneReached,
    OnboardingStalled, Payload, ScheduleTick, UsageReported,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
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
        owns: vec![owns(Domain::Customer, "onboarding#")],
        emits: vec![
            "OnboardingMilestoneReached",
            "OnboardingStalled",
            "OnboardingCompleted",
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
    /// Active seats that count as "team invited" (or all seats, when fewer).
    pub team_seats: u32,
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
    fn open_due(&self) -> Option<NaiveDate> {
        self.milestones
            .iter()
            .filter(|m| m.reached_at.is_none() && !m.stalled)
            .map(|m| m.due_on)
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
        let index = match (p.completed_at, p.open_due()) {
            (None, Some(due)) => Some((IN_PROGRESS.to_string(), format!("{due}#{}", p.account_id))),
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
        let tier = s.plan.trim().to_ascii_lowercase();
        let Some(days) = self.config.due_days.get(&tier) else {
            return Err(AgentError::Invalid(format!(
                "account {}: plan `{}` has no onboarding plan (known: {})",
                s.account_id,
                s.plan,
                self.config
                    .due_days
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
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
        let team = self.config.team_seats.min(plan.seats.max(1)) as f64;
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

    async fn on_daily(&self, ctx: &mut Ctx<'_>, t: &ScheduleTick) -> Result<(), AgentError> {
        let today = t.at.date_naive();
        // Due before today and still open (the due date itself is the last day).
        let q = Query::gsi1(IN_PROGRESS)
            .sort(SortKey::AtMost(format!("{}~", today - Duration::days(1))))
            .limit(40);
        for mut plan in ctx.query_as::<OnboardingPlan>(Domain::Customer, &q).await? {
            let previous = plan.version;
            let mut stalled = Vec::new();
            for m in plan.milestones.iter_mut() {
                if m.reached_at.is_none() && !m.stalled && m.due_on < today {
                    m.stalled = true;
                    stalled.push((m.milestone, m.due_on));
                }
            }
            if stalled.is_empty() {
                continue;
            }
            for (milestone, due_on) in stalled {
                ctx.send_mail(Mail {
                    to: plan.manager.clone(),
                    subject: format!("Intervention: {} is stuck on onboarding", plan.account_id),
                    text: format!(
                        "{} has not managed to {} (due {due_on}). Call {} this week and offer a \
                         guided session.\n",
                        plan.account_id,
                        label(milestone),
                        plan.contact
                    ),
                    html: None,
                    ..Default::default()
                })?;
                ctx.emit(OnboardingStalled {
                    account_id: plan.account_id.clone(),
                    milestone,
                    due_on,
                    assigned_to: plan.manager.clone(),
                })?;
            }
            plan.version += 1;
            self.save(ctx, &plan, Some(previous))?;
        }
        Ok(())
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
mod tests {
    use super::*;
    use ascent_embedded::testkit::TestTwin;
    use std::sync::Arc;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn twin() -> TestTwin {
        TestTwin::new(
            vec![Arc::new(Onboarding::default())],
            at("2026-03-02T09:00:00Z"),
        )
    }

    fn signup(account: &str, plan: &str, seats: u32) -> CustomerSignedUp {
        CustomerSignedUp {
            account_id: account.into(),
            company: format!("Customer {account}"),
            plan: plan.into(),
            seats,
            tax_region: "US-CA".into(),
            billing_email: format!("admin@{}.example", account.to_lowercase()),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        }
    }

    fn usage(t: &TestTwin, account: &str, metric: &str, q: f64) -> UsageReported {
        UsageReported {
            account_id: account.into(),
            metric: metric.into(),
            quantity: q,
            period_start: t.now() - Duration::days(1),
            period_end: t.now(),
        }
    }

    fn days(t: &TestTwin, n: i64) {
        for _ in 0..n {
            let next = (t.now().date_naive() + Duration::days(1))
                .and_hms_opt(6, 0, 0)
                .unwrap()
                .and_utc();
            t.tick("daily", next);
        }
    }

    #[test]
    fn milestones_from_usage_complete_onboarding_and_stalls_raise_interventions() {
        let t = twin();
        t.emit("ascent.platform", signup("A1", "team", 10));
        t.emit("ascent.platform", signup("A2", "starter", 2));
        let welcome = t.runtime.mails().unwrap();
        assert!(
            welcome[0]
                .text
                .contains("- by 2026-03-05: set up your account")
        );
        assert!(
            welcome[0]
                .text
                .contains("- by 2026-04-01: ship your first project")
        );
        // A1 thrives.
        t.emit("ascent.platform", usage(&t, "A1", "active_seats", 1.0));
        t.emit("ascent.platform", usage(&t, "A1", "xr_sessions", 4.0));
        t.emit("ascent.platform", usage(&t, "A1", "active_seats", 6.0));
        days(&t, 4);
        t.emit(
            "ascent.platform",
            usage(&t, "A1", "projects_published", 1.0),
        );
        let reached = t.emitted("OnboardingMilestoneReached");
        assert_eq!(reached.len(), 4);
        let done = t.emitted("OnboardingCompleted");
        let Payload::OnboardingCompleted(c) = done[0].payload() else {
            unreachable!()
        };
        assert_eq!(
            (c.account_id.as_str(), c.days_taken, c.late_milestones.len()),
            ("A1", 3, 0)
        );
        // A2 (starter: set-up due in 2 days) never starts: stalled once, its manager tasked.
        let stalled = t.emitted("OnboardingStalled");
        assert_eq!(
            stalled.len(),
            1,
            "set-up (due 03-04); the first session (due 03-07) not yet"
        );
        let Payload::OnboardingStalled(s) = stalled[0].payload() else {
            unreachable!()
        };
        assert_eq!(s.account_id, "A2");
        assert_eq!(s.milestone, OnboardingMilestone::AccountSetUp);
        assert_eq!(s.assigned_to, "csm.digital@ascent-xr.example");
        days(&t, 3);
        assert_eq!(
            t.emitted("OnboardingStalled").len(),
            2,
            "each milestone stalls once"
        );
        assert!(
            t.runtime
                .mails()
                .unwrap()
                .iter()
                .any(|m| m.to == "csm.digital@ascent-xr.example"
                    && m.subject.starts_with("Intervention"))
        );
        // Late progress still counts, and is marked late.
        t.emit("ascent.platform", usage(&t, "A2", "active_seats", 2.0));
        let r = t.emitted("OnboardingMilestoneReached");
        let a2: Vec<(OnboardingMilestone, bool)> = r
            .iter()
            .filter_map(|e| match e.payload() {
                Payload::OnboardingMilestoneReached(m) if m.account_id == "A2" => {
                    Some((m.milestone, m.on_time))
                }
                _ => None,
            })
            .collect();
        // Two active seats of two: set up (late) and the whole team invited (on time).
        assert_eq!(
            a2,
            vec![
                (OnboardingMilestone::AccountSetUp, false),
                (OnboardingMilestone::TeamInvited, true)
            ]
        );
    }

    #[test]
    fn a_sign_up_delivered_late_dates_the_plan_from_the_sign_up() {
        // Given a sign-up on 2026-03-02 that reaches Onboarding three days later
        let t = twin();
        let signed_up = at("2026-03-02T09:00:00Z");
        t.clock.set(at("2026-03-05T15:00:00Z"));
        let e = Event::new(
            "ascent.platform",
            ascent_core::event::Actor::system("ascent.platform"),
            signed_up,
            signup("A1", "team", 10),
        );
        // When it is handled
        t.runtime.ingest(&[e]).unwrap();
        t.drain();
        // Then the plan runs from the sign-up, not from the day it was processed
        let welcome = t.runtime.mails().unwrap();
        assert!(
            welcome[0]
                .text
                .contains("- by 2026-03-05: set up your account"),
            "{}",
            welcome[0].text
        );
        let plan: OnboardingPlan =
            serde_json::from_value(t.get(Domain::Customer, "onboarding#A1", "plan").unwrap())
                .unwrap();
        assert_eq!(plan.started_at, signed_up);
        assert_eq!(
            plan.milestones.last().unwrap().due_on,
            "2026-04-01".parse::<NaiveDate>().unwrap()
        );
    }

    #[test]
    fn unknown_plans_and_bad_quantities_are_refused_and_repeats_are_harmless() {
        let t = twin();
        t.emit("ascent.platform", signup("A1", "platinum", 5));
        t.emit("ascent.platform", signup("A2", "team", 5));
        t.emit("ascent.platform", usage(&t, "A2", "xr_sessions", -3.0));
        t.emit("ascent.platform", usage(&t, "A2", "xr_sessions", 1.0));
        t.emit("ascent.platform", usage(&t, "A2", "xr_sessions", 5.0));
        t.emit("ascent.platform", usage(&t, "A9", "xr_sessions", 5.0)); // unknown account
        let reasons: Vec<String> = t
            .runtime
            .dead_letters()
            .unwrap()
            .into_iter()
            .map(|d| d.reason)
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("plan `platinum` has no onboarding plan"));
        assert!(reasons[1].contains("quantity -3 is not a count"));
        assert_eq!(t.emitted("OnboardingMilestoneReached").len(), 1);
    }
}
