//! Publishing decisions, without I/O: what a publisher's answer does to a scheduled post
//! (published; tried again later; failed for good), whether it ends the run, and the settings
//! that bound a run (`[social_media.publishing]`, `[social_media.mastodon]`).
//!
//! A post is published at most once: it leaves the due index when published, and every
//! attempt carries its id as the `Idempotency-Key`, so a repeated attempt (a redelivered
//! message, a run cut short before it recorded the answer) gets the status the platform made
//! the first time.

use crate::publisher::{PublishError, Published, RetryPolicy};
use crate::scheduling::PostRecord;
use ascent_core::config::{Invalid, check_in_range};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The Lambda's time limit (`Timeout` of the generated template) less a margin: a page of a
/// run must be done within it.
pub const PAGE_SECONDS_AT_MOST: u64 = 28;

/// How a publishing run goes (`[social_media.publishing]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishingSettings {
    /// Posts published by one message at most; the rest by the run's next page.
    pub max_posts_per_run: usize,
    /// A page starts no further post after this many seconds (the rest: the next page).
    pub page_seconds: u64,
    /// A post the platform could not take for a passing reason is tried again this much later
    /// (or when the platform asks, if later).
    pub retry_minutes: u32,
    /// Runs a post is tried in at most; then it is failed and the owner told.
    pub max_tries: u32,
}

impl PublishingSettings {
    pub fn check(&self, at: &str) -> Result<(), Invalid> {
        // Each post is a write and an event (a failed one a mail too), the run's record and
        // its next page two more: 2 × 20 + 2 within DynamoDB's transaction of ~49.
        check_in_range(
            &format!("{at}.max_posts_per_run"),
            self.max_posts_per_run,
            1,
            20,
        )?;
        check_in_range(&format!("{at}.page_seconds"), self.page_seconds, 1, 25)?;
        check_in_range(
            &format!("{at}.retry_minutes"),
            self.retry_minutes,
            5,
            10_080,
        )?;
        check_in_range(&format!("{at}.max_tries"), self.max_tries, 1, 100)?;
        Ok(())
    }
}

/// Our Mastodon account's instance and how hard one post is tried (`[social_media.mastodon]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonSettings {
    pub base_url: String,
    pub max_attempts: u32,
    pub backoff_ms: u64,
    pub max_wait_seconds: u64,
    pub timeout_seconds: u64,
}

impl MastodonSettings {
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            backoff: std::time::Duration::from_millis(self.backoff_ms),
            max_wait: std::time::Duration::from_secs(self.max_wait_seconds),
            timeout: std::time::Duration::from_secs(self.timeout_seconds),
        }
    }

    /// The longest one post can take, in seconds: every attempt to its time limit, and
    /// between them the longer of a rate limit's wait and the (doubled) backoff.
    pub fn worst_post_seconds(&self) -> u64 {
        let attempts = u64::from(self.max_attempts);
        let mut pauses_ms = 0;
        let mut backoff = self.backoff_ms;
        for _ in 1..attempts {
            pauses_ms += backoff.max(self.max_wait_seconds * 1000);
            backoff = backoff.saturating_mul(2);
        }
        attempts * self.timeout_seconds + pauses_ms.div_ceil(1000)
    }

    /// Checked with the run's settings: a page (its time, then one more post at worst) fits
    /// the Lambda's time limit.
    pub fn check(&self, at: &str, publishing: &PublishingSettings) -> Result<(), Invalid> {
        let url = &self.base_url;
        let scheme = url.starts_with("https://") || url.starts_with("http://");
        if !scheme || url.ends_with('/') || url.contains(char::is_whitespace) {
            return Err(Invalid::new(
                format!("{at}.base_url"),
                format!("`{url}` is not an http(s) URL without a trailing `/`"),
            ));
        }
        check_in_range(&format!("{at}.max_attempts"), self.max_attempts, 1, 10)?;
        check_in_range(&format!("{at}.backoff_ms"), self.backoff_ms, 1, 10_000)?;
        check_in_range(
            &format!("{at}.max_wait_seconds"),
            self.max_wait_seconds,
            0,
            25,
        )?;
        check_in_range(
            &format!("{at}.timeout_seconds"),
            self.timeout_seconds,
            1,
            25,
        )?;
        let page = publishing.page_seconds + self.worst_post_seconds();
        if page > PAGE_SECONDS_AT_MOST {
            return Err(Invalid::new(
                format!("{at}.max_attempts"),
                format!(
                    "a page could take {page} s (publishing.page_seconds {} + one post at worst {} s): more than {PAGE_SECONDS_AT_MOST} s",
                    publishing.page_seconds,
                    self.worst_post_seconds()
                ),
            ));
        }
        Ok(())
    }
}

