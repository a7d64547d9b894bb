//! EventBridge's own JSON protocol at `POST /`: what an unmodified AWS SDK or the AWS CLI sends
//! with its endpoint set to the twin (`AWS_ENDPOINT_URL_EVENTBRIDGE`, `--endpoint-url`).
//! `X-Amz-Target: AWSEvents.PutEvents`, content type `application/x-amz-json-1.1`, a body
//! `{"Entries": [...]}`; the answer `{"FailedEntryCount", "Entries"}` with one result per entry,
//! and errors in AWS's shape `{"__type", "message"}`.
//!
//! The entries take the path of `POST /events` ([`super::ingest`]): the same validation, the
//! same producer check ([`ascent_core::producers::Producers::admit`]), the same storage.
//!
//! Who may call: the same rules as `POST /events` ([`EventsAccess::check`]), with the events
//! token, when the twin has one, given as the SDK's session token (`AWS_SESSION_TOKEN`, which
//! the SDK sends as `X-Amz-Security-Token`) or as `Authorization: Bearer`. The SigV4 signature
//! is not verified: the twin has no secret keys. The access key id of the signature, when it
//! names a source (`ascent.crm`: it has a dot, which an AWS key id never has), is the producer
//! the caller speaks for, and an entry under any other source is refused
//! (`NotAuthorizedForSourceException`), as that producer's IAM policy refuses it on AWS.

use super::{EntryRules, NotStored, Outcome, check_entry_count, ingest};
use crate::access::{EventsAccess, Refusal};
use ascent_embedded::{GroupCommit, Runtime};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// The operation the twin answers.
pub const PUT_EVENTS: &str = "AWSEvents.PutEvents";

const TARGET: &str = "x-amz-target";
const SECURITY_TOKEN: &str = "x-amz-security-token";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// How much of a header value an error repeats.
const ECHO_CHARS: usize = 100;

/// An answer in the protocol's shape: the JSON body and a request id.
fn answer(status: StatusCode, body: Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert(HeaderName::from_static("x-amzn-requestid"), id);
    }
    res
}

/// An error as AWS's JSON protocols give it.
fn error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    answer(status, json!({"__type": kind, "message": message.into()}))
}

fn validation(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "ValidationException", message)
}

/// The headers [`EventsAccess::check`] reads, with the events token taken from where an SDK
/// puts it: the session token (`X-Amz-Security-Token`) becomes `Authorization: Bearer`; a
/// bearer token is kept; a SigV4 `Authorization` (no token in it) is not passed on.
fn access_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in [header::ORIGIN, header::CONTENT_TYPE] {
        for v in headers.get_all(&name) {
            out.append(name.clone(), v.clone());
        }
    }
    let tokens: Vec<&HeaderValue> = headers.get_all(SECURITY_TOKEN).iter().collect();
    if tokens.is_empty() {
        for v in headers.get_all(header::AUTHORIZATION) {
            let bearer = v
                .as_bytes()
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case(b"bearer "));
            if bearer {
                out.append(header::AUTHORIZATION, v.clone());
            }
        }
    } else {
        for t in tokens {
            if let Ok(v) = HeaderValue::from_bytes(&[b"Bearer ", t.as_bytes()].concat()) {
                out.append(header::AUTHORIZATION, v);
            }
        }
    }
    out
}

/// The access key id of a SigV4 `Authorization` header, when it names a source (has a dot).
pub fn speaker(headers: &HeaderMap) -> Option<String> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(one), None) = (values.next(), values.next()) else {
        return None;
    };
    let text = one.to_str().ok()?;
    let (scheme, params) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("AWS4-HMAC-SHA256") {
        return None;
    }
    let credential = params
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("Credential="))?;
    let key = credential.split('/').next()?;
    key.contains('.').then(|| key.to_string())
}

