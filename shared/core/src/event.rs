//! The EventBridge envelope and the `detail` every Ascent event carries.
//!
//! `Event::parse` is the one gate every event passes (HTTP ingestion, SQS bodies, files): size,
//! JSON (duplicate keys refused, see [`crate::json`]), envelope fields, `detail-type` in the
//! catalog, a supported `detail.version`, and a payload that deserialises and passes its
//! semantic checks (contact data included, see [`crate::contact`]). [`Event::from_value`] and
//! [`PutEventsEntry::into_event`] hold the other shapes to the same rules, the size limit
//! included. Errors name the offending field and the rule, never the value refused.

use crate::catalog::{self, EventPayload, Payload};
use crate::json::{self, JsonError};
use crate::redact;
use chrono::{DateTime, SubsecRound, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// EventBridge rejects entries above 256 KB; so does every Ascent entry point.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A business system (CRM, billing, support desk, scheduler).
    System,
    /// One of the 24 agents.
    Agent,
    /// A person (approver, operator).
    Human,
}

/// Who caused an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: String,
}

impl Actor {
    pub fn system(id: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: id.into(),
        }
    }
    pub fn agent(id: &str) -> Self {
        Self {
            kind: ActorKind::Agent,
            id: id.into(),
        }
    }
    pub fn human(id: &str) -> Self {
        Self {
            kind: ActorKind::Human,
            id: id.into(),
        }
    }
}

/// The `detail` object: a versioned payload plus tracing ids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Detail<P> {
    /// Schema version of `payload` for this detail-type.
    pub version: u32,
    /// Unique id of this event; the idempotency key of every handler.
    pub event_id: Uuid,
    /// Shared by every event of one business flow.
    pub correlation_id: Uuid,
    /// The event that caused this one, if any.
    #[serde(default)]
    pub causation_id: Option<Uuid>,
    pub actor: Actor,
    pub payload: P,
}

/// A validated, typed event in its EventBridge envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: String,
    pub source: String,
    pub time: DateTime<Utc>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub resources: Vec<String>,
    pub detail: Detail<Payload>,
}

/// Why an event was refused. Every variant names what was wrong.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("event is {size} bytes; the limit is {MAX_EVENT_BYTES} bytes (256 KB)")]
    TooLarge { size: usize },
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("field `{field}`: {problem}")]
    Invalid { field: String, problem: String },
    #[error("unknown detail-type `{0}` (not in the event catalog)")]
    UnknownDetailType(String),
    #[error("`{detail_type}` version {version} is not supported (supported: {supported:?})")]
    UnsupportedVersion {
        detail_type: String,
        version: u32,
        supported: Vec<u32>,
    },
}

fn invalid(field: &str, problem: impl Into<String>) -> EventError {
    EventError::Invalid {
        field: field.to_string(),
        problem: problem.into(),
    }
}

impl From<JsonError> for EventError {
    fn from(e: JsonError) -> Self {
        match e {
            JsonError::Syntax(message) => EventError::Malformed(message),
            JsonError::DuplicateKey { path, key } => {
                invalid(&path, format!("duplicate key `{key}`"))
            }
        }
    }
}

/// Bytes of `value` as compact JSON (what it weighs on the wire, whatever whitespace it came
/// with).
fn json_size(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("a JSON value serialises");
    count.0
}

impl Event {
    /// Builds a new root event (a business system's), with fresh ids: UUIDv7, ordered by
    /// creation time, so that records keyed by event id (idempotency) are appended rather
    /// than scattered.
    pub fn new(
        source: &str,
        actor: Actor,
        time: DateTime<Utc>,
        payload: impl Into<Payload>,
    ) -> Self {
        let event_id = Uuid::now_v7();
        Self::with_ids(
            source,
            actor,
            time,
            payload.into(),
            event_id,
            event_id,
            None,
        )
    }

