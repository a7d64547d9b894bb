//! The weekly plan through the twin: approval of a large reallocation, its rejection, one
//! within the limits, cost-per-acquisition alerts and the plan report.

use super::*;

const ANALYTICS: &str = "ascent.agent.marketing-analytics";

fn approval_mails(t: &TestTwin) -> Vec<ascent_core::ports::Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Approval needed"))
        .collect()
}

#[test]
fn a_rise_above_the_configured_amount_takes_effect_only_once_finance_approves() {
    let t = twin();
    t.clock.set(at("2026-06-29T07:00:00Z"));
    t.emit(ANALYTICS, measured("2026-06-28", &three_channels(), vec![]));
    // Paid would rise by 6,000.00 (10,000 → 16,000), above 5,000.00: nothing changes yet.
    assert!(reallocations(&t).is_empty());
    let mails = approval_mails(&t);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, CONTROLLER);
    assert!(
        mails[0].text.contains(
            "paid rises by 6000.00 USD (from 10000.00 USD to 16000.00 USD), more than 5000.00 USD"
        ),
        "{}",
        mails[0].text
    );
    let c = current(&t);
    assert_eq!(c.allocation, start());
    assert_eq!(c.pending, Some(day("2026-06-29")));

    t.decide_from_mail(CONTROLLER, Decision::Approve, Some("Q3 push"))
        .unwrap();
    let r = reallocations(&t);
    assert_eq!(r.len(), 1);
    let got: allocation::Allocation = r[0]
        .allocations
        .iter()
        .map(|a| (a.channel, a.budget.amount_minor))
        .collect();
    assert_eq!(got, by_hand());
    assert_eq!(r[0].total, Money::usd(4_000_000));
    assert_eq!(r[0].approved_by.as_deref(), Some(CONTROLLER));
    let paid = r[0].allocations.iter().find(|a| a.channel == Paid).unwrap();
    assert_eq!(paid.previous, Money::usd(1_000_000));
    assert_eq!(paid.return_per_unit, Some(3.0));
    let c = current(&t);
    assert_eq!((c.allocation, c.pending), (by_hand(), None));
    assert_eq!(c.period, Some(day("2026-06-29")));
}

#[test]
fn rejected_the_allocation_in_effect_stays_and_marketing_is_told() {
    let t = twin();
    t.clock.set(at("2026-06-29T07:00:00Z"));
    t.emit(ANALYTICS, measured("2026-06-28", &three_channels(), vec![]));
    t.decide_from_mail(CONTROLLER, Decision::Reject, Some("hold the line"))
        .unwrap();
    assert!(reallocations(&t).is_empty());
    let c = current(&t);
    assert_eq!((c.allocation, c.pending, c.period), (start(), None, None));
    let plan: Plan = serde_json::from_value(
        t.get(Domain::Performance, "mkt-plan#2026-06-29", "plan")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(plan.status, PlanStatus::Rejected);
    let told = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .find(|m| m.to == MARKETING)
        .unwrap();
    assert_eq!(
        told.subject,
        format!("Marketing budget for the week of 2026-06-29 rejected by {CONTROLLER}")
    );
    assert!(
        told.text
            .contains("(hold the line); the allocation in effect stays (40000.00 USD)")
    );
}

#[test]
fn within_the_limits_the_plan_takes_effect_at_once_and_a_resent_measure_changes_nothing() {
    let t = twin_with(
        "approval_above_minor = 500_000",
        "approval_above_minor = 600_000",
    );
    t.clock.set(at("2026-06-29T07:00:00Z"));
    t.emit(ANALYTICS, measured("2026-06-28", &three_channels(), vec![]));
    assert!(approval_mails(&t).is_empty());
    let r = reallocations(&t);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].approval_id.clone(), r[0].approved_by.clone()),
        (None, None)
    );
    assert_eq!(current(&t).allocation, by_hand());
    // The same period measured again (a re-run of the report): planned already.
    t.emit(ANALYTICS, measured("2026-06-28", &[(Event, 9.0)], vec![]));
    assert_eq!(reallocations(&t).len(), 1);
    assert_eq!(current(&t).allocation, by_hand());
}

