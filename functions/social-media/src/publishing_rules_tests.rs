//! The publishing decisions with hand-computed times: published, retried later (a rate
//! limit's wait honoured when longer), failed when refused or out of tries; the index a post
//! is on after each; the worst time of one post under the retry settings.

use super::*;
use crate::SocialConfig;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn settings() -> PublishingSettings {
    SocialConfig::default().publishing
}

fn post() -> PostRecord {
    PostRecord {
        post_id: "p1".into(),
        platform: "mastodon".into(),
        text: "Boreal Aero cut rework 30% with XR work instructions".into(),
        scheduled_for: Some(at("2026-03-02T16:00:00Z")),
        slot: Some("Mon 11:00".into()),
        basis: None,
        state: PostState::Scheduled,
        due_at: Some(at("2026-03-02T16:00:00Z")),
        tries: 0,
        last_error: None,
        last_tried_at: None,
        published: None,
        version: 0,
    }
}

const NOW: &str = "2026-03-02T16:00:05Z";

#[test]
fn a_post_the_platform_took_is_published_and_leaves_the_due_index() {
    let mut p = post();
    assert_eq!(
        p.index(),
        Some((
            "social#due#mastodon".to_string(),
            "2026-03-02T16:00:00Z#p1".to_string()
        ))
    );
    let answer = Ok(Published {
        remote_id: "110000000".into(),
        url: Some("https://social.example/@ascent/110000000".into()),
        attempts: 2,
    });
    assert!(!ends_run(&answer));
    let o = decide(answer, 0, at(NOW), &settings());
    let Outcome::Published(published) = &o else {
        panic!("{o:?}")
    };
    assert_eq!(published.at, at(NOW));
    p.settle(&o, at(NOW));
    assert_eq!((p.state, p.tries, p.version), (PostState::Published, 1, 1));
    assert_eq!(p.published.as_ref().unwrap().remote_id, "110000000");
    assert_eq!(p.index(), None);
}

#[test]
fn a_passing_failure_is_due_again_after_retry_minutes_or_the_platform_s_longer_wait() {
    let s = settings();
    // 15 minutes asked, 60 configured: in an hour.
    let answer = Err(PublishError::RateLimited { wait_seconds: 900 });
    assert!(ends_run(&answer));
    let o = decide(answer, 0, at(NOW), &s);
    assert_eq!(
        o,
        Outcome::Retry {
            at: at("2026-03-02T17:00:05Z"),
            error: "rate limited: asked to wait 900 s".into()
        }
    );
    let mut p = post();
    p.settle(&o, at(NOW));
    assert_eq!((p.state, p.tries), (PostState::Scheduled, 1));
    assert_eq!(
        p.index().unwrap().1,
        "2026-03-02T17:00:05Z#p1",
        "due again at the retry time"
    );
    assert!(p.last_error.unwrap().contains("900 s"));
    // Two hours asked: two hours it is.
    let o = decide(
        Err(PublishError::RateLimited { wait_seconds: 7200 }),
        1,
        at(NOW),
        &s,
    );
    assert!(matches!(o, Outcome::Retry { at: t, .. } if t == at("2026-03-02T18:00:05Z")));
}

#[test]
fn the_last_try_fails_the_post_for_a_person() {
    let s = settings();
    let down = || PublishError::Unavailable {
        attempts: 3,
        last: "status 503".into(),
    };
    // Tried 4 times before (max_tries 6): the fifth is retried, the sixth gives up.
    assert!(matches!(
        decide(Err(down()), 4, at(NOW), &s),
        Outcome::Retry { .. }
    ));
    let o = decide(Err(down()), 5, at(NOW), &s);
    assert_eq!(
        o,
        Outcome::Failed {
            error: "gave up after 6 tries: unavailable after 3 attempts: status 503".into(),
            refused: false
        }
    );
    let mut p = post();
    p.tries = 5;
    p.settle(&o, at(NOW));
    assert_eq!((p.state, p.tries, p.due_at), (PostState::Failed, 6, None));
    assert_eq!(
        p.index(),
        Some((
            FAILED_PK.to_string(),
            "mastodon#2026-03-02T16:00:05Z#p1".to_string()
        ))
    );
}

#[test]
fn a_refusal_or_a_bad_answer_fails_at_once_and_does_not_end_the_run() {
    let refused = Err(PublishError::Refused {
        status: 422,
        message: "Validation failed: Text character limit of 500 exceeded".into(),
    });
    assert!(!ends_run(&refused));
    assert_eq!(
        decide(refused, 0, at(NOW), &settings()),
        Outcome::Failed {
            error: "refused (422): Validation failed: Text character limit of 500 exceeded".into(),
            refused: true
        }
    );
    let bad = Err(PublishError::BadAnswer("missing field `id`".into()));
    assert!(matches!(
        decide(bad, 0, at(NOW), &settings()),
        Outcome::Failed { refused: true, .. }
    ));
}

#[test]
fn one_post_at_worst_is_every_attempt_to_its_limit_and_the_longer_pauses() {
    let mut m = SocialConfig::default().mastodon;
    // 3 × 4 s, pauses max(0.5, 3) + max(1, 3).
    assert_eq!(m.worst_post_seconds(), 18);
    // Without rate-limit waits the doubling backoff counts: 3 × 1 s + 5 s + 10 s.
    (
        m.max_attempts,
        m.timeout_seconds,
        m.max_wait_seconds,
        m.backoff_ms,
    ) = (3, 1, 0, 5000);
    assert_eq!(m.worst_post_seconds(), 18);
    m.max_attempts = 1;
    assert_eq!(m.worst_post_seconds(), 1);
    let e = m.check("mastodon", &settings());
    assert!(e.is_ok(), "{e:?}");
    (m.max_attempts, m.timeout_seconds) = (2, 10);
    let e = m.check("mastodon", &settings()).unwrap_err();
    assert_eq!(e.path, "mastodon.max_attempts");
    assert!(
        e.message.contains("a page could take 35 s"),
        "{}",
        e.message
    );
}
