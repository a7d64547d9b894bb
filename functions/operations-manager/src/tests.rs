//! Operations Manager tests through an in-memory twin: given events, when the SLA check or the
//! daily run fires, then the breaches, crossings, records and mails.

use super::*;
use crate::clocks::{CAPACITY_PK, day_pk};
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, ApprovalRequested, DealClosedLost, DealClosedWon, Direction,
    InvoiceIssued, LeadCreated, OutreachChannel, OutreachStepTaken, QueueDepthObserved,
    ThresholdCrossed, TicketOpened, TicketResolved, TicketResponded,
};
use ascent_core::money::Money;
use ascent_core::ports::DataLake;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[path = "tests_kpis.rs"]
mod kpis;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn twin_with(config: OperationsConfig, start: &str) -> TestTwin {
    TestTwin::new(vec![Arc::new(OperationsManager::new(config))], at(start))
}

fn twin(start: &str) -> TestTwin {
    twin_with(OperationsConfig::default(), start)
}

fn crossed(t: &TestTwin) -> Vec<ThresholdCrossed> {
    t.emitted("ThresholdCrossed")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) => Some(x.clone()),
            _ => None,
        })
        .collect()
}

fn mails_to(t: &TestTwin, to: &str) -> Vec<ascent_core::ports::Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect()
}

/// The daily reports mailed to operations.
fn reports(t: &TestTwin) -> Vec<ascent_core::ports::Mail> {
    mails_to(t, "operations@ascent-xr.example")
        .into_iter()
        .filter(|m| m.subject.starts_with("Operations report"))
        .collect()
}

fn opened(t: &TestTwin, ticket: &str, when: &str) {
    t.clock.set(at(when));
    t.emit(
        "ascent.support",
        TicketOpened {
            ticket_id: ticket.into(),
            account_id: "A-100".into(),
            subject: "Headset firmware update fails".into(),
            body: "The update stops at 80% on every headset.".into(),
            channel: "email".into(),
            requester: Some("it@northwind.example".into()),
            created_at: Some(at(when)),
        },
    );
}

fn responded(t: &TestTwin, ticket: &str, when: &str) {
    t.clock.set(at(when));
    t.emit(
        "ascent.support",
        TicketResponded {
            ticket_id: ticket.into(),
            account_id: "A-100".into(),
            responder: "sam@ascent-xr.example".into(),
            responded_at: at(when),
        },
    );
}

fn resolved(t: &TestTwin, ticket: &str) {
    t.emit(
        "ascent.support",
        TicketResolved {
            ticket_id: ticket.into(),
            account_id: "A-100".into(),
            resolution: "firmware 4.2 fixes it".into(),
        },
    );
}

fn figures(t: &TestTwin, day: &str, p: Process) -> serde_json::Value {
    t.get(
        Domain::Performance,
        &day_pk(day.parse().unwrap()),
        &format!("sla#{}", p.as_str()),
    )
    .unwrap_or_else(|| panic!("figures of {day} for {p:?}"))
}

