//! A stub CRM on 127.0.0.1 (axum on tokio) speaking the parts of HubSpot's CRM v3 and
//! Salesforce's REST API the adapters use, with contacts in memory, a settable clock for
//! modification times, and scripted failures (rate limits, outages, lost answers).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// A scripted answer to the next request (then the real one).
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// 429 with `Retry-After: <seconds>`.
    RateLimited(u64),
    /// 503.
    Unavailable,
    /// The request is carried out, but the answer is a 502 (lost on the way).
    Lost,
    /// 400 with the CRM's error body.
    Refused,
    /// The real answer (to script a later request).
    Pass,
}

/// A contact in the stub.
#[derive(Clone, Debug)]
pub struct StubContact {
    pub props: BTreeMap<String, String>,
    pub modified: DateTime<Utc>,
}

#[derive(Default)]
pub struct Crm {
    pub now: Option<DateTime<Utc>>,
    pub script: VecDeque<Fault>,
    /// Contacts by id.
    pub contacts: BTreeMap<String, StubContact>,
    /// Salesforce upserts' external ids to record ids.
    pub external: HashMap<String, String>,
    /// Each request: method, path, authorization, body.
    pub requests: Vec<(String, String, Option<String>, Value)>,
    next_id: u64,
}

pub type Shared = Arc<Mutex<Crm>>;

