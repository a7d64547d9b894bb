//! # Webhook ingest
//!
//! Inbound webhooks from business systems become catalog events on the bus, only after their
//! signature is verified. `POST /webhooks/stripe`: the `Stripe-Signature` header is checked
//! (HMAC-SHA256 over `t.body`, 5-minute tolerance; [`billing::stripe`]); a forged, altered or
//! replayed delivery gets `400` with the reason, which Stripe's dashboard shows. Payment
//! events Billing uses (`payment_intent.succeeded`, `payment_intent.payment_failed`,
//! `charge.refunded`) are put on the bus with an id derived from Stripe's event id, so a
//! Stripe retry is the same event; other types are acknowledged and ignored. The answer is
//! sent only after the bus accepted the event: on a bus failure Stripe gets `503` and retries.

use ascent_core::ports::{Clock, EventBus};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use std::sync::Arc;

/// Largest webhook body accepted (Stripe's events are a few KB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What the webhook routes need.
pub struct Webhooks {
    pub bus: Arc<dyn EventBus>,
    pub clock: Arc<dyn Clock>,
    /// The Stripe endpoint's signing secret (`whsec_…`); `None` refuses Stripe deliveries.
    pub stripe_secret: Option<String>,
    /// Zendesk webhook signing secret; `None` refuses Zendesk deliveries.
    pub zendesk_secret: Option<String>,
    /// Intercom app client secret; `None` refuses Intercom deliveries.
    pub intercom_secret: Option<String>,
    /// HubSpot app client secret (webhooks signature v3); `None` refuses HubSpot deliveries.
    pub hubspot_secret: Option<String>,
    /// The secret Salesforce's callouts are signed with; `None` refuses them.
    pub salesforce_secret: Option<String>,
}

/// `POST /webhooks/stripe`, `POST /webhooks/zendesk`, `POST /webhooks/intercom`,
/// `POST /webhooks/hubspot`, `POST /webhooks/salesforce`.
pub fn router(webhooks: Arc<Webhooks>) -> Router {
    Router::new()
        .route("/webhooks/stripe", post(stripe))
        .route("/webhooks/zendesk", post(zendesk))
        .route("/webhooks/intercom", post(intercom))
        .route("/webhooks/hubspot", post(hubspot))
        .route("/webhooks/salesforce", post(salesforce))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(webhooks)
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn stripe(State(w): State<Arc<Webhooks>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &w.stripe_secret else {
        return answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "Stripe webhooks are not configured: set ASCENT_STRIPE_WEBHOOK_SECRET"}),
        );
    };
    let Some(signature) = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "the Stripe-Signature header is missing"}),
        );
    };
    let now = w.clock.now();
    match billing::stripe::to_event(
        &body,
        signature,
        secret,
        now,
        billing::stripe::DEFAULT_TOLERANCE_SECONDS,
    ) {
        Err(e) => {
            tracing::warn!(error = %e, "Stripe delivery refused");
            answer(StatusCode::BAD_REQUEST, json!({"error": e.to_string()}))
        }
        Ok(None) => answer(StatusCode::OK, json!({"ignored": true})),
        Ok(Some(event)) => match w.bus.publish(std::slice::from_ref(&event)).await {
            Ok(()) => answer(
                StatusCode::OK,
                json!({"event_id": event.detail.event_id, "detail_type": event.detail_type()}),
            ),
            Err(e) => {
                tracing::error!(error = %e, "Stripe event not put on the bus");
                answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"error": "the event bus did not take the event; retry"}),
                )
            }
        },
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn put(w: &Webhooks, event: ascent_core::event::Event) -> Response {
    match w.bus.publish(std::slice::from_ref(&event)).await {
        Ok(()) => answer(
            StatusCode::OK,
            json!({"event_id": event.detail.event_id, "detail_type": event.detail_type()}),
        ),
        Err(e) => {
            tracing::error!(error = %e, "webhook event not put on the bus");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "the event bus did not take the event; retry"}),
            )
        }
    }
}

