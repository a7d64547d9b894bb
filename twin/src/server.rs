//! The twin's HTTP side and worker: `POST /events` (PutEvents entry shape, up to 10 per
//! request as on EventBridge) and the same through EventBridge's own JSON protocol at `POST /`
//! (what the AWS SDKs and CLI send, `eventbridge.rs`), `GET /status`, the approval pages, and
//! the loop that drains queues, runs approval timers, the daily schedule and the TTL sweeper.

use crate::access::{EventsAccess, MIN_TOKEN_CHARS};
use crate::http::Limits;
use ascent_core::event::{Event, EventError};
use ascent_embedded::{GroupCommit, Runtime};
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveTime, Timelike, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// EventBridge's PutEvents limit.
pub const MAX_ENTRIES: usize = 10;

/// The whole twin router with the default limits and access: no events token, and an event
/// request with an `Origin` header refused whatever its origin; the shipped company.
pub fn router(rt: Arc<Runtime>) -> Router {
    router_with(
        rt,
        Arc::new(EventsAccess::default()),
        &Limits::default(),
        &shipped_company(),
    )
}

/// `[company] name` of the shipped file.
fn shipped_company() -> String {
    crate::config::AscentConfig::shipped().company.name
}

/// The whole twin router: ingestion (admitted by `access`), status, approval and unsubscribe
/// pages (naming `company`), webhooks, the operator console with the shipped operators;
/// request bodies within `limits`.
pub fn router_with(
    rt: Arc<Runtime>,
    access: Arc<EventsAccess>,
    limits: &Limits,
    company: &str,
) -> Router {
    let console = crate::config::AscentConfig::shipped().console;
    router_with_console(rt, access, limits, company, console)
}

/// [`router_with`], the operator console (`/console`) signing in the operators of `console`.
pub fn router_with_console(
    rt: Arc<Runtime>,
    access: Arc<EventsAccess>,
    limits: &Limits,
    company: &str,
    console: ascent_console::ConsoleSettings,
) -> Router {
    let desk: Arc<dyn ascent_core::approval::ApprovalDesk> = rt.clone();
    let unsubscribes = Arc::new(ascent_core::compliance::LakeUnsubscribeDesk {
        lake: rt.store().clone(),
        bus: rt.clone(),
        clock: rt.clock().clone(),
    });
    let webhooks = Arc::new(webhook_ingest::Webhooks {
        bus: rt.clone(),
        clock: rt.clock().clone(),
        stripe_secret: std::env::var("ASCENT_STRIPE_WEBHOOK_SECRET").ok(),
        zendesk_secret: std::env::var("ASCENT_ZENDESK_WEBHOOK_SECRET").ok(),
        intercom_secret: std::env::var("ASCENT_INTERCOM_CLIENT_SECRET").ok(),
        hubspot_secret: std::env::var("ASCENT_HUBSPOT_CLIENT_SECRET").ok(),
        salesforce_secret: std::env::var("ASCENT_SALESFORCE_WEBHOOK_SECRET").ok(),
    });
    // Accepted events are stored by one committing thread, many requests per sync; it stops
    // when the router (every clone of it) is dropped.
    let group = Arc::new(GroupCommit::start(rt.clone()).expect("starting the ingestion thread"));
    let amz_group = group.clone();
    let amz_access = access.clone();
    let app = Router::new()
        .route(
            "/",
            get(index).post(move |state, req| {
                eventbridge::put_events(state, amz_group.clone(), amz_access.clone(), req)
            }),
        )
        .route("/health", get(health))
        .route(
            "/events",
            post(move |state, body| put_events(state, group.clone(), body))
                .route_layer(middleware::from_fn_with_state(access, crate::access::guard)),
        )
        .route("/status", get(status))
        .with_state(rt.clone())
        .merge(crate::console::router(rt, console))
        .merge(ascent_web::approval_router(desk))
        .merge(ascent_web::unsubscribe_router(unsubscribes, company))
        .merge(webhook_ingest::router(webhooks));
    crate::http::with_body_limits(app, limits)
}

/// What a request's entries may be, besides PutEvents entries, and whom they must come from.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EntryRules<'a> {
    /// A whole EventBridge event as in `events/*.json` is taken too (`POST /events`).
    pub whole_events: bool,
    /// Every entry's source must be this one: the producer the caller speaks for.
    pub source: Option<&'a str>,
}

