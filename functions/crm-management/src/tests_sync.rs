//! The two-way sync through the twin, with the stub CRM as HubSpot: a contact changed in the
//! CRM and in Ascent round-trips both ways with a conflicting field resolved by timestamp, a
//! failed push stays queued and visible until the next run, and a run fans out page by page.

use super::*;
use crate::connector::RetryPolicy;
use crate::hubspot::HubSpot;
use crate::stub_crm::{self, Fault, Shared};
use crate::tests::{at, contact, lead, update};
use ascent_core::catalog::DataSyncCompleted;
use ascent_embedded::testkit::TestTwin;
use std::time::Duration;

fn twin(start: &str) -> (TestTwin, Shared) {
    let (base, crm) = stub_crm::start();
    let config = CrmConfig {
        systems: vec!["hubspot".into()],
        ..CrmConfig::default()
    };
    let policy = RetryPolicy {
        max_attempts: 3,
        backoff: Duration::from_millis(1),
        max_wait: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
    };
    let agent = CrmManagement::new(config).with_connector(Arc::new(HubSpot::new(
        &base,
        "pat-na1-test",
        policy,
    )));
    (TestTwin::new(vec![Arc::new(agent)], at(start)), crm)
}

fn runs(t: &TestTwin) -> Vec<DataSyncCompleted> {
    t.emitted("DataSyncCompleted")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::DataSyncCompleted(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// Ticks the hourly schedule with the stub's clock at the same time.
fn tick(t: &TestTwin, crm: &Shared, when: &str) {
    crm.lock().unwrap().now = Some(at(when));
    t.tick("hourly", at(when));
}

#[test]
fn a_contact_changed_on_both_sides_round_trips_with_the_later_change_of_a_field_winning() {
    let (t, crm) = twin("2026-03-02T09:00:00Z");
    t.emit(
        "ascent.crm",
        lead(
            "L000123",
            "ana.ruiz@boreal-aero.example",
            "Ana Ruiz",
            "Boreal Aero GmbH",
            Some("+4930901820"),
        ),
    );
    // 10:00: the first run pushes the new contact to HubSpot.
    tick(&t, &crm, "2026-03-02T10:00:00Z");
    let r = runs(&t);
    assert_eq!(
        (
            r[0].pulled,
            r[0].pushed,
            r[0].conflicts,
            r[0].failures,
            r[0].queued
        ),
        (0, 1, 0, 0, 0)
    );
    let id = crm.lock().unwrap().contacts.keys().next().unwrap().clone();
    assert_eq!(
        crm.lock().unwrap().contacts[&id].props["jobtitle"],
        "Head of Training"
    );
    assert_eq!(
        contact(&t, "lead:L000123").remote["hubspot"]
            .record_id
            .as_deref(),
        Some(id.as_str())
    );

    // 10:20 in HubSpot: a rep sets the title to COO and a new direct line.
    crm.lock().unwrap().edit(
        &id,
        at("2026-03-02T10:20:00Z"),
        &[("jobtitle", "COO"), ("phone", "+49 30 901899")],
    );
    // 10:30 in Ascent: the customer's profile says Chief Operating Officer, and a new
    // company name.
    t.clock.set(at("2026-03-02T10:30:00Z"));
    let mut mine = update("ascent", "L000123", "2026-03-02T10:30:00Z");
    mine.job_title = Some("Chief Operating Officer".into());
    mine.company = Some("Boreal Aero Systems GmbH".into());
    t.emit("ascent.web", mine);

    // 11:00: the run pulls HubSpot's change and pushes Ascent's.
    tick(&t, &crm, "2026-03-02T11:00:00Z");
    let r = runs(&t);
    assert_eq!(
        (
            r[1].pulled,
            r[1].pushed,
            r[1].conflicts,
            r[1].failures,
            r[1].queued
        ),
        (1, 1, 1, 0, 0)
    );
    let c = contact(&t, "lead:L000123");
    // The phone changed only in HubSpot: taken. The title changed on both sides: Ascent's
    // change (10:30) is later than HubSpot's (10:20) and stays.
    assert_eq!(c.value("phone"), Some("+4930901899"));
    assert_eq!(c.fields["phone"].source, "hubspot");
    assert_eq!(c.value("job_title"), Some("Chief Operating Officer"));
    assert_eq!(c.value("company"), Some("Boreal Aero Systems GmbH"));
    let hs = crm.lock().unwrap().contacts[&id].clone();
    assert_eq!(hs.props["jobtitle"], "Chief Operating Officer");
    assert_eq!(hs.props["company"], "Boreal Aero Systems GmbH");
    assert_eq!(
        hs.props["phone"], "+49 30 901899",
        "HubSpot's own change is not pushed back"
    );

    // 12:00: the pull reads back the push as HubSpot's newest change: nothing moves.
    tick(&t, &crm, "2026-03-02T12:00:00Z");
    let r = runs(&t);
    assert_eq!((r[2].pulled, r[2].pushed, r[2].conflicts), (1, 0, 0));
    assert_eq!(
        contact(&t, "lead:L000123").value("job_title"),
        Some("Chief Operating Officer")
    );

    // A later HubSpot change of the title wins in turn (13:05 after Ascent's 10:30).
    crm.lock().unwrap().edit(
        &id,
        at("2026-03-02T13:05:00Z"),
        &[("jobtitle", "Chief Executive Officer")],
    );
    tick(&t, &crm, "2026-03-02T14:00:00Z");
    assert_eq!(
        contact(&t, "lead:L000123").value("job_title"),
        Some("Chief Executive Officer")
    );
    assert_eq!(
        runs(&t)[3].conflicts,
        0,
        "Ascent had not changed it since HubSpot's value"
    );
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}

#[test]
fn a_failed_push_stays_queued_with_its_reason_and_goes_out_next_run() {
    let (t, crm) = twin("2026-03-02T09:00:00Z");
    t.emit(
        "ascent.crm",
        lead(
            "L000124",
            "li.wei@jadepeak.example",
            "Li Wei",
            "Jade Peak",
            None,
        ),
    );
    // The pull passes; the create is rate limited for an hour (beyond the wait allowed).
    crm.lock()
        .unwrap()
        .script
        .extend([Fault::Pass, Fault::RateLimited(3600)]);
    tick(&t, &crm, "2026-03-02T10:00:00Z");
    let r = runs(&t);
    assert_eq!((r[0].pushed, r[0].failures, r[0].queued), (0, 1, 1));
    let queued = t.query(Domain::Customer, "crm#outbox#hubspot");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["attempts"], 1);
    assert_eq!(
        queued[0]["last_error"],
        "rate limited: asked to wait 3600 s"
    );
    assert!(crm.lock().unwrap().contacts.is_empty());
    tick(&t, &crm, "2026-03-02T11:00:00Z");
    let r = runs(&t);
    assert_eq!((r[1].pushed, r[1].failures, r[1].queued), (1, 0, 0));
    assert!(t.query(Domain::Customer, "crm#outbox#hubspot").is_empty());
    assert_eq!(crm.lock().unwrap().contacts.len(), 1);
}

#[test]
fn a_run_fans_out_page_by_page_and_merges_what_it_pulls() {
    let (t, crm) = twin("2026-03-02T09:00:00Z");
    t.emit(
        "ascent.crm",
        lead(
            "L000125",
            "tom.baker@fenwick.example",
            "Tom Baker",
            "Fenwick",
            None,
        ),
    );
    {
        let mut c = crm.lock().unwrap();
        let people = [
            ("Tom", "Baker", "TOM.BAKER@fenwick.example"),
            ("Sam", "Baker", "sam.baker@fenwick.example"),
            ("Greta", "Nilsson", "greta.nilsson@fjordtech.example"),
            ("Oskar", "Berg", "oskar.berg@fjordtech.example"),
            ("Yuki", "Tanaka", "yuki.tanaka@sakura-optics.example"),
            ("Kevin", "Park", "kevin.park@seoul-games.example"),
            ("Fatima", "Zahra", "fatima.zahra@casablanca-tel.example"),
        ];
        for (i, (first, last, email)) in people.iter().enumerate() {
            let when = at("2026-03-02T08:00:00Z") + chrono::Duration::minutes(i as i64);
            c.edit(
                &format!("{}", 60_000 + i),
                when,
                &[("firstname", first), ("lastname", last), ("email", email)],
            );
        }
    }
    tick(&t, &crm, "2026-03-02T10:00:00Z");
    // 7 changes at 5 a page: two pages, one run announced once. The second page also reads
    // back the record the first page pushed to (HubSpot's newest change), changing nothing.
    assert_eq!(t.emitted("CrmSyncPageDue").len(), 2);
    let r = runs(&t);
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].pulled, r[0].conflicts), (8, 0));
    // HubSpot's Tom Baker is the lead's Tom Baker: merged, linked both ways.
    let c = contact(&t, "lead:L000125");
    assert_eq!(c.source_ids, ["lead:L000125", "hubspot:60000"]);
    assert_eq!(t.emitted("ContactsMerged").len(), 1);
    // The lead's title went to HubSpot's record; nothing else was pushed (HubSpot has it).
    assert_eq!(r[0].pushed, 1);
    assert_eq!(
        crm.lock().unwrap().contacts["60000"].props["jobtitle"],
        "Head of Training"
    );
    assert!(
        t.get(Domain::Customer, "crm#contact#hubspot:60001", "contact")
            .is_some()
    );
}

