//! EventBridge-pattern routing from agents' declared subscriptions.
//!
//! [`Router::new`] routes with the patterns the twin and the template share: each declared
//! pattern with the `source` condition of its detail-types' producers added
//! ([`Producers::authenticate`]), so an event is delivered only from a producer of its type.
//!
//! Patterns are validated first ([`validate_pattern`], in `pattern.rs`): every pattern
//! EventBridge refuses is refused, naming the field and the rule. Keys with dots are expanded
//! into the fields they name (`{"a.b": [1]}` is `{"a": {"b": [1]}}`, as aws/event-ruler
//! compiles it), and each pattern into its `$or` branches. A branch made only of what
//! `quamina` (the automaton matcher designed for EventBridge-style patterns) gets right goes to
//! quamina: exact strings, booleans and null, prefix, suffix, wildcard without escapes,
//! `exists: true`, anything-but of strings. Every other branch is evaluated by `matcher.rs` on
//! the parsed event, because quamina 0.x gets them wrong (issue 21): numeric ranges admit an
//! exclusive lower bound, IPv6 `cidr` never matches, several `exists: false` fail, numbers
//! compare as text, prefix/suffix with equals-ignore-case are refused, equals-ignore-case folds
//! differently from aws/event-ruler, and anything-but of prefix/suffix/wildcard/equals-ignore-
//! case is missing. quamina also reads an event key with a dot as a name where event-ruler
//! reads a path: an event that may have such a key naming a field quamina's branches nest
//! (found by one pass over its bytes) is evaluated by `matcher.rs` for those branches too.
//! `matcher.rs` implements all of EventBridge's semantics (the conformance suite,
//! `tests/pattern_conformance.rs`, runs every case through both paths), so quamina is the fast
//! path, not the definition.

use crate::agent::{AgentDecl, QueueClass};
use crate::producers::Producers;
use quamina::Quamina;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

mod matcher;
mod pattern;

pub use pattern::validate_pattern;

/// Does a valid pattern match `event`, by EventBridge's semantics? The evaluator alone, without
/// quamina (the router uses quamina for the branches it gets right; both must agree).
pub fn pattern_matches(pattern: &Value, event: &Value) -> bool {
    pattern
        .as_object()
        .is_some_and(|p| matcher::matches_as_written(p, event))
}

/// A pattern EventBridge would refuse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid event pattern for {rule}: {problem}")]
pub struct PatternError {
    pub rule: String,
    pub problem: String,
}

/// One subscription of one agent.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub agent: &'static str,
    pub subscription: &'static str,
    pub queue: QueueClass,
    /// The pattern routed with (on the twin and in the template's EventBridge rule): the
    /// declared one with its producers' `source` condition.
    pub pattern: Value,
}

impl Rule {
    /// `agent/subscription`, also the EventBridge rule's logical name.
    pub fn name(&self) -> String {
        format!("{}/{}", self.agent, self.subscription)
    }
}

/// Routes events to the agents whose rules match them.
pub struct Router {
    matcher: Quamina<u32>,
    rules: Vec<Rule>,
    /// Per quamina pattern id: the rule of the branch.
    branches: Vec<u32>,
    /// Branches quamina does not get right, by rule: evaluated by [`matcher::matches`].
    evaluated: Vec<(u32, Map<String, Value>)>,
    /// The branches given to quamina that nest fields, by rule, for events quamina does not
    /// read right: those with a key with dots that may name a field of theirs (quamina takes
    /// `"a.b"` for a name, aws/event-ruler for the path `a`, `b`): such an event (rare: the
    /// scan for one is a `memchr` pass) has the branches of rules quamina did not match
    /// evaluated by [`matcher::matches`].
    native: Vec<(u32, Map<String, Value>)>,
    /// What such a key starts with: `"` and a name the native branches nest fields in
    /// (`"detail`, `"payload`); empty when no native branch nests.
    nesting_keys: Vec<Vec<u8>>,
    /// The detail-type fast path ([`Router::route_typed`]): rules with a branch that names
    /// detail-types, and perhaps sources, and nothing else, by detail-type (in declaration
    /// order) with the sources the branch allows (`None`: any).
    by_type: HashMap<String, Vec<TypedRule>>,
    /// Detail-types that some other branch may match; `None` if such a branch does not name
    /// its detail-types, when every event goes through the matcher.
    matched_types: Option<HashSet<String>>,
    producers: Producers,
}

