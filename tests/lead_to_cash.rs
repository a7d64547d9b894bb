//! Lead to cash through the running twin, over HTTP, as people and systems use it:
//! lead created → scored → deal → proposal with a 20% discount → approval email → the link
//! opened (GET shows, decides nothing) → approved with the page's POST → proposal sent →
//! deal won → invoice issued → payment received → invoice paid; the audit chain verifies.

use ascent::settings::Settings;
use ascent_core::agent::Domain;
use ascent_core::ports::DataLake;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn scenario(name: &str) -> Vec<Value> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../events/scenarios/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Sends whole EventBridge events as PutEvents entries (Detail as a string).
fn put_events(base: &str, events: &[Value]) -> Value {
    let entries: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({"Source": e["source"], "DetailType": e["detail-type"], "Detail": e["detail"].to_string(),
                   "Time": e["time"]})
        })
        .collect();
    let mut res = ureq::post(&format!("{base}/events"))
        .send_json(json!({ "Entries": entries }))
        .unwrap();
    res.body_mut().read_json().unwrap()
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
            started.elapsed() < Duration::from_secs(20),
            "twin did not drain: {s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the approval email (the outbox is written just after the commit that queued the
/// mail, so it can lag the queues being idle) and returns its approve link.
fn approval_link(outbox: &Path) -> String {
    let started = Instant::now();
    loop {
        for entry in std::fs::read_dir(outbox).into_iter().flatten() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            if text.contains("Subject: Approval needed") {
                assert!(text.contains("To: sales.director@ascent-xr.example"));
                let line = text.lines().find(|l| l.starts_with("Approve: ")).unwrap();
                return line.trim_start_matches("Approve: ").trim().to_string();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no approval email in {}",
            outbox.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// GET without following redirects; returns status and body.
fn get(url: &str) -> (u16, String) {
    let mut res = ureq::get(url)
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    let s = res.status().as_u16();
    (s, res.body_mut().read_to_string().unwrap())
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

#[test]
fn lead_to_cash_over_http_with_an_emailed_approval() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = Settings::new(dir.path(), listener.local_addr().unwrap().port());
    let rt = ascent::open(&settings).unwrap();
    let twin = ascent::server::start(rt.clone(), listener).unwrap();
    let base = twin.base_url.clone();

    // 1. The CRM and the website send the first part of the story.
    let answer = put_events(&base, &scenario("lead-to-cash-1-proposal"));
    assert_eq!(answer["FailedEntryCount"], 0, "{answer}");
    let s = wait_idle(&base);

    // Lead scored hot (fit + prior intent) and routed to sales.
    let lead = futures_block(rt.store().get(Domain::Customer, "lead#L000123", "profile")).unwrap();
    // fit 100 (2,000 staff, aerospace, VP Engineering); intent 70 (demo 50 + pricing 20,
    // minutes old): 0.6 × 100 + 0.4 × 70 = 88.
    assert_eq!(lead["score"]["score"], 88);
    assert_eq!(lead["routed_to"], "sales-americas");

    // 2. The 20% discount waits for the Sales Director.
    let pending = s["pending_approvals"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{s}");
    assert!(rt.archived("ProposalSent").unwrap().is_empty());
    let link = approval_link(&settings.outbox_dir());
    assert!(link.starts_with(&format!("{base}/approvals/apr-")));

    // 3. A mail scanner (or the director) opens the link: a page, nothing decided.
    for _ in 0..2 {
        let (code, html) = get(&link);
        assert_eq!(code, 200);
        assert!(html.contains("20% discount on deal D00042"));
        assert!(html.contains("value=\"approve\""));
    }
    assert_eq!(
        status(&base)["pending_approvals"].as_array().unwrap().len(),
        1
    );

    // A forged link gets a clear page and decides nothing.
    let forged = link.replace("t=", "t=x");
    let (code, html) = get(&forged);
    assert_eq!(code, 403);
    assert!(html.contains("not valid"));

    // 4. The director presses Approve: the page's POST.
    let id = link
        .split("/approvals/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let token = link
        .split("t=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let action = format!("{base}/approvals/{id}");
    let (code, html) = post_form(
        &action,
        &[
            ("t", &token),
            ("decision", "approve"),
            ("comment", "strategic logo"),
        ],
    );
    assert_eq!(code, 200, "{html}");
    // Replayed: single use.
    let (code, _) = post_form(&action, &[("t", &token), ("decision", "reject")]);
    assert_eq!(code, 409);
    wait_idle(&base);

    // 5. The proposal went out at the approved 20%.
    let sent = rt.archived("ProposalSent").unwrap();
    assert_eq!(sent.len(), 1);
    let ascent_core::catalog::Payload::ProposalSent(p) = sent[0].payload() else {
        panic!()
    };
    assert_eq!(p.proposal_id, "prop-D00042-5f1c0d2e");
    // 50 seats at the 50+ tier (960.00) + onboarding 5,000.00 = 53,000.00; 20% off = 42,400.00.
    assert_eq!(p.total.amount_minor, 4_240_000);

    // 6. Won, invoiced, paid.
    let answer = put_events(&base, &scenario("lead-to-cash-2-won-and-paid"));
    assert_eq!(answer["FailedEntryCount"], 0, "{answer}");
    let s = wait_idle(&base);
    let invoice = futures_block(
        rt.store()
            .get(Domain::Financial, "invoice#inv-D00042", "invoice"),
    )
    .unwrap();
    // 42,400.00 and no tax: California taxes neither SaaS nor a separately stated service.
    assert_eq!(invoice["total"]["amount_minor"], 4_240_000);
    assert_eq!(invoice["status"], "paid");
    assert_eq!(rt.archived("InvoicePaid").unwrap().len(), 1);
    assert_eq!(s["dead_letters"], 0);
    let decided = rt.archived("ApprovalDecided").unwrap();
    assert_eq!(
        decided[0].detail.correlation_id.to_string(),
        "7c2f4a10-3b1e-4d55-9a0c-1f2e3d4c5b6a"
    );

    // 7. The audit chain verifies, covering approvals and every write.
    let audited = rt.store().verify_audit().unwrap();
    assert!(audited >= 10, "{audited}");
    let records = rt.store().audit_records().unwrap();
    assert!(records.iter().any(|r| r.entry.action == "approval.decided"
        && r.entry.actor == "sales.director@ascent-xr.example"));
    twin.stop();
}

#[test]
fn a_poison_message_reaches_the_dead_letter_queue_and_is_redriven() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = Settings::new(dir.path(), listener.local_addr().unwrap().port());
    let rt = ascent::open(&settings).unwrap();
    let twin = ascent::server::start(rt.clone(), listener).unwrap();
    let base = twin.base_url.clone();
    put_events(&base, &scenario("poison-payment"));
    // Three receives with 2 s and 4 s backoffs, then the dead-letter queue: Billing's (no
    // invoice to apply it to) and Finance Controller's (no invoice journaled to book it
    // against), with the same reason.
    let started = Instant::now();
    while rt.dead_letters().unwrap().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}",
            status(&base)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let dl = rt.dead_letters().unwrap();
    let mut agents: Vec<&str> = dl.iter().map(|d| d.agent.as_str()).collect();
    agents.sort();
    assert_eq!(agents, ["billing", "finance-controller"]);
    for d in &dl {
        assert_eq!(d.reason, "invoice inv-UNKNOWN not found (yet)");
        assert_eq!(d.receive_count, 3);
    }
    assert_eq!(status(&base)["dead_letters"], 2);
    // Redriven: back in the queues (it fails again, since the invoice still does not exist,
    // but it is never lost).
    assert_eq!(rt.redrive(None, "test").unwrap(), 2);
    assert!(rt.dead_letters().unwrap().is_empty());
    twin.stop();
}

fn futures_block<T>(
    f: impl std::future::Future<Output = Result<Option<ascent_core::ports::Item>, T>>,
) -> Option<Value>
where
    T: std::fmt::Debug,
{
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
        .unwrap()
        .map(|i| i.data)
}