/// The first weeks of a quarter: money spent on paid, webinar and event but nothing won
/// yet. A channel returning nothing counts as one without data, so with none returning
/// anything there is nothing to reallocate by: the allocation in effect is planned again
/// (not refilled in channel order, which would move 12,000.00 of the start's budget onto
/// email, social, search and paid on no evidence).
#[test]
fn spend_with_no_return_yet_on_any_channel_plans_the_allocation_in_effect_again() {
    let t = twin();
    t.clock.set(at("2026-04-06T07:00:00Z"));
    let nothing = [(Paid, 0.0), (Webinar, 0.0), (Event, 0.0)];
    t.emit(ANALYTICS, measured("2026-04-05", &nothing, vec![]));
    assert!(approval_mails(&t).is_empty());
    let r = reallocations(&t);
    assert_eq!(r.len(), 1);
    let got: allocation::Allocation = r[0]
        .allocations
        .iter()
        .map(|a| (a.channel, a.budget.amount_minor))
        .collect();
    assert_eq!(got, start());
    assert_eq!(current(&t).allocation, start());
}

#[test]
fn a_newer_plan_supersedes_one_still_waiting_and_its_late_approval_changes_nothing() {
    let t = twin();
    t.clock.set(at("2026-06-29T07:00:00Z"));
    t.emit(ANALYTICS, measured("2026-06-28", &three_channels(), vec![]));
    t.clock.set(at("2026-06-30T07:00:00Z"));
    // Measured again a day later (a re-run), nothing on a budgeted channel: the allocation in
    // effect is planned again, within the limits, and the waiting plan is superseded.
    t.emit(ANALYTICS, measured("2026-06-29", &[], vec![]));
    let r = reallocations(&t);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].period, day("2026-06-30"));
    let old: Plan = serde_json::from_value(
        t.get(Domain::Performance, "mkt-plan#2026-06-29", "plan")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(old.status, PlanStatus::Superseded);
    t.decide_from_mail(CONTROLLER, Decision::Approve, None)
        .unwrap();
    assert_eq!(reallocations(&t).len(), 1);
    assert_eq!(current(&t).allocation, start());
    assert!(dead_reasons(&t).is_empty());
}

#[test]
fn a_measure_in_another_currency_is_dead_lettered_naming_the_field() {
    let t = twin();
    let mut m = measured("2026-06-28", &three_channels(), vec![]);
    m.channels[1].spend = Money::new(1_000_000, "EUR");
    t.emit(ANALYTICS, m);
    let dead = dead_reasons(&t);
    assert_eq!(dead.len(), 1);
    assert!(dead[0].contains("channels[1].spend: EUR is not the base currency USD"));
}

#[test]
fn a_live_campaign_over_its_target_cost_per_acquisition_is_alerted_once_a_period() {
    let t = twin_with(
        "approval_above_minor = 500_000",
        "approval_above_minor = 600_000",
    );
    t.emit("ascent.crm", planned("C1", Some(300_000))); // target 3,000.00
    t.emit("ascent.marketing", launched("C1", "webinar"));
    t.emit("ascent.crm", planned("C2", Some(300_000)));
    t.emit("ascent.marketing", launched("C2", "webinar"));
    t.emit("ascent.crm", planned("C3", Some(300_000)));
    t.emit("ascent.marketing", launched("C3", "webinar"));
    t.emit(
        "ascent.crm",
        CampaignPaused {
            campaign_id: "C3".into(),
            reason: "budget review".into(),
        },
    );
    let figures = || {
        vec![
            cr("C1", 1_200_000, 3.0), // 12,000.00 / 3 = 4,000.00 > 3,000.00
            cr("C2", 900_000, 3.0),   // 3,000.00: at the target, not above
            cr("C3", 2_000_000, 1.0), // over, but paused
            cr("C9", 500_000, 0.0),   // unknown to the Orchestrator
        ]
    };
    t.clock.set(at("2026-06-29T07:00:00Z"));
    t.emit(
        ANALYTICS,
        measured("2026-06-28", &three_channels(), figures()),
    );
    let a = alerts(&t);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].metric, "campaign.C1.cpa");
    assert_eq!((a[0].value, a[0].threshold), (4000.0, 3000.0));
    // The same period again: no second alert.
    t.emit(
        ANALYTICS,
        measured("2026-06-28", &three_channels(), figures()),
    );
    assert_eq!(alerts(&t).len(), 1);
    // The next period, still over: alerted again.
    t.clock.set(at("2026-07-06T07:00:00Z"));
    t.emit(
        ANALYTICS,
        measured("2026-07-05", &three_channels(), figures()),
    );
    assert_eq!(alerts(&t).len(), 2);
}

