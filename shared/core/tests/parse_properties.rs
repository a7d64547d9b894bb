//! Fuzzing of the event-parsing gate as property tests, run by plain `cargo test` with a fixed
//! budget and seed (so a run takes a few seconds and a failure replays): arbitrary bytes,
//! arbitrary JSON, and mutations of every sample in `events/` (values replaced, keys removed
//! or added, bytes flipped, keys duplicated).
//!
//! Properties: nothing panics; every shape gives the same verdict (`Event::parse` of the
//! text, `Event::from_value` of the strictly read value); what is accepted round-trips
//! (`parse(to_json(e)) == e`, also through a PutEvents entry); a duplicated key is refused
//! naming it and where it is; a refusal never quotes a value it refused.
//!
//! More cases or another seed: `PROPTEST_CASES=5000 PROPTEST_RNG_SEED=7 cargo test -p
//! ascent-core --test parse_properties`.

use ascent_core::event::{Event, EventError, MAX_EVENT_BYTES, PutEventsEntry};
use ascent_core::json;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// The budget: `cases` unless `PROPTEST_CASES` says otherwise; a fixed seed unless
/// `PROPTEST_RNG_SEED` gives one; no regression files written into the source tree.
fn budget(cases: u32) -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(18);
    }
    config.failure_persistence = None;
    config
}

/// Every sample event (`events/*.json`), as values.
fn samples() -> &'static [Value] {
    static SAMPLES: OnceLock<Vec<Value>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("events/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        let out: Vec<Value> = paths
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect();
        assert!(out.len() > 50, "samples missing in {}", dir.display());
        out
    })
}

// ------------------------------------------------------------------ strategies

/// Keys the parser looks for, so that arbitrary JSON often hits real fields.
const KEYS: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "time",
    "account",
    "region",
    "resources",
    "detail",
    "event_id",
    "correlation_id",
    "causation_id",
    "actor",
    "kind",
    "payload",
    "email",
    "phone",
    "amount",
    "currency",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KEYS).prop_map(str::to_string),
        1 => ".{0,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        proptest::sample::select(vec![
            "ascent.crm",
            "aws.events",
            "LeadCreated",
            "ApprovalDecided",
            "2026-03-02T09:00:00Z",
            "0190a6a4-8a3c-7d62-9b59-8d5f8a3e2d11",
            "ana@boreal-aero.example",
            "a@x.example,evil@y.example",
            "+4930901820",
            "+49 30 901820",
            "USD",
            "system",
            "",
        ])
        .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change to a value tree; `at` picks the node (modulo the number of candidates).
#[derive(Clone, Debug)]
enum Mutation {
    Replace { at: usize, with: Value },
    Remove { at: usize },
    Insert { at: usize, key: String, with: Value },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), json_value()).prop_map(|(at, with)| Mutation::Replace { at, with }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
        (any::<usize>(), key(), json_value()).prop_map(|(at, key, with)| Mutation::Insert {
            at,
            key,
            with
        }),
    ]
}

