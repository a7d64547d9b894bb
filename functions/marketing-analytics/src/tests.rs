//! Marketing Analytics through an in-memory twin: touches, won deals, sign-ups, spend, the
//! weekly report, and bad input.

use super::*;
use ascent_core::catalog::{
    AttributionModel, ChannelReturnsMeasured, LeadCreated, MarketingChannel as Ch,
    OutreachStepTaken, TouchRecorded,
};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use ledger::ONE_CUSTOMER;
use std::sync::Arc;

#[path = "tests_report.rs"]
mod report;
#[path = "tests_touches.rs"]
mod touches;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn twin(start: &str) -> TestTwin {
    TestTwin::new(vec![Arc::new(MarketingAnalytics::default())], at(start))
}

fn lead(t: &TestTwin, id: &str, email: &str) {
    t.emit(
        "ascent.crm",
        LeadCreated {
            lead_id: id.into(),
            email: email.into(),
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
}

fn touch(t: &TestTwin, id: &str, email: &str, channel: Ch, campaign: Option<&str>, when: &str) {
    t.emit(
        "ascent.web",
        TouchRecorded {
            touch_id: id.into(),
            email: email.into(),
            channel,
            campaign_id: campaign.map(str::to_string),
            occurred_at: at(when),
        },
    );
}

fn outreach_email(t: &TestTwin, lead: &str, step: u32, when: &str) {
    t.clock.set(at(when));
    t.emit(
        "ascent.agent.outreach",
        OutreachStepTaken {
            lead_id: lead.into(),
            sequence: "standard".into(),
            step,
            channel: OutreachChannel::Email,
            outcome: StepOutcome::Sent,
            rep: "ava.rep@ascent-xr.example".into(),
            summary: "XR training for your MRO technicians".into(),
            window_start: None,
            window_end: None,
            note: None,
            written_by: Some("template".into()),
        },
    );
}

fn won(t: &TestTwin, deal: &str, account: &str, lead: Option<&str>, amount: Money, when: &str) {
    t.clock.set(at(when));
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: deal.into(),
            account_id: account.into(),
            owner: "ava.rep@ascent-xr.example".into(),
            amount,
            proposal_id: None,
            reason: None,
            lead_id: lead.map(str::to_string),
        },
    );
}

fn spend(t: &TestTwin, id: &str, channel: Ch, campaign: Option<&str>, amount: Money, on: &str) {
    t.emit(
        "ascent.finance",
        MarketingSpendRecorded {
            spend_id: id.into(),
            channel,
            campaign_id: campaign.map(str::to_string),
            amount,
            spent_on: on.parse().unwrap(),
        },
    );
}

fn day(t: &TestTwin, d: &str) -> DayLedger {
    serde_json::from_value(
        t.get(Domain::Performance, DAYS_PK, d)
            .expect("a day ledger"),
    )
    .unwrap()
}

fn dead_letters(t: &TestTwin) -> Vec<String> {
    t.runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect()
}

const MAYA: &str = "maya.lindqvist@boreal-aero.example";

#[test]
fn a_won_deal_is_credited_to_its_lead_s_touches_under_every_model_once() {
    // Given lead L1 found us by organic search, came to webinar W1, got Outreach's first
    // email and clicked an ad of C-ADS; a touch after the win does not count.
    let t = twin("2026-01-01T09:00:00Z");
    lead(&t, "L1", "Maya.Lindqvist@Boreal-Aero.example");
    touch(&t, "ga-1", MAYA, Ch::Search, None, "2026-01-05T10:00:00Z");
    touch(
        &t,
        "ga-2",
        MAYA,
        Ch::Webinar,
        Some("W1"),
        "2026-01-19T10:00:00Z",
    );
    outreach_email(&t, "L1", 1, "2026-02-02T10:00:00Z");
    touch(
        &t,
        "ga-3",
        MAYA,
        Ch::Paid,
        Some("C-ADS"),
        "2026-02-09T10:00:00Z",
    );
    touch(&t, "ga-4", MAYA, Ch::Social, None, "2026-02-20T10:00:00Z");
    // When its deal of 12,345.67 is won on 2026-02-14
    won(
        &t,
        "D1",
        "A1",
        Some("L1"),
        Money::usd(1_234_567),
        "2026-02-14T16:00:00Z",
    );
    // Then (first, last, linear, time decay, position based), by channel:
    // linear 308,641.75 each, the 3 cents to the earliest; position based 40/10/10/40;
    // time decay: ages before the last touch 35, 21, 7 and 0 days = 1, 4, 16, 32 of 53.
    let l = day(&t, "2026-02-14");
    assert_eq!(
        l.channels[&Ch::Search].revenue,
        [1_234_567, 0, 308_642, 23_294, 493_827]
    );
    assert_eq!(
        l.channels[&Ch::Webinar].revenue,
        [0, 0, 308_642, 93_175, 123_457]
    );
    assert_eq!(
        l.channels[&Ch::Email].revenue,
        [0, 0, 308_642, 372_699, 123_456]
    );
    assert_eq!(
        l.channels[&Ch::Paid].revenue,
        [0, 1_234_567, 308_641, 745_399, 493_827]
    );
    assert!(!l.channels.contains_key(&Ch::Social), "after the win");
    assert_eq!(l.campaigns["standard"].channel, Ch::Email);
    assert_eq!(l.campaigns["C-ADS"].tally.revenue[4], 493_827);
    // One new customer: 40% to search under position based.
    assert_eq!(l.channels[&Ch::Search].customers[4], 4_000);
    // When the CRM sends the same win again, nothing is credited twice.
    won(
        &t,
        "D1",
        "A1",
        Some("L1"),
        Money::usd(1_234_567),
        "2026-02-14T16:05:00Z",
    );
    assert_eq!(day(&t, "2026-02-14"), l);
    assert!(dead_letters(&t).is_empty(), "{:?}", dead_letters(&t));
}

