//! Communication compliance every agent that contacts people honours: the CAN-SPAM suppression
//! list (unsubscribed and hard-bounced addresses, never mailed again commercially), TCPA call
//! consent and do-not-call entries, and the window a call is allowed in, in the recipient's
//! time zone (the hours are a setting of the agent that calls: `[outreach.calls]`). The records
//! live in the customer domain under fixed keys, so any agent that reads that domain sees the
//! same list.

pub mod area_codes;
pub mod calls;
pub mod dnc_registry;

use crate::agent::{AgentError, Domain};
use crate::context::Ctx;
use crate::ports::Condition;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The hours of the day calls are allowed in, in the recipient's time zone (TCPA: 8:00 to
/// 21:00); `from` comes before `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallHours {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

impl std::fmt::Display for CallHours {
    /// `8:00-21:00`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{}",
            self.from.format("%-H:%M"),
            self.until.format("%-H:%M")
        )
    }
}

/// Lower-cased, trimmed address: the key of every per-address record.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// `+` and digits only (E.164 as written by people: spaces, dashes, brackets dropped).
pub fn normalise_phone(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

fn suppression_pk(email: &str) -> String {
    format!("suppression#{}", normalise_email(email))
}
fn consent_pk(phone: &str) -> String {
    format!("call-consent#{}", normalise_phone(phone))
}
fn dnc_pk(phone: &str) -> String {
    format!("do-not-call#{}", normalise_phone(phone))
}

/// Why an address or number is on a list, and since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    pub reason: String,
    pub evidence: String,
    pub since: DateTime<Utc>,
}

/// Whether commercial email to `email` is forbidden.
pub async fn is_suppressed(ctx: &mut Ctx<'_>, email: &str) -> Result<bool, AgentError> {
    Ok(ctx
        .get(Domain::Customer, &suppression_pk(email), "entry")
        .await?
        .is_some())
}

/// Puts an address on the suppression list (kept on a repeat: the first reason stands).
pub fn suppress(ctx: &mut Ctx<'_>, email: &str, entry: &ListEntry) -> Result<(), AgentError> {
    ctx.put_record(
        Domain::Customer,
        &suppression_pk(email),
        "entry",
        entry,
        None,
        Condition::Always,
    )
}

/// A consent to calls as recorded (`call-consent#<number>` / `consent`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallConsentRecord {
    /// Its kind; `None` for a consent recorded before kinds were (free text: not enough).
    #[serde(default)]
    pub kind: Option<crate::catalog::CallConsentKind>,
    pub evidence: String,
    #[serde(default)]
    pub given_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub disclosure: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub recording: Option<String>,
    pub since: DateTime<Utc>,
}

/// Records or withdraws consent to calls for a number.
pub fn set_call_consent(
    ctx: &mut Ctx<'_>,
    phone: &str,
    consent: Option<&CallConsentRecord>,
) -> Result<(), AgentError> {
    match consent {
        Some(e) => ctx.put_record(
            Domain::Customer,
            &consent_pk(phone),
            "consent",
            e,
            None,
            Condition::Always,
        ),
        None => ctx.delete(Domain::Customer, &consent_pk(phone), "consent"),
    }
}

/// The consent to calls recorded for a number, if any.
pub async fn call_consent(
    ctx: &mut Ctx<'_>,
    phone: &str,
) -> Result<Option<CallConsentRecord>, AgentError> {
    ctx.get_as(Domain::Customer, &consent_pk(phone), "consent")
        .await
}

/// Adds a number to the do-not-call list.
pub fn add_do_not_call(
    ctx: &mut Ctx<'_>,
    phone: &str,
    entry: &ListEntry,
) -> Result<(), AgentError> {
    ctx.put_record(
        Domain::Customer,
        &dnc_pk(phone),
        "entry",
        entry,
        None,
        Condition::Always,
    )
}

/// Whether a number is on the company's own do-not-call list (47 CFR 64.1200(d)).
pub async fn on_do_not_call_list(ctx: &mut Ctx<'_>, phone: &str) -> Result<bool, AgentError> {
    Ok(ctx
        .get(Domain::Customer, &dnc_pk(phone), "entry")
        .await?
        .is_some())
}

