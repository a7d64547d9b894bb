//! Publishing runs through an in-memory twin and a stub Mastodon: only the due posts, a page
//! of `max_posts_per_run` a message and the rest by the next page, rate limits and outages
//! honoured, redeliveries posting nothing twice, refusals failed for a person, and nothing
//! posted without a token.

use super::*;
use crate::publisher::MastodonPublisher;
use crate::stub_mastodon::{self, Answer, Shared};
use crate::tests::at;
use ascent_core::catalog::{
    ExceptionRaised, SocialPostPublished, SocialPostRequested, SocialPublishingPageDue,
};
use ascent_core::config::ConfigFile;
use ascent_embedded::testkit::TestTwin;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Monday 2 March 2026, 09:00 UTC (04:00 in New York).
const START: &str = "2026-03-02T09:00:00Z";

/// The shipped settings with `edits` (`from`, `to`) made.
fn config(edits: &[(&str, &str)]) -> ConfigFile {
    let mut text = ConfigFile::shipped().text().to_string();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    ConfigFile::parse("x.toml", text).unwrap()
}

struct Setup {
    twin: TestTwin,
    stub: Shared,
    /// The publisher's pauses (recorded, not slept).
    waits: Arc<Mutex<Vec<Duration>>>,
}

/// A twin whose Social Media publishes on Mastodon through the stub answering `script`.
fn setup(script: &[Answer], edits: &[(&str, &str)]) -> Setup {
    let (base, stub) = stub_mastodon::start(script);
    let config = SocialConfig::from_file(&config(edits)).unwrap();
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = waits.clone();
    let publisher = MastodonPublisher::new(&base, "tok-3f9a", config.mastodon.policy())
        .with_sleep(Arc::new(move |d| w.lock().unwrap().push(d)));
    let agent = SocialMedia::new(config).with_publisher("mastodon", Arc::new(publisher));
    let twin = TestTwin::new(vec![Arc::new(agent)], at(START));
    Setup { twin, stub, waits }
}

fn request(t: &TestTwin, id: &str) {
    t.emit(
        "ascent.crm",
        SocialPostRequested {
            post_id: id.into(),
            platform: "mastodon".into(),
            text: format!("{id}: how Boreal Aero cut rework 30% with XR work instructions"),
            earliest: at(START),
        },
    );
}

fn published(t: &TestTwin) -> Vec<SocialPostPublished> {
    t.emitted("SocialPostPublished")
        .iter()
        .map(|e| match e.payload() {
            Payload::SocialPostPublished(p) => p.clone(),
            _ => unreachable!(),
        })
        .collect()
}

fn ids(t: &TestTwin) -> Vec<String> {
    published(t).into_iter().map(|p| p.post_id).collect()
}

fn post(t: &TestTwin, id: &str) -> serde_json::Value {
    t.get(Domain::Interaction, &format!("social#post#{id}"), "post")
        .unwrap()
}

fn run(t: &TestTwin) -> serde_json::Value {
    t.get(Domain::Interaction, "social#publishing#mastodon", "run")
        .unwrap()
}