    /// Builds an event with given ids (scheduled ticks, decisions joining an existing flow).
    pub fn with_ids(
        source: &str,
        actor: Actor,
        time: DateTime<Utc>,
        payload: impl Into<Payload>,
        event_id: Uuid,
        correlation_id: Uuid,
        causation_id: Option<Uuid>,
    ) -> Self {
        let payload = payload.into();
        let version = catalog::entry(payload.detail_type())
            .map(|e| e.current_version())
            .unwrap_or(1);
        Self {
            id: event_id.to_string(),
            source: source.to_string(),
            // EventBridge's `time` has whole seconds: an event built here equals its JSON.
            time: time.trunc_subsecs(0),
            account: None,
            region: None,
            resources: Vec::new(),
            detail: Detail {
                version,
                event_id,
                correlation_id,
                causation_id,
                actor,
                payload,
            },
        }
    }

    /// An event caused by this one: same correlation id, causation id = this event.
    /// Its id is derived from (this event, emitter, sequence) so that a handler run twice
    /// emits the same ids, and downstream idempotency absorbs the repeat. Like a UUIDv7 it
    /// starts with a time, the cause's (fixed, unlike the emission time), so ids of a
    /// cascade sort roughly by time.
    pub fn caused<P: EventPayload>(
        &self,
        source: &str,
        actor: Actor,
        time: DateTime<Utc>,
        sequence: u32,
        payload: P,
    ) -> Event {
        let mut h = Sha256::new();
        h.update(self.detail.event_id.as_bytes());
        h.update(actor.id.as_bytes());
        h.update(sequence.to_be_bytes());
        let digest = h.finalize();
        let mut bytes = [0u8; 16];
        let millis = self.time.timestamp_millis().max(0) as u64;
        bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        bytes[6..].copy_from_slice(&digest[..10]);
        let id = Uuid::new_v8(bytes);
        Self::with_ids(
            source,
            actor,
            time,
            payload,
            id,
            self.detail.correlation_id,
            Some(self.detail.event_id),
        )
    }

