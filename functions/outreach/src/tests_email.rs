//! Email by the book (issue 23), through the twin: the consent gate by country, a footer that
//! says where the address came from, the advertisement label, the List-Unsubscribe headers,
//! and replies and complaints that join the suppression list.

use super::*;

fn outbound(id: &str, email: &str, country: &str) -> LeadCreated {
    LeadCreated {
        channel: "outbound".into(),
        ..lead(id, email, country, None)
    }
}

fn suppressed(t: &TestTwin, email: &str) -> bool {
    t.get(
        Domain::Customer,
        &format!("suppression#{}", compliance::normalise_email(email)),
        "entry",
    )
    .is_some()
}

/// Issue 23: a German outbound lead was mailed at once, with a footer saying they had asked.
#[test]
fn a_german_outbound_lead_is_not_emailed_until_consent_is_recorded() {
    let t = twin();
    let jan = "jan.weber@kranbau.example";
    t.emit("ascent.crm", outbound("L1", jan, "DE"));
    t.emit("ascent.agent.sales-director", assigned("L1"));
    days(&t, 1);
    // The first step (an email) is skipped with the reason; nothing reaches the lead
    let first = steps(&t).remove(0);
    assert_eq!(first.channel, OutreachChannel::Email);
    assert_eq!(first.outcome, StepOutcome::Skipped);
    assert!(
        first
            .note
            .as_deref()
            .unwrap()
            .contains("no email consent recorded"),
        "{first:?}"
    );
    assert!(mails_to(&t, jan).is_empty());
    // When consent is recorded (a form at a trade fair), the next email goes out, and its
    // footer does not pretend the lead asked before
    t.emit(
        "ascent.crm",
        consent(jan, ContactPreference::EmailConsentGiven, None),
    );
    days(&t, 14);
    let mails = mails_to(&t, jan);
    assert!(!mails.is_empty());
    assert!(
        mails.iter().all(|m| !m.text.contains("you asked")),
        "{:?}",
        mails[0].text
    );
}

#[test]
fn an_outbound_us_email_is_an_advertisement_with_one_click_unsubscribe() {
    let t = twin();
    let amy = "amy.chen@kite.example";
    t.emit("ascent.crm", outbound("L2", amy, "US"));
    t.emit("ascent.agent.sales-director", assigned("L2"));
    days(&t, 1);
    let mail = mails_to(&t, amy).pop().expect("emailed under CAN-SPAM");
    assert!(
        mail.text
            .contains("This email is an advertisement from Ascent XR.")
    );
    assert!(mail.text.contains("you did not sign up with Ascent XR"));
    assert!(!mail.text.contains("you asked"));
    // RFC 8058: the mailbox's unsubscribe button posts to the same link, once
    let link = mail
        .headers
        .iter()
        .find(|h| h.name == "List-Unsubscribe")
        .map(|h| h.value.clone())
        .unwrap();
    assert!(link.starts_with("<http") && link.ends_with('>'), "{link}");
    assert!(
        mail.text
            .contains(link.trim_matches(|c| c == '<' || c == '>'))
    );
    assert!(
        mail.headers
            .iter()
            .any(|h| h.name == "List-Unsubscribe-Post" && h.value == "List-Unsubscribe=One-Click")
    );
    // A French outbound lead gets the GDPR notice and the right to object instead
    let zoe = "zoe.martin@aero.example";
    t.emit("ascent.crm", outbound("L3", zoe, "FR"));
    t.emit("ascent.agent.sales-director", assigned("L3"));
    days(&t, 1);
    let mail = mails_to(&t, zoe).pop().unwrap();
    assert!(mail.text.contains("GDPR art. 6(1)(f)") && mail.text.contains("art. 21"));
}