#[test]
fn the_run_publishes_only_the_due_posts_a_page_at_a_time_and_continues() {
    let s = setup(&[], &[("max_posts_per_run = 5", "max_posts_per_run = 2")]);
    let t = &s.twin;
    // Mastodon's default slots, New York time: Mon 11:00, Wed 13:00, Thu 15:00, Fri 10:00.
    for i in 1..=7 {
        request(t, &format!("p{i}"));
    }
    let slot = |id: &str| post(t, id)["scheduled_for"].as_str().unwrap().to_string();
    assert_eq!(slot("p1"), "2026-03-02T16:00:00Z");
    assert_eq!(slot("p4"), "2026-03-06T15:00:00Z");
    // Daylight saving time from 8 March: Monday 11:00 is 15:00 UTC.
    assert_eq!(slot("p5"), "2026-03-09T15:00:00Z");
    assert_eq!(slot("p6"), "2026-03-11T17:00:00Z");

    // An hour before the first slot: nothing is due.
    t.tick("hourly", at("2026-03-02T15:00:00Z"));
    assert!(ids(t).is_empty());
    assert_eq!(run(t)["finished"], true);
    assert_eq!(run(t)["published"], 0);

    // Monday 9 March 15:00 UTC: p1 to p5 are due (p5 this very hour), two a page.
    t.tick("hourly", at("2026-03-09T15:00:00Z"));
    assert_eq!(ids(t), ["p1", "p2", "p3", "p4", "p5"]);
    let pages: BTreeMap<_, _> = t
        .emitted("SocialPublishingPageDue")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::SocialPublishingPageDue(p) if p.run_started_at == t.now() => {
                Some((e.detail.event_id, p.page))
            }
            _ => None,
        })
        .collect();
    assert_eq!(pages.len(), 3, "pages 0, 1 and 2");
    let mut by_page: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for e in t.emitted("SocialPostPublished") {
        let page = pages[&e.detail.causation_id.unwrap()];
        let Payload::SocialPostPublished(p) = e.payload() else {
            unreachable!()
        };
        by_page.entry(page).or_default().push(p.post_id.clone());
    }
    assert_eq!(
        by_page,
        BTreeMap::from([
            (0, vec!["p1".to_string(), "p2".to_string()]),
            (1, vec!["p3".to_string(), "p4".to_string()]),
            (2, vec!["p5".to_string()]),
        ])
    );
    let r = run(t);
    assert_eq!(
        (&r["page"], &r["finished"], &r["published"]),
        (&3.into(), &true.into(), &5.into())
    );
    let p1 = post(t, "p1");
    assert_eq!(p1["state"], "published");
    assert_eq!(p1["published"]["remote_id"], "110000000");
    assert_eq!(
        p1["published"]["url"],
        "https://social.example/@ascent/110000000"
    );
    assert_eq!(p1["published"]["at"], "2026-03-09T15:00:00Z");
    let first = &published(t)[0];
    assert_eq!(first.scheduled_for, at("2026-03-02T16:00:00Z"));
    assert_eq!(first.remote_id, "110000000");
    assert_eq!(post(t, "p6")["state"], "scheduled");
    // Only the published left the due index.
    let due = t.query_index(Domain::Interaction, "social#due#mastodon");
    let due: Vec<&str> = due.iter().map(|p| p["post_id"].as_str().unwrap()).collect();
    assert_eq!(due, ["p6", "p7"]);

    // Thursday 12 March 19:00 UTC: the last two; nothing published again.
    t.tick("hourly", at("2026-03-12T19:00:00Z"));
    assert_eq!(ids(t), ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]);
    let stub = s.stub.lock().unwrap();
    assert_eq!(stub.statuses.len(), 7);
    assert_eq!(stub.requests.len(), 7);
    for r in &stub.requests {
        assert_eq!(r.authorization.as_deref(), Some("Bearer tok-3f9a"));
        let key = r.key.as_deref().unwrap();
        assert!(
            r.body["status"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{key}: "))
        );
    }
}

#[test]
fn a_rate_limit_is_waited_out_and_an_outage_retried_within_the_run() {
    let s = setup(
        &[Answer::RateLimited(3), Answer::Unavailable, Answer::Created],
        &[],
    );
    let t = &s.twin;
    request(t, "p1");
    t.tick("hourly", at("2026-03-02T16:00:00Z"));
    assert_eq!(ids(t), ["p1"]);
    // Retry-After: 3 (the most the settings wait), then the first backoff, 500 ms.
    assert_eq!(
        *s.waits.lock().unwrap(),
        [Duration::from_secs(3), Duration::from_millis(500)]
    );
    let stub = s.stub.lock().unwrap();
    assert_eq!((stub.requests_for("p1"), stub.statuses.len()), (3, 1));
    assert_eq!(post(t, "p1")["tries"], 1);
}

