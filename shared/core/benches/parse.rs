//! Parsing cost: every sample event in `events/` through [`Event::parse`] (bytes to a
//! validated, typed event, the gate every event passes in the twin and on AWS), the strict
//! JSON reader against `serde_json`'s, and the contact checks.
//!
//! `cargo bench -p ascent-core --bench parse`. For a figure the machine's load does not blur,
//! count instructions of a fixed number of passes over the samples:
//! `PARSE_LOOPS=200 valgrind --tool=cachegrind --cache-sim=no <bench binary> --bench`
//! (less the count with `PARSE_LOOPS=0`, which is the set-up).

use ascent_core::contact::{check_email, check_phone};
use ascent_core::event::Event;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn sample_events() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("events/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&path).expect("sample");
            let e = Event::parse(text.as_bytes()).expect("valid sample");
            out.push(e.to_json());
        }
    }
    out.sort();
    out
}

/// Possible numbers of 30 countries: a mix that would defeat any small per-country cache.
const PHONES: [&str; 30] = [
    "+4930901820",
    "+12125550100",
    "+442071838750",
    "+33142685300",
    "+390612345678",
    "+34912345678",
    "+81312345678",
    "+61212345678",
    "+5511912345678",
    "+919812345678",
    "+861012345678",
    "+74951234567",
    "+27211234567",
    "+525512345678",
    "+31201234567",
    "+46812345678",
    "+4721234567",
    "+4532123456",
    "+358912345678",
    "+41441234567",
    "+43123456789",
    "+3222123456",
    "+48221234567",
    "+420212345678",
    "+302101234567",
    "+351211234567",
    "+353112345678",
    "+6561234567",
    "+85221234567",
    "+82212345678",
];

fn parse_all(events: &[String]) {
    for e in events {
        black_box(Event::parse(black_box(e.as_bytes())).expect("valid"));
    }
}

fn parse(c: &mut Criterion) {
    let events = sample_events();
    if let Some(n) = std::env::var("PARSE_LOOPS")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
    {
        for _ in 0..n {
            parse_all(&events);
        }
        std::process::exit(0);
    }
    let bytes: usize = events.iter().map(String::len).sum();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("all-sample-events", |b| b.iter(|| parse_all(&events)));
    group.bench_function("json-strict", |b| {
        b.iter(|| {
            for e in &events {
                black_box(ascent_core::json::from_slice(black_box(e.as_bytes())).expect("valid"));
            }
        })
    });
    group.bench_function("json-serde", |b| {
        b.iter(|| {
            for e in &events {
                let v: serde_json::Value =
                    serde_json::from_slice(black_box(e.as_bytes())).expect("valid");
                black_box(v);
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("contact");
    group.bench_function("email", |b| {
        b.iter(|| check_email(black_box("ana.ruiz@boreal-aero.example")))
    });
    group.bench_function("phone", |b| {
        b.iter(|| check_phone(black_box("+4930901820")))
    });
    for p in PHONES {
        assert_eq!(check_phone(p), Ok(()), "{p}");
    }
    group.bench_function("phone-30-countries", |b| {
        b.iter(|| {
            for p in PHONES {
                black_box(check_phone(black_box(p)).is_ok());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
