//! How the twin words a refused event entry, in its answer and in its logs: the field and the
//! rule it broke, never the value it had (a value may be an email address or a phone number).

use ascent_core::event::{EventError, PutEventsEntry};
use serde_json::Value;

/// Reads a PutEvents entry; a refusal names the field and what it should be.
pub fn put_events_entry(v: Value) -> Result<PutEventsEntry, EventError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        EventError::Invalid {
            field: if path == "." { "entry".into() } else { path },
            problem: format!(
                "{} (a PutEvents entry has Source, DetailType, Detail)",
                without_value(&e.inner().to_string())
            ),
        }
    })
}

/// serde's message without the value it quotes: `invalid type: string "…", expected a
/// sequence` becomes `invalid type: string, expected a sequence`.
fn without_value(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        // What is expected comes from the type, never from the input: the last one is it.
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((unexpected, expected)) = rest.rsplit_once(", expected ")
        {
            let kind = unexpected.split(['`', '"']).next().unwrap_or_default();
            return format!("{prefix}{}, expected {expected}", kind.trim());
        }
    }
    message.to_string()
}

/// The field an entry was refused for, for logs.
pub fn field(e: &EventError) -> &str {
    match e {
        EventError::Invalid { field, .. } => field,
        EventError::TooLarge { .. } => "event",
        EventError::Malformed(_) => "detail",
        EventError::UnknownDetailType(_) => "detail-type",
        EventError::UnsupportedVersion { .. } => "detail.version",
        #[allow(unreachable_patterns)] // refusals added later still get logged
        _ => "entry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(v: Value) -> (String, String) {
        match put_events_entry(v) {
            Err(EventError::Invalid { field, problem }) => (field, problem),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_wrong_entry_names_its_field_and_the_rule_not_the_value() {
        let base = json!({"Source": "ascent.crm", "DetailType": "LeadCreated", "Detail": "{}"});
        let mut v = base.clone();
        v["Resources"] = json!("ada@example.com, expected a sequence");
        let (field, problem) = refused(v);
        assert_eq!(field, "Resources");
        assert!(!problem.contains("ada"), "{problem}");
        assert!(
            problem.starts_with("invalid type: string, expected a sequence"),
            "{problem}"
        );
        let mut v = base.clone();
        v["Source"] = json!(4915112345678_u64);
        let (field, problem) = refused(v);
        assert_eq!(field, "Source");
        assert!(
            problem.starts_with("invalid type: integer, expected a string"),
            "{problem}"
        );
        let mut v = base.clone();
        v["Resources"] = json!([1.5]);
        let (field, problem) = refused(v);
        assert_eq!(field, "Resources[0]");
        assert!(problem.contains("floating point, expected"), "{problem}");
        let (field, problem) = refused(json!({"Source": "ascent.crm"}));
        assert_eq!(field, "entry");
        assert!(problem.contains("missing field `DetailType`"), "{problem}");
        assert!(put_events_entry(base).is_ok());
    }

    #[test]
    fn messages_without_a_value_are_kept() {
        assert_eq!(
            without_value("missing field `Source`"),
            "missing field `Source`"
        );
        assert_eq!(
            without_value("invalid type: map, expected a string"),
            "invalid type: map, expected a string"
        );
        assert_eq!(
            without_value("invalid value: string \"x\\\"y\", expected a date"),
            "invalid value: string, expected a date"
        );
    }
}