/// The refusal of [`EventsAccess::check`] in the protocol's shape, telling an SDK user where
/// the token goes.
fn refused(refusal: Refusal) -> Response {
    let (kind, message) = match &refusal {
        Refusal::MissingToken | Refusal::WrongToken => (
            "UnrecognizedClientException",
            format!(
                "{refusal}: with an AWS SDK or the CLI, give the events token as the session \
                 token (AWS_SESSION_TOKEN, sent as X-Amz-Security-Token)"
            ),
        ),
        Refusal::ForeignOrigin(_) => ("AccessDeniedException", refusal.to_string()),
        Refusal::NotJson(_) => ("ValidationException", refusal.to_string()),
    };
    tracing::warn!(rule = refusal.rule(), "events request refused");
    let status = refusal.into_response().status();
    let mut res = error(status, kind, message);
    // The body was not read: do not keep the connection for a next request behind it.
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// `POST /`: PutEvents through EventBridge's JSON protocol.
pub async fn put_events(
    State(rt): State<Arc<Runtime>>,
    group: Arc<GroupCommit>,
    access: Arc<EventsAccess>,
    req: Request,
) -> Response {
    let headers = req.headers();
    if let Err(refusal) = access.check(&access_headers(headers)) {
        return refused(refusal);
    }
    let mut targets = headers.get_all(TARGET).iter();
    let target = match (targets.next(), targets.next()) {
        (Some(t), None) => t.to_str().unwrap_or("(not text)"),
        (None, _) => "(none)",
        (Some(_), Some(_)) => "(given twice)",
    };
    if target != PUT_EVENTS {
        let echoed: String = target.chars().take(ECHO_CHARS).collect();
        return error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("operation `{echoed}`: the twin answers only {PUT_EVENTS} (X-Amz-Target)"),
        );
    }
    let source = speaker(headers);
    let Ok(body) = Bytes::from_request(req, &()).await else {
        // The body limit's own answer (413 or 408) replaces this one.
        return validation("the request body could not be read");
    };
    let entries = match entries(&body) {
        Ok(e) => e,
        Err(res) => return *res,
    };
    let rules = EntryRules {
        whole_events: false,
        source: source.as_deref(),
    };
    match ingest(&rt, &group, entries, rules).await {
        Ok(Outcome { results, failed }) => answer(
            StatusCode::OK,
            json!({"FailedEntryCount": failed, "Entries": results}),
        ),
        Err(NotStored::Unavailable(e)) => {
            let mut res = error(StatusCode::SERVICE_UNAVAILABLE, "InternalException", e);
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(super::RETRY_AFTER_SECONDS),
            );
            res
        }
        Err(NotStored::Failed(e)) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, "InternalException", e)
        }
    }
}

/// The entries of a PutEvents request body, each as `POST /events` takes it; or the error
/// answer for the whole request.
fn entries(body: &[u8]) -> Result<Vec<Value>, Box<Response>> {
    let fail = |r: Response| Err(Box::new(r));
    // The strict reader of `POST /events`: a key written twice is refused.
    let value: Value = match ascent_core::json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return fail(error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                format!("malformed JSON: {e}"),
            ));
        }
    };
    let entries = match value {
        Value::Object(mut m) => match m.remove("Entries") {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => {
                return fail(validation(
                    "1 validation error detected: Value null at 'entries' failed to satisfy \
                     constraint: Member must not be null",
                ));
            }
            Some(_) => {
                return fail(error(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    "`Entries` must be a list",
                ));
            }
        },
        _ => {
            return fail(error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "the body must be a JSON object (a PutEvents request)",
            ));
        }
    };
    if let Err(e) = check_entry_count(entries.len()) {
        let bound = if entries.is_empty() {
            "greater than or equal to 1"
        } else {
            "less than or equal to 10"
        };
        return fail(validation(format!(
            "1 validation error detected: Value at 'entries' failed to satisfy constraint: \
             Member must have length {bound} ({e})"
        )));
    }
    Ok(entries.into_iter().map(from_wire).collect())
}

