//! Publishing: the port a scheduled post goes out through, and its Mastodon adapter.
//!
//! [`MastodonPublisher`] posts `POST /api/v1/statuses` (Mastodon's REST API) with the post's
//! id as `Idempotency-Key`: Mastodon answers a repeated key with the status it already made,
//! so a retry after a lost answer never posts twice. A `429 Too Many Requests` waits for its
//! `Retry-After` (seconds or an HTTP date; else `X-RateLimit-Reset`) when that is within
//! [`RetryPolicy::max_wait`], else gives up as rate limited (transient: try later); a server
//! error or a broken connection is retried after a doubling pause; a refusal (any other
//! `4xx`) is final. The port is blocking (one HTTP exchange at a time): the publishing run
//! ([`crate::publishing_run`]) calls it from its handler, as CRM Management's sync calls its
//! connectors (a Lambda works one batch at a time; the twin has no token and publishes nothing).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// A post to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Post {
    /// Our id of the post: the idempotency key of every attempt.
    pub post_id: String,
    pub text: String,
}

/// A post the platform has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The platform's id of the post.
    pub remote_id: String,
    pub url: Option<String>,
    /// Requests it took.
    pub attempts: u32,
}

/// Why a post was not published.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The platform refused the post (validation, authorisation): retrying cannot help.
    #[error("refused by the platform ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Rate limited for longer than the policy waits.
    #[error("rate limited: the platform asks to wait {wait_seconds} s")]
    RateLimited { wait_seconds: u64 },
    /// Server errors or no connection on every attempt.
    #[error("platform unavailable after {attempts} attempts: {last}")]
    Unavailable { attempts: u32, last: String },
    /// A success answer that is not a status.
    #[error("unexpected answer: {0}")]
    BadAnswer(String),
}

impl PublishError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            PublishError::RateLimited { .. } | PublishError::Unavailable { .. }
        )
    }
}

/// Publishes posts on one platform.
pub trait Publisher: Send + Sync {
    fn publish(&self, post: &Post) -> Result<Published, PublishError>;
}

/// How hard a publisher tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        }
    }
}

/// How long a `429` asks to wait: `Retry-After` in seconds or as an HTTP date, else Mastodon's
/// `X-RateLimit-Reset` (an ISO 8601 time); none when neither reads.
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
    let reset = DateTime::parse_from_rfc3339(rate_limit_reset?.trim()).ok()?;
    Some(until(reset.with_timezone(&Utc)))
}

/// Mastodon's answer to a created status (the fields used).
#[derive(Deserialize)]
struct Status {
    id: String,
    #[serde(default)]
    url: Option<String>,
}

/// Posts statuses to one Mastodon account.
pub struct MastodonPublisher {
    /// The instance, `https://mastodon.social`.
    base_url: String,
    /// The account's access token (scope `write:statuses`).
    token: String,
    policy: RetryPolicy,
    /// How a pause is taken (the thread sleeps; tests record it).
    sleep: Arc<dyn Fn(Duration) + Send + Sync>,
}

impl MastodonPublisher {
    pub fn new(base_url: &str, token: &str, policy: RetryPolicy) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            policy,
            sleep: Arc::new(std::thread::sleep),
        }
    }

    /// The same publisher pausing through `sleep`.
    pub fn with_sleep(mut self, sleep: Arc<dyn Fn(Duration) + Send + Sync>) -> Self {
        self.sleep = sleep;
        self
    }

    fn agent(&self) -> ureq::Agent {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(self.policy.timeout));
        #[cfg(feature = "tls")]
        let config = config.tls_config(tls_config());
        config.build().into()
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

/// What one attempt came to.
enum Attempt {
    Done(Published),
    Final(PublishError),
    /// Try again after this pause (none: the policy's backoff).
    Again {
        wait: Option<Duration>,
        why: String,
    },
}

impl MastodonPublisher {
    fn attempt(&self, agent: &ureq::Agent, post: &Post, n: u32) -> Attempt {
        let url = format!("{}/api/v1/statuses", self.base_url);
        let sent = agent
            .post(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Idempotency-Key", &post.post_id)
            .send_json(json!({"status": post.text, "visibility": "public"}));
        let mut answer = match sent {
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
        match status {
            200..=299 => match answer.body_mut().read_json::<Status>() {
                Ok(s) => Attempt::Done(Published {
                    remote_id: s.id,
                    url: s.url,
                    attempts: n,
                }),
                Err(e) => Attempt::Final(PublishError::BadAnswer(e.to_string())),
            },
            429 => {
                let asked = wait_asked(
                    header("retry-after").as_deref(),
                    header("x-ratelimit-reset").as_deref(),
                    Utc::now(),
                );
                match asked {
                    Some(w) if w > self.policy.max_wait => {
                        Attempt::Final(PublishError::RateLimited {
                            wait_seconds: w.as_secs(),
                        })
                    }
                    wait => Attempt::Again {
                        wait,
                        why: "429 Too Many Requests".into(),
                    },
                }
            }
            500..=599 => Attempt::Again {
                wait: None,
                why: format!("status {status}"),
            },
            _ => {
                let body = answer.body_mut().read_to_string().unwrap_or_default();
                let message = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_string))
                    .unwrap_or(body);
                Attempt::Final(PublishError::Refused { status, message })
            }
        }
    }
}

impl Publisher for MastodonPublisher {
    fn publish(&self, post: &Post) -> Result<Published, PublishError> {
        let agent = self.agent();
        let mut backoff = self.policy.backoff;
        let mut last = String::new();
        for n in 1..=self.policy.max_attempts.max(1) {
            match self.attempt(&agent, post, n) {
                Attempt::Done(p) => return Ok(p),
                Attempt::Final(e) => return Err(e),
                Attempt::Again { wait, why } => {
                    last = why;
                    if n < self.policy.max_attempts {
                        let pause = wait.unwrap_or(backoff);
                        (self.sleep)(pause);
                        if wait.is_none() {
                            backoff *= 2;
                        }
                    }
                }
            }
        }
        Err(PublishError::Unavailable {
            attempts: self.policy.max_attempts.max(1),
            last,
        })
    }
}

#[cfg(test)]
#[path = "publisher_tests.rs"]
mod tests;
