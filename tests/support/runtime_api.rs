//! A Lambda Runtime API of our own, to run the real function binaries (`target/debug/<fn>`)
//! as Lambda does (see the AWS Lambda docs, "Using the Lambda runtime API for custom
//! runtimes"): it serves the four routes on 127.0.0.1, hands out the events it is given,
//! collects each invocation's response or error, and keeps what `/init/error` received.
//! [`Function`] starts a binary against it; [`pump_sqs`] plays the SQS event source mapping
//! (receive, invoke, delete what is not in `batchItemFailures`); [`http_event`] makes the
//! payload-2.0 events a Function URL sends.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// What one invocation came to.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`: the handler's result.
    Response(Value),
    /// `POST /invocation/{id}/error`: the handler failed (`errorType`, `errorMessage`).
    Error(Value),
}

/// What `POST /init/error` received.
#[derive(Clone, Debug)]
pub struct InitErrorReport {
    /// The `Lambda-Runtime-Function-Error-Type` header.
    pub error_type_header: Option<String>,
    /// The body (`errorMessage`, `errorType`).
    pub body: Value,
}

struct Invocation {
    id: String,
    event: Vec<u8>,
}

struct Shared {
    function_arn: String,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_errors: Mutex<Vec<InitErrorReport>>,
    /// Every route called, in order (`next`, `response`, `error`, `init/error`).
    calls: Mutex<Vec<String>>,
}

/// One function's Runtime API (one instance, one invocation at a time, as Lambda runs it).
pub struct RuntimeApi {
    /// `host:port`, what `AWS_LAMBDA_RUNTIME_API` is set to.
    pub addr: String,
    shared: Arc<Shared>,
    sender: mpsc::UnboundedSender<Invocation>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Serves the Runtime API on a free port of 127.0.0.1.
    pub async fn start(function_name: &str) -> RuntimeApi {
        let (sender, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
            events: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
            init_errors: Mutex::new(Vec::new()),
            calls: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        RuntimeApi {
            addr,
            shared,
            sender,
            server,
        }
    }

    /// Hands `event` to the function and waits (up to `timeout`) for its response or error.
    pub async fn invoke(&self, event: &Value, timeout: Duration) -> Result<Outcome, String> {
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.shared.waiting.lock().unwrap().insert(id.clone(), tx);
        self.sender
            .send(Invocation {
                id: id.clone(),
                event: serde_json::to_vec(event).unwrap(),
            })
            .map_err(|_| "the Runtime API is gone".to_string())?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Err(format!("invocation {id} dropped")),
            Err(_) => {
                self.shared.waiting.lock().unwrap().remove(&id);
                Err(format!("invocation {id}: no response within {timeout:?}"))
            }
        }
    }

    /// What `/init/error` received so far.
    pub fn init_errors(&self) -> Vec<InitErrorReport> {
        self.shared.init_errors.lock().unwrap().clone()
    }

