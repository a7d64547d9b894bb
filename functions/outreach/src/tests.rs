//! Outreach tests through an in-memory twin.

use super::*;
use ascent_core::catalog::{CallConsent, CallConsentKind, DemoScheduled, InteractionRecorded};
use ascent_core::ports::Mail;
use ascent_core::writer::{Draft, WriterError};
use ascent_embedded::testkit::TestTwin;

#[path = "tests_calls.rs"]
mod calls;
#[path = "tests_email.rs"]
mod email;
#[path = "tests_scale.rs"]
mod scale;

const DARIO: &str = "dario.rep@ascent-xr.example";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Monday 2 March 2026, 09:00 UTC.
fn twin() -> TestTwin {
    TestTwin::new(
        vec![Arc::new(Outreach::default())],
        at("2026-03-02T09:00:00Z"),
    )
}

fn lead(id: &str, email: &str, country: &str, phone: Option<&str>) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: email.into(),
        full_name: "Ana Ruiz".into(),
        company: "Boreal Aero".into(),
        company_size: 2_000,
        industry: "Aerospace".into(),
        role: "VP Engineering".into(),
        country: Some(country.into()),
        channel: "web".into(),
        phone: phone.map(str::to_string),
        time_zone: None,
    }
}

fn assigned(id: &str) -> LeadAssigned {
    LeadAssigned {
        lead_id: id.into(),
        rep: DARIO.into(),
        territory: "sales-emea".into(),
        score: 88,
    }
}

fn consent(
    email: &str,
    change: ContactPreference,
    phone: Option<&str>,
) -> ContactPreferenceChanged {
    ContactPreferenceChanged {
        email: email.into(),
        change,
        phone: phone.map(str::to_string),
        evidence: "demo form, consent box ticked".into(),
        consent: (change == ContactPreference::CallConsentGiven).then(written_consent),
    }
}

/// Prior express written consent, signed on the demo form.
fn written_consent() -> CallConsent {
    CallConsent {
        kind: CallConsentKind::ExpressWritten,
        given_at: at("2026-03-01T10:00:00Z"),
        disclosure: Some(
            "I agree that Ascent XR may call me at this number, also with automated \
             technology. Agreeing is not a condition of purchase."
                .into(),
        ),
        signature: Some("esign-envelope-4411".into()),
        recording: None,
    }
}

fn steps(t: &TestTwin) -> Vec<OutreachStepTaken> {
    t.emitted("OutreachStepTaken")
        .iter()
        .map(|e| match e.payload() {
            Payload::OutreachStepTaken(s) => s.clone(),
            _ => unreachable!(),
        })
        .collect()
}

fn stops(t: &TestTwin) -> Vec<OutreachStopped> {
    t.emitted("OutreachStopped")
        .iter()
        .map(|e| match e.payload() {
            Payload::OutreachStopped(s) => s.clone(),
            _ => unreachable!(),
        })
        .collect()
}

fn mails_to(t: &TestTwin, to: &str) -> Vec<Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect()
}

/// Runs the daily schedule at 06:00 UTC for `days` days after the current one.
fn days(t: &TestTwin, days: i64) {
    for _ in 0..days {
        let next = (t.now() + Duration::days(1))
            .date_naive()
            .and_hms_opt(6, 0, 0)
            .unwrap()
            .and_utc();
        t.tick("daily", next);
    }
}

