//! The exchange against a local stub server: retries, rate limits, credentials, bodies.

use super::*;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use std::sync::Mutex;

/// A request as the stub saw it: method, path and query, headers, body.
type Seen1 = (String, String, HeaderMap, String);
/// An answer to give: status, headers, body.
type Canned<B> = (u16, Vec<(&'static str, String)>, B);

/// What the stub saw, and the answers it gives in turn (the last one repeats).
#[derive(Default)]
struct Seen {
    requests: Vec<Seen1>,
    answers: Vec<Canned<String>>,
}

type Shared = Arc<Mutex<Seen>>;

async fn answer(
    State(seen): State<Shared>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let mut s = seen.lock().unwrap();
    s.requests
        .push((method.to_string(), uri.to_string(), headers, body));
    let n = s.requests.len() - 1;
    let (status, hs, body) = s.answers[n.min(s.answers.len() - 1)].clone();
    let mut map = HeaderMap::new();
    for (k, v) in hs {
        map.insert(k, v.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), map, body)
}

/// A stub answering `answers` in turn, on its own thread; its base URL and what it saw.
fn stub(answers: Vec<Canned<&str>>) -> (String, Shared) {
    let seen: Shared = Arc::new(Mutex::new(Seen {
        requests: vec![],
        answers: answers
            .into_iter()
            .map(|(s, h, b)| (s, h, b.to_string()))
            .collect(),
    }));
    let app = Router::new().fallback(any(answer)).with_state(seen.clone());
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
    (format!("http://{}", rx.recv().unwrap()), seen)
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        backoff: Duration::from_millis(500),
        max_wait: Duration::from_secs(30),
        timeout: Duration::from_secs(5),
    }
}

/// A client whose pauses are recorded, not slept.
fn client(auth: Auth) -> (Http, Arc<Mutex<Vec<Duration>>>) {
    let pauses = Arc::new(Mutex::new(Vec::new()));
    let p = pauses.clone();
    let http = Http::new(auth, policy()).with_sleep(Arc::new(move |d| p.lock().unwrap().push(d)));
    (http, pauses)
}

#[test]
fn server_errors_are_retried_with_a_doubling_pause_and_the_same_idempotency_key() {
    let (url, seen) = stub(vec![
        (503, vec![], ""),
        (502, vec![], ""),
        (200, vec![], r#"{"id":"re_1"}"#),
    ]);
    let (http, pauses) = client(Auth::Bearer("sk_test".into()));
    let req = Request::post(format!("{url}/v1/refunds"))
        .idempotency_key("refund-inv-1")
        .form([("payment_intent", "pi_1"), ("amount", "4240000")]);
    let answer = http.send(&req).unwrap();
    assert_eq!(answer.body["id"], "re_1");
    assert_eq!(answer.attempts, 3);
    // Paused 0.5 s after the first failure, 1 s after the second.
    assert_eq!(
        *pauses.lock().unwrap(),
        vec![Duration::from_millis(500), Duration::from_secs(1)]
    );
    let s = seen.lock().unwrap();
    assert_eq!(s.requests.len(), 3);
    for (method, uri, headers, body) in &s.requests {
        assert_eq!(method, "POST");
        assert_eq!(uri, "/v1/refunds");
        assert_eq!(headers["idempotency-key"], "refund-inv-1");
        assert_eq!(headers["authorization"], "Bearer sk_test");
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        assert_eq!(body, "payment_intent=pi_1&amount=4240000");
    }
}

#[test]
fn a_429_waits_what_retry_after_asks_and_a_longer_wait_gives_up_as_transient() {
    let (url, _) = stub(vec![
        (429, vec![("retry-after", "7".into())], ""),
        (200, vec![], "{}"),
    ]);
    let (http, pauses) = client(Auth::None);
    http.send_ok(&Request::get(&url)).unwrap();
    assert_eq!(*pauses.lock().unwrap(), vec![Duration::from_secs(7)]);

    // 120 s asked, 30 s allowed: no pause, rate limited, worth trying on a later run.
    let (url, seen) = stub(vec![(429, vec![("retry-after", "120".into())], "")]);
    let (http, pauses) = client(Auth::None);
    let err = http.send(&Request::get(&url)).unwrap_err();
    assert_eq!(err, IntegrationError::RateLimited { wait_seconds: 120 });
    assert!(err.is_transient());
    assert!(pauses.lock().unwrap().is_empty());
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
}

#[test]
fn a_service_down_on_every_attempt_is_unavailable_after_the_policy_s_attempts() {
    let (url, seen) = stub(vec![(500, vec![], "")]);
    let (http, pauses) = client(Auth::None);
    let err = http.send(&Request::get(&url)).unwrap_err();
    assert_eq!(
        err,
        IntegrationError::Unavailable {
            attempts: 4,
            last: "status 500".into()
        }
    );
    assert!(err.is_transient());
    // 0.5 + 1 + 2 s between four attempts.
    let total: Duration = pauses.lock().unwrap().iter().sum();
    assert_eq!(total, Duration::from_millis(3500));
    assert_eq!(seen.lock().unwrap().requests.len(), 4);
}

#[test]
fn a_refusal_is_final_with_the_message_the_system_gave() {
    let fault = r#"{"Fault":{"Error":[{"Message":"A business validation error has occurred","Detail":"Transaction must be balanced"}]}}"#;
    let (url, seen) = stub(vec![(400, vec![], fault)]);
    let (http, _) = client(Auth::None);
    let err = http
        .send_ok(&Request::post(&url).json(serde_json::json!({})))
        .unwrap_err();
    assert_eq!(
        err,
        IntegrationError::Refused {
            status: 400,
            message: "Transaction must be balanced".into()
        }
    );
    assert!(!err.is_transient());
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
}

#[test]
fn basic_credentials_query_and_json_bodies_go_as_written() {
    let (url, seen) = stub(vec![(201, vec![], r#"{"ticket":{"id":35436}}"#)]);
    let (http, _) = client(Auth::Basic {
        user: "ops@ascent-xr.example/token".into(),
        password: "abc123".into(),
    });
    let req = Request::new("PUT", format!("{url}/api/v2/tickets/7.json"))
        .query("async", "false")
        .json(serde_json::json!({"ticket": {"status": "solved"}}));
    assert_eq!(http.send_ok(&req).unwrap()["ticket"]["id"], 35436);
    let s = seen.lock().unwrap();
    let (method, uri, headers, body) = &s.requests[0];
    assert_eq!(method, "PUT");
    assert_eq!(uri, "/api/v2/tickets/7.json?async=false");
    // base64("ops@ascent-xr.example/token:abc123")
    assert_eq!(
        headers["authorization"],
        "Basic b3BzQGFzY2VudC14ci5leGFtcGxlL3Rva2VuOmFiYzEyMw=="
    );
    let sent: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(sent, serde_json::json!({"ticket": {"status": "solved"}}));
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
}

#[test]
fn retry_after_reads_seconds_http_dates_and_rate_limit_resets() {
    let now: DateTime<Utc> = "2026-12-05T10:00:00Z".parse().unwrap();
    assert_eq!(
        wait_asked(Some(" 12 "), None, now),
        Some(Duration::from_secs(12))
    );
    assert_eq!(
        wait_asked(Some("Sat, 05 Dec 2026 10:01:30 GMT"), None, now),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        wait_asked(None, Some("2026-12-05T10:05:00Z"), now),
        Some(Duration::from_secs(300))
    );
    // Intercom: the reset as Unix seconds (1796464800 = 2026-12-05T10:00:00Z, + 45 s).
    assert_eq!(
        wait_asked(None, Some("1796464845"), now),
        Some(Duration::from_secs(45))
    );
    // A time already past asks no wait; nothing readable asks nothing.
    assert_eq!(
        wait_asked(Some("Sat, 05 Dec 2026 09:00:00 GMT"), None, now),
        Some(Duration::ZERO)
    );
    assert_eq!(wait_asked(Some("soon"), None, now), None);
}
