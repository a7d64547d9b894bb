//! Sales Director tests through an in-memory twin.

use super::*;
use ascent_core::agent::Domain;
use ascent_core::catalog::{DealClosedWon, DealStage, DealStageChanged, LeadGrade, LeadRouted};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use chrono::Duration;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[path = "tests_privacy.rs"]
mod privacy;

const AVA: &str = "ava.rep@ascent-xr.example";
const DARIO: &str = "dario.rep@ascent-xr.example";

fn t0() -> DateTime<Utc> {
    "2026-04-01T09:00:00Z".parse().unwrap()
}

fn twin() -> TestTwin {
    TestTwin::new(vec![Arc::new(SalesDirector::default())], t0())
}

fn routed(id: &str, team: &str) -> LeadRouted {
    LeadRouted {
        lead_id: id.into(),
        team: team.into(),
        score: 82,
        grade: LeadGrade::Hot,
    }
}

fn stage(deal: &str, owner: &str, to: DealStage, amount: Option<i64>) -> DealStageChanged {
    DealStageChanged {
        deal_id: deal.into(),
        account_id: format!("A-{deal}"),
        owner: owner.into(),
        from_stage: None,
        to_stage: to,
        lines: vec![],
        requested_discount_pct: 0.0,
        currency: "USD".into(),
        amount: amount.map(Money::usd),
        expected_close: None,
        account_name: None,
        discount_reason: None,
    }
}

fn won(deal: &str, owner: &str, amount: i64) -> DealClosedWon {
    DealClosedWon {
        deal_id: deal.into(),
        account_id: format!("A-{deal}"),
        owner: owner.into(),
        amount: Money::usd(amount),
        proposal_id: None,
        reason: None,
        lead_id: None,
    }
}

fn daily(t: &TestTwin) -> PipelineReport {
    t.runtime.schedule_tick("daily", t.now()).unwrap();
    t.drain();
    serde_json::from_value(
        t.get(
            Domain::Performance,
            "report#pipeline",
            &t.now().date_naive().to_string(),
        )
        .unwrap(),
    )
    .unwrap()
}

#[test]
fn qualified_leads_are_shared_by_capacity_within_the_territory() {
    let t = twin();
    for i in 0..5 {
        t.emit(
            "ascent.agent.lead-generation",
            routed(&format!("L{i}"), "sales-americas"),
        );
    }
    // The same lead routed twice is assigned once.
    t.emit(
        "ascent.agent.lead-generation",
        routed("L0", "sales-americas"),
    );
    let reps: Vec<String> = t
        .emitted("LeadAssigned")
        .iter()
        .map(|e| match e.payload() {
            Payload::LeadAssigned(a) => a.rep.clone(),
            _ => unreachable!(),
        })
        .collect();
    // Capacities 10 / 10 / 5: ava, ben, chloe, ava, ben.
    assert_eq!(
        reps,
        [
            AVA,
            "ben.rep@ascent-xr.example",
            "chloe.rep@ascent-xr.example",
            AVA,
            "ben.rep@ascent-xr.example"
        ]
    );
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.to == AVA && m.subject == "New hot lead L0 (score 82)")
    );
}

#[test]
fn a_territory_without_reps_falls_back_to_the_director_and_says_so() {
    let t = twin();
    t.emit("ascent.agent.lead-generation", routed("L9", "sales-mars"));
    let Payload::LeadAssigned(a) = t.emitted("LeadAssigned")[0].payload().clone() else {
        unreachable!()
    };
    assert_eq!(a.rep, "sales.director@ascent-xr.example");
    assert_eq!(t.emitted("ExceptionRaised").len(), 1);
}

#[test]
fn pipeline_by_stage_rep_and_territory_with_a_weighted_forecast() {
    let t = twin();
    let crm = "ascent.crm";
    let expected = |mut c: DealStageChanged, day: &str| {
        c.expected_close = Some(day.parse().unwrap());
        c
    };
    t.emit(
        crm,
        expected(
            stage("D1", AVA, DealStage::Proposal, Some(1_000_000)),
            "2026-05-20",
        ),
    );
    t.emit(
        crm,
        expected(
            stage("D2", AVA, DealStage::Negotiation, Some(2_000_000)),
            "2026-06-30",
        ),
    );
    t.emit(
        crm,
        expected(
            stage("D3", DARIO, DealStage::Demo, Some(500_000)),
            "2026-04-10",
        ),
    );
    t.emit(
        crm,
        expected(stage("D4", DARIO, DealStage::Demo, None), "2026-04-10"),
    );
    let r = daily(&t);
    assert_eq!(r.by_stage["proposal"].amount_minor, 1_000_000);
    assert_eq!(r.by_stage["demo"].deals, 2);
    assert_eq!(r.by_territory["sales-emea"].amount_minor, 500_000);
    assert_eq!(r.by_rep[AVA].deals, 2);
    // 0.4 × 10,000 + 0.6 × 20,000 + 0.2 × 5,000 = 17,000.00 with the default table.
    assert_eq!(r.weighted_forecast_minor, 1_700_000);
    let ava = r.reps.iter().find(|f| f.rep == AVA).unwrap();
    assert_eq!(ava.commit, Money::usd(2_000_000));
    assert_eq!(ava.won, Money::usd(0));
}

