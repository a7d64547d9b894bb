//! Retention: how long each kind of record is kept (`[data_retention]` of `ascent.toml`), and
//! the one place the platform applies it to what handlers write, for every agent alike.
//!
//! An agent declares the retention of the records under each owned prefix beside its personal
//! data ([`crate::privacy::Retention`]); [`stamp`] gives every put under a
//! [`Retention::Days`] prefix that carries no expiry of its own an `expires_at` of now plus the
//! setting's days, in the one engine ([`crate::engine::handle`]), so the twin and the Lambda
//! host commit the same expiry. DynamoDB's TTL then removes the item on AWS, the twin's sweep
//! offline. A record that must outlive the clock (a lead that became a customer) is kept with
//! [`crate::context::Ctx::keep`]: its partition is rewritten with [`KEPT_UNTIL`], and a handler
//! that reads it back and writes it again keeps it so.
//!
//! The platform's own records take their settings here too: idempotency records
//! (`idempotency_days`), decided or expired approval requests (`approvals_days` after the
//! decision or deadline: [`approval_expiry`]) and dead letters (`dead_letters_days`: the
//! twin's sweep, the dead-letter queues' `MessageRetentionPeriod` on AWS).

use crate::agent::{AgentDecl, Domain};
use crate::approval::{Approval, ApprovalStatus};
use crate::config::{ConfigError, ConfigFile, Invalid, Validate};
use crate::context::Effects;
use crate::ports::Write;
use crate::privacy::Retention;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The section of `ascent.toml` these settings live in.
pub const SECTION: &str = "data_retention";

/// The expiry of a record kept while the relationship lasts although its prefix has a clock
/// ([`crate::context::Ctx::keep`]): 9999-12-31T23:59:59Z, never reached. An explicit expiry
/// rather than none, so that it survives in the stored item and a later rewrite keeps it.
pub const KEPT_UNTIL: i64 = 253_402_300_799;

/// SQS keeps a message at most 14 days (`MessageRetentionPeriod` ≤ 1,209,600 seconds).
pub const SQS_MAX_DAYS: u32 = 14;

/// Days beyond which a `*_days` setting is refused as a mistake: ten years is the longest any
/// law here asks; what the law keeps longer is a `Legal` retention in years.
const MAX_DAYS: u32 = 3_660;

/// Years beyond which `tax_records_years` is refused as a mistake.
const MAX_YEARS: u32 = 30;

/// `[data_retention]`: how long each kind of record is kept. GDPR art. 5(1)(e) (storage
/// limitation): personal data no longer than the purpose needs; the days below are that need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRetention {
    /// Leads that never converted, their contacts and scores.
    pub unconverted_leads_days: u32,
    /// Interactions: emails, calls, touches, engagement.
    pub interactions_days: u32,
    /// Support tickets after they closed, and their messages.
    pub closed_tickets_days: u32,
    /// Approval requests after their decision or deadline.
    pub approvals_days: u32,
    /// Idempotency records (which agent handled which event): at least `dead_letters_days`,
    /// so a dead letter redriven on its last day is still recognised as handled or not.
    pub idempotency_days: u32,
    /// Dead letters (at most 14: SQS keeps a message no longer).
    pub dead_letters_days: u32,
    /// Marketing profiles, send records, social-listening mentions.
    pub marketing_profiles_days: u32,
    /// Job candidates' records.
    pub candidates_days: u32,
    /// Tax records (invoices, credit notes, payments, journal entries, expenses), in years.
    pub tax_records_years: u32,
}

impl Default for DataRetention {
    /// The shipped `[data_retention]`.
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [data_retention] is valid")
    }
}

impl DataRetention {
    /// `[data_retention]` of `file`; a file without the section (one holding only a host's
    /// sections) keeps the shipped retention, so records never go unbounded.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        if file.has(SECTION) {
            return file.section(SECTION);
        }
        ConfigFile::parse(crate::config::SHIPPED_NAME, crate::config::SHIPPED)?.section(SECTION)
    }

    /// The days of a `Retention::Days` setting, by its name (`None`: no such setting).
    pub fn days(&self, setting: &str) -> Option<u32> {
        Some(match setting {
            "unconverted_leads_days" => self.unconverted_leads_days,
            "interactions_days" => self.interactions_days,
            "closed_tickets_days" => self.closed_tickets_days,
            "approvals_days" => self.approvals_days,
            "idempotency_days" => self.idempotency_days,
            "dead_letters_days" => self.dead_letters_days,
            "marketing_profiles_days" => self.marketing_profiles_days,
            "candidates_days" => self.candidates_days,
            _ => return None,
        })
    }

    /// The years of a `Retention::Legal` setting, by its name.
    pub fn years(&self, setting: &str) -> Option<u32> {
        (setting == "tax_records_years").then_some(self.tax_records_years)
    }

    /// How long an idempotency record is kept.
    pub fn idempotency(&self) -> Duration {
        Duration::days(i64::from(self.idempotency_days))
    }

    /// How long a dead letter is kept.
    pub fn dead_letters(&self) -> Duration {
        Duration::days(i64::from(self.dead_letters_days))
    }

    /// The dead-letter queues' `MessageRetentionPeriod`, in seconds.
    pub fn dead_letter_seconds(&self) -> u32 {
        self.dead_letters_days * 86_400
    }
}

