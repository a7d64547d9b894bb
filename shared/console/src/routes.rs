//! The console's HTTP side: the signed-in operator taken from the session cookie, each page's
//! GET, and each action's POST checked for its form token and the operator's role, then done
//! through the port and answered with a redirect to the page it came from (303, so a reload
//! repeats nothing).

use crate::Console;
use crate::access::{self, AccessError, Role, Session};
use crate::layout::{BASE, page, refusal, with_headers};
use crate::pages;
use crate::port::{ConsoleAction, OpsError};
use ascent_core::approval::Decision;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use std::sync::Arc;

/// The session cookie.
pub const SESSION_COOKIE: &str = "ascent_console";
/// The sign-in form's double-submit cookie.
pub(crate) const FORM_COOKIE: &str = "ascent_console_form";

/// The value of cookie `name` in the request's headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, the console's path; `max_age` seconds
/// (0 deletes it).
pub(crate) fn set_cookie(console: &Console, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if console.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={BASE}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are hex")
}

/// Percent-encodes a note for a redirect's query.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// 303 to a console page with a note said at its top.
fn back_to(path: &str, note: &str) -> Response {
    Redirect::to(&format!("{BASE}{path}?note={}", encode(note))).into_response()
}

/// The signed-in operator's session; anyone else is sent to the sign-in page.
pub struct SignedIn {
    pub session: Session,
    pub token: String,
}

impl FromRequestParts<Arc<Console>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, SESSION_COOKIE).unwrap_or_default();
        match console.sessions.get(token, Utc::now()).await {
            Ok(Some(session)) => Ok(SignedIn {
                session,
                token: token.to_string(),
            }),
            Ok(None) => Err(Redirect::to(&format!("{BASE}/sign-in")).into_response()),
            Err(e) => Err(sessions_unavailable(e)),
        }
    }
}

#[derive(Deserialize)]
pub struct Note {
    note: Option<String>,
}

/// Checks a POST: its form token, then the operator's role for `action`. A refusal is
/// audited and answered with a 403 page.
pub(crate) async fn allow(
    console: &Console,
    who: &SignedIn,
    csrf: &str,
    need: Role,
    action: &'static str,
) -> Result<(), Response> {
    let refused = who
        .session
        .check_csrf(csrf)
        .and_then(|_| access::require(&who.session.operator, need, action));
    let Err(e) = refused else {
        return Ok(());
    };
    let _ = console
        .ops
        .record(ConsoleAction {
            actor: who.session.operator.email.clone(),
            action: "console.refused".into(),
            detail: e.to_string(),
        })
        .await;
    let title = match e {
        AccessError::BadCsrf => "This form is out of date",
        _ => "Not allowed",
    };
    Err(refusal(
        StatusCode::FORBIDDEN,
        Some(&who.session),
        title,
        &e.to_string(),
    ))
}

/// The page for a failed operation.
fn failed(session: &Session, e: OpsError) -> Response {
    let status = match e {
        OpsError::NotFound(_) => StatusCode::NOT_FOUND,
        OpsError::Refused(_) => StatusCode::CONFLICT,
        OpsError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "console operation failed");
    }
    let title = match status {
        StatusCode::CONFLICT => "Not done",
        StatusCode::NOT_FOUND => "Not found",
        _ => "Something went wrong",
    };
    refusal(status, Some(session), title, &e.to_string())
}

/// What the sessions' store failing is answered with: a 500 page, nobody signed in; the cause
/// is logged, not shown.
pub(crate) const UNAVAILABLE: &str = "Signing in is not possible just now: try again in a moment.";

fn sessions_unavailable(e: OpsError) -> Response {
    tracing::error!(error = %e, "the console's session store failed");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        "Something went wrong",
        UNAVAILABLE,
    )
}

pub async fn home() -> Response {
    Redirect::to(&format!("{BASE}/approvals")).into_response()
}