/// Where a post stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    /// In a slot, waiting for its run (or for a retry).
    #[default]
    Scheduled,
    /// No free slot was found: a person schedules it.
    Unscheduled,
    Published,
    /// Not published and not tried again (refused, or out of tries).
    Failed,
}

/// A post as the platform has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPost {
    pub remote_id: String,
    pub url: Option<String>,
    pub at: DateTime<Utc>,
}

/// What one publishing attempt comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Published(PublishedPost),
    /// A passing failure: due again at `at`.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Not tried again: the platform refused it (`refused`), or its tries ran out.
    Failed {
        error: String,
        refused: bool,
    },
}

/// The outcome of the publisher's answer for a post tried `tries_before` times already.
pub fn decide(
    answer: Result<Published, PublishError>,
    tries_before: u32,
    now: DateTime<Utc>,
    s: &PublishingSettings,
) -> Outcome {
    let e = match answer {
        Ok(p) => {
            return Outcome::Published(PublishedPost {
                remote_id: p.remote_id,
                url: p.url,
                at: now,
            });
        }
        Err(e) => e,
    };
    if !e.is_transient() {
        return Outcome::Failed {
            error: e.to_string(),
            refused: true,
        };
    }
    let tries = tries_before + 1;
    if tries >= s.max_tries {
        return Outcome::Failed {
            error: format!("gave up after {tries} tries: {e}"),
            refused: false,
        };
    }
    let asked = match &e {
        PublishError::RateLimited { wait_seconds } => Duration::seconds(*wait_seconds as i64),
        _ => Duration::zero(),
    };
    Outcome::Retry {
        at: now + Duration::minutes(i64::from(s.retry_minutes)).max(asked),
        error: e.to_string(),
    }
}

/// Whether the run stops after this answer: the platform is rate limiting or unavailable, so
/// the posts after it would meet the same (they wait for a later run, untried).
pub fn ends_run(answer: &Result<Published, PublishError>) -> bool {
    answer.as_ref().is_err_and(PublishError::is_transient)
}

/// Sort key of the due index: the time the post is due, then its id.
pub fn due_sk(at: DateTime<Utc>, post_id: &str) -> String {
    format!("{}#{post_id}", stamp(at))
}

/// `2026-03-03T15:00:00Z`: sorts as the times do.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The due index's partition: a platform's posts waiting to go out.
pub fn due_pk(platform: &str) -> String {
    format!("social#due#{platform}")
}

/// The failed posts' index partition (sort key: platform, when, id).
pub const FAILED_PK: &str = "social#failed";

impl PostRecord {
    /// The post's index entry: due (its platform's due index) or failed; none once published.
    pub fn index(&self) -> Option<(String, String)> {
        match (self.state, self.due_at) {
            (PostState::Scheduled, Some(at)) => {
                Some((due_pk(&self.platform), due_sk(at, &self.post_id)))
            }
            (PostState::Failed, _) => {
                let when = self.last_tried_at.map(stamp).unwrap_or_default();
                let sk = format!("{}#{when}#{}", self.platform, self.post_id);
                Some((FAILED_PK.to_string(), sk))
            }
            _ => None,
        }
    }

    /// Records one attempt's outcome.
    pub fn settle(&mut self, outcome: &Outcome, now: DateTime<Utc>) {
        self.tries += 1;
        self.last_tried_at = Some(now);
        self.version += 1;
        match outcome {
            Outcome::Published(p) => {
                self.state = PostState::Published;
                self.published = Some(p.clone());
                self.due_at = None;
                self.last_error = None;
            }
            Outcome::Retry { at, error } => {
                self.due_at = Some(*at);
                self.last_error = Some(error.clone());
            }
            Outcome::Failed { error, .. } => {
                self.state = PostState::Failed;
                self.due_at = None;
                self.last_error = Some(error.clone());
            }
        }
    }
}

#[cfg(test)]
#[path = "publishing_rules_tests.rs"]
mod tests;