/// Paths (object keys and array indices) of every node under `v`, the root first.
fn node_paths(v: &Value) -> Vec<Vec<Step>> {
    fn walk(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(path.clone());
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    path.push(Step::Key(k.clone()));
                    walk(child, path, out);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn node_mut<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

fn apply(v: &mut Value, m: &Mutation) {
    let paths = node_paths(v);
    match m {
        Mutation::Replace { at, with } => {
            *node_mut(v, &paths[at % paths.len()]) = with.clone();
        }
        Mutation::Remove { at } => {
            let path = &paths[at % paths.len()];
            if let Some((last, parent)) = path.split_last() {
                match (node_mut(v, parent), last) {
                    (Value::Object(o), Step::Key(k)) => {
                        o.remove(k);
                    }
                    (Value::Array(a), Step::Index(i)) => {
                        a.remove(*i);
                    }
                    _ => unreachable!("a path leads through containers"),
                }
            }
        }
        Mutation::Insert { at, key, with } => {
            let objects: Vec<&Vec<Step>> = paths
                .iter()
                .filter(|p| {
                    let mut probe = v.clone();
                    node_mut(&mut probe, p).is_object()
                })
                .collect();
            if !objects.is_empty() {
                let path = objects[at % objects.len()].clone();
                if let Value::Object(o) = node_mut(v, &path) {
                    o.insert(key.clone(), with.clone());
                }
            }
        }
    }
}

/// A sample with a few mutations.
fn mutated_sample() -> impl Strategy<Value = Value> {
    (
        0..samples().len(),
        proptest::collection::vec(mutation(), 0..4),
    )
        .prop_map(|(i, mutations)| {
            let mut v = samples()[i].clone();
            for m in &mutations {
                apply(&mut v, m);
            }
            v
        })
}

/// Byte-level damage to a text.
#[derive(Clone, Debug)]
enum ByteEdit {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, byte: u8 },
    Delete { at: usize },
    Truncate { at: usize },
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| ByteEdit::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ByteEdit::Insert { at, byte }),
        (
            any::<usize>(),
            proptest::sample::select(b"{}[]\",:\\0-e.".to_vec())
        )
            .prop_map(|(at, byte)| ByteEdit::Insert { at, byte }),
        any::<usize>().prop_map(|at| ByteEdit::Delete { at }),
        any::<usize>().prop_map(|at| ByteEdit::Truncate { at }),
    ]
}

fn damage(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for e in edits {
        let n = bytes.len().max(1);
        match *e {
            ByteEdit::Flip { at, bit } => {
                if !bytes.is_empty() {
                    bytes[at % n] ^= 1 << bit;
                }
            }
            ByteEdit::Insert { at, byte } => bytes.insert(at % (bytes.len() + 1), byte),
            ByteEdit::Delete { at } => {
                if !bytes.is_empty() {
                    bytes.remove(at % n);
                }
            }
            ByteEdit::Truncate { at } => bytes.truncate(at % n),
        }
    }
    bytes
}

// ------------------------------------------------------------------ the verdicts

/// `Event::parse` of the bytes and `Event::from_value` of the strictly read value agree, and
/// an accepted event round-trips. Returns the verdict.
fn check_shapes_agree(bytes: &[u8]) -> Result<Event, EventError> {
    let parsed = Event::parse(bytes);
    let by_value = match json::from_slice(bytes) {
        Ok(v) => {
            let without_time = !matches!(v.get("time"), Some(Value::String(_)));
            Event::from_value(v).map(|mut e| {
                // Without a `time` both take "now": compare the rest.
                if without_time && let Ok(p) = &parsed {
                    e.time = p.time;
                }
                e
            })
        }
        Err(e) => Err(EventError::from(e)),
    };
    assert_eq!(parsed, by_value, "parse and from_value disagree");
    if let Ok(e) = &parsed {
        round_trips(e);
    }
    parsed
}

fn round_trips(e: &Event) {
    assert_eq!(
        Event::parse(e.to_json().as_bytes()).as_ref(),
        Ok(e),
        "to_json"
    );
    assert_eq!(Event::from_value(e.to_value()).as_ref(), Ok(e), "to_value");
    assert_eq!(e.check(), Ok(()), "an accepted event passes its own checks");
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let back = PutEventsEntry::from_event(e)
        .into_event(now)
        .expect("an accepted event is an accepted PutEvents entry");
    assert_eq!(
        (&back.source, back.time, &back.resources, &back.detail),
        (&e.source, e.time, &e.resources, &e.detail),
        "PutEvents entry"
    );
}

// ------------------------------------------------------------------ duplicate keys

