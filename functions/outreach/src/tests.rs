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
fn calls_need_consent_no_do_not_call_entry_and_a_known_time_zone() {
    let t = twin();
    // No consent recorded.
    t.emit(
        "ascent.crm",
        lead("L1", "a@one.example", "DE", Some("+4930111")),
    );
    // Consent, but the number is on the do-not-call list.
    t.emit(
        "ascent.crm",
        lead("L2", "b@two.example", "DE", Some("+4930222")),
    );
    t.emit(
        "ascent.crm",
        consent("b@two.example", ContactPreference::CallConsentGiven, None),
    );
    t.emit(
        "ascent.crm",
        consent(
            "b@two.example",
            ContactPreference::DoNotCall,
            Some("+4930222"),
        ),
    );
    // Consent, but Brazil has several zones, the lead gave none and the number's says none.
    t.emit(
        "ascent.crm",
        lead("L3", "c@three.example", "BR", Some("+5511955550100")),
    );
    t.emit(
        "ascent.crm",
        consent("c@three.example", ContactPreference::CallConsentGiven, None),
    );
    // Consent given, then withdrawn.
    t.emit(
        "ascent.crm",
        lead("L4", "d@four.example", "DE", Some("+4930444")),
    );
    t.emit(
        "ascent.crm",
        consent("d@four.example", ContactPreference::CallConsentGiven, None),
    );
    t.emit(
        "ascent.crm",
        consent(
            "d@four.example",
            ContactPreference::CallConsentWithdrawn,
            None,
        ),
    );
    for l in ["L1", "L2", "L3", "L4"] {
        t.emit("ascent.agent.sales-director", assigned(l));
    }
    days(&t, 3);
    let calls: Vec<_> = steps(&t)
        .into_iter()
        .filter(|s| s.channel == OutreachChannel::Call)
        .map(|s| (s.lead_id, s.outcome, s.note.unwrap_or_default()))
        .collect();
    assert_eq!(
        calls,
        vec![
            (
                "L1".into(),
                StepOutcome::Skipped,
                "no recorded consent to call +4930111".into()
            ),
            (
                "L2".into(),
                StepOutcome::Skipped,
                "+4930222 is on the do-not-call list".into()
            ),
            (
                "L3".into(),
                StepOutcome::Skipped,
                "time zone unknown: calls are only allowed 8:00-21:00 the recipient's time".into()
            ),
            (
                "L4".into(),
                StepOutcome::Skipped,
                "no recorded consent to call +4930444".into()
            ),
        ]
    );
    assert!(
        mails_to(&t, DARIO)
            .iter()
            .all(|m| !m.subject.starts_with("Call task"))
    );
}

