//! A stub Stripe on 127.0.0.1 (axum on tokio) speaking `POST /v1/refunds` as Stripe does: form
//! bodies, a bearer secret key, idempotency keys (a repeat answered with the first answer, the
//! same key with other parameters refused), the `{"error": {...}}` body of a refusal, and
//! scripted failures (rate limits, outages, lost answers).

use axum::Json;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
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
    /// The refund is made, but the answer is a 502 (lost on the way).
    Lost,
}

/// A request as the stub saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub form: Vec<(String, String)>,
}

impl Seen {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The first answer under an idempotency key: the parameters it was for, status, body.
type Replay = (Vec<(String, String)>, u16, Value);

#[derive(Default)]
pub struct Stripe {
    pub script: VecDeque<Fault>,
    /// PaymentIntents that can be refunded: id to amount captured (minor units).
    pub intents: BTreeMap<String, i64>,
    /// Refunds made: id, PaymentIntent, amount.
    pub refunds: Vec<(String, String, i64)>,
    pub requests: Vec<Seen>,
    /// First answer of each idempotency key, with the parameters it was for.
    keys: HashMap<String, Replay>,
}

pub type Shared = Arc<Mutex<Stripe>>;

fn error(status: StatusCode, kind: &str, code: &str, message: &str) -> (u16, Value) {
    (
        status.as_u16(),
        json!({"error": {"type": kind, "code": code, "message": message}}),
    )
}

impl Stripe {
    fn refund(&mut self, form: &[(String, String)]) -> (u16, Value) {
        let field = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let Some(pi) = field("payment_intent") else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "parameter_missing",
                "Must provide either `charge` or `payment_intent`.",
            );
        };
        let Some(captured) = self.intents.get(&pi).copied() else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "resource_missing",
                &format!("No such payment_intent: '{pi}'"),
            );
        };
        let refunded: i64 = self.refunds.iter().filter(|r| r.1 == pi).map(|r| r.2).sum();
        let amount: i64 = field("amount").and_then(|a| a.parse().ok()).unwrap_or(0);
        if amount > captured - refunded {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "amount_too_large",
                &format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge ({})",
                    captured - refunded
                ),
            );
        }
        let id = format!("re_3Stub{:04}", self.refunds.len() + 1);
        self.refunds.push((id.clone(), pi.clone(), amount));
        let metadata: BTreeMap<String, String> = form
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("metadata[")
                    .and_then(|k| k.strip_suffix(']'))
                    .map(|k| (k.to_string(), v.clone()))
            })
            .collect();
        (
            200,
            json!({"id": id, "object": "refund", "amount": amount, "currency": "usd",
                "payment_intent": pi, "reason": field("reason"), "metadata": metadata,
                "status": "succeeded"}),
        )
    }
}

async fn refunds(
    State(st): State<Shared>,
    h: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let mut s = st.lock().unwrap();
    let header = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let key = header("idempotency-key");
    s.requests.push(Seen {
        path: "/v1/refunds".into(),
        authorization: header("authorization"),
        idempotency_key: key.clone(),
        form: form.clone(),
    });
    let lost = match s.script.pop_front() {
        Some(Fault::RateLimited(secs)) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                Json(
                    json!({"error": {"type": "invalid_request_error", "code": "rate_limit",
                    "message": "Too many requests hit the API too quickly."}}),
                ),
            )
                .into_response();
        }
        Some(Fault::Unavailable) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Some(Fault::Lost) => true,
        None => false,
    };
    let (status, body) = match key.as_ref().and_then(|k| s.keys.get(k)).cloned() {
        Some((params, status, body)) if params == form => (status, body),
        Some(_) => error(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            "idempotency_key_in_use",
            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
        ),
        None => {
            let (status, body) = s.refund(&form);
            if let Some(k) = key {
                s.keys.insert(k, (form, status, body.clone()));
            }
            (status, body)
        }
    };
    if lost {
        return StatusCode::BAD_GATEWAY.into_response();
    }
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

/// Starts a stub Stripe; its base URL and state.
pub fn start() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Stripe::default()));
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
                .route("/v1/refunds", post(refunds))
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, shared)
}
