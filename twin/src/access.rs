//! Who may post events to the twin. A web page in the operator's browser must not be able to
//! (only JSON content types, which a plain form cannot send and a script cannot send cross-site
//! without a CORS preflight the twin never grants, and an `Origin`, when present, of the twin
//! itself); and when the twin has an events token, every request carries it as
//! `Authorization: Bearer <token>`.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Shortest events token accepted.
pub const MIN_TOKEN_CHARS: usize = 32;

/// Content types an event request may have (with an optional `charset=utf-8`).
const JSON_TYPES: [&str; 2] = ["application/json", "application/x-amz-json-1.1"];

/// How much of a refused header value an answer or a log line repeats.
const ECHO_CHARS: usize = 100;

/// What `POST /events` admits.
#[derive(Clone, Debug, Default)]
pub struct EventsAccess {
    token: Option<String>,
    origins: Vec<String>,
}

/// Why a request was refused before its body was read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("origin `{0}` is not this twin: events are not accepted from other sites' web pages")]
    ForeignOrigin(String),
    #[error(
        "content type `{0}` refused: send events as `application/json` (or EventBridge's `application/x-amz-json-1.1`)"
    )]
    NotJson(String),
    #[error(
        "this twin requires its events token: `Authorization: Bearer <token>` (ASCENT_EVENTS_TOKEN or <data dir>/events.token)"
    )]
    MissingToken,
    #[error("the events token does not match")]
    WrongToken,
}

impl Refusal {
    /// The rule that refused the request, for logs.
    pub fn rule(&self) -> &'static str {
        match self {
            Refusal::ForeignOrigin(_) => "origin is not the twin's",
            Refusal::NotJson(_) => "content type is not JSON",
            Refusal::MissingToken => "no bearer token",
            Refusal::WrongToken => "bearer token does not match",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Refusal::ForeignOrigin(_) => StatusCode::FORBIDDEN,
            Refusal::NotJson(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::MissingToken | Refusal::WrongToken => StatusCode::UNAUTHORIZED,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut res = (
            self.status(),
            axum::Json(json!({"error": self.to_string()})),
        )
            .into_response();
        let challenge = match self {
            Refusal::MissingToken => Some(r#"Bearer realm="ascent twin events""#),
            Refusal::WrongToken => {
                Some(r#"Bearer realm="ascent twin events", error="invalid_token""#)
            }
            _ => None,
        };
        if let Some(c) = challenge {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
        }
        // The body was not read: do not keep the connection for a next request behind it.
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        res
    }
}

impl EventsAccess {
    /// `token`: required from every request when set. `origins`: `scheme://host[:port]` of
    /// the twin as browsers name it.
    pub fn new(token: Option<String>, origins: Vec<String>) -> Self {
        Self { token, origins }
    }

    /// Whether a request with these headers may post events.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        self.check_origin(headers)?;
        self.check_token(headers)?;
        check_content_type(headers)
    }

    fn check_origin(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let mut values = headers.get_all(header::ORIGIN).iter();
        let Some(first) = values.next() else {
            return Ok(());
        };
        let origin = first.to_str().unwrap_or("(not text)");
        let own = values.next().is_none()
            && self
                .origins
                .iter()
                .any(|o| o.eq_ignore_ascii_case(origin.trim_end_matches('/')));
        if own {
            Ok(())
        } else {
            Err(Refusal::ForeignOrigin(echo(origin)))
        }
    }

    fn check_token(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let Some(expected) = &self.token else {
            return Ok(());
        };
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let given = values
            .next()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        match given {
            None => Err(Refusal::MissingToken),
            Some(token)
                if values.next().is_none()
                    && bool::from(token.as_bytes().ct_eq(expected.as_bytes())) =>
            {
                Ok(())
            }
            Some(_) => Err(Refusal::WrongToken),
        }
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let Some(value) = values.next() else {
        return Err(Refusal::NotJson("(none)".into()));
    };
    match value.to_str() {
        Ok(v) if values.next().is_none() && is_json(v) => Ok(()),
        Ok(v) => Err(Refusal::NotJson(echo(v))),
        Err(_) => Err(Refusal::NotJson("(not text)".into())),
    }
}

/// `application/json` or `application/x-amz-json-1.1`, with at most a UTF-8 charset.
fn is_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let mime = parts.next().unwrap_or_default().trim();
    JSON_TYPES.iter().any(|t| t.eq_ignore_ascii_case(mime))
        && parts.all(|p| match p.split_once('=') {
            Some((k, v)) => {
                let v = v.trim().trim_matches('"');
                k.trim().eq_ignore_ascii_case("charset")
                    && (v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8"))
            }
            None => p.trim().is_empty(),
        })
}

fn echo(value: &str) -> String {
    value.chars().take(ECHO_CHARS).collect()
}

/// The origins a browser gives a twin listening on `addr`: its address, and the loopback names
/// when it listens on loopback or on every address.
pub fn own_origins(addr: SocketAddr) -> Vec<String> {
    let ip = addr.ip();
    let mut hosts = Vec::new();
    if ip.is_loopback() || ip.is_unspecified() {
        hosts.extend(["127.0.0.1".to_string(), "localhost".into(), "[::1]".into()]);
    }
    if !ip.is_unspecified() {
        hosts.push(match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        });
    }
    let mut origins = Vec::new();
    for h in hosts {
        origins.push(format!("http://{h}:{}", addr.port()));
        if addr.port() == 80 {
            origins.push(format!("http://{h}"));
        }
    }
    origins
}

/// Middleware on `POST /events`: refuses what [`EventsAccess::check`] refuses.
pub async fn guard(State(access): State<Arc<EventsAccess>>, req: Request, next: Next) -> Response {
    match access.check(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refusal) => {
            tracing::warn!(
                status = refusal.status().as_u16(),
                rule = refusal.rule(),
                "events request refused"
            );
            refusal.into_response()
        }
    }
}

/// Request headers from `(name, value)` pairs, for tests of what a request carries.
#[cfg(test)]
pub(crate) fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: (&str, &str) = ("content-type", "application/json");

