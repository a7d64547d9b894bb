//! # Onboarding agent
//!
//! On `CustomerSignedUp` lays out the milestone plan of the account's plan tier (account set
//! up, first XR session, team invited, first project shipped, each with a due date) and sends
//! the welcome email with it. Usage reports (`UsageReported`) mark milestones reached; each
//! one reached sends the next step. Every day, a milestone past its due date raises
//! `OnboardingStalled` once and gives the customer-success manager an intervention task.
//! When all four are reached, `OnboardingCompleted` hands the account to steady-state
//! success (Retention and the CS Director).

pub mod escalation;
mod settings;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    CustomerSignedUp, ExceptionRaised, OnboardingCompleted, OnboardingMilestone,
    OnboardingMilestoneReached, OnboardingStalled, Payload, ScheduleTick, Severity, UsageReported,
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

    /// The daily run: stalls, re-escalations and at-risk hand-overs that are due, at most 40
    /// plans a run (the rest stay due on the index for the next run).
    async fn on_daily(&self, ctx: &mut Ctx<'_>, t: &ScheduleTick) -> Result<(), AgentError> {
        let today = t.at.date_naive();
        let rule = self.config.escalation;
        let q = Query::gsi1(IN_PROGRESS)
            .sort(SortKey::AtMost(format!("{today}~")))
            .limit(40);
        for mut plan in ctx.query_as::<OnboardingPlan>(Domain::Customer, &q).await? {
            let previous = plan.version;
            let mut due = Vec::new();
            for m in plan.milestones.iter_mut() {
                let (n, at_risk) = match escalation::step(m, today, rule) {
                    escalation::Step::Nothing => continue,
                    escalation::Step::Escalate(n) => (n, false),
                    escalation::Step::AtRisk(n) => (n, true),
                };
                m.stalled = true;
                m.escalations = n;
                m.last_escalated_on = Some(today);
                due.push((m.milestone, m.due_on, n, at_risk));
            }
            if due.is_empty() {
                continue;
            }
            for (milestone, due_on, n, at_risk) in due {
                let subject = match (n, at_risk) {
                    (_, true) => format!("At risk: {} has stalled onboarding", plan.account_id),
                    (1, _) => format!("Intervention: {} is stuck on onboarding", plan.account_id),
                    _ => format!("Still stuck ({n}): {} on onboarding", plan.account_id),
                };
                let ask = if at_risk {
                    "Onboarding is given up as at risk: hand the account to retention now."
                } else {
                    "Call them this week and offer a guided session."
                };
                ctx.send_mail(Mail {
                    to: plan.manager.clone(),
                    subject,
                    text: format!(
                        "{} has not managed to {} (due {due_on}; escalation {n} of {}). {ask} \
                         Contact: {}\n",
                        plan.account_id,
                        label(milestone),
                        rule.max_escalations,
                        plan.contact
                    ),
                    ..Default::default()
                })?;
                ctx.emit(OnboardingStalled {
                    account_id: plan.account_id.clone(),
                    milestone,
                    due_on,
                    assigned_to: plan.manager.clone(),
                    escalation: Some(n),
                    at_risk,
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

    /// Issue 23: an unknown plan dead-lettered without a welcome email.
    #[test]
    fn an_unknown_plan_is_welcomed_on_the_default_plan_and_flagged() {
        let t = twin();
        t.emit("ascent.platform", signup("A1", "platinum", 5));
        let plan: OnboardingPlan =
            serde_json::from_value(t.get(Domain::Customer, "onboarding#A1", "plan").unwrap())
                .unwrap();
        assert_eq!(plan.plan, "team");
        assert_eq!(t.runtime.mails().unwrap()[0].to, "admin@a1.example");
        let flagged = t.emitted("ExceptionRaised");
        assert_eq!(flagged.len(), 1);
        assert!(t.runtime.dead_letters().unwrap().is_empty());
    }

    #[test]
    fn bad_quantities_are_refused_and_repeats_are_harmless() {
        let t = twin();
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
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(reasons[0].contains("quantity -3 is not a count"));
        assert_eq!(t.emitted("OnboardingMilestoneReached").len(), 1);
    }

    /// Issue 23: "team invited" meant 3 seats even for a 500-seat customer.
    #[test]
    fn a_500_seat_customer_has_invited_its_team_at_100_active_seats() {
        let t = twin();
        t.emit("ascent.platform", signup("A3", "enterprise", 500));
        t.emit("ascent.platform", usage(&t, "A3", "active_seats", 3.0));
        let reached = |t: &TestTwin| -> Vec<OnboardingMilestone> {
            t.emitted("OnboardingMilestoneReached")
                .iter()
                .map(|e| match e.payload() {
                    Payload::OnboardingMilestoneReached(m) => m.milestone,
                    _ => unreachable!(),
                })
                .collect()
        };
        assert_eq!(reached(&t), vec![OnboardingMilestone::AccountSetUp]);
        t.emit("ascent.platform", usage(&t, "A3", "active_seats", 100.0));
        assert!(reached(&t).contains(&OnboardingMilestone::TeamInvited));
    }

    /// Issue 23: a milestone stalled once and was never escalated again.
    #[test]
    fn a_stalled_milestone_is_escalated_weekly_until_the_account_is_at_risk() {
        let t = twin();
        // Starter: account set up due 2 days after 2 March = 4 March
        t.emit("ascent.platform", signup("A4", "starter", 5));
        let stalls = |t: &TestTwin| -> Vec<(OnboardingMilestone, Option<u32>, bool)> {
            t.emitted("OnboardingStalled")
                .iter()
                .filter_map(|e| match e.payload() {
                    Payload::OnboardingStalled(s)
                        if s.milestone == OnboardingMilestone::AccountSetUp =>
                    {
                        Some((s.milestone, s.escalation, s.at_risk))
                    }
                    _ => None,
                })
                .collect()
        };
        for day in 3..=25 {
            t.tick("daily", at(&format!("2026-03-{day:02}T06:00:00Z")));
        }
        // Stalled on 5 March, again on the 12th, at risk on the 19th, then nothing more
        assert_eq!(
            stalls(&t),
            vec![
                (OnboardingMilestone::AccountSetUp, Some(1), false),
                (OnboardingMilestone::AccountSetUp, Some(2), false),
                (OnboardingMilestone::AccountSetUp, Some(3), true),
            ]
        );
    }
}