    pub fn detail_type(&self) -> &'static str {
        self.detail.payload.detail_type()
    }

    pub fn payload(&self) -> &Payload {
        &self.detail.payload
    }

    /// The envelope as JSON (what EventBridge delivers and rules match on).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("version".into(), Value::from("0"));
        m.insert("id".into(), Value::from(self.id.clone()));
        m.insert("detail-type".into(), Value::from(self.detail_type()));
        m.insert("source".into(), Value::from(self.source.clone()));
        if let Some(a) = &self.account {
            m.insert("account".into(), Value::from(a.clone()));
        }
        m.insert(
            "time".into(),
            Value::from(self.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
        if let Some(r) = &self.region {
            m.insert("region".into(), Value::from(r.clone()));
        }
        m.insert(
            "resources".into(),
            Value::Array(self.resources.iter().cloned().map(Value::from).collect()),
        );
        m.insert(
            "detail".into(),
            serde_json::to_value(&self.detail).expect("detail serialises"),
        );
        Value::Object(m)
    }

    /// The envelope as compact JSON, serialised straight from the event (no intermediate
    /// [`Value`]): the same content as [`Event::to_value`], in field order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.envelope()).expect("an event serialises")
    }

    /// The envelope as a serialisable view of the event (what [`Event::to_json`] writes), for
    /// writing or sizing it without a copy.
    pub fn envelope(&self) -> impl Serialize + '_ {
        #[derive(Serialize)]
        struct Envelope<'a> {
            version: &'static str,
            id: &'a str,
            #[serde(rename = "detail-type")]
            detail_type: &'static str,
            source: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            account: Option<&'a str>,
            time: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            region: Option<&'a str>,
            resources: &'a [String],
            detail: &'a Detail<Payload>,
        }
        Envelope {
            version: "0",
            id: &self.id,
            detail_type: self.detail_type(),
            source: &self.source,
            account: self.account.as_deref(),
            time: self.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            region: self.region.as_deref(),
            resources: &self.resources,
            detail: &self.detail,
        }
    }

    /// Checks the payload's rules beyond its types (the checks [`Event::parse`] makes after
    /// deserialising): an event built in code can be held to what one arriving as JSON meets.
    pub fn check(&self) -> Result<(), EventError> {
        catalog::check_payload(&self.detail.payload)
            .map_err(|(path, problem)| invalid(&join("detail.payload", &path), problem))
    }

    /// Parses and validates raw bytes (an EventBridge event, as in an SQS body or a file):
    /// at most [`MAX_EVENT_BYTES`] as given, and no object with a key twice.
    pub fn parse(bytes: &[u8]) -> Result<Event, EventError> {
        if bytes.len() > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge { size: bytes.len() });
        }
        Self::from_envelope(json::from_slice(bytes)?)
    }

    /// Validates an already-parsed envelope value: at most [`MAX_EVENT_BYTES`] as compact
    /// JSON, then as [`Event::parse`]. A value read with `serde_json` has lost any duplicate
    /// key already: read outside input with [`crate::json::from_slice`].
    pub fn from_value(value: Value) -> Result<Event, EventError> {
        let size = json_size(&value);
        if size > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge { size });
        }
        Self::from_envelope(value)
    }

    /// Everything but the size check (made by each entry point on what it was given).
    fn from_envelope(value: Value) -> Result<Event, EventError> {
        let Value::Object(mut env) = value else {
            return Err(EventError::Malformed(
                "the event must be a JSON object".into(),
            ));
        };
        let text = |env: &Map<String, Value>,
                    key: &str,
                    required: bool|
         -> Result<Option<String>, EventError> {
            match env.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
                Some(Value::String(_)) => Err(invalid(key, "must not be empty")),
                Some(Value::Null) | None if !required => Ok(None),
                None => Err(invalid(key, "missing")),
                Some(_) => Err(invalid(key, "must be a string")),
            }
        };
        let source = text(&env, "source", true)?.unwrap_or_default();
        if source.starts_with("aws.") {
            return Err(invalid(
                "source",
                "`aws.` sources are reserved for AWS services",
            ));
        }
        let detail_type = text(&env, "detail-type", true)?.unwrap_or_default();
        let id = text(&env, "id", false)?;
        let account = text(&env, "account", false)?;
        let region = text(&env, "region", false)?;
        // Whole seconds, as EventBridge has them (and as `to_json` writes them).
        let time = match text(&env, "time", false)? {
            Some(t) => DateTime::parse_from_rfc3339(&t)
                .map_err(|e| invalid("time", format!("not an RFC 3339 timestamp: {e}")))?
                .with_timezone(&Utc),
            None => Utc::now(),
        }
        .trunc_subsecs(0);
        let resources = match env.remove("resources") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(invalid("resources", "must be an array of strings")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => Err(invalid("resources", "must be an array of strings"))?,
        };
        let entry = catalog::entry(&detail_type)
            .ok_or_else(|| EventError::UnknownDetailType(detail_type.clone()))?;
        let detail = match env.remove("detail") {
            Some(Value::Object(d)) => d,
            // PutEvents carries Detail as a JSON string.
            Some(Value::String(s)) => match json::from_str(&s) {
                Ok(Value::Object(d)) => d,
                Ok(_) => return Err(invalid("detail", "must be a JSON object")),
                Err(JsonError::Syntax(e)) => {
                    return Err(invalid("detail", format!("malformed JSON: {e}")));
                }
                Err(JsonError::DuplicateKey { path, key }) => {
                    return Err(invalid(
                        &join("detail", &path),
                        format!("duplicate key `{key}`"),
                    ));
                }
            },
            None => return Err(invalid("detail", "missing")),
            Some(_) => return Err(invalid("detail", "must be a JSON object")),
        };
        Self::typed_detail(entry, detail).map(|detail| Event {
            id: id.unwrap_or_else(|| detail.event_id.to_string()),
            source,
            time,
            account,
            region,
            resources,
            detail,
        })
    }

    fn typed_detail(
        entry: &catalog::CatalogEntry,
        mut d: Map<String, Value>,
    ) -> Result<Detail<Payload>, EventError> {
        let version = match d.get("version") {
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| invalid("detail.version", "must be a positive integer"))?,
            None => return Err(invalid("detail.version", "missing")),
            Some(_) => return Err(invalid("detail.version", "must be a positive integer")),
        };
        if !entry.versions.contains(&version) {
            return Err(EventError::UnsupportedVersion {
                detail_type: entry.detail_type.to_string(),
                version,
                supported: entry.versions.to_vec(),
            });
        }
        let payload_value = d
            .remove("payload")
            .ok_or_else(|| invalid("detail.payload", "missing"))?;
        // The envelope part of detail (everything but the payload) is checked as a unit.
        d.insert("payload".into(), Value::Null);
        let meta: Detail<Option<()>> =
            serde_path_to_error::deserialize(Value::Object(d)).map_err(|e| {
                let path = e.path().to_string();
                invalid(
                    &format!("detail.{path}"),
                    redact::serde_message(&e.into_inner().to_string()),
                )
            })?;
        let payload = Payload::from_value(entry.detail_type, payload_value)
            .map_err(|(path, problem)| invalid(&join("detail.payload", &path), problem))?;
        catalog::check_payload(&payload)
            .map_err(|(path, problem)| invalid(&join("detail.payload", &path), problem))?;
        Ok(Detail {
            version: meta.version,
            event_id: meta.event_id,
            correlation_id: meta.correlation_id,
            causation_id: meta.causation_id,
            actor: meta.actor,
            payload,
        })
    }
}

