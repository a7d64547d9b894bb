//! Operations Analytics tests through an in-memory twin: given the business's events, when the
//! weekly report runs, then the series, forecasts, bands and cohorts are the expected ones.

use super::*;
use ascent_core::catalog::{
    AccountChurned, CustomerSignedUp, DealClosedLost, DealClosedWon, DealStage, DealStageChanged,
    ForecastPublished, InvoicePaid, ProposalSent, TicketOpened,
};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[path = "tests_cohorts.rs"]
mod cohort_flows;

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(crate) fn twin(start: &str) -> TestTwin {
    TestTwin::new(vec![Arc::new(OperationsAnalytics::default())], at(start))
}

pub(crate) fn paid(invoice: &str, minor: i64, currency: &str, on: NaiveDate) -> InvoicePaid {
    InvoicePaid {
        invoice_id: invoice.into(),
        account_id: "A-1001".into(),
        total: Money::new(minor, currency),
        paid_on: on,
    }
}

fn opened(ticket: &str) -> TicketOpened {
    TicketOpened {
        ticket_id: ticket.into(),
        account_id: "A-1001".into(),
        subject: "Headset does not pair".into(),
        body: "Since the update the Quest headsets in bay 3 do not pair.".into(),
        channel: "email".into(),
        requester: Some("it@customer.example".into()),
        created_at: None,
    }
}

fn stage(deal: &str, to: DealStage, minor: Option<i64>) -> DealStageChanged {
    DealStageChanged {
        deal_id: deal.into(),
        account_id: format!("A-{deal}"),
        owner: "maya.chen@ascent-xr.example".into(),
        from_stage: None,
        to_stage: to,
        lines: vec![],
        requested_discount_pct: 0.0,
        currency: "USD".into(),
        amount: minor.map(Money::usd),
        expected_close: None,
        account_name: None,
        discount_reason: None,
    }
}

pub(crate) fn published(t: &TestTwin) -> Vec<ForecastPublished> {
    t.emitted("ForecastPublished")
        .iter()
        .map(|e| match e.payload() {
            Payload::ForecastPublished(f) => f.clone(),
            _ => unreachable!(),
        })
        .collect()
}

pub(crate) fn dead_letters(t: &TestTwin) -> Vec<String> {
    t.runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect()
}

fn point(t: &TestTwin, s: &str, day: &str) -> Option<i64> {
    t.get(
        Domain::Performance,
        &format!("ops-analytics#series#{s}"),
        day,
    )
    .map(|v| v["value"].as_i64().unwrap())
}

/// Revenue of day `t` (0 = Monday 2026-01-05) in cents: a weekly pattern on a rising line.
fn revenue(t: i64) -> i64 {
    let week = [120_000, 180_000, 210_000, 200_000, 260_000, 90_000, 40_000];
    1_000_000 + 5_000 * t + week[(t % 7) as usize]
}

/// Tickets opened on day `t`: weekdays busy, weekends quiet, the same every week.
fn tickets(t: i64) -> i64 {
    [9, 7, 6, 6, 5, 2, 1][(t % 7) as usize]
}