#[test]
fn the_call_window_is_the_recipients_across_the_us_dst_change() {
    // Thursday 5 March 2026; the call step falls on Sunday 8 March, the day DST starts: no
    // calling day, so the window is Monday's, on daylight time.
    let t = TestTwin::new(
        vec![Arc::new(Outreach::default())],
        at("2026-03-05T09:00:00Z"),
    );
    let mut l = lead("L1", "ana@boreal.example", "US", Some("+12125550100"));
    l.time_zone = Some("America/New_York".into());
    t.emit("ascent.crm", l);
    t.emit(
        "ascent.crm",
        consent(
            "ana@boreal.example",
            ContactPreference::CallConsentGiven,
            None,
        ),
    );
    t.emit("ascent.agent.sales-director", assigned("L1"));
    days(&t, 3);
    let call = steps(&t)
        .into_iter()
        .find(|s| s.channel == OutreachChannel::Call)
        .unwrap();
    // 08:00–21:00 EDT on Monday 9 March (EST would be 13:00Z–02:00Z).
    assert_eq!(call.window_start, Some(at("2026-03-09T12:00:00Z")));
    assert_eq!(call.window_end, Some(at("2026-03-10T01:00:00Z")));
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

/// Bulk work never depends on its size (issue 19): the largest page the settings allow,
/// MAX_DUE_PER_TICK `OutreachStepDue` events of one run, fits AWS's limits on one message's
/// commit (1,000, the bound before, did not: 452,000 bytes of pending events).
#[test]
fn the_largest_page_of_due_steps_fits_aws_limits() {
    let due = at("2026-03-02T09:00:00Z");
    let effects = ascent_core::Effects {
        emitted: (0..MAX_DUE_PER_TICK)
            .map(|i| {
                Event::new(
                    NAME,
                    ascent_core::Actor::system(NAME),
                    due,
                    OutreachStepDue {
                        lead_id: format!("lead-{i:06}-0000-0000-0000-000000000000"),
                        step: 3,
                        due_at: due,
                    },
                )
            })
            .collect(),
        ..Default::default()
    };
    assert_eq!(ascent_core::limits::check(&effects), Ok(()));
}

/// Bulk work never depends on its size (issue 19): 1,000 enrollments due at once are handed
/// out `max_due_per_tick` a run (the rest the next day), each step taken by its own message
/// within AWS's limits; every lead runs through the whole sequence, each step exactly once.
#[test]
fn a_thousand_due_enrollments_all_run_their_sequence_once_within_aws_limits() {
    use ascent_core::ports::{IndexKey, Item};
    let start = at("2026-03-02T06:00:00Z");
    let t = TestTwin::new(vec![Arc::new(Outreach::default())], start);
    let config = OutreachConfig::default();
    for i in 0..1000 {
        let id = format!("L{i:04}");
        let email = format!("p{i:04}@boreal.example");
        let contact = Contact {
            lead_id: id.clone(),
            email: email.clone(),
            full_name: "Ana Ruiz".into(),
            company: "Boreal Aero".into(),
            industry: "Aerospace".into(),
            role: "VP Engineering".into(),
            country: Some("DE".into()),
            phone: None,
            time_zone: None,
            channel: Some("web".into()),
        };
        t.put(
            Domain::Customer,
            Item::new(
                contact_pk(&email),
                "contact",
                serde_json::to_value(&contact).unwrap(),
            ),
        );
        let e = Enrollment {
            lead_id: id.clone(),
            email,
            rep: DARIO.into(),
            sequence: config.sequence.name.clone(),
            next_step: 1,
            next_due: start,
            steps_taken: 0,
            state: EnrollmentState::Active,
            unsubscribe_token: format!("{i:032x}"),
            version: 0,
        };
        let mut item = Item::new(
            enrollment_pk(&id),
            "enrollment",
            serde_json::to_value(&e).unwrap(),
        );
        item.gsi1 = Some(IndexKey {
            pk: DUE.into(),
            sk: format!("{}#{id}", stamp(start)),
        });
        t.put(Domain::Customer, item);
    }
    let per_run = config.max_due_per_tick;
    t.tick("daily", start);
    assert_eq!(
        t.emitted("OutreachStepDue").len(),
        per_run,
        "one page a run"
    );
    for day in 1..40 {
        t.tick("daily", start + Duration::days(day));
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    let mut taken = BTreeMap::new();
    for s in steps(&t) {
        *taken.entry((s.lead_id, s.step)).or_insert(0) += 1;
    }
    let n = config.sequence.steps.len();
    assert_eq!(taken.len(), 1000 * n, "every step of every lead");
    assert!(taken.values().all(|c| *c == 1), "each step once");
    let done = stops(&t);
    assert_eq!(done.len(), 1000);
    assert!(
        done.iter()
            .all(|s| s.reason == OutreachStopReason::Completed)
    );
}

/// The call hours and the country time zones are settings (`[outreach.calls]`): other hours
/// give another window, and a country added to the table gets calls without a lead zone.
#[test]
fn the_call_hours_and_country_zones_come_from_the_settings() {
    use ascent_core::config::ConfigFile;
    let call_of = |text: String, country: &str, zone: Option<&str>, number: &str| {
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let config = OutreachConfig::from_file(&file, TWIN_UNSUBSCRIBE_URL).unwrap();
        let t = TestTwin::new(
            vec![Arc::new(Outreach::new(
                config,
                Arc::new(ascent_core::writer::TemplateWriter),
            ))],
            at("2026-06-01T09:00:00Z"),
        );
        let mut l = lead("L1", "ana@boreal.example", country, Some(number));
        l.time_zone = zone.map(str::to_string);
        t.emit("ascent.crm", l);
        let c = consent(
            "ana@boreal.example",
            ContactPreference::CallConsentGiven,
            None,
        );
        t.emit("ascent.crm", c);
        t.emit("ascent.agent.sales-director", assigned("L1"));
        days(&t, 3);
        steps(&t)
            .into_iter()
            .find(|s| s.channel == OutreachChannel::Call)
            .unwrap()
    };
    let shipped = ConfigFile::shipped().text().to_string();
    // The call step falls on Thursday 4 June, 06:00 UTC = 02:00 EDT.
    let ny = "+12125550100";
    let call = call_of(shipped.clone(), "US", Some("America/New_York"), ny);
    assert_eq!(call.window_start, Some(at("2026-06-04T12:00:00Z"))); // 08:00 EDT
    assert_eq!(call.window_end, Some(at("2026-06-05T01:00:00Z"))); // 21:00 EDT
    let nine_to_five = shipped.replace(
        "hours = [\"08:00\", \"21:00\"]",
        "hours = [\"09:00\", \"17:00\"]",
    );
    let call = call_of(nine_to_five, "US", Some("America/New_York"), ny);
    assert_eq!(call.window_start, Some(at("2026-06-04T13:00:00Z")));
    assert_eq!(call.window_end, Some(at("2026-06-04T21:00:00Z")));
    // A US lead without a zone: its New York number's area code gives the zone.
    let call = call_of(shipped.clone(), "US", None, ny);
    assert_eq!(call.outcome, StepOutcome::TaskCreated);
    assert_eq!(call.window_start, Some(at("2026-06-04T12:00:00Z")));
    // A Mexican lead with a Mexican number, no zone: Mexico has several, so it is skipped
    // with the shipped table, and called once the table gives Mexico one.
    let mx = "+525555550100";
    let call = call_of(shipped.clone(), "MX", None, mx);
    assert_eq!(call.outcome, StepOutcome::Skipped);
    assert_eq!(
        call.note.as_deref(),
        Some("time zone unknown: calls are only allowed 8:00-21:00 the recipient's time")
    );
    let with_mx = shipped.replace(
        "country_time_zones = { DE",
        "country_time_zones = { MX = \"America/Mexico_City\", DE",
    );
    let call = call_of(with_mx, "MX", None, mx);
    assert_eq!(call.outcome, StepOutcome::TaskCreated);
    // Thursday 4 June 08:00 CST (Mexico keeps no DST since 2022) = 14:00Z.
    assert_eq!(call.window_start, Some(at("2026-06-04T14:00:00Z")));
}
