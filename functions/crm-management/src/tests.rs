//! CRM Management through an in-memory twin: contacts from leads and CRM changes cleaned,
//! duplicates merged with their history, bad events dead-lettered naming the field.

use super::*;
use ascent_core::catalog::{ContactUpdated, ContactsMerged, LeadCreated};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) fn lead(
    id: &str,
    email: &str,
    name: &str,
    company: &str,
    phone: Option<&str>,
) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: email.into(),
        full_name: name.into(),
        company: company.into(),
        company_size: 250,
        industry: "aerospace".into(),
        role: "Head of Training".into(),
        country: Some("DE".into()),
        channel: "web".into(),
        phone: phone.map(String::from),
        time_zone: Some("Europe/Berlin".into()),
    }
}

pub(crate) fn update(system: &str, record: &str, when: &str) -> ContactUpdated {
    ContactUpdated {
        system: system.into(),
        record_id: record.into(),
        changed_at: at(when),
        email: None,
        full_name: None,
        company: None,
        phone: None,
        country: None,
        job_title: None,
    }
}

pub(crate) fn contact(t: &TestTwin, id: &str) -> contact::Contact {
    let v = t
        .get(Domain::Customer, &format!("crm#contact#{id}"), "contact")
        .unwrap_or_else(|| panic!("no contact {id}"));
    serde_json::from_value(v).unwrap()
}