/// Given eight weeks of paid invoices and tickets following a weekly pattern (revenue on a
/// rising line), when Monday's report runs, then revenue and tickets are forecast exactly
/// with bands of zero width (the back-tested errors are all zero), the report is mailed,
/// kept and emitted once.
#[test]
fn eight_weeks_of_a_weekly_pattern_are_forecast_exactly_and_reported_once() {
    let t = twin("2026-01-05T10:00:00Z");
    let start = d("2026-01-05");
    for day in 0..56 {
        t.clock
            .set(at("2026-01-05T10:00:00Z") + Duration::days(day));
        let on = start + Duration::days(day);
        t.emit(
            "ascent.agent.billing",
            paid(&format!("inv-{day}"), revenue(day), "USD", on),
        );
        for n in 0..tickets(day) {
            t.emit("ascent.support", opened(&format!("T-{day}-{n}")));
        }
    }
    assert_eq!(point(&t, "revenue", "2026-01-05"), Some(1_120_000));
    assert_eq!(point(&t, "tickets", "2026-01-05"), Some(9));
    // The daily run at 06:00 UTC on Monday is Sunday evening in Los Angeles: no report.
    t.tick("daily", at("2026-03-02T06:00:00Z"));
    assert!(published(&t).is_empty());
    // Tuesday's run is Monday evening there: Monday's report, once.
    t.tick("daily", at("2026-03-03T06:00:00Z"));
    t.tick("daily", at("2026-03-03T06:30:00Z"));
    let reports = published(&t);
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r.as_of, d("2026-03-02"));
    let rev = &r.series[0];
    assert_eq!(
        (rev.series, rev.unit.as_str()),
        (OperationsSeries::Revenue, "USD")
    );
    assert_eq!(rev.history_days, 56);
    // 56 days, 28 ahead: origins 14..=28, 15 of them.
    assert_eq!(rev.backtest_origins, 15);
    assert_eq!(rev.trend_per_day, Some(50.0));
    assert_eq!(rev.note, None);
    assert_eq!(rev.points.len(), 28);
    for (h, p) in rev.points.iter().enumerate() {
        let expected = revenue(56 + h as i64) as f64 / 100.0;
        assert_eq!(p.value, expected, "day {}", p.day);
        assert_eq!(p.bands.len(), 2);
        assert!(
            p.bands
                .iter()
                .all(|b| b.lower == expected && b.upper == expected)
        );
    }
    // Monday 2026-03-02 is day 56: 10,000.00 + 50.00 × 56 + 1,200.00.
    assert_eq!(rev.points[0].value, 14_000.0);
    let tix = &r.series[2];
    assert_eq!(tix.points[0].value, 9.0);
    assert_eq!(tix.points[6].value, 1.0);
    assert_eq!((tix.last_7_days, tix.previous_7_days), (36.0, 36.0));
    // The report is kept under its day and mailed to operations.
    let kept = t
        .get(Domain::Performance, REPORTS_PK, "2026-03-02")
        .unwrap();
    assert_eq!(kept["series"][0]["points"][0]["value"], 14_000.0);
    let mails = t.runtime.mails().unwrap();
    let mail = mails
        .iter()
        .find(|m| m.subject.starts_with("Operations analytics"))
        .unwrap();
    assert_eq!(mail.to, "operations@ascent-xr.example");
    assert!(
        mail.text
            .contains("2026-03-02 Mon 14000.00   80%: 14000.00 to 14000.00"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Tickets opened per day [tickets]"));
    // The pipeline has no deals yet: said, not forecast.
    assert_eq!(
        r.series[1].note.as_deref(),
        Some("0 days of history; a forecast needs 14 (two seasons)")
    );
}

/// Given nine days of invoices, when the report runs, then revenue's forecast is refused for
/// too little history and the mail says so.
#[test]
fn too_little_history_is_said_not_forecast() {
    let t = twin("2026-02-20T10:00:00Z");
    for day in 0..9 {
        let on = d("2026-02-20") + Duration::days(day);
        t.clock
            .set(at("2026-02-20T10:00:00Z") + Duration::days(day));
        t.emit(
            "ascent.agent.billing",
            paid(&format!("inv-{day}"), 250_000, "USD", on),
        );
    }
    t.tick("daily", at("2026-03-03T06:00:00Z")); // Monday evening in Los Angeles
    let r = &published(&t)[0];
    // 2026-02-20 to 2026-03-01: 10 days (the last without revenue).
    assert_eq!(
        r.series[0].note.as_deref(),
        Some("10 days of history; a forecast needs 14 (two seasons)")
    );
    assert!(r.series[0].points.is_empty());
    // The last 7 days (02-23..03-01) had six payments of 2,500.00.
    assert_eq!(r.series[0].last_7_days, 15_000.0);
    let mail = &t.runtime.mails().unwrap()[0];
    assert!(
        mail.text
            .contains("10 days of history; a forecast needs 14 (two seasons).")
    );
}

/// Given an invoice paid in euros and sent twice (a resend under a new event id), and a ticket
/// sent twice, then each counts once, the euros at the rate of the day paid.
#[test]
fn a_resent_invoice_or_ticket_counts_once_and_foreign_money_is_converted() {
    let t = twin("2026-03-03T10:00:00Z");
    t.emit(
        "ascent.agent.billing",
        paid("inv-EU-7", 100_000, "EUR", d("2026-03-03")),
    );
    t.emit(
        "ascent.agent.billing",
        paid("inv-EU-7", 100_000, "EUR", d("2026-03-03")),
    );
    t.emit(
        "ascent.agent.billing",
        paid("inv-US-8", 50_000, "USD", d("2026-03-03")),
    );
    // EUR 1,000.00 at 1.08 (rates from 2026-01-01) is USD 1,080.00, plus USD 500.00.
    assert_eq!(point(&t, "revenue", "2026-03-03"), Some(158_000));
    // Paid in 2025: the history's rate of that day (1.04).
    t.emit(
        "ascent.agent.billing",
        paid("inv-EU-1", 100_000, "EUR", d("2025-12-30")),
    );
    assert_eq!(point(&t, "revenue", "2025-12-30"), Some(104_000));
    t.emit("ascent.support", opened("T-1"));
    t.emit("ascent.support", opened("T-1"));
    assert_eq!(point(&t, "tickets", "2026-03-03"), Some(1));
    assert!(dead_letters(&t).is_empty());
}

/// Given deals moving through their stages, then the open pipeline of each day is the value
/// of the deals neither won nor lost at its end.
#[test]
fn the_open_pipeline_follows_deals_through_their_stages() {
    let t = twin("2026-03-02T10:00:00Z");
    t.emit(
        "ascent.crm",
        stage("D1", DealStage::Proposal, Some(5_000_000)),
    );
    t.emit("ascent.crm", stage("D2", DealStage::Demo, Some(2_000_000)));
    t.emit("ascent.crm", stage("D3", DealStage::Qualification, None));
    assert_eq!(point(&t, "pipeline", "2026-03-02"), Some(7_000_000));
    t.clock.set(at("2026-03-04T10:00:00Z"));
    t.emit(
        "ascent.crm",
        stage("D1", DealStage::Negotiation, Some(4_240_000)),
    );
    assert_eq!(point(&t, "pipeline", "2026-03-04"), Some(6_240_000));
    // D3 came without an amount: its proposal of 10,000.00 (after discount) values it.
    t.emit(
        "ascent.agent.closing",
        ProposalSent {
            proposal_id: "prop-D3-1".into(),
            deal_id: "D3".into(),
            account_id: "A-D3".into(),
            lines: vec![],
            subtotal: Money::usd(1_250_000),
            discount_pct: 20.0,
            discount: Money::usd(250_000),
            total: Money::usd(1_000_000),
            approval_id: None,
            valid_until: d("2026-04-03"),
        },
    );
    assert_eq!(point(&t, "pipeline", "2026-03-04"), Some(7_240_000));
    t.clock.set(at("2026-03-05T10:00:00Z"));
    let won = DealClosedWon {
        deal_id: "D1".into(),
        account_id: "A-D1".into(),
        owner: "maya.chen@ascent-xr.example".into(),
        amount: Money::usd(4_240_000),
        proposal_id: None,
        reason: None,
        lead_id: None,
    };
    t.emit("ascent.crm", won.clone());
    t.emit("ascent.crm", won);
    t.emit(
        "ascent.crm",
        DealClosedLost {
            deal_id: "D2".into(),
            account_id: "A-D2".into(),
            owner: "maya.chen@ascent-xr.example".into(),
            reason: "budget".into(),
            lead_id: None,
        },
    );
    assert_eq!(point(&t, "pipeline", "2026-03-05"), Some(1_000_000));
    // The days before keep their levels; a day without changes has no record (carried on).
    assert_eq!(point(&t, "pipeline", "2026-03-02"), Some(7_000_000));
    assert_eq!(point(&t, "pipeline", "2026-03-03"), None);
    t.tick("daily", at("2026-03-10T06:00:00Z"));
    let p = &published(&t)[0].series[1];
    // Last day (03-08): D3's 10,000.00 carried on; seven days before (03-01) nothing yet.
    assert_eq!(
        (p.history_days, p.last_7_days, p.previous_7_days),
        (7, 10_000.0, 0.0)
    );
}

/// Given bad events, then each is dead-lettered with a reason naming its field.
#[test]
fn bad_events_are_dead_lettered_naming_the_field() {
    let t = twin("2026-03-03T10:00:00Z");
    t.emit(
        "ascent.agent.billing",
        paid("inv-1", 10_000, "SEK", d("2026-03-03")),
    );
    t.emit(
        "ascent.agent.billing",
        paid("inv-2", -10_000, "USD", d("2026-03-03")),
    );
    t.emit(
        "ascent.agent.billing",
        paid("inv-3", 10_000, "USD", d("2026-03-09")),
    );
    let mut future = opened("T-9");
    future.created_at = Some(at("2026-04-01T09:00:00Z"));
    t.emit("ascent.support", future);
    let mut deal = stage("D9", DealStage::Proposal, None);
    deal.currency = "SEK".into();
    deal.amount = Some(Money::new(100, "SEK"));
    t.emit("ascent.crm", deal);
    let reasons = dead_letters(&t);
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    for (reason, field) in reasons.iter().zip([
        "total:",
        "total:",
        "paid_on: 2026-03-09 is after the event's day",
        "created_at: 2026-04-01 is after the event's day",
        "amount:",
    ]) {
        assert!(reason.contains(field), "{reason} lacks {field}");
    }
    // Nothing of them was counted.
    assert_eq!(point(&t, "revenue", "2026-03-03"), None);
    assert_eq!(point(&t, "pipeline", "2026-03-03"), None);
}

/// A day's record expires the day after `history_days` have passed since it (364 shipped): the
/// series never holds more than its capped history.
#[test]
fn a_day_record_expires_after_the_history() {
    let history = OperationsAnalyticsConfig::default().history_days;
    assert_eq!(history, 364);
    // 2026-03-02 + 365 days = 2027-03-02, 00:00 UTC.
    assert_eq!(
        expiry(d("2026-03-02"), history),
        at("2027-03-02T00:00:00Z").timestamp()
    );
}

/// A ticket opened at 05:00 UTC on 2026-03-03 was opened at 21:00 on 2026-03-02 in the books'
/// time zone (America/Los_Angeles, shipped): it counts on 2026-03-02.
#[test]
fn days_are_the_books_days() {
    let t = twin("2026-03-03T05:30:00Z");
    let mut late = opened("T-LA-1");
    late.created_at = Some(at("2026-03-03T05:00:00Z"));
    t.emit("ascent.support", late);
    assert_eq!(point(&t, "tickets", "2026-03-02"), Some(1));
    assert_eq!(point(&t, "tickets", "2026-03-03"), None);
}
