//! The connector port a CRM is synchronised through, and the HTTP exchange its adapters share.
//!
//! [`CrmConnector`] pulls the contacts changed since a cursor, a page at a time, and pushes one
//! contact's changed fields (creating the contact when the CRM does not have it yet). The
//! adapters ([`crate::hubspot`], [`crate::salesforce`]) speak the CRMs' REST APIs through
//! [`Http`]: a `429 Too Many Requests` waits for its `Retry-After` (seconds or an HTTP date)
//! when that is within [`RetryPolicy::max_wait`], else gives up as rate limited (transient:
//! the push stays queued for the next run); server errors and broken connections are retried
//! after a doubling pause; any other refusal is final for that attempt (also kept queued, with
//! its reason, for a person to see). Pushes are idempotent (HubSpot: PATCH by id, a create
//! answered `409` with the existing id patches that one; Salesforce: PATCH by id, or upsert by
//! the external id `Ascent_Contact_Id__c`), so a retry after a lost answer changes nothing
//! twice. The port is blocking (one HTTP exchange at a time).

use crate::contact::RawFields;
use crate::settings::CrmConfig;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A contact as the CRM has it, changed at `modified_at`.
#[derive(Clone, Debug)]
pub struct RemoteContact {
    pub record_id: String,
    pub modified_at: DateTime<Utc>,
    pub fields: RawFields,
}

/// Where the next pull starts: after the change at `since` of record `after_id` (changes are
/// read in order of modification time, then id).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub since: Option<DateTime<Utc>>,
    pub after_id: Option<String>,
}

/// One page of changes.
#[derive(Clone, Debug)]
pub struct Page {
    pub contacts: Vec<RemoteContact>,
    /// Whether more changes may follow.
    pub more: bool,
}

/// One contact's fields to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    /// CRM Management's id of the contact (Salesforce's external id for upserts).
    pub contact_id: String,
    /// The record id in the CRM, when it has the contact.
    pub record_id: Option<String>,
    /// Field name ([`crate::contact::FIELDS`]) to value.
    pub fields: BTreeMap<String, String>,
}

/// Why an exchange with a CRM failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("refused by the CRM ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("rate limited: the CRM asks to wait {wait_seconds} s")]
    RateLimited { wait_seconds: u64 },
    #[error("CRM unavailable after {attempts} attempts: {last}")]
    Unavailable { attempts: u32, last: String },
    #[error("unexpected answer: {0}")]
    BadAnswer(String),
}

/// A CRM synchronised both ways.
pub trait CrmConnector: Send + Sync {
    /// `hubspot` or `salesforce`.
    fn system(&self) -> &str;
    /// Up to `limit` contacts changed after `cursor`, oldest change first.
    fn pull(&self, cursor: &Cursor, limit: usize) -> Result<Page, SyncError>;
    /// Sends `push`; the record id in the CRM.
    fn push(&self, push: &Push) -> Result<String, SyncError>;
}

/// The adapter of `system` for the configured endpoint with `token`.
pub fn for_system(system: &str, config: &CrmConfig, token: &str) -> Arc<dyn CrmConnector> {
    if system == "salesforce" {
        Arc::new(crate::salesforce::Salesforce::new(
            &config.salesforce.base_url,
            config.salesforce.api_version.as_deref().unwrap_or("v61.0"),
            token,
            config.http,
        ))
    } else {
        Arc::new(crate::hubspot::HubSpot::new(
            &config.hubspot.base_url,
            token,
            config.http,
        ))
    }
}

/// How hard an adapter tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Requests at most, the first included.
    pub max_attempts: u32,
    /// Pause after the first failed attempt; doubled after each further one.
    pub backoff: Duration,
    /// A rate limit asking to wait longer than this is given up (transient).
    pub max_wait: Duration,
    /// One request's time limit.
    pub timeout: Duration,
}

/// How long a `429` asks to wait: `Retry-After` in seconds or as an HTTP date.
pub fn wait_asked(retry_after: Option<&str>, now: DateTime<Utc>) -> Option<Duration> {
    let v = retry_after?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let t = DateTime::parse_from_rfc2822(&v.replace(" GMT", " +0000")).ok()?;
    Some(Duration::from_secs(
        (t.with_timezone(&Utc) - now).num_seconds().max(0) as u64,
    ))
}

