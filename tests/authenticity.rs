//! Event authenticity through the running twin, over HTTP: nobody but the approval workflow
//! decides an approval.
//!
//! The attack of issue 18: with a discount approval pending, an `ApprovalDecided` posted to
//! `POST /events` from `ascent.crm`, with a made-up `decided_by`, approving it. It is refused on
//! ingestion (only `ascent.approvals` produces `ApprovalDecided`); one that reaches Closing
//! anyway (published with the right source, but not what the approval record says) is refused
//! by the agent and dead-lettered with the reason; the approver's real decision still decides.

use ascent::settings::Settings;
use ascent_core::catalog::{ApprovalDecided, ApprovalOutcome, Payload};
use ascent_core::event::{Actor, Event};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn scenario(name: &str) -> Vec<Value> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../events/scenarios/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Posts PutEvents entries; returns the status code and the answer.
fn post_entries(base: &str, entries: Vec<Value>) -> (u16, Value) {
    let mut res = ureq::post(&format!("{base}/events"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(json!({ "Entries": entries }))
        .unwrap();
    let code = res.status().as_u16();
    (code, res.body_mut().read_json().unwrap())
}

fn entries_of(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            json!({"Source": e["source"], "DetailType": e["detail-type"], "Detail": e["detail"].to_string(),
                   "Time": e["time"]})
        })
        .collect()
}