impl Validate for DataRetention {
    fn validate(&self) -> Result<(), Invalid> {
        let days = [
            ("unconverted_leads_days", self.unconverted_leads_days),
            ("interactions_days", self.interactions_days),
            ("closed_tickets_days", self.closed_tickets_days),
            ("approvals_days", self.approvals_days),
            ("idempotency_days", self.idempotency_days),
            ("marketing_profiles_days", self.marketing_profiles_days),
            ("candidates_days", self.candidates_days),
        ];
        for (key, n) in days {
            if !(1..=MAX_DAYS).contains(&n) {
                return Err(Invalid::new(
                    key,
                    format!(
                        "{n} days: from 1 to {MAX_DAYS} (ten years; what the law keeps longer is a retention in years)"
                    ),
                ));
            }
        }
        if !(1..=SQS_MAX_DAYS).contains(&self.dead_letters_days) {
            return Err(Invalid::new(
                "dead_letters_days",
                format!(
                    "{} days: from 1 to {SQS_MAX_DAYS} (SQS keeps a message at most 14 days)",
                    self.dead_letters_days
                ),
            ));
        }
        if self.idempotency_days < self.dead_letters_days {
            return Err(Invalid::new(
                "idempotency_days",
                format!(
                    "{} days: at least dead_letters_days ({}), so a redriven dead letter is still recognised",
                    self.idempotency_days, self.dead_letters_days
                ),
            ));
        }
        if !(1..=MAX_YEARS).contains(&self.tax_records_years) {
            return Err(Invalid::new(
                "tax_records_years",
                format!(
                    "{} years: from 1 to {MAX_YEARS} (10 in Germany, 6 in the UK, 7 in the US)",
                    self.tax_records_years
                ),
            ));
        }
        Ok(())
    }
}

/// Why a setting has its length: the law or practice it follows (the docs' retention table).
pub fn source(setting: &str) -> Option<&'static str> {
    Some(match setting {
        "unconverted_leads_days" => {
            "GDPR art. 5(1)(e): a year to follow up a lead that did not buy"
        }
        "interactions_days" => "GDPR art. 5(1)(e): two years of history for scoring",
        "closed_tickets_days" => {
            "GDPR art. 5(1)(e); the EU's two-year legal guarantee (Directive (EU) 2019/771 art. 10)"
        }
        "approvals_days" => "GDPR art. 5(1)(e): a year, through the annual audit",
        "idempotency_days" => "At least as long as a dead letter, so a redrive is recognised",
        "dead_letters_days" => "SQS keeps a message at most 14 days",
        "marketing_profiles_days" => "GDPR art. 5(1)(e): two years without contact",
        "candidates_days" => "GDPR art. 5(1)(e): six months, the EU authorities' usual guidance",
        "tax_records_years" => {
            "US IRS guidance (7 years); Germany HGB §257, AO §147 (10); UK HMRC (6)"
        }
        _ => return None,
    })
}

/// The retention declared for the partition key `pk` of `domain` by the prefix of `decl`'s
/// that covers it (none: not personal data, or no prefix covers it).
pub fn declared(decl: &AgentDecl, domain: Domain, pk: &str) -> Option<Retention> {
    decl.owns
        .iter()
        .find(|o| o.covers(domain, pk))
        .and_then(|o| o.personal)
        .map(|p| p.retention)
}

/// The expiry a put of `pk` in `domain` gets when it carries none: `now` plus the days of its
/// prefix's `Retention::Days` setting, or [`KEPT_UNTIL`] for a kept partition; `None` for a
/// record kept while the relationship lasts or by law, or not personal.
pub fn expiry_for(
    decl: &AgentDecl,
    settings: &DataRetention,
    domain: Domain,
    pk: &str,
    kept: bool,
    now: DateTime<Utc>,
) -> Option<i64> {
    let Some(Retention::Days(setting)) = declared(decl, domain, pk) else {
        return None;
    };
    if kept {
        return Some(KEPT_UNTIL);
    }
    let days = settings.days(setting)?;
    Some((now + Duration::days(i64::from(days))).timestamp())
}

/// Gives each put in `effects` that carries no expiry the one its declaration calls for
/// ([`expiry_for`]). Run by the engine on a handler's effects before they are committed.
pub fn stamp(
    effects: &mut Effects,
    decl: &AgentDecl,
    settings: &DataRetention,
    now: DateTime<Utc>,
) {
    let kept = std::mem::take(&mut effects.kept);
    for w in &mut effects.writes {
        let domain = w.domain();
        let (pk, expires_at) = match w {
            Write::Put { item, .. } => (&item.pk, &mut item.expires_at),
            Write::PutJson { item, .. } => (&item.pk, &mut item.expires_at),
            Write::Delete { .. } => continue,
        };
        if expires_at.is_some() {
            continue;
        }
        let is_kept = kept.iter().any(|(d, p)| *d == domain && p == pk);
        *expires_at = expiry_for(decl, settings, domain, pk, is_kept, now);
    }
    effects.kept = kept;
}

/// When a decided or expired approval request goes: `approvals_days` after its decision (or
/// its deadline, for one without a recorded decision time). `None` while it is pending.
pub fn approval_expiry(approval: &Approval, settings: &DataRetention) -> Option<i64> {
    if approval.status == ApprovalStatus::Pending {
        return None;
    }
    let closed = approval.decided_at.unwrap_or(approval.step_deadline);
    Some((closed + Duration::days(i64::from(settings.approvals_days))).timestamp())
}

#[cfg(test)]
mod tests;