fn not_configured(what: &str, var: &str) -> Response {
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"error": format!("{what} webhooks are not configured: set {var}")}),
    )
}

/// Zendesk: a new ticket (see [`support::inbound`] for the body the webhook sends).
async fn zendesk(State(w): State<Arc<Webhooks>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &w.zendesk_secret else {
        return not_configured("Zendesk", "ASCENT_ZENDESK_WEBHOOK_SECRET");
    };
    match support::inbound::zendesk(
        &body,
        header(&headers, "x-zendesk-webhook-signature"),
        header(&headers, "x-zendesk-webhook-signature-timestamp"),
        secret,
        w.clock.now(),
    ) {
        Ok(event) => put(&w, event).await,
        Err(e) => {
            tracing::warn!(error = %e, "Zendesk delivery refused");
            answer(StatusCode::BAD_REQUEST, json!({"error": e.to_string()}))
        }
    }
}

/// Intercom: a conversation a user started becomes a ticket; other topics are acknowledged.
async fn intercom(State(w): State<Arc<Webhooks>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &w.intercom_secret else {
        return not_configured("Intercom", "ASCENT_INTERCOM_CLIENT_SECRET");
    };
    match support::inbound::intercom(
        &body,
        header(&headers, "x-hub-signature"),
        secret,
        w.clock.now(),
    ) {
        Ok(Some(event)) => put(&w, event).await,
        Ok(None) => answer(StatusCode::OK, json!({"ignored": true})),
        Err(e) => {
            tracing::warn!(error = %e, "Intercom delivery refused");
            answer(StatusCode::BAD_REQUEST, json!({"error": e.to_string()}))
        }
    }
}

/// HubSpot: contact property changes, signed with `X-HubSpot-Signature-v3` over the full URL
/// HubSpot called (scheme from `X-Forwarded-Proto`, else https; the `Host` header; the path);
/// see [`crm_management::inbound`].
async fn hubspot(
    State(w): State<Arc<Webhooks>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(secret) = &w.hubspot_secret else {
        return not_configured("HubSpot", "ASCENT_HUBSPOT_CLIENT_SECRET");
    };
    let scheme = header(&headers, "x-forwarded-proto").unwrap_or("https");
    let host = header(&headers, "host").unwrap_or_default();
    let path = uri
        .path_and_query()
        .map_or("/webhooks/hubspot", |p| p.as_str());
    let full = format!("{scheme}://{host}{path}");
    match crm_management::inbound::hubspot(
        "POST",
        &full,
        &body,
        header(&headers, "x-hubspot-signature-v3"),
        header(&headers, "x-hubspot-request-timestamp"),
        secret,
        w.clock.now(),
    ) {
        Ok(events) if events.is_empty() => answer(StatusCode::OK, json!({"ignored": true})),
        Ok(events) => match w.bus.publish(&events).await {
            Ok(()) => answer(StatusCode::OK, json!({"events": events.len()})),
            Err(e) => {
                tracing::error!(error = %e, "HubSpot events not put on the bus");
                answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"error": "the event bus did not take the events; retry"}),
                )
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "HubSpot delivery refused");
            answer(StatusCode::BAD_REQUEST, json!({"error": e.to_string()}))
        }
    }
}

