//! The synthetic company: reproducible, valid for the catalog, and its marketing world moves
//! only as the agents allow.

use super::*;
use ascent_core::catalog::{BounceKind, ContactPreference};
use std::collections::{BTreeMap, BTreeSet};

fn start() -> DateTime<Utc> {
    "2026-01-05T00:00:00Z".parse().unwrap()
}

/// A company with one customer already (A00001, billing `ap@a00001.example`).
fn with_a_customer(seed: u64) -> Company {
    let mut c = Company::new(seed, start(), 20);
    c.accounts.push("A00001".into());
    c.mkt.customers.insert(audience::billing_email("A00001"));
    c
}

fn days(c: &mut Company, n: u32) -> Vec<Event> {
    (0..n).flat_map(|d| c.events_for(d)).collect()
}

#[test]
fn same_seed_same_company() {
    let mut a = Company::new(7, start(), 50);
    let mut b = Company::new(7, start(), 50);
    for day in 0..5 {
        let ea: Vec<String> = a
            .events_for(day)
            .iter()
            .map(|e| format!("{:?}", e.detail.payload))
            .collect();
        let eb: Vec<String> = b
            .events_for(day)
            .iter()
            .map(|e| format!("{:?}", e.detail.payload))
            .collect();
        assert_eq!(ea, eb);
        assert!(!ea.is_empty());
    }
}

#[test]
fn every_generated_event_is_valid() {
    let mut c = with_a_customer(1);
    for e in days(&mut c, 45) {
        Event::parse(e.to_json().as_bytes()).unwrap_or_else(|err| panic!("{err}: {}", e.to_json()));
    }
}

#[test]
fn campaigns_move_only_as_the_orchestrator_allows() {
    let mut c = Company::new(5, start(), 20);
    let events = days(&mut c, 84);
    // The Orchestrator's table: planned → live ⇄ paused, any of them → ended.
    let mut state: BTreeMap<String, &str> = BTreeMap::new();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    let mut used = BTreeSet::new();
    for e in &events {
        let (id, from, to): (&str, &[&str], &str) = match e.payload() {
            Payload::CampaignPlanned(p) => (&p.campaign_id, &["new"], "planned"),
            Payload::CampaignLaunched(l) => (&l.campaign_id, &["planned"], "live"),
            Payload::CampaignPaused(p) => (&p.campaign_id, &["live"], "paused"),
            Payload::CampaignResumed(r) => (&r.campaign_id, &["paused"], "live"),
            Payload::CampaignEnded(x) => (&x.campaign_id, &["planned", "live", "paused"], "ended"),
            Payload::TouchRecorded(t) => {
                used.extend(t.campaign_id.clone());
                continue;
            }
            Payload::MarketingSpendRecorded(s) => {
                used.extend(s.campaign_id.clone());
                continue;
            }
            _ => continue,
        };
        let now = state.get(id).copied().unwrap_or("new");
        assert!(from.contains(&now), "{id}: {now} → {to} at {}", e.time);
        state.insert(id.to_string(), to);
        *count.entry(e.detail_type()).or_default() += 1;
    }
    // 84 days are three periods of 28, each with a campaign for the 7 budgeted channels
    // (referral has none): 3 × 7 = 21 planned, launched and (on its last day or before) ended.
    assert_eq!(count["CampaignPlanned"], 21);
    assert_eq!(count["CampaignLaunched"], 21);
    assert_eq!(count["CampaignEnded"], 21);
    assert!(state.values().all(|s| *s == "ended"), "{state:?}");
    // Every pause is resumed within its period (before the campaign's last day).
    assert!(count["CampaignPaused"] > 0, "{count:?}");
    assert_eq!(count["CampaignResumed"], count["CampaignPaused"]);
    // Touches and spend name planned campaigns only (referrals none).
    assert!(!used.is_empty());
    assert!(used.iter().all(|id| state.contains_key(id)), "{used:?}");
    assert!(used.iter().all(|id| !id.starts_with("referral")));
}