/// A stable UUID (v8, SHA-256 based) for a name: the same name always gives the same id.
pub fn name_uuid(name: &str) -> Uuid {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

fn join(prefix: &str, path: &str) -> String {
    if path.is_empty() || path == "." {
        prefix.to_string()
    } else {
        format!("{prefix}.{path}")
    }
}

/// One entry of an EventBridge `PutEvents` request (what business systems send).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsEntry {
    pub source: String,
    pub detail_type: String,
    /// The detail as a JSON string (EventBridge's shape).
    pub detail: String,
    #[serde(default)]
    pub event_bus_name: Option<String>,
    #[serde(default)]
    pub time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resources: Vec<String>,
}

impl PutEventsEntry {
    /// Validates the entry as EventBridge would deliver it, assigning id and time. Its size
    /// is counted as EventBridge counts it: source, detail-type, the detail string and the
    /// resources.
    pub fn into_event(self, now: DateTime<Utc>) -> Result<Event, EventError> {
        let size = self.source.len()
            + self.detail_type.len()
            + self.detail.len()
            + self.resources.iter().map(String::len).sum::<usize>();
        if size > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge { size });
        }
        let mut m = Map::new();
        m.insert("source".into(), Value::from(self.source));
        m.insert("detail-type".into(), Value::from(self.detail_type));
        m.insert("detail".into(), Value::from(self.detail));
        m.insert(
            "time".into(),
            Value::from(self.time.unwrap_or(now).to_rfc3339()),
        );
        m.insert(
            "resources".into(),
            Value::Array(self.resources.into_iter().map(Value::from).collect()),
        );
        Event::from_envelope(Value::Object(m))
    }

    pub fn from_event(e: &Event) -> Self {
        Self {
            source: e.source.clone(),
            detail_type: e.detail_type().to_string(),
            detail: serde_json::to_string(&e.detail).expect("detail serialises"),
            event_bus_name: None,
            time: Some(e.time),
            resources: e.resources.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{LeadCreated, NpsResponse};
    use serde_json::json;

    fn lead() -> LeadCreated {
        LeadCreated {
            lead_id: "lead-1".into(),
            email: "ana@example.com".into(),
            full_name: "Ana Ruiz".into(),
            company: "Example".into(),
            company_size: 250,
            industry: "manufacturing".into(),
            role: "VP Operations".into(),
            country: Some("US".into()),
            channel: "web".into(),
            phone: None,
            time_zone: None,
        }
    }

    #[test]
    fn round_trips_through_json() {
        let e = Event::new("ascent.crm", Actor::system("crm"), Utc::now(), lead());
        let parsed = Event::parse(e.to_json().as_bytes()).unwrap();
        // The whole event, time included (whole seconds, as EventBridge has it).
        assert_eq!(parsed, e);
        // The direct serialisation says what the value form says.
        let mut full = e.clone();
        full.account = Some("123456789012".into());
        full.region = Some("eu-west-1".into());
        full.resources = vec!["arn:aws:events:eu-west-1:123456789012:rule/r".into()];
        let text: Value = serde_json::from_str(&full.to_json()).unwrap();
        assert_eq!(text, full.to_value());
        let bare: Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(bare, e.to_value());
        assert_eq!(parsed.detail_type(), "LeadCreated");
    }

    #[test]
    fn names_the_bad_field() {
        let mut v = Event::new("ascent.crm", Actor::system("crm"), Utc::now(), lead()).to_value();
        v["detail"]["payload"]["company_size"] = json!("big");
        let err = Event::from_value(v).unwrap_err();
        match err {
            EventError::Invalid { field, .. } => assert_eq!(field, "detail.payload.company_size"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_payload_field_and_unknown_field() {
        let mut v = Event::new("ascent.crm", Actor::system("crm"), Utc::now(), lead()).to_value();
        v["detail"]["payload"]
            .as_object_mut()
            .unwrap()
            .remove("email");
        let err = Event::from_value(v.clone()).unwrap_err().to_string();
        assert!(err.contains("email"), "{err}");
        v["detail"]["payload"]["email"] = json!("a@b.c");
        v["detail"]["payload"]["surprise"] = json!(1);
        let err = Event::from_value(v).unwrap_err().to_string();
        assert!(err.contains("surprise"), "{err}");
    }

    #[test]
    fn rejects_unknown_version_type_and_oversize() {
        let mut v = Event::new("ascent.crm", Actor::system("crm"), Utc::now(), lead()).to_value();
        v["detail"]["version"] = json!(7);
        assert!(matches!(
            Event::from_value(v.clone()),
            Err(EventError::UnsupportedVersion { version: 7, .. })
        ));
        v["detail-type"] = json!("LeadTeleported");
        assert_eq!(
            Event::from_value(v).unwrap_err(),
            EventError::UnknownDetailType("LeadTeleported".into())
        );
        let big = vec![b' '; MAX_EVENT_BYTES + 1];
        assert!(matches!(
            Event::parse(&big),
            Err(EventError::TooLarge { .. })
        ));
        assert!(matches!(
            Event::parse(b"{nope"),
            Err(EventError::Malformed(_))
        ));
    }

    #[test]
    fn semantic_checks_name_the_field() {
        let nps = NpsResponse {
            account_id: "a".into(),
            respondent: "r".into(),
            score: 11,
            comment: None,
        };
        let v = Event::new("ascent.surveys", Actor::system("s"), Utc::now(), nps).to_value();
        let err = Event::from_value(v).unwrap_err();
        assert!(
            matches!(err, EventError::Invalid { ref field, .. } if field == "detail.payload.score")
        );
    }

    #[test]
    fn caused_events_keep_correlation_and_have_stable_ids() {
        let root = Event::new("ascent.crm", Actor::system("crm"), Utc::now(), lead());
        let a = root.caused("x", Actor::agent("lead-generation"), root.time, 0, lead());
        let b = root.caused("x", Actor::agent("lead-generation"), root.time, 0, lead());
        let c = root.caused("x", Actor::agent("lead-generation"), root.time, 1, lead());
        assert_eq!(a.detail.event_id, b.detail.event_id);
        assert_ne!(a.detail.event_id, c.detail.event_id);
        assert_eq!(a.detail.correlation_id, root.detail.correlation_id);
        assert_eq!(a.detail.causation_id, Some(root.detail.event_id));
    }

    fn lead_event() -> Event {
        Event::new("ascent.crm", Actor::system("crm"), Utc::now(), lead())
    }

    fn field_and_problem(err: EventError) -> (String, String) {
        match err {
            EventError::Invalid { field, problem } => (field, problem),
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn every_shape_refuses_more_than_256_kb() {
        // A whole event given as a value (the twin's `POST /events` with `detail-type`).
        let mut v = lead_event().to_value();
        v["detail"]["payload"]["role"] = json!("x".repeat(2 * 1024 * 1024));
        assert!(matches!(
            Event::from_value(v),
            Err(EventError::TooLarge { size }) if size > 2 * 1024 * 1024
        ));
        // Just over the limit, and just under it.
        let mut v = lead_event().to_value();
        let base = serde_json::to_vec(&v).unwrap().len();
        let role = "VP Operations".len();
        v["detail"]["payload"]["role"] = json!("x".repeat(MAX_EVENT_BYTES - base + role + 1));
        assert!(matches!(
            Event::from_value(v.clone()),
            Err(EventError::TooLarge { size }) if size == MAX_EVENT_BYTES + 1
        ));
        v["detail"]["payload"]["role"] = json!("x".repeat(MAX_EVENT_BYTES - base + role));
        assert!(Event::from_value(v).is_ok());
        // A PutEvents entry counts its resources too (as EventBridge does).
        let mut entry = PutEventsEntry::from_event(&lead_event());
        entry.resources = vec!["r".repeat(MAX_EVENT_BYTES)];
        assert!(matches!(
            entry.into_event(Utc::now()),
            Err(EventError::TooLarge { .. })
        ));
        // A Detail string near the limit full of quotes is measured as sent, not as escaped.
        let mut e = lead_event();
        let Payload::LeadCreated(l) = &mut e.detail.payload else {
            unreachable!()
        };
        l.role = "\"".repeat(120 * 1024);
        let entry = PutEventsEntry::from_event(&e);
        assert!(entry.detail.len() < MAX_EVENT_BYTES);
        assert_eq!(entry.into_event(Utc::now()).unwrap().detail, e.detail);
    }

    #[test]
    fn duplicate_keys_are_refused_with_the_key_named() {
        let text = lead_event().to_json();
        let cases = [
            // Envelope, detail, payload, and a nested object in an array.
            (
                text.replacen("\"source\":", "\"source\":\"ascent.evil\",\"source\":", 1),
                "source",
                "source",
            ),
            (
                text.replacen("\"event_id\":", "\"event_id\":\"x\",\"event_id\":", 1),
                "detail.event_id",
                "event_id",
            ),
            (
                text.replacen("\"email\":", "\"email\":\"a@x.example\",\"email\":", 1),
                "detail.payload.email",
                "email",
            ),
            (
                text.replacen("\"resources\":[]", "\"resources\":[{\"a\":1,\"a\":2}]", 1),
                "resources[0].a",
                "a",
            ),
        ];
        for (bytes, field, key) in cases {
            let err = Event::parse(bytes.as_bytes()).unwrap_err();
            let (f, problem) = field_and_problem(err);
            assert_eq!(
                (f.as_str(), problem.as_str()),
                (field, &*format!("duplicate key `{key}`"))
            );
        }
        // The PutEvents `Detail` string too.
        let mut entry = PutEventsEntry::from_event(&lead_event());
        entry.detail =
            entry
                .detail
                .replacen("\"email\":", "\"email\":\"a@x.example\",\"email\":", 1);
        let (f, problem) = field_and_problem(entry.into_event(Utc::now()).unwrap_err());
        assert_eq!(
            (f.as_str(), problem.as_str()),
            ("detail.payload.email", "duplicate key `email`")
        );
    }

    #[test]
    fn emails_must_be_rfc_5322_addresses() {
        for bad in [
            "a@x.example,evil@y.example",
            "ana",
            "ana@",
            "Ana <ana@x.example>",
            "ana@[10.0.0.1]",
            "ana@localhost",
            " ana@x.example",
            "ana@x.example\nBcc: evil@y.example",
        ] {
            let mut v = lead_event().to_value();
            v["detail"]["payload"]["email"] = json!(bad);
            let err = Event::from_value(v).unwrap_err();
            let text = err.to_string();
            let (field, problem) = field_and_problem(err);
            assert_eq!(field, "detail.payload.email", "{bad}");
            assert!(problem.starts_with("not an RFC 5322 address"), "{problem}");
            assert!(!text.contains(bad.trim()), "the value is echoed: {text}");
        }
        for good in [
            "ana.ruiz@boreal-aero.example",
            "Ana.Ruiz+crm@sub.boreal.example",
        ] {
            let mut v = lead_event().to_value();
            v["detail"]["payload"]["email"] = json!(good);
            assert!(Event::from_value(v).is_ok(), "{good}");
        }
        // An event built in code is held to the same rule.
        let mut e = lead_event();
        let Payload::LeadCreated(l) = &mut e.detail.payload else {
            unreachable!()
        };
        l.email = "a@x.example,evil@y.example".into();
        assert_eq!(
            field_and_problem(e.check().unwrap_err()).0,
            "detail.payload.email"
        );
    }

    #[test]
    fn phones_must_be_e164_numbers() {
        for bad in [
            "+49 30 901820",
            "004930901820",
            "+4930901820,+4930901821",
            "+1555",
            "+1555010012",
            "call me",
        ] {
            let mut v = lead_event().to_value();
            v["detail"]["payload"]["phone"] = json!(bad);
            let err = Event::from_value(v).unwrap_err();
            let text = err.to_string();
            let (field, problem) = field_and_problem(err);
            assert_eq!(field, "detail.payload.phone", "{bad}");
            assert!(
                problem.starts_with("not an E.164 phone number"),
                "{problem}"
            );
            assert!(!text.contains(bad), "the value is echoed: {text}");
        }
        for good in ["+4930901820", "+12125550100", "+442071838750"] {
            let mut v = lead_event().to_value();
            v["detail"]["payload"]["phone"] = json!(good);
            assert!(Event::from_value(v).is_ok(), "{good}");
        }
    }

    #[test]
    fn refusals_name_the_field_and_rule_but_never_the_value() {
        let cases = [
            (
                "company_size",
                json!("big"),
                "invalid type: string, expected u32",
            ),
            (
                "company_size",
                json!(-3),
                "invalid value: integer, expected u32",
            ),
            (
                "company_size",
                json!(1.5),
                "invalid type: floating point, expected u32",
            ),
            (
                "country",
                json!(true),
                "invalid type: boolean, expected a string",
            ),
            (
                "email",
                json!(42),
                "invalid type: integer, expected a string",
            ),
        ];
        for (key, value, expected) in cases {
            let mut v = lead_event().to_value();
            v["detail"]["payload"][key] = value.clone();
            let (field, problem) = field_and_problem(Event::from_value(v).unwrap_err());
            assert_eq!(field, format!("detail.payload.{key}"));
            assert_eq!(problem, expected);
        }
        // Unknown variants keep the allowed ones, not the value given.
        let mut v = Event::new(
            "ascent.crm",
            Actor::system("crm"),
            Utc::now(),
            crate::catalog::EmailBounced {
                email: "ana@x.example".into(),
                bounce: crate::catalog::BounceKind::Hard,
                diagnostic: "550".into(),
            },
        )
        .to_value();
        v["detail"]["payload"]["bounce"] = json!("ana@secret.example");
        let (field, problem) = field_and_problem(Event::from_value(v).unwrap_err());
        assert_eq!(field, "detail.payload.bounce");
        assert_eq!(
            problem,
            "unknown variant, expected one of `hard`, `soft`, `complaint`"
        );
        // The envelope's detail too.
        let mut v = lead_event().to_value();
        v["detail"]["actor"]["kind"] = json!("ana@secret.example");
        let err = Event::from_value(v).unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
        assert!(err.contains("detail.actor.kind"), "{err}");
    }

    #[test]
    fn times_have_whole_seconds_so_events_round_trip() {
        // Found by the parse_properties fuzz test: a time with a fraction, or none (now),
        // was kept to the nanosecond, and `to_json` writes whole seconds (as EventBridge).
        let mut v = lead_event().to_value();
        v["time"] = json!("2026-03-02T09:00:00.750Z");
        let e = Event::from_value(v.clone()).unwrap();
        assert_eq!(
            e.time,
            "2026-03-02T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(Event::parse(e.to_json().as_bytes()), Ok(e));
        v.as_object_mut().unwrap().remove("time");
        let e = Event::from_value(v).unwrap();
        assert_eq!(Event::parse(e.to_json().as_bytes()), Ok(e));
    }

    #[test]
    fn put_events_entry_detail_is_a_string() {
        let e = Event::new("ascent.crm", Actor::system("crm"), Utc::now(), lead());
        let entry = PutEventsEntry::from_event(&e);
        let back = entry.into_event(Utc::now()).unwrap();
        assert_eq!(back.detail, e.detail);
    }
}