#[test]
fn a_longer_rate_limit_ends_the_run_and_the_posts_wait_for_a_later_one_with_the_error_shown() {
    let s = setup(&[Answer::RateLimited(900)], &[]);
    let t = &s.twin;
    request(t, "p1");
    request(t, "p2");
    t.tick("hourly", at("2026-03-04T18:00:00Z"));
    assert!(ids(t).is_empty());
    let p1 = post(t, "p1");
    assert_eq!(
        (&p1["state"], &p1["tries"]),
        (&"scheduled".into(), &1.into())
    );
    assert_eq!(p1["last_error"], "rate limited: asked to wait 900 s");
    // Due again in retry_minutes (60; the 15 minutes asked are less).
    assert_eq!(p1["due_at"], "2026-03-04T19:00:00Z");
    let r = run(t);
    assert_eq!((&r["retrying"], &r["finished"]), (&1.into(), &true.into()));
    assert_eq!(r["stopped"], "rate limited: asked to wait 900 s");
    {
        let stub = s.stub.lock().unwrap();
        // p2 was not tried: the platform had said to wait.
        assert_eq!((stub.requests_for("p1"), stub.requests_for("p2")), (1, 0));
    }
    assert!(s.waits.lock().unwrap().is_empty(), "900 s is not waited");
    // Half an hour later p1 is not due yet, p2 is.
    t.tick("hourly", at("2026-03-04T18:30:00Z"));
    assert_eq!(ids(t), ["p2"]);
    t.tick("hourly", at("2026-03-04T19:00:00Z"));
    assert_eq!(ids(t), ["p2", "p1"]);
    let p1 = post(t, "p1");
    assert_eq!(
        (&p1["state"], &p1["tries"]),
        (&"published".into(), &2.into())
    );
    assert_eq!(p1["last_error"], serde_json::Value::Null);
}

#[test]
fn redelivered_messages_and_repeated_attempts_post_nothing_twice() {
    let s = setup(&[Answer::Lost], &[]);
    let t = &s.twin;
    request(t, "p1");
    request(t, "p2");
    // p2 was posted by an attempt whose answer was never recorded (a run cut short).
    s.stub
        .lock()
        .unwrap()
        .statuses
        .insert("p2".into(), "109999999".into());
    t.tick("hourly", at("2026-03-04T18:00:00Z"));
    assert_eq!(ids(t), ["p1", "p2"]);
    // The platform answered p2's key with the status it had.
    assert_eq!(published(t)[1].remote_id, "109999999");
    let page = t.emitted("SocialPublishingPageDue")[0].clone();
    // The page's message delivered again, and the tick: nothing is posted again.
    t.runtime.ingest(&[page]).unwrap();
    t.drain();
    t.tick("hourly", at("2026-03-04T18:00:00Z"));
    t.tick("hourly", at("2026-03-04T19:00:00Z"));
    assert_eq!(ids(t), ["p1", "p2"]);
    let stub = s.stub.lock().unwrap();
    // p1: the lost answer and its retry under the same key; p2: one request.
    assert_eq!((stub.requests_for("p1"), stub.requests_for("p2")), (2, 1));
    assert_eq!(stub.statuses.len(), 2);
}

