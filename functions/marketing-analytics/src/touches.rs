//! Each contact's touches, one item per contact (by normalised email) keeping the most recent
//! `touches_kept`, and each lead's email (from `LeadCreated`) so Outreach's emails and won
//! deals, which name the lead, find their contact.

use crate::models::{self, Touch};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::context::Ctx;
use ascent_core::ports::Condition;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A contact's touches, oldest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct ContactTouches {
    pub email: String,
    pub version: u64,
    pub touches: Vec<Touch>,
}

/// A lead's contact.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LeadContact {
    pub(crate) email: String,
}

fn touches_pk(email: &str) -> String {
    format!("touches#{email}")
}

fn lead_pk(lead: &str) -> String {
    format!("touch-lead#{lead}")
}

/// An email address as a contact's key (trimmed, lower case); `field` names it when refused.
pub fn normalise(email: &str, field: &str) -> Result<String, AgentError> {
    let e = email.trim().to_ascii_lowercase();
    match e.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') && !e.contains(' ') => {
            Ok(e)
        }
        _ => Err(AgentError::Invalid(format!(
            "{field}: `{email}` is not an email address"
        ))),
    }
}

/// A touch id: not blank.
pub fn id(touch_id: &str) -> Result<String, AgentError> {
    let t = touch_id.trim();
    if t.is_empty() {
        return Err(AgentError::Invalid("touch_id: is blank".into()));
    }
    Ok(t.to_string())
}

/// A campaign id, when given: not blank.
pub fn campaign(campaign_id: Option<&str>) -> Result<Option<&str>, AgentError> {
    match campaign_id.map(str::trim) {
        Some("") => Err(AgentError::Invalid("campaign_id: is blank".into())),
        other => Ok(other),
    }
}

/// Keeps a lead's email.
pub async fn on_lead(ctx: &mut Ctx<'_>, lead: &str, email: &str) -> Result<(), AgentError> {
    let email = normalise(email, "email")?;
    ctx.put_record(
        Domain::Interaction,
        &lead_pk(lead),
        "contact",
        &LeadContact { email },
        None,
        Condition::Always,
    )
}

/// The email of a lead this agent saw created.
pub async fn lead_email(ctx: &mut Ctx<'_>, lead: &str) -> Result<Option<String>, AgentError> {
    Ok(ctx
        .get_as::<LeadContact>(Domain::Interaction, &lead_pk(lead), "contact")
        .await?
        .map(|c| c.email))
}

/// Adds `touch` to what `email` keeps (once per id), keeping the `kept` most recent.
pub async fn record(
    ctx: &mut Ctx<'_>,
    email: &str,
    touch: Touch,
    kept: usize,
) -> Result<(), AgentError> {
    let pk = touches_pk(email);
    let mut c = ctx
        .get_as::<ContactTouches>(Domain::Interaction, &pk, "touches")
        .await?
        .unwrap_or(ContactTouches {
            email: email.to_string(),
            version: 0,
            touches: Vec::new(),
        });
    if c.touches.iter().any(|t| t.id == touch.id) {
        return Ok(());
    }
    let previous = (c.version > 0).then_some(c.version);
    keep(&mut c.touches, touch, kept);
    c.version += 1;
    ctx.put_record(
        Domain::Interaction,
        &pk,
        "touches",
        &c,
        None,
        Condition::version(previous),
    )
}

/// Inserts `touch` in time order and drops the oldest beyond `kept`.
pub fn keep(touches: &mut Vec<Touch>, touch: Touch, kept: usize) {
    let at = touches.partition_point(|t| t.at <= touch.at);
    touches.insert(at, touch);
    let over = touches.len().saturating_sub(kept);
    touches.drain(..over);
}

/// `email`'s touches in the `window_days` before `at`, oldest first.
pub async fn before(
    ctx: &mut Ctx<'_>,
    email: &str,
    at: DateTime<Utc>,
    window_days: u32,
) -> Result<Vec<Touch>, AgentError> {
    let c = ctx
        .get_as::<ContactTouches>(Domain::Interaction, &touches_pk(email), "touches")
        .await?;
    Ok(c.map(|c| models::in_window(&c.touches, at, window_days))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::catalog::MarketingChannel;

    fn t(id: &str, day: u32) -> Touch {
        Touch {
            id: id.into(),
            channel: MarketingChannel::Content,
            campaign_id: None,
            at: format!("2026-03-{day:02}T12:00:00Z").parse().unwrap(),
        }
    }

    #[test]
    fn touches_are_kept_in_time_order_and_the_oldest_dropped() {
        let mut kept = Vec::new();
        for (id, day) in [("b", 5), ("a", 2), ("d", 9), ("c", 7)] {
            keep(&mut kept, t(id, day), 3);
        }
        let ids: Vec<&str> = kept.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "d"]);
        // A late touch older than all kept is dropped at once.
        keep(&mut kept, t("old", 1), 3);
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0].id, "b");
    }

    #[test]
    fn emails_are_normalised_and_bad_ones_refused_naming_the_field() {
        assert_eq!(
            normalise("  Ops.Lead@Boreal-Aero.example ", "email").unwrap(),
            "ops.lead@boreal-aero.example"
        );
        for bad in [
            "",
            "ops.lead",
            "@boreal.example",
            "ops@localhost",
            "a b@x.example",
        ] {
            let e = normalise(bad, "billing_email").unwrap_err().to_string();
            assert!(e.contains("billing_email"), "{bad}: {e}");
        }
        assert!(
            campaign(Some("  "))
                .unwrap_err()
                .to_string()
                .contains("campaign_id")
        );
        assert_eq!(campaign(None).unwrap(), None);
        assert!(id(" ").unwrap_err().to_string().contains("touch_id"));
    }
}