#[test]
fn a_ticket_first_response_that_misses_its_target_is_reported_and_escalated_once() {
    // Given two tickets: T-1 opened 09:00, T-2 opened 09:10 and answered at 09:40.
    let t = twin("2026-03-02T09:00:00Z");
    opened(&t, "T-1", "2026-03-02T09:00:00Z");
    opened(&t, "T-2", "2026-03-02T09:10:00Z");
    responded(&t, "T-2", "2026-03-02T09:40:00Z");
    // When the SLA check runs before T-1's deadline (10:00): nothing.
    t.tick("sla", at("2026-03-02T09:55:00Z"));
    assert!(crossed(&t).is_empty());
    // When it runs at 10:00: T-1 has had no answer for 60 minutes, its target.
    t.tick("sla", at("2026-03-02T10:00:00Z"));
    // Then one ThresholdCrossed and one mail to the process owner.
    let c = crossed(&t);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].metric, "sla.ticket_first_response:T-1");
    assert_eq!((c[0].value, c[0].threshold), (60.0, 60.0));
    assert_eq!(c[0].direction, Direction::Above);
    let owner = mails_to(&t, "support.lead@ascent-xr.example");
    assert_eq!(owner.len(), 1);
    assert_eq!(
        owner[0].subject,
        "SLA breach: ticket first response of T-1 (60 min, target 60 min)"
    );
    // And later checks, the late answer (10:20) and a repeated opening raise nothing more.
    t.tick("sla", at("2026-03-02T10:05:00Z"));
    responded(&t, "T-1", "2026-03-02T10:20:00Z");
    opened(&t, "T-1", "2026-03-02T10:25:00Z");
    t.tick("sla", at("2026-03-02T10:30:00Z"));
    assert_eq!(crossed(&t).len(), 1);
    assert_eq!(mails_to(&t, "support.lead@ascent-xr.example").len(), 1);
    // The day's figures: 80 and 30 minutes; the median is the 1st of 2 (30), p90 the 2nd (80).
    let f = figures(&t, "2026-03-02", Process::TicketFirstResponse);
    assert_eq!(
        (f["count"].as_u64(), f["breaches"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(f["durations_s"], serde_json::json!([1800, 4800]));
    assert_eq!(
        (f["median_seconds"].as_i64(), f["p90_seconds"].as_i64()),
        (Some(1800), Some(4800))
    );
    // The completed clocks are forgotten 90 days after their end; none runs any more.
    let expiry = |ticket: &str| {
        let pk = clocks::clock_pk(Process::TicketFirstResponse, ticket);
        futures::executor::block_on(t.runtime.store().get(Domain::Performance, &pk, "clock"))
            .unwrap()
            .unwrap()
            .expires_at
    };
    assert_eq!(expiry("T-1"), Some(at("2026-05-31T10:20:00Z").timestamp()));
    assert_eq!(expiry("T-2"), Some(at("2026-05-31T09:40:00Z").timestamp()));
    assert!(
        t.query_index(Domain::Performance, clocks::DUE_INDEX)
            .is_empty()
    );
    // When the daily run fires the next morning, the report shows the breach.
    t.tick("daily", at("2026-03-03T09:00:00Z"));
    let mailed = reports(&t);
    assert_eq!(mailed.len(), 1, "{mailed:?}");
    assert!(
        mailed[0]
            .subject
            .starts_with("Operations report 2026-03-02: 1 SLA breach(es)"),
        "{}",
        mailed[0].subject
    );
    assert!(
        mailed[0].text.contains(
            "- ticket first response: target 60 min; 2 completed; median 30.0 min; p90 80.0 min; 1 breach(es)"
        ),
        "{}",
        mailed[0].text
    );
    let kept = t
        .get(
            Domain::Performance,
            &daily::report_pk(at("2026-03-02T00:00:00Z").date_naive()),
            "report",
        )
        .expect("the report is kept");
    assert_eq!(kept["sla"][1]["breaches"], 1);
    // A second daily tick for the same day reports nothing again.
    t.tick("daily", at("2026-03-03T09:30:00Z"));
    assert_eq!(reports(&t).len(), 1);
}

fn approval(t: &TestTwin, step: u32, approver: &str) {
    t.emit(
        "ascent.approvals",
        ApprovalRequested {
            approval_id: "AP-7".into(),
            kind: "discount".into(),
            subject: "D-42".into(),
            summary: "20% discount on deal D-42".into(),
            amount: Some(Money::usd(1_060_000)),
            requester: "closing".into(),
            approver: approver.into(),
            step,
            deadline: t.now() + chrono::Duration::hours(48),
        },
    );
}

#[test]
fn lead_response_invoice_issue_and_approval_turnaround_are_measured_from_their_events() {
    let t = twin("2026-03-02T09:00:00Z");
    // Lead L-1 created 09:00; a skipped call step at 09:10 reaches nobody; the email at 10:30.
    t.emit(
        "ascent.crm",
        LeadCreated {
            lead_id: "L-1".into(),
            email: "amy@northwind.example".into(),
            full_name: "Amy Chen".into(),
            company: "Northwind".into(),
            company_size: 400,
            industry: "manufacturing".into(),
            role: "VP Training".into(),
            country: Some("US".into()),
            channel: "web".into(),
            phone: None,
            time_zone: None,
        },
    );
    let step = |outcome, n| OutreachStepTaken {
        lead_id: "L-1".into(),
        sequence: "default".into(),
        step: n,
        channel: OutreachChannel::Email,
        outcome,
        rep: "rep@ascent-xr.example".into(),
        summary: "Training in XR".into(),
        window_start: None,
        window_end: None,
        note: None,
        written_by: None,
    };
    t.clock.set(at("2026-03-02T09:10:00Z"));
    t.emit("ascent.agent.outreach", step(StepOutcome::Skipped, 1));
    t.clock.set(at("2026-03-02T10:30:00Z"));
    t.emit("ascent.agent.outreach", step(StepOutcome::Sent, 2));
    t.clock.set(at("2026-03-02T11:00:00Z"));
    t.emit("ascent.agent.outreach", step(StepOutcome::Sent, 3));
    // Deal D-42 won 09:00 on day two, invoiced 09:02.
    t.clock.set(at("2026-03-03T09:00:00Z"));
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D-42".into(),
            account_id: "A-100".into(),
            owner: "rep@ascent-xr.example".into(),
            amount: Money::usd(4_240_000),
            proposal_id: None,
            reason: None,
            lead_id: Some("L-1".into()),
        },
    );
    t.clock.set(at("2026-03-03T09:02:00Z"));
    let d = |s: &str| s.parse().unwrap();
    t.emit(
        "ascent.agent.billing",
        InvoiceIssued {
            invoice_id: "inv-D-42".into(),
            account_id: "A-100".into(),
            deal_id: Some("D-42".into()),
            lines: vec![],
            subtotal: Money::usd(4_240_000),
            tax: Money::usd(0),
            total: Money::usd(4_240_000),
            issued_on: d("2026-03-03"),
            due_on: d("2026-04-02"),
            payment_terms_days: 30,
            reverse_charge_note: None,
            seller_vat_id: None,
            customer_vat_id: None,
            tax_exemption_id: None,
        },
    );
    // Approval AP-7 asked 09:02, escalated to a second approver at 11:00, decided 12:02.
    approval(&t, 0, "director@ascent-xr.example");
    t.clock.set(at("2026-03-03T11:00:00Z"));
    approval(&t, 1, "cfo@ascent-xr.example");
    t.clock.set(at("2026-03-03T12:02:00Z"));
    t.emit(
        "ascent.approvals",
        ApprovalDecided {
            approval_id: "AP-7".into(),
            kind: "discount".into(),
            subject: "D-42".into(),
            requested_by_agent: "closing".into(),
            amount: None,
            outcome: ApprovalOutcome::Approved,
            decided_by: Some("cfo@ascent-xr.example".into()),
            comment: None,
            requester: "closing".into(),
        },
    );
    // Then: 90 minutes to the first touch, 2 to the invoice, 180 to the decision; no breach.
    let lead = figures(&t, "2026-03-02", Process::LeadResponse);
    assert_eq!(lead["durations_s"], serde_json::json!([5400]));
    let invoice = figures(&t, "2026-03-03", Process::InvoiceIssue);
    assert_eq!(invoice["durations_s"], serde_json::json!([120]));
    let approval = figures(&t, "2026-03-03", Process::ApprovalTurnaround);
    assert_eq!(approval["durations_s"], serde_json::json!([10_800]));
    t.tick("sla", at("2026-03-06T12:00:00Z"));
    assert!(crossed(&t).is_empty(), "{:?}", crossed(&t));
    // The day counts: one lead on the 2nd, one won deal on the 3rd.
    let counts = |day: &str| {
        t.get(Domain::Performance, &day_pk(day.parse().unwrap()), "counts")
            .unwrap()
    };
    assert_eq!(counts("2026-03-02")["leads"], 1);
    assert_eq!(counts("2026-03-03")["won"], 1);
}

