//! EventBridge pattern semantics evaluated on a parsed event: the reference the router falls
//! back on for every branch quamina does not get right (see the module doc of `routing`).
//!
//! A pattern is validated first ([`super::pattern::validate_pattern`]); this evaluator assumes
//! a valid pattern and answers `false` for anything it does not understand.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::net::IpAddr;

/// Does a valid pattern (possibly with `$or`) match `event`?
pub fn matches(pattern: &Map<String, Value>, event: &Value) -> bool {
    pattern.iter().all(|(k, cond)| {
        if k == "$or" {
            return cond.as_array().is_some_and(|alts| {
                alts.iter()
                    .any(|a| a.as_object().is_some_and(|a| matches(a, event)))
            });
        }
        let here = children(event, k);
        match cond {
            Value::Object(sub) => {
                let objects: Vec<&Value> = here.iter().copied().filter(|v| v.is_object()).collect();
                if objects.is_empty() {
                    // A missing object: only conditions of absence hold.
                    matches(sub, &Value::Object(Map::new()))
                } else {
                    objects.iter().any(|o| matches(sub, o))
                }
            }
            Value::Array(conds) => {
                let leaves: Vec<&Value> = here.into_iter().filter(|v| !v.is_object()).collect();
                conds.iter().any(|c| condition_holds(c, &leaves))
            }
            _ => false,
        }
    })
}

/// The values under `key` of `v` (of each element, when `v` is an array), with arrays of
/// values flattened: an event array matches if any element does. Keys with dots are expanded
/// beforehand, in the pattern and in the event ([`expand_event`], `pattern::expand_keys`).
fn children<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(key) {
                flatten(x, &mut out)
            }
        }
        Value::Array(a) => {
            for e in a {
                if let Some(x) = e.get(key) {
                    flatten(x, &mut out)
                }
            }
        }
        _ => {}
    }
    out
}

/// [`matches`] for a pattern and an event as written: keys with dots in either are first
/// expanded into the fields they name, as aws/event-ruler joins keys with dots (`{"a.b": 1}`
/// and `{"a": {"b": 1}}` are one event to it, and the patterns `{"a.b": [1]}` and
/// `{"a": {"b": [1]}}` one pattern).
pub fn matches_as_written(pattern: &Map<String, Value>, event: &Value) -> bool {
    let expanded;
    let pattern = if has_dotted_key_in_map(pattern) {
        match super::pattern::expand_keys(pattern, "") {
            Ok(p) => {
                expanded = p;
                &expanded
            }
            Err(_) => return false,
        }
    } else {
        pattern
    };
    matches(pattern, &expand_event(event))
}

/// Whether any key of `v`, at any depth, has a dot.
pub fn has_dotted_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => has_dotted_key_in_map(m),
        Value::Array(a) => a.iter().any(has_dotted_key),
        _ => false,
    }
}

fn has_dotted_key_in_map(m: &Map<String, Value>) -> bool {
    m.iter().any(|(k, v)| k.contains('.') || has_dotted_key(v))
}

/// The event as aws/event-ruler flattens it: a key with dots is the path it names
/// (`{"a.b": 1}` is `{"a": {"b": 1}}`). Where two keys name one field, it holds both values,
/// as an array would; objects meeting at one key are one object, and an object meeting an
/// array of objects joins each of them (its fields belong to no array element, so they go
/// with any). Borrowed when no key has a dot.
pub fn expand_event(v: &Value) -> Cow<'_, Value> {
    if has_dotted_key(v) {
        Cow::Owned(expanded(v))
    } else {
        Cow::Borrowed(v)
    }
}

fn expanded(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let mut value = expanded(x);
                let mut segments = k.split('.').rev();
                let first = segments.next_back().unwrap_or_default();
                for inner in segments {
                    let mut o = Map::new();
                    o.insert(inner.to_string(), value);
                    value = Value::Object(o);
                }
                join(&mut out, first, value);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(expanded).collect()),
        other => other.clone(),
    }
}

