//! A local stand-in for Zendesk and Intercom (tests only): tickets and conversations kept in
//! memory and changed as the real APIs change them, every request recorded, and faults to
//! inject into the writes (an answer lost after the change landed, a status without change).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A request as the stub saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// What happens to a write.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Applied, then answered `502`: the caller cannot know it landed.
    LoseAnswer,
    /// Answered so, nothing applied.
    Answer(u16, Vec<(&'static str, String)>, Value),
}

#[derive(Clone, Debug, Default)]
pub struct ZdTicket {
    /// Bumped by every change; `updated_at` is made from it.
    pub version: u32,
    pub priority: Option<String>,
    pub tags: Vec<String>,
    pub status: String,
    /// Comments: body and whether public.
    pub comments: Vec<(String, bool)>,
}

impl ZdTicket {
    pub fn open() -> Self {
        Self {
            status: "open".into(),
            tags: vec!["vip".into()],
            ..Self::default()
        }
    }
    pub fn updated_at(&self) -> String {
        format!("2026-03-10T14:{:02}:00Z", self.version)
    }
}

#[derive(Clone, Debug, Default)]
pub struct IcConversation {
    pub state: String,
    pub attributes: BTreeMap<String, Value>,
    /// Parts: type and body.
    pub parts: Vec<(String, String)>,
}

/// The stub's state.
#[derive(Default)]
pub struct Desks {
    pub seen: Vec<Seen>,
    /// Faults for writes whose `METHOD path` contains the key, taken in order.
    pub faults: Vec<(String, Fault)>,
    pub zendesk: BTreeMap<String, ZdTicket>,
    pub intercom: BTreeMap<String, IcConversation>,
    /// Conversation attributes defined in the Intercom workspace.
    pub intercom_attributes: Vec<String>,
}

pub type Shared = Arc<Mutex<Desks>>;

type Reply = (u16, Vec<(&'static str, String)>, Value);

fn ok(v: Value) -> Reply {
    (200, vec![], v)
}

fn zd_not_found() -> Reply {
    (
        404,
        vec![],
        json!({"error": "RecordNotFound", "description": "Not found"}),
    )
}

fn ic_error(status: u16, code: &str, message: &str) -> Reply {
    (
        status,
        vec![],
        json!({"type": "error.list", "request_id": "req-1", "errors": [{"code": code, "message": message}]}),
    )
}

fn zendesk(d: &mut Desks, method: &Method, path: &str, body: &Value) -> Reply {
    let rest = path.trim_start_matches("/api/v2/tickets/");
    if let Some(id) = rest.strip_suffix("/comments.json") {
        let Some(t) = d.zendesk.get(id) else {
            return zd_not_found();
        };
        let comments: Vec<Value> = t
            .comments
            .iter()
            .rev()
            .map(|(b, public)| json!({"type": "Comment", "body": b, "plain_body": b, "public": public}))
            .collect();
        return ok(json!({"comments": comments, "next_page": null, "count": comments.len()}));
    }
    let id = rest.trim_end_matches(".json");
    let Some(t) = d.zendesk.get_mut(id) else {
        return zd_not_found();
    };
    if method == Method::GET {
        return ok(
            json!({"ticket": {"id": id.parse::<u64>().unwrap_or(0), "updated_at": t.updated_at(),
            "priority": t.priority, "tags": t.tags, "status": t.status}}),
        );
    }
    let u = &body["ticket"];
    if u["safe_update"] == true && u["updated_stamp"].as_str() != Some(&t.updated_at()) {
        return (
            409,
            vec![],
            json!({"error": "UpdateConflict", "description": "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."}),
        );
    }
    if t.status == "closed" {
        return (
            422,
            vec![],
            json!({"error": "RecordInvalid", "description": "Record validation errors",
                "details": {"status": [{"description": "Status: closed prevents ticket update"}]}}),
        );
    }
    if let Some(p) = u["priority"].as_str() {
        t.priority = Some(p.into());
    }
    for tag in u["additional_tags"].as_array().into_iter().flatten() {
        let tag = tag.as_str().unwrap_or_default().to_string();
        if !t.tags.contains(&tag) {
            t.tags.push(tag);
        }
    }
    if let Some(s) = u["status"].as_str() {
        t.status = s.into();
    }
    if let Some(c) = u["comment"]["body"].as_str() {
        t.comments.push((c.into(), u["comment"]["public"] != false));
    }
    t.version += 1;
    ok(json!({"ticket": {"id": id, "updated_at": t.updated_at()}}))
}

fn intercom(d: &mut Desks, method: &Method, path: &str, body: &Value) -> Reply {
    let rest = path.trim_start_matches("/conversations/");
    let (id, action) = rest.split_once('/').unwrap_or((rest, ""));
    let defined = d.intercom_attributes.clone();
    let Some(c) = d.intercom.get_mut(id) else {
        return ic_error(404, "not_found", "Resource Not Found");
    };
    let view = |c: &IcConversation| {
        let parts: Vec<Value> = c
            .parts
            .iter()
            .map(|(t, b)| json!({"type": "conversation_part", "part_type": t, "body": b}))
            .collect();
        json!({"type": "conversation", "id": id, "state": c.state, "open": c.state == "open",
            "priority": "not_priority", "custom_attributes": c.attributes,
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": parts,
                "total_count": parts.len()}})
    };
    match (method.as_str(), action) {
        ("GET", "") => ok(view(c)),
        ("PUT", "") => {
            for (k, v) in body["custom_attributes"].as_object().into_iter().flatten() {
                if !defined.contains(k) {
                    return ic_error(
                        400,
                        "parameter_invalid",
                        &format!("Custom attribute '{k}' does not exist"),
                    );
                }
                c.attributes.insert(k.clone(), v.clone());
            }
            ok(view(c))
        }
        ("POST", "reply") if body["message_type"] == "note" && body["admin_id"].is_string() => {
            c.parts
                .push(("note".into(), body["body"].as_str().unwrap_or("").into()));
            ok(view(c))
        }
        ("POST", "parts") if body["message_type"] == "close" => {
            c.state = "closed".into();
            c.parts.push(("close".into(), String::new()));
            ok(view(c))
        }
        _ => ic_error(400, "parameter_invalid", "Unsupported request"),
    }
}

async fn answer(
    State(desks): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let mut d = desks.lock().unwrap();
    d.seen.push(Seen {
        method: method.to_string(),
        uri: uri.to_string(),
        headers,
        body: body.clone(),
    });
    let path = uri.path().to_string();
    let key = format!("{method} {path}");
    let fault = (method != Method::GET)
        .then(|| d.faults.iter().position(|(k, _)| key.contains(k.as_str())))
        .flatten()
        .map(|i| d.faults.remove(i).1);
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let (status, hs, out) = match fault {
        Some(Fault::Answer(s, h, b)) => (s, h, b),
        other => {
            let r = if path.starts_with("/api/v2/tickets/") {
                zendesk(&mut d, &method, &path, &json)
            } else {
                intercom(&mut d, &method, &path, &json)
            };
            match other {
                Some(Fault::LoseAnswer) => (502, vec![], json!("Bad Gateway")),
                _ => r,
            }
        }
    };
    let mut map = HeaderMap::new();
    for (k, v) in hs {
        map.insert(k, v.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), map, out.to_string())
}

/// A stub on its own thread: its base URL and state.
pub fn start(desks: Desks) -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(desks));
    let app = Router::new()
        .fallback(any(answer))
        .with_state(shared.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (format!("http://{}", rx.recv().unwrap()), shared)
}