#[test]
fn a_lead_runs_through_the_whole_sequence_with_compliant_emails_and_call_windows() {
    let t = twin();
    let ana = "ana.ruiz@boreal-aero.example";
    t.emit("ascent.crm", lead("L1", ana, "DE", Some("+4930901820")));
    t.emit(
        "ascent.crm",
        consent(ana, ContactPreference::CallConsentGiven, None),
    );
    t.emit("ascent.agent.sales-director", assigned("L1"));

    // Step 1 at once: the intro email, personalised, with the CAN-SPAM footer.
    let first = &mails_to(&t, ana)[0];
    assert_eq!(first.subject, "Boreal Aero and XR training that sticks");
    assert!(first.text.starts_with("Hi Ana,\n\nteams in Aerospace"));
    assert!(first.text.contains("\nDario\nAscent XR"));
    let token = &t
        .get(Domain::Customer, "outreach#L1", "enrollment")
        .unwrap()["unsubscribe_token"];
    let link = format!(
        "http://127.0.0.1:8787/unsubscribe/{}",
        token.as_str().unwrap()
    );
    assert!(first.text.contains(&link), "{}", first.text);
    assert!(first.text.contains("548 Market St"));
    let record = t
        .get(
            Domain::Customer,
            &unsubscribe_pk(token.as_str().unwrap()),
            "link",
        )
        .unwrap();
    assert_eq!(record["email"], ana);

    days(&t, 15);
    let s = steps(&t);
    let channels: Vec<_> = s.iter().map(|s| (s.step, s.channel, s.outcome)).collect();
    use OutreachChannel::*;
    use StepOutcome::*;
    assert_eq!(
        channels,
        vec![
            (1, Email, Sent),
            (2, Linkedin, TaskCreated),
            (3, Call, TaskCreated),
            (4, Email, Sent),
            (5, Call, TaskCreated),
            (6, Email, Sent)
        ]
    );
    // The waits: 2, 1, 3, 4, 5 days; the daily run is at 06:00 UTC.
    let when: Vec<_> = t
        .emitted("OutreachStepTaken")
        .iter()
        .map(|e| e.time)
        .collect();
    assert_eq!(when[1], at("2026-03-04T06:00:00Z"));
    assert_eq!(when[2], at("2026-03-05T06:00:00Z"));
    assert_eq!(when[5], at("2026-03-17T06:00:00Z"));
    // The call task at 06:00 UTC (07:00 in Berlin) may be worked from 08:00 to 21:00 Berlin time.
    assert_eq!(s[2].window_start, Some(at("2026-03-05T07:00:00Z")));
    assert_eq!(s[2].window_end, Some(at("2026-03-05T20:00:00Z")));
    let task = mails_to(&t, DARIO)
        .into_iter()
        .find(|m| m.subject.starts_with("Call task"))
        .unwrap();
    assert!(task.text.contains("Number: +4930901820"));
    assert!(
        task.text
            .contains("between 2026-03-05 08:00 CET and 2026-03-05 21:00 CET")
    );
    assert_eq!(mails_to(&t, ana).len(), 3);
    assert_eq!(stops(&t)[0].reason, OutreachStopReason::Completed);
    assert_eq!(stops(&t)[0].steps_taken, 6);
    // Every touch is in the interaction domain; nothing is due any more.
    let touch = t
        .get(
            Domain::Interaction,
            &format!("touch#{ana}"),
            "2026-03-05T06:00:00Z#xr-intro#3",
        )
        .unwrap();
    assert_eq!(touch["outcome"], "task_created");
    days(&t, 5);
    assert_eq!(steps(&t).len(), 6);
}

#[test]
fn replies_and_meetings_stop_the_sequence() {
    let t = twin();
    t.emit("ascent.crm", lead("L1", "ana@boreal.example", "DE", None));
    t.emit("ascent.crm", lead("L2", "bo@kite.example", "DE", None));
    t.emit("ascent.agent.sales-director", assigned("L1"));
    t.emit("ascent.agent.sales-director", assigned("L2"));
    t.emit(
        "ascent.web",
        InteractionRecorded {
            interaction_id: "I1".into(),
            email: "ANA@boreal.example".into(),
            kind: InteractionKind::EmailReplied,
            occurred_at: t.now(),
            text: None,
        },
    );
    t.emit(
        "ascent.agent.demo-scheduling",
        DemoScheduled {
            demo_id: "demo-1".into(),
            request_id: "R1".into(),
            deal_id: None,
            prospect_email: "bo@kite.example".into(),
            rep: DARIO.into(),
            starts_at: at("2026-03-05T10:00:00Z"),
            ends_at: at("2026-03-05T11:00:00Z"),
            prospect_local_start: "2026-03-05 11:00 CET".into(),
            resources: vec![],
            rescheduled_from: None,
        },
    );
    let reasons: Vec<_> = stops(&t)
        .iter()
        .map(|s| (s.lead_id.clone(), s.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("L1".to_string(), OutreachStopReason::Replied),
            ("L2".to_string(), OutreachStopReason::MeetingBooked)
        ]
    );
    days(&t, 20);
    assert_eq!(steps(&t).len(), 2, "only the two first emails went out");
}

