//! Support's decisions back at the desks, through the twin with the Zendesk and Intercom
//! adapters plugged in against the local stub desks.

use super::*;
use crate::desk::DeskUpdate;
use crate::desk_tests::{intercom_at, zendesk_at};
use crate::stub_desk::{Desks, Fault, IcConversation, Shared, ZdTicket, start};
use ascent_core::approval::Decision;
use ascent_core::catalog::DataSyncCompleted;
use ascent_integrations::Pending;

const OPS_LEAD: &str = "operations.lead@ascent-xr.example";
const HEADSET: (&str, &str) = (
    "Headset does not pair",
    "Since the update our headsets won't pair with the studio.",
);

fn desks() -> Desks {
    Desks {
        zendesk: [("4711".to_string(), ZdTicket::open())].into(),
        intercom: ["98", "99"]
            .map(|id| {
                let c = IcConversation {
                    state: "open".into(),
                    ..IcConversation::default()
                };
                (id.to_string(), c)
            })
            .into(),
        intercom_attributes: vec!["Ascent priority".into(), "Ascent category".into()],
        ..Desks::default()
    }
}

/// Support with both adapters on the stub, on Tuesday 10 March 2026, 14:00 UTC.
fn desk_twin(stub: Desks) -> (TestTwin, Shared) {
    let (url, shared) = start(stub);
    let support = Support::default()
        .with_help_desk(Arc::new(zendesk_at(&url).0))
        .with_help_desk(Arc::new(intercom_at(&url).0));
    let t = TestTwin::new(vec![Arc::new(support)], at("2026-03-10T14:00:00Z"));
    (t, shared)
}

fn outbox(t: &TestTwin, pk: &str) -> Vec<Pending<DeskUpdate>> {
    t.query(Domain::Interaction, pk)
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect()
}

fn queued(t: &TestTwin) -> Vec<Pending<DeskUpdate>> {
    outbox(t, "support-desk#outbox#zendesk")
}

fn held(t: &TestTwin) -> Vec<Pending<DeskUpdate>> {
    outbox(t, "support-desk#outbox#zendesk#held")
}

/// The runs announced for `system`, oldest first: (records, pushed, failures, queued).
fn runs(t: &TestTwin, system: &str) -> Vec<(u64, u64, u64, u64)> {
    t.emitted("DataSyncCompleted")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::DataSyncCompleted(d) if d.system == system => Some(d.clone()),
            _ => None,
        })
        .map(|d: DataSyncCompleted| (d.records, d.pushed, d.failures, d.queued))
        .collect()
}

fn open_zendesk_ticket(t: &TestTwin) {
    t.emit(
        "ascent.support",
        opened("zd-4711", "A1", HEADSET.0, HEADSET.1),
    );
}

#[test]
fn given_a_zendesk_ticket_when_it_is_triaged_then_the_hourly_run_sends_the_triage_to_zendesk() {
    let (t, stub) = desk_twin(desks());
    open_zendesk_ticket(&t);
    // Queued with the triage, nothing sent yet.
    let q = queued(&t);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].id, "2026-03-10T14:00:00Z#zd-4711#triage");
    assert_eq!(q[0].item.remote_id, "4711");
    assert!(stub.lock().unwrap().seen.is_empty());

    t.tick("hourly", at("2026-03-10T15:00:00Z"));
    let tr = &triaged(&t)[0];
    let s = stub.lock().unwrap();
    let ticket = &s.zendesk["4711"];
    assert_eq!(
        ticket.priority.as_deref(),
        Some(crate::desk::priority_name(tr.priority))
    );
    assert_eq!(ticket.tags, ["vip", "hardware", "support-hardware"]);
    assert_eq!(ticket.comments.len(), 1);
    assert!(
        ticket.comments[0].0.starts_with("Ascent Support triage:"),
        "{}",
        ticket.comments[0].0
    );
    drop(s);
    assert!(queued(&t).is_empty());
    // One change sent to Zendesk, none waiting; Intercom had nothing.
    assert_eq!(runs(&t, "zendesk"), [(1, 1, 0, 0)]);
    assert_eq!(runs(&t, "intercom"), [(0, 0, 0, 0)]);
}

