//! Pattern validation as EventBridge does it: every pattern its `PutRule` refuses with
//! `InvalidEventPatternException` is refused here, with the field and the rule broken.

use super::matcher::{cidr, wildcard};
use serde_json::{Map, Value};

const OPERATORS: &[&str] = &[
    "prefix",
    "suffix",
    "wildcard",
    "anything-but",
    "numeric",
    "exists",
    "equals-ignore-case",
    "cidr",
];

/// EventBridge's numeric matching range (values outside it are refused).
const NUMERIC_LIMIT: f64 = 5.0e9;

/// Checks a pattern's shape and operators; the error names the field and the rule.
pub fn validate_pattern(pattern: &Value) -> Result<(), String> {
    match pattern {
        Value::Object(m) => object(m, "").and_then(|()| expand_keys(m, "").map(|_| ())),
        _ => Err("a pattern must be a JSON object".into()),
    }
}

/// The pattern with every key that has dots expanded into the fields it names, as
/// aws/event-ruler compiles it (`{"a.b": [1]}` is `{"a": {"b": [1]}}`), inside `$or` too. A
/// field named twice (`"a.b"` and `b` inside `a`) is refused: event-ruler would keep only
/// one of them, the last written.
pub fn expand_keys(m: &Map<String, Value>, path: &str) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (k, v) in m {
        let here = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        let value = match v {
            Value::Object(o) => Value::Object(expand_keys(o, &here)?),
            Value::Array(alts) if k == "$or" => Value::Array(
                alts.iter()
                    .map(|a| match a {
                        Value::Object(o) => expand_keys(o, path).map(Value::Object),
                        other => Ok(other.clone()),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        };
        if k == "$or" {
            put(&mut out, k, value, &here)?;
            continue;
        }
        let mut segments = k.split('.').rev();
        let first = segments.next_back().unwrap_or_default();
        let mut value = value;
        for inner in segments {
            let mut o = Map::new();
            o.insert(inner.to_string(), value);
            value = Value::Object(o);
        }
        put(&mut out, first, value, &here)?;
    }
    Ok(out)
}

/// Puts `value` under `key`, merging objects; a field given twice is an error.
fn put(into: &mut Map<String, Value>, key: &str, value: Value, here: &str) -> Result<(), String> {
    match (into.get_mut(key), value) {
        (None, value) => {
            into.insert(key.to_string(), value);
            Ok(())
        }
        (Some(Value::Object(a)), Value::Object(b)) => {
            for (k, v) in b {
                put(a, &k, v, here)?;
            }
            Ok(())
        }
        _ => Err(format!(
            "field `{here}`: names a field the pattern names already (a key with dots is the \
             path it names: `a.b` is `b` inside `a`)"
        )),
    }
}

fn object(m: &Map<String, Value>, path: &str) -> Result<(), String> {
    if m.is_empty() {
        return Err(format!("field `{path}`: an empty object matches nothing"));
    }
    for (k, v) in m {
        let here = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        if k == "$or" {
            let Value::Array(alts) = v else {
                return Err(format!(
                    "field `{here}`: `$or` must be an array of patterns"
                ));
            };
            if alts.len() < 2 {
                return Err(format!(
                    "field `{here}`: `$or` needs at least two alternatives"
                ));
            }
            for a in alts {
                match a {
                    Value::Object(o) => object(o, path)?,
                    _ => {
                        return Err(format!(
                            "field `{here}`: `$or` alternatives must be objects"
                        ));
                    }
                }
            }
            continue;
        }
        match v {
            Value::Object(o) => object(o, &here)?,
            Value::Array(vals) => {
                if vals.is_empty() {
                    return Err(format!("field `{here}`: empty arrays are not allowed"));
                }
                for val in vals {
                    match val {
                        Value::Object(op) => matcher(op, &here)?,
                        Value::Array(_) => {
                            return Err(format!("field `{here}`: nested arrays are not allowed"));
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                return Err(format!(
                    "field `{here}`: a value must be an array of matchers or an object"
                ));
            }
        }
    }
    Ok(())
}

fn matcher(op: &Map<String, Value>, here: &str) -> Result<(), String> {
    let bad = |rule: &str| Err(format!("field `{here}`: {rule}"));
    if op.len() != 1 {
        return bad("a matcher object has exactly one operator");
    }
    let (name, arg) = op.iter().next().expect("one key");
    if !OPERATORS.contains(&name.as_str()) {
        return bad(&format!("unknown operator `{name}`"));
    }
    match (name.as_str(), arg) {
        ("prefix" | "suffix", Value::String(_)) => Ok(()),
        ("prefix" | "suffix", Value::Object(o)) => {
            if o.len() == 1 && o.get("equals-ignore-case").is_some_and(Value::is_string) {
                Ok(())
            } else {
                bad(&format!(
                    "`{name}` takes a string or {{\"equals-ignore-case\": string}}"
                ))
            }
        }
        ("prefix" | "suffix", _) => bad(&format!("`{name}` takes a string")),
        ("wildcard", Value::String(p)) => wildcard(p)
            .map(|_| ())
            .or_else(|e| bad(&format!("`wildcard`: {e}"))),
        ("wildcard", _) => bad("`wildcard` takes a string"),
        ("equals-ignore-case", Value::String(_)) => Ok(()),
        ("equals-ignore-case", _) => bad("`equals-ignore-case` takes a string"),
        ("exists", Value::Bool(_)) => Ok(()),
        ("exists", _) => bad("`exists` takes true or false"),
        ("cidr", Value::String(c)) if cidr(c).is_some() => Ok(()),
        ("cidr", _) => bad("`cidr` takes an IPv4 or IPv6 network `address/length`"),
        ("numeric", Value::Array(terms)) => {
            numeric(terms).or_else(|e| bad(&format!("`numeric`: {e}")))
        }
        ("numeric", _) => bad("`numeric` takes an array of comparisons"),
        ("anything-but", arg) => {
            anything_but(arg).or_else(|e| bad(&format!("`anything-but`: {e}")))
        }
        _ => bad(&format!("unknown operator `{name}`")),
    }
}

fn numeric(terms: &[Value]) -> Result<(), String> {
    if terms.len() != 2 && terms.len() != 4 {
        return Err(
            "one comparison (`[\">\", 0]`) or a range (`[\">\", 0, \"<=\", 5]`) only".into(),
        );
    }
    let mut bounds = Vec::new();
    for pair in terms.chunks(2) {
        let Some(op) = pair[0].as_str() else {
            return Err("a comparison operator must be a string".into());
        };
        if !["=", "<", "<=", ">", ">="].contains(&op) {
            return Err(format!("unknown comparison `{op}`"));
        }
        let Some(n) = pair[1].as_f64().filter(|_| pair[1].is_number()) else {
            return Err(format!("`{op}` needs a number"));
        };
        comparable(&pair[1])?;
        bounds.push((op, n));
    }
    if let [(lo_op, lo), (hi_op, hi)] = bounds[..] {
        if !matches!(lo_op, ">" | ">=") {
            return Err("a range starts with its lower bound (`>` or `>=`)".into());
        }
        if !matches!(hi_op, "<" | "<=") {
            return Err("a range ends with its upper bound (`<` or `<=`)".into());
        }
        if lo >= hi {
            return Err("a range's lower bound must be below its upper bound".into());
        }
    }
    Ok(())
}

/// A number EventBridge compares (aws/event-ruler's `ComparableNumber`): within ±5e9
/// inclusive, at most 6 digits after the decimal point.
fn comparable(n: &Value) -> Result<(), String> {
    let Some(x) = n.as_f64() else {
        return Err("a number".into());
    };
    if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&x) {
        return Err(format!("{n} is outside -5e9..5e9"));
    }
    if decimals(&n.to_string()) > MAX_DECIMALS {
        return Err(format!(
            "{n} has more than {MAX_DECIMALS} digits after the decimal point"
        ));
    }
    Ok(())
}

/// Digits after the decimal point of a JSON number as written, trailing zeros aside
/// (`1.50` has 1, `1.5e-3` has 4, `25e-1` has 1).
fn decimals(text: &str) -> i64 {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let fraction = mantissa.split_once('.').map_or("", |(_, f)| f);
    let digits = fraction.trim_end_matches('0').len() as i64;
    if digits == 0 && exponent >= 0 {
        return 0;
    }
    if digits == 0 {
        // An integer mantissa with a negative exponent: its trailing zeros absorb part of it.
        let int = mantissa.trim_start_matches('-');
        let zeros = (int.len() - int.trim_end_matches('0').len()) as i64;
        return (-exponent - zeros).max(0);
    }
    (digits - exponent).max(0)
}

/// Digits after the decimal point EventBridge compares numbers to.
const MAX_DECIMALS: i64 = 6;

fn anything_but(arg: &Value) -> Result<(), String> {
    match arg {
        Value::String(_) => Ok(()),
        Value::Number(_) => comparable(arg),
        Value::Array(a) => {
            if a.is_empty() {
                return Err("an empty list".into());
            }
            if a.iter().all(Value::is_number) {
                a.iter().try_for_each(comparable)
            } else if a.iter().all(Value::is_string) {
                Ok(())
            } else {
                Err("a list of strings or a list of numbers only".into())
            }
        }
        Value::Object(o) => {
            if o.len() != 1 {
                return Err("one operator: prefix, suffix, wildcard or equals-ignore-case".into());
            }
            let (k, v) = o.iter().next().expect("one key");
            match (k.as_str(), v) {
                ("prefix" | "suffix" | "wildcard" | "equals-ignore-case", v) => {
                    // One string or a list of them (aws/event-ruler's
                    // `processAnythingButValuesSetMatchExpression`).
                    let items: Vec<&Value> = match v {
                        Value::Array(a) if !a.is_empty() => a.iter().collect(),
                        Value::Array(_) => return Err(format!("`{k}` has an empty list")),
                        one => vec![one],
                    };
                    for i in items {
                        let Some(s) = i.as_str() else {
                            return Err(format!("`{k}` takes a string or a list of strings"));
                        };
                        if s.is_empty() && (k == "prefix" || k == "suffix") {
                            return Err(format!("`{k}` must not be empty"));
                        }
                        if k == "wildcard" {
                            wildcard(s)?;
                        }
                    }
                    Ok(())
                }
                _ => Err(format!("unknown operator `{k}` inside it")),
            }
        }
        _ => Err("takes a string, a number, a list of them, or an operator".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_counted_as_written_without_trailing_zeros() {
        for (text, n) in [
            ("5", 0),
            ("1.50", 1),
            ("1.5e-3", 4),
            ("25e-1", 1),
            ("100e-2", 0),
            ("1e-7", 7),
            ("-0.000001", 6),
            ("5000000000.0", 0),
            ("1.2345678e3", 4),
        ] {
            assert_eq!(decimals(text), n, "{text}");
        }
    }
}
