//! Marketing Orchestrator tests through an in-memory twin: the campaign lifecycle, the weekly
//! reallocation with and without the Finance Controller's approval, cost-per-acquisition
//! alerts and the weekly plan report.

use super::*;
use MarketingChannel::{Content, Email, Event, Paid, Search, Social, Webinar};
use ascent_core::approval::Decision;
use ascent_core::catalog::{
    BudgetReallocated, CampaignEnded, CampaignLaunched, CampaignPaused, CampaignPlanned,
    CampaignResumed, CampaignReturn, ChannelBudget, ChannelReturn, ChannelReturnsMeasured,
    MarketingChannel, ThresholdCrossed,
};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, NaiveDate, Utc};
use lifecycle::Status;
use std::sync::Arc;

#[path = "tests_plan.rs"]
mod plan_tests;

#[path = "tests_flow.rs"]
mod flow_tests;

const CONTROLLER: &str = "finance.controller@ascent-xr.example";
const MARKETING: &str = "marketing@ascent-xr.example";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn twin() -> TestTwin {
    TestTwin::new(
        vec![Arc::new(MarketingOrchestrator::default())],
        at("2026-04-01T09:00:00Z"),
    )
}

/// A twin whose settings differ from the shipped ones by one replacement.
fn twin_with(from: &str, to: &str) -> TestTwin {
    let file = crate::settings::tests::shipped_with(from, to);
    TestTwin::new(
        vec![Arc::new(MarketingOrchestrator::from_config(&file).unwrap())],
        at("2026-04-01T09:00:00Z"),
    )
}

fn planned(id: &str, target_cpa: Option<i64>) -> CampaignPlanned {
    CampaignPlanned {
        campaign_id: id.into(),
        name: format!("Campaign {id}"),
        owner: "marketing.lead@ascent-xr.example".into(),
        starts_on: day("2026-04-01"),
        ends_on: day("2026-06-30"),
        budgets: vec![
            ChannelBudget {
                channel: Webinar,
                amount: Money::usd(1_500_000),
            },
            ChannelBudget {
                channel: Paid,
                amount: Money::usd(1_000_000),
            },
        ],
        goal_customers: 8,
        target_cpa: target_cpa.map(Money::usd),
    }
}

fn launched(id: &str, channel: &str) -> CampaignLaunched {
    CampaignLaunched {
        campaign_id: id.into(),
        name: format!("Campaign {id}"),
        channel: channel.into(),
        budget: Money::usd(2_500_000),
        starts_on: day("2026-04-01"),
        ends_on: day("2026-06-30"),
    }
}

fn campaign(t: &TestTwin, id: &str) -> Campaign {
    serde_json::from_value(
        t.get(
            Domain::Performance,
            &format!("mkt-campaign#{id}"),
            "campaign",
        )
        .unwrap(),
    )
    .unwrap()
}

fn dead_reasons(t: &TestTwin) -> Vec<String> {
    t.runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect()
}

#[test]
fn a_campaign_goes_planned_live_paused_live_ended_and_never_live_again() {
    let t = twin();
    t.emit("ascent.crm", planned("C1", Some(300_000)));
    assert_eq!(campaign(&t, "C1").status, Status::Planned);
    t.emit("ascent.marketing", launched("C1", "webinar"));
    t.emit(
        "ascent.crm",
        CampaignPaused {
            campaign_id: "C1".into(),
            reason: "creative refresh".into(),
        },
    );
    assert_eq!(campaign(&t, "C1").status, Status::Paused);
    t.emit(
        "ascent.crm",
        CampaignResumed {
            campaign_id: "C1".into(),
        },
    );
    assert_eq!(campaign(&t, "C1").status, Status::Live);
    assert_eq!(t.query_index(Domain::Performance, OPEN_CAMPAIGNS).len(), 1);
    t.emit(
        "ascent.crm",
        CampaignEnded {
            campaign_id: "C1".into(),
            reason: "ran its course".into(),
        },
    );
    let c = campaign(&t, "C1");
    assert_eq!(c.status, Status::Ended);
    assert_eq!(
        c.history,
        [
            "2026-04-01 planned",
            "2026-04-01 launched",
            "2026-04-01 paused: creative refresh",
            "2026-04-01 resumed",
            "2026-04-01 ended: ran its course"
        ]
    );
    // Ended campaigns leave the index the report reads.
    assert!(
        t.query_index(Domain::Performance, OPEN_CAMPAIGNS)
            .is_empty()
    );
    assert!(dead_reasons(&t).is_empty());

    t.emit("ascent.marketing", launched("C1", "webinar"));
    t.emit(
        "ascent.crm",
        CampaignResumed {
            campaign_id: "C1".into(),
        },
    );
    let dead = dead_reasons(&t);
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(dead[0].contains("campaign C1 is ended: it cannot be launched"));
    assert!(dead[1].contains("campaign C1 is ended: it cannot be resumed"));
    assert_eq!(campaign(&t, "C1").status, Status::Ended);
}

