//! Inbound CRM webhooks, verified before anything is believed, into `ContactUpdated` events
//! (source `ascent.crm`; ids derived from the CRM's own ids, so a redelivery is the same event).
//!
//! - **HubSpot** (webhooks API v3 signature): `X-HubSpot-Signature-v3` is the base64
//!   HMAC-SHA256, under the app's client secret, of `method + uri + body + timestamp`, where
//!   `uri` is the full URL HubSpot called and `timestamp` the `X-HubSpot-Request-Timestamp`
//!   header (milliseconds); a delivery older than 5 minutes is refused. The body is a list of
//!   subscription events; each `contact.propertyChange` of `email`, `phone`, `company`,
//!   `country` or `jobtitle` becomes one `ContactUpdated` of that field. Name changes and
//!   creations are acknowledged and left to the hourly pull, which reads first and last name
//!   together.
//! - **Salesforce** (a shared-secret HMAC, not outbound messages: those are SOAP and signed
//!   by a client certificate): an Apex trigger or a Flow's HTTP callout posts the changed
//!   Contact as JSON (`Id`, `LastModifiedDate` and the fields that changed: `Email`,
//!   `FirstName` + `LastName`, `Phone`, `MailingCountry`, `Title`) with
//!   `X-Salesforce-Timestamp` (Unix seconds) and `X-Salesforce-Signature`, the base64
//!   HMAC-SHA256 of `timestamp + "." + body` under the shared secret (Apex:
//!   `Crypto.generateMac('hmacSHA256', …)`); 5 minutes' tolerance.

use ascent_core::catalog::ContactUpdated;
use ascent_core::event::{Actor, Event, name_uuid};
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;

/// Deliveries older than this are refused (replays).
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("header `{0}` is missing")]
    MissingHeader(&'static str),
    #[error("no signature matches: the body was altered or signed with another secret")]
    Forged,
    #[error("the delivery is {age} s old (tolerance {TOLERANCE_SECONDS} s): a replay")]
    Stale { age: i64 },
    #[error("not JSON: {0}")]
    Malformed(String),
    #[error("field `{0}` is missing")]
    Missing(String),
}

fn mac(secret: &str, parts: &[&[u8]]) -> Hmac<sha2::Sha256> {
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key");
    for p in parts {
        m.update(p);
    }
    m
}

fn verify(m: Hmac<sha2::Sha256>, signature: &str) -> Result<(), InboundError> {
    let expected = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| InboundError::Forged)?;
    m.verify_slice(&expected).map_err(|_| InboundError::Forged)
}

fn fresh(sent: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), InboundError> {
    let age = (now - sent).num_seconds().abs();
    if age > TOLERANCE_SECONDS {
        return Err(InboundError::Stale { age });
    }
    Ok(())
}

fn event(id: &str, c: ContactUpdated, now: DateTime<Utc>) -> Event {
    let id = name_uuid(id);
    Event::with_ids("ascent.crm", Actor::system("crm"), now, c, id, id, None)
}

fn empty(system: &str, record_id: String, changed_at: DateTime<Utc>) -> ContactUpdated {
    ContactUpdated {
        system: system.into(),
        record_id,
        changed_at,
        email: None,
        full_name: None,
        company: None,
        phone: None,
        country: None,
        job_title: None,
    }
}

/// HubSpot's `X-HubSpot-Signature-v3` of a delivery (tests, local tooling).
pub fn hubspot_signature(
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp: &str,
    secret: &str,
) -> String {
    let m = mac(
        secret,
        &[
            method.as_bytes(),
            uri.as_bytes(),
            body,
            timestamp.as_bytes(),
        ],
    );
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// Verifies a HubSpot delivery and turns its contact property changes into events.
pub fn hubspot(
    method: &str,
    uri: &str,
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, InboundError> {
    let signature = signature.ok_or(InboundError::MissingHeader("X-HubSpot-Signature-v3"))?;
    let timestamp = timestamp.ok_or(InboundError::MissingHeader("X-HubSpot-Request-Timestamp"))?;
    verify(
        mac(
            secret,
            &[
                method.as_bytes(),
                uri.as_bytes(),
                body,
                timestamp.as_bytes(),
            ],
        ),
        signature,
    )?;
    let ms: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| InboundError::Malformed("X-HubSpot-Request-Timestamp".into()))?;
    let sent = Utc
        .timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| InboundError::Malformed("X-HubSpot-Request-Timestamp".into()))?;
    fresh(sent, now)?;
    let v: Value =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    let list = v
        .as_array()
        .ok_or_else(|| InboundError::Malformed("not a list of events".into()))?;
    let mut events = Vec::new();
    for (i, e) in list.iter().enumerate() {
        if e["subscriptionType"].as_str() != Some("contact.propertyChange") {
            continue;
        }
        let object = match &e["objectId"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(InboundError::Missing(format!("[{i}].objectId"))),
        };
        let at = e["occurredAt"]
            .as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .ok_or_else(|| InboundError::Missing(format!("[{i}].occurredAt")))?;
        let value = e["propertyValue"].as_str().map(str::to_string);
        let mut c = empty("hubspot", object, at);
        match e["propertyName"].as_str() {
            Some("email") => c.email = value,
            Some("phone") => c.phone = value,
            Some("company") => c.company = value,
            Some("country") => c.country = value,
            Some("jobtitle") => c.job_title = value,
            _ => continue,
        }
        let id = e["eventId"].to_string();
        events.push(event(&format!("hubspot|{id}"), c, now));
    }
    Ok(events)
}

/// The Salesforce callout's `X-Salesforce-Signature` (tests, the Apex side's reference).
pub fn salesforce_signature(body: &[u8], timestamp: &str, secret: &str) -> String {
    let m = mac(secret, &[timestamp.as_bytes(), b".", body]);
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// Verifies a Salesforce callout and turns the changed Contact into an event.
pub fn salesforce(
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Event, InboundError> {
    let signature = signature.ok_or(InboundError::MissingHeader("X-Salesforce-Signature"))?;
    let timestamp = timestamp.ok_or(InboundError::MissingHeader("X-Salesforce-Timestamp"))?;
    verify(mac(secret, &[timestamp.as_bytes(), b".", body]), signature)?;
    let secs: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| InboundError::Malformed("X-Salesforce-Timestamp".into()))?;
    let sent = Utc
        .timestamp_opt(secs, 0)
        .single()
        .ok_or_else(|| InboundError::Malformed("X-Salesforce-Timestamp".into()))?;
    fresh(sent, now)?;
    let v: Value =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    let r = crate::salesforce::contact_of(&v).map_err(|e| match e {
        crate::connector::SyncError::BadAnswer(m) => InboundError::Missing(m),
        other => InboundError::Malformed(other.to_string()),
    })?;
    let mut c = empty("salesforce", r.record_id.clone(), r.modified_at);
    c.email = r.fields.email;
    c.full_name = r.fields.full_name;
    c.company = r.fields.company;
    c.phone = r.fields.phone;
    c.country = r.fields.country;
    c.job_title = r.fields.job_title;
    let stamp = r.modified_at.timestamp_millis();
    Ok(event(
        &format!("salesforce|{}|{stamp}", r.record_id),
        c,
        now,
    ))
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