fn merges(t: &TestTwin) -> Vec<ContactsMerged> {
    t.emitted("ContactsMerged")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::ContactsMerged(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_lead_becomes_a_clean_contact_queued_for_both_crms() {
    let t = TestTwin::new(
        vec![Arc::new(CrmManagement::default())],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit(
        "ascent.crm",
        lead(
            "L000123",
            "Ana.Ruiz@Boreal-Aero.example",
            "RUIZ, ANA",
            "boreal aero gmbh",
            Some("+4930901820"),
        ),
    );
    let c = contact(&t, "lead:L000123");
    assert_eq!(c.value("email"), Some("Ana.Ruiz@boreal-aero.example"));
    assert_eq!(c.value("full_name"), Some("Ana Ruiz"));
    assert_eq!(c.value("company"), Some("boreal aero GmbH"));
    assert_eq!(c.value("country"), Some("DE"));
    assert_eq!(c.value("job_title"), Some("Head of Training"));
    assert_eq!(c.fields["phone"].source, "ascent");
    // Found by its email's match key, its domain and its phone.
    assert!(
        t.get(
            Domain::Customer,
            "crm#email#ana.ruiz@boreal-aero.example",
            "email"
        )
        .is_some()
    );
    assert!(
        t.get(Domain::Customer, "crm#phone#+4930901820", "phone")
            .is_some()
    );
    assert_eq!(
        t.query_index(Domain::Customer, "crm#domain#boreal-aero.example")
            .len(),
        1
    );
    // Neither CRM has it: queued for both, visible.
    for system in ["hubspot", "salesforce"] {
        let queued = t.query(Domain::Customer, &format!("crm#outbox#{system}"));
        assert_eq!(queued.len(), 1, "{system}");
        assert_eq!(queued[0]["contact_id"], "lead:L000123");
    }
    // The same lead again changes nothing (idempotent by event; and by value).
    t.emit(
        "ascent.crm",
        lead(
            "L000123",
            "Ana.Ruiz@Boreal-Aero.example",
            "RUIZ, ANA",
            "boreal aero gmbh",
            Some("+4930901820"),
        ),
    );
    assert_eq!(contact(&t, "lead:L000123").version, 2);
    assert!(merges(&t).is_empty());
}

#[test]
fn duplicates_are_merged_into_the_older_contact_keeping_every_source_id() {
    let t = TestTwin::new(
        vec![Arc::new(CrmManagement::default())],
        at("2026-03-02T09:00:00Z"),
    );
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
    // The same person signs up again with a plus-tagged address: same email key.
    t.clock.set(at("2026-03-03T09:00:00Z"));
    t.emit(
        "ascent.crm",
        lead(
            "L000200",
            "ana.ruiz+events@boreal-aero.example",
            "Ana Ruiz",
            "Boreal Aero",
            None,
        ),
    );
    // HubSpot has her under another work address, with an initial.
    let mut hs = update("hubspot", "51234", "2026-03-04T09:00:00Z");
    hs.email = Some("a.ruiz@boreal-aero.example".into());
    hs.full_name = Some("A. Ruiz".into());
    hs.job_title = Some("COO".into());
    t.clock.set(at("2026-03-04T09:00:00Z"));
    t.emit("ascent.crm", hs);
    // A colleague at the same company is someone else.
    t.emit(
        "ascent.crm",
        lead(
            "L000201",
            "jonas.weber@boreal-aero.example",
            "Jonas Weber",
            "Boreal Aero",
            None,
        ),
    );

    let m = merges(&t);
    assert_eq!(m.len(), 2);
    assert_eq!(
        (m[0].rule.as_str(), m[0].merged_ids.clone()),
        ("same_email", vec!["lead:L000200".to_string()])
    );
    assert_eq!(
        (m[1].rule.as_str(), m[1].similarity),
        ("same_domain_similar_name", 1.0)
    );
    assert_eq!(
        m[1].source_ids,
        ["lead:L000123", "lead:L000200", "hubspot:51234"]
    );
    let c = contact(&t, "lead:L000123");
    assert_eq!(c.merge_log.len(), 2);
    // The later values won, the earlier are in the log; nothing was deleted.
    assert_eq!(c.value("job_title"), Some("COO"));
    assert_eq!(c.merge_log[1].replaced["full_name"], "Ana Ruiz");
    assert_eq!(c.value("full_name"), Some("A. Ruiz"));
    assert_eq!(c.remote["hubspot"].record_id.as_deref(), Some("51234"));
    // Every source id finds the survivor.
    for id in ["lead:L000200", "hubspot:51234"] {
        let link = t
            .get(Domain::Customer, &format!("crm#link#{id}"), "link")
            .unwrap();
        assert_eq!(link["contact_id"], "lead:L000123");
    }
    assert!(
        t.get(Domain::Customer, "crm#contact#lead:L000201", "contact")
            .is_some()
    );
    // A later HubSpot change of the merged record lands on the survivor by its link.
    let mut later = update("hubspot", "51234", "2026-03-05T09:00:00Z");
    later.phone = Some("030 901821".into());
    t.emit("ascent.crm", later);
    assert_eq!(
        contact(&t, "lead:L000123").value("phone"),
        Some("+4930901821")
    );
}

#[test]
fn bad_changes_are_dead_lettered_naming_the_field_and_bad_values_become_issues() {
    let t = TestTwin::new(
        vec![Arc::new(CrmManagement::default())],
        at("2026-03-02T09:00:00Z"),
    );
    let mut wrong = update("pipedrive", "9", "2026-03-02T09:00:00Z");
    wrong.email = Some("ana@boreal-aero.example".into());
    t.emit("ascent.crm", wrong);
    t.emit(
        "ascent.crm",
        update("hubspot", "51234", "2026-03-02T09:00:00Z"),
    );
    // The web site may not speak for a CRM.
    let mut posing = update("salesforce", "0035e00000AbCdEAAZ", "2026-03-02T09:00:00Z");
    posing.job_title = Some("CEO".into());
    t.emit("ascent.web", posing);
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 3);
    assert!(
        dead[2].reason.contains("do not come from the web site"),
        "{}",
        dead[2].reason
    );
    assert!(
        dead[0].reason.contains("field `detail.payload.system`"),
        "{}",
        dead[0].reason
    );
    assert!(
        dead[1].reason.contains("no field of the contact is given"),
        "{}",
        dead[1].reason
    );
    // A phone that is no number is kept out and shown as an issue on the contact.
    let mut odd = update("salesforce", "0035e00000AbCdEAAZ", "2026-03-02T09:00:00Z");
    odd.email = Some("li.wei@jadepeak.example".into());
    odd.phone = Some("ask reception".into());
    odd.country = Some("People's Republic of China".into());
    t.emit("ascent.crm", odd);
    let c = contact(&t, "salesforce:0035e00000AbCdEAAZ");
    assert_eq!(c.value("country"), Some("CN"));
    assert_eq!(c.value("phone"), None);
    assert_eq!(c.issues[0].field, "phone");
    assert_eq!(c.issues[0].source, "salesforce");
    assert_eq!(t.runtime.dead_letters().unwrap().len(), 3);
}
