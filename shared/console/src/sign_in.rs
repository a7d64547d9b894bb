//! Signing in: who an address and password belong to is the [`Authenticator`] port's answer
//! (the twin's: the accounts of `[console]` with their Argon2 hashes, [`ConfiguredAccounts`];
//! AWS's: its Cognito user pool, which may ask for a one-time code first), and the rest is the
//! console's own, in every home: the sign-in form's double-submit token, the lockout after
//! `max_failed_sign_ins`, the session opened in the session store, every outcome audited.

use crate::Console;
use crate::access::{self, AccessError, Operator};
use crate::layout::{BASE, page};
use crate::pages;
use crate::port::{ConsoleAction, OpsError};
use crate::routes::{
    FORM_COOKIE, SESSION_COOKIE, UNAVAILABLE, cookie, set_cookie, with_headers_keep_type,
};
use crate::settings::ConsoleSettings;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use std::sync::Arc;

/// What an address and password come to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    SignedIn(Operator),
    /// The directory asks for the one-time code of the operator's authenticator app first;
    /// `session` is its token for the answer (opaque, short-lived).
    CodeNeeded {
        session: String,
    },
}

/// Why a sign-in was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// Unknown address, wrong password or wrong code: said alike, counted for the lockout.
    #[error("unknown operator or wrong password")]
    BadCredentials,
    /// Known and right, yet not let in (no console role, a password to set first): said as
    /// it is, counted too.
    #[error("{0}")]
    Refused(String),
    /// The directory could not be asked: nobody signed in, the cause logged.
    #[error("the operators' directory failed: {0}")]
    Unavailable(String),
}

/// Who the operators are and how they prove it, in one home.
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync {
    /// Checks `password` for the operator `email`.
    async fn authenticate(&self, email: &str, password: &str) -> Result<Verdict, SignInError>;
    /// Answers the directory's request for a one-time `code` (after
    /// [`Verdict::CodeNeeded`]).
    async fn answer_code(
        &self,
        email: &str,
        session: &str,
        code: &str,
    ) -> Result<Verdict, SignInError>;
}

/// The accounts of `[console]` (Argon2 password hashes): the twin's operators.
pub struct ConfiguredAccounts {
    pub settings: ConsoleSettings,
}

#[async_trait::async_trait]
impl Authenticator for ConfiguredAccounts {
    async fn authenticate(&self, email: &str, password: &str) -> Result<Verdict, SignInError> {
        let (settings, email, password) = (
            self.settings.clone(),
            email.to_string(),
            password.to_string(),
        );
        // Argon2 takes tens of milliseconds: off the async threads.
        tokio_blocking(move || access::sign_in(&settings, &email, &password))
            .await
            .map(Verdict::SignedIn)
            .map_err(|e| match e {
                AccessError::BadCredentials => SignInError::BadCredentials,
                other => SignInError::Unavailable(other.to_string()),
            })
    }

    async fn answer_code(&self, _: &str, _: &str, _: &str) -> Result<Verdict, SignInError> {
        // These accounts never ask for a code.
        Err(SignInError::BadCredentials)
    }
}

/// Runs `f` where blocking is allowed (a tokio runtime's blocking pool; inline without one).
async fn tokio_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => match h.spawn_blocking(f).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        },
        Err(_) => f(),
    }
}

/// A page with a form of its own double-submit token (the cookie set with it).
fn with_form_token(
    console: &Console,
    status: StatusCode,
    body: impl Fn(&str) -> String,
) -> Response {
    let token = access::random_token();
    let mut r = page(status, None, "", "Sign in", &body(&token));
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(console, FORM_COOKIE, &token, 3600),
    );
    r
}

fn sign_in_form(console: &Console, status: StatusCode, error: Option<&str>) -> Response {
    with_form_token(console, status, |token| {
        pages::sign_in::render(token, error)
    })
}