#[test]
fn each_sla_check_escalates_a_bounded_page_and_the_next_takes_the_rest() {
    let config = OperationsConfig {
        breaches_per_run: 3,
        ..Default::default()
    };
    let t = twin_with(config, "2026-03-02T09:00:00Z");
    for i in 1..=5 {
        opened(&t, &format!("T-{i}"), &format!("2026-03-02T09:0{i}:00Z"));
    }
    t.tick("sla", at("2026-03-02T11:00:00Z"));
    let first: Vec<String> = crossed(&t).into_iter().map(|c| c.metric).collect();
    // The three due first (earliest deadline first).
    assert_eq!(
        first,
        [
            "sla.ticket_first_response:T-1",
            "sla.ticket_first_response:T-2",
            "sla.ticket_first_response:T-3"
        ]
    );
    t.tick("sla", at("2026-03-02T11:05:00Z"));
    assert_eq!(crossed(&t).len(), 5);
    t.tick("sla", at("2026-03-02T11:10:00Z"));
    assert_eq!(crossed(&t).len(), 5);
    assert_eq!(
        figures(&t, "2026-03-02", Process::TicketFirstResponse)["breaches"],
        5
    );
}

#[test]
fn queue_observations_recommend_concurrency_and_the_report_shows_it() {
    let t = twin("2026-03-02T09:05:00Z");
    let seen = |depth, arrived, when: &str, window_seconds| QueueDepthObserved {
        agent: "support".into(),
        depth,
        arrived,
        handled: arrived,
        mean_handling_ms: 500.0,
        window_seconds,
        observed_at: at(when),
    };
    // 6/s arriving and 900 waiting (1/s over 15 minutes) at 0.5 s each, 70% busy: 5.
    t.emit(
        "ascent.system",
        seen(900, 1800, "2026-03-02T09:05:00Z", 300),
    );
    let kept = t.get(Domain::Performance, CAPACITY_PK, "support").unwrap();
    assert_eq!(
        (kept["recommended"].as_u64(), kept["busy_workers"].as_f64()),
        (Some(5), Some(3.5))
    );
    // An older observation delivered late changes nothing.
    t.emit(
        "ascent.system",
        seen(0, 30_000, "2026-03-02T09:00:00Z", 300),
    );
    let kept = t.get(Domain::Performance, CAPACITY_PK, "support").unwrap();
    assert_eq!(kept["recommended"], 5);
    // A bad one is dead-lettered naming its field.
    t.emit("ascent.system", seen(1, 1, "2026-03-02T09:10:00Z", 0));
    let dl = t.runtime.dead_letters().unwrap();
    assert_eq!(dl.len(), 1);
    assert!(dl[0].reason.contains("window_seconds"), "{dl:?}");
    t.tick("daily", at("2026-03-03T09:00:00Z"));
    let report = &reports(&t)[0];
    assert!(
        report
            .text
            .contains("- support: 5 (3.50 busy workers, 900 waiting; applied on AWS: none)"),
        "{}",
        report.text
    );
}

