//! Approval pages. Opening an emailed link (GET) shows the request and two buttons and changes
//! nothing, so a mail scanner's prefetch decides nothing; only the POST from the page decides.
//! Decided, expired, superseded and forged links get a page saying so, with a fitting status.

use ascent_core::approval::{
    ApprovalDesk, ApprovalError, ApprovalView, Decision, DeskError, LinkError,
};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{t}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2330}}\
         table{{border-collapse:collapse;width:100%}}td,th{{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ee}}\
         button{{font-size:1rem;padding:.6rem 1.4rem;margin-right:.6rem;border-radius:.4rem;border:1px solid #888;cursor:pointer}}\
         .approve{{background:#1f7a3d;color:#fff}}.reject{{background:#a32121;color:#fff}}.hint{{outline:3px solid #f2b705}}\
         textarea{{width:100%;min-height:4rem}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The token is in the URL: never cache it, never leak it through Referer.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ),
    );
    r
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
        DeskError::Rule(ApprovalError::AlreadyClosed(state)) => (
            StatusCode::CONFLICT,
            "Already decided",
            format!("This request was already {state}. A link can be used once."),
        ),
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

fn request_table(v: &ApprovalView) -> String {
    let a = &v.approval;
    let mut rows = vec![
        ("Requested by".to_string(), a.draft.requester.clone()),
        (
            "For".to_string(),
            format!("{} ({})", a.draft.subject, a.draft.kind),
        ),
        ("Reason".to_string(), a.draft.reason.clone()),
    ];
    if let Some(m) = &a.draft.amount {
        rows.push(("Amount".into(), m.to_string()));
    }
    for (k, val) in &a.draft.facts {
        rows.push((k.clone(), val.clone()));
    }
    rows.push((
        "Decide by".into(),
        a.step_deadline.format("%Y-%m-%d %H:%M UTC").to_string(),
    ));
    let body: String = rows
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)))
        .collect();
    format!(
        "<p><strong>{}</strong></p><table>{body}</table>",
        escape(&a.draft.summary)
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
                &(request_table(&v) + &form),
            )
        }
    }
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
        Ok(v) => {
            let word = match decision {
                Decision::Approve => "Approved",
                Decision::Reject => "Rejected",
            };
            page(
                StatusCode::OK,
                word,
                &format!(
                    "{}<p>Your decision is recorded and the {} agent has been told.</p>",
                    request_table(&v),
                    escape(&v.approval.agent)
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests;

/// Routes: `GET /unsubscribe/{token}` (a page with one button; a prefetch changes nothing) and
/// `POST /unsubscribe/{token}` (the opt-out; also what RFC 8058 one-click clients send). The
/// page names `company` (`[company] name`) as the sender.
pub fn unsubscribe_router(
    desk: Arc<dyn ascent_core::compliance::UnsubscribeDesk>,
    company: &str,
) -> Router {
    Router::new()
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe_now),
        )
        .with_state(Unsubscribes {
            desk,
            company: company.into(),
        })
}

/// The unsubscribe pages' state: the desk and the company named as the sender.
#[derive(Clone)]
struct Unsubscribes {
    desk: Arc<dyn ascent_core::compliance::UnsubscribeDesk>,
    company: Arc<str>,
}

fn unsubscribe_error(e: ascent_core::compliance::UnsubscribeError) -> Response {
    use ascent_core::compliance::UnsubscribeError::*;
    match e {
        UnknownLink => page(
            StatusCode::NOT_FOUND,
            "Link not recognised",
            "<p>This unsubscribe link is not one of ours, or it was cut short. \
             Reply to any of our emails with “unsubscribe” and we will stop.</p>",
        ),
        Unavailable(why) => {
            tracing::error!(error = %why, "unsubscribe page failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<p>We could not record that just now. Please try again in a minute.</p>",
            )
        }
    }
}

/// The question the unsubscribe page asks, with its one button.
fn unsubscribe_question(company: &str, email: &str, token: &str) -> String {
    format!(
        "<p>Stop sales and marketing email from {} to <b>{}</b>?</p>\
         <form method=\"post\" action=\"/unsubscribe/{}\">\
         <button class=\"reject\" type=\"submit\">Unsubscribe</button></form>",
        escape(company),
        escape(email),
        escape(token)
    )
}

async fn unsubscribe_page(State(u): State<Unsubscribes>, Path(token): Path<String>) -> Response {
    match u.desk.address(&token).await {
        Ok(email) => page(
            StatusCode::OK,
            "Unsubscribe",
            &unsubscribe_question(&u.company, &email, &token),
        ),
        Err(e) => unsubscribe_error(e),
    }
}

async fn unsubscribe_now(State(u): State<Unsubscribes>, Path(token): Path<String>) -> Response {
    match u.desk.unsubscribe(&token).await {
        Ok(email) => page(
            StatusCode::OK,
            "You are unsubscribed",
            &format!(
                "<p>We will not send sales or marketing email to <b>{}</b> again.</p>",
                escape(&email)
            ),
        ),
        Err(e) => unsubscribe_error(e),
    }
}

#[cfg(test)]
mod unsubscribe_tests {
    use super::*;

    #[test]
    fn the_page_names_the_configured_company() {
        let q = unsubscribe_question("Ascent XR", "ana@boreal.example", "ab12");
        assert!(q.starts_with(
            "<p>Stop sales and marketing email from Ascent XR to <b>ana@boreal.example</b>?</p>"
        ));
        let q = unsubscribe_question("Boreal & Co", "ana@boreal.example", "ab12");
        assert!(q.contains("email from Boreal &amp; Co to"), "{q}");
        assert!(!q.contains("Ascent"));
    }

    /// A desk that counts opt-outs: one address, one token.
    struct CountingDesk(std::sync::atomic::AtomicUsize);

    #[async_trait::async_trait]
    impl ascent_core::compliance::UnsubscribeDesk for CountingDesk {
        async fn address(
            &self,
            token: &str,
        ) -> Result<String, ascent_core::compliance::UnsubscribeError> {
            match token {
                "t1" => Ok("ana@boreal.example".into()),
                _ => Err(ascent_core::compliance::UnsubscribeError::UnknownLink),
            }
        }
        async fn unsubscribe(
            &self,
            token: &str,
        ) -> Result<String, ascent_core::compliance::UnsubscribeError> {
            let email = self.address(token).await?;
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(email)
        }
    }

    /// Given the List-Unsubscribe URL of an email, when a mail scanner prefetches it (GET),
    /// then nobody is unsubscribed; when the mailbox provider sends the RFC 8058 one-click
    /// POST (body `List-Unsubscribe=One-Click`), then the address is unsubscribed at once,
    /// with no further page to click.
    #[tokio::test]
    async fn a_prefetch_changes_nothing_and_the_one_click_post_unsubscribes() {
        use axum::body::{Body, to_bytes};
        use axum::http::Request;
        use tower::ServiceExt;
        let desk = Arc::new(CountingDesk(Default::default()));
        let router = unsubscribe_router(desk.clone(), "Ascent XR");
        let get = Request::get("/unsubscribe/t1").body(Body::empty()).unwrap();
        let res = router.clone().oneshot(get).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(desk.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        let post = Request::post("/unsubscribe/t1")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("List-Unsubscribe=One-Click"))
            .unwrap();
        let res = router.clone().oneshot(post).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(desk.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("You are unsubscribed"), "{body}");
        assert!(
            !body.contains("<form"),
            "one click needs no second page: {body}"
        );
    }
}
