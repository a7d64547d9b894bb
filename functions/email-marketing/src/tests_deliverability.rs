//! Deliverability through the twin: bounces over the rate pause a campaign mid-way, a person
//! resumes it, and the opted-out addresses stay out of it and the next campaign.

use super::*;

/// Handles one round of visible messages (one batch of the campaign at a time).
fn step(t: &TestTwin) {
    futures::executor::block_on(t.runtime.step()).unwrap();
}

#[test]
fn bounces_over_the_rate_pause_the_campaign_until_a_person_resumes_it() {
    let t = twin();
    for i in 1..=600 {
        signup(&t, i, "team", "US-CA", 10);
    }
    let e = ascent_core::event::Event::new(
        "ascent.crm",
        ascent_core::event::Actor::system("crm"),
        t.now(),
        schedule(
            "EM-BNC",
            "all-customers",
            t.now(),
            vec![variant("A", "News")],
        ),
    );
    t.runtime.ingest(&[e]).unwrap();
    // The scheduling, then five batches: 200 sent.
    for _ in 0..6 {
        step(&t);
    }
    assert_eq!(campaign_mails(&t).len(), 200);
    // 13 hard bounces come back while the sixth batch is on its way.
    let bounces: Vec<_> = (1..=13)
        .map(|i| {
            ascent_core::event::Event::new(
                "ascent.mail",
                ascent_core::event::Actor::system("ses"),
                t.now(),
                EmailBounced {
                    email: address(i),
                    bounce: BounceKind::Hard,
                    diagnostic: "550 5.1.1 user unknown".into(),
                },
            )
        })
        .collect();
    t.runtime.ingest(&bounces).unwrap();
    t.drain();
    // The sixth batch went first (240 sent); the 13th bounce made 13 / 240 = 5.42% > 5%.
    let paused: Vec<EmailCampaignPaused> = payloads(&t, "EmailCampaignPaused", |p| match p {
        Payload::EmailCampaignPaused(p) => Some(p.clone()),
        _ => None,
    });
    assert_eq!(paused.len(), 1);
    assert_eq!(
        (paused[0].metric.as_str(), paused[0].sent),
        ("bounce_rate", 240)
    );
    assert!((paused[0].rate_pct - 13.0 * 100.0 / 240.0).abs() < 1e-9);
    assert_eq!(campaign_mails(&t).len(), 240, "the remaining batches wait");
    let crossed = t.emitted("ThresholdCrossed");
    assert_eq!(crossed.len(), 1);
    let all = t.runtime.mails().unwrap();
    let told = all
        .iter()
        .find(|m| m.to == "deliverability@ascent-xr.example")
        .expect("the deliverability contact is told");
    assert_eq!(
        told.subject,
        "Campaign EM-BNC paused: bounce rate 5.42% over 5.00%"
    );
    // While paused a customer of the remaining batches unsubscribes; then it is resumed.
    t.emit(
        "ascent.web",
        ContactPreferenceChanged {
            email: address(555),
            change: ContactPreference::Unsubscribed,
            phone: None,
            evidence: "unsubscribe link".into(),
            consent: None,
        },
    );
    t.emit(
        "ascent.crm",
        EmailCampaignResumed {
            campaign_id: "EM-BNC".into(),
            resumed_by: "deliverability@ascent-xr.example".into(),
            note: "stale addresses removed".into(),
        },
    );
    let mails = campaign_mails(&t);
    assert_eq!(mails.len(), 599);
    assert!(!mails.iter().any(|m| m.to == address(555)));
    let done = &completed(&t)[0];
    assert_eq!((done.sent, done.suppressed, done.batches), (599, 1, 15));
    // A resume repeated changes nothing.
    t.emit(
        "ascent.crm",
        EmailCampaignResumed {
            campaign_id: "EM-BNC".into(),
            resumed_by: "deliverability@ascent-xr.example".into(),
            note: "again".into(),
        },
    );
    assert_eq!(campaign_mails(&t).len(), 599);
    assert_eq!(completed(&t).len(), 1);
    // The next campaign leaves out the 13 hard-bounced addresses and the unsubscribed one.
    t.emit(
        "ascent.crm",
        schedule(
            "EM-NEXT",
            "all-customers",
            t.now(),
            vec![variant("A", "Next")],
        ),
    );
    let next = &completed(&t)[1];
    assert_eq!((next.sent, next.suppressed), (586, 14));
}
