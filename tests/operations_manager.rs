//! The Operations Manager among every agent of the twin: a support ticket whose first response
//! misses the shipped 60-minute target is escalated to its owner once, however many SLA checks
//! run, and the next morning's operations report shows the breach.

use ascent_core::catalog::{Payload, TicketOpened, TicketResponded};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, Utc};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn a_missed_first_response_is_escalated_once_and_reported() {
    let t = TestTwin::new(ascent::agents::all(), at("2026-03-02T09:00:00Z"));
    // Given a ticket opened at 09:00 on Monday that nobody answers for 80 minutes.
    t.emit(
        "ascent.support",
        TicketOpened {
            ticket_id: "T-501".into(),
            account_id: "A-100".into(),
            subject: "Cannot pair the headsets".into(),
            body: "None of our 20 headsets pairs since this morning's update.".into(),
            channel: "email".into(),
            requester: Some("it@northwind.example".into()),
            created_at: Some(at("2026-03-02T09:00:00Z")),
        },
    );
    // When the SLA check runs every five minutes until 10:15.
    let mut check = at("2026-03-02T09:05:00Z");
    while check <= at("2026-03-02T10:15:00Z") {
        t.tick("sla", check);
        check += Duration::minutes(5);
    }
    t.clock.set(at("2026-03-02T10:20:00Z"));
    t.emit(
        "ascent.support",
        TicketResponded {
            ticket_id: "T-501".into(),
            account_id: "A-100".into(),
            responder: "sam@ascent-xr.example".into(),
            responded_at: at("2026-03-02T10:20:00Z"),
        },
    );
    t.tick("sla", at("2026-03-02T10:25:00Z"));
    // Then one breach raised, at the 10:00 check (60 minutes open), and one mail to its owner.
    let breaches: Vec<_> = t
        .emitted("ThresholdCrossed")
        .into_iter()
        .filter_map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) if x.metric.starts_with("sla.") => Some(x.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0].metric, "sla.ticket_first_response:T-501");
    assert_eq!((breaches[0].value, breaches[0].threshold), (60.0, 60.0));
    let mails = t.runtime.mails().unwrap();
    let escalations: Vec<_> = mails
        .iter()
        .filter(|m| {
            m.subject
                .starts_with("SLA breach: ticket first response of T-501")
        })
        .collect();
    assert_eq!(escalations.len(), 1);
    assert_eq!(escalations[0].to, "support.lead@ascent-xr.example");
    // And the next morning's report shows it: 80 minutes, one breach.
    t.tick("daily", at("2026-03-03T09:00:00Z"));
    let mails = t.runtime.mails().unwrap();
    let report = mails
        .iter()
        .find(|m| m.subject.starts_with("Operations report 2026-03-02"))
        .expect("the operations report");
    assert_eq!(report.to, "operations@ascent-xr.example");
    assert!(
        report.subject.contains("1 SLA breach(es)"),
        "{}",
        report.subject
    );
    assert!(
        report.text.contains(
            "- ticket first response: target 60 min; 1 completed; median 80.0 min; p90 80.0 min; 1 breach(es)"
        ),
        "{}",
        report.text
    );
}