#[test]
fn email_campaigns_go_to_the_segments_in_turn() {
    let mut c = with_a_customer(2);
    let scheduled: Vec<_> = days(&mut c, 40)
        .into_iter()
        .filter_map(|e| match e.detail.payload {
            Payload::EmailCampaignScheduled(s) => Some((e.time, s)),
            _ => None,
        })
        .collect();
    // Wednesdays are days 2, 9, 16, 23, 30 and 37 (the 5th is a Monday); from day 14: four.
    let ids: Vec<&str> = scheduled
        .iter()
        .map(|(_, s)| s.campaign_id.as_str())
        .collect();
    assert_eq!(ids, ["EM-016", "EM-023", "EM-030", "EM-037"]);
    let segments: Vec<&str> = scheduled.iter().map(|(_, s)| s.segment.as_str()).collect();
    assert_eq!(
        segments,
        [
            "all-customers",
            "enterprise-us",
            "all-customers",
            "enterprise-us"
        ]
    );
    // The third (n = 2) is an A/B test; each is sent from the next morning at 10:00.
    let variants: Vec<usize> = scheduled.iter().map(|(_, s)| s.variants.len()).collect();
    assert_eq!(variants, [1, 1, 2, 1]);
    for (time, s) in &scheduled {
        assert_eq!(
            s.send_at,
            time.date_naive().and_hms_opt(10, 0, 0).unwrap().and_utc() + Duration::days(1)
        );
    }
    // Without a customer there is nobody to mail.
    let mut none = Company::new(2, start(), 20);
    assert!(
        days(&mut none, 40)
            .iter()
            .all(|e| e.detail_type() != "EmailCampaignScheduled")
    );
}

#[test]
fn customers_answer_marketing_mail_and_leads_are_left_alone() {
    let mut c = with_a_customer(3);
    for _ in 0..2_000 {
        c.on_marketing_mail("ana.ruiz@company1.example", 4);
    }
    assert!(c.plan.is_empty(), "a lead's mail is Outreach's: no answer");
    for _ in 0..2_000 {
        c.on_marketing_mail("ap@a00001.example", 4);
    }
    let answers = &c.plan[&5];
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    for e in answers {
        let kind = match e.payload() {
            Payload::EmailBounced(b) if b.bounce == BounceKind::Hard => "hard",
            Payload::EmailBounced(_) => "soft",
            Payload::ContactPreferenceChanged(p) => {
                assert_eq!(p.change, ContactPreference::Unsubscribed);
                "unsubscribed"
            }
            Payload::EmailClicked(_) => "clicked",
            other => panic!("{other:?}"),
        };
        assert_eq!(
            e.time.date_naive(),
            (start() + Duration::days(5)).date_naive()
        );
        *n.entry(kind).or_default() += 1;
    }
    // Of 2,000 emails: 2.5% (50) bounce hard, 1.5% (30) soft, 3% (60) unsubscribe, 10% (200)
    // click; each within about three standard deviations (√(2000 × 0.025 × 0.975) = 7 for
    // the hard bounces, 5.4, 7.6 and 13.4 for the others).
    assert!((30..=70).contains(&n["hard"]), "{n:?}");
    assert!((14..=46).contains(&n["soft"]), "{n:?}");
    assert!((37..=83).contains(&n["unsubscribed"]), "{n:?}");
    assert!((160..=240).contains(&n["clicked"]), "{n:?}");
}

#[test]
fn mentions_are_scored_as_meant_and_negative_customers_are_named() {
    let lexicon = social_media::SocialConfig::default().sentiment;
    let mut c = with_a_customer(4);
    let mut by_hour: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let (mut negative, mut by_customer) = (0, 0);
    for e in days(&mut c, 120) {
        let Payload::MentionObserved(m) = e.payload() else {
            continue;
        };
        let s = lexicon.score(&m.text);
        // Only the negative texts are negative, and only they may name a customer.
        if audience::NEGATIVE.contains(&m.text.as_str()) {
            assert!(s.negative, "{}: {}", m.text, s.score);
            negative += 1;
        } else {
            assert!(!s.negative, "{}: {}", m.text, s.score);
            assert_eq!(m.author_email, None);
        }
        if let Some(email) = &m.author_email {
            assert_eq!(email, "ap@a00001.example");
            by_customer += 1;
        }
        // Reported five minutes after it was posted (inside its bucket: a spike is live).
        assert_eq!(e.time - m.posted_at, Duration::minutes(5));
        let day = (m.posted_at - start()).num_days() as u32;
        *by_hour
            .entry((day, m.posted_at.format("%H").to_string().parse().unwrap()))
            .or_default() += 1;
    }
    assert!(
        negative > 0 && by_customer > 0 && by_customer < negative,
        "{negative} {by_customer}"
    );
    // A burst: twelve mentions in one hour (Social Media's spike needs at least ten).
    assert!(by_hour.values().any(|n| *n >= 12), "{by_hour:?}");
}
