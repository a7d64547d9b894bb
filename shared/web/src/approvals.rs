//! Approval pages. Opening an emailed link (GET) shows the request and two buttons and changes
//! nothing, so a mail scanner's prefetch decides nothing; only the POST from the page decides.
//! The request is written for the approver holding the link: the customer, the requester's
//! reason and the rule, each figure once in their locale, the deadline in their time zone
//! ([`Approval::rows`]). Decided pages say who decided, when and with what comment; expired,
//! superseded and forged links get a page saying so, with a fitting status.

use crate::{escape, page};
use ascent_core::approval::{
    Approval, ApprovalDesk, ApprovalError, ApprovalStatus, ApprovalView, Decision, DeskError,
    LinkError, Row,
};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use std::sync::Arc;

/// Routes: `GET /approvals/{id}?t=…` (page) and `POST /approvals/{id}` (decision form).
pub fn approval_router(desk: Arc<dyn ApprovalDesk>) -> Router {
    Router::new()
        .route("/approvals/{id}", get(show).post(decide))
        .with_state(desk)
}

#[derive(Deserialize)]
struct LinkQuery {
    t: Option<String>,
    /// The button the email link stood for; only highlighted on the page.
    action: Option<String>,
}

#[derive(Deserialize)]
struct DecisionForm {
    t: String,
    decision: String,
    #[serde(default)]
    comment: Option<String>,
}

/// A table of rows, escaped.
fn table(rows: &[Row]) -> String {
    let body: String = rows
        .iter()
        .map(|r| {
            format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(&r.label),
                escape(&r.value)
            )
        })
        .collect();
    format!("<table>{body}</table>")
}

fn error_page(e: &DeskError) -> Response {
    let (status, title, text) = match e {
        DeskError::Link(LinkError::Forged) => (
            StatusCode::FORBIDDEN,
            "This link is not valid",
            "It was altered or was not issued by Ascent. Nothing was decided.".to_string(),
        ),
        DeskError::Link(LinkError::Expired) => (
            StatusCode::GONE,
            "This link has expired",
            "The time to decide with this link is over. If the request was escalated, the next approver has it.".into(),
        ),
        DeskError::NotFound(_) => (StatusCode::NOT_FOUND, "No such request", e.to_string()),
        DeskError::Rule(ApprovalError::AlreadyClosed(closed)) => {
            let title = match closed.status {
                ApprovalStatus::Expired => "Already expired",
                _ => "Already decided",
            };
            let body = format!(
                "<p>{} A link can be used once; nothing was changed.</p>{}",
                escape(&closed.outcome()),
                table(&closed.rows())
            );
            return page(StatusCode::CONFLICT, title, &body);
        }
        DeskError::Rule(ApprovalError::Superseded) | DeskError::Rule(ApprovalError::PastDeadline) => (
            StatusCode::GONE,
            "This link is no longer current",
            "The request moved on to the next approver after its deadline.".into(),
        ),
        DeskError::Rule(ApprovalError::SelfApproval) => (
            StatusCode::FORBIDDEN,
            "You cannot decide your own request",
            "The requester may never approve their own request.".into(),
        ),
        DeskError::Rule(r) => (StatusCode::FORBIDDEN, "Not allowed", r.to_string()),
        DeskError::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Nothing was decided. Please try the link again in a minute.".into(),
        ),
    };
    page(status, title, &format!("<p>{}</p>", escape(&text)))
}

/// The request as `reader_of` (the link's approver) reads it: its one-line summary, then its
/// rows.
fn request(a: &Approval, reader_of: &str) -> String {
    format!(
        "<p><strong>{}</strong></p>{}",
        escape(&a.draft.summary),
        table(&a.rows(&a.reader_for(reader_of)))
    )
}

async fn show(
    State(desk): State<Arc<dyn ApprovalDesk>>,
    Path(id): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Response {
    let Some(token) = q.t.filter(|t| !t.is_empty()) else {
        return error_page(&DeskError::Link(LinkError::Forged));
    };
    match desk.show(&id, &token).await {
        Err(e) => error_page(&e),
        Ok(v) => {
            let hint = |d: &str| {
                if q.action.as_deref() == Some(d) {
                    " hint"
                } else {
                    ""
                }
            };
            let form = format!(
                "<form method=\"post\" action=\"/approvals/{id}\">\
                 <input type=\"hidden\" name=\"t\" value=\"{t}\">\
                 <p><label>Comment (optional)<br><textarea name=\"comment\"></textarea></label></p>\
                 <button class=\"approve{ha}\" name=\"decision\" value=\"approve\">Approve</button>\
                 <button class=\"reject{hr}\" name=\"decision\" value=\"reject\">Reject</button></form>\
                 <p><small>Deciding as {who}. Nothing is decided until you press a button.</small></p>",
                id = escape(&v.approval.id),
                t = escape(&token),
                ha = hint("approve"),
                hr = hint("reject"),
                who = escape(&v.approver),
            );
            page(
                StatusCode::OK,
                "Approval requested",
                &(request(&v.approval, &v.approver) + &form),
            )
        }
    }
}

/// The page after a decision: what was recorded, by whom and when, and who acts next.
fn decided_page(v: &ApprovalView, decision: Decision) -> Response {
    let a = &v.approval;
    let (title, next) = match (a.status, decision) {
        (ApprovalStatus::Pending, _) => (
            "Approved: a second approval is needed",
            format!(
                "Your approval is recorded. This request needs {} distinct approvers, so {} has \
                 been asked to approve it too; the {} agent is told once they decide.",
                a.required_approvals,
                a.approver(),
                a.agent
            ),
        ),
        (ApprovalStatus::Expired, _) => (
            "Approved, but nobody is left to approve too",
            "Your approval is recorded, but no other approver is left to give the second \
             approval, so the request expired and the requester has been told."
                .to_string(),
        ),
        (_, Decision::Approve) => (
            "Approved",
            format!(
                "Your decision is recorded and the {} agent has been told.",
                a.agent
            ),
        ),
        (_, Decision::Reject) => (
            "Rejected",
            format!(
                "Your decision is recorded and the {} agent has been told.",
                a.agent
            ),
        ),
    };
    page(
        StatusCode::OK,
        title,
        &format!("<p>{}</p>{}", escape(&next), request(a, &v.approver)),
    )
}

async fn decide(
    State(desk): State<Arc<dyn ApprovalDesk>>,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let Some(decision) = Decision::parse(&f.decision) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Unknown decision",
            &format!(
                "<p>`{}` is neither approve nor reject.</p>",
                escape(&f.decision)
            ),
        );
    };
    match desk.decide(&id, &f.t, decision, f.comment).await {
        Err(e) => error_page(&e),
        Ok(v) => decided_page(&v, decision),
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