/// A rule the fast path knows from the detail-type: its id, and the sources its branch allows
/// (`None`: any).
type TypedRule = (u32, Option<Vec<String>>);

fn plain_strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// What a pattern's branch (no `$or`) names: its exact detail-types, if it names them as plain
/// strings; and, if it names nothing else but plain sources, those sources (`Some(None)`: no
/// source condition).
type NamedTypes = (Vec<String>, Option<Option<Vec<String>>>);

fn named_types(branch: &Value) -> Option<NamedTypes> {
    let m = branch.as_object()?;
    let types = plain_strings(m.get("detail-type")?)?;
    let sources = match m.get("source") {
        None => Some(None),
        Some(v) => plain_strings(v).map(Some),
    };
    let only = m.keys().all(|k| k == "detail-type" || k == "source");
    Some((types, sources.filter(|_| only)))
}

/// Can quamina evaluate this branch (no `$or`) exactly as EventBridge does?
fn quamina_safe(branch: &Map<String, Value>) -> bool {
    branch.iter().all(|(k, v)| {
        !k.contains('.')
            && match v {
                Value::Object(sub) => quamina_safe(sub),
                Value::Array(conds) => conds.iter().all(quamina_leaf),
                _ => false,
            }
    })
}

fn quamina_leaf(c: &Value) -> bool {
    match c {
        Value::String(_) | Value::Bool(_) | Value::Null => true,
        Value::Object(op) => match op.iter().next() {
            Some((k, Value::String(s))) => match k.as_str() {
                "prefix" | "suffix" => true,
                "wildcard" => !s.contains('\\'),
                "anything-but" => true,
                _ => false,
            },
            Some((k, Value::Bool(true))) => k == "exists",
            Some((k, Value::Array(a))) => k == "anything-but" && a.iter().all(Value::is_string),
            _ => false,
        },
        _ => false,
    }
}