/// An entry as the protocol sends it, in the shape `POST /events` reads: the SDKs send `Time`
/// as seconds since the epoch (a JSON number), `POST /events` takes RFC 3339.
fn from_wire(mut entry: Value) -> Value {
    if let Some(time) = entry.get_mut("Time")
        && let Some(secs) = time.as_f64()
    {
        let whole = secs.floor();
        let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
        if let Some(t) = chrono::DateTime::from_timestamp(whole as i64, nanos) {
            *time = Value::from(t.to_rfc3339());
        }
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::headers;

    const SIGV4: &str = "AWS4-HMAC-SHA256 Credential=ascent.crm/20261204/us-east-1/events/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0123abcd";

    #[test]
    fn the_access_key_id_names_the_producer_only_when_it_is_a_source() {
        assert_eq!(
            speaker(&headers(&[("authorization", SIGV4)])).as_deref(),
            Some("ascent.crm")
        );
        let aws_key = SIGV4.replace("ascent.crm", "AKIAIOSFODNN7EXAMPLE");
        for unnamed in [
            headers(&[("authorization", &aws_key)]),
            headers(&[("authorization", "Bearer ascent.crm")]),
            headers(&[]),
            headers(&[("authorization", SIGV4), ("authorization", SIGV4)]),
        ] {
            assert_eq!(speaker(&unnamed), None, "{unnamed:?}");
        }
    }

    #[test]
    fn the_session_token_is_the_events_token() {
        let token = "t".repeat(40);
        let access = EventsAccess::new(Some(token.clone()), vec![]);
        let amz = ("content-type", CONTENT_TYPE);
        let with = headers(&[amz, ("authorization", SIGV4), (SECURITY_TOKEN, &token)]);
        assert_eq!(access.check(&access_headers(&with)), Ok(()));
        let bearer = format!("Bearer {token}");
        let curl = headers(&[amz, ("authorization", &bearer)]);
        assert_eq!(access.check(&access_headers(&curl)), Ok(()));
        let unsigned = headers(&[amz, ("authorization", SIGV4)]);
        assert_eq!(
            access.check(&access_headers(&unsigned)),
            Err(Refusal::MissingToken)
        );
        let wrong = headers(&[amz, ("authorization", SIGV4), (SECURITY_TOKEN, "x")]);
        assert_eq!(
            access.check(&access_headers(&wrong)),
            Err(Refusal::WrongToken)
        );
        let twice = headers(&[amz, (SECURITY_TOKEN, &token), (SECURITY_TOKEN, "x")]);
        assert!(access.check(&access_headers(&twice)).is_err());
        // Origin and content type are checked as for `POST /events`.
        let open = EventsAccess::default();
        let foreign = headers(&[amz, ("origin", "http://evil.example")]);
        assert!(matches!(
            open.check(&access_headers(&foreign)),
            Err(Refusal::ForeignOrigin(_))
        ));
        let form = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        assert!(matches!(
            open.check(&access_headers(&form)),
            Err(Refusal::NotJson(_))
        ));
    }

    #[test]
    fn sdk_times_in_epoch_seconds_become_rfc_3339() {
        let e = from_wire(json!({"Source": "s", "Time": 1764846000.5}));
        assert_eq!(e["Time"], "2025-12-04T11:00:00.500+00:00");
        let kept = json!({"Source": "s", "Time": "2026-01-01T00:00:00Z"});
        assert_eq!(from_wire(kept.clone()), kept);
        let huge = json!({"Time": 1e300});
        assert_eq!(from_wire(huge.clone()), huge);
    }

    fn error_of(r: Result<Vec<Value>, Box<Response>>) -> (StatusCode, String) {
        let res = r.expect_err("refused");
        (res.status(), format!("{:?}", res.headers()))
    }

    #[test]
    fn request_shapes_outside_the_protocol_are_refused_whole() {
        for body in [
            &b"{not json"[..],
            br#"{"Entries": {}}"#,
            br#"[]"#,
            br#"{"Entries": []}"#,
            br#"{}"#,
        ] {
            let (status, headers) = error_of(entries(body));
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}");
            assert!(headers.contains(CONTENT_TYPE), "{headers}");
        }
        let eleven = json!({"Entries": vec![json!({}); 11]}).to_string();
        assert_eq!(
            error_of(entries(eleven.as_bytes())).0,
            StatusCode::BAD_REQUEST
        );
        let ten = json!({"Entries": vec![json!({}); 10]}).to_string();
        assert_eq!(entries(ten.as_bytes()).unwrap().len(), 10);
    }
}