#[test]
fn events_without_their_correlating_id_are_dead_lettered_naming_the_field() {
    let t = twin("2026-03-02T09:00:00Z");
    opened(&t, " ", "2026-03-02T09:00:00Z");
    t.emit(
        "ascent.crm",
        DealClosedLost {
            deal_id: "".into(),
            account_id: "A-100".into(),
            owner: "rep@ascent-xr.example".into(),
            reason: "budget".into(),
            lead_id: None,
        },
    );
    responded(&t, &"T".repeat(300), "2026-03-02T09:30:00Z");
    let dl = t.runtime.dead_letters().unwrap();
    assert_eq!(dl.len(), 3, "{dl:?}");
    assert!(
        dl[2]
            .reason
            .contains("field `ticket_id` is 300 bytes long, above 256"),
        "{dl:?}"
    );
    assert!(
        dl[0].reason.contains("field `ticket_id` is empty"),
        "{dl:?}"
    );
    assert!(dl[1].reason.contains("field `deal_id` is empty"), "{dl:?}");
    // Nothing was kept for them.
    assert!(
        t.query_index(Domain::Performance, clocks::DUE_INDEX)
            .is_empty()
    );
}

/// A ticket opened long before Ascent hears of it (a backfill, a replay): its clock breaches at
/// once, and its first response, coming after the clock's keep time counted from the deadline,
/// still finds the clock (kept `clock_keep_days` from when it is written) — it used to expire
/// on being written, so the answer found nothing, tried to create the clock anew and was
/// dead-lettered on the write's condition.
#[test]
fn an_old_ticket_answered_today_completes_its_breached_clock() {
    // Given a ticket created 1 March, heard of on 5 December (target 60 minutes, kept 90 days).
    let t = twin("2026-12-05T09:00:00Z");
    t.emit(
        "ascent.support",
        TicketOpened {
            ticket_id: "T-OLD".into(),
            account_id: "A-100".into(),
            subject: "Headset firmware update fails".into(),
            body: "The update stops at 80% on every headset.".into(),
            channel: "email".into(),
            requester: Some("it@northwind.example".into()),
            created_at: Some(at("2026-03-01T09:00:00Z")),
        },
    );
    // When the SLA check flags it (due 1 March 10:00: 90 days on is 30 May, long past) and the
    // answer comes the same morning.
    t.tick("sla", at("2026-12-05T09:05:00Z"));
    assert_eq!(crossed(&t).len(), 1);
    responded(&t, "T-OLD", "2026-12-05T09:30:00Z");
    // Then nothing is dead-lettered, and the clock ended, kept 90 days from today.
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    let pk = clocks::clock_pk(Process::TicketFirstResponse, "T-OLD");
    let clock =
        futures::executor::block_on(t.runtime.store().get(Domain::Performance, &pk, "clock"))
            .unwrap()
            .unwrap();
    assert!(clock.data["ended_at"].is_string(), "{:?}", clock.data);
    assert_eq!(
        clock.expires_at,
        Some(at("2027-03-05T09:30:00Z").timestamp())
    );
}
