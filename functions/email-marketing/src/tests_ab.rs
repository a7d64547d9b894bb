//! A/B tests through the twin: a winner for the rest of the segment (with an unsubscribe
//! made while the test waits), too small a sample, and a test decided on clicks.

use super::*;

fn decided(t: &TestTwin) -> Vec<EmailAbTestDecided> {
    payloads(t, "EmailAbTestDecided", |p| match p {
        Payload::EmailAbTestDecided(d) => Some(d.clone()),
        _ => None,
    })
}

fn opened(t: &TestTwin, email: &str, when: DateTime<Utc>, n: usize) {
    t.emit(
        "ascent.web",
        InteractionRecorded {
            interaction_id: format!("open-{email}-{n}"),
            email: email.into(),
            kind: InteractionKind::EmailOpened,
            occurred_at: when,
            text: None,
        },
    );
}

#[test]
fn an_ab_test_sends_the_winner_to_the_rest_and_honours_unsubscribes_made_meanwhile() {
    let config = config_with(&[
        ("test_recipients = 2000", "test_recipients = 400"),
        (
            "min_sample_per_variant = 500",
            "min_sample_per_variant = 150",
        ),
    ]);
    let rules = config.ab_test.rules();
    let t = twin_with(config);
    for i in 1..=1000 {
        signup(&t, i, "team", "US-CA", 10);
    }
    t.emit(
        "ascent.crm",
        schedule(
            "EM-AB",
            "all-customers",
            t.now(),
            vec![
                variant("A", "Hand tracking is here"),
                variant("B", "New: hands-free training"),
            ],
        ),
    );
    // The test: 400 recipients (ten batches), split by address, then the campaign waits.
    let sent: Vec<serde_json::Value> = t.query(Domain::Interaction, "email-send#EM-AB");
    assert_eq!(sent.len(), 400);
    assert_eq!(t.emitted("EmailBatchDue").len(), 10);
    let of = |v: u64| sent.iter().filter(|s| s["variant"] == v).count();
    let (n_a, n_b) = (of(0), of(1));
    assert_eq!(n_a + n_b, 400);
    assert!(n_a >= 150 && n_b >= 150, "{n_a} / {n_b}");
    // Opens: 4 in 10 of A's recipients, 2 in 10 of B's (one of them twice), and one from an
    // address that got nothing.
    let later = t.now() + Duration::hours(3);
    let (mut o_a, mut o_b) = (0, 0);
    for (k, s) in sent.iter().enumerate() {
        let email = s["email"].as_str().unwrap();
        let opens = if s["variant"] == 0 {
            k % 10 < 4
        } else {
            k % 10 < 2
        };
        if opens {
            opened(&t, email, later, 1);
            if s["variant"] == 0 {
                o_a += 1;
            } else {
                o_b += 1;
                opened(&t, email, later, 2);
            }
        }
    }
    opened(&t, "stranger@elsewhere.example", later, 1);
    let returns = t
        .get(Domain::Interaction, "email-campaign#EM-AB", "returns")
        .unwrap();
    assert_eq!(returns["opens"], serde_json::json!([o_a, o_b]));
    // Meanwhile a customer of the rest of the segment unsubscribes.
    t.emit(
        "ascent.web",
        ContactPreferenceChanged {
            email: address(900),
            change: ContactPreference::Unsubscribed,
            phone: None,
            evidence: "unsubscribe link".into(),
            consent: None,
        },
    );
    // Not decided before its 24 hours.
    t.tick("hourly", at("2026-05-05T08:00:00Z"));
    assert!(decided(&t).is_empty());
    t.tick("hourly", at("2026-05-05T09:00:00Z"));
    let d = &decided(&t)[0];
    let expected = abtest::decide(
        &[
            ascent_core::catalog::AbVariantResult {
                variant: "A".into(),
                sent: n_a as u32,
                responded: o_a,
            },
            ascent_core::catalog::AbVariantResult {
                variant: "B".into(),
                sent: n_b as u32,
                responded: o_b,
            },
        ],
        rules,
    );
    assert_eq!(d.outcome, AbTestOutcome::Winner, "{d:?}");
    assert_eq!(d.rest_get, "A");
    assert_eq!((d.z, d.p_value), (expected.z, expected.p_value));
    assert!(d.p_value.unwrap() < 0.05);
    // The rest, 600 less the one who unsubscribed, get A.
    let mails = campaign_mails(&t);
    assert_eq!(mails.len(), 400 + 599);
    assert!(
        mails[400..]
            .iter()
            .all(|m| m.subject == "Hand tracking is here")
    );
    assert!(!mails.iter().any(|m| m.to == address(900)));
    let done = &completed(&t)[0];
    assert_eq!((done.sent, done.suppressed), (999, 1));
}

#[test]
fn an_ab_test_of_too_small_a_segment_is_not_judged_and_sends_the_first_variant() {
    let t = twin();
    for i in 1..=300 {
        signup(&t, i, "team", "US-CA", 10);
    }
    t.emit(
        "ascent.crm",
        schedule(
            "EM-SMALL",
            "all-customers",
            t.now(),
            vec![variant("A", "One"), variant("B", "Two")],
        ),
    );
    assert_eq!(campaign_mails(&t).len(), 300);
    t.tick("hourly", t.now() + Duration::hours(24));
    let d = &decided(&t)[0];
    assert_eq!(
        (d.outcome, d.rest_get.as_str()),
        (AbTestOutcome::TooSmall, "A")
    );
    assert_eq!(d.results.iter().map(|r| r.sent).sum::<u32>(), 300);
    assert_eq!(completed(&t)[0].sent, 300);
}

#[test]
fn clicks_decide_when_the_test_is_configured_on_clicks() {
    let config = config_with(&[
        ("test_recipients = 2000", "test_recipients = 400"),
        (
            "min_sample_per_variant = 500",
            "min_sample_per_variant = 150",
        ),
        ("metric = \"opens\"", "metric = \"clicks\""),
    ]);
    let t = twin_with(config);
    for i in 1..=400 {
        signup(&t, i, "team", "US-CA", 10);
    }
    t.emit(
        "ascent.crm",
        schedule(
            "EM-CLK",
            "all-customers",
            t.now(),
            vec![variant("A", "One"), variant("B", "Two")],
        ),
    );
    let sent: Vec<serde_json::Value> = t.query(Domain::Interaction, "email-send#EM-CLK");
    // Every B recipient opens, none clicks; one A recipient in 5 clicks (twice: counted once).
    let later = t.now() + Duration::hours(1);
    let mut clicks_a = 0;
    for (k, s) in sent.iter().enumerate() {
        let email = s["email"].as_str().unwrap();
        if s["variant"] == 1 {
            opened(&t, email, later, 1);
        } else if k % 5 == 0 {
            clicks_a += 1;
            for n in 0..2 {
                t.emit(
                    "ascent.mail",
                    ascent_core::catalog::EmailClicked {
                        email: email.into(),
                        url: format!("https://ascent-xr.example/news?n={n}"),
                        clicked_at: later,
                    },
                );
            }
        }
    }
    t.tick("hourly", t.now() + Duration::hours(24));
    let d = &decided(&t)[0];
    assert_eq!(d.metric, "clicks");
    assert_eq!(d.results[0].responded, clicks_a);
    assert_eq!(d.results[1].responded, 0, "opens do not count");
    assert_eq!(
        (d.outcome, d.rest_get.as_str()),
        (AbTestOutcome::Winner, "A")
    );
}