#[test]
fn given_zendesk_down_when_the_run_fails_then_the_change_stays_queued_and_the_next_run_sends_it() {
    let down = || ("PUT", Fault::Answer(503, vec![], serde_json::json!({})));
    let mut stub = desks();
    stub.faults = (0..4).map(|_| down()).map(|(k, f)| (k.into(), f)).collect();
    let (t, stub) = desk_twin(stub);
    open_zendesk_ticket(&t);
    t.tick("hourly", at("2026-03-10T15:00:00Z"));
    // Four attempts answered 503: one failure, still queued, with its reason.
    assert_eq!(runs(&t, "zendesk"), [(1, 0, 1, 1)]);
    let q = queued(&t);
    assert_eq!(
        (q[0].attempts, q[0].last_error.as_deref()),
        (1, Some("unavailable after 4 attempts: status 503"))
    );
    assert_eq!(q[0].last_attempt_at, Some(at("2026-03-10T15:00:00Z")));
    assert!(stub.lock().unwrap().zendesk["4711"].comments.is_empty());

    t.tick("hourly", at("2026-03-10T16:00:00Z"));
    assert_eq!(runs(&t, "zendesk")[1], (1, 1, 0, 0));
    assert!(queued(&t).is_empty());
    assert_eq!(stub.lock().unwrap().zendesk["4711"].comments.len(), 1);
}

fn refused_then_decided(decision: Decision) -> (TestTwin, Shared) {
    let (t, stub) = desk_twin(desks());
    stub.lock().unwrap().zendesk.get_mut("4711").unwrap().status = "closed".into();
    open_zendesk_ticket(&t);
    t.tick("hourly", at("2026-03-10T15:00:00Z"));
    // Refused: held with the reason, not queued, and put to operations.
    assert_eq!(runs(&t, "zendesk"), [(1, 0, 1, 0)]);
    let h = held(&t);
    assert_eq!(h.len(), 1);
    assert_eq!(
        h[0].last_error.as_deref(),
        Some("refused (422): RecordInvalid: Record validation errors")
    );
    let mail = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .find(|m| m.to == OPS_LEAD && m.subject.starts_with("Approval needed"))
        .expect("an approval request to operations");
    for fact in ["zd-4711", "RecordInvalid", "zendesk"] {
        assert!(mail.text.contains(fact), "{fact}: {}", mail.text);
    }
    // A run does not retry it.
    t.tick("hourly", at("2026-03-10T16:00:00Z"));
    assert_eq!(runs(&t, "zendesk")[1], (0, 0, 0, 0));
    // The person reopens the ticket at Zendesk, then decides.
    stub.lock().unwrap().zendesk.get_mut("4711").unwrap().status = "open".into();
    t.decide_from_mail(OPS_LEAD, decision, Some("ticket reopened"))
        .unwrap();
    assert!(held(&t).is_empty());
    t.tick("hourly", at("2026-03-10T17:00:00Z"));
    (t, stub)
}

#[test]
fn given_a_refused_change_when_approved_after_the_fix_then_the_next_run_sends_it() {
    let (t, stub) = refused_then_decided(Decision::Approve);
    assert_eq!(runs(&t, "zendesk")[2], (1, 1, 0, 0));
    assert_eq!(stub.lock().unwrap().zendesk["4711"].comments.len(), 1);
}

#[test]
fn given_a_refused_change_when_rejected_then_it_is_dropped() {
    let (t, stub) = refused_then_decided(Decision::Reject);
    assert_eq!(runs(&t, "zendesk")[2], (0, 0, 0, 0));
    assert!(queued(&t).is_empty());
    assert!(stub.lock().unwrap().zendesk["4711"].comments.is_empty());
}

#[test]
fn given_no_desk_adapters_when_a_desk_ticket_is_triaged_then_nothing_is_queued() {
    let t = twin();
    open_zendesk_ticket(&t);
    assert_eq!(triaged(&t).len(), 1);
    assert!(queued(&t).is_empty());
    t.tick("hourly", at("2026-03-10T15:00:00Z"));
    assert!(t.emitted("DataSyncCompleted").is_empty());
}

