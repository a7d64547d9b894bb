//! SLA clocks through the twin with a manual clock (issue 23): the desk's creation time, the
//! pause while pending on the customer, the warning at 80% of a target and a breach found
//! within minutes of its deadline.

use super::*;
use ascent_core::catalog::{TicketStatus, TicketStatusChanged};

fn breaches(t: &TestTwin) -> Vec<(SlaTimer, DateTime<Utc>, DateTime<Utc>)> {
    t.emitted("SlaBreached")
        .iter()
        .map(|e| match e.payload() {
            Payload::SlaBreached(b) => (b.timer, b.due_at, e.time),
            _ => unreachable!(),
        })
        .collect()
}

/// SLA check ticks every 5 minutes from now until `until` (inclusive).
fn checks_until(t: &TestTwin, until: &str) {
    let until = at(until);
    while t.now() + Duration::minutes(5) <= until {
        let next = t.now() + Duration::minutes(5);
        t.tick(crate::SLA_SCHEDULE, next);
    }
}

fn outage(id: &str) -> TicketOpened {
    opened(
        id,
        "A1",
        "Outage: Studio is down for all users",
        "Nobody can open Studio since this morning.",
    )
}

fn status(id: &str, status: TicketStatus, when: &str) -> TicketStatusChanged {
    TicketStatusChanged {
        ticket_id: id.into(),
        account_id: "A1".into(),
        status,
        changed_at: at(when),
    }
}

/// Issue 23: the clock started when Support processed the event, not when the customer
/// opened the ticket: an event of 13:00 processed at 21:00 moved the deadline by a day.
#[test]
fn the_clock_starts_at_the_desk_s_creation_time() {
    // Given a normal ticket created at the desk on Tuesday 10 March 2026 at 09:00 EDT
    // (13:00Z), reaching Support at 17:00 EDT (21:00Z)
    let t = twin();
    t.clock.set(at("2026-03-10T21:00:00Z"));
    let mut o = opened(
        "T1",
        "A1",
        "Lesson export stops halfway",
        "Exporting a lesson to the portal stops at 50%.",
    );
    o.created_at = Some(at("2026-03-10T13:00:00Z"));
    t.emit("ascent.support", o);
    // Then its first-response target (high, "stops": 240 business minutes) runs from 09:00
    // EDT: 13:00 EDT = 17:00Z, not Wednesday 11:00 EDT (1 h on Tuesday from 17:00 + 3 h)
    let x = triaged(&t).pop().unwrap();
    assert_eq!(x.priority, TicketPriority::High);
    assert_eq!(x.first_response_due, at("2026-03-10T17:00:00Z"));
}

/// Issue 23: a ticket answered in 30 minutes and then pending on the customer breached.
#[test]
fn a_ticket_pending_on_the_customer_does_not_breach_and_its_clock_resumes() {
    // Given an urgent ticket at 14:00Z (resolution 480 minutes around the clock: due 22:00Z)
    let t = twin();
    t.emit("ascent.support", outage("T1"));
    let x = triaged(&t).pop().unwrap();
    assert_eq!(x.priority, TicketPriority::Urgent);
    assert_eq!(x.resolution_due, at("2026-03-10T22:00:00Z"));
    // When it is answered at 14:30 and pending on the customer from then
    t.emit(
        "ascent.support",
        TicketResponded {
            ticket_id: "T1".into(),
            account_id: "A1".into(),
            responder: "agent@ascent-xr.example".into(),
            responded_at: at("2026-03-10T14:30:00Z"),
        },
    );
    t.emit(
        "ascent.support",
        status("T1", TicketStatus::Pending, "2026-03-10T14:30:00Z"),
    );
    // Then nothing breaches while the customer takes until 02:30Z to answer
    checks_until(&t, "2026-03-11T02:30:00Z");
    assert!(breaches(&t).is_empty());
    // When the customer answers at 02:30Z the 7 h 30 min left at 14:30 run again: due 10:00Z
    t.emit(
        "ascent.support",
        status("T1", TicketStatus::Open, "2026-03-11T02:30:00Z"),
    );
    checks_until(&t, "2026-03-11T09:55:00Z");
    assert!(breaches(&t).is_empty());
    checks_until(&t, "2026-03-11T10:00:00Z");
    assert_eq!(
        breaches(&t),
        vec![(
            SlaTimer::Resolution,
            at("2026-03-11T10:00:00Z"),
            at("2026-03-11T10:00:00Z")
        )]
    );
}

/// Issue 23: breaches were found up to 59 minutes late on a 1-hour target, and nobody was
/// warned before.
#[test]
fn the_lead_is_warned_at_80_percent_and_a_breach_is_found_within_minutes() {
    // Given an urgent ticket opened at 14:01Z (first response 60 minutes: due 15:01Z)
    let t = twin();
    t.clock.set(at("2026-03-10T14:01:00Z"));
    t.emit("ascent.support", outage("T1"));
    let lead = "lead.support-success@ascent-xr.example";
    let mails_to_lead = |t: &TestTwin| -> Vec<String> {
        t.runtime
            .mails()
            .unwrap()
            .into_iter()
            .filter(|m| m.to == lead)
            .map(|m| m.subject)
            .collect()
    };
    // When the checks run every 5 minutes: 80% of 60 minutes is 14:49Z, seen at 14:51
    t.clock.set(at("2026-03-10T14:01:00Z"));
    checks_until(&t, "2026-03-10T14:46:00Z");
    assert!(mails_to_lead(&t).is_empty());
    checks_until(&t, "2026-03-10T14:51:00Z");
    assert_eq!(
        mails_to_lead(&t),
        vec!["SLA at risk: T1 (Urgent, FirstResponse)".to_string()]
    );
    // Then the breach of 15:01 is found at the 15:01 check (not at 16:00), the lead warned once
    checks_until(&t, "2026-03-10T15:06:00Z");
    let b = breaches(&t);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].1, at("2026-03-10T15:01:00Z"));
    assert!(
        b[0].2 - b[0].1 <= Duration::minutes(5),
        "found at {}",
        b[0].2
    );
    assert_eq!(
        mails_to_lead(&t)
            .iter()
            .filter(|s| s.starts_with("SLA at risk"))
            .count(),
        1
    );
}
