//! A stub Expensify Integration Server on 127.0.0.1 (axum on tokio): the report status updater
//! as the adapter uses it — a form field `requestJobDescription` holding the job, credentials
//! inside it, HTTP 200 with a `responseCode` even for a failed job — with reports in memory and
//! scripted failures (rate limits, outages, lost answers, a refusal until cleared).

use axum::Json;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

pub const PATH: &str = "/Integration-Server/ExpensifyIntegrations";
pub const PARTNER_USER_ID: &str = "aa_api_ascent_xr";
pub const PARTNER_USER_SECRET: &str = "f3a9c0e1d2b4";

/// A scripted answer to the next request (then the real one).
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: <seconds>`.
    RateLimited(u64),
    /// HTTP 503.
    Unavailable,
    /// The job runs, but the answer is a 502 (lost on the way).
    Lost,
}

#[derive(Default)]
pub struct Server {
    pub script: VecDeque<Fault>,
    /// Every job refused with this responseCode and message while set.
    pub refuse: Option<(u16, String)>,
    /// Report id to status (`APPROVED`, `REIMBURSED`, …).
    pub reports: BTreeMap<String, String>,
    /// Each job received (the parsed `requestJobDescription`).
    pub jobs: Vec<Value>,
    /// Reports marked reimbursed, in order (each once).
    pub marked: Vec<String>,
}

pub type Shared = Arc<Mutex<Server>>;

impl Server {
    fn run(&mut self, job: &Value) -> Value {
        let creds = &job["credentials"];
        if creds["partnerUserID"] != PARTNER_USER_ID
            || creds["partnerUserSecret"] != PARTNER_USER_SECRET
        {
            return json!({"responseMessage": "Authentication error", "responseCode": 407});
        }
        if let Some((code, message)) = &self.refuse {
            return json!({"responseMessage": message, "responseCode": code});
        }
        let settings = &job["inputSettings"];
        if job["type"] != "update"
            || settings["type"] != "reportStatus"
            || settings["status"] != "REIMBURSED"
        {
            return json!({"responseMessage": "Unsupported job", "responseCode": 410});
        }
        let mut done = Vec::new();
        let mut skipped = Vec::new();
        for id in settings["filters"]["reportIDList"]
            .as_str()
            .unwrap_or_default()
            .split(',')
        {
            match self.reports.get(id).map(String::as_str) {
                Some("APPROVED") => {
                    self.reports.insert(id.into(), "REIMBURSED".into());
                    self.marked.push(id.into());
                    done.push(id.to_string());
                }
                Some(state) => skipped.push(
                    json!({"reportID": id, "reason": format!("Report is {state}, not APPROVED")}),
                ),
                None => skipped.push(json!({"reportID": id, "reason": "Report not found"})),
            }
        }
        json!({"reportIDs": done, "skippedReports": skipped, "responseCode": 200})
    }
}

async fn integrations(
    State(st): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut s = st.lock().unwrap();
    let job: Value = form
        .get("requestJobDescription")
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(Value::Null);
    s.jobs.push(job.clone());
    let lost = match s.script.pop_front() {
        Some(Fault::RateLimited(secs)) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                "You have been rate-limited. Please try again later.",
            )
                .into_response();
        }
        Some(Fault::Unavailable) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Some(Fault::Lost) => true,
        None => false,
    };
    let answer = s.run(&job);
    if lost {
        return StatusCode::BAD_GATEWAY.into_response();
    }
    Json(answer).into_response()
}

/// Starts a stub Integration Server; its endpoint URL and state.
pub fn start() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Server::default()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}{PATH}", listener.local_addr().unwrap());
    let state = shared.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(PATH, post(integrations))
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (url, shared)
}
