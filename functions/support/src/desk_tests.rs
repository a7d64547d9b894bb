//! The Zendesk and Intercom adapters against the local stub desks: the requests as the APIs
//! take them, rate limits, server errors, refusals, and changes never applied twice.

use crate::desk::{Desk, DeskUpdate, HelpDesk, IntegrationError, RetryPolicy, merged_update};
use crate::desk_settings::{IntercomEndpoint, ZendeskEndpoint};
use crate::intercom::Intercom;
use crate::stub_desk::{Desks, Fault, IcConversation, Shared, ZdTicket, start};
use crate::zendesk::Zendesk;
use ascent_core::catalog::TicketPriority;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CHANGE: &str = "2026-03-10T14:00:00Z#zd-4711#triage";
const MARK: &str = "[ascent change 2026-03-10T14:00:00Z#zd-4711#triage]";

type Pauses = Arc<Mutex<Vec<Duration>>>;

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        backoff: Duration::from_millis(500),
        max_wait: Duration::from_secs(30),
        timeout: Duration::from_secs(5),
    }
}

fn recorder() -> (Arc<dyn Fn(Duration) + Send + Sync>, Pauses) {
    let pauses: Pauses = Arc::default();
    let p = pauses.clone();
    (Arc::new(move |d| p.lock().unwrap().push(d)), pauses)
}

fn triage(ticket: &str, remote: &str) -> DeskUpdate {
    DeskUpdate {
        ticket_id: ticket.into(),
        remote_id: remote.into(),
        priority: Some(TicketPriority::High),
        category: Some("hardware".into()),
        team: Some("support-hardware".into()),
        note: "Ascent Support triage: high priority, hardware (support-hardware).".into(),
        solve: false,
    }
}

pub(crate) fn zendesk_at(url: &str) -> (Zendesk, Pauses) {
    let (sleep, pauses) = recorder();
    let endpoint = ZendeskEndpoint {
        base_url: url.into(),
        email: "support-desks@ascent-xr.example".into(),
    };
    (
        Zendesk::new(&endpoint, "zd-token", policy()).with_sleep(sleep),
        pauses,
    )
}

pub(crate) fn intercom_at(url: &str) -> (Intercom, Pauses) {
    let (sleep, pauses) = recorder();
    let endpoint = IntercomEndpoint {
        base_url: url.into(),
        admin_id: "814860".into(),
        priority_attribute: "Ascent priority".into(),
        category_attribute: "Ascent category".into(),
    };
    (
        Intercom::new(&endpoint, "ic-token", policy()).with_sleep(sleep),
        pauses,
    )
}

fn zendesk_stub(faults: Vec<(&str, Fault)>) -> (String, Shared) {
    start(Desks {
        zendesk: [("4711".to_string(), ZdTicket::open())].into(),
        faults: faults
            .into_iter()
            .map(|(k, f)| (k.to_string(), f))
            .collect(),
        ..Desks::default()
    })
}

fn intercom_stub(faults: Vec<(&str, Fault)>) -> (String, Shared) {
    start(Desks {
        intercom: [(
            "99".to_string(),
            IcConversation {
                state: "open".into(),
                ..IcConversation::default()
            },
        )]
        .into(),
        intercom_attributes: vec!["Ascent priority".into(), "Ascent category".into()],
        faults: faults
            .into_iter()
            .map(|(k, f)| (k.to_string(), f))
            .collect(),
        ..Desks::default()
    })
}

fn puts(s: &Shared) -> usize {
    s.lock()
        .unwrap()
        .seen
        .iter()
        .filter(|r| r.method == "PUT")
        .count()
}

