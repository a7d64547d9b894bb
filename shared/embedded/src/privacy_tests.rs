//! Export and erasure in the twin, with an agent that keeps a lead's contact (deleted on
//! erasure), its score by lead id (found through the contact's identifying fields), an
//! invoice kept by law (pseudonymised) and a note under a prefix that declares nothing.

use super::*;
use crate::testkit::TestTwin;
use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{LeadCreated, Payload};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::Condition;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

struct Keeper(AgentDecl);

const CONTACT: Personal = Personal::deleted(
    &["email", "name", "phone", "referred_by"],
    &["email", "phone", "lead_id"],
    "Reach the lead",
    Retention::Days("unconverted_leads_days"),
);
const SCORE: Personal = Personal::deleted(
    &["lead_id"],
    &[],
    "Rank leads",
    Retention::Days("unconverted_leads_days"),
);
const INVOICE: Personal = Personal::pseudonymised(
    &["bill_to"],
    &[],
    "Invoices kept by law",
    Retention::Legal("tax_records_years"),
);

fn keeper() -> Keeper {
    Keeper(AgentDecl {
        name: "keeper",
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![Subscription {
            name: "leads",
            pattern: json!({"detail-type": ["LeadCreated"]}),
        }],
        reads: vec![],
        owns: vec![
            owns(Domain::Customer, "contact#").holding(CONTACT),
            owns(Domain::Customer, "score#").holding(SCORE),
            owns(Domain::Financial, "invoice#").holding(INVOICE),
            owns(Domain::Customer, "note#"),
        ],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    })
}

#[async_trait]
impl Agent for Keeper {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Payload::LeadCreated(l) = event.payload() else {
            return Err(AgentError::unhandled("keeper", event.payload()));
        };
        let put = |pk: String, sk: &str, data| Item::new(pk, sk, data);
        ctx.put(Domain::Customer, put(
            format!("contact#{}", l.email),
            "profile",
            json!({"email": l.email, "name": l.full_name, "phone": l.phone, "lead_id": l.lead_id,
                   "referred_by": (l.lead_id == "L0002").then_some("ana@boreal.aero")}),
        ), Condition::Always)?;
        ctx.put(
            Domain::Customer,
            put(
                format!("score#{}", l.lead_id),
                "now",
                json!({"lead_id": l.lead_id, "score": 71}),
            ),
            Condition::Always,
        )?;
        ctx.put(
            Domain::Customer,
            put(
                format!("note#{}", l.lead_id),
                "1",
                json!({"text": format!("call {} back", l.full_name), "who": l.email}),
            ),
            Condition::Always,
        )?;
        ctx.put(
            Domain::Financial,
            Item::new(
                format!("invoice#{}", l.lead_id),
                "v1",
                json!({"total_minor": 120000, "bill_to": {"name": l.full_name, "email": l.email}}),
            ),
            Condition::Always,
        )?;
        Ok(())
    }
}

fn lead(lead_id: &str, email: &str, name: &str, phone: &str) -> LeadCreated {
    LeadCreated {
        lead_id: lead_id.into(),
        email: email.into(),
        full_name: name.into(),
        company: "Boreal Aero".into(),
        company_size: 120,
        industry: "aerospace".into(),
        role: "CTO".into(),
        country: Some("DE".into()),
        channel: "web".into(),
        phone: Some(phone.into()),
        time_zone: None,
    }
}

fn twin() -> TestTwin {
    let t = TestTwin::new(
        vec![Arc::new(keeper())],
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    );
    t.emit(
        "ascent.crm",
        lead("L0001", "Ana@Boreal.aero", "Ana Lima", "+4930123456"),
    );
    t.emit(
        "ascent.crm",
        lead("L0002", "bo@boreal.aero", "Bo Berg", "+4930999999"),
    );
    t
}

fn key() -> PrivacyKey {
    PrivacyKey::new(*b"0123456789abcdef0123456789abcdef").unwrap()
}

/// Every text of every table of the store, one string per row.
fn every_row(t: &TestTwin) -> Vec<String> {
    t.runtime
        .store()
        .read(|c| {
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for table in tables {
                let mut st = c.prepare(&format!("SELECT * FROM \"{table}\""))?;
                let n = st.column_count();
                let mut rows = st.query([])?;
                while let Some(r) = rows.next()? {
                    let mut line = format!("{table}:");
                    for i in 0..n {
                        if let Ok(Some(s)) = r.get::<_, Option<String>>(i) {
                            line.push_str(&s);
                            line.push(' ');
                        }
                    }
                    out.push(line);
                }
            }
            Ok::<_, rusqlite::Error>(out)
        })
        .unwrap()
}

