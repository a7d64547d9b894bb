//! A Monday of operations (2 March 2026) through the twin with every agent and the shipped
//! `ascent.toml`, CRM Management syncing hourly with a stub HubSpot (only HubSpot's token is
//! set, so only HubSpot is synchronised; Salesforce's changes wait in its queue):
//!
//! - a lead (L000731, Ana Ruiz of Boreal Aero) becomes a contact, queued for HubSpot;
//! - HubSpot is down for the 10:00 run: the sync's page fails its three deliveries and is
//!   dead-lettered; Process Automation finds it transient and redrives it at 11:00, when
//!   HubSpot answers again: the 11:00 run, which replaced the failed one, creates the contact
//!   there, and the redriven page is handled without asking HubSpot twice;
//! - the contact is changed on both sides: in HubSpot by a rep (title and phone at 11:20), in
//!   Ascent by the customer (phone at 11:20, title at 11:30);
//! - HubSpot's admin revokes the private app's token before the 12:00 run: the page is refused,
//!   dead-lettered at once, and put to operations' lead as an intervention; the token is
//!   restored, the lead approves, the page is redriven and the sync round-trips: each field
//!   resolved as `source_priority` and the timestamps say, on both sides;
//! - nobody reaches the lead in the 240 minutes of the lead-response target: the breach is
//!   escalated, and the next reports (Process Automation's dead letters of the day, the
//!   Operations Manager's day) show the failures, the breach and the intervention's turnaround.
//!
//! Every figure is worked out by hand in the comments.

#[path = "operations/script.rs"]
mod script;

#[path = "operations/stub_hubspot.rs"]
mod stub_hubspot;

use ascent_core::agent::Domain;
use ascent_core::approval::Decision;
use ascent_core::catalog::ContactUpdated;
use ascent_core::catalog::LeadCreated;
use process_automation::classify::FailureClass;
use process_automation::letters::LetterState;
use script::*;

const LEAD: &str = "L000731";
/// CRM Management's contact of the lead: its first source id.
const CONTACT: &str = "lead:L000731";
const SEARCH: &str = "POST /crm/v3/objects/contacts/search";

fn lead() -> LeadCreated {
    LeadCreated {
        lead_id: LEAD.into(),
        email: "ana.ruiz@boreal-aero.example".into(),
        full_name: "Ana Ruiz".into(),
        company: "Boreal Aero GmbH".into(),
        company_size: 250,
        industry: "Aerospace".into(),
        role: "Head of Training".into(),
        country: Some("DE".into()),
        channel: "web".into(),
        phone: Some("+4930901820".into()),
        time_zone: Some("Europe/Berlin".into()),
    }
}

/// Ana changes her profile on Ascent's site at `when`.
fn profile(when: &str, phone: Option<&str>, title: Option<&str>) -> ContactUpdated {
    ContactUpdated {
        system: "ascent".into(),
        record_id: LEAD.into(),
        changed_at: at(when),
        email: None,
        full_name: None,
        company: None,
        phone: phone.map(str::to_string),
        country: None,
        job_title: title.map(str::to_string),
    }
}