#[test]
fn bad_transitions_and_bad_plans_are_dead_lettered_with_the_reason() {
    let t = twin();
    t.emit(
        "ascent.crm",
        CampaignPaused {
            campaign_id: "C404".into(),
            reason: "budget review".into(),
        },
    );
    t.emit("ascent.crm", planned("C2", None));
    t.emit(
        "ascent.crm",
        CampaignPaused {
            campaign_id: "C2".into(),
            reason: "budget review".into(),
        },
    );
    let mut euro = planned("C3", None);
    euro.budgets[1].amount = Money::new(900_000, "EUR");
    t.emit("ascent.crm", euro);
    t.emit("ascent.marketing", launched("C4", "billboard"));
    let dead = dead_reasons(&t);
    assert_eq!(dead.len(), 4, "{dead:?}");
    assert!(dead[0].contains("campaign C404 is unknown: it cannot be paused"));
    assert!(dead[1].contains("planned → paused is not a transition"));
    assert!(dead[2].contains("budgets[1].amount: EUR is not the base currency USD"));
    assert!(dead[3].contains("channel: `billboard` is not a marketing channel"));
    assert_eq!(campaign(&t, "C2").status, Status::Planned);
}

#[test]
fn a_resent_transition_changes_nothing_and_a_launch_without_a_plan_is_live() {
    let t = twin();
    t.emit("ascent.marketing", launched("C5", "paid"));
    t.emit("ascent.marketing", launched("C5", "paid"));
    let c = campaign(&t, "C5");
    assert_eq!(c.status, Status::Live);
    assert_eq!(c.budgets, [(Paid, 2_500_000)].into());
    assert_eq!(c.history, ["2026-04-01 launched without a plan"]);
    assert_eq!((c.goal_customers, c.target_cpa), (None, None));
    assert!(dead_reasons(&t).is_empty());
}

/// Returns per unit spent of the measured channels over 2026-03-30..2026-06-28 (the plan of
/// the week from Monday 2026-06-29), with the given campaigns' figures.
fn measured(
    to: &str,
    returns: &[(MarketingChannel, f64)],
    campaigns: Vec<CampaignReturn>,
) -> ChannelReturnsMeasured {
    ChannelReturnsMeasured {
        from: day("2026-03-30"),
        to: day(to),
        model: ascent_core::catalog::AttributionModel::PositionBased,
        channels: returns
            .iter()
            .map(|(c, r)| ChannelReturn {
                channel: *c,
                spend: Money::usd(1_000_000),
                attributed_revenue: Money::usd((r * 1_000_000.0) as i64),
                return_per_unit: Some(*r),
                roi: Some(r - 1.0),
                customers: 2.0,
                cac: Some(Money::usd(500_000)),
            })
            .collect(),
        unattributed_revenue: Money::usd(0),
        campaigns,
    }
}

fn cr(id: &str, spend: i64, customers: f64) -> CampaignReturn {
    CampaignReturn {
        campaign_id: id.into(),
        channel: Webinar,
        spend: Money::usd(spend),
        attributed_revenue: Money::usd(spend * 3),
        customers,
        cac: (customers > 0.0).then(|| Money::usd((spend as f64 / customers).round() as i64)),
    }
}

fn reallocations(t: &TestTwin) -> Vec<BudgetReallocated> {
    t.emitted("BudgetReallocated")
        .iter()
        .map(|e| match e.payload() {
            Payload::BudgetReallocated(b) => b.clone(),
            _ => unreachable!(),
        })
        .collect()
}

fn alerts(t: &TestTwin) -> Vec<ThresholdCrossed> {
    t.emitted("ThresholdCrossed")
        .iter()
        .map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) => x.clone(),
            _ => unreachable!(),
        })
        .collect()
}

fn current(t: &TestTwin) -> Current {
    serde_json::from_value(
        t.get(Domain::Performance, crate::plan::CURRENT_PK, "current")
            .unwrap(),
    )
    .unwrap()
}

/// The shipped start: email 3,000, social 5,000, search 4,000, paid 10,000, webinar 6,000,
/// event 8,000, content 4,000 (40,000.00 a week).
fn start() -> allocation::Allocation {
    OrchestratorConfig::default().start
}

/// Paid 3.0, webinar 2.0, email 1.0 measured, the rest without data. From the floors
/// (14,000.00), the 26 steps of 1,000.00 fill paid (11 steps to its cap of 16,000.00),
/// webinar (8 to 10,000.00) and email (4 to 5,000.00) — all capped after 23 steps — and the
/// last 3,000.00 go to the first channel with room in channel order, social (2,000 → 5,000).
fn by_hand() -> allocation::Allocation {
    [
        (Email, 500_000),
        (Social, 500_000),
        (Search, 200_000),
        (Paid, 1_600_000),
        (Webinar, 1_000_000),
        (Event, 0),
        (Content, 200_000),
    ]
    .into()
}

fn three_channels() -> Vec<(MarketingChannel, f64)> {
    vec![(Paid, 3.0), (Webinar, 2.0), (Email, 1.0)]
}