#[test]
fn a_sign_up_of_a_touched_contact_counts_its_customer_once_and_its_deal_adds_revenue() {
    let t = twin("2026-03-01T09:00:00Z");
    let ops = "ops@kestrel-rail.example";
    touch(
        &t,
        "ga-1",
        ops,
        Ch::Content,
        Some("guide-mro"),
        "2026-03-02T10:00:00Z",
    );
    t.clock.set(at("2026-03-05T10:00:00Z"));
    t.emit(
        "ascent.platform",
        CustomerSignedUp {
            account_id: "A7".into(),
            company: "Kestrel Rail".into(),
            plan: "starter".into(),
            seats: 5,
            tax_region: "US-CA".into(),
            billing_email: ops.into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    let l = day(&t, "2026-03-05");
    assert_eq!(l.channels[&Ch::Content].customers, [ONE_CUSTOMER; 5]);
    assert_eq!(l.channels[&Ch::Content].revenue, [0; 5]);
    // Its deal (no lead) later: the revenue is unattributed, the customer not counted again.
    won(
        &t,
        "D7",
        "A7",
        None,
        Money::usd(480_000),
        "2026-03-06T10:00:00Z",
    );
    let l = day(&t, "2026-03-06");
    assert_eq!(
        (l.unattributed_revenue, l.unattributed_customers),
        (480_000, 0)
    );
    // A sign-up without touches counts nobody (its deal will).
    t.emit(
        "ascent.platform",
        CustomerSignedUp {
            account_id: "A8".into(),
            billing_email: "ap@osprey.example".into(),
            company: "Osprey".into(),
            plan: "team".into(),
            seats: 20,
            tax_region: "US-CA".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    won(
        &t,
        "D8",
        "A8",
        None,
        Money::usd(1_000_000),
        "2026-03-06T11:00:00Z",
    );
    let l = day(&t, "2026-03-06");
    assert_eq!(
        (l.unattributed_revenue, l.unattributed_customers),
        (1_480_000, ONE_CUSTOMER)
    );
}

#[test]
fn spend_in_another_currency_is_converted_on_its_day() {
    // EUR 1,000.00 at the shipped 1.08 from 2026-01-01, and at 1.04 in 2025.
    let t = twin("2026-03-01T09:00:00Z");
    spend(
        &t,
        "S1",
        Ch::Event,
        None,
        Money::new(100_000, "EUR"),
        "2026-03-03",
    );
    spend(
        &t,
        "S0",
        Ch::Event,
        None,
        Money::new(100_000, "EUR"),
        "2025-12-15",
    );
    assert_eq!(day(&t, "2026-03-03").channels[&Ch::Event].spend, 108_000);
    assert_eq!(day(&t, "2025-12-15").channels[&Ch::Event].spend, 104_000);
}

#[test]
fn bad_input_is_dead_lettered_naming_the_field() {
    let t = twin("2026-03-01T09:00:00Z");
    touch(
        &t,
        "ga-1",
        "not-an-address",
        Ch::Paid,
        None,
        "2026-03-01T08:00:00Z",
    );
    touch(
        &t,
        "ga-2",
        MAYA,
        Ch::Paid,
        Some(" "),
        "2026-03-01T08:00:00Z",
    );
    spend(&t, "S1", Ch::Paid, None, Money::usd(-5_000), "2026-03-01");
    spend(
        &t,
        "S2",
        Ch::Paid,
        None,
        Money::new(5_000, "SEK"),
        "2026-03-01",
    );
    won(
        &t,
        "D1",
        "A1",
        None,
        Money::new(5_000, "SEK"),
        "2026-03-01T10:00:00Z",
    );
    let reasons = dead_letters(&t);
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(
        reasons[0].contains("email: `not-an-address`"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("campaign_id"), "{reasons:?}");
    assert!(
        reasons[2].contains("amount") && reasons[2].contains("negative"),
        "{reasons:?}"
    );
    assert!(
        reasons[3].contains("amount") && reasons[3].contains("SEK"),
        "{reasons:?}"
    );
    assert!(
        reasons[4].contains("amount: currency SEK is not accepted"),
        "{reasons:?}"
    );
    assert!(t.get(Domain::Performance, DAYS_PK, "2026-03-01").is_none());
}
