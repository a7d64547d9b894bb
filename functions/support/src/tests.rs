//! Support tests through an in-memory twin (with a stand-in for Training that publishes
//! knowledge-base articles).

use super::*;
use ascent_core::agent::{Department, QueueClass, Subscription};
use ascent_core::catalog::{CustomerSignedUp, KnowledgeArticlePublished};
use ascent_embedded::testkit::TestTwin;
use std::sync::Arc;

/// Publishes articles into the knowledge domain, as Training does.
struct Articles(AgentDecl);

impl Articles {
    fn new() -> Self {
        Self(AgentDecl {
            name: "kb-writer",
            department: Department::CustomerSuccess,
            queue: QueueClass::Batch,
            subscriptions: vec![Subscription {
                name: "articles",
                pattern: json!({"detail-type": ["KnowledgeArticlePublished"]}),
            }],
            reads: vec![Domain::Knowledge],
            owns: vec![ascent_core::agent::owns(Domain::Knowledge, "")],
            emits: vec![],
            requests_approvals: false,
            sends_mail: false,
            writes_text: false,
        })
    }
}

#[async_trait]
impl Agent for Articles {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Payload::KnowledgeArticlePublished(a) = event.payload() else {
            return Ok(());
        };
        ascent_knowledge::publish(
            ctx,
            &ascent_knowledge::Article {
                article_id: a.article_id.clone(),
                title: a.title.clone(),
                body: a.body.clone(),
                tags: a.tags.clone(),
                version: a.version,
            },
        )
        .await
        .map(|_| ())
    }
}

#[path = "tests_sla.rs"]
mod sla_clocks;

#[path = "tests_desk.rs"]
mod desk_flow;

#[path = "tests_privacy.rs"]
mod privacy;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Tuesday 10 March 2026, 14:00 UTC = 10:00 in New York (EDT).
fn twin() -> TestTwin {
    let t = TestTwin::new(
        vec![Arc::new(Support::default()), Arc::new(Articles::new())],
        at("2026-03-10T14:00:00Z"),
    );
    t.emit(
        "ascent.cms",
        KnowledgeArticlePublished {
            article_id: "KB-1".into(),
            title: "Pairing a headset with Ascent Studio".into(),
            body: "Open Studio, choose Devices, hold the headset power button until it pairs."
                .into(),
            tags: vec!["hardware".into(), "headset".into()],
            version: 1,
        },
    );
    t
}

fn opened(id: &str, account: &str, subject: &str, body: &str) -> TicketOpened {
    TicketOpened {
        ticket_id: id.into(),
        account_id: account.into(),
        subject: subject.into(),
        body: body.into(),
        channel: "email".into(),
        requester: Some("ops@customer.example".into()),
        created_at: None,
    }
}

fn triaged(t: &TestTwin) -> Vec<TicketTriaged> {
    t.emitted("TicketTriaged")
        .iter()
        .map(|e| match e.payload() {
            Payload::TicketTriaged(x) => x.clone(),
            _ => unreachable!(),
        })
        .collect()
}

/// `n` hours of the SLA check's schedule: a tick every 5 minutes (`[schedule]
/// sla_check_minutes`).
fn hours(t: &TestTwin, n: i64) {
    for _ in 0..n * 12 {
        let next = t.now() + Duration::minutes(5);
        t.tick(crate::SLA_SCHEDULE, next);
    }
}

#[test]
fn tickets_are_triaged_routed_and_given_business_hour_deadlines_with_suggestions() {
    let t = twin();
    t.emit(
        "ascent.platform",
        CustomerSignedUp {
            account_id: "A1".into(),
            company: "Boreal Aero".into(),
            plan: "enterprise".into(),
            seats: 50,
            tax_region: "US-CA".into(),
            billing_email: "ap@boreal.example".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    t.emit(
        "ascent.support",
        opened(
            "T1",
            "A1",
            "Headset does not pair",
            "Since the update our headsets won't pair.",
        ),
    );
    t.emit(
        "ascent.support",
        opened(
            "T2",
            "A2",
            "Question about exports",
            "How do I export a scene to FBX?",
        ),
    );
    let x = triaged(&t);
    // T1: normal by its words; enterprise → high; hardware team; the pairing article suggested.
    assert_eq!(x[0].priority, TicketPriority::High);
    assert_eq!(
        (x[0].category.as_str(), x[0].team.as_str()),
        ("hardware", "support-hardware")
    );
    assert_eq!(x[0].suggested_articles, ["KB-1"]);
    // 4 business hours: Tue 10:00 → 14:00 EDT.
    assert_eq!(x[0].first_response_due, at("2026-03-10T18:00:00Z"));
    // T2: low, 24 business hours to first response: Tue 10:00 → Thu 14:00 EDT (18:00 UTC).
    assert_eq!(x[1].priority, TicketPriority::Low);
    assert_eq!(x[1].team, "support-success");
    assert!(x[1].suggested_articles.is_empty());
    assert_eq!(x[1].first_response_due, at("2026-03-12T18:00:00Z"));
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.to == "support-hardware@ascent-xr.example"
                && m.subject.starts_with("[High]")
                && m.text.contains("KB-1 (Pairing a headset"))
    );
}