/// Compact JSON of `v` with the members of its `target`-th object (pre-order, non-empty
/// objects only) written twice where the member's key is `dup`-th; returns the text and the
/// path and key of the repeated member.
fn text_with_duplicate(v: &Value, target: usize, dup: usize) -> (String, Option<(String, String)>) {
    struct Writer {
        out: String,
        objects_seen: usize,
        target: usize,
        dup: usize,
        found: Option<(String, String)>,
    }
    fn path_text(path: &[Step]) -> String {
        let mut s = String::new();
        for step in path {
            match step {
                Step::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Step::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }
    impl Writer {
        fn write(&mut self, v: &Value, path: &mut Vec<Step>) {
            match v {
                Value::Object(m) if !m.is_empty() => {
                    let here = self.objects_seen;
                    self.objects_seen += 1;
                    let repeat = (here == self.target).then(|| self.dup % m.len());
                    self.out.push('{');
                    let mut first = true;
                    for (i, (k, child)) in m.iter().enumerate() {
                        let times = if repeat == Some(i) { 2 } else { 1 };
                        for _ in 0..times {
                            if !first {
                                self.out.push(',');
                            }
                            first = false;
                            self.out.push_str(&serde_json::to_string(k).unwrap());
                            self.out.push(':');
                            path.push(Step::Key(k.clone()));
                            self.write(child, path);
                            path.pop();
                        }
                        if repeat == Some(i) && self.found.is_none() {
                            let mut p = path.clone();
                            p.push(Step::Key(k.clone()));
                            self.found = Some((path_text(&p), k.clone()));
                        }
                    }
                    self.out.push('}');
                }
                Value::Array(a) => {
                    self.out.push('[');
                    for (i, child) in a.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        path.push(Step::Index(i));
                        self.write(child, path);
                        path.pop();
                    }
                    self.out.push(']');
                }
                other => self.out.push_str(&serde_json::to_string(other).unwrap()),
            }
        }
    }
    let mut w = Writer {
        out: String::new(),
        objects_seen: 0,
        target,
        dup,
        found: None,
    };
    w.write(v, &mut Vec::new());
    (w.out, w.found)
}

/// A string no sample contains, and that no refusal can contain by accident.
fn marker() -> impl Strategy<Value = String> {
    "[a-z]{3,6}[ ,;<>@\"`'+.]{1,3}[a-z0-9]{3,6}".prop_map(|s| format!("Zq9{s}"))
}

// ------------------------------------------------------------------ the properties

proptest! {
    #![proptest_config(budget(256))]

    /// Bytes that are (mostly) not JSON: no panic, the same verdict on every shape.
    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = check_shapes_agree(&bytes);
    }

    /// JSON of any shape, often with the envelope's keys.
    #[test]
    fn arbitrary_json(v in json_value()) {
        let _ = check_shapes_agree(serde_json::to_string(&v).unwrap().as_bytes());
    }

    /// Every sample with values replaced, keys removed or added: the same verdict on every
    /// shape, and what is accepted round-trips.
    #[test]
    fn mutated_samples(v in mutated_sample()) {
        let _ = check_shapes_agree(serde_json::to_string(&v).unwrap().as_bytes());
    }

    /// Every sample with bytes flipped, inserted, deleted or cut off.
    #[test]
    fn damaged_samples(
        i in 0..samples().len(),
        edits in proptest::collection::vec(byte_edit(), 1..4),
    ) {
        let text = serde_json::to_vec_pretty(&samples()[i]).unwrap();
        let _ = check_shapes_agree(&damage(text, &edits));
    }

    /// A key written twice anywhere is refused, naming the key and where it is; in the
    /// PutEvents `Detail` string too.
    #[test]
    fn duplicate_keys_are_refused_where_they_are(
        v in mutated_sample(),
        target in any::<usize>(),
        dup in any::<usize>(),
    ) {
        let objects = {
            let (_, none) = text_with_duplicate(&v, usize::MAX, 0);
            prop_assert!(none.is_none());
            node_paths(&v)
                .iter()
                .filter(|p| {
                    let mut probe = v.clone();
                    node_mut(&mut probe, p).as_object().is_some_and(|o| !o.is_empty())
                })
                .count()
        };
        prop_assume!(objects > 0);
        let (text, found) = text_with_duplicate(&v, target % objects, dup);
        let (path, key) = found.expect("an object to repeat a member of");
        let expected = EventError::Invalid {
            field: path.clone(),
            problem: format!("duplicate key `{key}`"),
        };
        prop_assert_eq!(Event::parse(text.as_bytes()), Err(expected.clone()));
        prop_assert_eq!(check_shapes_agree(text.as_bytes()), Err(expected));
    }

    /// The same in a PutEvents entry's `Detail` string, which is JSON inside JSON.
    #[test]
    fn duplicate_keys_in_a_put_events_detail_are_refused(
        i in 0..samples().len(),
        target in any::<usize>(),
        dup in any::<usize>(),
    ) {
        let sample = &samples()[i];
        let detail = &sample["detail"];
        let objects = node_paths(detail)
            .iter()
            .filter(|p| {
                let mut probe = detail.clone();
                node_mut(&mut probe, p).as_object().is_some_and(|o| !o.is_empty())
            })
            .count();
        let (text, found) = text_with_duplicate(detail, target % objects, dup);
        let (path, key) = found.expect("an object to repeat a member of");
        let entry = PutEventsEntry {
            source: sample["source"].as_str().unwrap().into(),
            detail_type: sample["detail-type"].as_str().unwrap().into(),
            detail: text,
            event_bus_name: None,
            time: None,
            resources: Vec::new(),
        };
        let field = if path.is_empty() { "detail".to_string() } else { format!("detail.{path}") };
        prop_assert_eq!(
            entry.into_event(Utc::now()),
            Err(EventError::Invalid { field, problem: format!("duplicate key `{key}`") })
        );
    }

    /// A value put anywhere in a payload (in place of a string, a number, an object…) is never
    /// quoted by the refusal, whatever the rule that refused it.
    #[test]
    fn refusals_never_quote_a_payload_value(
        i in 0..samples().len(),
        at in any::<usize>(),
        value in marker(),
    ) {
        let mut v = samples()[i].clone();
        let payload = &mut v["detail"]["payload"];
        let paths = node_paths(payload);
        let path = &paths[1.max(at % paths.len().max(1)).min(paths.len() - 1)];
        *node_mut(payload, path) = Value::from(value.clone());
        let text = serde_json::to_string(&v).unwrap();
        if let Err(e) = check_shapes_agree(text.as_bytes()) {
            let shown = e.to_string();
            prop_assert!(
                !shown.contains("Zq9"),
                "the refusal quotes the value: {}", shown
            );
        }
    }


    /// Any finite number in a payload survives the trip through JSON exactly (serde_json
    /// without `float_roundtrip` is documented as best effort).
    #[test]
    fn numbers_round_trip_exactly(value in any::<f64>(), threshold in any::<f64>()) {
        prop_assume!(value.is_finite() && threshold.is_finite());
        let e = Event::new(
            "ascent.system",
            ascent_core::Actor::system("monitor"),
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
            ascent_core::catalog::ThresholdCrossed {
                metric: "queue_depth".into(),
                value,
                threshold,
                direction: ascent_core::catalog::Direction::Above,
            },
        );
        round_trips(&e);
    }
}