/// Turns one request entry into an event: PutEvents entry shape, or (when `rules` allow) a
/// whole EventBridge event as in `events/*.json`; only from a declared producer of its
/// detail-type, never under a source reserved for the platform. The refusal's EventBridge
/// error code with it.
fn entry_to_event(
    v: Value,
    now: chrono::DateTime<Utc>,
    producers: &ascent_core::producers::Producers,
    rules: EntryRules<'_>,
) -> Result<Event, (&'static str, EventError)> {
    let code = |e: EventError| {
        let code = match e {
            EventError::Malformed(_) | EventError::TooLarge { .. } => "MalformedDetail",
            _ => "InvalidArgument",
        };
        (code, e)
    };
    let event = if rules.whole_events && v.get("detail-type").is_some() {
        Event::from_value(v).map_err(code)?
    } else {
        let entry = crate::refusal::put_events_entry(v).map_err(code)?;
        entry.into_event(now).map_err(code)?
    };
    if let Some(speaker) = rules.source
        && event.source != speaker
    {
        return Err((
            "NotAuthorizedForSourceException",
            EventError::Invalid {
                field: "Source".into(),
                problem: format!(
                    "the caller speaks for the producer `{speaker}` only (its access key id)"
                ),
            },
        ));
    }
    producers.admit(event).map_err(code)
}

/// One result per entry of a request, in order: `{"EventId"}` or `{"ErrorCode",
/// "ErrorMessage"}`, as PutEvents answers.
pub(crate) struct Outcome {
    pub results: Vec<Value>,
    pub failed: usize,
}

/// Why the accepted entries of a request were not stored (none of them was).
pub(crate) enum NotStored {
    /// Storage is failing (a full disk): the same request may succeed later.
    Unavailable(String),
    Failed(String),
}

/// EventBridge's limits on a request's entries: at least one, at most [`MAX_ENTRIES`].
pub(crate) fn check_entry_count(n: usize) -> Result<(), String> {
    if n == 0 {
        return Err("no entries".into());
    }
    if n > MAX_ENTRIES {
        return Err(format!(
            "{n} entries: at most {MAX_ENTRIES} per request (EventBridge PutEvents limit)"
        ));
    }
    Ok(())
}

/// The path every event request takes (`POST /events`, and PutEvents at `/`): each entry read,
/// validated and admitted from a producer of its detail-type, a refused one reported in its
/// place; the accepted ones committed and synced before the answer, all or none.
pub(crate) async fn ingest(
    rt: &Runtime,
    group: &GroupCommit,
    entries: Vec<Value>,
    rules: EntryRules<'_>,
) -> Result<Outcome, NotStored> {
    let now = rt.now();
    let mut results = Vec::with_capacity(entries.len());
    let mut accepted = Vec::new();
    for v in entries {
        match entry_to_event(v, now, rt.router().producers(), rules) {
            Ok(e) => {
                results.push(json!({"EventId": e.id}));
                accepted.push(e);
            }
            Err((code, e)) => {
                tracing::warn!(field = crate::refusal::field(&e), code, error = %e, "event refused");
                results.push(json!({"ErrorCode": code, "ErrorMessage": e.to_string()}));
            }
        }
    }
    let failed = results.len() - accepted.len();
    if !accepted.is_empty()
        && let Err(e) = group.ingest(accepted).await
    {
        tracing::error!(error = %e, "events not stored");
        return Err(if e.storage_fault {
            NotStored::Unavailable(format!(
                "events not stored: {e}; nothing of this request was kept, retry later"
            ))
        } else {
            NotStored::Failed(format!("events not stored: {e}"))
        });
    }
    Ok(Outcome { results, failed })
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

/// Seconds a client is asked to wait before retrying while the twin cannot store events.
const RETRY_AFTER_SECONDS: &str = "1";

/// 503 with `Retry-After`: nothing of the request was stored, and the same request may succeed
/// once storage works again.
fn storage_unavailable(body: Value) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, RETRY_AFTER_SECONDS)],
        Json(body),
    )
        .into_response()
}

/// `GET /health`: 200 while the twin can store events; 503 with the storage fault (and
/// `Retry-After`) while it cannot.
async fn health(State(rt): State<Arc<Runtime>>) -> Response {
    match rt.storage_fault() {
        None => Json(json!({"status": "ok"})).into_response(),
        Some(fault) => {
            storage_unavailable(json!({"status": "unavailable", "storage_fault": fault}))
        }
    }
}