/// Puts `value` under `key` of `into`, joining what is there already.
fn join(into: &mut Map<String, Value>, key: &str, value: Value) {
    match into.get_mut(key) {
        None => {
            into.insert(key.to_string(), value);
        }
        Some(here) => join_values(here, value),
    }
}

fn join_values(here: &mut Value, value: Value) {
    let has_objects = |a: &[Value]| a.iter().any(Value::is_object);
    match (here, value) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                join(a, &k, v);
            }
        }
        (Value::Array(items), Value::Object(b)) if has_objects(items) => {
            for e in items.iter_mut().filter(|e| e.is_object()) {
                join_values(e, Value::Object(b.clone()));
            }
        }
        (here @ Value::Object(_), Value::Array(mut items)) if has_objects(&items) => {
            let object = std::mem::take(here);
            for e in items.iter_mut().filter(|e| e.is_object()) {
                join_values(e, object.clone());
            }
            *here = Value::Array(items);
        }
        (here, value) => {
            let mut items = match std::mem::take(here) {
                Value::Array(a) => a,
                one => vec![one],
            };
            match value {
                Value::Array(a) => items.extend(a),
                one => items.push(one),
            }
            *here = Value::Array(items);
        }
    }
}

fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
        other => out.push(other),
    }
}

/// One condition of a field's array against the field's leaf values.
pub fn condition_holds(c: &Value, leaves: &[&Value]) -> bool {
    if let Some(e) = c.get("exists").and_then(Value::as_bool) {
        return e != leaves.is_empty();
    }
    leaves.iter().any(|v| value_matches(c, v))
}

/// Where `equals-ignore-case` anchors: the whole value, its start or its end.
#[derive(Clone, Copy, PartialEq)]
enum Anchor {
    Whole,
    Start,
    End,
}

/// `equals-ignore-case` as EventBridge (aws/event-ruler's `EqualsIgnoreCaseParser`) does it:
/// each character of the pattern matches its Unicode lower-case or upper-case form, which may
/// be longer (`ß` matches `ß` or `SS`; `É` matches `é` or `É`).
pub fn ignore_case(pattern: &str, s: &str) -> bool {
    ignore_case_at(pattern, s, Anchor::Whole)
}

fn ignore_case_at(pattern: &str, s: &str, anchor: Anchor) -> bool {
    let forms =
        |c: char| -> [String; 2] { [c.to_lowercase().collect(), c.to_uppercase().collect()] };
    if anchor == Anchor::End {
        // Lengths consumed from the end of `s`.
        let mut ends = vec![0usize];
        for c in pattern.chars().rev() {
            let [lo, up] = forms(c);
            let mut next: Vec<usize> = Vec::new();
            for &e in &ends {
                let head = &s[..s.len() - e];
                for f in [&lo, &up] {
                    if head.ends_with(f.as_str()) && !next.contains(&(e + f.len())) {
                        next.push(e + f.len());
                    }
                }
            }
            if next.is_empty() {
                return false;
            }
            ends = next;
        }
        return true;
    }
    let mut starts = vec![0usize];
    for c in pattern.chars() {
        let [lo, up] = forms(c);
        let mut next: Vec<usize> = Vec::new();
        for &p in &starts {
            for f in [&lo, &up] {
                if s[p..].starts_with(f.as_str()) && !next.contains(&(p + f.len())) {
                    next.push(p + f.len());
                }
            }
        }
        if next.is_empty() {
            return false;
        }
        starts = next;
    }
    anchor == Anchor::Start || starts.contains(&s.len())
}

fn equal(c: &Value, v: &Value) -> bool {
    match (c, v) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => c == v,
    }
}

fn string_op(op: &str, arg: &Value, s: &str) -> bool {
    match (op, arg) {
        ("prefix", Value::String(p)) => s.starts_with(p.as_str()),
        ("suffix", Value::String(p)) => s.ends_with(p.as_str()),
        ("prefix" | "suffix", Value::Object(o)) => {
            let Some(p) = o.get("equals-ignore-case").and_then(Value::as_str) else {
                return false;
            };
            let anchor = if op == "prefix" {
                Anchor::Start
            } else {
                Anchor::End
            };
            ignore_case_at(p, s, anchor)
        }
        ("wildcard", Value::String(p)) => wildcard(p).is_ok_and(|segs| glob(&segs, s)),
        ("equals-ignore-case", Value::String(p)) => ignore_case(p, s),
        _ => false,
    }
}

