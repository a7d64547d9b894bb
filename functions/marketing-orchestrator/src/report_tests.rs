//! The report's lines and the campaigns' progress, pure: goals, progress, targets crossed.

use super::*;
use crate::plan::progress;
use ascent_core::catalog::{CampaignReturn, MarketingChannel};
use std::collections::BTreeMap;

fn campaign(id: &str, status: Status, goal: Option<u32>, target: Option<i64>) -> Campaign {
    Campaign {
        campaign_id: id.into(),
        name: "XR for aerospace MRO".into(),
        owner: Some("marketing.lead@ascent-xr.example".into()),
        status,
        starts_on: "2026-04-01".parse().unwrap(),
        ends_on: "2026-06-30".parse().unwrap(),
        budgets: BTreeMap::from([
            (MarketingChannel::Webinar, 1_500_000),
            (MarketingChannel::Paid, 1_000_000),
        ]),
        goal_customers: goal,
        target_cpa: target,
        history: vec![],
        version: 1,
    }
}

fn measured(id: &str, spend: i64, customers: f64, cac: Option<i64>) -> CampaignReturn {
    CampaignReturn {
        campaign_id: id.into(),
        channel: MarketingChannel::Webinar,
        spend: Money::usd(spend),
        attributed_revenue: Money::usd(0),
        customers,
        cac: cac.map(Money::usd),
    }
}

#[test]
fn progress_is_kept_for_live_campaigns_and_flags_a_cost_above_target() {
    let campaigns = [
        campaign("C1", Status::Live, Some(8), Some(300_000)),
        campaign("C2", Status::Live, Some(4), Some(300_000)),
        campaign("C3", Status::Paused, Some(4), Some(100)),
        campaign("C4", Status::Live, None, None),
    ];
    let m = [
        measured("C1", 1_250_000, 2.5, Some(500_000)), // 12,500 / 2.5 = 5,000 > 3,000
        measured("C2", 600_000, 2.0, Some(300_000)),   // at the target
        measured("C3", 900_000, 1.0, Some(900_000)),   // paused: shown, never alerted
        measured("C4", 200_000, 0.0, None),            // no customers: no cost yet
    ];
    let p = progress(&campaigns, &m);
    let flags: Vec<(&str, Option<i64>, bool)> = p
        .iter()
        .map(|p| (p.campaign_id.as_str(), p.cpa, p.over_target))
        .collect();
    assert_eq!(
        flags,
        [
            ("C1", Some(500_000), true),
            ("C2", Some(300_000), false),
            ("C3", Some(900_000), false),
            ("C4", None, false)
        ]
    );
    assert_eq!(
        campaign_line(&campaigns[0], Some(&p[0]), "USD"),
        "  C1 XR for aerospace MRO (live, 2026-04-01 to 2026-06-30), budget 25000.00 USD: \
         2.50 of 8 customers (31%), spend 12500.00 USD, cost per customer 5000.00 USD \
         (target 3000.00 USD) — OVER TARGET"
    );
    assert_eq!(
        campaign_line(&campaigns[3], Some(&p[3]), "USD"),
        "  C4 XR for aerospace MRO (live, 2026-04-01 to 2026-06-30), budget 25000.00 USD: \
         0.00 customers, no goal, spend 2000.00 USD, cost per customer n/a"
    );
    assert_eq!(
        campaign_line(&campaigns[2], Some(&p[2]), "USD"),
        "  C3 XR for aerospace MRO (paused, 2026-04-01 to 2026-06-30), budget 25000.00 USD: \
         1.00 of 4 customers (25%), spend 9000.00 USD, cost per customer 9000.00 USD \
         (target 1.00 USD)"
    );
    assert_eq!(
        campaign_line(&campaigns[2], None, "USD"),
        "  C3 XR for aerospace MRO (paused, 2026-04-01 to 2026-06-30), budget 25000.00 USD: \
         goal 4 customers, nothing measured yet (target 1.00 USD)"
    );
}

#[test]
fn an_empty_plan_report_says_so() {
    let start = BTreeMap::from([(MarketingChannel::Paid, 1_000_000)]);
    let text = text(&[], None, &start, None, "USD");
    assert_eq!(
        text,
        "Live campaigns (0):\n  none\n\nPaused campaigns (0):\n  none\n\n\
         Planned campaigns (0):\n  none\n\n\
         Budget per channel, 10000.00 USD a week, from the configured start:\n  \
         paid: 10000.00 USD (unchanged; no data)\n\nNo budget change waits for approval.\n"
    );
}