/// Issue 23: a reply saying "unsubscribe" only stopped the sequence; it never reached the
/// suppression list, and complaints were not handled.
#[test]
fn a_reply_asking_to_stop_and_a_complaint_join_the_suppression_list() {
    let t = twin();
    let ana = "ana.ruiz@boreal-aero.example";
    t.emit("ascent.crm", lead("L1", ana, "DE", None));
    t.emit("ascent.agent.sales-director", assigned("L1"));
    days(&t, 1);
    t.emit(
        "ascent.web",
        InteractionRecorded {
            interaction_id: "R1".into(),
            email: ana.into(),
            kind: InteractionKind::EmailReplied,
            occurred_at: t.now(),
            text: Some("Please remove me from your list.".into()),
        },
    );
    assert!(suppressed(&t, ana));
    assert_eq!(
        stops(&t).pop().unwrap().reason,
        OutreachStopReason::Unsubscribed
    );
    // A reply that does not ask to stop only stops the sequence (a person takes over)
    let bo = "bo.lind@fjord.example";
    t.emit("ascent.crm", lead("L4", bo, "SE", None));
    t.emit("ascent.agent.sales-director", assigned("L4"));
    days(&t, 1);
    t.emit(
        "ascent.web",
        InteractionRecorded {
            interaction_id: "R2".into(),
            email: bo.into(),
            kind: InteractionKind::EmailReplied,
            occurred_at: t.now(),
            text: Some("Sounds good, call me on Tuesday.".into()),
        },
    );
    assert!(!suppressed(&t, bo));
    assert_eq!(stops(&t).pop().unwrap().reason, OutreachStopReason::Replied);
    // A spam complaint suppresses the address
    t.emit(
        "ascent.mail",
        EmailBounced {
            email: bo.into(),
            bounce: BounceKind::Complaint,
            diagnostic: "abuse report via feedback loop".into(),
        },
    );
    assert!(suppressed(&t, bo));
}

/// Issue 23: a second lead with a known address was dead-lettered.
#[test]
fn a_second_lead_of_a_known_address_is_recorded_as_a_duplicate() {
    let t = twin();
    let ana = "ana.ruiz@boreal-aero.example";
    t.emit("ascent.crm", lead("L1", ana, "DE", None));
    t.emit(
        "ascent.crm",
        lead("L2", "Ana.Ruiz@Boreal-Aero.example", "DE", None),
    );
    t.emit("ascent.agent.sales-director", assigned("L1"));
    t.emit("ascent.agent.sales-director", assigned("L2"));
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    let stopped = stops(&t).pop().unwrap();
    assert_eq!(
        (stopped.lead_id.as_str(), stopped.reason),
        ("L2", OutreachStopReason::Duplicate)
    );
    // One person, one sequence: one first email
    assert_eq!(mails_to(&t, ana).len(), 1);
}

/// Issue 23: the existing-customer exception of UWG §7(3) — a German customer's sale address
/// is emailed about similar products without separate consent, the right to object in every
/// email; a German prospect who is no customer still waits for consent.
#[test]
fn a_german_customer_is_emailed_under_the_existing_customer_exception() {
    let t = twin();
    let jan = "Jan.Weber@Kranbau.example";
    t.emit(
        "ascent.platform",
        ascent_core::catalog::CustomerSignedUp {
            account_id: "A00042".into(),
            company: "Kranbau".into(),
            plan: "team".into(),
            seats: 40,
            tax_region: "DE".into(),
            billing_email: jan.into(),
            payment_terms_days: 30,
            currency: "EUR".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    t.emit(
        "ascent.crm",
        outbound("L1", "jan.weber@kranbau.example", "DE"),
    );
    t.emit("ascent.crm", outbound("L2", "eva@stahlwerk.example", "DE"));
    t.emit("ascent.agent.sales-director", assigned("L1"));
    t.emit("ascent.agent.sales-director", assigned("L2"));
    days(&t, 1);
    let mails = mails_to(&t, "jan.weber@kranbau.example");
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].text.contains("you are a customer of Ascent XR"),
        "{}",
        mails[0].text
    );
    assert!(
        mails[0]
            .text
            .contains("You may object to these emails at any time")
    );
    assert!(mails_to(&t, "eva@stahlwerk.example").is_empty());
}
