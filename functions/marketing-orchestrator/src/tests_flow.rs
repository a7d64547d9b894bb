//! The weekly loop with Marketing Analytics in the same twin: spend, touches and a won deal
//! measured into `ChannelReturnsMeasured`, the Orchestrator's plan approved by finance, and
//! the campaign over its target cost per acquisition alerted.

use super::*;
use ascent_core::catalog::{DealClosedWon, LeadCreated, MarketingSpendRecorded, TouchRecorded};
use marketing_analytics::MarketingAnalytics;

const OPS: &str = "ops.lead@boreal-aero.example";

fn spend(
    t: &TestTwin,
    id: &str,
    channel: MarketingChannel,
    campaign: Option<&str>,
    minor: i64,
    on: &str,
) {
    t.emit(
        "ascent.finance",
        MarketingSpendRecorded {
            spend_id: id.into(),
            channel,
            campaign_id: campaign.map(str::to_string),
            amount: Money::usd(minor),
            spent_on: day(on),
        },
    );
}

fn touch(t: &TestTwin, id: &str, channel: MarketingChannel, campaign: Option<&str>, when: &str) {
    t.emit(
        "ascent.web",
        TouchRecorded {
            touch_id: id.into(),
            email: OPS.into(),
            channel,
            campaign_id: campaign.map(str::to_string),
            occurred_at: at(when),
        },
    );
}

#[test]
fn measured_returns_reallocate_the_budget_with_finance_s_approval_and_alert_a_costly_campaign() {
    let t = TestTwin::new(
        vec![
            Arc::new(MarketingAnalytics::default()),
            Arc::new(MarketingOrchestrator::default()),
        ],
        at("2026-02-16T09:00:00Z"),
    );
    // Given the ads campaign C-ADS with a target of 10,000.00 per new customer,
    let mut ads = planned("C-ADS", Some(1_000_000));
    ads.budgets.remove(0);
    t.emit("ascent.crm", ads);
    t.emit("ascent.marketing", launched("C-ADS", "paid"));
    // 5,000.00 spent on a webinar and 8,000.00 on C-ADS, and lead L2's deal of 21,200.00 won
    // after the webinar and an ad click (position based, two touches: half each).
    t.emit(
        "ascent.crm",
        LeadCreated {
            lead_id: "L2".into(),
            email: OPS.into(),
            full_name: "Maya Lindqvist".into(),
            company: "Boreal Aero".into(),
            company_size: 800,
            industry: "aerospace".into(),
            role: "Head of Training".into(),
            country: Some("US".into()),
            channel: "web".into(),
            phone: None,
            time_zone: None,
        },
    );
    spend(&t, "S1", Webinar, None, 500_000, "2026-02-20");
    spend(&t, "S2", Paid, Some("C-ADS"), 800_000, "2026-03-03");
    touch(&t, "ga-1", Webinar, None, "2026-02-20T15:00:00Z");
    touch(&t, "ga-2", Paid, Some("C-ADS"), "2026-02-27T09:00:00Z");
    t.clock.set(at("2026-03-04T10:00:00Z"));
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D2".into(),
            account_id: "A2".into(),
            owner: "ava.rep@ascent-xr.example".into(),
            amount: Money::usd(2_120_000),
            proposal_id: None,
            reason: None,
            lead_id: Some("L2".into()),
        },
    );
    // When Marketing Analytics reports on Monday 2026-03-09,
    t.tick("daily", at("2026-03-09T06:00:00Z"));
    // then C-ADS cost 8,000.00 for half a customer: 16,000.00, above its 10,000.00.
    let a = alerts(&t);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].metric, "campaign.C-ADS.cpa");
    assert_eq!((a[0].value, a[0].threshold), (16000.0, 10000.0));
    // Webinar returns 2.12 and paid 1.325: both fill to their caps (8 and 11 steps), the
    // last 7,000.00 go to email (to its cap) and social in channel order. Paid rises by
    // 6,000.00, so finance decides first.
    assert!(reallocations(&t).is_empty());
    t.decide_from_mail(CONTROLLER, Decision::Approve, None)
        .unwrap();
    let r = reallocations(&t);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].period, day("2026-03-09"));
    let got: allocation::Allocation = r[0]
        .allocations
        .iter()
        .map(|a| (a.channel, a.budget.amount_minor))
        .collect();
    assert_eq!(got, by_hand());
    let webinar = r[0]
        .allocations
        .iter()
        .find(|a| a.channel == Webinar)
        .unwrap();
    assert_eq!(webinar.return_per_unit, Some(2.12));
    assert!(dead_reasons(&t).is_empty(), "{:?}", dead_reasons(&t));
}
