//! One HTTP exchange with an external system, as every adapter makes it.
//!
//! [`Http::send`] makes a [`Request`] and retries it as the [`RetryPolicy`] says: a
//! `429 Too Many Requests` waits for its `Retry-After` (seconds or an HTTP date; else an
//! `X-RateLimit-Reset` time or Unix second) when that is within [`RetryPolicy::max_wait`], else gives up as
//! [`IntegrationError::RateLimited`]; a server error or a broken connection is retried after a
//! pause doubling from [`RetryPolicy::backoff`], and after the last attempt is
//! [`IntegrationError::Unavailable`]. Any other answer (a `2xx`, or a refusal the adapter reads)
//! is returned. A request carries its idempotency key as a header (`Idempotency-Key` for Stripe,
//! Mastodon and Zendesk) or in its query (QuickBooks Online's `requestid`): the adapter chooses,
//! and every attempt sends the same key, so a retry after a lost answer changes nothing twice.
//! The exchange is blocking (one request at a time): adapters are called from a handler as the
//! CRM sync does, one bounded page per message.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// How hard an adapter tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Requests at most, the first included.
    pub max_attempts: u32,
    /// Pause after the first failed attempt; doubled after each further one.
    pub backoff: Duration,
    /// A rate limit asking to wait longer than this is given up (transient: try on a later run).
    pub max_wait: Duration,
    /// One request's time limit.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Why an exchange with an external system failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntegrationError {
    /// The system refused the request (validation, authorisation): retrying cannot help.
    #[error("refused ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Rate limited for longer than the policy waits.
    #[error("rate limited: asked to wait {wait_seconds} s")]
    RateLimited { wait_seconds: u64 },
    /// Server errors or no connection on every attempt.
    #[error("unavailable after {attempts} attempts: {last}")]
    Unavailable { attempts: u32, last: String },
    /// A success answer the adapter cannot read.
    #[error("unexpected answer: {0}")]
    BadAnswer(String),
}

impl IntegrationError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            IntegrationError::RateLimited { .. } | IntegrationError::Unavailable { .. }
        )
    }
}

/// How long a `429` asks to wait: `Retry-After` in seconds or as an HTTP date, else an
/// `X-RateLimit-Reset` (an RFC 3339 time, as Mastodon sends, or Unix seconds, as Intercom
/// sends); none when neither reads.
pub fn wait_asked(
    retry_after: Option<&str>,
    rate_limit_reset: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Duration> {
    let until = |t: DateTime<Utc>| Duration::from_secs((t - now).num_seconds().max(0) as u64);
    if let Some(v) = retry_after.map(str::trim) {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(t) = DateTime::parse_from_rfc2822(&v.replace(" GMT", " +0000")) {
            return Some(until(t.with_timezone(&Utc)));
        }
    }
    let reset = rate_limit_reset?.trim();
    if let Ok(epoch) = reset.parse::<i64>() {
        return Some(until(DateTime::from_timestamp(epoch, 0)?));
    }
    let reset = DateTime::parse_from_rfc3339(reset).ok()?;
    Some(until(reset.with_timezone(&Utc)))
}

/// How a request proves who sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <token>` (HubSpot, Salesforce, Stripe, QuickBooks, Intercom …).
    Bearer(String),
    /// `Authorization: Basic base64(user:password)` (Zendesk's `email/token:<api token>`).
    Basic { user: String, password: String },
    /// Credentials travel in the body (Expensify's `credentials`), or none are needed.
    None,
}

/// What a request carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Empty,
    Json(Value),
    /// `application/x-www-form-urlencoded` (Stripe, Expensify).
    Form(Vec<(String, String)>),
}

/// A request to make (the same for each attempt).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    pub url: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Request {
    pub fn new(method: &'static str, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    pub fn post(url: impl Into<String>) -> Self {
        Self::new("POST", url)
    }

    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The `Idempotency-Key` header: every attempt carries the same key.
    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("Idempotency-Key", key)
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    pub fn form<K: Into<String>, V: Into<String>>(
        mut self,
        fields: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.body = Body::Form(
            fields
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }
}

