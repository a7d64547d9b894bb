//! Scheduling tests through an in-memory twin: default slots, learned slots, one post per
//! slot, a repeated request, no free slot, bad engagement dead-lettered.

use super::*;
use crate::tests::at;
use ascent_core::catalog::{
    PostEngagementObserved, SlotBasis, SocialPostRequested, SocialPostScheduled,
};
use ascent_core::config::ConfigFile;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::Arc;

fn request(id: &str, earliest: &str) -> SocialPostRequested {
    SocialPostRequested {
        post_id: id.into(),
        platform: "linkedin".into(),
        text: "Field service teams: see how Boreal Aero cut rework 30% with XR work instructions"
            .into(),
        earliest: at(earliest),
    }
}

fn scheduled(t: &TestTwin) -> Vec<SocialPostScheduled> {
    t.emitted("SocialPostScheduled")
        .iter()
        .map(|e| match e.payload() {
            Payload::SocialPostScheduled(s) => s.clone(),
            _ => unreachable!(),
        })
        .collect()
}

fn engagement(
    id: &str,
    posted_at: DateTime<Utc>,
    impressions: u64,
    engagements: u64,
) -> PostEngagementObserved {
    PostEngagementObserved {
        post_id: id.into(),
        platform: "linkedin".into(),
        posted_at,
        impressions,
        engagements,
    }
}

#[test]
fn without_engagement_posts_take_the_default_slots_one_post_per_slot() {
    // Monday 2026-03-02; New York is UTC-5 until 8 March.
    let t = TestTwin::new(
        vec![Arc::new(SocialMedia::default())],
        at("2026-03-02T12:00:00Z"),
    );
    t.emit("ascent.crm", request("p1", "2026-03-02T12:00:00Z"));
    t.emit("ascent.crm", request("p2", "2026-03-02T12:00:00Z"));
    t.emit("ascent.crm", request("p1", "2026-03-02T12:00:00Z")); // sent twice
    let s = scheduled(&t);
    let got: Vec<(&str, DateTime<Utc>, &str)> = s
        .iter()
        .map(|s| (s.post_id.as_str(), s.scheduled_for, s.slot.as_str()))
        .collect();
    // Linkedin's defaults: Tue 10:00 (15:00 UTC), then the earliest free one, Tue 14:00 (19:00
    // UTC: fourth in the table, but the same day).
    assert_eq!(
        got,
        [
            ("p1", at("2026-03-03T15:00:00Z"), "Tue 10:00"),
            ("p2", at("2026-03-03T19:00:00Z"), "Tue 14:00"),
        ]
    );
    assert!(
        s.iter()
            .all(|s| s.basis == SlotBasis::Default && s.engagement_rate.is_none())
    );
    let taken = t.query(Domain::Interaction, "social#calendar#linkedin");
    assert_eq!(taken.len(), 2);
    assert_eq!(taken[0]["post_id"], "p1");
}

