//! Issue 23, defect 2: call windows by the number's area code and the state's rules, the
//! per-number cap, consent with its kind and evidence, and the National Do Not Call Registry.

use super::*;
use ascent_core::compliance::dnc_registry;
use ascent_core::config::ConfigFile;

/// Monday 2 March 2026, 09:00 UTC; the call step (the third) falls on Thursday 5 March.
fn twin_with(text: Option<String>) -> TestTwin {
    let config = match text {
        Some(t) => {
            let file = ConfigFile::parse("x.toml", t).unwrap();
            OutreachConfig::from_file(&file, TWIN_UNSUBSCRIBE_URL).unwrap()
        }
        None => OutreachConfig::default(),
    };
    TestTwin::new(
        vec![Arc::new(Outreach::new(
            config,
            Arc::new(ascent_core::writer::TemplateWriter),
        ))],
        at("2026-03-02T09:00:00Z"),
    )
}

/// A US lead with a number, its consent (`None`: none recorded) and its assignment.
fn us_lead(t: &TestTwin, id: &str, number: &str, zone: Option<&str>, c: Option<CallConsent>) {
    let email = format!("{}@buyer.example", id.to_lowercase());
    let mut l = lead(id, &email, "US", Some(number));
    l.time_zone = zone.map(str::to_string);
    t.emit("ascent.crm", l);
    if let Some(c) = c {
        let mut p = consent(&email, ContactPreference::CallConsentGiven, Some(number));
        p.consent = Some(c);
        t.emit("ascent.crm", p);
    }
    t.emit("ascent.agent.sales-director", assigned(id));
}

fn verbal() -> CallConsent {
    CallConsent {
        kind: CallConsentKind::Verbal,
        given_at: at("2026-03-01T10:00:00Z"),
        disclosure: None,
        signature: None,
        recording: Some("call-recording-7781".into()),
    }
}

/// A lead's call step: lead, outcome, window start and end, note.
type CallRow = (
    String,
    StepOutcome,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    String,
);