    /// The routes called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// Waits until the function asks for its first event (its init is done) or `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if self.calls().iter().any(|c| c == "next") {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

async fn next(State(s): State<Arc<Shared>>) -> Response {
    s.calls.lock().unwrap().push("next".into());
    // Long poll: held open until there is an event.
    let invocation = { s.events.lock().await.recv().await };
    let Some(invocation) = invocation else {
        return StatusCode::GONE.into_response();
    };
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    (
        StatusCode::OK,
        [
            ("content-type", "application/json".to_string()),
            ("lambda-runtime-aws-request-id", invocation.id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                s.function_arn.clone(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000;Sampled=0".to_string(),
            ),
        ],
        invocation.event,
    )
        .into_response()
}

fn settle(s: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    match s.waiting.lock().unwrap().remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

fn json_or_text(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    s.calls.lock().unwrap().push("response".into());
    settle(&s, &id, Outcome::Response(json_or_text(&body)))
}

async fn error(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    s.calls.lock().unwrap().push("error".into());
    settle(&s, &id, Outcome::Error(json_or_text(&body)))
}

async fn init_error(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    s.calls.lock().unwrap().push("init/error".into());
    s.init_errors.lock().unwrap().push(InitErrorReport {
        error_type_header: headers
            .get("lambda-runtime-function-error-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: json_or_text(&body),
    });
    StatusCode::ACCEPTED
}

/// `target/debug/<name>`, built by `cargo build --workspace --bins` (or `<name>` in
/// `ASCENT_LAMBDA_BIN_DIR`, to run other builds of the functions, e.g. release ones).
pub fn binary(name: &str) -> PathBuf {
    let dir = std::env::var("ASCENT_LAMBDA_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (bash tools/test does)",
        path.display()
    );
    path
}

/// A function binary running against its [`RuntimeApi`]; killed when dropped. Its stdout and
/// stderr (the JSON log lines) are kept.
pub struct Function {
    pub name: String,
    pub api: Arc<RuntimeApi>,
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Function {
    /// Starts `target/debug/<binary>` with exactly `env` (plus what lambda_runtime reads and
    /// `AWS_LAMBDA_RUNTIME_API`): nothing of the test's own environment leaks in.
    pub async fn start(name: &str, binary_name: &str, env: &[(String, String)]) -> Function {
        let api = Arc::new(RuntimeApi::start(name).await);
        let mut cmd = Command::new(binary(binary_name));
        cmd.env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &api.addr)
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/04/[$LATEST]test")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start the function binary");
        let output = Arc::new(Mutex::new(String::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                let mut pipe = pipe;
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    output
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        Function {
            name: name.to_string(),
            api,
            child,
            output,
        }
    }

    /// Everything the binary printed so far.
    pub fn logs(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The exit status, if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Waits up to `timeout` for the binary to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// Invokes the function with a Function URL request (payload format 2.0) and returns
    /// the status and the body of its answer.
    pub async fn http(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> (u16, String) {
        let event = http_event(method, path_and_query, headers, body);
        match self.api.invoke(&event, Duration::from_secs(30)).await {
            Ok(Outcome::Response(r)) => http_answer(&r),
            other => panic!("{}: {method} {path_and_query}: {other:?}", self.name),
        }
    }
}

/// A Function URL request (payload format 2.0) as Lambda hands it to the function; a body
/// arrives base64-encoded.
pub fn http_event(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut h = serde_json::Map::new();
    h.insert("host".into(), json!("fn.lambda-url.us-east-1.on.aws"));
    for (k, v) in headers {
        h.insert(k.to_ascii_lowercase(), json!(v));
    }
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": h,
        "requestContext": {"accountId": "anonymous", "apiId": "fn", "domainName": "fn.lambda-url.us-east-1.on.aws",
            "domainPrefix": "fn", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1", "userAgent": "test"}, "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": "$default", "stage": "$default", "time": "04/Dec/2026:10:00:00 +0000",
            "timeEpoch": chrono::Utc::now().timestamp_millis()},
        "body": body.map(base64_encode),
        "isBase64Encoded": body.is_some()
    })
}

/// The status and body of a Function URL answer (`statusCode`, `body`, `isBase64Encoded`).
pub fn http_answer(r: &Value) -> (u16, String) {
    let status = r["statusCode"].as_u64().unwrap_or(0) as u16;
    let body = r["body"].as_str().unwrap_or_default();
    let body = if r["isBase64Encoded"].as_bool() == Some(true) {
        String::from_utf8(base64_decode(body)).unwrap()
    } else {
        body.to_string()
    };
    (status, body)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut n, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let Some(v) = B64.iter().position(|b| *b == c) else {
            continue;
        };
        n = (n << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((n >> bits) as u8);
        }
    }
    out
}

/// What a [`pump_sqs`] did.
#[derive(Default)]
pub struct PumpStats {
    /// Batches handed to the function.
    pub invocations: AtomicUsize,
    /// Messages deleted (handled).
    pub handled: AtomicUsize,
    /// A batch being handled right now (0 or 1).
    pub busy: AtomicUsize,
    /// Messages the function reported failed, and whole batches that failed.
    pub failures: Mutex<Vec<String>>,
}

/// The event source mapping of one SQS-fed function: receives up to `batch_size` messages
/// (at most 10 per receive, as SQS gives), invokes the function with the SQS event, and
/// deletes the messages not listed in `batchItemFailures` (a function error, or an invalid
/// entry there, fails the whole batch: nothing is deleted). Runs until aborted.
pub fn pump_sqs(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    batch_size: usize,
    function: Arc<RuntimeApi>,
    stats: Arc<PumpStats>,
) -> tokio::task::JoinHandle<()> {
    use aws_sdk_sqs::types::MessageSystemAttributeName;
    tokio::spawn(async move {
        loop {
            let received = sqs
                .receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages(batch_size.clamp(1, 10) as i32)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await;
            let messages = match received {
                Ok(out) => out.messages.unwrap_or_default(),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            if messages.is_empty() {
                continue;
            }
            stats.busy.store(1, Ordering::SeqCst);
            let records: Vec<Value> = messages
                .iter()
                .map(|m| {
                    let attributes: serde_json::Map<String, Value> = m
                        .attributes
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k.as_str().to_string(), Value::from(v)))
                        .collect();
                    json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle,
                           "body": m.body, "attributes": attributes, "messageAttributes": {},
                           "md5OfBody": m.md5_of_body, "eventSource": "aws:sqs",
                           "eventSourceARN": queue_arn, "awsRegion": "us-east-1"})
                })
                .collect();
            stats.invocations.fetch_add(1, Ordering::SeqCst);
            let outcome = function
                .invoke(&json!({ "Records": records }), Duration::from_secs(60))
                .await;
            let failed: Option<Vec<String>> = match outcome {
                Ok(Outcome::Response(r)) => r["batchItemFailures"].as_array().and_then(|f| {
                    f.iter()
                        .map(|i| {
                            let id = i["itemIdentifier"].as_str()?;
                            messages
                                .iter()
                                .any(|m| m.message_id.as_deref() == Some(id))
                                .then(|| id.to_string())
                        })
                        .collect()
                }),
                Ok(Outcome::Error(e)) => {
                    stats
                        .failures
                        .lock()
                        .unwrap()
                        .push(format!("{queue_url}: the batch failed: {e}"));
                    None
                }
                Err(e) => {
                    stats
                        .failures
                        .lock()
                        .unwrap()
                        .push(format!("{queue_url}: {e}"));
                    None
                }
            };
            if let Some(failed) = failed {
                for m in &messages {
                    let id = m.message_id.clone().unwrap_or_default();
                    if failed.contains(&id) {
                        stats
                            .failures
                            .lock()
                            .unwrap()
                            .push(format!("{queue_url}: message {id} failed"));
                        continue;
                    }
                    if sqs
                        .delete_message()
                        .queue_url(&queue_url)
                        .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                        .send()
                        .await
                        .is_ok()
                    {
                        stats.handled.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            stats.busy.store(0, Ordering::SeqCst);
        }
    })
}

#[test]
fn base64_round_trips() {
    for s in ["", "a", "ab", "abc", "abcd", "t=x&decision=approve"] {
        assert_eq!(base64_decode(&base64_encode(s.as_bytes())), s.as_bytes());
    }
    assert_eq!(base64_encode(b"ab"), "YWI=");
}