fn value_matches(c: &Value, v: &Value) -> bool {
    let Value::Object(op) = c else {
        return equal(c, v);
    };
    let Some((name, arg)) = op.iter().next() else {
        return false;
    };
    match name.as_str() {
        "prefix" | "suffix" | "wildcard" | "equals-ignore-case" => {
            v.as_str().is_some_and(|s| string_op(name, arg, s))
        }
        "numeric" => v.as_f64().is_some_and(|x| numeric(arg, x)),
        "cidr" => v
            .as_str()
            .zip(arg.as_str())
            .and_then(|(s, c)| Some((s.parse::<IpAddr>().ok()?, cidr(c)?)))
            .is_some_and(|(ip, net)| in_net(ip, net)),
        "anything-but" => match arg {
            Value::Object(inner) => {
                let Some((ik, iv)) = inner.iter().next() else {
                    return false;
                };
                let Some(s) = v.as_str() else {
                    return true;
                };
                let operands: Vec<&Value> = match iv {
                    Value::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                !operands.iter().any(|o| string_op(ik, o, s))
            }
            Value::Array(a) => !a.iter().any(|x| equal(x, v)),
            one => !equal(one, v),
        },
        _ => false,
    }
}

fn numeric(arg: &Value, x: f64) -> bool {
    let Some(terms) = arg.as_array() else {
        return false;
    };
    terms.chunks(2).all(|pair| {
        let (Some(op), Some(n)) = (pair[0].as_str(), pair.get(1).and_then(Value::as_f64)) else {
            return false;
        };
        match op {
            "=" => x == n,
            "<" => x < n,
            "<=" => x <= n,
            ">" => x > n,
            ">=" => x >= n,
            _ => false,
        }
    })
}

/// A wildcard's literal segments around its `*`s, escapes (`\*`, `\\`) resolved; an error
/// for `**` or any other escape.
pub fn wildcard(p: &str) -> Result<Vec<String>, String> {
    let mut segs = vec![String::new()];
    let mut chars = p.chars();
    let mut last_star = false;
    while let Some(c) = chars.next() {
        match c {
            '*' if last_star => return Err("consecutive `*` characters are not allowed".into()),
            '*' => {
                segs.push(String::new());
                last_star = true;
                continue;
            }
            '\\' => match chars.next() {
                Some(e @ ('*' | '\\')) => segs.last_mut().expect("one").push(e),
                _ => return Err("`\\` may only escape `*` or `\\`".into()),
            },
            other => segs.last_mut().expect("one").push(other),
        }
        last_star = false;
    }
    Ok(segs)
}

/// Does `s` match a wildcard's segments (`*` between consecutive ones)?
fn glob(segs: &[String], s: &str) -> bool {
    if segs.len() == 1 {
        return segs[0] == s;
    }
    let (first, last) = (&segs[0], &segs[segs.len() - 1]);
    if s.len() < first.len() + last.len()
        || !s.starts_with(first.as_str())
        || !s.ends_with(last.as_str())
    {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &segs[1..segs.len() - 1] {
        match rest.find(mid.as_str()) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// An IPv4 or IPv6 network `address/length`.
pub fn cidr(c: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = c.split_once('/')?;
    let ip: IpAddr = addr.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((ip, len))
}

fn in_net(ip: IpAddr, (net, len): (IpAddr, u8)) -> bool {
    let bits = |ip: IpAddr| match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)) << 96, 4),
        IpAddr::V6(a) => (u128::from(a), 6),
    };
    let ((a, fa), (b, fb)) = (bits(ip), bits(net));
    if fa != fb {
        return false;
    }
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    };
    a & mask == b & mask
}
