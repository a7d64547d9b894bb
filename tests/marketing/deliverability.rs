//! A newsletter paused by its bounces sends nothing more until a person resumes it, with every
//! agent running: the outbox counted by hand batch by batch.

use super::script::*;
use ascent_core::catalog::{
    BounceKind, ContactPreference, ContactPreferenceChanged, EmailBounced, EmailCampaignResumed,
    Payload,
};
use ascent_core::event::{Actor, Event};
use ascent_embedded::testkit::TestTwin;
use chrono::Duration;

const SUBJECT: &str = "Summer at Ascent XR for ";

fn account(i: usize) -> String {
    format!("N{i:04}")
}

/// One round of the queues: the campaign's next batch.
fn step(t: &TestTwin) {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(t.runtime.step())
        .unwrap();
}

fn sent(t: &TestTwin) -> usize {
    mails(t, SUBJECT).len()
}

#[test]
fn a_newsletter_paused_by_its_bounces_sends_nothing_more_until_it_is_resumed() {
    let t = TestTwin::new(ascent::agents::all(), at("2026-07-06T09:00:00Z"));
    // 260 customers, N0001 to N0260, each its own billing contact.
    for i in 1..=260 {
        let a = account(i);
        t.emit(
            "ascent.platform",
            signup(&a, &format!("Customer {a}"), "team", 10, "US-OR"),
        );
    }
    let summer = newsletter(
        "EM-SUMMER",
        "Summer at Ascent XR for {company}",
        "2026-07-06T09:00:00Z",
    );
    let e = Event::new("ascent.crm", Actor::system("crm"), t.now(), summer);
    t.runtime.ingest(&[e]).unwrap();
    // Due now, so it starts at once: the scheduling, then five batches of 40 = 200 emails.
    for _ in 0..6 {
        step(&t);
    }
    assert_eq!(sent(&t), 200);
    // The first 13 addresses hard-bounce while the sixth batch is on its way.
    let bounces: Vec<Event> = (1..=13)
        .map(|i| {
            let b = EmailBounced {
                email: billing(&account(i)),
                bounce: BounceKind::Hard,
                diagnostic: "550 5.1.1 user unknown".into(),
            };
            Event::new("ascent.mail", Actor::system("ses"), t.now(), b)
        })
        .collect();
    t.runtime.ingest(&bounces).unwrap();
    t.drain();
    // The sixth batch went first (240 sent); 13 hard bounces of 240 emails is 5.42%, over
    // `max_bounce_rate_pct` 5% once `min_sends` (200) went out: paused at 240.
    assert_eq!(sent(&t), 240);
    let paused: Vec<(String, u32)> = payloads(&t, "EmailCampaignPaused")
        .into_iter()
        .map(|p| match p {
            Payload::EmailCampaignPaused(p) => (p.metric, p.sent),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(paused, vec![("bounce_rate".to_string(), 240)]);
    let told = mails(&t, "Campaign EM-SUMMER paused");
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0].to.as_str(), told[0].subject.as_str()),
        (
            "deliverability@ascent-xr.example",
            "Campaign EM-SUMMER paused: bounce rate 5.42% over 5.00%"
        )
    );
    // A day of hourly runs: still 240.
    for h in 1..=24 {
        t.tick("hourly", at("2026-07-06T09:00:00Z") + Duration::hours(h));
    }
    assert_eq!(sent(&t), 240, "a paused campaign sends nothing more");
    // N0250, in the batches still waiting, unsubscribes; then the CRM resumes the campaign.
    t.emit(
        "ascent.web",
        ContactPreferenceChanged {
            email: billing(&account(250)),
            change: ContactPreference::Unsubscribed,
            phone: None,
            evidence: "unsubscribe link".into(),
            consent: None,
        },
    );
    t.emit(
        "ascent.crm",
        EmailCampaignResumed {
            campaign_id: "EM-SUMMER".into(),
            resumed_by: "deliverability@ascent-xr.example".into(),
            note: "bounced addresses removed".into(),
        },
    );
    // The other 20 profiles (N0241 to N0260) less N0250: 19 more, 259 in all, in 7 batches
    // (260 / 40 = 6.5 pages).
    assert_eq!(sent(&t), 259);
    assert!(
        mails(&t, SUBJECT)
            .iter()
            .all(|m| m.to != billing(&account(250)))
    );
    let done: Vec<(u32, u32, u32)> = payloads(&t, "EmailCampaignCompleted")
        .into_iter()
        .map(|p| match p {
            Payload::EmailCampaignCompleted(c) => (c.sent, c.suppressed, c.batches),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(done, vec![(259, 1, 7)]);
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}