/// Each lead's call step.
fn calls(t: &TestTwin) -> Vec<CallRow> {
    steps(t)
        .into_iter()
        .filter(|s| s.channel == OutreachChannel::Call)
        .map(|s| {
            (
                s.lead_id,
                s.outcome,
                s.window_start,
                s.window_end,
                s.note.unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_new_york_number_of_a_lead_who_says_los_angeles_is_not_called_after_nine_eastern() {
    let t = twin_with(None);
    us_lead(
        &t,
        "L1",
        "+17185550100",
        Some("America/Los_Angeles"),
        Some(written_consent()),
    );
    days(&t, 3);
    let c = calls(&t);
    // Thursday 5 March: from 8:00 PST (16:00Z) until 21:00 EST (02:00Z), not midnight Eastern.
    assert_eq!(
        (c[0].2, c[0].3),
        (
            Some(at("2026-03-05T16:00:00Z")),
            Some(at("2026-03-06T02:00:00Z"))
        )
    );
    let task = mails_to(&t, DARIO)
        .into_iter()
        .find(|m| m.subject.starts_with("Call task"))
        .unwrap();
    assert!(
        task.text
            .contains("between 2026-03-05 08:00 PST and 2026-03-05 18:00 PST"),
        "{}",
        task.text
    );
}

#[test]
fn a_tampa_number_is_called_until_eight_pm_and_three_times_a_day() {
    let t = twin_with(None);
    // Four leads of one company share its Tampa switchboard; one consent covers the number.
    us_lead(
        &t,
        "L1",
        "+18135550100",
        Some("America/New_York"),
        Some(written_consent()),
    );
    for id in ["L2", "L3", "L4"] {
        us_lead(&t, id, "+18135550100", Some("America/New_York"), None);
    }
    days(&t, 3);
    let c = calls(&t);
    assert_eq!(c.len(), 4, "{c:?}");
    // Thursday 8:00–20:00 EST (Florida), three times; the fourth on Friday.
    for call in &c[..3] {
        assert_eq!(call.1, StepOutcome::TaskCreated);
        assert_eq!(
            (call.2, call.3),
            (
                Some(at("2026-03-05T13:00:00Z")),
                Some(at("2026-03-06T01:00:00Z"))
            )
        );
    }
    assert_eq!(
        (c[3].2, c[3].3),
        (
            Some(at("2026-03-06T13:00:00Z")),
            Some(at("2026-03-07T01:00:00Z"))
        )
    );
    // The tasks are on record per number.
    assert_eq!(t.query(Domain::Customer, "call-task#+18135550100").len(), 4);
}

#[test]
fn consent_needs_its_kind_and_evidence() {
    // Free text is no consent: the event is refused, naming the field.
    let free_text = consent(
        "a@x.example",
        ContactPreference::CallConsentGiven,
        Some("+12125550100"),
    );
    let mut free_text = free_text;
    free_text.consent = None;
    let e = Event::new(
        "ascent.crm",
        ascent_core::Actor::system("crm"),
        at("2026-03-02T09:00:00Z"),
        free_text,
    )
    .check()
    .unwrap_err();
    assert!(e.to_string().contains("detail.payload.consent"), "{e}");
    // Written consent without the signature, verbal without the recording: refused too.
    for (kind, field) in [
        (CallConsentKind::ExpressWritten, "consent.signature"),
        (CallConsentKind::Verbal, "consent.recording"),
    ] {
        let mut p = consent(
            "a@x.example",
            ContactPreference::CallConsentGiven,
            Some("+12125550100"),
        );
        p.consent = Some(CallConsent {
            kind,
            signature: None,
            recording: None,
            ..written_consent()
        });
        let e = Event::new(
            "ascent.crm",
            ascent_core::Actor::system("crm"),
            at("2026-03-02T09:00:00Z"),
            p,
        )
        .check()
        .unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
    }
    // Verbal consent is not enough where calls need express written consent (shipped), and a
    // consent recorded before kinds existed is not either.
    let t = twin_with(None);
    us_lead(&t, "L1", "+12125550100", None, Some(verbal()));
    us_lead(&t, "L2", "+12125550101", None, None);
    t.put(
        Domain::Customer,
        ascent_core::ports::Item::new(
            "call-consent#+12125550101",
            "consent",
            json!({"reason": "callconsentgiven", "evidence": "form", "since": "2026-03-01T00:00:00Z"}),
        ),
    );
    days(&t, 3);
    let notes: Vec<String> = calls(&t).into_iter().map(|c| c.4).collect();
    assert_eq!(
        notes,
        [
            "the consent to call +12125550100 is verbal; calls need express_written consent",
            "the consent recorded for +12125550101 has no kind (express written or verbal) and \
             no evidence of one: record it again"
        ]
    );
}

#[test]
fn numbers_are_scrubbed_against_the_do_not_call_registry_unless_consent_is_written() {
    let verbal_enough = ConfigFile::shipped().text().replace(
        "required_consent = \"express_written\"",
        "required_consent = \"verbal\"",
    );
    let t = twin_with(Some(verbal_enough.clone()));
    // The extract of 20 February lists two numbers of area code 212.
    let report = futures::executor::block_on(dnc_registry::import(
        t.runtime.store().as_ref(),
        "2125550100\n212,5550102\n",
        "2026-02-20".parse().unwrap(),
        at("2026-03-02T08:00:00Z"),
    ))
    .unwrap();
    assert_eq!(report.area_codes["212"], 2);
    us_lead(&t, "L1", "+12125550100", None, Some(verbal())); // listed
    us_lead(&t, "L2", "+12125550101", None, Some(verbal())); // not listed
    us_lead(&t, "L3", "+16465550100", None, Some(verbal())); // 646: no extract imported
    us_lead(&t, "L4", "+12125550102", None, Some(written_consent())); // listed, written consent
    days(&t, 3);
    let c: Vec<(String, StepOutcome, String)> =
        calls(&t).into_iter().map(|c| (c.0, c.1, c.4)).collect();
    assert_eq!(
        c,
        [
            (
                "L1".to_string(),
                StepOutcome::Skipped,
                "+12125550100 is on the National Do Not Call Registry (extract of 2026-02-20)"
                    .to_string()
            ),
            ("L2".to_string(), StepOutcome::TaskCreated, String::new()),
            (
                "L3".to_string(),
                StepOutcome::Skipped,
                "no Do Not Call registry extract for area code 646 has been imported".to_string()
            ),
            ("L4".to_string(), StepOutcome::TaskCreated, String::new()),
        ]
    );
    // An extract older than 31 days is no scrub: a newer one lists the number no more.
    let t = twin_with(Some(verbal_enough));
    futures::executor::block_on(dnc_registry::import(
        t.runtime.store().as_ref(),
        "2125550100\n",
        "2026-01-20".parse().unwrap(),
        at("2026-01-21T08:00:00Z"),
    ))
    .unwrap();
    us_lead(&t, "L1", "+12125550100", None, Some(verbal()));
    days(&t, 3);
    assert_eq!(
        calls(&t)[0].4,
        "the Do Not Call registry extract for area code 212 is 44 days old (at most 31)"
    );
    futures::executor::block_on(dnc_registry::import(
        t.runtime.store().as_ref(),
        "2125550199\n",
        "2026-03-05".parse().unwrap(),
        at("2026-03-05T07:00:00Z"),
    ))
    .unwrap();
    us_lead(&t, "L2", "+12125550100", None, None);
    days(&t, 3);
    let c = calls(&t);
    assert_eq!((c[1].0.as_str(), c[1].1), ("L2", StepOutcome::TaskCreated));
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
