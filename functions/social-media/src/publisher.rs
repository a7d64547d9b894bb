//! Publishing: the port a scheduled post goes out through, and its Mastodon adapter.
//!
//! [`MastodonPublisher`] posts `POST /api/v1/statuses` (Mastodon's REST API, through the shared
//! exchange of `ascent-integrations`) with the post's
//! id as `Idempotency-Key`: Mastodon answers a repeated key with the status it already made,
//! so a retry after a lost answer never posts twice. A `429 Too Many Requests` waits for its
//! `Retry-After` (seconds or an HTTP date; else `X-RateLimit-Reset`) when that is within
//! [`RetryPolicy::max_wait`], else gives up as rate limited (transient: try later); a server
//! error or a broken connection is retried after a doubling pause; a refusal (any other
//! `4xx`) is final. The port is blocking (one HTTP exchange at a time): the publishing run
//! ([`crate::publishing_run`]) calls it from its handler, as CRM Management's sync calls its
//! connectors (a Lambda works one batch at a time; the twin has no token and publishes nothing).

use ascent_integrations::{Http, Request};
pub use ascent_integrations::{IntegrationError, RetryPolicy, wait_asked};
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

/// Why a post was not published (the shared exchange's error: refused, rate limited,
/// unavailable, or an answer that is not a status).
pub type PublishError = IntegrationError;

/// Publishes posts on one platform.
pub trait Publisher: Send + Sync {
    fn publish(&self, post: &Post) -> Result<Published, PublishError>;
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
    /// Bearer the account's access token (scope `write:statuses`).
    http: Http,
}

impl MastodonPublisher {
    pub fn new(base_url: &str, token: &str, policy: RetryPolicy) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            http: Http::bearer(token, policy),
        }
    }

    /// The same publisher pausing through `sleep`.
    pub fn with_sleep(mut self, sleep: Arc<dyn Fn(Duration) + Send + Sync>) -> Self {
        self.http = self.http.with_sleep(sleep);
        self
    }
}

impl Publisher for MastodonPublisher {
    fn publish(&self, post: &Post) -> Result<Published, PublishError> {
        let request = Request::post(format!("{}/api/v1/statuses", self.base_url))
            .idempotency_key(&post.post_id)
            .json(json!({"status": post.text, "visibility": "public"}));
        let answer = self.http.send(&request)?;
        if !answer.is_success() {
            return Err(answer.refusal());
        }
        let status: Status = serde_json::from_value(answer.body)
            .map_err(|e| PublishError::BadAnswer(e.to_string()))?;
        Ok(Published {
            remote_id: status.id,
            url: status.url,
            attempts: answer.attempts,
        })
    }
}

#[cfg(test)]
#[path = "publisher_tests.rs"]
mod tests;
