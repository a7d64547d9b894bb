//! Given webinars, articles and tickets, when Training handles them, then … (the agent
//! through the test twin; knowledge gaps in gaps.rs).

use super::*;
use ascent_core::catalog::TicketOpened;
use ascent_embedded::testkit::TestTwin;
use std::sync::Arc;

#[path = "tests_privacy.rs"]
mod privacy;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn article(id: &str, title: &str, body: &str, version: u32) -> KnowledgeArticlePublished {
    KnowledgeArticlePublished {
        article_id: id.into(),
        title: title.into(),
        body: body.into(),
        tags: vec!["hardware".into()],
        version,
    }
}

fn ticket(id: &str, subject: &str, body: &str) -> TicketOpened {
    TicketOpened {
        ticket_id: id.into(),
        account_id: "A1".into(),
        subject: subject.into(),
        body: body.into(),
        channel: "email".into(),
        requester: Some("ops@boreal.example".into()),
        created_at: None,
    }
}

fn twin() -> TestTwin {
    let t = TestTwin::new(
        vec![Arc::new(Training::default())],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit(
        "ascent.cms",
        article(
            "KB-1",
            "Pairing a headset",
            "Hold the power button until the headset pairs.",
            1,
        ),
    );
    t.emit(
        "ascent.cms",
        WebinarScheduled {
            webinar_id: "W1".into(),
            title: "Headset fleet management".into(),
            topic: "headset pairing fleet".into(),
            starts_at: at("2026-03-05T16:00:00Z"),
            duration_minutes: 45,
            capacity: 2,
            presenter: "Lea from Training".into(),
        },
    );
    t
}

#[test]
fn tickets_get_articles_and_webinars_and_unanswered_topics_become_gaps() {
    let t = twin();
    t.emit(
        "ascent.support",
        ticket("T1", "Headset will not pair", "The headset never pairs."),
    );
    let r = t.emitted("TrainingRecommended");
    let Payload::TrainingRecommended(rec) = r[0].payload() else {
        unreachable!()
    };
    assert_eq!(rec.articles, ["KB-1"]);
    assert_eq!(rec.webinars, ["W1"]);
    assert!(
        t.runtime
            .mails()
            .unwrap()
            .iter()
            .any(|m| m.to == "ops@boreal.example"
                && m.text.contains("Webinar: Headset fleet management"))
    );
    // Two tickets on something no article covers: one gap, reported once.
    t.emit(
        "ascent.support",
        ticket("T2", "VAT number on invoice", "Invoice VAT number wrong"),
    );
    assert!(t.emitted("KnowledgeGapFound").is_empty());
    t.emit(
        "ascent.support",
        ticket(
            "T3",
            "Invoice VAT number",
            "wrong VAT number on the invoice",
        ),
    );
    t.emit(
        "ascent.support",
        ticket("T4", "invoice vat number", "VAT number invoice"),
    );
    let gaps = t.emitted("KnowledgeGapFound");
    assert_eq!(gaps.len(), 1);
    let Payload::KnowledgeGapFound(g) = gaps[0].payload() else {
        unreachable!()
    };
    // T2's terms by count: vat 2, number 2, invoice 2, wrong 1 (on, the: stop-words).
    assert_eq!(g.topic, "invoice number vat wrong");
    assert_eq!(g.ticket_ids, ["T2", "T3"]);
}

#[test]
fn articles_are_versioned_and_the_search_follows_the_newest() {
    let t = twin();
    t.emit(
        "ascent.cms",
        article(
            "KB-1",
            "Calibrating hand tracking",
            "Calibrate hand tracking in Settings.",
            2,
        ),
    );
    t.emit(
        "ascent.cms",
        article("KB-1", "Pairing a headset", "old text", 1),
    ); // stale: ignored
    assert!(
        t.get(Domain::Knowledge, "kb#article#KB-1", "v000001")
            .is_some()
    );
    let current = t.get(Domain::Knowledge, "kb#articles", "KB-1").unwrap();
    assert_eq!(current["version"], 2);
    t.emit(
        "ascent.support",
        ticket(
            "T1",
            "hand tracking calibration",
            "How to calibrate hand tracking?",
        ),
    );
    assert_eq!(t.emitted("TrainingRecommended").len(), 1);
    t.emit(
        "ascent.support",
        ticket("T2", "Headset pairing", "pairing headset fails"),
    );
    assert_eq!(
        t.emitted("TrainingRecommended").len(),
        1,
        "the pairing text is gone"
    );
}

#[test]
fn registrations_fill_up_then_waitlist_and_reminders_go_the_day_before() {
    let t = twin();
    for (e, n) in [
        ("a@x.example", "A"),
        ("b@x.example", "B"),
        ("c@x.example", "C"),
        ("a@x.example", "A"),
    ] {
        t.emit(
            "ascent.web",
            WebinarRegistrationRequested {
                webinar_id: "W1".into(),
                email: e.into(),
                name: n.into(),
                account_id: None,
            },
        );
    }
    let s: Vec<RegistrationStatus> = t
        .emitted("WebinarRegistered")
        .iter()
        .map(|e| match e.payload() {
            Payload::WebinarRegistered(r) => r.status,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        s,
        [
            RegistrationStatus::Registered,
            RegistrationStatus::Registered,
            RegistrationStatus::Waitlisted
        ]
    );
    for day in [
        "2026-03-03T06:00:00Z",
        "2026-03-04T06:00:00Z",
        "2026-03-05T06:00:00Z",
    ] {
        t.tick("daily", at(day));
    }
    let reminders: Vec<String> = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Tomorrow"))
        .map(|m| m.to)
        .collect();
    assert_eq!(reminders, ["a@x.example", "b@x.example"]);
    // Bad input: unknown webinar, zero capacity, empty article.
    t.emit(
        "ascent.web",
        WebinarRegistrationRequested {
            webinar_id: "W9".into(),
            email: "d@x.example".into(),
            name: "D".into(),
            account_id: None,
        },
    );
    t.emit("ascent.cms", article("KB-9", "", "", 1));
    let reasons: Vec<String> = t
        .runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect();
    assert!(reasons[0].contains("webinar W9 does not exist"));
    assert!(reasons[1].contains("needs a title, a body and a version"));
}
fn put_webinar(t: &TestTwin, w: WebinarScheduled, regs: &[String]) {
    use ascent_core::ports::{IndexKey, Item};
    let pk = format!("webinar#{}", w.webinar_id);
    let mut item = Item::new(
        pk.clone(),
        "webinar",
        serde_json::to_value(Webinar {
            registered: regs.len() as u32,
            webinar: w.clone(),
            waitlisted: 0,
            reminded: false,
            reminded_through: None,
            version: 0,
        })
        .unwrap(),
    );
    item.gsi1 = Some(IndexKey {
        pk: UPCOMING.into(),
        sk: format!("{}#{}", stamp(w.starts_at), w.webinar_id),
    });
    t.put(Domain::Knowledge, item);
    for email in regs {
        let reg = Registration {
            email: email.clone(),
            name: "N".into(),
            status: RegistrationStatus::Registered,
        };
        t.put(
            Domain::Knowledge,
            Item::new(
                pk.clone(),
                format!("reg#{email}"),
                serde_json::to_value(reg).unwrap(),
            ),
        );
    }
}

fn reminders_by_address(t: &TestTwin) -> std::collections::BTreeMap<String, usize> {
    let mut n = std::collections::BTreeMap::new();
    for m in t.runtime.mails().unwrap() {
        if m.subject.starts_with("Tomorrow") {
            *n.entry(m.to).or_insert(0) += 1;
        }
    }
    n
}

fn limited_twin(start: DateTime<Utc>) -> TestTwin {
    TestTwin::new(vec![Arc::new(Training::default())], start)
}

/// Bulk work never depends on its size (issue 19): 1,000 webinars, 45 a day (90 in the
/// first 36-hour window, more than one run's WEBINARS_PER_RUN), are all reminded once, in
/// time, within AWS's limits.
#[test]
fn a_thousand_webinars_are_all_reminded_once_within_aws_limits() {
    let start = at("2026-03-02T06:00:00Z");
    let t = limited_twin(start);
    for i in 0..1000i64 {
        let begins = start + Duration::days(i / 45) + Duration::minutes(180 + (i % 45) * 10);
        put_webinar(
            &t,
            WebinarScheduled {
                webinar_id: format!("W{i:04}"),
                title: format!("Webinar {i}"),
                topic: "fleet".into(),
                starts_at: begins,
                duration_minutes: 30,
                capacity: 10,
                presenter: "Lea".into(),
            },
            &[format!("r{i:04}@x.example")],
        );
    }
    for day in 0..27 {
        t.tick("daily", start + Duration::days(day));
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    assert!(t.emitted("ExceptionRaised").is_empty());
    let sent = reminders_by_address(&t);
    assert_eq!(sent.len(), 1000);
    assert!(sent.values().all(|n| *n == 1), "each reminded once");
    for i in 0..1000 {
        let w = t
            .get(Domain::Knowledge, &format!("webinar#W{i:04}"), "webinar")
            .unwrap();
        assert_eq!(w["reminded"], true, "W{i:04}");
    }
}

/// One webinar with 1,000 registrants, whose reminders are more than one run sends: the
/// next run continues after the last address reminded; each is reminded exactly once.
#[test]
fn a_thousand_registrants_are_reminded_once_over_two_runs_within_aws_limits() {
    let start = at("2026-03-02T06:00:00Z");
    let t = limited_twin(start);
    let regs: Vec<String> = (0..1000).map(|i| format!("r{i:04}@x.example")).collect();
    put_webinar(
        &t,
        WebinarScheduled {
            webinar_id: "BIG".into(),
            title: format!("Fleet management at scale {}", "·".repeat(60)),
            topic: "fleet".into(),
            starts_at: start + Duration::hours(30),
            duration_minutes: 60,
            capacity: 1000,
            presenter: "Lea".into(),
        },
        &regs,
    );
    t.tick("daily", start);
    let first = reminders_by_address(&t).len();
    assert!(0 < first && first < 1000, "{first} in the first run");
    let w = t.get(Domain::Knowledge, "webinar#BIG", "webinar").unwrap();
    assert_eq!(w["reminded"], false);
    t.tick("daily", start + Duration::days(1));
    t.tick("daily", start + Duration::days(2));
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    assert!(t.emitted("ExceptionRaised").is_empty());
    let sent = reminders_by_address(&t);
    assert_eq!(sent.keys().cloned().collect::<Vec<_>>(), regs);
    assert!(sent.values().all(|n| *n == 1), "each reminded once");
    let w = t.get(Domain::Knowledge, "webinar#BIG", "webinar").unwrap();
    assert_eq!(w["reminded"], true);
}

/// A webinar starting before the next run whose registrants do not all fit this run is
/// raised, not dropped silently.
#[test]
fn reminders_that_cannot_all_go_before_the_start_are_raised() {
    let start = at("2026-03-02T06:00:00Z");
    let t = limited_twin(start);
    let regs: Vec<String> = (0..1000).map(|i| format!("r{i:04}@x.example")).collect();
    put_webinar(
        &t,
        WebinarScheduled {
            webinar_id: "SOON".into(),
            title: format!("Fleet management at scale {}", "·".repeat(60)),
            topic: "fleet".into(),
            starts_at: start + Duration::hours(10),
            duration_minutes: 60,
            capacity: 1000,
            presenter: "Lea".into(),
        },
        &regs,
    );
    t.tick("daily", start);
    let raised = t.emitted("ExceptionRaised");
    assert_eq!(raised.len(), 1);
    let Payload::ExceptionRaised(x) = raised[0].payload() else {
        unreachable!()
    };
    assert_eq!(x.subject, "SOON");
}

#[test]
fn a_reminder_page_stops_at_its_byte_budget() {
    let w = WebinarScheduled {
        webinar_id: "W".into(),
        title: "T".into(),
        topic: "t".into(),
        starts_at: at("2026-03-05T16:00:00Z"),
        duration_minutes: 30,
        capacity: 3,
        presenter: "P".into(),
    };
    let regs: Vec<Registration> = ["a@x.example", "b@x.example", "c@x.example"]
        .iter()
        .map(|e| Registration {
            email: (*e).into(),
            name: "N".into(),
            status: RegistrationStatus::Registered,
        })
        .collect();
    let all = reminder_page(&w, &regs, usize::MAX);
    assert!(all.complete);
    assert_eq!(all.mails.len(), 3);
    let one = all.bytes / 3;
    let two = reminder_page(&w, &regs, 2 * one + 1);
    assert_eq!(two.mails.len(), 2);
    assert_eq!(two.last.as_deref(), Some("b@x.example"));
    assert!(!two.complete);
    let none = reminder_page(&w, &[], 0);
    assert!(none.complete && none.mails.is_empty() && none.last.is_none());
}
