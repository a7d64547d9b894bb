//! Onboarding tests through an in-memory twin: plans, milestones from usage, stalls,
//! re-escalation and the at-risk hand-over.

use super::*;
use ascent_embedded::testkit::TestTwin;
use std::sync::Arc;

#[path = "tests_privacy.rs"]
mod privacy;

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
        serde_json::from_value(t.get(Domain::Customer, "onboarding#A1", "plan").unwrap()).unwrap();
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
        serde_json::from_value(t.get(Domain::Customer, "onboarding#A1", "plan").unwrap()).unwrap();
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
    // The manager hears that Retention takes the account over.
    let mails = t.runtime.mails().unwrap();
    let last = mails
        .iter()
        .rfind(|m| m.subject.starts_with("At risk: A4"))
        .unwrap();
    assert!(
        last.text
            .contains("Retention takes the account over as at risk"),
        "{}",
        last.text
    );
}
