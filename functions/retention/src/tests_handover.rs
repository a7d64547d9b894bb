//! Onboarding's at-risk hand-over through an in-memory twin (issue 23, defect 6): the
//! `OnboardingStalled` with `at_risk` that nobody acted on now puts the account at risk in
//! Retention's record and starts its executive outreach; earlier escalations change nothing.

use super::*;
use ascent_core::catalog::{OnboardingMilestone, OnboardingMilestoneReached, OnboardingStalled};

/// Account A4 signed up on Monday 2 March 2026 (team plan, 10 seats).
fn twin() -> TestTwin {
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A4"));
    t
}

/// Onboarding's `n`-th escalation of A4's account set-up, due 4 March; the 3rd is at risk.
fn stalled(t: &TestTwin, when: &str, n: u32) {
    t.clock.set(at(when));
    t.emit(
        "ascent.agent.onboarding",
        OnboardingStalled {
            account_id: "A4".into(),
            milestone: OnboardingMilestone::AccountSetUp,
            due_on: "2026-03-04".parse().unwrap(),
            assigned_to: "csm.team@ascent-xr.example".into(),
            escalation: Some(n),
            at_risk: n == 3,
        },
    );
}

fn record(t: &TestTwin) -> serde_json::Value {
    t.get(Domain::Customer, "retention#A4", "signals").unwrap()
}

fn plans(t: &TestTwin) -> Vec<InterventionPlanned> {
    t.emitted("InterventionPlanned")
        .iter()
        .map(|e| match e.payload() {
            Payload::InterventionPlanned(p) => p.clone(),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn escalations_before_the_hand_over_change_nothing_in_retention() {
    // Given A4, scored healthy on 3 March: a new account (1 day) scores 60 for usage and
    // engagement: 0.30·60 + 0.20·100 + 0.15·60 + 0.20·100 + 0.15·60 = 76
    let t = twin();
    tick(&t, "2026-03-03T07:00:00Z");
    assert_eq!(scored(&t, "A4")[0].score, 76);
    assert_eq!(scored(&t, "A4")[0].tier, HealthTier::Healthy);
    let before = record(&t);
    // When Onboarding escalates the stalled set-up on 5 and 12 March (not at risk)
    stalled(&t, "2026-03-05T06:00:00Z", 1);
    stalled(&t, "2026-03-12T06:00:00Z", 2);
    // Then Retention's record is untouched and nothing is planned or dead-lettered
    assert_eq!(record(&t), before);
    assert!(plans(&t).is_empty());
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}

/// Issue 23: the at-risk hand-over was emitted but nobody acted on it.
#[test]
fn the_at_risk_hand_over_puts_the_account_at_risk_and_starts_executive_outreach() {
    // Given A4, scored healthy (76) on 3 March, never active since
    let t = twin();
    tick(&t, "2026-03-03T07:00:00Z");
    // When Onboarding hands it over as at risk on 19 March (3rd escalation)
    stalled(&t, "2026-03-19T06:00:00Z", 3);
    // Then Retention's record marks it, and it is due for scoring at once
    let r = record(&t);
    assert_eq!(r["onboarding_stalled"][0]["milestone"], "account_set_up");
    assert_eq!(r["onboarding_stalled"][0]["handed_over_on"], "2026-03-19");
    assert_eq!(r["scored_on"], serde_json::Value::Null);
    // When the next hourly run scores it: 17 days old, no longer new, never active: usage 0,
    // tickets 100, NPS 60, payments 100, engagement 0 = 0 + 20 + 9 + 20 + 0 = 49, a watch
    // score on its own (45–69)
    tick(&t, "2026-03-19T07:00:00Z");
    let s = scored(&t, "A4");
    let last = s.last().unwrap();
    // Then it is tiered at risk and announced so
    assert_eq!((last.score, last.tier), (49, HealthTier::AtRisk));
    // and the play for at-risk accounts starts: executive outreach, the reason first
    let p = plans(&t);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].playbook, Playbook::ExecutiveOutreach);
    assert_eq!(p[0].owner, "vp.customer-success@ascent-xr.example");
    assert_eq!(
        p[0].reason,
        "onboarding stalled at account set-up (due 2026-03-04); health 49 (AtRisk); \
         weakest: usage_trend — no XR sessions in 60 days"
    );
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.to == "vp.customer-success@ascent-xr.example"
                && m.subject == "ExecutiveOutreach for A4")
    );
    // When the hand-over is delivered again (another event) and the next day is scored
    stalled(&t, "2026-03-19T08:00:00Z", 3);
    tick(&t, "2026-03-20T07:00:00Z");
    // Then there is no second play
    assert_eq!(plans(&t).len(), 1);
}

#[test]
fn reaching_the_milestone_after_all_ends_the_hand_over() {
    // Given A4 handed over on 19 March and scored at risk
    let t = twin();
    tick(&t, "2026-03-03T07:00:00Z");
    stalled(&t, "2026-03-19T06:00:00Z", 3);
    tick(&t, "2026-03-19T07:00:00Z");
    assert_eq!(scored(&t, "A4").pop().unwrap().tier, HealthTier::AtRisk);
    // When its account is set up after all on 20 March
    t.clock.set(at("2026-03-20T10:00:00Z"));
    t.emit(
        "ascent.agent.onboarding",
        OnboardingMilestoneReached {
            account_id: "A4".into(),
            milestone: OnboardingMilestone::AccountSetUp,
            reached_at: at("2026-03-20T10:00:00Z"),
            due_on: "2026-03-04".parse().unwrap(),
            on_time: false,
        },
    );
    // Then the mark ends and the next run tiers it by its score alone again: 49 is watch
    assert_eq!(record(&t)["onboarding_stalled"], serde_json::json!([]));
    tick(&t, "2026-03-20T11:00:00Z");
    let last = scored(&t, "A4").pop().unwrap();
    assert_eq!((last.score, last.tier), (49, HealthTier::Watch));
    // and moving from at risk to watch plans nothing new
    assert_eq!(plans(&t).len(), 1);
}

#[test]
fn a_hand_over_for_an_account_retention_does_not_follow_is_dropped() {
    // Given no sign-up for A9
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-03-19T06:00:00Z"),
    );
    // When Onboarding hands A9 over
    t.emit(
        "ascent.agent.onboarding",
        OnboardingStalled {
            account_id: "A9".into(),
            milestone: OnboardingMilestone::FirstXrSession,
            due_on: "2026-03-07".parse().unwrap(),
            assigned_to: "csm.team@ascent-xr.example".into(),
            escalation: Some(3),
            at_risk: true,
        },
    );
    // Then no record is made up and nothing is dead-lettered
    assert!(t.get(Domain::Customer, "retention#A9", "signals").is_none());
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}
