//! EventBridge pattern conformance: every (pattern, event, expected) case of
//! `tests/patterns/*.json` through the router, and every pattern of `invalid.json` refused
//! with an error naming the rule broken. Each file says where its cases come from
//! (docs/events.md, "Pattern semantics").

use ascent_core::agent::{AgentDecl, Department, QueueClass, Subscription};
use ascent_core::routing::{Router, pattern_matches, validate_pattern};
use serde_json::Value;
use std::path::PathBuf;

fn decl(pattern: Value) -> AgentDecl {
    AgentDecl {
        name: "a",
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![Subscription { name: "s", pattern }],
        reads: vec![],
        owns: vec![],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }
}

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/patterns")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert!(
        v["source"].is_string(),
        "{name} says where its cases come from"
    );
    v
}

/// Runs a file of cases; returns the failures (all reported at once).
fn run(name: &str) {
    let file = load(name);
    let mut failures = Vec::new();
    let cases = file["cases"].as_array().expect("cases");
    for case in cases {
        let pattern = &case["pattern"];
        let event = case.get("event").unwrap_or(&file["event"]);
        let want = case["match"].as_bool().expect("match: bool");
        let d = decl(pattern.clone());
        let got = match Router::verbatim([&d]) {
            Err(e) => Err(e.to_string()),
            Ok(r) => {
                let routed = !r.route(event.to_string().as_bytes()).is_empty();
                // The evaluator alone must agree, whichever path (quamina or the evaluator)
                // routed the pattern; and explain reports the router's verdict.
                let evaluated = pattern_matches(pattern, event);
                let explained = r.explain(event)[0].matched;
                if routed == evaluated && routed == explained {
                    Ok(routed)
                } else {
                    Err(format!(
                        "route {routed}, evaluator {evaluated}, explain {explained}"
                    ))
                }
            }
        };
        if got != Ok(want) {
            failures.push(format!("{pattern} on {event}: want {want}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn user_guide_examples() {
    run("user_guide.json");
}

#[test]
fn user_guide_comparison_operators_table() {
    run("user_guide_table.json");
}

#[test]
fn issue_21_cases() {
    run("issue_21.json");
}

#[test]
fn every_operator_positive_and_negative() {
    run("operators.json");
}

#[test]
fn event_ruler_readme_examples() {
    run("event_ruler.json");
}

#[test]
fn invalid_patterns_are_refused_naming_field_and_rule() {
    let file = load("invalid.json");
    let mut failures = Vec::new();
    for case in file["patterns"].as_array().expect("patterns") {
        let (pattern, words) = (&case[0], case[1].as_str().expect("words"));
        match validate_pattern(pattern) {
            Ok(()) => failures.push(format!("{pattern}: accepted")),
            Err(e) => {
                let names_field = !pattern.is_object() || e.contains("field `");
                if !e.contains(words) || !names_field {
                    failures.push(format!("{pattern}: error {e:?} does not say {words:?}"));
                }
            }
        }
        let d = decl(pattern.clone());
        if Router::verbatim([&d]).is_ok() {
            failures.push(format!("{pattern}: the router accepted it"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
