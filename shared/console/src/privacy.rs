//! The privacy desk's page (`/console/privacy`, admins only): a data subject's export (GDPR
//! arts. 15 and 20) downloaded as one JSON document, and their erasure (art. 17), over the
//! [`PrivacyDesk`] port each home implements (the twin over its store; AWS through the privacy
//! desk function). The person's address travels in POST bodies only, never in a URL, and both
//! actions are audited under the operator's name.

use crate::Console;
use crate::access::{Operator, Role, Session};
use crate::layout::{BASE, csrf_field, escape, page, refusal};
use crate::port::{ConsoleAction, OpsError};
use crate::routes::{SignedIn, allow};
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

/// Export and erasure of one person, in one home.
#[async_trait::async_trait]
pub trait PrivacyDesk: Send + Sync {
    /// Every record about the person (found by address and, when given, phone number) as one
    /// JSON document: each record with the agent keeping it, why and for how long.
    async fn export(&self, email: &str, phone: Option<&str>) -> Result<String, OpsError>;
    /// Erases the person (request `request_id`, asked by `operator`); what was done, one line
    /// per agent (or, where the home carries it out later, that it was requested).
    async fn erase(
        &self,
        email: &str,
        phone: Option<&str>,
        operator: &Operator,
        request_id: &str,
    ) -> Result<String, OpsError>;
}

/// The routes of the privacy page, merged into the console's router.
pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/console/privacy", get(show))
        .route("/console/privacy/export", post(export))
        .route("/console/privacy/erase", post(erase))
}

/// The page's body: the request form, and what the last erasure did.
pub fn render(session: &Session, done: Option<&str>) -> String {
    let mut out = String::from(
        "<p>A person's request under the GDPR: their data as one JSON document (art. 15 and 20), \
         or its erasure (art. 17). Records the law keeps (invoices, journal entries) stay, \
         pseudonymised; docs/privacy.md says what each agent keeps and why.</p>",
    );
    if let Some(done) = done {
        out.push_str(&format!(
            "<h2>Done</h2><pre id=\"erasure\">{}</pre>",
            escape(done)
        ));
    }
    let csrf = csrf_field(session);
    out.push_str(&format!(
        "<h2>Export</h2><form method=\"post\" action=\"{BASE}/privacy/export\">{csrf}\
         <label>Address <input type=\"email\" name=\"email\" required></label> \
         <label>Phone (E.164, optional) <input name=\"phone\"></label> \
         <button type=\"submit\">Download the export</button></form>\
         <h2>Erase</h2><form method=\"post\" action=\"{BASE}/privacy/erase\">{csrf}\
         <label>Address <input type=\"email\" name=\"email\" required></label> \
         <label>Phone (E.164, optional) <input name=\"phone\"></label> \
         <label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" required> \
         The person asked to be erased, and this cannot be undone</label> \
         <button type=\"submit\" name=\"erase\" value=\"yes\">Erase</button></form>"
    ));
    out
}

#[derive(Deserialize)]
pub struct SubjectForm {
    csrf: String,
    email: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    confirm: Option<String>,
}

impl SubjectForm {
    fn phone(&self) -> Option<&str> {
        self.phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
    }
}

fn unavailable(session: &Session) -> Response {
    refusal(
        StatusCode::NOT_IMPLEMENTED,
        Some(session),
        "Not available",
        "this home has no privacy desk",
    )
}

fn failed(session: &Session, e: OpsError) -> Response {
    let status = match e {
        OpsError::NotFound(_) => StatusCode::NOT_FOUND,
        OpsError::Refused(_) => StatusCode::BAD_REQUEST,
        OpsError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refusal(status, Some(session), "Not done", &e.to_string())
}

async fn show(State(console): State<Arc<Console>>, who: SignedIn) -> Response {
    if access_refused(&who.session) {
        return refusal(
            StatusCode::FORBIDDEN,
            Some(&who.session),
            "Not allowed",
            "only an admin handles privacy requests",
        );
    }
    if console.privacy.is_none() {
        return unavailable(&who.session);
    }
    page(
        StatusCode::OK,
        Some(&who.session),
        "/privacy",
        "Privacy requests",
        &render(&who.session, None),
    )
}

fn access_refused(session: &Session) -> bool {
    crate::access::require(&session.operator, Role::Admin, "handle privacy requests").is_err()
}

async fn export(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Form(form): Form<SubjectForm>,
) -> Response {
    if let Err(r) = allow(
        &console,
        &who,
        &form.csrf,
        Role::Admin,
        "export a person's data",
    )
    .await
    {
        return r;
    }
    let Some(desk) = console.privacy.as_ref() else {
        return unavailable(&who.session);
    };
    match desk.export(form.email.trim(), form.phone()).await {
        Ok(json) => {
            let _ = console
                .ops
                .record(ConsoleAction {
                    actor: who.session.operator.email.clone(),
                    action: "privacy.exported".into(),
                    detail: format!("the data of {}", form.email.trim()),
                })
                .await;
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"privacy-export.json\"",
                    ),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                json,
            )
                .into_response()
        }
        Err(e) => failed(&who.session, e),
    }
}

async fn erase(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Form(form): Form<SubjectForm>,
) -> Response {
    if let Err(r) = allow(&console, &who, &form.csrf, Role::Admin, "erase a person").await {
        return r;
    }
    let Some(desk) = console.privacy.as_ref() else {
        return unavailable(&who.session);
    };
    if form.confirm.as_deref() != Some("yes") {
        return refusal(
            StatusCode::BAD_REQUEST,
            Some(&who.session),
            "Not done",
            "tick the box confirming the person asked to be erased",
        );
    }
    let request_id = format!("dsr-{}", uuid::Uuid::now_v7().simple());
    match desk
        .erase(
            form.email.trim(),
            form.phone(),
            &who.session.operator,
            &request_id,
        )
        .await
    {
        Ok(done) => page(
            StatusCode::OK,
            Some(&who.session),
            "/privacy",
            "Privacy requests",
            &render(&who.session, Some(&done)),
        ),
        Err(e) => failed(&who.session, e),
    }
}