#[test]
fn a_change_made_in_hubspot_reaches_salesforce_through_ascent() {
    let (hs_base, hs) = stub_crm::start();
    let (sf_base, sf) = stub_crm::start();
    let policy = RetryPolicy {
        max_attempts: 2,
        backoff: Duration::from_millis(1),
        max_wait: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
    };
    let agent = CrmManagement::new(CrmConfig::default())
        .with_connector(Arc::new(HubSpot::new(&hs_base, "pat-na1-test", policy)))
        .with_connector(Arc::new(crate::salesforce::Salesforce::new(
            &sf_base,
            "v61.0",
            "00D-session",
            policy,
        )));
    let t = TestTwin::new(vec![Arc::new(agent)], at("2026-03-02T09:00:00Z"));
    t.emit(
        "ascent.crm",
        lead(
            "L000126",
            "greta.nilsson@fjordtech.example",
            "Greta Nilsson",
            "Fjordtech AS",
            None,
        ),
    );
    let tick_both = |when: &str| {
        hs.lock().unwrap().now = Some(at(when));
        sf.lock().unwrap().now = Some(at(when));
        t.tick("hourly", at(when));
    };
    tick_both("2026-03-02T10:00:00Z");
    // Created in both, Salesforce's by an upsert on the contact's Ascent id.
    let hs_id = hs.lock().unwrap().contacts.keys().next().unwrap().clone();
    let sf_id = sf.lock().unwrap().contacts.keys().next().unwrap().clone();
    assert_eq!(sf.lock().unwrap().external["lead:L000126"], sf_id);
    assert_eq!(
        sf.lock().unwrap().contacts[&sf_id].props["LastName"],
        "Nilsson"
    );
    // A rep corrects the phone in HubSpot, in Norwegian national format.
    hs.lock().unwrap().edit(
        &hs_id,
        at("2026-03-02T10:40:00Z"),
        &[("phone", "22 12 34 56"), ("country", "Norway")],
    );
    tick_both("2026-03-02T11:00:00Z");
    tick_both("2026-03-02T12:00:00Z");
    let c = contact(&t, "lead:L000126");
    // Read in the contact's new country (Norway), not the default region (US).
    assert_eq!(c.value("phone"), Some("+4722123456"));
    assert_eq!(c.value("country"), Some("NO"));
    let sf_now = sf.lock().unwrap().contacts[&sf_id].clone();
    assert_eq!(sf_now.props["Phone"], "+4722123456");
    assert_eq!(sf_now.props["MailingCountry"], "NO");
    // HubSpot keeps what its rep wrote: nothing it already had is pushed back.
    assert_eq!(
        hs.lock().unwrap().contacts[&hs_id].props["phone"],
        "22 12 34 56"
    );
    let systems: Vec<String> = runs(&t).iter().map(|r| r.system.clone()).collect();
    assert_eq!(systems.iter().filter(|s| *s == "salesforce").count(), 3);
    assert!(
        t.query(Domain::Customer, "crm#outbox#salesforce")
            .is_empty()
    );
    assert!(t.runtime.dead_letters().unwrap().is_empty());
}

