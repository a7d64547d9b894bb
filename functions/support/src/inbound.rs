//! Inbound tickets from the support desks' webhooks, verified before anything is believed.
//!
//! - Zendesk signs `timestamp + body` with HMAC-SHA256 under the webhook's signing secret and
//!   sends it base64 in `X-Zendesk-Webhook-Signature`, the timestamp in
//!   `X-Zendesk-Webhook-Signature-Timestamp`. The webhook's JSON body is configured in Zendesk
//!   as `{"ticket": {"id", "subject", "description", "via", "requester": {"email"},
//!   "organization": {"external_id"}}}` (`external_id` = our account id).
//! - Intercom signs the body with HMAC-SHA1 under the app's client secret and sends
//!   `X-Hub-Signature: sha1=<hex>`; a `conversation.user.created` notification becomes a
//!   ticket, the account from the conversation's `custom_attributes.account_id`.

use ascent_core::catalog::TicketOpened;
use ascent_core::event::{Actor, Event, name_uuid};
use base64::Engine;
use chrono::{DateTime, Utc};
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

fn field<'a>(v: &'a Value, path: &str) -> Result<&'a Value, InboundError> {
    let mut cur = v;
    for part in path.split('.') {
        cur = &cur[part];
    }
    if cur.is_null() {
        Err(InboundError::Missing(path.into()))
    } else {
        Ok(cur)
    }
}

fn text(v: &Value, path: &str) -> Result<String, InboundError> {
    let f = field(v, path)?;
    Ok(f.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| f.to_string()))
}

/// Drops HTML tags (Intercom bodies are HTML).
fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ticket_event(source_id: &str, t: TicketOpened, now: DateTime<Utc>) -> Event {
    let id = name_uuid(source_id);
    Event::with_ids(
        "ascent.support",
        Actor::system("support-desk"),
        now,
        t,
        id,
        id,
        None,
    )
}