async fn put_events(
    State(rt): State<Arc<Runtime>>,
    group: Arc<GroupCommit>,
    body: axum::body::Bytes,
) -> Response {
    // The strict reader: a key written twice anywhere (a whole event's payload included) is
    // refused, where serde_json would keep the last value.
    let value: Value = match ascent_core::json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("malformed JSON: {e}")),
    };
    let entries: Vec<Value> = match value {
        Value::Object(mut m) if m.contains_key("Entries") => match m.remove("Entries") {
            Some(Value::Array(a)) => a,
            _ => return bad_request("`Entries` must be an array".into()),
        },
        Value::Array(a) => a,
        one @ Value::Object(_) => vec![one],
        _ => {
            return bad_request(
                "the body must be a PutEvents request, an entry, or an array of entries".into(),
            );
        }
    };
    if let Err(e) = check_entry_count(entries.len()) {
        return bad_request(e);
    }
    let rules = EntryRules {
        whole_events: true,
        source: None,
    };
    // Answered only once the accepted events are committed and synced; if that fails, none of
    // them is stored and the whole request is refused.
    match ingest(&rt, &group, entries, rules).await {
        Ok(Outcome { results, failed }) => {
            let status = if failed == results.len() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            (
                status,
                Json(json!({"FailedEntryCount": failed, "Entries": results})),
            )
                .into_response()
        }
        Err(NotStored::Unavailable(e)) => storage_unavailable(json!({ "error": e })),
        Err(NotStored::Failed(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": e })),
        )
            .into_response(),
    }
}

