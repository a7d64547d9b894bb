//! The pages people open from an email: approval requests (GET shows, POST decides) and the
//! unsubscribe page of commercial email, as axum routers over their ports. Served by the local
//! twin and by the approval-api Lambda, the same code.

mod approvals;
mod unsubscribe;

pub use approvals::approval_router;
pub use unsubscribe::unsubscribe_router;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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

/// A whole page: `title` as its heading, `body` as given (already escaped), headers that keep
/// a link's token out of caches, referrers and frames.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{t}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2330}}\
         table{{border-collapse:collapse;width:100%}}td,th{{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e3e6ee}}\
         th{{width:38%;font-weight:600}}td{{white-space:pre-line}}\
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