pub async fn sign_in_page(State(console): State<Arc<Console>>) -> Response {
    sign_in_form(&console, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: String,
    email: String,
    password: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    email: String,
    session: String,
    code: String,
}

/// The form's token matches the cookie set with the page it came from.
fn form_token_ok(headers: &HeaderMap, submitted: &str) -> bool {
    let expected = cookie(headers, FORM_COOKIE).unwrap_or_default();
    !expected.is_empty() && expected == submitted
}

pub async fn sign_in(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if let Some(refused) = refused_before_asking(&console, &headers, &form.csrf, &form.email).await
    {
        return refused;
    }
    let verdict = console
        .authenticator
        .authenticate(&form.email, &form.password)
        .await;
    conclude(&console, &form.email, verdict).await
}

/// The one-time code asked for after the password.
pub async fn sign_in_code(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    if let Some(refused) = refused_before_asking(&console, &headers, &form.csrf, &form.email).await
    {
        return refused;
    }
    let verdict = console
        .authenticator
        .answer_code(&form.email, &form.session, form.code.trim())
        .await;
    conclude(&console, &form.email, verdict).await
}

/// What each step of a sign-in answers before the directory is asked: a form not sent by this
/// console (403), or an address locked out by its failed sign-ins (429); `None`: go on.
async fn refused_before_asking(
    console: &Console,
    headers: &HeaderMap,
    csrf: &str,
    email: &str,
) -> Option<Response> {
    if !form_token_ok(headers, csrf) {
        let bad = AccessError::BadCsrf.to_string();
        return Some(sign_in_form(console, StatusCode::FORBIDDEN, Some(&bad)));
    }
    locked_out(console, email).await
}

fn store_failed(console: &Console, e: OpsError) -> Response {
    tracing::error!(error = %e, "the console's session store failed");
    sign_in_form(
        console,
        StatusCode::INTERNAL_SERVER_ERROR,
        Some(UNAVAILABLE),
    )
}

/// The answer for an address locked out by its failed sign-ins (audited); `None`: not locked.
async fn locked_out(console: &Console, email: &str) -> Option<Response> {
    let lockout = chrono::Duration::minutes(console.settings.lockout_minutes);
    let max = console.settings.max_failed_sign_ins;
    let until = match console
        .sessions
        .locked_until(email, Utc::now(), max, lockout)
        .await
    {
        Ok(until) => until?,
        Err(e) => return Some(store_failed(console, e)),
    };
    let _ = console
        .ops
        .record(ConsoleAction {
            actor: email.trim().to_string(),
            action: "console.sign-in-locked".into(),
            detail: format!("until {}", until.to_rfc3339()),
        })
        .await;
    Some(sign_in_form(
        console,
        StatusCode::TOO_MANY_REQUESTS,
        Some(&format!(
            "Too many failed sign-ins for this address: try again after {} UTC.",
            until.format("%H:%M")
        )),
    ))
}

/// What the directory said, carried out: a session opened, a code asked for, or a refusal
/// counted and audited.
async fn conclude(
    console: &Console,
    email: &str,
    verdict: Result<Verdict, SignInError>,
) -> Response {
    match verdict {
        Ok(Verdict::SignedIn(operator)) => open(console, operator).await,
        Ok(Verdict::CodeNeeded { session }) => with_form_token(console, StatusCode::OK, |token| {
            pages::sign_in::render_code(token, email, &session, None)
        }),
        Err(SignInError::Unavailable(why)) => {
            tracing::error!(error = %why, "the console's operators' directory failed");
            sign_in_form(
                console,
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(UNAVAILABLE),
            )
        }
        Err(e) => {
            let lockout = chrono::Duration::minutes(console.settings.lockout_minutes);
            let counted = console.sessions.failed(email, Utc::now(), lockout).await;
            let _ = console
                .ops
                .record(ConsoleAction {
                    actor: email.trim().to_string(),
                    action: "console.sign-in-refused".into(),
                    detail: e.to_string(),
                })
                .await;
            let status = match e {
                SignInError::Refused(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            match counted {
                Ok(()) => sign_in_form(console, status, Some(&e.to_string())),
                // Uncounted, a refusal would not lead to the lockout.
                Err(e) => store_failed(console, e),
            }
        }
    }
}

/// The operator's session opened (their failures forgotten), its cookie set, audited.
async fn open(console: &Console, operator: Operator) -> Response {
    let opened = match console.sessions.succeeded(&operator.email).await {
        Ok(()) => console.sessions.open(operator.clone(), Utc::now()).await,
        Err(e) => Err(e),
    };
    let token = match opened {
        Ok((token, _)) => token,
        Err(e) => return store_failed(console, e),
    };
    let _ = console
        .ops
        .record(ConsoleAction {
            actor: operator.email.clone(),
            action: "console.signed-in".into(),
            detail: operator.role.as_str().into(),
        })
        .await;
    let mut r = Redirect::to(&format!("{BASE}/approvals")).into_response();
    let h = r.headers_mut();
    let age = console.sessions.lifetime().num_seconds();
    h.append(
        header::SET_COOKIE,
        set_cookie(console, SESSION_COOKIE, &token, age),
    );
    h.append(header::SET_COOKIE, set_cookie(console, FORM_COOKIE, "", 0));
    with_headers_keep_type(r)
}