pub(crate) fn local(zone: Tz, date: chrono::NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    // A time in a DST gap (02:30 on the spring-forward day) does not exist: take the first
    // valid instant after it.
    let mut probe = date.and_time(t);
    loop {
        if let Some(dt) = zone.from_local_datetime(&probe).earliest() {
            return dt.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
}

/// An unsubscribe link's record (`unsubscribe#<token>` / `link`): whoever sends commercial
/// email writes one per recipient; the unsubscribe page reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeLink {
    pub email: String,
    /// The lead the link was made for.
    pub lead_id: String,
}

/// Partition key of an unsubscribe link's record (sort key `link`).
pub fn unsubscribe_pk(token: &str) -> String {
    format!("unsubscribe#{token}")
}

/// The key prefixes of unsubscribe links, one per agent that sends commercial email (each
/// owns its own: Outreach `unsubscribe#`, Email Marketing `email-unsubscribe#`); the page
/// looks a token up under each, in order.
pub const UNSUBSCRIBE_LINK_PREFIXES: [&str; 2] = ["unsubscribe#", "email-unsubscribe#"];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnsubscribeError {
    #[error("unsubscribe link not known")]
    UnknownLink,
    #[error("{0}")]
    Unavailable(String),
}

/// The unsubscribe page's port: who a link is for, and the opt-out itself (which becomes a
/// `ContactPreferenceChanged` event, so every agent learns it the usual way).
#[async_trait::async_trait]
pub trait UnsubscribeDesk: Send + Sync {
    async fn address(&self, token: &str) -> Result<String, UnsubscribeError>;
    async fn unsubscribe(&self, token: &str) -> Result<String, UnsubscribeError>;
}

/// The desk over any data lake and event bus (SQLite + the twin's router, DynamoDB +
/// EventBridge).
pub struct LakeUnsubscribeDesk {
    pub lake: std::sync::Arc<dyn crate::ports::DataLake>,
    pub bus: std::sync::Arc<dyn crate::ports::EventBus>,
    pub clock: std::sync::Arc<dyn crate::ports::Clock>,
}

#[async_trait::async_trait]
impl UnsubscribeDesk for LakeUnsubscribeDesk {
    async fn address(&self, token: &str) -> Result<String, UnsubscribeError> {
        // Tokens are hex; anything else is not ours (and never reaches the store as a key).
        if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(UnsubscribeError::UnknownLink);
        }
        let mut found = None;
        for prefix in UNSUBSCRIBE_LINK_PREFIXES {
            found = self
                .lake
                .get(Domain::Customer, &format!("{prefix}{token}"), "link")
                .await
                .map_err(|e| UnsubscribeError::Unavailable(e.to_string()))?;
            if found.is_some() {
                break;
            }
        }
        let item = found.ok_or(UnsubscribeError::UnknownLink)?;
        let link: UnsubscribeLink = item
            .parse()
            .map_err(|e| UnsubscribeError::Unavailable(e.to_string()))?;
        Ok(link.email)
    }

    async fn unsubscribe(&self, token: &str) -> Result<String, UnsubscribeError> {
        let email = self.address(token).await?;
        let now = self.clock.now();
        // One opt-out per link and day: a double click is the same event.
        let id = crate::event::name_uuid(&format!("unsubscribe|{token}|{}", now.date_naive()));
        let event = crate::event::Event::with_ids(
            "ascent.web",
            crate::event::Actor::human("unsubscribe-link"),
            now,
            crate::catalog::ContactPreferenceChanged {
                email: email.clone(),
                change: crate::catalog::ContactPreference::Unsubscribed,
                phone: None,
                evidence: format!("unsubscribe link {token} used at {now}"),
                consent: None,
            },
            id,
            id,
            None,
        );
        self.bus
            .publish(&[event])
            .await
            .map_err(|e| UnsubscribeError::Unavailable(e.to_string()))?;
        Ok(email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_hours_print_as_written() {
        let nine_to_five = CallHours {
            from: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            until: NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
        };
        assert_eq!(nine_to_five.to_string(), "9:00-17:30");
    }

    #[test]
    fn numbers_and_addresses_are_normalised() {
        assert_eq!(normalise_phone(" +1 (555) 010-2000"), "+15550102000");
        assert_eq!(normalise_email(" Ana@Boreal.AERO "), "ana@boreal.aero");
    }
}