    #[test]
    fn only_json_content_types_with_a_utf8_charset_are_events() {
        for ok in [
            "application/json",
            "APPLICATION/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/x-amz-json-1.1",
            "application/x-amz-json-1.1; charset=utf8",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for refused in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "application/json; boundary=x",
            "application/json, text/plain",
            "application/jsonx",
            "application/x-amz-json-1.0",
            "",
        ] {
            assert!(!is_json(refused), "{refused}");
        }
        let a = EventsAccess::default();
        assert_eq!(
            a.check(&headers(&[])),
            Err(Refusal::NotJson("(none)".into()))
        );
        assert!(matches!(
            a.check(&headers(&[JSON, ("content-type", "text/plain")])),
            Err(Refusal::NotJson(_))
        ));
    }

    #[test]
    fn an_origin_must_be_the_twins_own() {
        let a = EventsAccess::new(None, own_origins("127.0.0.1:8787".parse().unwrap()));
        assert_eq!(a.check(&headers(&[JSON])), Ok(()));
        for own in [
            "http://127.0.0.1:8787",
            "http://localhost:8787",
            "HTTP://LOCALHOST:8787/",
        ] {
            assert_eq!(a.check(&headers(&[JSON, ("origin", own)])), Ok(()), "{own}");
        }
        for foreign in [
            "http://evil.example",
            "null",
            "http://localhost:8788",
            "https://localhost:8787",
            "http://localhost.evil.example:8787",
        ] {
            assert!(matches!(
                a.check(&headers(&[JSON, ("origin", foreign)])),
                Err(Refusal::ForeignOrigin(_))
            ));
        }
        let twice = headers(&[
            JSON,
            ("origin", "http://localhost:8787"),
            ("origin", "http://evil.example"),
        ]);
        assert!(a.check(&twice).is_err());
        let long = "http://".to_string() + &"x".repeat(5000);
        let Err(Refusal::ForeignOrigin(echoed)) = a.check(&headers(&[JSON, ("origin", &long)]))
        else {
            panic!("refused")
        };
        assert_eq!(echoed.chars().count(), ECHO_CHARS);
    }

    #[test]
    fn own_origins_follow_the_listening_address() {
        let any = own_origins("0.0.0.0:80".parse().unwrap());
        assert!(any.contains(&"http://localhost".to_string()));
        assert!(any.contains(&"http://127.0.0.1:80".to_string()));
        assert!(!any.iter().any(|o| o.contains("0.0.0.0")));
        let lan = own_origins("192.0.2.7:8787".parse().unwrap());
        assert_eq!(lan, ["http://192.0.2.7:8787"]);
        let v6 = own_origins("[::1]:8787".parse().unwrap());
        assert!(v6.contains(&"http://[::1]:8787".to_string()));
    }

    #[test]
    fn a_set_token_is_required_as_a_bearer_token() {
        let token = "t".repeat(40);
        let a = EventsAccess::new(Some(token.clone()), vec![]);
        assert_eq!(a.check(&headers(&[JSON])), Err(Refusal::MissingToken));
        let bearer = format!("Bearer {token}");
        assert_eq!(
            a.check(&headers(&[JSON, ("authorization", &bearer)])),
            Ok(())
        );
        let lower = format!("bearer {token}");
        assert_eq!(
            a.check(&headers(&[JSON, ("authorization", &lower)])),
            Ok(())
        );
        for wrong in [
            format!("Bearer {}", "t".repeat(39)),
            format!("Bearer {}u", "t".repeat(39)),
            format!("Basic {token}"),
            token.clone(),
        ] {
            assert!(
                a.check(&headers(&[JSON, ("authorization", &wrong)]))
                    .is_err(),
                "{wrong}"
            );
        }
        let twice = headers(&[
            JSON,
            ("authorization", &bearer),
            ("authorization", "Bearer x"),
        ]);
        assert_eq!(a.check(&twice), Err(Refusal::WrongToken));
        // Without a token the check lets the request through to the content type.
        let open = EventsAccess::default();
        assert_eq!(
            open.check(&headers(&[JSON, ("authorization", "Bearer x")])),
            Ok(())
        );
    }

    #[test]
    fn refusals_answer_with_their_status_and_a_bearer_challenge() {
        let r = Refusal::MissingToken.into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(
            r.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Bearer ")
        );
        assert_eq!(
            Refusal::ForeignOrigin("x".into()).into_response().status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            Refusal::NotJson("x".into()).into_response().status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }
}
