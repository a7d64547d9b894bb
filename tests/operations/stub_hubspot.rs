//! A stub HubSpot on 127.0.0.1 (axum on tokio) speaking the parts of the CRM v3 contacts API
//! CRM Management's adapter uses (search by `lastmodifieddate`, create, patch), with contacts in
//! memory, a clock set by the test for modification times, and the two ways it fails in the
//! operations flow: an outage (every request answered `503`) and a revoked private-app token
//! (every request answered `401` with HubSpot's error body).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A contact as HubSpot keeps it.
#[derive(Clone, Debug)]
pub struct Contact {
    pub props: BTreeMap<String, String>,
    pub modified: DateTime<Utc>,
}

#[derive(Default)]
pub struct HubSpot {
    /// HubSpot's clock: the modification time of what the API changes.
    pub now: Option<DateTime<Utc>>,
    /// Down: every request is answered `503 Service Unavailable`.
    pub down: bool,
    /// The private app's token revoked: every request is answered `401`.
    pub token_revoked: bool,
    /// Contacts by HubSpot id.
    pub contacts: BTreeMap<String, Contact>,
    /// Requests answered, by path (`POST /crm/v3/objects/contacts/search`, …), and their count.
    pub requests: BTreeMap<String, u32>,
    /// Authorization headers seen.
    pub tokens: Vec<String>,
    next_id: u64,
}

pub type Shared = Arc<Mutex<HubSpot>>;

impl HubSpot {
    fn stamp(&self) -> DateTime<Utc> {
        self.now.expect("the test sets HubSpot's clock")
    }

    /// A rep edits contact `id` in HubSpot's screens at `at`.
    pub fn edit(&mut self, id: &str, at: DateTime<Utc>, props: &[(&str, &str)]) {
        let c = self.contacts.get_mut(id).expect("a HubSpot contact");
        for (k, v) in props {
            c.props.insert(k.to_string(), v.to_string());
        }
        c.modified = at;
    }

    /// The only contact (the flow has one).
    pub fn only(&self) -> (String, Contact) {
        assert_eq!(self.contacts.len(), 1, "{:?}", self.contacts);
        let (id, c) = self.contacts.iter().next().unwrap();
        (id.clone(), c.clone())
    }

    /// How many requests `what` (`POST /crm/v3/objects/contacts/search`) got.
    pub fn count(&self, what: &str) -> u32 {
        self.requests.get(what).copied().unwrap_or(0)
    }

    /// Counts the request; the failure answered in its place, if HubSpot is failing.
    fn answer(&mut self, what: &str, h: &HeaderMap) -> Option<Response> {
        *self.requests.entry(what.to_string()).or_default() += 1;
        if let Some(a) = h.get("authorization").and_then(|v| v.to_str().ok()) {
            self.tokens.push(a.to_string());
        }
        if self.down {
            return Some(StatusCode::SERVICE_UNAVAILABLE.into_response());
        }
        if self.token_revoked {
            let body = json!({
                "status": "error",
                "message": "Authentication credentials not found.",
                "category": "INVALID_AUTHENTICATION"
            });
            return Some((StatusCode::UNAUTHORIZED, Json(body)).into_response());
        }
        None
    }
}

fn props_of(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn search(State(st): State<Shared>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut s = st.lock().unwrap();
    if let Some(r) = s.answer("POST /crm/v3/objects/contacts/search", &h) {
        return r;
    }
    // Changed after the cursor's time, or at it with a greater id (the adapter's two groups).
    let ms: i64 = body["filterGroups"][0]["filters"][0]["value"]
        .as_str()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    let since = DateTime::from_timestamp_millis(ms).unwrap();
    let after = body["filterGroups"][1]["filters"][1]["value"].as_str();
    let limit = body["limit"].as_u64().unwrap_or(10) as usize;
    let mut changed: Vec<(&String, &Contact)> = s
        .contacts
        .iter()
        .filter(|(id, c)| {
            c.modified > since || (c.modified == since && after.is_some_and(|a| id.as_str() > a))
        })
        .collect();
    changed.sort_by(|a, b| (a.1.modified, a.0).cmp(&(b.1.modified, b.0)));
    let more = changed.len() > limit;
    let results: Vec<Value> = changed
        .iter()
        .take(limit)
        .map(|(id, c)| {
            let mut p = json!(c.props);
            p["lastmodifieddate"] = iso(c.modified).into();
            p["hs_object_id"] = id.as_str().into();
            json!({"id": id, "properties": p, "updatedAt": iso(c.modified), "archived": false})
        })
        .collect();
    let mut answer = json!({"total": results.len(), "results": results});
    if more {
        answer["paging"] = json!({"next": {"after": "next"}});
    }
    Json(answer).into_response()
}

async fn create(State(st): State<Shared>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut s = st.lock().unwrap();
    if let Some(r) = s.answer("POST /crm/v3/objects/contacts", &h) {
        return r;
    }
    let props = props_of(&body["properties"]);
    let existing = props.get("email").and_then(|email| {
        s.contacts
            .iter()
            .find(|(_, c)| c.props.get("email") == Some(email))
            .map(|(id, _)| id.clone())
    });
    if let Some(id) = existing {
        let message = format!("Contact already exists. Existing ID: {id}");
        let body = json!({"status": "error", "category": "CONFLICT", "message": message});
        return (StatusCode::CONFLICT, Json(body)).into_response();
    }
    s.next_id += 1;
    let id = format!("{}", 51_200 + s.next_id);
    let modified = s.stamp();
    s.contacts.insert(id.clone(), Contact { props, modified });
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

async fn update(
    State(st): State<Shared>,
    Path(id): Path<String>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut s = st.lock().unwrap();
    if let Some(r) = s.answer("PATCH /crm/v3/objects/contacts/{id}", &h) {
        return r;
    }
    let modified = s.stamp();
    match s.contacts.get_mut(&id) {
        Some(c) => {
            c.props.extend(props_of(&body["properties"]));
            c.modified = modified;
            Json(json!({"id": id})).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"status": "error", "message": "resource not found"})),
        )
            .into_response(),
    }
}

/// Starts the stub; its base URL and state.
pub fn start() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(HubSpot::default()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = shared.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route("/crm/v3/objects/contacts/search", post(search))
                .route("/crm/v3/objects/contacts", post(create))
                .route("/crm/v3/objects/contacts/{id}", patch(update))
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, shared)
}