/// An answer: status and body (JSON when it reads as JSON, else a string; `Null` when empty).
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    /// Requests it took, this one included.
    pub attempts: u32,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The answer as a refusal, its message read from the usual places of an error body
    /// (`message`, `error` as text or `{message}`, `errors[0].message`, `[0].message`,
    /// QuickBooks' `Fault.Error[0].Detail`), else the body itself.
    pub fn refusal(&self) -> IntegrationError {
        let b = &self.body;
        let message = [
            &b["message"],
            &b["error"],
            &b["error"]["message"],
            &b["errors"][0]["message"],
            &b[0]["message"],
            &b["Fault"]["Error"][0]["Detail"],
            &b["responseMessage"],
        ]
        .into_iter()
        .find_map(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| match b {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        IntegrationError::Refused {
            status: self.status,
            message,
        }
    }
}

/// The HTTP side of an adapter: credentials, retries, rate limits.
pub struct Http {
    auth: Auth,
    policy: RetryPolicy,
    sleep: Arc<dyn Fn(Duration) + Send + Sync>,
    agent: ureq::Agent,
}

/// What one attempt came to.
enum Attempt {
    Answered(Answer),
    /// Try again after this pause (none: the policy's backoff), or give up.
    Again {
        wait: Option<Duration>,
        why: String,
    },
    Final(IntegrationError),
}

impl Http {
    pub fn new(auth: Auth, policy: RetryPolicy) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(policy.timeout));
        #[cfg(feature = "tls")]
        let config = config.tls_config(tls_config());
        Self {
            auth,
            policy,
            sleep: Arc::new(std::thread::sleep),
            agent: config.build().into(),
        }
    }

    /// A client sending `Authorization: Bearer <token>`.
    pub fn bearer(token: &str, policy: RetryPolicy) -> Self {
        Self::new(Auth::Bearer(token.to_string()), policy)
    }

    /// The same client pausing through `sleep` (tests record the pauses instead of waiting).
    pub fn with_sleep(mut self, sleep: Arc<dyn Fn(Duration) + Send + Sync>) -> Self {
        self.sleep = sleep;
        self
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    fn authorization(&self) -> Option<String> {
        match &self.auth {
            Auth::Bearer(t) => Some(format!("Bearer {t}")),
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            Auth::None => None,
        }
    }

    fn exchange(&self, req: &Request) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let auth = self.authorization();
        macro_rules! prepare {
            ($builder:expr) => {{
                let mut r = $builder;
                for (k, v) in &req.query {
                    r = r.query(k, v);
                }
                for (k, v) in &req.headers {
                    r = r.header(k, v);
                }
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r
            }};
        }
        macro_rules! with_body {
            ($builder:expr) => {{
                let r = prepare!($builder);
                match &req.body {
                    Body::Empty => r.send_empty(),
                    Body::Json(v) => r.send_json(v),
                    Body::Form(f) => r.send_form(f.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                }
            }};
        }
        match req.method {
            "GET" => prepare!(self.agent.get(&req.url)).call(),
            "DELETE" => prepare!(self.agent.delete(&req.url)).call(),
            "PUT" => with_body!(self.agent.put(&req.url)),
            "PATCH" => with_body!(self.agent.patch(&req.url)),
            _ => with_body!(self.agent.post(&req.url)),
        }
    }

    fn attempt(&self, req: &Request) -> Attempt {
        let mut answer = match self.exchange(req) {
            Ok(a) => a,
            Err(e) => {
                return Attempt::Again {
                    wait: None,
                    why: format!("no answer: {e}"),
                };
            }
        };
        let status = answer.status().as_u16();
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        if status == 429 {
            let asked = wait_asked(
                header("retry-after").as_deref(),
                header("x-ratelimit-reset").as_deref(),
                Utc::now(),
            );
            return match asked {
                Some(w) if w > self.policy.max_wait => {
                    Attempt::Final(IntegrationError::RateLimited {
                        wait_seconds: w.as_secs(),
                    })
                }
                wait => Attempt::Again {
                    wait,
                    why: "429 Too Many Requests".into(),
                },
            };
        }
        if status >= 500 {
            return Attempt::Again {
                wait: None,
                why: format!("status {status}"),
            };
        }
        let text = answer.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
        Attempt::Answered(Answer {
            status,
            body,
            attempts: 0,
        })
    }

    /// Sends `req`, retrying as the policy says; a `2xx` or a refusal to read is the answer.
    pub fn send(&self, req: &Request) -> Result<Answer, IntegrationError> {
        let mut backoff = self.policy.backoff;
        let mut last = String::new();
        let attempts = self.policy.max_attempts.max(1);
        for n in 1..=attempts {
            match self.attempt(req) {
                Attempt::Answered(a) => return Ok(Answer { attempts: n, ..a }),
                Attempt::Final(e) => return Err(e),
                Attempt::Again { wait, why } => {
                    last = why;
                    if n < attempts {
                        (self.sleep)(wait.unwrap_or(backoff));
                        if wait.is_none() {
                            backoff *= 2;
                        }
                    }
                }
            }
        }
        Err(IntegrationError::Unavailable { attempts, last })
    }

    /// Sends `req` and reads a `2xx` answer; any other is a refusal.
    pub fn send_ok(&self, req: &Request) -> Result<Value, IntegrationError> {
        let a = self.send(req)?;
        if a.is_success() {
            Ok(a.body)
        } else {
            Err(a.refusal())
        }
    }
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

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