/// A request to make (rebuilt for each attempt).
pub enum Request<'a> {
    Get {
        url: String,
        query: Vec<(&'a str, String)>,
    },
    Send {
        method: &'a str,
        url: String,
        body: Value,
    },
}

/// An HTTP answer: status and JSON body (`Null` when empty).
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// The HTTP side of an adapter: bearer token, retries, rate limits.
pub struct Http {
    token: String,
    policy: RetryPolicy,
    sleep: Arc<dyn Fn(Duration) + Send + Sync>,
    agent: ureq::Agent,
}

impl Http {
    pub fn new(token: &str, policy: RetryPolicy) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(policy.timeout));
        #[cfg(feature = "tls")]
        let config = config.tls_config(tls_config());
        Self {
            token: token.into(),
            policy,
            sleep: Arc::new(std::thread::sleep),
            agent: config.build().into(),
        }
    }

    /// The same client pausing through `sleep` (tests record the pauses).
    pub fn with_sleep(mut self, sleep: Arc<dyn Fn(Duration) + Send + Sync>) -> Self {
        self.sleep = sleep;
        self
    }

    fn attempt(&self, req: &Request<'_>) -> Result<Answer, ureq::Error> {
        let auth = format!("Bearer {}", self.token);
        let mut answer = match req {
            Request::Get { url, query } => {
                let mut r = self.agent.get(url).header("Authorization", &auth);
                for (k, v) in query {
                    r = r.query(k, v);
                }
                r.call()?
            }
            Request::Send { method, url, body } => {
                let r = match *method {
                    "PATCH" => self.agent.patch(url),
                    _ => self.agent.post(url),
                };
                r.header("Authorization", &auth).send_json(body)?
            }
        };
        let status = answer.status().as_u16();
        let retry_after = answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = answer.body_mut().read_to_string().unwrap_or_default();
        let mut body = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
        if let (429, Some(r)) = (status, retry_after) {
            body = serde_json::json!({"retry_after": r});
        }
        Ok(Answer { status, body })
    }

    /// Sends `req`, retrying as the policy says; a `2xx` or a final refusal is the answer.
    pub fn send(&self, req: &Request<'_>) -> Result<Answer, SyncError> {
        let mut backoff = self.policy.backoff;
        let mut last = String::new();
        let attempts = self.policy.max_attempts.max(1);
        for n in 1..=attempts {
            let mut wait = None;
            match self.attempt(req) {
                Ok(a) if (200..300).contains(&a.status) => return Ok(a),
                Ok(a) if a.status == 429 => {
                    let asked = wait_asked(a.body["retry_after"].as_str(), Utc::now());
                    if let Some(w) = asked
                        && w > self.policy.max_wait
                    {
                        return Err(SyncError::RateLimited {
                            wait_seconds: w.as_secs(),
                        });
                    }
                    wait = asked;
                    last = "429 Too Many Requests".into();
                }
                Ok(a) if a.status >= 500 => last = format!("status {}", a.status),
                Ok(a) => return Ok(a),
                Err(e) => last = format!("no answer: {e}"),
            }
            if n < attempts {
                (self.sleep)(wait.unwrap_or(backoff));
                if wait.is_none() {
                    backoff *= 2;
                }
            }
        }
        Err(SyncError::Unavailable { attempts, last })
    }
}

/// A refusal's message from a CRM's error body (`message`, or Salesforce's list of errors).
pub fn refusal(a: &Answer) -> SyncError {
    let message = a.body["message"]
        .as_str()
        .or_else(|| a.body[0]["message"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| a.body.to_string());
    SyncError::Refused {
        status: a.status,
        message,
    }
}

/// Splits a full name into first and last name at its last space.
pub fn split_name(full: &str) -> (String, String) {
    match full.trim().rsplit_once(' ') {
        Some((first, last)) => (first.to_string(), last.to_string()),
        None => (String::new(), full.trim().to_string()),
    }
}

/// Joins first and last name (either may be missing).
pub fn join_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// HTTPS by rustls (ring), trusting the system's root certificates (read once).
#[cfg(feature = "tls")]
fn tls_config() -> ureq::tls::TlsConfig {
    use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
    static ROOTS: std::sync::OnceLock<Arc<Vec<Certificate<'static>>>> = std::sync::OnceLock::new();
    let roots = ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        Arc::new(
            found
                .certs
                .iter()
                .map(|c| Certificate::from_der(c.as_ref()).to_owned())
                .collect(),
        )
    });
    TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(roots.clone()))
        .build()
}