/// A redirect keeps its own (empty) body, with the console's caching and framing headers.
pub(crate) fn with_headers_keep_type(r: Response) -> Response {
    let mut r = with_headers(r);
    r.headers_mut().remove(header::CONTENT_TYPE);
    r
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn sign_out(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = allow(&console, &who, &form.csrf, Role::Viewer, "sign out").await {
        return r;
    }
    if let Err(e) = console.sessions.close(&who.token).await {
        return failed(&who.session, e);
    }
    let _ = console
        .ops
        .record(ConsoleAction {
            actor: who.session.operator.email.clone(),
            action: "console.signed-out".into(),
            detail: String::new(),
        })
        .await;
    let mut r = Redirect::to(&format!("{BASE}/sign-in")).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&console, SESSION_COOKIE, "", 0),
    );
    r
}

pub async fn approvals(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Query(q): Query<Note>,
) -> Response {
    match console.ops.inbox().await {
        Ok(inbox) => page(
            StatusCode::OK,
            Some(&who.session),
            "/approvals",
            "Approvals",
            &pages::approvals::render(&inbox, &who.session, console.ops.now(), q.note.as_deref()),
        ),
        Err(e) => failed(&who.session, e),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    comment: Option<String>,
}

pub async fn decide(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Err(r) = allow(
        &console,
        &who,
        &form.csrf,
        Role::Approver,
        "decide approvals",
    )
    .await
    {
        return r;
    }
    let Some(decision) = Decision::parse(&form.decision) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            Some(&who.session),
            "Not done",
            "the decision must be approve or reject",
        );
    };
    let comment = form.comment.filter(|c| !c.trim().is_empty());
    match console
        .ops
        .decide(&id, &who.session.operator, decision, comment)
        .await
    {
        Ok(a) => back_to(
            "/approvals",
            &format!("{}: {} ({})", a.id, a.status_word(), a.draft.summary),
        ),
        Err(e) => failed(&who.session, e),
    }
}

pub async fn agents(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Query(q): Query<Note>,
) -> Response {
    match console.ops.agents().await {
        Ok(rows) => page(
            StatusCode::OK,
            Some(&who.session),
            "/agents",
            "Agents",
            &pages::agents::render(&rows, &who.session, console.ops.now(), q.note.as_deref()),
        ),
        Err(e) => failed(&who.session, e),
    }
}

async fn set_paused(
    console: &Console,
    who: &SignedIn,
    agent: &str,
    csrf: &str,
    paused: bool,
) -> Response {
    let action = if paused {
        "pause agents"
    } else {
        "resume agents"
    };
    if let Err(r) = allow(console, who, csrf, Role::Admin, action).await {
        return r;
    }
    match console
        .ops
        .set_paused(agent, paused, &who.session.operator)
        .await
    {
        Ok(()) => back_to(
            "/agents",
            &format!("{agent} {}", if paused { "paused" } else { "resumed" }),
        ),
        Err(e) => failed(&who.session, e),
    }
}

pub async fn pause(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Path(agent): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    set_paused(&console, &who, &agent, &form.csrf, true).await
}

pub async fn resume(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Path(agent): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    set_paused(&console, &who, &agent, &form.csrf, false).await
}

pub async fn queues(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Query(q): Query<Note>,
) -> Response {
    let (queues, dead) = match (console.ops.queues().await, console.ops.dead_letters().await) {
        (Ok(q), Ok(d)) => (q, d),
        (Err(e), _) | (_, Err(e)) => return failed(&who.session, e),
    };
    page(
        StatusCode::OK,
        Some(&who.session),
        "/queues",
        "Queues",
        &pages::queues::render(&queues, &dead, &who.session, q.note.as_deref()),
    )
}

#[derive(Deserialize)]
pub struct RedriveForm {
    csrf: String,
    /// One dead letter; absent: all of them.
    #[serde(default)]
    id: Option<String>,
}

pub async fn redrive(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Form(form): Form<RedriveForm>,
) -> Response {
    if let Err(r) = allow(
        &console,
        &who,
        &form.csrf,
        Role::Admin,
        "redrive dead letters",
    )
    .await
    {
        return r;
    }
    match console
        .ops
        .redrive(form.id.map(|id| vec![id]), &who.session.operator)
        .await
    {
        Ok(n) => back_to(
            "/queues",
            &format!("{n} dead letter(s) sent back to their queues"),
        ),
        Err(e) => failed(&who.session, e),
    }
}

/// Any other path under the console.
pub async fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        None,
        "",
        "Not found",
        &format!("<p>No such page. <a href=\"{BASE}/approvals\">The console</a>.</p>"),
    )
}
