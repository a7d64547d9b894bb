//! Communication compliance every agent that contacts people honours: the CAN-SPAM suppression
//! list (unsubscribed and hard-bounced addresses, never mailed again commercially), TCPA call
//! consent and do-not-call entries, and the hours calls are allowed in the recipient's time
//! zone. The records live in the customer domain under fixed keys, so any agent that reads
//! that domain sees the same list.

use crate::agent::{AgentError, Domain};
use crate::context::Ctx;
use crate::ports::Condition;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Calls and texts are allowed from 8:00 to 21:00 in the recipient's time zone (TCPA).
pub const CALLS_FROM: (u32, u32) = (8, 0);
pub const CALLS_UNTIL: (u32, u32) = (21, 0);

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

/// Records or withdraws prior express consent to calls for a number.
pub fn set_call_consent(
    ctx: &mut Ctx<'_>,
    phone: &str,
    consent: Option<&ListEntry>,
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

/// Whether a number may be called at all: consent recorded and not on the do-not-call list.
/// `Err` carries the reason it may not.
pub async fn may_call(ctx: &mut Ctx<'_>, phone: &str) -> Result<Result<(), String>, AgentError> {
    if ctx
        .get(Domain::Customer, &dnc_pk(phone), "entry")
        .await?
        .is_some()
    {
        return Ok(Err(format!(
            "{} is on the do-not-call list",
            normalise_phone(phone)
        )));
    }
    if ctx
        .get(Domain::Customer, &consent_pk(phone), "consent")
        .await?
        .is_none()
    {
        return Ok(Err(format!(
            "no recorded consent to call {}",
            normalise_phone(phone)
        )));
    }
    Ok(Ok(()))
}

fn local(zone: Tz, date: chrono::NaiveDate, (h, m): (u32, u32)) -> DateTime<Utc> {
    let t = date.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("valid hour"));
    // 8:00 and 21:00 never fall in a DST gap anywhere today; if one ever does, take the
    // first valid instant after it.
    let mut probe = t;
    loop {
        if let Some(dt) = zone.from_local_datetime(&probe).earliest() {
            return dt.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
}

/// The next period calls are allowed in, as UTC instants: the current one if `now` is inside
/// 8:00–21:00 local time, else the next day's (or today's, before 8:00).
pub fn call_window(now: DateTime<Utc>, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.with_timezone(&zone).date_naive();
    for day in [today, today + Duration::days(1)] {
        let (start, end) = (local(zone, day, CALLS_FROM), local(zone, day, CALLS_UNTIL));
        if now < end {
            return (start.max(now), end);
        }
    }
    unreachable!("tomorrow's window always ends after now")
}

/// The time zone of a country that has only one (for a lead that gave a country but no zone).
pub fn single_zone_of(country: &str) -> Option<Tz> {
    let zone = match country.to_ascii_uppercase().as_str() {
        "DE" => "Europe/Berlin",
        "GB" | "UK" => "Europe/London",
        "FR" => "Europe/Paris",
        "NL" => "Europe/Amsterdam",
        "BE" => "Europe/Brussels",
        "IE" => "Europe/Dublin",
        "IT" => "Europe/Rome",
        "ES" => "Europe/Madrid",
        "CH" => "Europe/Zurich",
        "AT" => "Europe/Vienna",
        "SE" => "Europe/Stockholm",
        "NO" => "Europe/Oslo",
        "DK" => "Europe/Copenhagen",
        "FI" => "Europe/Helsinki",
        "PL" => "Europe/Warsaw",
        "JP" => "Asia/Tokyo",
        "KR" => "Asia/Seoul",
        "SG" => "Asia/Singapore",
        "IN" => "Asia/Kolkata",
        "IL" => "Asia/Jerusalem",
        "AE" => "Asia/Dubai",
        "NZ" => "Pacific/Auckland",
        _ => return None, // US, CA, AU, BR, MX, RU, …: several zones, the lead must say
    };
    zone.parse().ok()
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
        let item = self
            .lake
            .get(Domain::Customer, &unsubscribe_pk(token), "link")
            .await
            .map_err(|e| UnsubscribeError::Unavailable(e.to_string()))?
            .ok_or(UnsubscribeError::UnknownLink)?;
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
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn inside_the_hours_the_window_is_now_until_nine_pm_local() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 15:00 UTC = 11:00 EDT on 2026-06-10.
        let (s, e) = call_window(utc(2026, 6, 10, 15, 0), ny);
        assert_eq!(s, utc(2026, 6, 10, 15, 0));
        assert_eq!(e, utc(2026, 6, 11, 1, 0)); // 21:00 EDT
    }

    #[test]
    fn late_at_night_the_window_is_tomorrow_morning() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 21:30 UTC = 23:30 CEST.
        let (s, e) = call_window(utc(2026, 6, 10, 21, 30), berlin);
        assert_eq!(s, utc(2026, 6, 11, 6, 0)); // 8:00 CEST
        assert_eq!(e, utc(2026, 6, 11, 19, 0));
        // Early morning local: today's window.
        let (s, _) = call_window(utc(2026, 6, 11, 4, 0), berlin);
        assert_eq!(s, utc(2026, 6, 11, 6, 0));
    }

    #[test]
    fn the_window_follows_dst_changes() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // US DST starts 2026-03-08: 8:00 EST on the 7th is 13:00 UTC, 8:00 EDT on the 8th 12:00.
        let (s, _) = call_window(utc(2026, 3, 7, 3, 0), ny); // 22:00 EST on the 6th
        assert_eq!(s, utc(2026, 3, 7, 13, 0));
        let (s, e) = call_window(utc(2026, 3, 8, 4, 0), ny); // 23:00 EST on the 7th
        assert_eq!(s, utc(2026, 3, 8, 12, 0));
        assert_eq!(e, utc(2026, 3, 9, 1, 0)); // 21:00 EDT
        // Europe falls back 2026-10-25: 8:00 CET = 7:00 UTC.
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let (s, _) = call_window(utc(2026, 10, 24, 22, 0), berlin);
        assert_eq!(s, utc(2026, 10, 25, 7, 0));
    }

    #[test]
    fn only_single_zone_countries_give_a_zone() {
        assert_eq!(single_zone_of("de"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(single_zone_of("US"), None);
        assert_eq!(normalise_phone(" +1 (555) 010-2000"), "+15550102000");
        assert_eq!(normalise_email(" Ana@Boreal.AERO "), "ana@boreal.aero");
    }
}
