//! Email Marketing through an in-memory twin: campaigns of a few thousand customers in
//! bounded batches, segments, CAN-SPAM, A/B tests, deliverability pauses and bad input.

use super::*;
use ascent_core::catalog::{
    AbTestOutcome, AccountChurned, BounceKind, ContactPreference, ContactPreferenceChanged,
    CustomerSignedUp, EmailAbTestDecided, EmailBounced, EmailCampaignCompleted,
    EmailCampaignPaused, EmailCampaignResumed, EmailCampaignScheduled, EmailVariant, HealthScored,
    HealthTier, InteractionKind, InteractionRecorded, OnboardingCompleted,
};
use ascent_core::config::ConfigFile;
use ascent_core::ports::{Item, Mail};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

#[path = "tests_ab.rs"]
mod ab;
#[path = "tests_deliverability.rs"]
mod deliverability;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn twin_with(config: EmailMarketingConfig) -> TestTwin {
    TestTwin::new(
        vec![Arc::new(EmailMarketing::new(config))],
        at("2026-05-04T09:00:00Z"),
    )
}

fn twin() -> TestTwin {
    twin_with(EmailMarketingConfig::default())
}

/// The shipped settings with `from` replaced by `to`.
fn config_with(changes: &[(&str, &str)]) -> EmailMarketingConfig {
    let mut text = ConfigFile::shipped().text().to_string();
    for (from, to) in changes {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    let file = ConfigFile::parse("x.toml", text).unwrap();
    EmailMarketingConfig::from_file(&file, TWIN_UNSUBSCRIBE_URL).unwrap()
}

fn account(i: usize) -> String {
    format!("C{i:05}")
}

fn address(i: usize) -> String {
    format!("buyer{i:05}@customer{i:05}.example")
}

fn signup(t: &TestTwin, i: usize, plan: &str, region: &str, seats: u32) {
    t.emit(
        "ascent.platform",
        CustomerSignedUp {
            account_id: account(i),
            company: format!("Customer {i}"),
            plan: plan.into(),
            seats,
            tax_region: region.into(),
            billing_email: address(i),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
}

fn variant(name: &str, subject: &str) -> EmailVariant {
    EmailVariant {
        name: name.into(),
        subject: subject.into(),
        body: "Hello {company} team,\nyour {seats} seats get hand tracking today.".into(),
    }
}

fn schedule(
    id: &str,
    segment: &str,
    send_at: DateTime<Utc>,
    variants: Vec<EmailVariant>,
) -> EmailCampaignScheduled {
    EmailCampaignScheduled {
        campaign_id: id.into(),
        name: format!("Campaign {id}"),
        segment: segment.into(),
        send_at,
        variants,
    }
}

/// Marketing mails (those with an unsubscribe header), to whom and with which subject.
fn campaign_mails(t: &TestTwin) -> Vec<Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.headers.iter().any(|h| h.name == "List-Unsubscribe"))
        .collect()
}

fn payloads<T>(t: &TestTwin, detail_type: &str, pick: impl Fn(&Payload) -> Option<T>) -> Vec<T> {
    t.emitted(detail_type)
        .iter()
        .filter_map(|e| pick(e.payload()))
        .collect()
}

fn completed(t: &TestTwin) -> Vec<EmailCampaignCompleted> {
    payloads(t, "EmailCampaignCompleted", |p| match p {
        Payload::EmailCampaignCompleted(c) => Some(c.clone()),
        _ => None,
    })
}

#[test]
fn a_campaign_to_three_thousand_customers_goes_out_in_bounded_batches_once_to_each_address() {
    let t = twin();
    // Given 3,000 customers: the last 50 share one billing address with the 50 before them,
    // one address is on the shared suppression list, and 10 have churned.
    for i in 1..=3000 {
        signup(&t, i, "team", "US-CA", 10);
    }
    for i in 2951..=3000 {
        // Re-signing up under the address of account i - 50.
        t.emit(
            "ascent.platform",
            CustomerSignedUp {
                account_id: format!("D{i:05}"),
                company: format!("Customer {i} (second account)"),
                plan: "team".into(),
                seats: 5,
                tax_region: "US-NY".into(),
                billing_email: address(i - 50).to_uppercase(),
                payment_terms_days: 30,
                currency: "USD".into(),
                tax_locality: None,
                vat_id: None,
                tax_exemption_id: None,
            },
        );
    }
    for i in 1..=10 {
        t.emit(
            "ascent.crm",
            AccountChurned {
                account_id: account(i),
                churned_on: "2026-04-30".parse().unwrap(),
                reason: "budget".into(),
            },
        );
    }
    t.put(
        Domain::Customer,
        Item::new(
            format!("suppression#{}", address(500)),
            "entry",
            serde_json::json!({"reason": "unsubscribed", "evidence": "link", "since": "2026-01-01T00:00:00Z"}),
        ),
    );
    // When a newsletter is scheduled for tomorrow 14:00.
    t.emit(
        "ascent.crm",
        schedule(
            "EM-NEWS-05",
            "all-customers",
            at("2026-05-05T14:00:00Z"),
            vec![variant("A", "What's new for {company}")],
        ),
    );
    t.tick("hourly", at("2026-05-05T13:00:00Z"));
    assert!(campaign_mails(&t).is_empty(), "not before its time");
    t.tick("hourly", at("2026-05-05T14:00:00Z"));

    // Then 3,050 profiles are paged 40 at a time: 77 batches (76 full pages and 10 left).
    let batches = t.emitted("EmailBatchDue");
    assert_eq!(batches.len(), 77);
    // 3,000 addresses, less 10 churned and 1 suppressed; the second accounts add none.
    let mails = campaign_mails(&t);
    assert_eq!(mails.len(), 2989);
    let mut to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    to.sort_unstable();
    to.dedup();
    assert_eq!(to.len(), 2989, "an address is mailed once per campaign");
    assert!(!to.contains(&address(500).as_str()));
    assert!(!to.contains(&address(3).as_str()), "churned");
    let done = completed(&t);
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].sent, done[0].suppressed, done[0].batches),
        (2989, 1, 77)
    );
    // Every email carries the postal address, its link and the one-click headers.
    let m = mails.iter().find(|m| m.to == address(42)).unwrap();
    assert_eq!(m.subject, "What's new for Customer 42");
    assert!(
        m.text
            .contains("548 Market St #41200, San Francisco, CA 94104"),
        "{}",
        m.text
    );
    let profile = t
        .get(Domain::Customer, &profile_pk(&account(42)), "profile")
        .unwrap();
    let token = profile["unsubscribe_token"].as_str().unwrap();
    let link = format!("{TWIN_UNSUBSCRIBE_URL}/{token}");
    assert!(m.text.contains(&link));
    assert!(
        m.headers
            .iter()
            .any(|h| h.name == "List-Unsubscribe" && h.value == format!("<{link}>"))
    );
    assert!(
        m.headers
            .iter()
            .any(|h| h.name == "List-Unsubscribe-Post" && h.value == "List-Unsubscribe=One-Click")
    );
    // The link's record names the address, as the unsubscribe page reads it.
    let record = t
        .get(Domain::Customer, &unsubscribe_link_pk(token), "link")
        .unwrap();
    assert_eq!(record["email"], address(42));

    // A redelivered batch sends nothing again.
    let first = batches[0].clone();
    t.runtime.ingest(&[first]).unwrap();
    t.drain();
    assert_eq!(campaign_mails(&t).len(), 2989);
}