proptest! {
    // Each case moves a quarter of a megabyte through a debug build: fewer of them.
    #![proptest_config(budget(24))]

    /// Every shape holds to the 256 KB limit, on either side of it.
    #[test]
    fn the_size_limit_holds_for_every_shape(
        i in 0..samples().len(),
        extra in 0usize..64,
        over in any::<bool>(),
    ) {
        let mut v = samples()[i].clone();
        v["resources"] = json!([]);
        let base = serde_json::to_vec(&v).unwrap().len();
        // A resource string of n bytes adds n + 2 (its quotes).
        let n = if over { MAX_EVENT_BYTES - base - 2 + 1 + extra } else { MAX_EVENT_BYTES - base - 2 - extra };
        v["resources"] = json!(["r".repeat(n)]);
        let text = serde_json::to_vec(&v).unwrap();
        prop_assert_eq!(text.len() > MAX_EVENT_BYTES, over);
        let parsed = Event::parse(&text);
        let by_value = Event::from_value(v.clone());
        if over {
            prop_assert!(matches!(parsed, Err(EventError::TooLarge { .. })), "{:?}", parsed.err());
            prop_assert!(matches!(by_value, Err(EventError::TooLarge { .. })), "{:?}", by_value.err());
        } else {
            prop_assert!(!matches!(parsed, Err(EventError::TooLarge { .. })), "refused under the limit");
            prop_assert!(!matches!(by_value, Err(EventError::TooLarge { .. })), "refused under the limit");
        }
    }
}

#[test]
fn every_sample_is_accepted_and_round_trips() {
    for v in samples() {
        let e = check_shapes_agree(serde_json::to_string(v).unwrap().as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", v["detail-type"]));
        round_trips(&e);
    }
}