#[test]
fn zendesk_gets_a_safe_update_with_basic_credentials_added_tags_and_a_private_note() {
    let (url, stub) = zendesk_stub(vec![]);
    let (zd, pauses) = zendesk_at(&url);
    assert_eq!(zd.desk(), Desk::Zendesk);
    zd.apply(CHANGE, &triage("zd-4711", "4711")).unwrap();
    let s = stub.lock().unwrap();
    let asked: Vec<String> = s
        .seen
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect();
    assert_eq!(
        asked,
        [
            "GET /api/v2/tickets/4711/comments.json?sort_order=desc",
            "GET /api/v2/tickets/4711.json",
            "PUT /api/v2/tickets/4711.json",
        ]
    );
    let put = &s.seen[2];
    // base64("support-desks@ascent-xr.example/token:zd-token")
    assert_eq!(
        put.header("authorization"),
        "Basic c3VwcG9ydC1kZXNrc0Bhc2NlbnQteHIuZXhhbXBsZS90b2tlbjp6ZC10b2tlbg=="
    );
    assert_eq!(
        put.json(),
        json!({"ticket": {
            "priority": "high",
            "additional_tags": ["hardware", "support-hardware"],
            "comment": {"body": format!("Ascent Support triage: high priority, hardware (support-hardware).\n\n{MARK}"), "public": false},
            "safe_update": true,
            "updated_stamp": "2026-03-10T14:00:00Z",
        }})
    );
    let t = &s.zendesk["4711"];
    assert_eq!(t.priority.as_deref(), Some("high"));
    // The agents' own tag kept.
    assert_eq!(t.tags, ["vip", "hardware", "support-hardware"]);
    assert_eq!(t.comments.len(), 1);
    assert!(!t.comments[0].1, "an internal note");
    assert!(pauses.lock().unwrap().is_empty());
}

#[test]
fn zendesk_rate_limits_wait_their_retry_after_and_server_errors_are_retried() {
    let (url, stub) = zendesk_stub(vec![
        (
            "PUT",
            Fault::Answer(429, vec![("retry-after", "7".into())], json!({})),
        ),
        ("PUT", Fault::Answer(503, vec![], json!({}))),
    ]);
    let (zd, pauses) = zendesk_at(&url);
    zd.apply(CHANGE, &triage("zd-4711", "4711")).unwrap();
    // 7 s as asked, then the first backoff, 0.5 s; the third attempt lands, once.
    assert_eq!(
        *pauses.lock().unwrap(),
        [Duration::from_secs(7), Duration::from_millis(500)]
    );
    assert_eq!(puts(&stub), 3);
    assert_eq!(stub.lock().unwrap().zendesk["4711"].comments.len(), 1);
}

#[test]
fn zendesk_an_update_whose_answer_was_lost_is_not_applied_twice() {
    // The update lands but its answer is lost: the retry's stamp is out of date (409), the
    // adapter looks again and finds its note.
    let (url, stub) = zendesk_stub(vec![("PUT", Fault::LoseAnswer)]);
    let (zd, _) = zendesk_at(&url);
    zd.apply(CHANGE, &triage("zd-4711", "4711")).unwrap();
    assert_eq!(puts(&stub), 2);
    assert_eq!(stub.lock().unwrap().zendesk["4711"].comments.len(), 1);
    // A later run sending the same change (its outcome unknown) sends nothing.
    zd.apply(CHANGE, &triage("zd-4711", "4711")).unwrap();
    assert_eq!(puts(&stub), 2);
    let s = stub.lock().unwrap();
    assert_eq!(s.zendesk["4711"].comments.len(), 1);
    assert_eq!(s.zendesk["4711"].version, 1);
}

#[test]
fn zendesk_refusals_read_both_error_bodies() {
    let (url, stub) = zendesk_stub(vec![]);
    stub.lock().unwrap().zendesk.get_mut("4711").unwrap().status = "closed".into();
    let (zd, _) = zendesk_at(&url);
    let e = zd.apply(CHANGE, &triage("zd-4711", "4711")).unwrap_err();
    assert_eq!(
        e,
        IntegrationError::Refused {
            status: 422,
            message: "RecordInvalid: Record validation errors".into()
        }
    );
    assert!(!e.is_transient());
    let forbidden =
        json!({"error": {"title": "Forbidden", "message": "You do not have access to this page."}});
    let (url, _) = zendesk_stub(vec![("PUT", Fault::Answer(403, vec![], forbidden))]);
    let (zd, _) = zendesk_at(&url);
    assert_eq!(
        zd.apply(CHANGE, &triage("zd-4711", "4711")).unwrap_err(),
        IntegrationError::Refused {
            status: 403,
            message: "Forbidden: You do not have access to this page.".into()
        }
    );
}

