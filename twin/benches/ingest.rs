//! Ingestion throughput with durable acknowledgements: several clients hand requests of 10
//! events to the twin at once, and each request returns only when its events are stored.
//! Three ways, alternated over rounds on the same machine:
//!
//! - `group commit, synced` — what `ascent up` does: one thread commits every waiting request
//!   in one transaction and one sync;
//! - `per request, synced` — one transaction and one sync per request;
//! - `per request, not synced` — the durability before 2026-12-04 (a power loss could take
//!   acknowledged events).
//!
//! `cargo bench -p ascent --bench ingest` (the data goes to a temporary folder under
//! `target/`, on the project's disk).

use ascent_core::event::{Actor, Event};
use ascent_core::ports::SystemClock;
use ascent_embedded::store::StoreOptions;
use ascent_embedded::{GroupCommit, Runtime, Store, TwinConfig};
use std::sync::Arc;
use std::time::Instant;

const CLIENTS: usize = 8;
const REQUESTS_PER_CLIENT: usize = 150;
const EVENTS_PER_REQUEST: usize = 10;
const ROUNDS: usize = 3;

#[derive(Clone, Copy, Debug)]
enum Mode {
    GroupSynced,
    PerRequestSynced,
    PerRequestUnsynced,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::GroupSynced => "group commit, synced",
            Mode::PerRequestSynced => "per request, synced",
            Mode::PerRequestUnsynced => "per request, not synced",
        }
    }
}

fn lead(c: usize, r: usize, n: usize) -> Event {
    let id = format!("L{c}-{r}-{n}");
    Event::new(
        "ascent.crm",
        Actor::system("crm"),
        chrono::Utc::now(),
        ascent_core::catalog::LeadCreated {
            lead_id: id.clone(),
            email: format!("{}@bench.example", id.to_lowercase()),
            full_name: "Bench Lead".into(),
            company: "Bench".into(),
            company_size: 50,
            industry: "manufacturing".into(),
            role: "CTO".into(),
            country: None,
            channel: "web".into(),
            phone: None,
            time_zone: None,
        },
    )
}

/// Events per second for one round of `mode` on a fresh database.
fn round(mode: Mode) -> f64 {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let dir = tempfile::tempdir_in(root).expect("temp dir");
    let options = StoreOptions {
        synced_commits: !matches!(mode, Mode::PerRequestUnsynced),
        vfs: None,
    };
    let store = Store::open_with(&dir.path().join("twin.db"), Arc::new(SystemClock), options)
        .expect("store");
    let rt = Arc::new(
        Runtime::new(
            Arc::new(store),
            ascent::agents::all(),
            TwinConfig::default(),
        )
        .expect("runtime"),
    );
    let group = Arc::new(GroupCommit::start(rt.clone()).expect("group commit"));
    let requests: Vec<Vec<Vec<Event>>> = (0..CLIENTS)
        .map(|c| {
            (0..REQUESTS_PER_CLIENT)
                .map(|r| (0..EVENTS_PER_REQUEST).map(|n| lead(c, r, n)).collect())
                .collect()
        })
        .collect();
    let started = Instant::now();
    let clients: Vec<_> = requests
        .into_iter()
        .map(|mine| {
            let (rt, group) = (rt.clone(), group.clone());
            std::thread::spawn(move || {
                for events in mine {
                    match mode {
                        Mode::GroupSynced => {
                            futures::executor::block_on(group.ingest(events)).expect("stored");
                        }
                        _ => {
                            rt.ingest(&events).expect("stored");
                        }
                    }
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client");
    }
    let secs = started.elapsed().as_secs_f64();
    (CLIENTS * REQUESTS_PER_CLIENT * EVENTS_PER_REQUEST) as f64 / secs
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks what there is
    }
    let modes = [
        Mode::GroupSynced,
        Mode::PerRequestSynced,
        Mode::PerRequestUnsynced,
    ];
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    for _ in 0..ROUNDS {
        for (i, mode) in modes.iter().enumerate() {
            results[i].push(round(*mode));
        }
    }
    println!(
        "{CLIENTS} clients x {REQUESTS_PER_CLIENT} requests x {EVENTS_PER_REQUEST} events, {ROUNDS} rounds alternated"
    );
    for (mode, r) in modes.iter().zip(results) {
        let mut sorted = r.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "{:<26} median {:>8.0} events/s ({:>6.0} requests/s); rounds: {}",
            mode.name(),
            sorted[sorted.len() / 2],
            sorted[sorted.len() / 2] / EVENTS_PER_REQUEST as f64,
            r.iter()
                .map(|x| format!("{x:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