/// Salesforce: a changed Contact posted by an Apex trigger or Flow, signed with the shared
/// secret (`X-Salesforce-Signature`); see [`crm_management::inbound`].
async fn salesforce(State(w): State<Arc<Webhooks>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &w.salesforce_secret else {
        return not_configured("Salesforce", "ASCENT_SALESFORCE_WEBHOOK_SECRET");
    };
    match crm_management::inbound::salesforce(
        &body,
        header(&headers, "x-salesforce-signature"),
        header(&headers, "x-salesforce-timestamp"),
        secret,
        w.clock.now(),
    ) {
        Ok(event) => put(&w, event).await,
        Err(e) => {
            tracing::warn!(error = %e, "Salesforce delivery refused");
            answer(StatusCode::BAD_REQUEST, json!({"error": e.to_string()}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::event::Event;
    use ascent_core::ports::{BusError, ManualClock};
    use axum::body::Body;
    use axum::http::Request;
    use std::sync::Mutex;
    use tower::ServiceExt;

    const SECRET: &str = "whsec_test_0123456789abcdef";

    #[derive(Default)]
    struct Recorded(Mutex<Vec<Event>>, bool);

    #[async_trait::async_trait]
    impl EventBus for Recorded {
        async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
            if self.1 {
                return Err(BusError("throttled".into()));
            }
            self.0.lock().unwrap().extend_from_slice(events);
            Ok(())
        }
    }

    fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-03-20T12:00:00Z".parse().unwrap()
    }

    fn body(kind: &str) -> String {
        json!({"id": "evt_1", "type": kind, "created": now().timestamp(),
            "data": {"object": {"id": "pi_1", "amount": 4_547_400, "amount_received": 4_547_400,
            "currency": "usd", "metadata": {"invoice_id": "inv-D00042"}}}})
        .to_string()
    }

    async fn post(bus: Arc<Recorded>, body: &str, sig: Option<String>) -> (StatusCode, String) {
        let app = router(Arc::new(Webhooks {
            bus,
            clock: Arc::new(ManualClock::new(now())),
            stripe_secret: Some(SECRET.into()),
            zendesk_secret: Some(SECRET.into()),
            intercom_secret: None,
            hubspot_secret: None,
            salesforce_secret: None,
        }));
        let mut req = Request::post("/webhooks/stripe");
        if let Some(s) = sig {
            req = req.header("stripe-signature", s);
        }
        let res = app
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn a_signed_payment_goes_on_the_bus_once_per_stripe_event() {
        let bus = Arc::new(Recorded::default());
        let b = body("payment_intent.succeeded");
        let sig = billing::stripe::sign(b.as_bytes(), SECRET, now().timestamp());
        let (s1, r1) = post(bus.clone(), &b, Some(sig.clone())).await;
        let (s2, r2) = post(bus.clone(), &b, Some(sig)).await;
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
        assert_eq!(r1, r2, "a Stripe retry is the same event");
        let events = bus.0.lock().unwrap().clone();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].detail.event_id, events[1].detail.event_id);
        assert_eq!(events[0].detail_type(), "PaymentReceived");
        assert_eq!(events[0].source, "ascent.payments");
    }

    #[tokio::test]
    async fn forged_replayed_unsigned_and_unknown_deliveries() {
        let bus = Arc::new(Recorded::default());
        let b = body("payment_intent.succeeded");
        let forged = billing::stripe::sign(b.as_bytes(), "whsec_someone_else", now().timestamp());
        let (s, r) = post(bus.clone(), &b, Some(forged)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(r.contains("no signature matches"), "{r}");
        let old = billing::stripe::sign(b.as_bytes(), SECRET, now().timestamp() - 3_600);
        let (s, r) = post(bus.clone(), &b, Some(old)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(r.contains("3600 s old"), "{r}");
        let (s, r) = post(bus.clone(), &b, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(r.contains("Stripe-Signature header is missing"));
        let other = body("customer.created");
        let sig = billing::stripe::sign(other.as_bytes(), SECRET, now().timestamp());
        let (s, r) = post(bus.clone(), &other, Some(sig)).await;
        assert_eq!((s, r.as_str()), (StatusCode::OK, "{\"ignored\":true}"));
        assert!(bus.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_bus_failure_asks_stripe_to_retry() {
        let bus = Arc::new(Recorded(Mutex::default(), true));
        let b = body("payment_intent.payment_failed");
        let sig = billing::stripe::sign(b.as_bytes(), SECRET, now().timestamp());
        let (s, _) = post(bus, &b, Some(sig)).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn zendesk_tickets_are_verified_and_intercom_needs_its_secret() {
        let bus = Arc::new(Recorded::default());
        let app = router(Arc::new(Webhooks {
            bus: bus.clone(),
            clock: Arc::new(ManualClock::new(now())),
            stripe_secret: None,
            zendesk_secret: Some(SECRET.into()),
            intercom_secret: None,
            hubspot_secret: None,
            salesforce_secret: None,
        }));
        let body = json!({"ticket": {"id": 7, "subject": "Headset", "description": "does not pair",
            "organization": {"external_id": "A1"}}})
        .to_string();
        let ts = "2026-03-20T11:59:50Z";
        let sig = support::inbound::zendesk_signature(body.as_bytes(), ts, SECRET);
        let send = |sig: String| {
            Request::post("/webhooks/zendesk")
                .header("x-zendesk-webhook-signature", sig)
                .header("x-zendesk-webhook-signature-timestamp", ts)
                .body(Body::from(body.clone()))
                .unwrap()
        };
        let ok = app.clone().oneshot(send(sig)).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        let forged = app.clone().oneshot(send("AAAA".into())).await.unwrap();
        assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
        assert_eq!(bus.0.lock().unwrap()[0].detail_type(), "TicketOpened");
        let ic = app
            .oneshot(
                Request::post("/webhooks/intercom")
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(ic.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn crm_webhooks_put_contact_updates_on_the_bus_and_refuse_forged_ones() {
        let bus = Arc::new(Recorded::default());
        let app = router(Arc::new(Webhooks {
            bus: bus.clone(),
            clock: Arc::new(ManualClock::new(now())),
            stripe_secret: None,
            zendesk_secret: None,
            intercom_secret: None,
            hubspot_secret: Some(SECRET.into()),
            salesforce_secret: Some(SECRET.into()),
        }));
        let body = json!([{"eventId": 77, "subscriptionType": "contact.propertyChange",
            "objectId": 51234, "propertyName": "jobtitle", "propertyValue": "COO",
            "occurredAt": now().timestamp_millis() - 5_000, "portalId": 62515}])
        .to_string();
        let ts = now().timestamp_millis().to_string();
        let url = "https://hooks.ascent-xr.example/webhooks/hubspot";
        let hs = |sig: String| {
            Request::post("/webhooks/hubspot")
                .header("host", "hooks.ascent-xr.example")
                .header("x-hubspot-signature-v3", sig)
                .header("x-hubspot-request-timestamp", ts.clone())
                .body(Body::from(body.clone()))
                .unwrap()
        };
        let good =
            crm_management::inbound::hubspot_signature("POST", url, body.as_bytes(), &ts, SECRET);
        let ok = app.clone().oneshot(hs(good)).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        let forged =
            crm_management::inbound::hubspot_signature("POST", url, body.as_bytes(), &ts, "not-it");
        let no = app.clone().oneshot(hs(forged)).await.unwrap();
        assert_eq!(no.status(), StatusCode::BAD_REQUEST);

        let contact = json!({"Id": "0035e00000AbCdEAAZ", "Title": "COO",
            "LastModifiedDate": "2026-03-20T11:59:00.000+0000"})
        .to_string();
        let sts = now().timestamp().to_string();
        let sf = |sig: String| {
            Request::post("/webhooks/salesforce")
                .header("x-salesforce-signature", sig)
                .header("x-salesforce-timestamp", sts.clone())
                .body(Body::from(contact.clone()))
                .unwrap()
        };
        let good = crm_management::inbound::salesforce_signature(contact.as_bytes(), &sts, SECRET);
        assert_eq!(
            app.clone().oneshot(sf(good)).await.unwrap().status(),
            StatusCode::OK
        );
        let forged =
            crm_management::inbound::salesforce_signature(contact.as_bytes(), &sts, "not-it");
        assert_eq!(
            app.oneshot(sf(forged)).await.unwrap().status(),
            StatusCode::BAD_REQUEST
        );

        let events = bus.0.lock().unwrap().clone();
        assert_eq!(
            events.len(),
            2,
            "the forged deliveries put nothing on the bus"
        );
        assert!(
            events
                .iter()
                .all(|e| e.detail_type() == "ContactUpdated" && e.source == "ascent.crm")
        );
    }
}
