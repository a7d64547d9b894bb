//! Nothing acknowledged is ever lost: the twin under load over loopback HTTP while its storage
//! fails (a fault-injecting SQLite VFS turns full-disk and I/O errors on and off), then the
//! database is opened afresh and every event is checked.
//!
//! Clients post leads from several threads and, as a business system should, repeat a request
//! refused with 503 (same event ids) until it is acknowledged. Afterwards: the set of
//! acknowledged events equals the set stored; each was handled once by every agent its rules
//! route it to; no dead letter; the audit chain verifies; `/health` reported the fault while
//! it lasted and reports none after.

use ascent_core::ports::{Clock, SystemClock};
use ascent_embedded::faults::{self, Fault, FaultSwitch};
use ascent_embedded::store::StoreOptions;
use ascent_embedded::{Runtime, Store, TwinConfig};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const REQUESTS_PER_CLIENT: usize = 40;
const EVENTS_PER_REQUEST: usize = 3;

fn open(dir: &Path, vfs: Option<&str>) -> Arc<Runtime> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Store::open_with(
        &dir.join("twin.db"),
        clock,
        StoreOptions {
            synced_commits: true,
            vfs: vfs.map(str::to_string),
        },
    )
    .unwrap();
    let config = TwinConfig {
        outbox_dir: None,
        ..TwinConfig::default()
    };
    Arc::new(Runtime::new(Arc::new(store), ascent::agents::all(), config).unwrap())
}

fn lead_entry(client: usize, request: usize, n: usize) -> (String, Value) {
    let id = uuid::Uuid::now_v7();
    let lead = format!("L-{client}-{request}-{n}");
    let detail = json!({
        "version": 1, "event_id": id, "correlation_id": id,
        "actor": {"kind": "system", "id": "crm"},
        "payload": {"lead_id": lead, "email": format!("{}@load.example", lead.to_lowercase()),
                    "full_name": format!("Lee {lead}"), "company": format!("Load Co {lead}"), "company_size": 40 + n as u32,
                    "industry": "manufacturing", "role": "CTO", "channel": "web"}
    });
    (
        id.to_string(),
        json!({"Source": "ascent.crm", "DetailType": "LeadCreated", "Detail": detail.to_string()}),
    )
}

/// Posts one request until it is acknowledged; counts the 503s it met.
fn post_until_acknowledged(base: &str, entries: &[Value], refusals: &AtomicU64) -> Vec<String> {
    let started = Instant::now();
    loop {
        let res = ureq::post(&format!("{base}/events"))
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(json!({ "Entries": entries }));
        if let Ok(mut res) = res {
            let status = res.status().as_u16();
            let body: Value = res.body_mut().read_json().unwrap_or(Value::Null);
            match status {
                200 => {
                    assert_eq!(body["FailedEntryCount"], 0, "{body}");
                    return body["Entries"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["EventId"].as_str().unwrap().to_string())
                        .collect();
                }
                503 => {
                    refusals.fetch_add(1, Ordering::Relaxed);
                    assert!(
                        res.headers().get("retry-after").is_some(),
                        "503 without Retry-After"
                    );
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never acknowledged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn get(base: &str, path: &str) -> (u16, Value) {
    let mut res = ureq::get(&format!("{base}{path}"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    (res.status().as_u16(), res.body_mut().read_json().unwrap())
}

/// Turns faults on and off until `done`; records whether `/health` showed each one.
fn inject_faults(base: String, switch: Arc<FaultSwitch>, done: Arc<AtomicBool>) -> u64 {
    let mut seen_unhealthy = 0;
    let faults = [Fault::IoError, Fault::DiskFull, Fault::SyncFails];
    let mut i = 0;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(120));
        let fault = faults[i % faults.len()];
        // Sometimes at once, sometimes after a few writes: in the middle of a commit.
        switch.set_after(fault, (i % 4) as u64);
        std::thread::sleep(Duration::from_millis(80));
        if switch.injected() > 0 && get(&base, "/health").0 == 503 {
            seen_unhealthy += 1;
        }
        switch.set(None);
        i += 1;
    }
    seen_unhealthy
}

#[test]
fn under_storage_faults_the_acknowledged_events_are_exactly_the_stored_and_handled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let switch = faults::register("load-test-faults");
    let rt = open(dir.path(), Some("load-test-faults"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = ascent::server::start(rt.clone(), listener).unwrap();
    let base = running.base_url.clone();

    let done = Arc::new(AtomicBool::new(false));
    let injector = {
        let (base, switch, done) = (base.clone(), switch.clone(), done.clone());
        std::thread::spawn(move || inject_faults(base, switch, done))
    };
    let refusals = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base, refusals) = (base.clone(), refusals.clone());
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for r in 0..REQUESTS_PER_CLIENT {
                    let (ids, entries): (Vec<String>, Vec<Value>) =
                        (0..EVENTS_PER_REQUEST).map(|n| lead_entry(c, r, n)).unzip();
                    let answered = post_until_acknowledged(&base, &entries, &refusals);
                    assert_eq!(answered, ids, "the answer names the events sent");
                    acknowledged.extend(answered);
                }
                acknowledged
            })
        })
        .collect();
    let acknowledged: BTreeSet<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    done.store(true, Ordering::Relaxed);
    let unhealthy_seen = injector.join().unwrap();
    switch.set(None);
    assert_eq!(
        acknowledged.len(),
        CLIENTS * REQUESTS_PER_CLIENT * EVENTS_PER_REQUEST
    );
    assert!(switch.injected() > 0, "no fault was injected");
    assert!(
        refusals.load(Ordering::Relaxed) > 0,
        "no request met a fault: the test proves nothing"
    );
    assert!(unhealthy_seen > 0, "/health never reported a fault");

    // Storage works again: the twin recovers by itself and drains everything.
    let started = Instant::now();
    loop {
        let (code, s) = get(&base, "/status");
        assert_eq!(code, 200);
        let busy = s["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["visible"].as_u64() != Some(0) || a["in_flight"].as_u64() != Some(0));
        if !busy && s["storage_fault"].is_null() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the twin did not recover and drain: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get(&base, "/health").0, 200);
    running.stop();
    drop(rt);

    // What the file holds, opened afresh without the fault VFS.
    let rt = open(dir.path(), None);
    let archived = rt.archived("LeadCreated").unwrap();
    let stored: BTreeSet<String> = archived
        .iter()
        .map(|e| e.detail.event_id.to_string())
        .collect();
    assert_eq!(
        stored, acknowledged,
        "the stored events are exactly the acknowledged ones"
    );
    // Each was handled once by every agent its rules route it to: one idempotency record per
    // (agent, event), and each lead's profile written once.
    let routed_to: BTreeMap<String, String> = rt
        .store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT event_id, routed_to FROM events WHERE detail_type = 'LeadCreated'",
            )?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        })
        .unwrap();
    let handled: BTreeSet<(String, String)> = rt
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT agent, event_id FROM handled")?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        })
        .unwrap();
    for id in &acknowledged {
        let agents = &routed_to[id];
        assert!(!agents.is_empty(), "{id} was routed to no agent");
        for agent in agents.split(',') {
            assert!(
                handled.contains(&(agent.to_string(), id.clone())),
                "{agent} never handled {id}"
            );
        }
    }
    let status = rt.status().unwrap();
    assert_eq!(status.dead_letters, 0, "{:?}", rt.dead_letters().unwrap());
    // Effects once: a lead handled twice would have been scored twice.
    let scored = rt.archived("LeadScored").unwrap();
    assert_eq!(scored.len(), acknowledged.len(), "one score per lead");
    rt.store().verify_audit().unwrap();
}