/// Expands every `$or` into separate patterns (their union matches the same events).
pub fn expand_or(pattern: &Value) -> Vec<Value> {
    let Value::Object(m) = pattern else {
        return vec![pattern.clone()];
    };
    let mut acc: Vec<Map<String, Value>> = vec![Map::new()];
    for (k, v) in m {
        let options: Vec<Map<String, Value>> = if k == "$or" {
            v.as_array()
                .into_iter()
                .flatten()
                .flat_map(expand_or)
                .filter_map(|p| p.as_object().cloned())
                .collect()
        } else if v.is_object() {
            expand_or(v)
                .into_iter()
                .map(|sub| {
                    let mut one = Map::new();
                    one.insert(k.clone(), sub);
                    one
                })
                .collect()
        } else {
            let mut one = Map::new();
            one.insert(k.clone(), v.clone());
            vec![one]
        };
        let mut next = Vec::with_capacity(acc.len() * options.len());
        for base in &acc {
            for opt in &options {
                let mut merged = base.clone();
                merge(&mut merged, opt);
                next.push(merged);
            }
        }
        acc = next;
    }
    acc.into_iter().map(Value::Object).collect()
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// One leaf condition of a pattern and whether the event met it.
#[derive(Clone, Debug, Serialize)]
pub struct ConditionCheck {
    /// Dotted field path (`detail.payload.to_stage`).
    pub field: String,
    /// The pattern's value array for that field.
    pub condition: Value,
    /// What the event holds there (`null` when absent).
    pub actual: Value,
    pub met: bool,
}

/// Why a rule did or did not match.
#[derive(Clone, Debug, Serialize)]
pub struct RuleExplanation {
    pub rule: String,
    pub agent: &'static str,
    pub matched: bool,
    /// For a `$or` pattern: one list per branch.
    pub branches: Vec<Vec<ConditionCheck>>,
}

impl Router {
    /// Routes the agents' subscriptions, each with the `source` condition of its detail-types'
    /// producers (the same patterns as the template's rules). A pattern must name its
    /// detail-types as plain strings, and a declaration may emit only what it may produce.
    pub fn new<'a>(decls: impl IntoIterator<Item = &'a AgentDecl>) -> Result<Self, PatternError> {
        let decls: Vec<&AgentDecl> = decls.into_iter().collect();
        let producers = Producers::new(decls.iter().copied()).map_err(|e| PatternError {
            rule: match &e {
                crate::producers::DeclarationError::UnknownType { agent, .. }
                | crate::producers::DeclarationError::PlatformType { agent, .. } => agent.clone(),
            },
            problem: e.to_string(),
        })?;
        Self::build(decls, producers, true)
    }

    /// Routes the patterns exactly as declared, without any `source` condition: EventBridge
    /// pattern semantics alone (for tests of the matcher; agents are routed with
    /// [`Router::new`]).
    pub fn verbatim<'a>(
        decls: impl IntoIterator<Item = &'a AgentDecl>,
    ) -> Result<Self, PatternError> {
        let producers = Producers::new([]).expect("no declaration breaks a rule");
        Self::build(decls.into_iter().collect(), producers, false)
    }

    fn build(
        decls: Vec<&AgentDecl>,
        producers: Producers,
        authenticate: bool,
    ) -> Result<Self, PatternError> {
        let mut matcher = Quamina::<u32>::new();
        let mut rules = Vec::new();
        let mut branches = Vec::new();
        let mut evaluated = Vec::new();
        let mut native_branches = Vec::new();
        let mut nesting: HashSet<String> = HashSet::new();
        let mut by_type: HashMap<String, Vec<TypedRule>> = HashMap::new();
        let mut matched_types = Some(HashSet::new());
        for d in decls {
            for s in &d.subscriptions {
                let name = format!("{}/{}", d.name, s.name);
                let err = |problem: String| PatternError {
                    rule: name.clone(),
                    problem,
                };
                validate_pattern(&s.pattern).map_err(err)?;
                let pattern = if authenticate {
                    let p = producers.authenticate(&s.pattern).map_err(err)?;
                    validate_pattern(&p).map_err(err)?;
                    p
                } else {
                    s.pattern.clone()
                };
                let rule = Rule {
                    agent: d.name,
                    subscription: s.name,
                    queue: d.queue,
                    pattern,
                };
                let rule_id = rules.len() as u32;
                // Keys with dots expanded into the fields they name, as aws/event-ruler does.
                let expanded = rule
                    .pattern
                    .as_object()
                    .map(|m| pattern::expand_keys(m, ""))
                    .transpose()
                    .map_err(err)?
                    .map_or(Value::Null, Value::Object);
                for branch in expand_or(&expanded) {
                    match named_types(&branch) {
                        Some((types, Some(sources))) => {
                            for t in types {
                                by_type
                                    .entry(t)
                                    .or_default()
                                    .push((rule_id, sources.clone()));
                            }
                        }
                        Some((types, None)) => {
                            if let Some(set) = matched_types.as_mut() {
                                set.extend(types);
                            }
                        }
                        None => matched_types = None,
                    }
                    match branch {
                        Value::Object(b) if !quamina_safe(&b) => evaluated.push((rule_id, b)),
                        native => {
                            let branch_id = branches.len() as u32;
                            matcher
                                .add_pattern(branch_id, &native.to_string())
                                .map_err(|e| err(e.to_string()))?;
                            branches.push(rule_id);
                            if let Value::Object(b) = native
                                && b.values().any(Value::is_object)
                            {
                                nesting_names(&b, &mut nesting);
                                native_branches.push((rule_id, b));
                            }
                        }
                    }
                }
                rules.push(rule);
            }
        }
        let mut nesting_keys: Vec<Vec<u8>> = nesting
            .into_iter()
            .map(|n| [b"\"", n.as_bytes()].concat())
            .collect();
        nesting_keys.sort();
        Ok(Self {
            matcher,
            rules,
            branches,
            evaluated,
            native: native_branches,
            nesting_keys,
            by_type,
            matched_types,
            producers,
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The producers of each detail-type with these agents (what [`Router::new`] routes by,
    /// and what ingestion from outside checks with [`Producers::admit`]).
    pub fn producers(&self) -> &Producers {
        &self.producers
    }

    /// Rules matching an event (one per agent, first declared subscription wins), in
    /// declaration order.
    pub fn route(&self, event_json: &[u8]) -> Vec<&Rule> {
        let mut ids = self.matching_rules(event_json);
        ids.sort_unstable();
        ids.dedup();
        self.first_per_agent(ids)
    }

    /// [`Router::route`] for an event whose `source` and `detail-type` are `source` and
    /// `detail_type` (the caller built `event_json` from them). When every pattern that could
    /// match that detail-type names only detail-types and sources, the answer is known without
    /// reading the event; otherwise the matcher decides, as in `route`.
    pub fn route_typed(&self, source: &str, detail_type: &str, event_json: &[u8]) -> Vec<&Rule> {
        match &self.matched_types {
            Some(types) if !types.contains(detail_type) => {
                let mut ids: Vec<u32> = self
                    .by_type
                    .get(detail_type)
                    .into_iter()
                    .flatten()
                    .filter(|(_, sources)| {
                        sources
                            .as_ref()
                            .is_none_or(|s| s.iter().any(|x| x == source))
                    })
                    .map(|(id, _)| *id)
                    .collect();
                ids.dedup();
                self.first_per_agent(ids)
            }
            _ => self.route(event_json),
        }
    }

    /// One rule per agent, the first declared, from rule ids in ascending order.
    fn first_per_agent(&self, ids: Vec<u32>) -> Vec<&Rule> {
        let mut out: Vec<&Rule> = Vec::with_capacity(ids.len());
        for id in ids {
            let r = &self.rules[id as usize];
            if !out.iter().any(|o| o.agent == r.agent) {
                out.push(r);
            }
        }
        out
    }

    fn matching_rules(&self, event_json: &[u8]) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .matcher
            .matches_for_event(event_json)
            .unwrap_or_default()
            .into_iter()
            .map(|b| self.branches[b as usize])
            .collect();
        // quamina reads `{"a.b": 1}` as the name `a.b`; event-ruler (and the evaluator) as `b`
        // inside `a`. When the event may have a key with dots naming a nested field, the
        // nesting branches of the rules quamina did not match are evaluated.
        let closer = !self.native.is_empty() && may_nest_by_dots(event_json, &self.nesting_keys);
        if !self.evaluated.is_empty() || closer {
            let parsed: Value = serde_json::from_slice(event_json).unwrap_or(Value::Null);
            let event = matcher::expand_event(&parsed);
            let quamina_matched = ids.len();
            ids.extend(
                self.evaluated
                    .iter()
                    .filter(|(_, p)| matcher::matches(p, &event))
                    .map(|(rule, _)| *rule),
            );
            if closer {
                // Rules quamina matched need no second look (the caller dedups the rest).
                let seen = ids[..quamina_matched].to_vec();
                ids.extend(
                    self.native
                        .iter()
                        .filter(|(rule, p)| !seen.contains(rule) && matcher::matches(p, &event))
                        .map(|(rule, _)| *rule),
                );
            }
        }
        ids
    }

    /// Explains every rule against an event, condition by condition.
    pub fn explain(&self, event: &Value) -> Vec<RuleExplanation> {
        let bytes = event.to_string();
        let matched = self.matching_rules(bytes.as_bytes());
        self.rules
            .iter()
            .enumerate()
            .map(|(i, r)| RuleExplanation {
                rule: r.name(),
                agent: r.agent,
                matched: matched.contains(&(i as u32)),
                branches: expand_or(&r.pattern)
                    .iter()
                    .map(|b| leaves(b, &mut Vec::new()))
                    .map(|ls| {
                        ls.into_iter()
                            .map(|(path, cond)| check_leaf(&path, cond, event))
                            .collect()
                    })
                    .collect(),
            })
            .collect()
    }
}

/// The names `branch` nests fields in (`detail` and `payload` of
/// `{"detail": {"payload": {"kind": […]}}}`).
fn nesting_names(branch: &Map<String, Value>, out: &mut HashSet<String>) {
    for (k, v) in branch {
        if let Value::Object(sub) = v {
            out.insert(k.clone());
            nesting_names(sub, out);
        }
    }
}

/// Whether the event (JSON text) may have a key with dots whose first name is one the native
/// branches nest fields in (`"detail.payload"`, `"payload.kind"`): a `.` right after `"` and
/// one of `keys`. A `\u` escape anywhere counts too (it may write a name or a dot; rare in
/// events). One pass over the bytes with `memchr`, looking closer only at a `.` or a `\`.
fn may_nest_by_dots(json: &[u8], keys: &[Vec<u8>]) -> bool {
    let closer = |i: usize| -> bool {
        if json[i] == b'.' {
            let before = &json[..i];
            keys.iter().any(|k| before.ends_with(k))
        } else {
            // `\u…`, or an escape inside a name the branches nest in (`a\"b`).
            json.get(i + 1) == Some(&b'u')
                || keys
                    .iter()
                    .any(|k| k[1..].iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20))
        }
    };
    memchr::memchr2_iter(b'.', b'\\', json).any(closer)
}

fn leaves(p: &Value, path: &mut Vec<String>) -> Vec<(Vec<String>, Value)> {
    let mut out = Vec::new();
    if let Value::Object(m) = p {
        for (k, v) in m {
            path.push(k.clone());
            if v.is_object() {
                out.extend(leaves(v, path));
            } else {
                out.push((path.clone(), v.clone()));
            }
            path.pop();
        }
    }
    out
}

fn check_leaf(path: &[String], condition: Value, event: &Value) -> ConditionCheck {
    let mut single = condition.clone();
    for k in path.iter().rev() {
        let mut m = Map::new();
        m.insert(k.clone(), single);
        single = Value::Object(m);
    }
    let met = single
        .as_object()
        .is_some_and(|p| matcher::matches_as_written(p, event));
    let mut actual = event;
    for k in path {
        actual = actual.get(k).unwrap_or(&Value::Null);
    }
    ConditionCheck {
        field: path.join("."),
        condition,
        actual: actual.clone(),
        met,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Department, Subscription};
    use serde_json::json;

    fn decl(name: &'static str, pattern: Value) -> AgentDecl {
        AgentDecl {
            name,
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

    /// Does `pattern` match `event`? Uses the real router.
    fn matches(pattern: Value, event: Value) -> bool {
        let d = decl("a", pattern);
        let r = Router::verbatim([&d]).unwrap();
        !r.route(event.to_string().as_bytes()).is_empty()
    }

    // The example event of the EventBridge user guide ("Creating event patterns").
    fn ec2_event() -> Value {
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": "111122223333",
            "time": "2017-12-22T18:43:48Z",
            "region": "us-west-1",
            "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
            "detail": {
                "instance-id": "i-1234567890abcdef0",
                "state": "terminated",
                "c-count": 5,
                "d-count": 3,
                "x-limit": 301.8,
                "source-ip": "10.0.0.123"
            }
        })
    }

    #[test]
    fn exact_and_array_values() {
        assert!(matches(json!({"source": ["aws.ec2"]}), ec2_event()));
        assert!(matches(
            json!({"detail": {"state": ["pending", "terminated"]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"state": ["running"]}}),
            ec2_event()
        ));
        // Event arrays: match when any element matches.
        assert!(matches(
            json!({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0", "other"]}),
            ec2_event()
        ));
    }

    #[test]
    fn prefix_suffix_wildcard_ignore_case() {
        assert!(matches(
            json!({"time": [{"prefix": "2017-12-22"}]}),
            ec2_event()
        ));
        assert!(matches(
            json!({"source": [{"suffix": ".ec2"}]}),
            ec2_event()
        ));
        assert!(matches(
            json!({"detail": {"instance-id": [{"wildcard": "i-*0"}]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"instance-id": [{"wildcard": "x-*"}]}}),
            ec2_event()
        ));
        assert!(matches(
            json!({"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}}),
            ec2_event()
        ));
    }

    #[test]
    fn anything_but_numeric_exists_cidr() {
        assert!(matches(
            json!({"detail": {"state": [{"anything-but": ["running", "stopped"]}]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"state": [{"anything-but": "terminated"}]}}),
            ec2_event()
        ));
        assert!(matches(
            json!({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"state": [{"anything-but": {"suffix": "ated"}}]}}),
            ec2_event()
        ));
        assert!(matches(
            json!({"detail": {"state": [{"anything-but": {"wildcard": "r*g"}}]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["TERMINATED", "x"]}}]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"nope": [{"anything-but": {"prefix": "x"}}]}}),
            ec2_event()
        ));
        assert!(matches(
            json!({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "x-limit": [{"numeric": ["<", 302]}]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"d-count": [{"numeric": [">", 3]}]}}),
            ec2_event()
        ));
        assert!(matches(
            json!({"detail": {"state": [{"exists": true}]}}),
            ec2_event()
        ));
        assert!(matches(
            json!({"detail": {"nope": [{"exists": false}]}}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"detail": {"state": [{"exists": false}]}}),
            ec2_event()
        ));
        assert!(matches(
            json!({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}),
            ec2_event()
        ));
    }

    #[test]
    fn or_across_fields() {
        let p =
            json!({"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [3]}]}});
        assert!(matches(p, ec2_event()));
        let p = json!({"source": ["aws.ec2"], "$or": [{"region": ["eu-west-1"]}, {"detail": {"state": ["stopped"]}}]});
        assert!(!matches(p, ec2_event()));
    }

    #[test]
    fn invalid_patterns_are_refused() {
        for bad in [
            json!({"source": "aws.ec2"}),
            json!({"source": []}),
            json!({"source": [{"regexish": "x"}]}),
            json!({"$or": [{"source": ["x"]}]}),
            json!(["x"]),
        ] {
            let d = decl("a", bad.clone());
            assert!(Router::verbatim([&d]).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn one_delivery_per_agent_and_explanations() {
        let mut d = decl("a", json!({"source": ["aws.ec2"]}));
        d.subscriptions.push(Subscription {
            name: "t",
            pattern: json!({"detail": {"state": ["terminated"]}}),
        });
        let e = decl("b", json!({"detail": {"state": ["running"]}}));
        let r = Router::verbatim([&d, &e]).unwrap();
        let hits = r.route(ec2_event().to_string().as_bytes());
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].subscription, "s");
        let why = r.explain(&ec2_event());
        assert_eq!(why.len(), 3);
        let b = why.iter().find(|w| w.agent == "b").unwrap();
        assert!(!b.matched);
        assert_eq!(b.branches[0][0].field, "detail.state");
        assert_eq!(b.branches[0][0].actual, json!("terminated"));
        assert!(!b.branches[0][0].met);
    }

    #[test]
    fn the_detail_type_fast_path_agrees_with_the_matcher() {
        let d = |name, pattern| decl(name, pattern);
        let decls = [
            d("plain", json!({"detail-type": ["A", "B"]})),
            d("also-plain", json!({"detail-type": ["B"]})),
            d(
                "content",
                json!({"detail-type": ["C"], "detail": {"x": [1]}}),
            ),
            d(
                "either",
                json!({"$or": [{"detail-type": ["D"]}, {"source": ["s"]}]}),
            ),
            d("any-but", json!({"detail-type": [{"anything-but": "A"}]})),
        ];
        let mut from_s = d(
            "from-s",
            json!({"detail-type": ["B"], "source": ["s", "t"]}),
        );
        from_s.subscriptions.push(Subscription {
            name: "u",
            pattern: json!({"detail-type": ["A"], "source": ["u"]}),
        });
        let event = |t: &str, source: &str, x: i64| {
            json!({"detail-type": t, "source": source, "detail": {"x": x}}).to_string()
        };
        let agents = |rules: Vec<&Rule>| rules.iter().map(|r| r.agent).collect::<Vec<_>>();
        // Some patterns do not name their detail-types: everything goes through the matcher.
        let all = Router::verbatim(&decls).unwrap();
        assert!(all.matched_types.is_none());
        // Only named detail-types (and sources): the fast path answers for the plain ones.
        let named = Router::verbatim(decls[..3].iter().chain([&from_s])).unwrap();
        assert_eq!(named.matched_types, Some(HashSet::from(["C".to_string()])));
        for router in [&all, &named] {
            for (t, source, x) in [
                ("A", "a", 0),
                ("A", "u", 0),
                ("B", "s", 0),
                ("B", "t", 0),
                ("C", "a", 1),
                ("C", "a", 2),
                ("D", "a", 0),
                ("E", "s", 0),
            ] {
                let e = event(t, source, x);
                assert_eq!(
                    agents(router.route_typed(source, t, e.as_bytes())),
                    agents(router.route(e.as_bytes())),
                    "{e}"
                );
            }
        }
        assert_eq!(
            agents(named.route_typed("a", "B", event("B", "a", 0).as_bytes())),
            ["plain", "also-plain"]
        );
        assert_eq!(
            agents(named.route_typed("t", "B", event("B", "t", 0).as_bytes())),
            ["plain", "also-plain", "from-s"]
        );
        assert_eq!(
            agents(named.route_typed("u", "A", event("A", "u", 0).as_bytes())),
            ["plain", "from-s"]
        );
        assert!(named.route_typed("s", "E", b"not even json").is_empty());
    }

    #[test]
    fn keys_with_dots_in_events_reach_nested_patterns_however_written() {
        let d = decl(
            "a",
            json!({"detail-type": ["X"], "detail": {"payload": {"kind": ["k"]}}}),
        );
        let r = Router::verbatim([&d]).unwrap();
        assert!(r.evaluated.is_empty(), "quamina routes the pattern");
        for event in [
            r#"{"detail-type":"X","detail":{"payload":{"kind":"k"}}}"#,
            r#"{"detail-type":"X","detail.payload.kind":"k"}"#,
            r#"{"detail-type":"X","detail":{"payload.kind":"k"}}"#,
            r#"{"detail-type":"X","detail" : {"payload\u002ekind" : "k"}}"#,
            r#"{"detail-type":"X","d\u0065tail.payload":{"kind":"k"}}"#,
            r#"{"detail-type":"X","detail.payload":[{"kind":"j"},{"kind":"k"}]}"#,
        ] {
            assert_eq!(r.route(event.as_bytes()).len(), 1, "{event}");
        }
        for event in [
            r#"{"detail-type":"X","detail":{"payload.kind":"j"}}"#,
            r#"{"detail-type":"Y","detail.payload.kind":"k"}"#,
        ] {
            assert!(r.route(event.as_bytes()).is_empty(), "{event}");
        }
        // Dots elsewhere (values, other names) do not send an event to the evaluator.
        let keys = &r.nesting_keys;
        assert_eq!(keys, &[b"\"detail".to_vec(), b"\"payload".to_vec()]);
        for plain in [
            r#"{"source":"ascent.crm","detail":{"payload":{"email":"a@b.example","x":301.8}}}"#,
            r#"{"detail":{"payload":{"note":"see detail.payload"}}}"#,
            r#"{"detail":{"other.kind":1,"payloads.kind":2}}"#,
        ] {
            assert!(!may_nest_by_dots(plain.as_bytes(), keys), "{plain}");
        }
        let long = format!(r#"{{"x":"{}","detail.payload":1}}"#, "y".repeat(100));
        assert!(may_nest_by_dots(long.as_bytes(), keys));
    }

    fn approvals_decl() -> AgentDecl {
        let mut d = decl(
            "closing",
            json!({"detail-type": ["ApprovalDecided"], "detail": {"payload": {"requested_by_agent": ["closing"]}}}),
        );
        d.subscriptions.push(Subscription {
            name: "payments",
            pattern: json!({"detail-type": ["PaymentReceived", "ProposalSent"]}),
        });
        d.emits = vec!["ProposalSent"];
        d
    }

    fn decided(source: &str) -> Value {
        json!({"source": source, "detail-type": "ApprovalDecided",
               "detail": {"payload": {"requested_by_agent": "closing", "approval_id": "apr-1"}}})
    }

    #[test]
    fn an_event_is_delivered_only_from_a_producer_of_its_type() {
        let d = approvals_decl();
        let r = Router::new([&d]).unwrap();
        // The attack of issue 18: an ApprovalDecided from the CRM reaches nobody.
        for source in ["ascent.crm", "ascent.agent.closing", "ascent.approvals.x"] {
            let e = decided(source).to_string();
            assert!(r.route(e.as_bytes()).is_empty(), "{source}");
            assert!(
                r.route_typed(source, "ApprovalDecided", e.as_bytes())
                    .is_empty(),
                "{source}"
            );
        }
        let e = decided("ascent.approvals").to_string();
        assert_eq!(r.route(e.as_bytes()).len(), 1);
        assert_eq!(
            r.route_typed("ascent.approvals", "ApprovalDecided", e.as_bytes())
                .len(),
            1
        );
        // Each detail-type only from its own producers, even within one rule.
        let event = |source: &str, t: &str| json!({"source": source, "detail-type": t}).to_string();
        for (source, t, delivered) in [
            ("ascent.payments", "PaymentReceived", true),
            ("ascent.agent.closing", "ProposalSent", true),
            ("ascent.payments", "ProposalSent", false),
            ("ascent.agent.closing", "PaymentReceived", false),
            ("ascent.crm", "PaymentReceived", false),
        ] {
            let e = event(source, t);
            assert_eq!(!r.route(e.as_bytes()).is_empty(), delivered, "{source} {t}");
            assert_eq!(
                !r.route_typed(source, t, e.as_bytes()).is_empty(),
                delivered,
                "{source} {t}"
            );
        }
        // The rules say so, and explain a refusal by the source condition.
        assert_eq!(r.rules()[0].pattern["source"], json!(["ascent.approvals"]));
        let why = r.explain(&decided("ascent.crm"));
        let failed: Vec<&ConditionCheck> = why[0].branches[0].iter().filter(|c| !c.met).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].field, "source");
        // Declaring a platform event, or a pattern without named detail-types, is refused.
        let mut forger = approvals_decl();
        forger.emits.push("ApprovalDecided");
        assert!(
            Router::new([&forger])
                .map(|_| ())
                .unwrap_err()
                .problem
                .contains("only the platform")
        );
        let vague = decl("vague", json!({"detail": {"x": [1]}}));
        assert!(
            Router::new([&vague])
                .map(|_| ())
                .unwrap_err()
                .problem
                .contains("name the detail-types")
        );
    }

    /// Every catalog type, from every source anyone uses (and a few nobody does): delivered if
    /// and only if the source produces the type, by the matcher and by the fast path alike.
    #[test]
    fn no_source_but_a_producer_reaches_a_subscriber_of_any_type() {
        let mut all = decl("all", json!({}));
        all.emits = vec!["ProposalSent", "ExceptionRaised"];
        let producers = Producers::new([&all]).unwrap();
        let types: Vec<&str> = crate::catalog::CATALOG
            .iter()
            .map(|e| e.detail_type)
            .filter(|t| !producers.sources(t).is_empty())
            .collect();
        all.subscriptions = types
            .chunks(7)
            .enumerate()
            .map(|(i, chunk)| Subscription {
                // Leaked once per test run: a subscription's name is `&'static str`.
                name: Box::leak(format!("s{i}").into_boxed_str()),
                pattern: json!({"detail-type": chunk}),
            })
            .collect();
        let r = Router::new([&all]).unwrap();
        let mut sources: Vec<String> = types
            .iter()
            .flat_map(|t| producers.sources(t).to_vec())
            .collect();
        sources.extend(
            [
                "ascent.agent",
                "ascent.agent.nobody",
                "ascent.crm.evil",
                "",
                "x",
            ]
            .map(String::from),
        );
        sources.sort();
        sources.dedup();
        for t in &types {
            for s in &sources {
                let e = json!({"source": s, "detail-type": t}).to_string();
                let want = producers.produces(s, t);
                assert_eq!(!r.route(e.as_bytes()).is_empty(), want, "{s} {t}");
                assert_eq!(
                    !r.route_typed(s, t, e.as_bytes()).is_empty(),
                    want,
                    "{s} {t}"
                );
            }
        }
    }
}
