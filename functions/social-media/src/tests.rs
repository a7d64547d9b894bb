//! Listening tests through an in-memory twin: tickets for unhappy customers (triaged by
//! Support), spikes announced once, the daily cap, bad mentions dead-lettered.

use super::*;
use ascent_core::catalog::{CustomerSignedUp, MentionObserved, ThresholdCrossed, TicketOpened};
use ascent_core::config::ConfigFile;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn signup(account: &str, email: &str) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: account.into(),
        company: "Boreal Aero".into(),
        plan: "team".into(),
        seats: 25,
        tax_region: "US-CA".into(),
        billing_email: email.into(),
        payment_terms_days: 30,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn mention(id: &str, email: Option<&str>, text: &str, posted_at: DateTime<Utc>) -> MentionObserved {
    MentionObserved {
        mention_id: id.into(),
        platform: "linkedin".into(),
        author: "Maya Lind".into(),
        author_email: email.map(str::to_string),
        text: text.into(),
        posted_at,
        url: format!("https://www.linkedin.com/feed/update/urn:li:activity:{id}"),
    }
}

fn tickets(t: &TestTwin) -> Vec<TicketOpened> {
    t.emitted("TicketOpened")
        .iter()
        .map(|e| match e.payload() {
            Payload::TicketOpened(o) => o.clone(),
            _ => unreachable!(),
        })
        .collect()
}

fn agent_with(from: &str, to: &str) -> SocialMedia {
    let shipped = ConfigFile::shipped().text().to_string();
    assert!(shipped.contains(from), "{from}");
    let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
    SocialMedia::from_config(&file).unwrap()
}