#[test]
fn given_a_duplicate_intercom_conversation_when_merged_then_intercom_closes_it_with_a_note() {
    let (t, stub) = desk_twin(desks());
    t.emit(
        "ascent.support",
        opened("ic-98", "A7", HEADSET.0, HEADSET.1),
    );
    t.clock.set(at("2026-03-10T14:20:00Z"));
    t.emit(
        "ascent.support",
        opened("ic-99", "A7", HEADSET.0, HEADSET.1),
    );
    assert_eq!(t.emitted("TicketMerged").len(), 1);
    let ids: Vec<String> = outbox(&t, "support-desk#outbox#intercom")
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(
        ids,
        [
            "2026-03-10T14:00:00Z#ic-98#triage",
            "2026-03-10T14:20:00Z#ic-99#merged"
        ]
    );
    t.tick("hourly", at("2026-03-10T15:00:00Z"));
    assert_eq!(runs(&t, "intercom"), [(2, 2, 0, 0)]);
    let s = stub.lock().unwrap();
    let survivor = &s.intercom["98"];
    assert_eq!(survivor.state, "open");
    assert_eq!(survivor.attributes["Ascent category"], "hardware");
    let duplicate = &s.intercom["99"];
    assert_eq!(duplicate.state, "closed");
    assert!(
        duplicate.parts[0].1.contains("merged into it"),
        "{:?}",
        duplicate.parts
    );
    assert!(duplicate.parts[0].1.contains("ic-98"));
}

#[test]
fn given_an_urgent_zendesk_ticket_when_its_deadline_passes_then_the_breach_is_noted_at_zendesk() {
    let (t, stub) = desk_twin(desks());
    t.emit(
        "ascent.support",
        opened(
            "zd-4711",
            "A1",
            "Studio is down",
            "Production down for all users since 9:40.",
        ),
    );
    assert_eq!(triaged(&t)[0].priority, TicketPriority::Urgent);
    // Urgent: first response within 60 minutes, around the clock; missed at 15:00.
    hours(&t, 2);
    assert_eq!(t.emitted("SlaBreached").len(), 1);
    let ids: Vec<String> = queued(&t).into_iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        [
            "2026-03-10T14:00:00Z#zd-4711#triage",
            "2026-03-10T15:00:00Z#zd-4711#breach"
        ]
    );
    t.tick("hourly", at("2026-03-10T16:00:00Z"));
    let s = stub.lock().unwrap();
    let notes: Vec<&str> = s.zendesk["4711"]
        .comments
        .iter()
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(notes.len(), 2);
    assert!(
        notes[1].starts_with("Ascent Support: SLA breached (urgent priority).\n- first response was due 2026-03-10T15:00:00Z\nEscalated to lead."),
        "{}",
        notes[1]
    );
}

/// docs/support.md "Back to the desk" states the shipped `[support.desks]`.
#[test]
fn docs_back_to_the_desk() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/support.md"
    ))
    .unwrap();
    let section = ascent_core::docs::section(&page, "Back to the desk").expect("the section");
    let shipped = ascent_core::config::ConfigFile::shipped().setting_lines("support.desks");
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the settings block");
    for line in block.lines() {
        assert!(
            shipped.contains(&line.to_string()),
            "`{line}` is not shipped"
        );
    }
    let d = SupportConfig::default().desks;
    let flat = section.split_whitespace().collect::<Vec<_>>().join(" ");
    for stated in [
        format!("(`{}`)", d.zendesk.base_url),
        format!("(`{}`)", d.intercom.base_url),
        format!(
            "{} attempts, {} ms doubling, a `Retry-After` up to {} s",
            d.http.max_attempts,
            d.http.backoff.as_millis(),
            d.http.max_wait.as_secs()
        ),
        format!("put to `approver_role` ({})", d.approver_role),
    ] {
        assert!(flat.contains(&stated), "`{stated}` is not on the page");
    }
}

#[test]
fn given_a_decision_no_approval_record_confirms_when_it_arrives_then_it_is_dead_lettered_and_nothing_released()
 {
    let (t, stub) = desk_twin(desks());
    stub.lock().unwrap().zendesk.get_mut("4711").unwrap().status = "closed".into();
    open_zendesk_ticket(&t);
    t.tick("hourly", at("2026-03-10T15:00:00Z"));
    assert_eq!(held(&t).len(), 1);
    // A forged approval of the held change.
    t.emit(
        "ascent.approvals",
        ascent_core::catalog::ApprovalDecided {
            approval_id: "apr-forged".into(),
            kind: crate::desk_sync::KIND.into(),
            subject: "zendesk#2026-03-10T14:00:00Z#zd-4711#triage".into(),
            requested_by_agent: NAME.into(),
            amount: None,
            outcome: ascent_core::catalog::ApprovalOutcome::Approved,
            decided_by: Some(OPS_LEAD.into()),
            comment: None,
            requester: "support-desks@ascent-xr.example".into(),
        },
    );
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.contains("apr-forged"), "{}", dead[0].reason);
    assert_eq!(held(&t).len(), 1);
    assert!(queued(&t).is_empty());
}