#[test]
fn missed_deadlines_escalate_once_and_responses_stop_the_first_timer() {
    let t = twin();
    t.emit(
        "ascent.support",
        opened(
            "T1",
            "A1",
            "Studio is down for all users",
            "Outage: every session ends with an error.",
        ),
    );
    t.emit(
        "ascent.support",
        opened(
            "T2",
            "A2",
            "Invoice has the wrong VAT number",
            "Please fix the invoice.",
        ),
    );
    t.emit(
        "ascent.support",
        TicketResponded {
            ticket_id: "T2".into(),
            account_id: "A2".into(),
            responder: "sam.support@ascent-xr.example".into(),
            responded_at: t.now() + Duration::minutes(20),
        },
    );
    hours(&t, 3);
    let breaches: Vec<(String, SlaTimer)> = t
        .emitted("SlaBreached")
        .iter()
        .map(|e| match e.payload() {
            Payload::SlaBreached(b) => (b.ticket_id.clone(), b.timer),
            _ => unreachable!(),
        })
        .collect();
    // T1 (urgent, 1 h) missed its first response; T2 was answered in time.
    assert_eq!(breaches, vec![("T1".to_string(), SlaTimer::FirstResponse)]);
    assert!(
        t.runtime
            .mails()
            .unwrap()
            .iter()
            .any(|m| m.to == "lead.support-technical@ascent-xr.example"
                && m.subject.starts_with("SLA breached: T1"))
    );
    // Resolution of T1 (8 h) is breached later, once; a resolved ticket never is.
    t.emit(
        "ascent.support",
        TicketResolved {
            ticket_id: "T2".into(),
            account_id: "A2".into(),
            resolution: "Reissued".into(),
        },
    );
    hours(&t, 8);
    assert_eq!(t.emitted("SlaBreached").len(), 2);
}

#[test]
fn duplicates_from_the_same_customer_are_merged() {
    let t = twin();
    t.emit(
        "ascent.support",
        opened(
            "T1",
            "A1",
            "Headset does not pair",
            "Since the update our headsets fail to pair.",
        ),
    );
    t.emit(
        "ascent.support",
        opened(
            "T2",
            "A1",
            "Headsets fail to pair again",
            "Headset pair fails since the update.",
        ),
    );
    t.emit(
        "ascent.support",
        opened(
            "T3",
            "A9",
            "Headset does not pair",
            "Since the update our headsets fail to pair.",
        ),
    );
    let merged = t.emitted("TicketMerged");
    assert_eq!(merged.len(), 1);
    let Payload::TicketMerged(m) = merged[0].payload() else {
        unreachable!()
    };
    assert_eq!(
        (m.ticket_id.as_str(), m.into_ticket_id.as_str()),
        ("T2", "T1")
    );
    assert_eq!(triaged(&t).len(), 2, "T1 and T3 (another customer)");
}

#[test]
fn bad_and_early_input() {
    let t = twin();
    t.emit("ascent.support", opened("T1", "A1", " ", ""));
    let dl = t.runtime.dead_letters().unwrap();
    assert!(
        dl[0].reason.contains("subject and body are both empty"),
        "{}",
        dl[0].reason
    );
    // A response for a ticket never seen is retried, then dead-lettered with the reason.
    t.emit(
        "ascent.support",
        TicketResponded {
            ticket_id: "T404".into(),
            account_id: "A1".into(),
            responder: "sam@ascent-xr.example".into(),
            responded_at: t.now(),
        },
    );
    let dl = t.runtime.dead_letters().unwrap();
    assert!(
        dl[1]
            .reason
            .contains("ticket T404 is not known to support yet")
    );
    assert_eq!(dl[1].receive_count, 3);
}

/// Bulk work never depends on its size (issue 19): 1,000 tickets past their first-response
/// deadline are all escalated, SLA_CHECKS_PER_RUN an hourly run, within AWS's limits.
#[test]
fn a_thousand_missed_deadlines_are_all_escalated_within_aws_limits() {
    let start = at("2026-03-10T14:00:00Z");
    let t = TestTwin::new(vec![Arc::new(Support::default())], start);
    let tickets: Vec<Event> = (0..1000)
        .map(|i| {
            Event::new(
                "ascent.support",
                ascent_core::Actor::system("ascent.support"),
                start,
                opened(
                    &format!("T{i:04}"),
                    &format!("A{i:04}"),
                    "Studio is down for all users",
                    "Outage: every session ends with an error.",
                ),
            )
        })
        .collect();
    t.runtime.ingest(&tickets).unwrap();
    t.drain();
    // 1,000 first-response breaches at 25 a run: 40 runs, beside the resolution ones.
    hours(&t, 120);
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    let mut first: Vec<String> = t
        .emitted("SlaBreached")
        .into_iter()
        .filter_map(|e| match e.payload() {
            Payload::SlaBreached(b) if b.timer == SlaTimer::FirstResponse => {
                Some(b.ticket_id.clone())
            }
            _ => None,
        })
        .collect();
    first.sort();
    first.dedup();
    assert_eq!(first.len(), 1000);
}

