//! Touches through the twin: kept once, bounded per contact, only Outreach's sent emails.

use super::*;

#[test]
fn touches_kept_per_contact_are_bounded_by_the_setting() {
    let t = twin("2026-03-01T09:00:00Z");
    for i in 0..55 {
        let when = (at("2026-01-01T00:00:00Z") + chrono::Duration::hours(i)).to_rfc3339();
        touch(&t, &format!("ga-{i}"), MAYA, Ch::Content, None, &when);
    }
    let c = t
        .get(Domain::Interaction, &format!("touches#{MAYA}"), "touches")
        .unwrap();
    let kept = c["touches"].as_array().unwrap();
    assert_eq!(kept.len(), 50);
    assert_eq!(kept[0]["id"], "ga-5", "the five oldest dropped");
}

#[test]
fn a_touch_sent_twice_is_kept_once() {
    // Given the web analytics sends touch ga-1 twice (two deliveries, two event ids)
    let t = twin("2026-03-01T09:00:00Z");
    touch(
        &t,
        "ga-1",
        MAYA,
        Ch::Referral,
        Some("partner-x"),
        "2026-02-27T12:00:00Z",
    );
    touch(
        &t,
        "ga-1",
        "MAYA.Lindqvist@boreal-aero.example",
        Ch::Referral,
        Some("partner-x"),
        "2026-02-27T12:00:00Z",
    );
    // Then the contact keeps it once, under its normalised email
    let c = t
        .get(Domain::Interaction, &format!("touches#{MAYA}"), "touches")
        .unwrap();
    assert_eq!(c["touches"].as_array().unwrap().len(), 1);
    assert_eq!(c["touches"][0]["campaign_id"], "partner-x");
}

#[test]
fn only_outreach_s_sent_emails_to_known_leads_are_touches() {
    let t = twin("2026-03-01T09:00:00Z");
    lead(&t, "L1", MAYA);
    // A call task is no email touch (the subscription does not even deliver it).
    t.emit(
        "ascent.agent.outreach",
        OutreachStepTaken {
            lead_id: "L1".into(),
            sequence: "standard".into(),
            step: 2,
            channel: OutreachChannel::Call,
            outcome: StepOutcome::TaskCreated,
            rep: "ava.rep@ascent-xr.example".into(),
            summary: "Call Maya".into(),
            window_start: None,
            window_end: None,
            note: None,
            written_by: None,
        },
    );
    assert!(
        t.get(Domain::Interaction, &format!("touches#{MAYA}"), "touches")
            .is_none()
    );
    // An email to a lead this agent never saw: no contact to touch, nothing recorded.
    outreach_email(&t, "L-unknown", 1, "2026-03-02T09:00:00Z");
    assert!(dead_letters(&t).is_empty(), "{:?}", dead_letters(&t));
    // The sent email of step 1 to L1 is an email touch of the sequence's campaign.
    outreach_email(&t, "L1", 1, "2026-03-02T09:00:00Z");
    let c = t
        .get(Domain::Interaction, &format!("touches#{MAYA}"), "touches")
        .unwrap();
    let kept = c["touches"].as_array().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (&kept[0]["channel"], &kept[0]["campaign_id"], &kept[0]["id"]),
        (
            &"email".into(),
            &"standard".into(),
            &"outreach#L1#standard#1".into()
        )
    );
}

#[test]
fn a_touch_on_an_unknown_channel_is_refused_naming_the_field() {
    let e = Event::new(
        "ascent.web",
        ascent_core::Actor::system("ascent.web"),
        at("2026-03-01T09:00:00Z"),
        TouchRecorded {
            touch_id: "ga-9".into(),
            email: MAYA.into(),
            channel: Ch::Paid,
            campaign_id: None,
            occurred_at: at("2026-03-01T08:00:00Z"),
        },
    );
    let mut v = e.to_value();
    v["detail"]["payload"]["channel"] = "billboard".into();
    let err = Event::from_value(v).unwrap_err().to_string();
    assert!(err.contains("field `detail.payload.channel`"), "{err}");
    assert!(err.contains("unknown variant"), "{err}");
}
