//! Strict JSON reading: a [`Value`] like `serde_json::from_slice` gives, except that an object
//! with the same key twice is refused, with the key and where it is, instead of silently
//! keeping the last value (two readers of one event must never see different events).
//!
//! Values are built by a `DeserializeSeed` that inserts each member and refuses an occupied
//! key, so the check costs no second pass. The path of a duplicate is assembled only when one
//! is found, as the error unwinds: the happy path tracks nothing.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;

/// Why a text is not acceptable JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all (the parser's message: what was expected, and where).
    #[error("{0}")]
    Syntax(String),
    /// An object names the same key twice. `path` is where the key is (`detail.payload.email`,
    /// `resources[0].a`); `key` is the key (shortened if very long).
    #[error("`{path}`: duplicate key `{key}`")]
    DuplicateKey { path: String, key: String },
}

/// Parses `bytes` as one JSON value, refusing duplicate keys at any depth.
pub fn from_slice(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    read(&mut de)
}

/// Parses `text` as one JSON value, refusing duplicate keys at any depth.
pub fn from_str(text: &str) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    read(&mut de)
}

fn read<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
) -> Result<Value, JsonError> {
    let duplicate = RefCell::new(None);
    let value = StrictValue {
        duplicate: &duplicate,
    }
    .deserialize(&mut *de)
    .and_then(|v| de.end().map(|()| v));
    match (value, duplicate.into_inner()) {
        (Ok(v), _) => Ok(v),
        (Err(_), Some(d)) => Err(d.into_error()),
        (Err(e), None) => Err(JsonError::Syntax(e.to_string())),
    }
}

/// Keys are named in full up to this many characters.
const KEY_SHOWN: usize = 64;

fn shorten(key: &str) -> String {
    match key.char_indices().nth(KEY_SHOWN) {
        None => key.to_string(),
        Some((cut, _)) => format!("{}…", &key[..cut]),
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

/// A duplicate found while reading: the key, and the path to it, innermost segment first
/// (each enclosing level adds its own as the error passes through it).
struct Duplicate {
    key: String,
    reversed_path: Vec<Segment>,
}

impl Duplicate {
    fn into_error(self) -> JsonError {
        let mut path = String::new();
        for segment in self.reversed_path.iter().rev() {
            match segment {
                Segment::Key(k) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&shorten(k));
                }
                Segment::Index(i) => {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                }
            }
        }
        JsonError::DuplicateKey {
            path,
            key: shorten(&self.key),
        }
    }
}

#[derive(Clone, Copy)]
struct StrictValue<'a> {
    duplicate: &'a RefCell<Option<Duplicate>>,
}

impl StrictValue<'_> {
    /// Records that the value under `segment` failed (only if it failed on a duplicate).
    fn enclose(&self, segment: impl FnOnce() -> Segment) {
        if let Some(d) = self.duplicate.borrow_mut().as_mut() {
            d.reversed_path.push(segment());
        }
    }
}

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json's own reader never yields a non-finite number; `Null` as it does.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            let index = items.len();
            match seq.next_element_seed(self) {
                Ok(Some(v)) => items.push(v),
                Ok(None) => return Ok(Value::Array(items)),
                Err(e) => {
                    self.enclose(|| Segment::Index(index));
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = match access.next_value_seed(self) {
                Ok(v) => v,
                Err(e) => {
                    self.enclose(|| Segment::Key(key));
                    return Err(e);
                }
            };
            match map.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(slot) => {
                    let key = slot.key().clone();
                    let message = format!("duplicate key `{}`", shorten(&key));
                    *self.duplicate.borrow_mut() = Some(Duplicate {
                        reversed_path: vec![Segment::Key(key.clone())],
                        key,
                    });
                    return Err(de::Error::custom(message));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn duplicate(text: &str) -> (String, String) {
        match from_str(text) {
            Err(JsonError::DuplicateKey { path, key }) => (path, key),
            other => panic!("expected a duplicate key in {text}, got {other:?}"),
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            r#"{"a":1,"b":[true,null,-2,3.5,"x",{"c":{}}],"d":"\u00e9\n"}"#,
            "[]",
            "  \"text\" ",
            "18446744073709551615",
            "-9223372036854775808",
            "1e300",
        ] {
            let ours = from_str(text).unwrap();
            assert_eq!(ours, serde_json::from_str::<Value>(text).unwrap(), "{text}");
            assert_eq!(from_slice(text.as_bytes()).unwrap(), ours);
        }
    }

    #[test]
    fn refuses_duplicates_at_any_depth_naming_key_and_path() {
        assert_eq!(duplicate(r#"{"a":1,"a":2}"#), ("a".into(), "a".into()));
        assert_eq!(
            duplicate(r#"{"detail":{"payload":{"email":"x","n":1,"email":"y"}}}"#),
            ("detail.payload.email".into(), "email".into())
        );
        assert_eq!(
            duplicate(r#"{"r":[0,{"k":[{}, {"z":1,"z":{}}]}]}"#),
            ("r[1].k[1].z".into(), "z".into())
        );
        assert_eq!(
            duplicate(r#"[{"a":{"b":1,"b":1}}]"#),
            ("[0].a.b".into(), "b".into())
        );
        // The same value twice is a duplicate too; escapes name the same key.
        assert_eq!(duplicate(r#"{"a":1,"\u0061":1}"#).1, "a");
        // Same key in sibling objects is fine.
        assert_eq!(
            from_str(r#"[{"a":1},{"a":2}]"#).unwrap(),
            json!([{"a":1},{"a":2}])
        );
    }

    #[test]
    fn very_long_keys_are_shortened_in_the_error() {
        let key = "k".repeat(10_000);
        let (path, shown) = duplicate(&format!(r#"{{"{key}":1,"{key}":2}}"#));
        assert_eq!(shown.chars().count(), KEY_SHOWN + 1);
        assert_eq!(path, shown);
    }

    #[test]
    fn syntax_errors_and_trailing_text_are_refused() {
        for text in ["{", "{\"a\":1}x", "", "[1,]", "{\"a\" 1}", "nul"] {
            assert!(
                matches!(from_str(text), Err(JsonError::Syntax(_))),
                "{text}"
            );
        }
        // Nesting is bounded (serde_json's recursion limit), never a stack overflow.
        let deep = "[".repeat(100_000);
        assert!(matches!(from_str(&deep), Err(JsonError::Syntax(_))));
    }
}