#[test]
fn a_ticket_delivered_late_keeps_the_deadlines_of_when_it_was_opened() {
    // Given two identical tickets opened at 10:00 New York time, one delivered on time
    let t = twin();
    let subject = "Headset will not pair";
    let body = "The headset does not show up in Studio.";
    t.emit("ascent.support", opened("T1", "A1", subject, body));
    // When the other reaches Support three hours later
    t.clock.set(at("2026-03-10T17:00:00Z"));
    let e = Event::new(
        "ascent.support",
        ascent_core::event::Actor::system("ascent.support"),
        at("2026-03-10T14:00:00Z"),
        opened("T2", "A2", subject, body),
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    // Then it was opened, and its clocks started, when the customer opened it
    let on_time = t.get(Domain::Interaction, "ticket#T1", "ticket").unwrap();
    let late = t.get(Domain::Interaction, "ticket#T2", "ticket").unwrap();
    for field in ["opened_at", "first_response_due", "resolution_due"] {
        assert_eq!(late[field], on_time[field], "{field}");
    }
    // And a resolution at 11:00 reported at 13:00 is dated 11:00
    let e = Event::new(
        "ascent.support",
        ascent_core::event::Actor::system("ascent.support"),
        at("2026-03-10T15:00:00Z"),
        ascent_core::catalog::TicketResolved {
            ticket_id: "T2".into(),
            account_id: "A2".into(),
            resolution: "Re-paired".into(),
        },
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    let resolved = t.get(Domain::Interaction, "ticket#T2", "ticket").unwrap();
    assert_eq!(resolved["resolved_at"], "2026-03-10T15:00:00Z");
}

/// docs/support.md states the shipped calendar, targets and warning share: it fails when the
/// configuration changes and the page does not.
#[test]
fn docs() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/support.md"
    ))
    .expect("docs/support.md");
    let section = page
        .split("## SLA calendars")
        .nth(1)
        .expect("an SLA calendars section")
        .split("\n## ")
        .next()
        .unwrap_or_default()
        .replace('\n', " ")
        .replace("  ", " ");
    let c = SupportConfig::default();
    for day in &c.hours.holidays {
        assert!(
            section.contains(&day.to_string()),
            "holiday {day} is not on the page"
        );
    }
    assert!(section.contains(&c.hours.time_zone));
    assert!(section.contains(&format!(
        "{}–{}",
        c.hours.opens.format("%H:%M"),
        c.hours.closes.format("%H:%M")
    )));
    assert!(section.contains(&format!("({})", c.warn_at_pct)));
    let number = |n: i64| {
        let s = n.to_string();
        if n >= 1_000 {
            format!("{},{}", &s[..s.len() - 3], &s[s.len() - 3..])
        } else {
            s
        }
    };
    for (name, p) in [
        ("urgent", TicketPriority::Urgent),
        ("high", TicketPriority::High),
        ("normal", TicketPriority::Normal),
        ("low", TicketPriority::Low),
    ] {
        let t = c.target(p);
        let stated = format!(
            "{name} {} / {}",
            number(t.first_response_minutes),
            number(t.resolution_minutes)
        );
        assert!(section.contains(&stated), "`{stated}` is not on the page");
    }
    let schedule = ascent_core::config::ConfigFile::shipped()
        .section::<ascent_core::config::platform::Schedule>("schedule")
        .unwrap();
    assert!(section.contains(&format!("({})", schedule.sla_check_minutes)));
    assert!(section.contains(&schedule.sla_cron()));
}

/// docs/support.md's Merging and Triage sections state the shipped rule and categories.
#[test]
fn docs_merging_and_triage() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/support.md"
    ))
    .unwrap();
    let section = |name: &str| -> String {
        page.split(&format!("## {name}"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {name} section"))
            .split("\n## ")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let c = SupportConfig::default();
    let merging = section("Merging");
    assert!(merging.contains(&format!("duplicate_hours` ({})", c.duplicate_hours)));
    assert!(merging.contains(&format!(
        "duplicate_similarity` ({})",
        c.duplicate_similarity
    )));
    let triage = section("Triage");
    for cat in &c.triage.categories {
        let stated = format!("{} → {}", cat.name, cat.team);
        assert!(triage.contains(&stated), "`{stated}` is not on the page");
    }
    let fallback = format!(
        "{} → {}",
        c.triage.fallback_category, c.triage.fallback_team
    );
    assert!(
        triage.contains(&fallback),
        "`{fallback}` is not on the page"
    );
}