#[test]
fn a_failing_crm_is_retried_escalated_redriven_and_synced_both_ways_and_reported() {
    let (t, hubspot) = twin("2026-03-02T09:00:00Z");
    // 09:00: the lead arrives (not hot: no intent, so no outreach will reach it).
    t.emit("ascent.crm", lead());
    let c = contact(&t, CONTACT);
    assert_eq!(c.value("phone"), Some("+4930901820"));
    assert_eq!(c.value("job_title"), Some("Head of Training"));
    assert_eq!(t.query(Domain::Customer, "crm#outbox#hubspot").len(), 1);

    // ---- 09:40 HubSpot goes down. The 10:00 run's page: each delivery tries the search four
    // times ([crm_management.http] max_attempts, 0.5 + 1 + 2 s apart), three deliveries (2 s and
    // 4 s apart): dead-lettered at 10:00:06.
    walk(&t, &hubspot, "2026-03-02T09:40:00Z");
    hubspot.lock().unwrap().down = true;
    walk(&t, &hubspot, "2026-03-02T10:00:00Z");
    assert_eq!(hubspot.lock().unwrap().count(SEARCH), 4 * 3);
    let n = notices(&t);
    assert_eq!(n.len(), 1, "{n:?}");
    let outage = n[0].clone();
    assert_eq!(
        (outage.agent.as_str(), outage.detail_type.as_str()),
        ("crm-management", "CrmSyncPageDue")
    );
    assert_eq!(outage.receive_count, 3);
    assert_eq!(outage.dead_lettered_at, at("2026-03-02T10:00:06Z"));
    assert!(
        outage
            .reason
            .starts_with("hubspot pull of changed contacts: unavailable after 4 attempts"),
        "{}",
        outage.reason
    );
    // Transient ("unavailable"): due 30 minutes later ([process_automation] retry_base_minutes),
    // no person asked. Nothing of the page was kept: no run announced.
    let l = letter(&t, &outage);
    assert_eq!(l.failures[0].class, FailureClass::Transient);
    assert_eq!(
        l.state,
        LetterState::RetryDue {
            due: at("2026-03-02T10:30:06Z")
        }
    );
    assert!(mails(&t, OPS_LEAD, "Approval needed").is_empty());
    assert!(runs(&t).is_empty());

    // ---- 10:45 HubSpot is back. At 11:00 the retry schedule redrives the page (due 10:30:06),
    // and the 11:00 run goes through: nothing to pull, the contact created (pushed 1). The
    // redriven page finds its run replaced by the 11:00 one, which did its work: handled, and
    // nothing asked of HubSpot twice (one more search, 13 in all).
    walk(&t, &hubspot, "2026-03-02T10:45:00Z");
    hubspot.lock().unwrap().down = false;
    walk(&t, &hubspot, "2026-03-02T11:00:00Z");
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    assert_eq!(hubspot.lock().unwrap().count(SEARCH), 13);
    let l = letter(&t, &outage);
    assert_eq!(l.redrives, 1);
    assert!(matches!(l.state, LetterState::Redriven { ref by, .. } if by == "retry schedule"));
    let r = runs(&t);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(counts(&r[0]), (0, 1, 0, 0, 0));
    let (hs_id, hs) = hubspot.lock().unwrap().only();
    assert_eq!(hs.props["email"], "ana.ruiz@boreal-aero.example");
    assert_eq!(hs.props["jobtitle"], "Head of Training");
    assert_eq!(hs.props["phone"], "+4930901820");
    assert_eq!(
        contact(&t, CONTACT).remote["hubspot"].record_id.as_deref(),
        Some(hs_id.as_str())
    );

    // ---- Both sides change the contact. 11:20 in HubSpot: a rep sets the title to COO and a
    // new direct line; 11:20 in Ascent: Ana enters another number; 11:30: her title.
    walk(&t, &hubspot, "2026-03-02T11:20:00Z");
    hubspot.lock().unwrap().edit(
        &hs_id,
        at("2026-03-02T11:20:00Z"),
        &[("jobtitle", "COO"), ("phone", "+49 30 901899")],
    );
    t.emit(
        "ascent.web",
        profile("2026-03-02T11:20:00Z", Some("+49 30 901877"), None),
    );
    walk(&t, &hubspot, "2026-03-02T11:30:00Z");
    t.emit(
        "ascent.web",
        profile(
            "2026-03-02T11:30:00Z",
            None,
            Some("Chief Operating Officer"),
        ),
    );

    // ---- 11:50 HubSpot's admin revokes the private app's token. The 12:00 page is refused:
    // permanent, dead-lettered at its first delivery, put to operations' first approver.
    walk(&t, &hubspot, "2026-03-02T11:50:00Z");
    hubspot.lock().unwrap().token_revoked = true;
    walk(&t, &hubspot, "2026-03-02T12:00:00Z");
    let n = notices(&t);
    assert_eq!(n.len(), 2, "{n:?}");
    let refusal = n[1].clone();
    assert_eq!(refusal.receive_count, 1);
    assert_eq!(refusal.dead_lettered_at, at("2026-03-02T12:00:00Z"));
    assert_eq!(
        refusal.reason,
        "invalid input: hubspot pull of changed contacts: refused (401): \
         Authentication credentials not found."
    );
    let l = letter(&t, &refusal);
    assert_eq!(l.failures[0].class, FailureClass::Permanent);
    assert!(matches!(l.state, LetterState::AwaitingDecision { .. }));
    let asked = mails(&t, OPS_LEAD, "Approval needed");
    assert_eq!(asked.len(), 1);
    for fact in ["crm-management", "CrmSyncPageDue", "refused (401)"] {
        assert!(asked[0].text.contains(fact), "{fact}: {}", asked[0].text);
    }
    // The changes wait in the outbox, HubSpot's record is as the rep left it.
    assert_eq!(t.query(Domain::Customer, "crm#outbox#hubspot").len(), 1);
    assert_eq!(hubspot.lock().unwrap().only().1.props["jobtitle"], "COO");

    // ---- 12:25 the token is restored in HubSpot (the fix); 12:30 the lead approves from the
    // mail: the page is redriven, and its run (started 12:00, still the current one) pulls the
    // rep's change and pushes Ascent's.
    walk(&t, &hubspot, "2026-03-02T12:25:00Z");
    hubspot.lock().unwrap().token_revoked = false;
    walk(&t, &hubspot, "2026-03-02T12:30:00Z");
    t.decide_from_mail(
        OPS_LEAD,
        Decision::Approve,
        Some("HubSpot app token restored"),
    )
    .unwrap();
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    let l = letter(&t, &refusal);
    assert!(matches!(l.state, LetterState::Redriven { ref by, .. } if by == OPS_LEAD));
    let r = runs(&t);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[1].started_at, at("2026-03-02T12:00:00Z"));
    assert_eq!(r[1].finished_at, at("2026-03-02T12:30:00Z"));
    // Pulled 1 (the record the rep changed), pushed 1 (Ascent's title), 2 conflicts: the phone
    // (both at 11:20:00, the same instant: hubspot ranks above ascent in source_priority) and
    // the title (HubSpot 11:20, Ascent 11:30: the later wins). records = pulled + pushed = 2.
    assert_eq!(counts(&r[1]), (1, 1, 2, 0, 0));
    assert_eq!(r[1].records, 2);
    let c = contact(&t, CONTACT);
    assert_eq!(c.value("phone"), Some("+4930901899"));
    assert_eq!(c.fields["phone"].source, "hubspot");
    assert_eq!(c.value("job_title"), Some("Chief Operating Officer"));
    assert_eq!(c.fields["job_title"].source, "ascent");
    let hs = hubspot.lock().unwrap().only().1;
    assert_eq!(hs.props["jobtitle"], "Chief Operating Officer");
    assert_eq!(
        hs.props["phone"], "+49 30 901899",
        "its own spelling, not pushed back"
    );
    assert_eq!(hs.modified, at("2026-03-02T12:30:00Z"));

    // ---- 13:00: the SLA check finds the lead unanswered for 240 minutes (09:00 to 13:00, the
    // target of [operations_manager.sla.lead_response]): one breach, escalated to its owner.
    // The 13:00 run reads back the 12:30 push as HubSpot's newest change: nothing moves.
    walk(&t, &hubspot, "2026-03-02T14:00:00Z");
    assert!(t.emitted("OutreachStepTaken").is_empty());
    let b = breaches(&t);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].metric, format!("sla.lead_response:{LEAD}"));
    assert_eq!((b[0].value, b[0].threshold), (240.0, 240.0));
    let escalated = mails(
        &t,
        "sales.ops@ascent-xr.example",
        "SLA breach: lead response",
    );
    assert_eq!(escalated.len(), 1);
    let r = runs(&t);
    assert_eq!(r.len(), 4, "{r:?}");
    assert_eq!(counts(&r[2]), (1, 0, 0, 0, 0));
    assert_eq!(counts(&r[3]), (0, 0, 0, 0, 0));
    assert_eq!(
        contact(&t, CONTACT).value("job_title"),
        Some("Chief Operating Officer")
    );

    // ---- The reports. Process Automation's of 2 March (06:00 UTC on the 3rd): crm-management's
    // 2 dead letters, 1 transient and 1 permanent, both redriven; 2 over 7 days is 0.29 a day.
    mornings(&t, &hubspot, "2026-03-04");
    let dlq = mails(&t, OPERATIONS, "Dead letters on 2026-03-02");
    assert_eq!(dlq.len(), 1);
    assert_eq!(
        dlq[0].subject,
        "Dead letters on 2026-03-02: 2 across 1 agent(s)"
    );
    let row: Vec<&str> = line(&dlq[0].text, "crm-management")
        .split_whitespace()
        .collect();
    assert_eq!(
        row,
        ["crm-management", "2", "1", "1", "0", "2", "0", "0.29"]
    );
    // The Operations Manager's report of Monday 2 March in Los Angeles (`[company] time_zone`;
    // every time above is before 06:00 there): the lead response breached once, nobody answered
    // it (0 completed); the intervention was decided 30 minutes after it was asked (12:00 to
    // 12:30): 1 completed, median and p90 the one duration.
    let report = mails(&t, OPERATIONS, "Operations report 2026-03-02");
    assert_eq!(report.len(), 1);
    // One KPI out: daily_leads, the day's 1 lead under the shipped minimum of 5.
    assert_eq!(
        report[0].subject,
        "Operations report 2026-03-02: 1 SLA breach(es), 1 KPI(s) out of bounds"
    );
    let text = &report[0].text;
    assert_eq!(
        line(text, "- lead response"),
        "- lead response: target 240 min; 0 completed; median -; p90 -; 1 breach(es)"
    );
    assert_eq!(
        line(text, "- approval turnaround"),
        "- approval turnaround: target 2880 min; 1 completed; median 30.0 min; p90 30.0 min; 0 breach(es)"
    );
    assert_eq!(
        line(text, "- daily_leads"),
        "- daily_leads: 1 (bounds: at least 5) BELOW"
    );
    // Both redrives carried out by the platform in Process Automation's commits, audited.
    let audit = t.runtime.store().audit_records().unwrap();
    let redrives = audit
        .iter()
        .filter(|r| r.entry.action == "dlq.redrive" && r.entry.actor == "process-automation")
        .count();
    assert_eq!(redrives, 2);
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    t.runtime.store().verify_audit().unwrap();
}
