//! What the prospect hears (issue 23): a calendar invitation with the meeting link, every
//! cancellation and reschedule, a reply when not qualified yet, and budgets in any accepted
//! currency.

use super::*;

fn mails_to(t: &TestTwin, to: &str) -> Vec<Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect()
}

#[test]
fn the_invitation_carries_a_calendar_event_with_the_meeting_link() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 0));
    let mail = mails_to(&t, "dr1@boreal-aero.example").pop().unwrap();
    assert!(
        mail.text
            .contains("Join: https://meet.ascent-xr.example/demo/DR1")
    );
    let ics = &mail.attachments[0];
    assert_eq!(
        ics.content_type,
        "text/calendar; method=REQUEST; charset=UTF-8"
    );
    // Monday 9 March 13:00–14:00 UTC (09:00 EDT, one hour)
    assert!(
        ics.content
            .contains("\r\nDTSTART:20260309T130000Z\r\nDTEND:20260309T140000Z\r\n")
    );
    assert!(
        ics.content
            .contains("\r\nUID:DR1@demo-scheduling\r\nSEQUENCE:1\r\n")
    );
    assert!(
        ics.content
            .contains("LOCATION:https://meet.ascent-xr.example/demo/DR1")
    );
}

/// Issue 23: a prospect whose demo the rep cancelled was not told.
#[test]
fn the_prospect_is_told_of_a_cancellation_by_the_rep_and_of_a_reschedule() {
    let t = twin();
    t.emit("ascent.crm", request("DR1", DARIO, 0));
    let first = scheduled(&t).pop().unwrap();
    t.emit(
        "ascent.crm",
        DemoCancelled {
            demo_id: first.demo_id.clone(),
            cancelled_by: "rep".into(),
            reason: "rep ill".into(),
            reschedule: true,
        },
    );
    // Rescheduled: the same calendar event moves (same UID, SEQUENCE 2) and the mail says so
    let moved = mails_to(&t, "dr1@boreal-aero.example").pop().unwrap();
    assert!(
        moved.subject.starts_with("Your Ascent XR demo moved to"),
        "{}",
        moved.subject
    );
    assert!(
        moved.attachments[0]
            .content
            .contains("UID:DR1@demo-scheduling\r\nSEQUENCE:2\r\n")
    );
    // Cancelled for good by the rep: the prospect is told, the event is cancelled
    let second = scheduled(&t).pop().unwrap();
    t.emit(
        "ascent.crm",
        DemoCancelled {
            demo_id: second.demo_id,
            cancelled_by: "rep".into(),
            reason: "territory change".into(),
            reschedule: false,
        },
    );
    let cancelled = mails_to(&t, "dr1@boreal-aero.example").pop().unwrap();
    assert!(
        cancelled.subject.ends_with("is cancelled"),
        "{}",
        cancelled.subject
    );
    assert!(cancelled.text.contains("with our apologies"));
    let ics = &cancelled.attachments[0];
    assert!(ics.content.contains("\r\nMETHOD:CANCEL\r\n"));
    assert!(
        ics.content
            .contains("UID:DR1@demo-scheduling\r\nSEQUENCE:3\r\n")
    );
}

/// Issue 23: the prospect who was not qualified heard nothing.
#[test]
fn an_unqualified_requester_gets_a_reply() {
    let t = twin();
    let mut r = request("DR9", DARIO, 0);
    r.qualification.authority = Some(false);
    t.emit("ascent.crm", r);
    let reply = mails_to(&t, "dr9@boreal-aero.example")
        .pop()
        .expect("a reply");
    assert_eq!(reply.subject, "Your Ascent XR demo request");
    assert!(reply.text.contains("thank you for asking for a demo"));
}

/// Issue 23: a JPY or CAD budget failed qualification outright.
#[test]
fn budgets_in_any_accepted_currency_are_converted() {
    let t = twin();
    // ¥2,000,000 at USD 0.0067 = USD 13,400 and CAD 20,000 at USD 0.73 = USD 14,600, both over
    // the USD 10,000 minimum
    for (id, budget) in [
        ("DR2", Money::new(2_000_000, "JPY")),
        ("DR3", Money::new(2_000_000, "CAD")),
    ] {
        let mut r = request(id, DARIO, 0);
        r.qualification.budget = Some(budget);
        t.emit("ascent.crm", r);
    }
    assert_eq!(scheduled(&t).len(), 2);
    assert!(t.emitted("DemoQualificationFailed").is_empty());
}
