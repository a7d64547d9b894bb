//! Unit tests of the twin's routes (through the router, without sockets).

use super::*;
use ascent_core::ports::ManualClock;
use ascent_embedded::{Store, TwinConfig};
use axum::body::{Body, to_bytes};
use axum::http::Request;
use tower::ServiceExt;

fn rt() -> Arc<Runtime> {
    let clock = ManualClock::new("2026-03-02T09:00:00Z".parse().unwrap());
    let store = Arc::new(Store::in_memory(Arc::new(clock)).unwrap());
    Arc::new(Runtime::new(store, crate::agents::all(), TwinConfig::default()).unwrap())
}

async fn post(r: &Router, body: &str) -> (StatusCode, Value) {
    let res = r
        .clone()
        .oneshot(
            Request::post("/events")
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let s = res.status();
    let b = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (s, serde_json::from_slice(&b).unwrap())
}

fn entry(detail_type: &str, payload: Value) -> Value {
    let detail = json!({
        "version": 1,
        "event_id": uuid::Uuid::new_v4(),
        "correlation_id": uuid::Uuid::new_v4(),
        "actor": {"kind": "system", "id": "crm"},
        "payload": payload
    });
    json!({"Source": "ascent.crm", "DetailType": detail_type, "Detail": detail.to_string()})
}

fn lead() -> Value {
    json!({"lead_id": "L1", "email": "a@b.example", "full_name": "A B", "company": "B",
           "company_size": 10, "industry": "retail", "role": "CTO", "channel": "web"})
}

#[tokio::test]
async fn accepts_put_events_batches_and_reports_each_bad_entry() {
    let r = router(rt());
    let mut bad = lead();
    bad["company_size"] = json!(-5);
    let body = json!({"Entries": [entry("LeadCreated", lead()), entry("LeadCreated", bad), entry("LeadTeleported", lead())]});
    let (s, v) = post(&r, &body.to_string()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["FailedEntryCount"], 2);
    assert!(v["Entries"][0]["EventId"].is_string());
    assert_eq!(v["Entries"][1]["ErrorCode"], "InvalidArgument");
    assert!(
        v["Entries"][1]["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("detail.payload.company_size")
    );
    assert!(
        v["Entries"][2]["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("unknown detail-type `LeadTeleported`")
    );
}

#[tokio::test]
async fn refuses_malformed_bodies_and_oversized_batches() {
    let r = router(rt());
    let (s, v) = post(&r, "{not json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().starts_with("malformed JSON"));
    let many: Vec<Value> = (0..11).map(|_| entry("LeadCreated", lead())).collect();
    let (s, v) = post(&r, &Value::Array(many).to_string()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("at most 10"));
    let mut huge = lead();
    huge["company"] = json!("x".repeat(300 * 1024));
    let (s, v) = post(&r, &entry("LeadCreated", huge).to_string()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["Entries"][0]["ErrorCode"], "MalformedDetail");
}

/// Log lines written while `f` runs.
async fn logs_of<F: std::future::Future>(f: F) -> (F::Output, String) {
    #[derive(Clone, Default)]
    struct Buf(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let out = {
        let _guard = tracing::subscriber::set_default(subscriber);
        f.await
    };
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (out, logs)
}

#[tokio::test]
async fn a_refused_entry_is_named_by_its_field_never_by_its_value() {
    let r = router(rt());
    let mut wrong_type = entry("LeadCreated", lead());
    wrong_type["Resources"] = json!("ada.byron@example.com");
    let mut wrong_number = entry("LeadCreated", lead());
    wrong_number["Source"] = json!(4915112345678_u64);
    let body = json!([wrong_type, wrong_number]).to_string();
    let ((s, v), logs) = logs_of(post(&r, &body)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let first = v["Entries"][0]["ErrorMessage"].as_str().unwrap();
    assert!(first.contains("`Resources`"), "{first}");
    assert!(first.contains("expected a sequence"), "{first}");
    let second = v["Entries"][1]["ErrorMessage"].as_str().unwrap();
    assert!(second.contains("`Source`"), "{second}");
    for said in [first, second, logs.as_str()] {
        assert!(!said.contains("ada.byron"), "{said}");
        assert!(!said.contains("4915112345678"), "{said}");
    }
    assert!(logs.contains(r#""field":"Resources""#), "{logs}");
}

#[tokio::test]
async fn a_key_written_twice_in_a_whole_event_is_refused_naming_it() {
    let r = router(rt());
    let id = uuid::Uuid::now_v7();
    // A whole EventBridge event (not a PutEvents entry), its payload naming `email` twice.
    let body = format!(
        r#"{{"source": "ascent.crm", "detail-type": "LeadCreated", "detail": {{"version": 1,
            "event_id": "{id}", "correlation_id": "{id}", "actor": {{"kind": "system", "id": "crm"}},
            "payload": {{"lead_id": "L1", "email": "a@b.example", "full_name": "A B", "company": "B",
            "company_size": 10, "industry": "retail", "role": "CTO", "channel": "web",
            "email": "evil@x.example"}}}}}}"#
    );
    let (s, v) = post(&r, &body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let text = v.to_string();
    assert!(text.contains("duplicate key `email`"), "{text}");
    assert!(!text.contains("evil@x.example"), "{text}");
}

/// lead-generation's entry of `GET /status`.
async fn lead_generation_status(r: Router) -> Value {
    let res = r
        .oneshot(Request::get("/status").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let v: Value =
        serde_json::from_slice(&to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
    v["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "lead-generation")
        .unwrap()
        .clone()
}

#[tokio::test]
async fn status_lists_agents_and_queue_depths() {
    let rt = rt();
    let r = router(rt.clone());
    post(&r, &entry("LeadCreated", lead()).to_string()).await;
    let lg = lead_generation_status(r).await;
    assert_eq!(lg["visible"], 1);
    assert_eq!(lg["queue"], "priority");
}

/// A PutEvents call through EventBridge's JSON protocol at `/`, as an SDK sends it.
async fn put_events_amz(
    r: &Router,
    target: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> (StatusCode, Value) {
    let mut req = Request::post("/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target);
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let res = r
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let s = res.status();
    assert_eq!(res.headers()["content-type"], "application/x-amz-json-1.1");
    let b = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (s, serde_json::from_slice(&b).unwrap())
}

const SIGNED_BY_CRM: &str = "AWS4-HMAC-SHA256 Credential=ascent.crm/20260302/us-east-1/events/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00";

#[tokio::test]
async fn put_events_through_the_sdk_protocol_takes_the_path_of_post_events() {
    let rt = rt();
    let r = router(rt.clone());
    let mut bad = lead();
    bad["company_size"] = json!(-5);
    let mut timed = entry("LeadCreated", lead());
    timed["Time"] = json!(1772442000);
    timed["EventBusName"] = json!("ascent-dev");
    let forged =
        json!({"Source": "ascent.approvals", "DetailType": "ApprovalDecided", "Detail": "{}"});
    let body = json!({"Entries": [entry("LeadCreated", lead()), entry("LeadCreated", bad), timed, forged]});
    let (s, v) = put_events_amz(&r, "AWSEvents.PutEvents", &[], &body.to_string()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["FailedEntryCount"], 2);
    assert!(v["Entries"][0]["EventId"].is_string(), "{v}");
    assert_eq!(v["Entries"][1]["ErrorCode"], "InvalidArgument");
    assert!(
        v["Entries"][1]["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("detail.payload.company_size")
    );
    assert!(v["Entries"][2]["EventId"].is_string(), "{v}");
    assert_eq!(v["Entries"][3]["ErrorCode"], "InvalidArgument");
    // The same answer as `POST /events` gives, entry by entry.
    let body = json!({"Entries": [entry("LeadCreated", lead()), forged_entry()]}).to_string();
    let (_, amz) = put_events_amz(&r, "AWSEvents.PutEvents", &[], &body).await;
    let (_, plain) = post(&r, &body).await;
    assert_eq!(amz["Entries"][1], plain["Entries"][1]);
    // Every entry refused: still 200, as PutEvents answers.
    let (s, v) = put_events_amz(
        &r,
        "AWSEvents.PutEvents",
        &[],
        &json!({"Entries": [forged_entry()]}).to_string(),
    )
    .await;
    assert_eq!(
        (s, v["FailedEntryCount"].clone()),
        (StatusCode::OK, json!(1))
    );
    let lg = lead_generation_status(r).await;
    assert_eq!(lg["visible"], 4);
}

fn forged_entry() -> Value {
    let mut e = entry("LeadCreated", lead());
    e["Source"] = json!("ascent.agent.lead-generation");
    e
}

#[tokio::test]
async fn a_caller_signing_as_a_producer_speaks_only_for_it() {
    let r = router(rt());
    let mut web = entry("LeadCreated", lead());
    web["Source"] = json!("ascent.web");
    let body = json!({"Entries": [entry("LeadCreated", lead()), web]}).to_string();
    let (s, v) = put_events_amz(
        &r,
        "AWSEvents.PutEvents",
        &[("authorization", SIGNED_BY_CRM)],
        &body,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["FailedEntryCount"], 1, "{v}");
    assert!(v["Entries"][0]["EventId"].is_string());
    assert_eq!(
        v["Entries"][1]["ErrorCode"],
        "NotAuthorizedForSourceException"
    );
    // An access key id that names no source: the entry still meets the producer check of
    // `POST /events` (`LeadCreated` comes only from `ascent.crm`).
    let other = SIGNED_BY_CRM.replace("ascent.crm", "AKIAIOSFODNN7EXAMPLE");
    let (_, v) = put_events_amz(
        &r,
        "AWSEvents.PutEvents",
        &[("authorization", &other)],
        &body,
    )
    .await;
    assert_eq!(v["FailedEntryCount"], 1, "{v}");
    assert_eq!(v["Entries"][1]["ErrorCode"], "InvalidArgument");
    assert!(
        v["Entries"][1]["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("comes only from `ascent.crm`")
    );
}

#[tokio::test]
async fn the_sdk_protocol_refuses_in_aws_error_shapes() {
    let r = router(rt());
    let one = json!({"Entries": [entry("LeadCreated", lead())]}).to_string();
    let (s, v) = put_events_amz(&r, "AWSEvents.ListRules", &[], &one).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["__type"], "UnknownOperationException");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("AWSEvents.ListRules")
    );
    let many: Vec<Value> = (0..11).map(|_| entry("LeadCreated", lead())).collect();
    let (s, v) = put_events_amz(
        &r,
        "AWSEvents.PutEvents",
        &[],
        &json!({"Entries": many}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["__type"], "ValidationException");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("less than or equal to 10"),
        "{v}"
    );
    let (s, v) = put_events_amz(&r, "AWSEvents.PutEvents", &[], "{not json").await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (StatusCode::BAD_REQUEST, Some("SerializationException"))
    );
    let (s, v) = put_events_amz(
        &r,
        "AWSEvents.PutEvents",
        &[("origin", "http://evil.example")],
        &one,
    )
    .await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (StatusCode::FORBIDDEN, Some("AccessDeniedException"))
    );
    // A twin with an events token takes it as the SDK's session token.
    let token = "t".repeat(40);
    let guarded = router_with(
        rt(),
        Arc::new(EventsAccess::new(Some(token.clone()), vec![])),
        &crate::http::Limits::default(),
        "Co",
    );
    let (s, v) = put_events_amz(
        &guarded,
        "AWSEvents.PutEvents",
        &[("authorization", SIGNED_BY_CRM)],
        &one,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["__type"], "UnrecognizedClientException");
    assert!(
        v["message"].as_str().unwrap().contains("AWS_SESSION_TOKEN"),
        "{v}"
    );
    let (s, v) = put_events_amz(
        &guarded,
        "AWSEvents.PutEvents",
        &[
            ("authorization", SIGNED_BY_CRM),
            ("x-amz-security-token", &token),
        ],
        &one,
    )
    .await;
    assert_eq!(
        (s, v["FailedEntryCount"].clone()),
        (StatusCode::OK, json!(0)),
        "{v}"
    );
    // `GET /` is still the index page.
    let res = r
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
