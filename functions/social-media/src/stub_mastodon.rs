//! A stub Mastodon on 127.0.0.1 (axum on its own thread and tokio runtime) for the publisher's
//! and the publishing runs' tests: `POST /api/v1/statuses` answered as scripted (in order, or
//! per idempotency key), every request kept, and statuses made once per idempotency key as
//! Mastodon does.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stub answers a request with.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// 429 with `Retry-After: <seconds>`.
    RateLimited(u64),
    /// 503.
    Unavailable,
    /// The status is made, but the answer is a 500 (as if lost on the way).
    Lost,
    /// 422 with Mastodon's error body.
    Refused,
    Created,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub key: Option<String>,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Default)]
pub struct Stub {
    /// Answers to any request, in order (then `Created`).
    pub script: VecDeque<Answer>,
    /// Answers to one idempotency key's requests, in order, before `script`.
    pub by_key: BTreeMap<String, VecDeque<Answer>>,
    /// How long each answer takes.
    pub delay: Duration,
    pub requests: Vec<Request>,
    /// Statuses made, by idempotency key (Mastodon answers a repeated key with the same one).
    pub statuses: BTreeMap<String, String>,
}

impl Stub {
    /// Requests made with this idempotency key.
    pub fn requests_for(&self, key: &str) -> usize {
        self.requests
            .iter()
            .filter(|r| r.key.as_deref() == Some(key))
            .count()
    }
}

pub type Shared = Arc<Mutex<Stub>>;

fn make(s: &mut Stub, key: &str) -> String {
    let next = (s.statuses.len() + 110_000_000).to_string();
    s.statuses.entry(key.to_string()).or_insert(next).clone()
}

async fn statuses(
    State(stub): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let delay = stub.lock().unwrap().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut s = stub.lock().unwrap();
    let key = header("idempotency-key").unwrap_or_default();
    s.requests.push(Request {
        key: header("idempotency-key"),
        authorization: header("authorization"),
        body,
    });
    let scripted = s.by_key.get_mut(&key).and_then(VecDeque::pop_front);
    match scripted
        .or_else(|| s.script.pop_front())
        .unwrap_or(Answer::Created)
    {
        Answer::RateLimited(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
            Json(json!({"error": "Too many requests"})),
        )
            .into_response(),
        Answer::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Answer::Lost => {
            make(&mut s, &key);
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Answer::Refused => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": "Validation failed: Text character limit of 500 exceeded"})),
        )
            .into_response(),
        Answer::Created => {
            let id = make(&mut s, &key);
            let url = format!("https://social.example/@ascent/{id}");
            Json(json!({"id": id, "url": url, "content": "<p>…</p>"})).into_response()
        }
    }
}

/// Starts a stub Mastodon answering with `script`; its base URL and state.
pub fn start(script: &[Answer]) -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Stub {
        script: script.iter().copied().collect(),
        ..Stub::default()
    }));
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
                .route("/api/v1/statuses", axum::routing::post(statuses))
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, shared)
}
