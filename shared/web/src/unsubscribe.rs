//! The unsubscribe page of commercial email: one button (a prefetch changes nothing) and the
//! opt-out itself, also what RFC 8058 one-click clients POST.

use crate::{escape, page};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use std::sync::Arc;

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