#[test]
fn an_export_holds_every_record_with_its_agent_purpose_and_retention() {
    let t = twin();
    let found = t
        .runtime
        .privacy_findings(Subject::new(Some("ana@boreal.aero"), None))
        .unwrap();
    let export = found.export(t.now());
    let keys: Vec<&str> = export.records.iter().map(|r| r.key.as_str()).collect();
    assert!(
        keys.contains(&"contact#Ana@Boreal.aero/profile"),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"score#L0001/now"),
        "found through the lead id: {keys:?}"
    );
    assert!(keys.contains(&"invoice#L0001/v1"), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains("L0002")), "{keys:?}");
    let contact = export
        .records
        .iter()
        .find(|r| r.key.starts_with("contact#"))
        .unwrap();
    assert_eq!(
        (contact.agent.as_str(), contact.purpose.as_str()),
        ("keeper", "Reach the lead")
    );
    assert_eq!(
        contact.retention,
        Some(Retention::Days("unconverted_leads_days"))
    );
    assert_eq!(export.events.len(), 1, "the LeadCreated about her");
    // The note's prefix declares nothing: it is exported, and named undeclared.
    let undeclared: Vec<String> = found.undeclared().map(|i| i.pk.clone()).collect();
    assert_eq!(undeclared, vec!["note#L0001"]);
    assert!(
        found
            .subject
            .identifiers()
            .contains(&"+4930123456".to_string())
    );
}

#[test]
fn after_erasure_nothing_names_her_the_kept_invoice_is_pseudonymised_and_the_chain_verifies() {
    let t = twin();
    let k = key();
    let report = t
        .runtime
        .erase_subject(
            Subject::new(Some("ana@boreal.aero"), None),
            &k,
            "dpo",
            "erasure-1",
        )
        .unwrap();
    assert_eq!(
        report.per_agent["keeper"],
        AgentErasure {
            deleted: 2,
            pseudonymised: 2,
            undeclared: 1
        }
    );
    assert_eq!(report.events, 1);
    for row in every_row(&t) {
        let lower = row.to_ascii_lowercase();
        for gone in ["ana@boreal.aero", "+4930123456", "ana lima"] {
            assert!(!lower.contains(gone), "{gone} left in {row}");
        }
    }
    let rows = every_row(&t);
    assert!(
        rows.iter().any(|r| r.contains("bo@boreal.aero")),
        "Bo is kept"
    );
    // Bo's contact mentions her (who referred him): it stays, without her address.
    let bo = rows
        .iter()
        .find(|r| r.contains("contact#bo@boreal.aero"))
        .expect("Bo's contact stays");
    assert!(bo.contains(&k.pseudonym("ana@boreal.aero")), "{bo}");
    let invoice = t
        .runtime
        .store()
        .read(|c| {
            c.query_row(
                "SELECT data FROM items WHERE pk = 'invoice#L0001'",
                [],
                |r| r.get::<_, String>(0),
            )
        })
        .unwrap();
    let invoice: Value = serde_json::from_str(&invoice).unwrap();
    assert_eq!(invoice["total_minor"], 120000);
    assert_eq!(
        invoice["bill_to"]["email"],
        json!(k.pseudonym("ana@boreal.aero"))
    );
    assert!(t.runtime.store().verify_audit().is_ok());
    let audit = t.runtime.store().audit_records().unwrap();
    let erasures: Vec<_> = audit
        .iter()
        .filter(|r| r.entry.actor == "privacy")
        .collect();
    assert_eq!(erasures.len(), 6, "five records and the request");
    assert!(
        report
            .render()
            .contains("keeper: 2 deleted, 2 pseudonymised, 1 undeclared")
    );
}

#[test]
fn an_erasure_twice_finds_nothing_the_second_time() {
    let t = twin();
    let k = key();
    let subject = || Subject::new(Some("ana@boreal.aero"), None);
    t.runtime
        .erase_subject(subject(), &k, "dpo", "e-1")
        .unwrap();
    let again = t.runtime.privacy_findings(subject()).unwrap();
    assert!(
        again.items.is_empty() && again.events.is_empty(),
        "{:?}",
        again.items
    );
}

#[test]
fn an_erasure_requested_on_the_bus_is_done_before_it_is_acknowledged_and_keeps_no_address() {
    let t = twin();
    t.emit(
        "ascent.privacy",
        ascent_core::catalog::ErasureRequested {
            request_id: "dsr-1".into(),
            email: "ANA@boreal.aero".into(),
            phone: None,
            requested_by: "privacy-desk".into(),
        },
    );
    for row in every_row(&t) {
        assert!(
            !row.to_ascii_lowercase().contains("ana@boreal.aero"),
            "{row}"
        );
    }
    let audit = t.runtime.store().audit_records().unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.entry.action == "privacy.erasure" && r.entry.item == "dsr-1")
    );
}

#[test]
fn a_later_event_about_an_erased_person_cannot_recreate_their_data() {
    let t = twin();
    let k = t.runtime.privacy_key().clone();
    t.runtime
        .erase_subject(
            Subject::new(Some("ana@boreal.aero"), None),
            &k,
            "dpo",
            "e-1",
        )
        .unwrap();
    // A late form submission with her address: kept under her pseudonym only.
    t.emit(
        "ascent.crm",
        lead("L0003", "Ana@Boreal.aero", "A. L.", "+4930555555"),
    );
    for row in every_row(&t) {
        assert!(
            !row.to_ascii_lowercase().contains("ana@boreal.aero"),
            "{row}"
        );
    }
    let pseudonym = k.pseudonym("ana@boreal.aero");
    assert!(
        every_row(&t)
            .iter()
            .any(|r| r.contains(&format!("contact#{pseudonym}")))
    );
    // Someone else's event is kept as it came.
    assert_eq!(
        without_erased("write to bo@boreal.aero.", &k, &Default::default()),
        None
    );
}