#[test]
fn the_weekly_report_shows_campaigns_goals_progress_the_allocation_and_what_waits() {
    let t = twin();
    t.emit("ascent.crm", planned("C1", Some(300_000)));
    t.emit("ascent.marketing", launched("C1", "webinar"));
    t.emit("ascent.crm", planned("C2", None));
    t.clock.set(at("2026-06-29T07:00:00Z"));
    t.emit(
        ANALYTICS,
        measured(
            "2026-06-28",
            &three_channels(),
            vec![cr("C1", 1_200_000, 3.0)],
        ),
    );
    t.decide_from_mail(CONTROLLER, Decision::Approve, None)
        .unwrap();
    // The next week's plan waits for approval (event rises from floor to cap).
    t.clock.set(at("2026-07-06T07:00:00Z"));
    t.emit(
        ANALYTICS,
        measured(
            "2026-07-05",
            &[(Event, 5.0)],
            vec![cr("C1", 1_500_000, 6.0)],
        ),
    );
    t.tick("daily", at("2026-07-06T06:00:00Z")); // a Monday: no report
    t.tick("daily", at("2026-07-07T06:00:00Z"));
    t.tick("daily", at("2026-07-07T06:00:00Z"));
    let reports: Vec<_> = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Marketing plan"))
        .collect();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].to, MARKETING);
    assert_eq!(reports[0].subject, "Marketing plan, week of 2026-07-07");
    let text = &reports[0].text;
    for line in [
        "Live campaigns (1):",
        // As last measured (the week waiting): 15,000.00 for 6 customers.
        "  C1 Campaign C1 (live, 2026-04-01 to 2026-06-30), budget 25000.00 USD: 6.00 of 8 \
         customers (75%), spend 15000.00 USD, cost per customer 2500.00 USD (target 3000.00 USD)",
        "Planned campaigns (1):",
        "  C2 Campaign C2 (planned, 2026-04-01 to 2026-06-30), budget 25000.00 USD: goal 8 \
         customers, nothing measured yet",
        "Budget per channel, 40000.00 USD a week, from the plan of the week of 2026-06-29:",
        "  paid: 16000.00 USD (+6000.00 USD; return 3)",
        "  event: 0.00 USD (-8000.00 USD; no data)",
        "  search: 2000.00 USD (-2000.00 USD; no data)",
        "Waiting for approval: the plan of the week of 2026-07-06 (40000.00 USD in all): event \
         rises by 12000.00 USD (from 0.00 USD to 12000.00 USD), more than 5000.00 USD.",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(
        t.get(Domain::Performance, "mkt-report#2026-07-07", "report")
            .is_some()
    );
}

#[test]
fn nobody_deciding_in_time_leaves_the_allocation_in_effect_and_marketing_is_told() {
    let t = twin();
    t.clock.set(at("2026-06-29T07:00:00Z"));
    t.emit(ANALYTICS, measured("2026-06-28", &three_channels(), vec![]));
    // The controller's 48 hours pass, then the CFO's: the approval expires.
    for _ in 0..3 {
        t.clock.advance(chrono::Duration::hours(49));
        t.runtime.tick_approvals().unwrap();
        t.drain();
    }
    assert!(reallocations(&t).is_empty());
    let c = current(&t);
    assert_eq!((c.allocation, c.pending), (start(), None));
    let plan: Plan = serde_json::from_value(
        t.get(Domain::Performance, "mkt-plan#2026-06-29", "plan")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(plan.status, PlanStatus::Expired);
    let told = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .find(|m| m.to == MARKETING)
        .unwrap();
    assert_eq!(
        told.subject,
        "Marketing budget for the week of 2026-06-29 not decided in time"
    );
}

#[test]
fn a_forged_approval_moves_no_budget() {
    let t = twin();
    t.clock.set(at("2026-06-29T07:00:00Z"));
    t.emit(ANALYTICS, measured("2026-06-28", &three_channels(), vec![]));
    let id = t.runtime.status().unwrap().pending_approvals[0].id.clone();
    // Everything the pending approval says, "approved" by someone who never decided.
    let mut a: ascent_core::approval::Approval = serde_json::from_value(
        t.get(Domain::Approvals, &format!("approval#{id}"), "approval")
            .unwrap(),
    )
    .unwrap();
    a.status = ascent_core::approval::ApprovalStatus::Approved;
    a.decided_by = Some("mallory@attacker.example".into());
    t.emit("ascent.approvals", a.decided_event().unwrap());
    assert!(reallocations(&t).is_empty());
    assert_eq!(current(&t).allocation, start());
    let dead = dead_reasons(&t);
    assert_eq!(dead.len(), 1);
    assert!(dead[0].contains("still pending on record"), "{}", dead[0]);
}