#[test]
fn a_refused_post_is_failed_with_its_reason_and_a_person_is_told() {
    let s = setup(&[], &[]);
    let t = &s.twin;
    request(t, "p1");
    request(t, "p2");
    s.stub
        .lock()
        .unwrap()
        .by_key
        .insert("p1".into(), [Answer::Refused].into());
    t.tick("hourly", at("2026-03-04T18:00:00Z"));
    // A refusal ends nothing but its own post.
    assert_eq!(ids(t), ["p2"]);
    let p1 = post(t, "p1");
    assert_eq!(p1["state"], "failed");
    let reason = "refused (422): Validation failed: Text character limit of 500 exceeded";
    assert_eq!(p1["last_error"], reason);
    assert_eq!(p1["due_at"], serde_json::Value::Null);
    let failed = t.query_index(Domain::Interaction, "social#failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["post_id"], "p1");
    let mail = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .find(|m| m.subject == "Post p1 was not published on mastodon")
        .expect("the owner is told");
    assert_eq!(mail.to, "social@ascent-xr.example");
    assert!(mail.text.contains(reason), "{}", mail.text);
    assert!(mail.text.contains("scheduled for 2026-03-02 16:00 UTC"));
    let raised: Vec<ExceptionRaised> = t
        .emitted("ExceptionRaised")
        .iter()
        .map(|e| match e.payload() {
            Payload::ExceptionRaised(x) => x.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(raised.len(), 1);
    assert_eq!(
        (raised[0].agent.as_str(), raised[0].subject.as_str()),
        ("social-media", "p1")
    );
    let r = run(t);
    assert_eq!((&r["published"], &r["failed"]), (&1.into(), &1.into()));
    // Not tried again.
    t.tick("hourly", at("2026-03-04T19:00:00Z"));
    assert_eq!(s.stub.lock().unwrap().requests_for("p1"), 1);
}

#[test]
fn a_post_out_of_tries_is_failed_for_a_person() {
    let s = setup(
        &[Answer::Unavailable; 6],
        &[("max_tries = 6", "max_tries = 2")],
    );
    let t = &s.twin;
    request(t, "p1");
    t.tick("hourly", at("2026-03-02T16:00:00Z"));
    assert_eq!(post(t, "p1")["state"], "scheduled");
    t.tick("hourly", at("2026-03-02T17:00:00Z"));
    let p1 = post(t, "p1");
    assert_eq!((&p1["state"], &p1["tries"]), (&"failed".into(), &2.into()));
    assert_eq!(
        p1["last_error"],
        "gave up after 2 tries: unavailable after 3 attempts: status 503"
    );
    assert_eq!(t.emitted("ExceptionRaised").len(), 1);
    assert_eq!(s.stub.lock().unwrap().requests_for("p1"), 6);
}

#[test]
fn a_page_starts_no_post_after_page_seconds_and_the_next_page_goes_on() {
    let s = setup(&[], &[("page_seconds = 10", "page_seconds = 1")]);
    let t = &s.twin;
    for i in 1..=3 {
        request(t, &format!("p{i}"));
    }
    s.stub.lock().unwrap().delay = Duration::from_millis(1100);
    t.tick("hourly", at("2026-03-06T15:00:00Z"));
    assert_eq!(ids(t), ["p1", "p2", "p3"]);
    // Each post took longer than the page's second: one a page.
    assert_eq!(t.emitted("SocialPublishingPageDue").len(), 3);
    assert_eq!(s.stub.lock().unwrap().statuses.len(), 3);
}

#[test]
fn without_a_token_nothing_is_posted_and_the_run_says_why() {
    let (base, stub) = stub_mastodon::start(&[]);
    let file = config(&[(
        "base_url = \"https://mastodon.social\"",
        &format!("base_url = \"{base}\""),
    )]);
    let t = TestTwin::new(
        vec![Arc::new(SocialMedia::with_token(&file, None).unwrap())],
        at(START),
    );
    request(&t, "p1");
    t.tick("hourly", at("2026-03-02T16:00:00Z"));
    assert!(t.emitted("SocialPublishingPageDue").is_empty());
    assert!(ids(&t).is_empty());
    assert_eq!(post(&t, "p1")["state"], "scheduled");
    let r = run(&t);
    assert_eq!(
        r["off"],
        "publishing is off: no Mastodon token (ASCENT_MASTODON_TOKEN is not set)"
    );
    assert_eq!(r["waiting"], 1);
    let linkedin = t
        .get(Domain::Interaction, "social#publishing#linkedin", "run")
        .unwrap();
    assert_eq!(
        linkedin["off"],
        "publishing is off: no publisher for linkedin (post by hand)"
    );
    assert!(stub.lock().unwrap().requests.is_empty());

    // The same settings with a token: the configured instance gets the post.
    let t = TestTwin::new(
        vec![Arc::new(
            SocialMedia::with_token(&file, Some("tok-live")).unwrap(),
        )],
        at(START),
    );
    request(&t, "p1");
    t.tick("hourly", at("2026-03-02T16:00:00Z"));
    assert_eq!(ids(&t), ["p1"]);
    let s = stub.lock().unwrap();
    assert_eq!(
        s.requests[0].authorization.as_deref(),
        Some("Bearer tok-live")
    );
}

#[test]
fn a_bad_page_is_dead_lettered_naming_the_field() {
    let s = setup(&[], &[]);
    let t = &s.twin;
    t.emit(
        "ascent.agent.social-media",
        SocialPublishingPageDue {
            platform: "myspace".into(),
            run_started_at: t.now(),
            page: 0,
        },
    );
    let reasons: Vec<String> = t
        .runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("`detail.payload.platform`"),
        "{}",
        reasons[0]
    );
}
