//! Routing throughput: every sample event in `events/` through the matcher built from all
//! agents' declared patterns (what the twin does for each event on the bus).
//!
//! `cargo bench -p ascent --bench routing`

use ascent_core::event::Event;
use ascent_core::routing::Router;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn sample_events() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("events/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&path).expect("sample");
            let e = Event::parse(text.as_bytes()).expect("valid sample");
            out.push(e.to_json());
        }
    }
    out
}

fn routing(c: &mut Criterion) {
    let decls = ascent::agents::declarations();
    let router = Router::new(&decls).expect("valid patterns");
    let events = sample_events();
    let mut group = c.benchmark_group("routing");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("all-agents/all-sample-events", |b| {
        b.iter(|| {
            let mut deliveries = 0;
            for e in &events {
                deliveries += router.route(black_box(e.as_bytes())).len();
            }
            deliveries
        })
    });
    group.bench_function("parse+validate+route", |b| {
        b.iter(|| {
            let mut deliveries = 0;
            for e in &events {
                let ev = Event::parse(black_box(e.as_bytes())).expect("valid");
                deliveries += router.route(ev.to_json().as_bytes()).len();
            }
            deliveries
        })
    });
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