async fn status(State(rt): State<Arc<Runtime>>) -> Response {
    match rt.status() {
        Ok(s) => Json(s).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn index(State(rt): State<Arc<Runtime>>) -> Html<String> {
    let rows: String = rt
        .declarations()
        .iter()
        .map(|d| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.name,
                d.queue.as_str(),
                d.subscriptions
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Ascent twin</title>\
         <h1>Ascent local twin</h1><p><a href=\"/console\">operator console</a> · <a href=\"/status\">status (JSON)</a> · POST events to <code>/events</code></p>\
         <table><tr><th>agent</th><th>queue</th><th>rules</th></tr>{rows}</table>"
    ))
}

/// Drains queues and runs timers until `stop` turns true; the daily schedule at `daily_at`
/// (UTC, `[schedule] daily_at`).
pub async fn run_worker(
    rt: Arc<Runtime>,
    mut stop: watch::Receiver<bool>,
    daily_at: NaiveTime,
    schedule: ascent_core::config::platform::Schedule,
) {
    let mut last_timers = Instant::now() - Duration::from_secs(60);
    let mut last_purge = Instant::now();
    // Once per day per process; the tick's id (from its time) also dedupes across restarts.
    let mut last_daily = None;
    let mut last_hourly = None;
    let mut last_sla = None;
    let mut last_observed = None;
    let mut failing = Duration::ZERO;
    loop {
        if *stop.borrow() {
            break;
        }
        let handled = match rt.step().await {
            Ok(n) => {
                failing = Duration::ZERO;
                n
            }
            Err(e) => {
                // The step's unit of work was rolled back whole: its messages are received
                // again after a pause that grows while the failure lasts (a full disk).
                failing = (failing * 2).clamp(Duration::from_millis(100), Duration::from_secs(5));
                tracing::error!(error = %e, retry_in_ms = failing.as_millis() as u64, "worker step failed; retrying it");
                tokio::select! {
                    _ = tokio::time::sleep(failing) => {}
                    _ = stop.changed() => {}
                }
                0
            }
        };
        if last_timers.elapsed() >= Duration::from_secs(1) {
            last_timers = Instant::now();
            // While storage is failing, a small write tells when it works again (the
            // health endpoint reports the fault until then).
            rt.probe_storage();
            if let Err(e) = rt.tick_approvals() {
                tracing::error!(error = %e, "approval timers failed");
            }
            let now = rt.now();
            // The hourly schedule (SLA timers), on the hour; the tick's id dedupes restarts.
            let hour = now
                .date_naive()
                .and_hms_opt(now.hour(), 0, 0)
                .expect("valid hour")
                .and_utc();
            // A tick that could not be stored is tried again next second, never skipped.
            if last_hourly != Some(hour) {
                match rt.schedule_tick("hourly", hour) {
                    Ok(_) => last_hourly = Some(hour),
                    Err(e) => tracing::error!(error = %e, "hourly schedule failed; retrying"),
                }
            }
            // The SLA check, every `[schedule] sla_check_minutes`.
            let slot = schedule.sla_slot(now);
            if last_sla != Some(slot) {
                match rt.schedule_tick("sla", slot) {
                    Ok(_) => last_sla = Some(slot),
                    Err(e) => tracing::error!(error = %e, "SLA check schedule failed; retrying"),
                }
            }
            // Every agent's queue at each window's end (`[schedule] queue_observation_minutes`).
            let minutes = schedule.queue_observation_minutes;
            let end = ascent_core::queues::window_end_at_or_before(now, minutes);
            if last_observed != Some(end) {
                match rt.observe_queues(end, minutes) {
                    Ok(_) => last_observed = Some(end),
                    Err(e) => tracing::error!(error = %e, "queue observation failed; retrying"),
                }
            }
            if now.time() >= daily_at && last_daily != Some(now.date_naive()) {
                let at = now.date_naive().and_time(daily_at).and_utc();
                match rt.schedule_tick("daily", at) {
                    Ok(_) => last_daily = Some(now.date_naive()),
                    Err(e) => tracing::error!(error = %e, "daily schedule failed; retrying"),
                }
            }
            if last_purge.elapsed() >= Duration::from_secs(600) {
                last_purge = Instant::now();
                // Retention: expired items, idempotency records, old dead letters.
                if let Err(e) = rt.sweep_retention() {
                    tracing::error!(error = %e, "retention sweep failed; retrying");
                }
            }
        }
        if handled == 0 {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// A twin serving HTTP and running its worker in background threads.
pub struct Running {
    pub base_url: String,
    stop: watch::Sender<bool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Stops the worker and the server and waits for them.
    pub fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.threads {
            let _ = t.join();
        }
    }

    /// Blocks until Ctrl-C, then stops.
    pub fn wait_for_ctrl_c(self) {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(async {
                let _ = tokio::signal::ctrl_c().await;
            });
        }
        self.stop();
    }
}

/// How the twin's server admits requests.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// The bearer token `POST /events` requires; none: no token asked (loopback only).
    pub events_token: Option<String>,
    /// Origins (`http://host:port`) a browser may post events from, besides the listener's own.
    pub origins: Vec<String>,
    pub limits: Limits,
    /// `[company] name`, named by the unsubscribe page; none: the shipped file's.
    pub company: Option<String>,
    /// `[schedule] daily_at` (UTC); none: the shipped file's.
    pub daily_at: Option<NaiveTime>,
    /// `[schedule]`; none: the shipped file's.
    pub schedule: Option<ascent_core::config::platform::Schedule>,
    /// `[console]`, the operators who may sign in to `/console`; none: the shipped file's.
    pub console: Option<ascent_console::ConsoleSettings>,
}

/// Why a twin did not start serving.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "the twin listens on {0}, beyond loopback: it needs an events token (ASCENT_EVENTS_TOKEN)"
    )]
    TokenRequired(std::net::SocketAddr),
    #[error("the events token has fewer than {MIN_TOKEN_CHARS} characters")]
    TokenTooShort,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Starts the server on `listener` with the default options (no events token, the default
/// limits) and the worker.
pub fn start(rt: Arc<Runtime>, listener: std::net::TcpListener) -> Result<Running, StartError> {
    start_with(rt, listener, ServerOptions::default())
}

/// Starts the server on `listener` and the worker, each on its own thread. The worker has a
/// single-threaded runtime: a step holds the store for its unit of work across handler awaits.
/// A listener beyond loopback is refused without an events token.
pub fn start_with(
    rt: Arc<Runtime>,
    listener: std::net::TcpListener,
    options: ServerOptions,
) -> Result<Running, StartError> {
    let addr = listener.local_addr()?;
    match &options.events_token {
        None if !addr.ip().is_loopback() => return Err(StartError::TokenRequired(addr)),
        Some(t) if t.chars().count() < MIN_TOKEN_CHARS => return Err(StartError::TokenTooShort),
        _ => {}
    }
    let mut origins = options.origins;
    origins.extend(crate::access::own_origins(addr));
    let access = Arc::new(EventsAccess::new(options.events_token, origins));
    let limits = options.limits;
    let company = options.company.unwrap_or_else(shipped_company);
    let schedule = options
        .schedule
        .unwrap_or_else(|| crate::config::AscentConfig::shipped().schedule);
    let daily_at = options.daily_at.unwrap_or_else(|| schedule.daily_time());
    let console = options
        .console
        .unwrap_or_else(|| crate::config::AscentConfig::shipped().console);
    listener.set_nonblocking(true)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker_rt = rt.clone();
    let worker_stop = stop_rx.clone();
    let worker = std::thread::Builder::new()
        .name("twin-worker".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r.block_on(run_worker(worker_rt, worker_stop, daily_at, schedule)),
                Err(e) => tracing::error!("worker runtime: {e}"),
            }
        })?;
    let server_stop = stop_rx;
    let server = std::thread::Builder::new()
        .name("twin-http".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => return tracing::error!("server runtime: {e}"),
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return tracing::error!("listener could not join the runtime");
                };
                let app = router_with_console(rt, access, &limits, &company, console);
                crate::http::serve(listener, app, &limits, server_stop).await;
            });
        })?;
    Ok(Running {
        base_url: format!("http://{addr}"),
        stop: stop_tx,
        threads: vec![worker, server],
    })
}

mod eventbridge;

#[cfg(test)]
mod tests;