impl Crm {
    fn stamp(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    /// Puts a contact as a person would in the CRM's screens, modified at `at`.
    pub fn edit(&mut self, id: &str, at: DateTime<Utc>, props: &[(&str, &str)]) {
        let c = self.contacts.entry(id.into()).or_insert(StubContact {
            props: BTreeMap::new(),
            modified: at,
        });
        for (k, v) in props {
            c.props.insert(k.to_string(), v.to_string());
        }
        c.modified = at;
    }

    fn create(&mut self, prefix: &str, props: BTreeMap<String, String>) -> String {
        self.next_id += 1;
        let id = format!("{prefix}{}", 70_000 + self.next_id);
        let modified = self.stamp();
        self.contacts
            .insert(id.clone(), StubContact { props, modified });
        id
    }

    fn update(&mut self, id: &str, props: BTreeMap<String, String>) -> bool {
        let modified = self.stamp();
        match self.contacts.get_mut(id) {
            Some(c) => {
                c.props.extend(props);
                c.modified = modified;
                true
            }
            None => false,
        }
    }

    /// Contacts changed after (`since`, `after`), oldest first, at most `limit`.
    fn changed(
        &self,
        since: DateTime<Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Vec<(String, StubContact)> {
        let mut all: Vec<(String, StubContact)> = self
            .contacts
            .iter()
            .filter(|(id, c)| {
                c.modified > since
                    || (c.modified == since && after.is_some_and(|a| id.as_str() > a))
            })
            .map(|(id, c)| (id.clone(), c.clone()))
            .collect();
        all.sort_by(|a, b| (a.1.modified, &a.0).cmp(&(b.1.modified, &b.0)));
        all.truncate(limit);
        all
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

/// The scripted fault for this request: `Err` answers in its place; `Ok(true)` carries the
/// request out and loses the answer.
fn fault(s: &mut Crm) -> Result<bool, Box<Response>> {
    let Some(f) = s.script.pop_front() else {
        return Ok(false);
    };
    Err(Box::new(match f {
        Fault::Pass => return Ok(false),
        Fault::Lost => return Ok(true),
        Fault::RateLimited(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
            Json(json!({"status": "error", "message": "You have reached your secondly limit."})),
        )
            .into_response(),
        Fault::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Fault::Refused => (
            StatusCode::BAD_REQUEST,
            Json(json!({"status": "error", "message": "Property values were not valid"})),
        )
            .into_response(),
    }))
}

/// The answer, or a 502 in its place when it is to be lost.
fn lost_or(lost: bool, r: Response) -> Response {
    if lost {
        return StatusCode::BAD_GATEWAY.into_response();
    }
    r
}

fn record(s: &mut Crm, method: &str, path: String, h: &HeaderMap, body: Value) {
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    s.requests.push((method.into(), path, auth, body));
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn hs_search(State(st): State<Shared>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut s = st.lock().unwrap();
    record(
        &mut s,
        "POST",
        "/crm/v3/objects/contacts/search".into(),
        &h,
        body.clone(),
    );
    let lost = match fault(&mut s) {
        Err(r) => return *r,
        Ok(lost) => lost,
    };
    let ms: i64 = body["filterGroups"][0]["filters"][0]["value"]
        .as_str()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    let since = DateTime::from_timestamp_millis(ms).unwrap();
    let after = body["filterGroups"][1]["filters"][1]["value"].as_str();
    let limit = body["limit"].as_u64().unwrap_or(10) as usize;
    let page = s.changed(since, after, limit + 1);
    let more = page.len() > limit;
    let results: Vec<Value> = page
        .iter()
        .take(limit)
        .map(|(id, c)| {
            let mut p = json!(c.props);
            p["lastmodifieddate"] = iso(c.modified).into();
            p["hs_object_id"] = id.clone().into();
            json!({"id": id, "properties": p, "updatedAt": iso(c.modified), "archived": false})
        })
        .collect();
    let mut answer = json!({"total": results.len(), "results": results});
    if more {
        answer["paging"] = json!({"next": {"after": "next"}});
    }
    let r = Json(answer).into_response();
    lost_or(lost, r)
}

async fn hs_create(State(st): State<Shared>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut s = st.lock().unwrap();
    record(
        &mut s,
        "POST",
        "/crm/v3/objects/contacts".into(),
        &h,
        body.clone(),
    );
    let lost = match fault(&mut s) {
        Err(r) => return *r,
        Ok(lost) => lost,
    };
    let props = props_of(&body["properties"]);
    let email = props.get("email").cloned();
    let existing = s
        .contacts
        .iter()
        .find(|(_, c)| email.is_some() && c.props.get("email") == email.as_ref())
        .map(|(id, _)| id.clone());
    let r = match existing {
        Some(id) => (
            StatusCode::CONFLICT,
            Json(json!({"status": "error", "category": "CONFLICT",
                "message": format!("Contact already exists. Existing ID: {id}")})),
        )
            .into_response(),
        None => {
            let id = s.create("", props);
            (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
        }
    };
    lost_or(lost, r)
}

async fn hs_patch(
    State(st): State<Shared>,
    Path(id): Path<String>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut s = st.lock().unwrap();
    record(
        &mut s,
        "PATCH",
        format!("/crm/v3/objects/contacts/{id}"),
        &h,
        body.clone(),
    );
    let lost = match fault(&mut s) {
        Err(r) => return *r,
        Ok(lost) => lost,
    };
    let r = if s.update(&id, props_of(&body["properties"])) {
        Json(json!({"id": id})).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "resource not found"})),
        )
            .into_response()
    };
    lost_or(lost, r)
}

async fn sf_query(
    State(st): State<Shared>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = st.lock().unwrap();
    let soql = q.get("q").cloned().unwrap_or_default();
    record(&mut s, "GET", "/query".into(), &h, json!(soql));
    let lost = match fault(&mut s) {
        Err(r) => return *r,
        Ok(lost) => lost,
    };
    let since = soql
        .split("LastModifiedDate > ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        .unwrap();
    let after = soql
        .split("Id > '")
        .nth(1)
        .and_then(|r| r.split('\'').next());
    let limit: usize = soql
        .rsplit("LIMIT ")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    let records: Vec<Value> = s
        .changed(since, after, limit)
        .into_iter()
        .map(|(id, c)| {
            let mut r = json!({"attributes": {"type": "Contact"}, "Id": id,
                "LastModifiedDate": c.modified.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()});
            for (k, v) in &c.props {
                if k == "AccountName" {
                    r["Account"] = json!({"Name": v});
                } else {
                    r[k] = v.clone().into();
                }
            }
            r
        })
        .collect();
    let r =
        Json(json!({"totalSize": records.len(), "done": true, "records": records})).into_response();
    lost_or(lost, r)
}

async fn sf_patch(
    State(st): State<Shared>,
    Path(path): Path<String>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut s = st.lock().unwrap();
    record(
        &mut s,
        "PATCH",
        format!("/sobjects/Contact/{path}"),
        &h,
        body.clone(),
    );
    let lost = match fault(&mut s) {
        Err(r) => return *r,
        Ok(lost) => lost,
    };
    let props = props_of(&body);
    let r = match path.strip_prefix("Ascent_Contact_Id__c/") {
        Some(ext) => match s.external.get(ext).cloned() {
            Some(id) => {
                s.update(&id, props);
                Json(json!({"id": id, "success": true, "created": false})).into_response()
            }
            None => {
                let id = s.create("0035e0000", props);
                s.external.insert(ext.into(), id.clone());
                (StatusCode::CREATED, Json(json!({"id": id, "success": true, "created": true}))).into_response()
            }
        },
        None if s.update(&path, props) => StatusCode::NO_CONTENT.into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]))).into_response(),
    };
    lost_or(lost, r)
}

/// Starts a stub CRM; its base URL and state.
pub fn start() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Crm::default()));
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
                .route("/crm/v3/objects/contacts/search", post(hs_search))
                .route("/crm/v3/objects/contacts", post(hs_create))
                .route("/crm/v3/objects/contacts/{id}", patch(hs_patch))
                .route("/services/data/v61.0/query", axum::routing::get(sf_query))
                .route(
                    "/services/data/v61.0/sobjects/Contact/{*path}",
                    patch(sf_patch),
                )
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, shared)
}