/// Verifies a Zendesk delivery and turns it into `TicketOpened`.
pub fn zendesk(
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Event, InboundError> {
    let signature = signature.ok_or(InboundError::MissingHeader("X-Zendesk-Webhook-Signature"))?;
    let timestamp = timestamp.ok_or(InboundError::MissingHeader(
        "X-Zendesk-Webhook-Signature-Timestamp",
    ))?;
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key");
    mac.update(timestamp.as_bytes());
    mac.update(body);
    let expected = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| InboundError::Forged)?;
    mac.verify_slice(&expected)
        .map_err(|_| InboundError::Forged)?;
    let sent: DateTime<Utc> = timestamp
        .parse()
        .map_err(|_| InboundError::Malformed(format!("timestamp `{timestamp}`")))?;
    let age = (now - sent).num_seconds().abs();
    if age > TOLERANCE_SECONDS {
        return Err(InboundError::Stale { age });
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    let id = text(&v, "ticket.id")?;
    Ok(ticket_event(
        &format!("zendesk|{id}"),
        TicketOpened {
            ticket_id: format!("zd-{id}"),
            account_id: text(&v, "ticket.organization.external_id")?,
            subject: text(&v, "ticket.subject")?,
            body: text(&v, "ticket.description")?,
            channel: v["ticket"]["via"].as_str().unwrap_or("web").to_string(),
            requester: v["ticket"]["requester"]["email"]
                .as_str()
                .map(str::to_string),
            created_at: None,
        },
        now,
    ))
}

/// Verifies an Intercom notification; `Ok(None)` for topics that are not a new conversation.
pub fn intercom(
    body: &[u8],
    signature: Option<&str>,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<Event>, InboundError> {
    let signature = signature.ok_or(InboundError::MissingHeader("X-Hub-Signature"))?;
    let hex_sig = signature
        .trim()
        .strip_prefix("sha1=")
        .ok_or(InboundError::Forged)?;
    let expected = hex::decode(hex_sig).map_err(|_| InboundError::Forged)?;
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| InboundError::Forged)?;
    let v: Value =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    if v["topic"].as_str() != Some("conversation.user.created") {
        return Ok(None);
    }
    // Intercom retries with the same notification id; old ones are replays.
    if let Some(created) = v["created_at"].as_i64() {
        let age = now.timestamp() - created;
        if age > TOLERANCE_SECONDS {
            return Err(InboundError::Stale { age });
        }
    }
    let item = field(&v, "data.item")?;
    let id = text(item, "id")?;
    let body_html = text(item, "source.body")?;
    let subject = item["source"]["subject"]
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .map(plain)
        .unwrap_or_else(|| plain(&body_html).chars().take(80).collect());
    Ok(Some(ticket_event(
        &format!("intercom|{id}"),
        TicketOpened {
            ticket_id: format!("ic-{id}"),
            account_id: text(item, "custom_attributes.account_id").map_err(|_| {
                InboundError::Missing("data.item.custom_attributes.account_id".into())
            })?,
            subject,
            body: plain(&body_html),
            channel: "chat".into(),
            requester: item["source"]["author"]["email"]
                .as_str()
                .map(str::to_string),
            created_at: None,
        },
        now,
    )))
}

/// Zendesk's signature of a body (tests, local tooling).
pub fn zendesk_signature(body: &[u8], timestamp: &str, secret: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key");
    mac.update(timestamp.as_bytes());
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Intercom's `X-Hub-Signature` of a body (tests, local tooling).
pub fn intercom_signature(body: &[u8], secret: &str) -> String {
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::catalog::Payload;
    use serde_json::json;

    const SECRET: &str = "dGhpc19pc19hX3NlY3JldA";

    fn now() -> DateTime<Utc> {
        "2026-03-10T14:00:00Z".parse().unwrap()
    }

    #[test]
    fn zendesk_deliveries_are_verified_then_become_tickets() {
        let body = json!({"ticket": {"id": 4711, "subject": "Headset does not pair", "description": "Since the update.",
            "via": "email", "requester": {"email": "ops@boreal.example"}, "organization": {"external_id": "A1"}}})
        .to_string();
        let ts = "2026-03-10T13:59:30Z";
        let sig = zendesk_signature(body.as_bytes(), ts, SECRET);
        let e = zendesk(body.as_bytes(), Some(&sig), Some(ts), SECRET, now()).unwrap();
        let Payload::TicketOpened(t) = e.payload() else {
            unreachable!()
        };
        assert_eq!(
            (t.ticket_id.as_str(), t.account_id.as_str()),
            ("zd-4711", "A1")
        );
        assert_eq!(t.requester.as_deref(), Some("ops@boreal.example"));
        // The same delivery again is the same event.
        let again = zendesk(body.as_bytes(), Some(&sig), Some(ts), SECRET, now()).unwrap();
        assert_eq!(again.detail.event_id, e.detail.event_id);
        // Altered, other secret, replayed, unsigned, incomplete.
        let altered = body.replace("A1", "A2");
        assert_eq!(
            zendesk(altered.as_bytes(), Some(&sig), Some(ts), SECRET, now()),
            Err(InboundError::Forged)
        );
        let other = zendesk_signature(body.as_bytes(), ts, "someone-else");
        assert_eq!(
            zendesk(body.as_bytes(), Some(&other), Some(ts), SECRET, now()),
            Err(InboundError::Forged)
        );
        let old = "2026-03-10T12:00:00Z";
        let sig_old = zendesk_signature(body.as_bytes(), old, SECRET);
        assert_eq!(
            zendesk(body.as_bytes(), Some(&sig_old), Some(old), SECRET, now()),
            Err(InboundError::Stale { age: 7200 })
        );
        assert_eq!(
            zendesk(body.as_bytes(), None, Some(ts), SECRET, now()),
            Err(InboundError::MissingHeader("X-Zendesk-Webhook-Signature"))
        );
        let partial = json!({"ticket": {"id": 1, "subject": "x", "description": "y"}}).to_string();
        let sig = zendesk_signature(partial.as_bytes(), ts, SECRET);
        assert_eq!(
            zendesk(partial.as_bytes(), Some(&sig), Some(ts), SECRET, now()),
            Err(InboundError::Missing(
                "ticket.organization.external_id".into()
            ))
        );
    }

    #[test]
    fn intercom_conversations_are_verified_and_other_topics_ignored() {
        let body = json!({"type": "notification_event", "topic": "conversation.user.created", "id": "notif_1",
            "created_at": now().timestamp() - 10,
            "data": {"item": {"id": "99", "custom_attributes": {"account_id": "A7"},
                "source": {"subject": "", "body": "<p>Studio is <b>slow</b> today</p>", "author": {"email": "amy@kite.example"}}}}})
        .to_string();
        let sig = intercom_signature(body.as_bytes(), SECRET);
        let e = intercom(body.as_bytes(), Some(&sig), SECRET, now())
            .unwrap()
            .unwrap();
        let Payload::TicketOpened(t) = e.payload() else {
            unreachable!()
        };
        assert_eq!(t.body, "Studio is slow today");
        assert_eq!(t.subject, "Studio is slow today");
        assert_eq!(
            (
                t.ticket_id.as_str(),
                t.account_id.as_str(),
                t.channel.as_str()
            ),
            ("ic-99", "A7", "chat")
        );
        assert_eq!(
            intercom(body.as_bytes(), Some("sha1=00"), SECRET, now()),
            Err(InboundError::Forged)
        );
        let other = json!({"topic": "user.created"}).to_string();
        let sig = intercom_signature(other.as_bytes(), SECRET);
        assert_eq!(
            intercom(other.as_bytes(), Some(&sig), SECRET, now()),
            Ok(None)
        );
    }
}