#[test]
fn segments_follow_plan_seats_health_and_lifecycle() {
    let t = twin();
    signup(&t, 1, "team", "US-CA", 12); // watch: in at-risk-teams
    signup(&t, 2, "team", "US-CA", 12); // healthy
    signup(&t, 3, "team", "DE", 8); // too few seats
    signup(&t, 4, "enterprise", "US-TX", 300); // another plan
    signup(&t, 5, "team", "US-CA", 40); // at risk but still onboarding
    for i in 1..=4 {
        t.emit(
            "ascent.agent.onboarding",
            OnboardingCompleted {
                account_id: account(i),
                plan: "team".into(),
                days_taken: 30,
                late_milestones: vec![],
            },
        );
    }
    let scored = |i: usize, tier| HealthScored {
        account_id: account(i),
        score: 50,
        tier,
        components: vec![],
        model: "default-v1".into(),
        arr: None,
        renews_on: None,
        arr_by_currency: vec![],
    };
    for (i, tier) in [
        (1, HealthTier::Watch),
        (2, HealthTier::Healthy),
        (3, HealthTier::AtRisk),
        (4, HealthTier::AtRisk),
        (5, HealthTier::AtRisk),
    ] {
        t.emit("ascent.agent.retention", scored(i, tier));
    }
    t.emit(
        "ascent.crm",
        schedule(
            "EM-RISK",
            "at-risk-teams",
            t.now(),
            vec![variant("A", "Tips for {company}")],
        ),
    );
    let to: Vec<String> = campaign_mails(&t).into_iter().map(|m| m.to).collect();
    assert_eq!(to, [address(1)]);
    // The enterprise US segment, and win-back after a churn.
    t.emit(
        "ascent.crm",
        AccountChurned {
            account_id: account(4),
            churned_on: "2026-05-01".parse().unwrap(),
            reason: "moved to a competitor".into(),
        },
    );
    t.emit(
        "ascent.crm",
        schedule(
            "EM-BACK",
            "win-back",
            t.now(),
            vec![variant("A", "Come back, {company}")],
        ),
    );
    let last = campaign_mails(&t).pop().unwrap();
    assert_eq!(
        (last.to, last.subject),
        (address(4), "Come back, Customer 4".to_string())
    );
}
#[test]
fn long_emails_make_shorter_batches_within_the_commit_s_limits() {
    let t = twin();
    for i in 1..=100 {
        signup(&t, i, "team", "US-CA", 10);
    }
    // A 20,000-character newsletter: 12 fit 256 KB (about 20.4 KB each), 13 do not.
    let long = EmailVariant {
        name: "A".into(),
        subject: "The long read".into(),
        body: "x".repeat(20_000),
    };
    t.emit(
        "ascent.crm",
        schedule("EM-LONG", "all-customers", t.now(), vec![long]),
    );
    let mails = campaign_mails(&t);
    assert_eq!(mails.len(), 100);
    let size = serde_json::to_string(&mails[0]).unwrap().len();
    assert!(
        12 * size <= batches::MAIL_BYTES_PER_BATCH && 13 * size > batches::MAIL_BYTES_PER_BATCH
    );
    // 8 batches of 12 and one of 4.
    assert_eq!(completed(&t)[0].batches, 9);
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}

