//! A stub QuickBooks Online on 127.0.0.1 (axum on tokio) speaking the parts of the Accounting
//! API the adapter uses — journal entries and customers created with `requestid` (a request id
//! seen before gets the first answer again and creates nothing), the query endpoint for
//! customers by display name — with its books in memory and scripted failures (rate limits,
//! outages, lost answers, refusals, an expired token).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// A scripted answer to the next request (then the real one).
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 with `Retry-After: <seconds>`.
    RateLimited(u64),
    /// 503.
    Unavailable,
    /// The request is carried out, but the answer is a 502 (lost on the way).
    Lost,
    /// 401: the access token expired.
    Unauthorized,
}

/// A request as the stub saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Default)]
pub struct Qbo {
    pub script: VecDeque<Fault>,
    /// Journal entries by id, as created.
    pub entries: BTreeMap<String, Value>,
    /// Customers by id: display name.
    pub customers: BTreeMap<String, String>,
    /// Account ids that are inactive: an entry using one is refused.
    pub inactive_accounts: Vec<String>,
    pub requests: Vec<Seen>,
    /// The answer given to each request id.
    answered: HashMap<String, (u16, Value)>,
    next_id: u64,
}

pub type Shared = Arc<Mutex<Qbo>>;

impl Qbo {
    fn id(&mut self) -> String {
        self.next_id += 1;
        (140 + self.next_id).to_string()
    }

    /// Journal entry posts seen.
    pub fn entry_posts(&self) -> Vec<&Seen> {
        self.requests
            .iter()
            .filter(|r| r.path.ends_with("/journalentry"))
            .collect()
    }
}

fn fault(detail: &str) -> Value {
    json!({"Fault": {"Error": [{"Message": "A business validation error has occurred while processing your request",
        "Detail": detail, "code": "6000", "element": ""}], "type": "ValidationFault"},
        "time": "2026-03-02T10:00:00.000-08:00"})
}

fn answer(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

/// Records the request and plays the script; `Ok(lost)` to carry it out (the answer lost when
/// `lost`), else the scripted answer.
fn admit(
    q: &mut Qbo,
    method: &str,
    path: String,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: Value,
) -> Result<bool, Box<Response>> {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    q.requests.push(Seen {
        method: method.into(),
        path,
        query: query.clone(),
        authorization: authorization.clone(),
        body,
    });
    if !authorization.is_some_and(|a| a.starts_with("Bearer ")) {
        return Err(Box::new(answer(401, json!({"fault": "no token"}))));
    }
    let refused = match q.script.pop_front() {
        None => return Ok(false),
        Some(Fault::Lost) => return Ok(true),
        Some(Fault::RateLimited(s)) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", s.to_string())],
            "",
        )
            .into_response(),
        Some(Fault::Unavailable) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Some(Fault::Unauthorized) => answer(
            401,
            json!({"Fault": {"Error": [{"Message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "Detail": "Token expired", "code": "3200"}], "type": "AUTHENTICATION"}}),
        ),
    };
    Err(Box::new(refused))
}

/// Replays the first answer to a request id, or makes it with `make` and keeps it.
fn once(
    q: &mut Qbo,
    request_id: Option<&String>,
    lost: bool,
    make: impl FnOnce(&mut Qbo) -> (u16, Value),
) -> Response {
    let (status, body) = match request_id.and_then(|r| q.answered.get(r)).cloned() {
        Some(a) => a,
        None => {
            let a = make(q);
            if let Some(r) = request_id {
                q.answered.insert(r.clone(), a.clone());
            }
            a
        }
    };
    if lost {
        return StatusCode::BAD_GATEWAY.into_response();
    }
    answer(status, body)
}

fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap_or(0.0) * 1000.0).round() as i64
}

async fn journal_entry(
    State(s): State<Shared>,
    Path(realm): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut q = s.lock().unwrap();
    let path = format!("/v3/company/{realm}/journalentry");
    let lost = match admit(&mut q, "POST", path, &query, &headers, body.clone()) {
        Ok(lost) => lost,
        Err(r) => return *r,
    };
    once(&mut q, query.get("requestid"), lost, |q| {
        let lines = body["Line"].as_array().cloned().unwrap_or_default();
        let side = |t: &str| -> i64 {
            lines
                .iter()
                .filter(|l| l["JournalEntryLineDetail"]["PostingType"] == t)
                .map(|l| cents(&l["Amount"]))
                .sum()
        };
        if lines.is_empty() || side("Debit") != side("Credit") {
            return (400, fault("Transaction must be balanced"));
        }
        for l in &lines {
            let account = l["JournalEntryLineDetail"]["AccountRef"]["value"]
                .as_str()
                .unwrap_or_default();
            if q.inactive_accounts.iter().any(|a| a == account) {
                return (
                    400,
                    fault(&format!(
                        "Invalid Reference Id : Accounts element id {account} not found"
                    )),
                );
            }
        }
        let id = q.id();
        let mut created = body.clone();
        created["Id"] = json!(id);
        created["SyncToken"] = json!("0");
        q.entries.insert(id, created.clone());
        (
            200,
            json!({"JournalEntry": created, "time": "2026-03-02T10:00:00.000-08:00"}),
        )
    })
}

async fn customer(
    State(s): State<Shared>,
    Path(realm): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut q = s.lock().unwrap();
    let path = format!("/v3/company/{realm}/customer");
    let lost = match admit(&mut q, "POST", path, &query, &headers, body.clone()) {
        Ok(lost) => lost,
        Err(r) => return *r,
    };
    once(&mut q, query.get("requestid"), lost, |q| {
        let name = body["DisplayName"].as_str().unwrap_or_default().to_string();
        if q.customers.values().any(|n| *n == name) {
            return (400, fault("The name supplied already exists. : null"));
        }
        let id = q.id();
        q.customers.insert(id.clone(), name.clone());
        (200, json!({"Customer": {"Id": id, "DisplayName": name}}))
    })
}

async fn query_endpoint(
    State(s): State<Shared>,
    Path(realm): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut q = s.lock().unwrap();
    let path = format!("/v3/company/{realm}/query");
    if let Err(r) = admit(&mut q, "GET", path, &query, &headers, Value::Null) {
        return *r;
    }
    let text = query.get("query").cloned().unwrap_or_default();
    let Some(name) = text
        .split_once("DisplayName = '")
        .and_then(|(_, rest)| rest.strip_suffix('\''))
        .map(|n| n.replace("\\'", "'").replace("\\\\", "\\"))
    else {
        return answer(400, fault("QueryParserError"));
    };
    let found: Vec<Value> = q
        .customers
        .iter()
        .filter(|(_, n)| **n == name)
        .map(|(id, _)| json!({"Id": id}))
        .collect();
    if found.is_empty() {
        return answer(200, json!({"QueryResponse": {}}));
    }
    answer(200, json!({"QueryResponse": {"Customer": found}}))
}

/// Starts the stub; its base URL and state.
pub fn start() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Qbo::default()));
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
                .route("/v3/company/{realm}/journalentry", post(journal_entry))
                .route("/v3/company/{realm}/customer", post(customer))
                .route("/v3/company/{realm}/query", get(query_endpoint))
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, shared)
}