#[test]
fn a_negative_mention_by_a_known_customer_opens_one_ticket_that_support_triages() {
    let t = TestTwin::new(
        vec![
            Arc::new(SocialMedia::default()),
            Arc::new(support::Support::default()),
        ],
        at("2026-03-02T15:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1", "ops@boreal-aero.example"));
    // broken -3, useless -3: -6, under -2.
    let angry = mention(
        "m1",
        Some("Ops@Boreal-Aero.example"),
        "Headset firmware broken again and the support portal is useless",
        at("2026-03-02T14:55:00Z"),
    );
    t.emit("ascent.social", angry.clone());
    // The listening service sends it again: one ticket still.
    t.emit("ascent.social", angry);
    // The same customer, happy (love +3, great +2): no ticket.
    t.emit(
        "ascent.social",
        mention(
            "m2",
            Some("ops@boreal-aero.example"),
            "We love it, great demo",
            t.now(),
        ),
    );
    // Angry, but not a customer we know: no ticket.
    t.emit(
        "ascent.social",
        mention(
            "m3",
            Some("someone@elsewhere.example"),
            "Awful, terrible app",
            t.now(),
        ),
    );
    let opened = tickets(&t);
    assert_eq!(opened.len(), 1, "{opened:?}");
    let o = &opened[0];
    assert_eq!(
        (
            o.ticket_id.as_str(),
            o.account_id.as_str(),
            o.channel.as_str()
        ),
        ("social-m1", "A1", "social")
    );
    assert_eq!(o.requester.as_deref(), Some("ops@boreal-aero.example"));
    assert_eq!(
        o.subject,
        "Negative linkedin mention by Maya Lind (Boreal Aero)"
    );
    assert!(o.body.contains("Sentiment score -6.0"), "{}", o.body);
    assert_eq!(o.created_at, Some(at("2026-03-02T14:55:00Z")));
    // Support accepted it from this agent and triaged it.
    let triaged = t.emitted("TicketTriaged");
    assert_eq!(triaged.len(), 1);
    let Payload::TicketTriaged(tr) = triaged[0].payload() else {
        unreachable!()
    };
    assert_eq!(
        (tr.ticket_id.as_str(), tr.account_id.as_str()),
        ("social-m1", "A1")
    );

    let m1 = t
        .get(Domain::Interaction, "social#mention#m1", "mention")
        .unwrap();
    assert_eq!(
        (m1["score"].as_f64(), m1["negative"].as_bool()),
        (Some(-6.0), Some(true))
    );
    assert_eq!(m1["ticket_id"], "social-m1");
    let day = t
        .get(Domain::Interaction, "social#day#2026-03-02", "count")
        .unwrap();
    assert_eq!(
        (day["mentions"].as_u64(), day["negative"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(day["tickets"].as_u64(), Some(1));
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}

#[test]
fn a_mention_spike_is_announced_once_to_the_social_owner() {
    let start = at("2026-03-01T00:00:00Z");
    let t = TestTwin::new(vec![Arc::new(SocialMedia::default())], start);
    let mut n = 0;
    let mut say = |t: &TestTwin, hour: i64, minute: i64| {
        n += 1;
        let when = start + Duration::hours(hour) + Duration::minutes(minute);
        t.clock.set(when);
        t.emit(
            "ascent.social",
            mention(&format!("s{n}"), None, "Saw the new XR headset", when),
        );
    };
    // One mention an hour for a day: mean 1, deviation 0 (taken as min_std 1).
    for h in 0..24 {
        say(&t, h, 10);
    }
    // Hour 24: the 10th mention reaches min_mentions at z (10-1)/1 = 9; 11 and 12 add nothing.
    for i in 0..12 {
        say(&t, 24, i);
    }
    // Hour 25: still spiking (its window now holds hour 24's 12): no second announcement.
    for i in 0..14 {
        say(&t, 25, i);
    }
    let crossed: Vec<ThresholdCrossed> = t
        .emitted("ThresholdCrossed")
        .iter()
        .map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) => x.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(crossed.len(), 1, "{crossed:?}");
    assert_eq!(crossed[0].metric, "social.mention_volume_z");
    assert_eq!((crossed[0].value, crossed[0].threshold), (9.0, 3.0));
    let mails: Vec<_> = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Mention spike"))
        .collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "social@ascent-xr.example");
    assert_eq!(
        mails[0].subject,
        "Mention spike: 10 mentions in the 60-minute bucket from 2026-03-02T00:00Z (z 9.00)"
    );
    assert!(
        mails[0]
            .text
            .contains("against 1.0 a bucket over the 24 buckets before")
    );
    let bucket = t
        .get(Domain::Performance, "social#volume", "2026-03-02T01:00Z")
        .unwrap();
    assert_eq!(
        (bucket["mentions"].as_u64(), bucket["spiking"].as_bool()),
        (Some(14), Some(true))
    );
    assert_eq!(bucket["alerted"], false);
}

#[test]
fn a_late_burst_is_counted_in_its_bucket_but_announces_no_old_spike() {
    let start = at("2026-03-01T00:00:00Z");
    let t = TestTwin::new(vec![Arc::new(SocialMedia::default())], start);
    for h in 0..24 {
        let when = start + Duration::hours(h) + Duration::minutes(10);
        t.clock.set(when);
        t.emit(
            "ascent.social",
            mention(&format!("d{h}"), None, "Saw the headset", when),
        );
    }
    // Twelve mentions posted in hour 24 reach us six hours later (a backlog of the service).
    t.clock.set(at("2026-03-02T06:00:00Z"));
    for i in 0..12 {
        let posted = at("2026-03-02T00:00:00Z") + Duration::minutes(i);
        t.emit(
            "ascent.social",
            mention(&format!("late{i}"), None, "Saw it", posted),
        );
    }
    assert!(t.emitted("ThresholdCrossed").is_empty());
    let bucket = t
        .get(Domain::Performance, "social#volume", "2026-03-02T00:00Z")
        .unwrap();
    assert_eq!(bucket["mentions"].as_u64(), Some(12));
    assert_eq!(
        (bucket["spiking"].as_bool(), bucket["alerted"].as_bool()),
        (Some(true), Some(false))
    );
}

#[test]
fn beyond_the_daily_cap_a_mention_is_recorded_without_its_text() {
    let agent = agent_with("mentions_kept_per_day = 2000", "mentions_kept_per_day = 2");
    let t = TestTwin::new(vec![Arc::new(agent)], at("2026-03-02T09:00:00Z"));
    for id in ["c1", "c2", "c3"] {
        t.emit(
            "ascent.social",
            mention(id, None, "Good talk at AWE", t.now()),
        );
    }
    let text = |id: &str| {
        t.get(
            Domain::Interaction,
            &format!("social#mention#{id}"),
            "mention",
        )
        .unwrap()["text"]
            .clone()
    };
    assert_eq!(text("c2"), "Good talk at AWE");
    assert_eq!(text("c3"), serde_json::Value::Null);
    let c3 = t
        .get(Domain::Interaction, "social#mention#c3", "mention")
        .unwrap();
    assert_eq!(c3["score"].as_f64(), Some(1.0));
    let day = t
        .get(Domain::Interaction, "social#day#2026-03-02", "count")
        .unwrap();
    assert_eq!(
        (day["mentions"].as_u64(), day["kept_in_full"].as_u64()),
        (Some(3), Some(2))
    );
}

#[test]
fn a_bad_mention_is_dead_lettered_naming_its_field() {
    let t = TestTwin::new(
        vec![Arc::new(SocialMedia::default())],
        at("2026-03-02T09:00:00Z"),
    );
    let mut tiktok = mention("b1", None, "hello", t.now());
    tiktok.platform = "tiktok".into();
    t.emit("ascent.social", tiktok);
    t.emit("ascent.social", mention("b2", None, "  ", t.now()));
    t.emit(
        "ascent.social",
        mention("b3", Some("not-an-address"), "terrible", t.now()),
    );
    let reasons: Vec<String> = t
        .runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].contains("`detail.payload.platform`"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[0].contains("linkedin, mastodon, x"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[1].contains("`detail.payload.text`: is empty"),
        "{}",
        reasons[1]
    );
    assert!(
        reasons[2].contains("`detail.payload.author_email`"),
        "{}",
        reasons[2]
    );
    assert!(t.emitted("TicketOpened").is_empty());
}