#[test]
fn after_enough_engagement_posts_take_the_best_learned_slots() {
    let t = TestTwin::new(
        vec![Arc::new(SocialMedia::default())],
        at("2026-03-02T09:00:00Z"),
    );
    // Fri 16:00 New York (21:00 UTC in February): 3 posts, 240 of 3000 = 8%.
    for (i, day) in ["2026-02-06", "2026-02-13", "2026-02-20"]
        .iter()
        .enumerate()
    {
        let when = at(&format!("{day}T21:00:00Z"));
        t.emit(
            "ascent.social",
            engagement(&format!("f{i}"), when, 1000, 80),
        );
    }
    // Wed 12:00 New York (17:00 UTC): 3 posts, 180 of 3000 = 6%.
    for (i, day) in ["2026-02-04", "2026-02-11", "2026-02-18"]
        .iter()
        .enumerate()
    {
        let when = at(&format!("{day}T17:00:00Z"));
        t.emit(
            "ascent.social",
            engagement(&format!("w{i}"), when, 1000, 60),
        );
    }
    // 14 posts one each in other hours (Sat 2026-02-07 00:00 … 13:00 UTC), at 20%: too few per
    // slot to count. 20 posts in all: the platform is learned.
    for h in 0..14 {
        let when = at(&format!("2026-02-07T{h:02}:00:00Z"));
        t.emit("ascent.social", engagement(&format!("o{h}"), when, 100, 20));
    }
    // A later observation of w0 replaces its first (still 3 posts in Wed 12:00: 90+60+60 of 3500).
    t.emit(
        "ascent.social",
        engagement("w0", at("2026-02-04T17:00:00Z"), 1500, 90),
    );
    // An older one arriving late changes nothing.
    t.emit(
        "ascent.social",
        engagement("w0", at("2026-02-04T17:00:00Z"), 1200, 70),
    );
    let stats = t
        .get(Domain::Performance, "social#slots#linkedin", "stats")
        .unwrap();
    assert_eq!(stats["cells"]["Wed 12:00"]["posts"], 3);
    assert_eq!(stats["cells"]["Wed 12:00"]["impressions"], 3500);
    assert_eq!(stats["cells"]["Wed 12:00"]["engagements"], 210);

    // Monday 2026-03-09 (New York now UTC-4): Wed 12:00 is 16:00 UTC, Fri 16:00 is 20:00 UTC.
    t.emit("ascent.crm", request("p1", "2026-03-09T12:00:00Z"));
    t.emit("ascent.crm", request("p2", "2026-03-09T12:00:00Z"));
    t.emit("ascent.crm", request("p3", "2026-03-09T12:00:00Z"));
    let s = scheduled(&t);
    let got: Vec<(DateTime<Utc>, &str, Option<f64>)> = s
        .iter()
        .map(|s| (s.scheduled_for, s.slot.as_str(), s.engagement_rate))
        .collect();
    assert_eq!(
        got,
        [
            (at("2026-03-11T16:00:00Z"), "Wed 12:00", Some(0.06)),
            (at("2026-03-13T20:00:00Z"), "Fri 16:00", Some(0.08)),
            (at("2026-03-18T16:00:00Z"), "Wed 12:00", Some(0.06)),
        ]
    );
    assert!(s.iter().all(|s| s.basis == SlotBasis::Learned));
}

#[test]
fn a_post_with_no_free_slot_in_its_horizon_is_left_to_the_social_owner() {
    let shipped = ConfigFile::shipped()
        .text()
        .replacen("horizon_days = 14", "horizon_days = 1", 1);
    let file = ConfigFile::parse("x.toml", shipped).unwrap();
    let t = TestTwin::new(
        vec![Arc::new(SocialMedia::from_config(&file).unwrap())],
        at("2026-03-06T12:00:00Z"),
    );
    // Friday noon: within a day (to Saturday noon) linkedin has no default slot.
    t.emit("ascent.crm", request("p9", "2026-03-06T12:00:00Z"));
    assert!(scheduled(&t).is_empty());
    let mail = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .find(|m| m.subject == "No free linkedin slot for post p9")
        .expect("the owner is told");
    assert_eq!(mail.to, "social@ascent-xr.example");
    let post = t
        .get(Domain::Interaction, "social#post#p9", "post")
        .unwrap();
    assert_eq!(post["scheduled_for"], serde_json::Value::Null);
}

#[test]
fn bad_engagement_and_requests_are_dead_lettered_naming_the_field() {
    let t = TestTwin::new(
        vec![Arc::new(SocialMedia::default())],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit("ascent.social", engagement("e1", t.now(), 100, 250));
    let mut r = request("p1", "2026-03-02T12:00:00Z");
    r.platform = "myspace".into();
    t.emit("ascent.crm", r);
    let mut r = request("p2", "2026-03-02T12:00:00Z");
    r.text = String::new();
    t.emit("ascent.crm", r);
    let reasons: Vec<String> = t
        .runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].contains("`detail.payload.engagements`: 250 is more than the 100 impressions"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[1].contains("`detail.payload.platform`"),
        "{}",
        reasons[1]
    );
    assert!(
        reasons[2].contains("`detail.payload.text`"),
        "{}",
        reasons[2]
    );
}