#[test]
fn unsubscribes_and_hard_bounces_join_the_suppression_list_honoured_for_every_lead() {
    let t = twin();
    t.emit("ascent.crm", lead("L1", "ana@boreal.example", "DE", None));
    t.emit("ascent.agent.sales-director", assigned("L1"));
    t.emit(
        "ascent.web",
        consent("ana@boreal.example", ContactPreference::Unsubscribed, None),
    );
    assert_eq!(stops(&t)[0].reason, OutreachStopReason::Unsubscribed);
    assert!(
        t.get(Domain::Customer, "suppression#ana@boreal.example", "entry")
            .is_some()
    );
    // A soft bounce stops without suppressing; a hard one suppresses.
    t.emit("ascent.crm", lead("L2", "bo@kite.example", "DE", None));
    t.emit("ascent.agent.sales-director", assigned("L2"));
    t.emit(
        "ascent.mail",
        EmailBounced {
            email: "bo@kite.example".into(),
            bounce: BounceKind::Soft,
            diagnostic: "452 mailbox full".into(),
        },
    );
    assert!(
        t.get(Domain::Customer, "suppression#bo@kite.example", "entry")
            .is_none()
    );
    t.emit(
        "ascent.mail",
        EmailBounced {
            email: "cy@gone.example".into(),
            bounce: BounceKind::Hard,
            diagnostic: "550 5.1.1 user unknown".into(),
        },
    );
    // A suppressed address is never enrolled, whichever lead it comes with.
    t.emit("ascent.crm", lead("L3", "cy@gone.example", "DE", None));
    t.emit("ascent.agent.sales-director", assigned("L3"));
    let r: Vec<_> = stops(&t).iter().map(|s| s.reason).collect();
    assert_eq!(
        r,
        vec![
            OutreachStopReason::Unsubscribed,
            OutreachStopReason::Bounced,
            OutreachStopReason::Suppressed
        ]
    );
    assert!(mails_to(&t, "cy@gone.example").is_empty());
    assert_eq!(mails_to(&t, "ana@boreal.example").len(), 1);
}

#[test]
fn bad_input_is_dead_lettered_with_the_reason() {
    let t = twin();
    let mut l = lead("L1", "ana@boreal.example", "US", None);
    l.time_zone = Some("Mars/Olympus".into());
    t.emit("ascent.crm", l);
    t.emit("ascent.crm", lead("L2", "not-an-address", "DE", None));
    t.emit(
        "ascent.crm",
        consent(
            "nobody@x.example",
            ContactPreference::CallConsentGiven,
            None,
        ),
    );
    let reasons: Vec<String> = t
        .runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("`Mars/Olympus` is not an IANA time zone"));
    assert!(
        reasons[1].contains("not an RFC 5322 address"),
        "{reasons:?}"
    );
    assert!(reasons[2].contains("names no phone number"));
}

#[test]
fn an_assignment_before_its_lead_is_retried_and_steps_happen_once() {
    let t = twin();
    let now = t.now();
    let e1 = Event::new(
        "ascent.agent.sales-director",
        ascent_core::Actor::system("t"),
        now,
        assigned("L1"),
    );
    let e2 = Event::new(
        "ascent.crm",
        ascent_core::Actor::system("t"),
        now,
        lead("L1", "ana@boreal.example", "DE", None),
    );
    t.runtime.ingest(&[e1.clone(), e2]).unwrap();
    t.drain();
    assert_eq!(mails_to(&t, "ana@boreal.example").len(), 1);
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    // The same assignment again, and the same day's schedule twice: nothing is sent twice.
    t.runtime.ingest(&[e1]).unwrap();
    t.drain();
    days(&t, 2);
    let again = t.now() + Duration::hours(1);
    t.runtime.schedule_tick("daily", again).unwrap();
    t.drain();
    assert_eq!(steps(&t).len(), 2);
    assert_eq!(mails_to(&t, "ana@boreal.example").len(), 1);
}

/// A writer that is down: the template writes instead, and the step says so.
struct Down;

#[async_trait]
impl TextWriter for Down {
    async fn write(&self, _: &Brief) -> Result<Draft, WriterError> {
        Err(WriterError::Unavailable("throttled".into()))
    }
}

/// A writer that personalises (as Bedrock would), for checking the footer stays.
struct Poet;

#[async_trait]
impl TextWriter for Poet {
    async fn write(&self, b: &Brief) -> Result<Draft, WriterError> {
        Ok(Draft {
            subject: format!("A note for {}", b.facts["first_name"]),
            body: "A personal line.".into(),
            written_by: "bedrock:test".into(),
        })
    }
}

#[test]
fn any_writer_gets_the_compliance_footer_and_a_failing_one_falls_back_to_templates() {
    for (writer, subject, by) in [
        (
            Arc::new(Down) as Arc<dyn TextWriter>,
            "Boreal Aero and XR training that sticks",
            "template (writer failed: text writer unavailable: throttled)",
        ),
        (Arc::new(Poet), "A note for Ana", "bedrock:test"),
    ] {
        let t = TestTwin::new(
            vec![Arc::new(Outreach::new(OutreachConfig::default(), writer))],
            at("2026-03-02T09:00:00Z"),
        );
        t.emit("ascent.crm", lead("L1", "ana@boreal.example", "DE", None));
        t.emit("ascent.agent.sales-director", assigned("L1"));
        let m = &mails_to(&t, "ana@boreal.example")[0];
        assert_eq!(m.subject, subject);
        assert!(m.text.contains("/unsubscribe/") && m.text.contains("548 Market St"));
        assert_eq!(steps(&t)[0].written_by.as_deref(), Some(by));
    }
}