#[test]
fn a_bad_campaign_is_dead_lettered_naming_its_field() {
    let t = twin();
    signup(&t, 1, "team", "US-CA", 10);
    let cases = [
        (
            schedule("EM-X1", "everyone", t.now(), vec![variant("A", "Hi")]),
            "`segment`",
        ),
        (
            schedule(
                "EM-X2",
                "all-customers",
                t.now(),
                vec![variant("A", "1"), variant("B", "2"), variant("C", "3")],
            ),
            "`variants`",
        ),
        (
            schedule(
                "EM-X3",
                "all-customers",
                t.now(),
                vec![variant("A", "Hi {first_name}")],
            ),
            "`variants[0].subject`",
        ),
        (
            schedule(
                "EM-X4",
                "all-customers",
                t.now(),
                vec![variant("A", "1"), variant("A", "2")],
            ),
            "`variants[1].name`",
        ),
    ];
    for (s, field) in cases {
        t.emit("ascent.crm", s);
        let dead = t.runtime.dead_letters().unwrap();
        let last = dead.last().unwrap();
        assert!(last.reason.contains(field), "{field}: {}", last.reason);
    }
    assert!(campaign_mails(&t).is_empty());
    // A resume of a campaign nobody scheduled.
    t.emit(
        "ascent.crm",
        EmailCampaignResumed {
            campaign_id: "EM-NONE".into(),
            resumed_by: "deliverability@ascent-xr.example".into(),
            note: "-".into(),
        },
    );
    let dead = t.runtime.dead_letters().unwrap();
    assert!(dead.last().unwrap().reason.contains("`campaign_id`"));
}

/// The unsubscribe page knows Email Marketing's links (`email-unsubscribe#<token>`) as well as
/// Outreach's: a customer's link finds their address; an unknown token is refused.
#[test]
fn the_unsubscribe_page_knows_email_marketing_s_links() {
    use ascent_core::compliance::{LakeUnsubscribeDesk, UnsubscribeDesk, UnsubscribeError};
    let t = twin();
    signup(&t, 7, "team", "US-NY", 10);
    let profile = t
        .get(Domain::Customer, &profile_pk(&account(7)), "profile")
        .unwrap();
    let token = profile["unsubscribe_token"].as_str().unwrap().to_string();
    /// The page only looks the link up here: nothing is published.
    struct NoBus;
    #[async_trait::async_trait]
    impl ascent_core::ports::EventBus for NoBus {
        async fn publish(
            &self,
            _: &[ascent_core::event::Event],
        ) -> Result<(), ascent_core::ports::BusError> {
            unreachable!("looking a link up publishes nothing")
        }
    }
    let desk = LakeUnsubscribeDesk {
        lake: t.runtime.store().clone(),
        bus: std::sync::Arc::new(NoBus),
        clock: t.runtime.clock().clone(),
    };
    let found = futures::executor::block_on(desk.address(&token)).unwrap();
    assert_eq!(found, address(7).to_lowercase());
    assert_eq!(
        futures::executor::block_on(desk.address("00ff")),
        Err(UnsubscribeError::UnknownLink)
    );
}