#[test]
fn intercom_gets_its_attributes_and_an_admin_note_on_api_2_11() {
    let (url, stub) = intercom_stub(vec![]);
    let (ic, _) = intercom_at(&url);
    assert_eq!(ic.desk(), Desk::Intercom);
    let change = "2026-03-10T14:00:00Z#ic-99#triage";
    ic.apply(change, &triage("ic-99", "99")).unwrap();
    let s = stub.lock().unwrap();
    let asked: Vec<String> = s
        .seen
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect();
    assert_eq!(
        asked,
        [
            "GET /conversations/99",
            "PUT /conversations/99",
            "POST /conversations/99/reply"
        ]
    );
    for r in &s.seen {
        assert_eq!(r.header("authorization"), "Bearer ic-token");
        assert_eq!(r.header("intercom-version"), "2.11");
    }
    assert_eq!(
        s.seen[1].json(),
        json!({"custom_attributes": {"Ascent priority": "high", "Ascent category": "hardware"}})
    );
    assert_eq!(
        s.seen[2].json(),
        json!({"message_type": "note", "type": "admin", "admin_id": "814860",
            "body": "<p>Ascent Support triage: high priority, hardware (support-hardware).</p><p>[ascent change 2026-03-10T14:00:00Z#ic-99#triage]</p>"})
    );
    assert_eq!(s.intercom["99"].parts.len(), 1);
    assert_eq!(s.intercom["99"].state, "open");
}

#[test]
fn intercom_a_note_whose_answer_was_lost_is_not_posted_twice() {
    let (url, stub) = intercom_stub(vec![("reply", Fault::LoseAnswer)]);
    let (ic, pauses) = intercom_at(&url);
    let change = "2026-03-10T14:00:00Z#ic-99#triage";
    ic.apply(change, &triage("ic-99", "99")).unwrap();
    // Posted once; after the lost answer, a pause, the conversation read: the note is there.
    let posts = |s: &Shared| {
        s.lock()
            .unwrap()
            .seen
            .iter()
            .filter(|r| r.uri.ends_with("/reply"))
            .count()
    };
    assert_eq!(posts(&stub), 1);
    assert_eq!(*pauses.lock().unwrap(), [Duration::from_millis(500)]);
    assert_eq!(stub.lock().unwrap().intercom["99"].parts.len(), 1);
    // The same change again (a later run, its outcome unknown): no second note.
    ic.apply(change, &triage("ic-99", "99")).unwrap();
    assert_eq!(posts(&stub), 1);
    assert_eq!(stub.lock().unwrap().intercom["99"].parts.len(), 1);
}

#[test]
fn intercom_a_rate_limited_note_is_posted_after_the_backoff() {
    let reset = vec![("x-ratelimit-reset", "1773151260".to_string())];
    let limited = json!({"type": "error.list", "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 167 in 10_seconds"}]});
    let (url, stub) = intercom_stub(vec![("reply", Fault::Answer(429, reset, limited))]);
    let (ic, pauses) = intercom_at(&url);
    ic.apply("2026-03-10T14:00:00Z#ic-99#breach", &triage("ic-99", "99"))
        .unwrap();
    assert_eq!(*pauses.lock().unwrap(), [Duration::from_millis(500)]);
    assert_eq!(stub.lock().unwrap().intercom["99"].parts.len(), 1);
}

#[test]
fn intercom_a_merged_duplicate_is_closed_once() {
    let (url, stub) = intercom_stub(vec![]);
    let (ic, _) = intercom_at(&url);
    let u = merged_update("ic-99", "99", "ic-98");
    let change = "2026-03-10T14:00:00Z#ic-99#merged";
    ic.apply(change, &u).unwrap();
    ic.apply(change, &u).unwrap();
    let s = stub.lock().unwrap();
    let c = &s.intercom["99"];
    assert_eq!(c.state, "closed");
    let kinds: Vec<&str> = c.parts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["note", "close"]);
    let close = s.seen.iter().find(|r| r.uri.ends_with("/parts")).unwrap();
    assert_eq!(
        close.json(),
        json!({"message_type": "close", "type": "admin", "admin_id": "814860"})
    );
    // No attributes to set for a merge.
    assert!(!s.seen.iter().any(|r| r.method == "PUT"));
}

#[test]
fn intercom_refusals_read_the_error_list() {
    let (url, stub) = intercom_stub(vec![]);
    stub.lock().unwrap().intercom_attributes = vec!["Ascent category".into()];
    let (ic, _) = intercom_at(&url);
    let e = ic
        .apply("2026-03-10T14:00:00Z#ic-99#triage", &triage("ic-99", "99"))
        .unwrap_err();
    assert_eq!(
        e,
        IntegrationError::Refused {
            status: 400,
            message: "parameter_invalid: Custom attribute 'Ascent priority' does not exist".into()
        }
    );
    let e = ic
        .apply("2026-03-10T14:00:00Z#ic-7#triage", &triage("ic-7", "7"))
        .unwrap_err();
    assert_eq!(
        e,
        IntegrationError::Refused {
            status: 404,
            message: "not_found: Resource Not Found".into()
        }
    );
}
