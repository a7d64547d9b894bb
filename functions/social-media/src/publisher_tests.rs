//! The Mastodon publisher against a stub Mastodon on 127.0.0.1 (axum on tokio): rate limits
//! waited out as asked, server errors retried with a doubling pause, a lost answer retried
//! under the same idempotency key, and nothing ever posted twice.

use super::*;
use crate::stub_mastodon::{Answer, start as stub};
use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// A publisher to `base` that records its pauses instead of sleeping.
fn publisher(base: &str) -> (MastodonPublisher, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = waits.clone();
    let p = MastodonPublisher::new(base, "tok-3f9a", policy())
        .with_sleep(Arc::new(move |d| w.lock().unwrap().push(d)));
    (p, waits)
}

/// Five tries, a pause doubling from 1 s, rate limits waited up to a minute.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        backoff: Duration::from_secs(1),
        max_wait: Duration::from_secs(60),
        timeout: Duration::from_secs(10),
    }
}

fn post() -> Post {
    Post {
        post_id: "post-2026-03-case-boreal".into(),
        text: "How Boreal Aero cut rework 30% with XR work instructions".into(),
    }
}

#[test]
fn a_rate_limit_is_waited_out_and_a_server_error_retried_posting_once() {
    let (base, stub) = stub(&[Answer::RateLimited(7), Answer::Unavailable, Answer::Created]);
    let (p, waits) = publisher(&format!("{base}/"));
    let published = p.publish(&post()).unwrap();
    assert_eq!(published.remote_id, "110000000");
    assert_eq!(
        published.url.as_deref(),
        Some("https://social.example/@ascent/110000000")
    );
    assert_eq!(published.attempts, 3);
    // The 429's Retry-After (7 s), then the first backoff (1 s).
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_secs(7), Duration::from_secs(1)]
    );
    let s = stub.lock().unwrap();
    assert_eq!(s.statuses.len(), 1);
    assert_eq!(s.requests.len(), 3);
    for r in &s.requests {
        assert_eq!(r.key.as_deref(), Some("post-2026-03-case-boreal"));
        assert_eq!(r.authorization.as_deref(), Some("Bearer tok-3f9a"));
        assert_eq!(r.body["status"], post().text);
        assert_eq!(r.body["visibility"], "public");
    }
}

#[test]
fn a_lost_answer_is_retried_under_the_same_key_and_nothing_is_posted_twice() {
    let (base, stub) = stub(&[Answer::Lost]);
    let (p, _) = publisher(&base);
    let first = p.publish(&post()).unwrap();
    assert_eq!(first.attempts, 2);
    // Published again later (a redelivered job): the same status, still one.
    let again = p.publish(&post()).unwrap();
    assert_eq!(
        (again.remote_id.as_str(), again.attempts),
        (first.remote_id.as_str(), 1)
    );
    assert_eq!(stub.lock().unwrap().statuses.len(), 1);
}

#[test]
fn a_refusal_is_final_and_not_retried() {
    let (base, stub) = stub(&[Answer::Refused]);
    let (p, waits) = publisher(&base);
    let e = p.publish(&post()).unwrap_err();
    assert_eq!(
        e,
        PublishError::Refused {
            status: 422,
            message: "Validation failed: Text character limit of 500 exceeded".into()
        }
    );
    assert!(!e.is_transient());
    assert_eq!(stub.lock().unwrap().requests.len(), 1);
    assert!(waits.lock().unwrap().is_empty());
}

#[test]
fn a_rate_limit_longer_than_the_policy_waits_is_given_up_for_later() {
    let (base, stub) = stub(&[Answer::RateLimited(900)]);
    let (p, waits) = publisher(&base);
    let e = p.publish(&post()).unwrap_err();
    assert_eq!(e, PublishError::RateLimited { wait_seconds: 900 });
    assert!(e.is_transient());
    assert_eq!(stub.lock().unwrap().requests.len(), 1);
    assert!(waits.lock().unwrap().is_empty());
}

#[test]
fn an_unavailable_platform_is_tried_max_attempts_times_with_doubling_pauses() {
    let (base, stub) = stub(&[Answer::Unavailable; 5]);
    let (p, waits) = publisher(&base);
    let e = p.publish(&post()).unwrap_err();
    assert_eq!(
        e,
        PublishError::Unavailable {
            attempts: 5,
            last: "status 503".into()
        }
    );
    assert!(e.is_transient());
    let secs: Vec<u64> = waits
        .lock()
        .unwrap()
        .iter()
        .map(Duration::as_secs)
        .collect();
    assert_eq!(secs, [1, 2, 4, 8]);
    let s = stub.lock().unwrap();
    assert_eq!((s.requests.len(), s.statuses.len()), (5, 0));
}

#[test]
fn no_server_at_all_is_unavailable() {
    // A port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (p, waits) = publisher(&format!("http://127.0.0.1:{port}"));
    let e = p.publish(&post()).unwrap_err();
    assert!(
        matches!(e, PublishError::Unavailable { attempts: 5, .. }),
        "{e:?}"
    );
    assert_eq!(waits.lock().unwrap().len(), 4);
}

#[test]
fn the_wait_a_429_asks_for_reads_seconds_dates_and_mastodon_s_reset() {
    let now: DateTime<Utc> = "2026-03-02T15:00:00Z".parse().unwrap();
    assert_eq!(
        wait_asked(Some("120"), None, now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        wait_asked(Some("Mon, 02 Mar 2026 15:01:30 GMT"), None, now),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        wait_asked(None, Some("2026-03-02T15:05:00.000Z"), now),
        Some(Duration::from_secs(300))
    );
    // A date already past: no wait.
    assert_eq!(
        wait_asked(Some("Mon, 02 Mar 2026 14:00:00 GMT"), None, now),
        Some(Duration::ZERO)
    );
    assert_eq!(wait_asked(Some("soon"), None, now), None);
    assert_eq!(wait_asked(None, None, now), None);
}

#[cfg(feature = "tls")]
#[test]
fn https_is_spoken_to_an_https_address() {
    // The stub speaks plain HTTP: rustls reads its answer as a corrupt TLS record, where a
    // client without TLS refuses the scheme ("TLS required, but transport is unsecured").
    let (base, _stub) = stub(&[]);
    let (p, _) = publisher(&base.replace("http://", "https://"));
    let e = p.publish(&post()).unwrap_err();
    let PublishError::Unavailable { last, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(last.contains("corrupt message"), "{last}");
}