/// Issue 22: quarters were UTC quarters, so a deal won at 17:00 Pacific on 31 March (00:00 UTC
/// on 1 April) counted in the second quarter.
#[test]
fn a_deal_won_at_5_pm_pacific_on_31_march_counts_in_the_first_quarter() {
    let t = twin();
    let won_at: DateTime<Utc> = "2026-04-01T00:00:00Z".parse().unwrap(); // 17:00 PDT, 31 March
    let e = Event::new(
        "ascent.crm",
        ascent_core::event::Actor::system("ascent.crm"),
        won_at,
        won("D31", AVA, 1_000_000),
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    let q1 = t
        .get(Domain::Performance, "quota#2026-Q1", AVA)
        .expect("booked in Q1");
    assert_eq!(q1["won_minor"], 1_000_000);
    assert!(t.get(Domain::Performance, "quota#2026-Q2", AVA).is_none());
}

/// Issue 22: every open deal counted toward this quarter, whatever its timing.
#[test]
fn only_deals_expected_to_close_this_quarter_are_in_its_forecast() {
    let t = twin();
    let crm = "ascent.crm";
    let expected = |mut c: DealStageChanged, day: Option<&str>| {
        c.expected_close = day.map(|d| d.parse().unwrap());
        c
    };
    // Given three proposals of 10,000.00 (0.4 each) on 1 April: one expected 30 June (this
    // quarter), one 1 July (the next), one with no date,
    t.emit(
        crm,
        expected(
            stage("Q1", AVA, DealStage::Proposal, Some(1_000_000)),
            Some("2026-06-30"),
        ),
    );
    t.emit(
        crm,
        expected(
            stage("Q2", AVA, DealStage::Proposal, Some(1_000_000)),
            Some("2026-07-01"),
        ),
    );
    t.emit(
        crm,
        expected(stage("Q0", AVA, DealStage::Proposal, Some(1_000_000)), None),
    );
    let r = daily(&t);
    // then the quarter's forecast is 0.4 × 10,000.00 = 4,000.00 (before: 12,000.00), the
    // April deal is "later" and the undated one "unscheduled", each 4,000.00 weighted,
    assert_eq!(r.weighted_forecast_minor, 400_000);
    assert_eq!((r.later.deals, r.later.weighted_minor), (1, 400_000));
    assert_eq!(
        (r.unscheduled.deals, r.unscheduled.weighted_minor),
        (1, 400_000)
    );
    // and the rep's forecast counts only this quarter's deal.
    let ava = r.reps.iter().find(|f| f.rep == AVA).unwrap();
    assert_eq!(ava.forecast, Money::usd(400_000));
    // The pipeline by stage still shows all three.
    assert_eq!(r.by_stage["proposal"].deals, 3);
}

/// Issue 22: early deals were never closed out, so stage probabilities learned only from
/// deals someone closed (qualification→win 0.55 against a 0.10 prior).
#[test]
fn deals_idle_past_the_stale_age_are_closed_as_lost_and_teach_the_probabilities() {
    let t = twin();
    let crm = "ascent.crm";
    // Given a deal in qualification with no activity for 90 days (stale_after_days),
    t.emit(
        crm,
        stage("S1", AVA, DealStage::Qualification, Some(1_000_000)),
    );
    t.clock.advance(Duration::days(90));
    let r = daily(&t);
    // then the daily run closes it as lost (stale): out of the pipeline, a loss for the owner,
    assert_eq!(r.closed_stale, ["S1"]);
    assert!(r.by_stage.is_empty(), "{:?}", r.by_stage);
    let stored = t.get(Domain::Customer, "pipeline#S1", "pipeline").unwrap();
    assert_eq!(stored["stage"], "closed_lost");
    let quarter = SalesConfig::default().quarter(t.now());
    let rq = t
        .get(Domain::Performance, &format!("quota#{quarter}"), AVA)
        .unwrap();
    assert_eq!(rq["deals_lost"], 1);
    // and its stage history is learned as a loss (a qualification deal that did not win).
    let stats: crate::forecast::StageStats =
        serde_json::from_value(t.get(Domain::Performance, "stats#stages", "all").unwrap()).unwrap();
    let defaults = SalesConfig::default().defaults;
    assert!(
        stats.probability(DealStage::Qualification, &defaults)
            < defaults.probability["qualification"]
    );
    assert!(
        t.runtime
            .mails()
            .unwrap()
            .iter()
            .any(|m| m.to == AVA && m.subject == "Deal S1 closed as lost: no activity for 90 days")
    );
    // The next day's run finds nothing more to close.
    t.clock.advance(Duration::days(1));
    assert!(daily(&t).closed_stale.is_empty());
}

/// A deal the daily run closed as stale is won in the CRM after all (seen in the live twin:
/// the won event was ignored and the deal stayed lost).
#[test]
fn a_stale_deal_the_crm_then_wins_is_booked_won_and_its_stale_loss_taken_back() {
    let t = twin();
    let crm = "ascent.crm";
    t.emit(
        crm,
        stage("S2", AVA, DealStage::Qualification, Some(1_000_000)),
    );
    let untouched: crate::forecast::StageStats = t
        .get(Domain::Performance, "stats#stages", "all")
        .map(|v| serde_json::from_value(v).unwrap())
        .unwrap_or_default();
    t.clock.advance(Duration::days(90));
    assert_eq!(daily(&t).closed_stale, ["S2"]);
    // When the CRM says it was won
    t.clock.advance(Duration::days(2));
    t.emit(crm, won("S2", AVA, 1_000_000));
    // then it is won, the loss is no longer counted, and the statistics hold only the win.
    let stored = t.get(Domain::Customer, "pipeline#S2", "pipeline").unwrap();
    assert_eq!(stored["stage"], "closed_won", "{stored}");
    let quarter = SalesConfig::default().quarter(t.now());
    let rq = t
        .get(Domain::Performance, &format!("quota#{quarter}"), AVA)
        .unwrap();
    assert_eq!(
        (rq["deals_lost"].clone(), rq["deals_won"].clone()),
        (0.into(), 1.into()),
        "{rq}"
    );
    let stats: crate::forecast::StageStats =
        serde_json::from_value(t.get(Domain::Performance, "stats#stages", "all").unwrap()).unwrap();
    assert_eq!(stats.deals_learned, untouched.deals_learned + 1);
    assert_eq!(stats.won.get("qualification"), Some(&1));
    assert_eq!(stats.reached.get("qualification"), Some(&1));
}

#[test]
fn closed_deals_teach_probabilities_and_count_against_quota() {
    let t = twin();
    let crm = "ascent.crm";
    for i in 0..10 {
        let id = format!("W{i}");
        t.emit(crm, stage(&id, AVA, DealStage::Demo, Some(100_000)));
        t.clock.advance(Duration::days(2));
        t.emit(crm, stage(&id, AVA, DealStage::Proposal, None));
        t.clock.advance(Duration::days(3));
        if i < 8 {
            t.emit(crm, won(&id, AVA, 100_000));
            // The CRM also moves the stage: not counted twice.
            t.emit(crm, stage(&id, AVA, DealStage::ClosedWon, None));
        } else {
            t.emit(crm, stage(&id, AVA, DealStage::ClosedLost, None));
        }
    }
    let r = daily(&t);
    // (8 + 0.4 × 10) / (10 + 10) = 0.6 at proposal; (8 + 0.2 × 10) / 20 = 0.5 at demo.
    assert!((r.probabilities["proposal"] - 0.6).abs() < 1e-9);
    assert!((r.probabilities["demo"] - 0.5).abs() < 1e-9);
    assert_eq!(r.conversion["proposal"], 0.8);
    assert_eq!(r.velocity_days["demo"], 2.0);
    assert_eq!(r.velocity_days["proposal"], 3.0);
    let ava = r.reps.iter().find(|f| f.rep == AVA).unwrap();
    assert_eq!(ava.won, Money::usd(800_000));
    assert_eq!(ava.attainment_pct, Some(2.7)); // 8,000 of 300,000
    assert!(r.by_stage.is_empty(), "nothing is open");
}

#[test]
fn stalled_deals_are_flagged_once_until_there_is_activity() {
    let t = twin();
    t.emit(
        "ascent.crm",
        stage("D1", AVA, DealStage::Proposal, Some(1_000_000)),
    );
    t.clock.advance(Duration::days(13));
    assert!(daily(&t).stalled.is_empty());
    t.clock.advance(Duration::days(2));
    assert_eq!(daily(&t).stalled, ["D1"]);
    t.clock.advance(Duration::days(1));
    assert!(daily(&t).stalled.is_empty(), "alerted once");
    let Payload::DealStalled(s) = t.emitted("DealStalled")[0].payload().clone() else {
        unreachable!()
    };
    assert_eq!((s.days_inactive, s.stage), (15, DealStage::Proposal));
    // Activity resets the clock.
    t.emit("ascent.crm", stage("D1", AVA, DealStage::Negotiation, None));
    t.clock.advance(Duration::days(14));
    assert_eq!(daily(&t).stalled, ["D1"]);
}

#[test]
fn an_amount_in_an_unknown_currency_is_refused() {
    let t = twin();
    let mut c = stage("D1", AVA, DealStage::Demo, None);
    c.currency = "KWD".into();
    c.amount = Some(Money::new(100, "KWD"));
    t.emit("ascent.crm", c);
    let dead = t.runtime.dead_letters().unwrap();
    assert!(
        dead[0].reason.contains("currency KWD is not accepted"),
        "{}",
        dead[0].reason
    );
}

/// Issue 22: a yen deal was dead-lettered by the Sales Director though Billing invoiced it;
/// every agent now accepts the currencies of `[currency]`, and JPY is one.
#[test]
fn a_yen_deal_is_accepted_like_every_currency_of_the_configuration() {
    let t = twin();
    let mut c = stage("D1", AVA, DealStage::Demo, None);
    c.currency = "JPY".into();
    c.amount = Some(Money::new(1_000_000, "JPY"));
    t.emit("ascent.crm", c);
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}

/// Bulk work never depends on its size (issue 19): 1,000 stalled deals are all alerted, at
/// most STALL_ALERTS_PER_RUN a daily run, and no run's commit breaks AWS's limits.
#[test]
fn a_thousand_stalled_deals_are_all_alerted_within_aws_limits() {
    let t = TestTwin::new(vec![Arc::new(SalesDirector::default())], t0());
    let deals: Vec<Event> = (0..1000)
        .map(|i| {
            Event::new(
                "ascent.crm",
                ascent_core::Actor::system("ascent.crm"),
                t0(),
                stage(&format!("D{i:04}"), AVA, DealStage::Proposal, Some(100_000)),
            )
        })
        .collect();
    t.runtime.ingest(&deals).unwrap();
    t.drain();
    // 1,000 / STALL_ALERTS_PER_RUN (23) a run: 44 runs.
    let runs = 1000usize.div_ceil(crate::STALL_ALERTS_PER_RUN) as i64;
    for day in 15..15 + runs {
        t.tick("daily", t0() + Duration::days(day));
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    let mut alerted: Vec<String> = t
        .emitted("DealStalled")
        .into_iter()
        .map(|e| match e.payload() {
            Payload::DealStalled(s) => s.deal_id.clone(),
            _ => unreachable!(),
        })
        .collect();
    alerted.sort();
    alerted.dedup();
    assert_eq!(alerted.len(), 1000);
}

#[test]
fn a_lead_routed_in_march_and_delivered_in_april_is_assigned_in_the_first_quarter() {
    // Given a lead routed on 03-31, processed on 04-02 (the twin's clock)
    let t = twin();
    t.clock.set("2026-04-02T09:00:00Z".parse().unwrap());
    let routed_at: DateTime<Utc> = "2026-03-31T17:00:00Z".parse().unwrap();
    let e = Event::new(
        "ascent.agent.lead-generation",
        ascent_core::event::Actor::system("lead-generation"),
        routed_at,
        routed("L7", "sales-americas"),
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    // Then the assignment is dated when the lead was routed, in 2026-Q1's rotation
    let a: LeadAssignment = serde_json::from_value(
        t.get(Domain::Customer, "assignment#L7", "assignment")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(a.assigned_at, routed_at);
    assert_eq!(a.territory, "sales-americas");
    assert!(
        t.get(
            Domain::Performance,
            "rotation#sales-americas#2026-Q1",
            "counts"
        )
        .is_some()
    );
    assert!(
        t.get(
            Domain::Performance,
            "rotation#sales-americas#2026-Q2",
            "counts"
        )
        .is_none()
    );
}