fn status(base: &str) -> Value {
    ureq::get(&format!("{base}/status"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap()
}

/// Waits until every queue is empty (the worker drained everything).
fn wait_idle(base: &str) -> Value {
    let started = Instant::now();
    loop {
        let s = status(base);
        let busy = s["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["visible"].as_u64() != Some(0) || a["in_flight"].as_u64() != Some(0));
        if !busy {
            return s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "twin did not drain: {s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The approve link of the approval email to `approver` (the outbox can lag the queues).
fn approval_link(settings: &Settings, approver: &str) -> String {
    let started = Instant::now();
    loop {
        for entry in std::fs::read_dir(settings.outbox_dir())
            .into_iter()
            .flatten()
        {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            if text.contains("Subject: Approval needed")
                && text.contains(&format!("To: {approver}"))
            {
                let line = text.lines().find(|l| l.starts_with("Approve: ")).unwrap();
                return line.trim_start_matches("Approve: ").trim().to_string();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no approval email to {approver}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut res = ureq::post(url)
        .config()
        .http_status_as_error(false)
        .build()
        .send_form(form.iter().copied())
        .unwrap();
    let s = res.status().as_u16();
    (s, res.body_mut().read_to_string().unwrap())
}

/// The decision an attacker makes up for the pending approval `id`.
fn forged_decision(id: &str) -> ApprovalDecided {
    ApprovalDecided {
        approval_id: id.to_string(),
        kind: "discount".into(),
        subject: "D00042".into(),
        requested_by_agent: "closing".into(),
        // 20% of 53,000.00: what the attacker knows of the deal.
        amount: Some(ascent_core::money::Money::usd(1_060_000)),
        outcome: ApprovalOutcome::Approved,
        decided_by: Some("mallory@attacker.example".into()),
        comment: Some("looks fine".into()),
        requester: "ava.rep@ascent-xr.example".into(),
    }
}

fn proposals(rt: &ascent_embedded::Runtime) -> Vec<ascent_core::catalog::ProposalSent> {
    rt.archived("ProposalSent")
        .unwrap()
        .into_iter()
        .map(|e| match e.payload() {
            Payload::ProposalSent(p) => p.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn a_forged_approval_decision_is_refused_and_the_approvers_decision_still_decides() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = Settings::new(dir.path(), listener.local_addr().unwrap().port());
    let rt = ascent::open(&settings).unwrap();
    let twin = ascent::server::start(rt.clone(), listener).unwrap();
    let base = twin.base_url.clone();

    // A 20% discount waits for the Sales Director.
    let (code, answer) = post_entries(&base, entries_of(&scenario("lead-to-cash-1-proposal")));
    assert_eq!(
        (code, &answer["FailedEntryCount"]),
        (200, &json!(0)),
        "{answer}"
    );
    let s = wait_idle(&base);
    let pending = s["pending_approvals"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{s}");
    let id = pending[0]["id"].as_str().unwrap().to_string();

    // 1. The attack of issue 18, on ingestion: refused, naming the rule; nothing stored.
    let archived_before = status(&base)["events_archived"].clone();
    let forged = forged_decision(&id);
    let detail = json!({
        "version": 1, "event_id": uuid::Uuid::new_v4(), "correlation_id": uuid::Uuid::new_v4(),
        "causation_id": null, "actor": {"kind": "human", "id": "mallory@attacker.example"},
        "payload": forged,
    });
    let (code, answer) = post_entries(
        &base,
        vec![
            json!({"Source": "ascent.crm", "DetailType": "ApprovalDecided", "Detail": detail.to_string()}),
        ],
    );
    assert_eq!(code, 400, "{answer}");
    assert_eq!(answer["FailedEntryCount"], 1, "{answer}");
    let message = answer["Entries"][0]["ErrorMessage"].as_str().unwrap();
    assert!(
        message.contains(
            "`ApprovalDecided` comes only from `ascent.approvals`; source `ascent.crm` may not send it"
        ),
        "{message}"
    );
    // Also as a whole EventBridge event, and from a reserved source it does not own.
    for (source, detail_type) in [
        ("ascent.crm", "ApprovalDecided"),
        ("ascent.agent.closing", "ApprovalDecided"),
        ("ascent.approvals", "ProposalSent"),
    ] {
        let whole = json!({"source": source, "detail-type": detail_type, "detail": detail.clone()});
        let mut res = ureq::post(&format!("{base}/events"))
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(&whole)
            .unwrap();
        let answer: Value = res.body_mut().read_json().unwrap();
        assert_eq!(
            answer["FailedEntryCount"], 1,
            "{source} {detail_type}: {answer}"
        );
    }
    assert_eq!(status(&base)["events_archived"], archived_before);
    wait_idle(&base);
    assert!(
        proposals(&rt).is_empty(),
        "a proposal went out on a forged decision"
    );

    // 2. A forged decision that reaches Closing anyway (on the bus with the right source, as a
    //    compromised producer could put it): the approval record says pending, so Closing (and
    //    the Finance Controller, which checks every discount) refuses it; it ends in the
    //    dead-letter queue with the reason, audited.
    let inside = Event::new(
        "ascent.approvals",
        Actor::system("approvals"),
        rt.now(),
        forged_decision(&id),
    );
    rt.ingest(std::slice::from_ref(&inside)).unwrap();
    let started = Instant::now();
    while rt.dead_letters().unwrap().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the forged decision was not refused: {}",
            status(&base)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut dl = rt.dead_letters().unwrap();
    dl.sort_by(|a, b| a.agent.cmp(&b.agent));
    assert_eq!(dl.len(), 2, "{dl:?}");
    assert_eq!(
        (dl[0].agent.as_str(), dl[1].agent.as_str()),
        ("closing", "finance-controller")
    );
    for d in &dl {
        assert_eq!(d.event_id, inside.detail.event_id.to_string());
        assert_eq!(
            d.reason,
            format!(
                "approval {id} is still pending on record: a decision counts only once recorded (retried, then dead-lettered)"
            )
        );
    }
    assert!(
        proposals(&rt).is_empty(),
        "a proposal went out on a forged decision"
    );
    let audit = rt.store().audit_records().unwrap();
    let refusals = audit
        .iter()
        .filter(|r| {
            r.entry.action == "dead-lettered" && r.entry.item == inside.detail.event_id.to_string()
        })
        .count();
    assert_eq!(refusals, 2);
    // The discount still waits for its approver; each refusal is brought to operations by
    // Process Automation as a dead letter to look into (a permanent failure: never retried).
    let pending = status(&base)["pending_approvals"].clone();
    let of_kind = |kind: &str| {
        pending
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == kind)
            .count()
    };
    assert_eq!(of_kind("discount"), 1, "{pending}");
    assert_eq!(of_kind("dead-letter"), 2, "{pending}");

    // 3. The director's real decision (a rejection) decides: re-priced at the 15% threshold.
    let link = approval_link(&settings, "sales.director@ascent-xr.example");
    let token = link
        .split("t=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let (code, html) = post_form(
        &format!("{base}/approvals/{id}"),
        &[("t", &token), ("decision", "reject")],
    );
    assert_eq!(code, 200, "{html}");
    let s = wait_idle(&base);
    assert!(
        s["pending_approvals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["kind"] == "dead-letter"),
        "{s}"
    );
    let sent = proposals(&rt);
    assert_eq!(sent.len(), 1, "{sent:?}");
    // 53,000.00 at the 15% threshold = 45,050.00 (not the forged 20%: 42,400.00).
    assert_eq!(sent[0].total.amount_minor, 4_505_000);
    assert_eq!(rt.dead_letters().unwrap().len(), 2);
    rt.store().verify_audit().unwrap();
    twin.stop();
}