#[test]
fn a_pull_the_crm_cannot_answer_fails_its_page_with_the_reason_and_a_refused_one_at_once() {
    let (t, crm) = twin("2026-03-02T09:00:00Z");
    // HubSpot is down for the 10:00 run: three attempts a delivery, three deliveries.
    crm.lock().unwrap().script.extend([Fault::Unavailable; 9]);
    tick(&t, &crm, "2026-03-02T10:00:00Z");
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].detail_type.as_str(), dead[0].receive_count),
        ("CrmSyncPageDue", 3)
    );
    assert!(
        dead[0]
            .reason
            .starts_with("hubspot pull of changed contacts: unavailable after 3 attempts"),
        "{}",
        dead[0].reason
    );
    // Nothing of the page was kept: no run announced, the cursor where it was.
    assert!(runs(&t).is_empty());
    assert!(
        t.get(Domain::Customer, "crm#sync#hubspot", "cursor")
            .is_none()
    );

    // At 11:00 HubSpot refuses the query: dead-lettered at the first delivery, as invalid.
    crm.lock().unwrap().script.push_back(Fault::Refused);
    tick(&t, &crm, "2026-03-02T11:00:00Z");
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[1].receive_count, 1);
    assert_eq!(
        dead[1].reason,
        "invalid input: hubspot pull of changed contacts: refused (400): Property values were not valid"
    );
    // At 12:00 it answers again: the run goes through.
    tick(&t, &crm, "2026-03-02T12:00:00Z");
    assert_eq!(runs(&t).len(), 1);
}
