//! The frame of every console page: head, navigation, the signed-in operator and the sign-out
//! form, the security headers; and the small HTML helpers the pages share (escaping, the
//! CSRF field, times). Pages are plain server-rendered HTML: no script is needed or allowed.

use crate::access::Session;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

/// Where the console is mounted.
pub const BASE: &str = "/console";

/// The navigation, in order: path under [`BASE`] and label. A page added to the console adds
/// its line here.
pub const NAV: &[(&str, &str)] = &[
    ("/approvals", "Approvals"),
    ("/agents", "Agents"),
    ("/queues", "Queues"),
    ("/audit", "Audit"),
    ("/business", "Business"),
    ("/dashboard", "Dashboard"),
    ("/privacy", "Privacy"),
];

/// Escapes text for HTML (element content and quoted attributes).
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

/// The hidden field every form of a session carries.
pub fn csrf_field(session: &Session) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(&session.csrf)
    )
}

/// A form posting to `action` (under [`BASE`]) with the session's token, `fields` and a button.
pub fn post_button(
    session: &Session,
    action: &str,
    fields: &str,
    label: &str,
    class: &str,
) -> String {
    format!(
        "<form method=\"post\" action=\"{BASE}{}\" class=\"inline\">{}{fields}\
         <button type=\"submit\" class=\"{class}\">{}</button></form>",
        escape(action),
        csrf_field(session),
        escape(label)
    )
}

/// An amount with thousands separators and its currency: `12,500.00 USD`.
pub fn money(m: &ascent_core::money::Money) -> String {
    let text = m.to_decimal_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, format!(".{f}")),
        None => (digits, String::new()),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{fraction} {}", m.currency)
}

/// A time as the console shows it (UTC, to the minute).
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// How far `t` is from `now`, roughly: "in 3 h", "12 min ago".
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = t - now;
    let (m, future) = (d.num_minutes().abs(), d.num_seconds() >= 0);
    let amount = match m {
        0 => "under a minute".to_string(),
        1..=119 => format!("{m} min"),
        120..=2879 => format!("{} h", m / 60),
        _ => format!("{} days", m / 1440),
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7fb}\
header{background:#1d2330;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}\
header a{color:#cfd6e6;text-decoration:none}header a.on{color:#fff;font-weight:600;border-bottom:2px solid #f2b705}\
header .who{margin-left:auto;font-size:.9rem}main{padding:1rem 1.2rem;max-width:80rem}\
table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:1.5rem}\
td,th{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e3e6ee;vertical-align:top;font-size:.92rem}\
th{background:#eceff6}.num{text-align:right;font-variant-numeric:tabular-nums}\
form.inline{display:inline}button{padding:.3rem .8rem;border-radius:.3rem;border:1px solid #888;cursor:pointer}\
.approve{background:#1f7a3d;color:#fff}.reject,.danger{background:#a32121;color:#fff}\
.note{background:#e8f4ec;border:1px solid #9cc9aa;padding:.5rem .8rem;margin-bottom:1rem}\
.error{background:#fbeaea;border:1px solid #d99;padding:.5rem .8rem;margin-bottom:1rem}\
.muted{color:#667}.paused{color:#a32121;font-weight:600}pre{white-space:pre-wrap;word-break:break-all;max-width:50rem}\
input[type=text],input[type=email],input[type=password]{padding:.3rem;min-width:14rem}";

/// A whole page: `body` inside the frame, the navigation marking `active` (a path of [`NAV`]);
/// without a session (the sign-in page) no navigation.
pub fn page(
    status: StatusCode,
    session: Option<&Session>,
    active: &str,
    title: &str,
    body: &str,
) -> Response {
    let nav = match session {
        None => String::new(),
        Some(s) => {
            let links: String = NAV
                .iter()
                .map(|(path, label)| {
                    let on = if *path == active { " class=\"on\"" } else { "" };
                    format!("<a href=\"{BASE}{path}\"{on}>{label}</a>")
                })
                .collect();
            format!(
                "{links}<span class=\"who\">{} ({}) {}</span>",
                escape(&s.operator.email),
                s.operator.role.as_str(),
                post_button(s, "/sign-out", "", "Sign out", "")
            )
        }
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{t} · Ascent console</title>\
         <style>{STYLE}</style></head><body><header><strong>Ascent console</strong>{nav}</header>\
         <main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title)
    );
    with_headers((status, html).into_response())
}

/// The headers of every console answer: HTML, never cached, never framed, no script.
pub fn with_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'",
        ),
    );
    r
}

/// The page of a refused action (403 and the like).
pub fn refusal(status: StatusCode, session: Option<&Session>, title: &str, why: &str) -> Response {
    let back = format!("<p><a href=\"{BASE}/approvals\">Back to the console</a></p>");
    page(
        status,
        session,
        "",
        title,
        &format!("<p class=\"error\">{}</p>{back}", escape(why)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_times_read_naturally() {
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(relative(now + chrono::Duration::hours(5), now), "in 5 h");
        assert_eq!(
            relative(now - chrono::Duration::minutes(7), now),
            "7 min ago"
        );
        assert_eq!(relative(now + chrono::Duration::days(3), now), "in 3 days");
        let usd = |minor| ascent_core::money::Money::usd(minor);
        assert_eq!(money(&usd(125_000_000)), "1,250,000.00 USD");
        assert_eq!(money(&usd(-99_999)), "-999.99 USD");
        assert_eq!(money(&usd(5)), "0.05 USD");
    }
}
