//! A person's whole life through the twin, then their rights (GDPR arts. 15, 17, 20): Ana Lima
//! comes in as a lead, becomes a customer, is invoiced and pays, files a ticket and answers a
//! survey; she asks for her data (all of it is there, each record with its agent, purpose and
//! retention) and then to be forgotten (nothing names her afterwards, not even the database
//! file's bytes, but the invoice the law keeps, pseudonymised; the audit chain verifies; a late
//! event about her does not bring her back). Bo Berg, another lead, keeps everything.

use ascent_core::catalog::{
    CustomerSignedUp, DealClosedWon, DealLine, DealStage, DealStageChanged, ErasureRequested,
    LeadCreated, NpsResponse, Payload, PaymentReceived, TicketOpened,
};
use ascent_core::privacy::Subject;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::path::Path;

const ANA: &str = "ana.lima@boreal-aero.example";
const ANA_PHONE: &str = "+4930123456";
const BO: &str = "bo.berg@fjord-xr.example";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn lead(id: &str, email: &str, name: &str, phone: &str) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: email.into(),
        full_name: name.into(),
        company: "Boreal Aero".into(),
        company_size: 240,
        industry: "aerospace".into(),
        role: "Head of Training".into(),
        country: Some("DE".into()),
        channel: "web".into(),
        phone: Some(phone.into()),
        time_zone: Some("Europe/Berlin".into()),
    }
}

/// Ana's story up to the day she asks: lead, customer, invoice paid, a ticket, a survey.
fn anas_story(t: &TestTwin) {
    t.emit("ascent.crm", lead("L-ANA", ANA, "Ana Lima", ANA_PHONE));
    t.emit("ascent.crm", lead("L-BO", BO, "Bo Berg", "+4930999888"));
    t.emit(
        "ascent.platform",
        CustomerSignedUp {
            account_id: "B1".into(),
            company: "Boreal Aero".into(),
            plan: "team".into(),
            seats: 5,
            tax_region: "US-OR".into(),
            billing_email: ANA.into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    t.emit(
        "ascent.crm",
        DealStageChanged {
            deal_id: "D-B1".into(),
            account_id: "B1".into(),
            owner: "ava.rep@ascent-xr.example".into(),
            from_stage: Some(DealStage::Negotiation),
            to_stage: DealStage::Proposal,
            lines: vec![DealLine {
                sku: "XR-STUDIO-SEAT".into(),
                quantity: 5,
            }],
            requested_discount_pct: 0.0,
            currency: "USD".into(),
            amount: None,
            expected_close: None,
            account_name: None,
            discount_reason: None,
        },
    );
    let proposal = t
        .emitted("ProposalSent")
        .iter()
        .find_map(|e| match e.payload() {
            Payload::ProposalSent(p) if p.deal_id == "D-B1" => Some(p.clone()),
            _ => None,
        })
        .expect("the proposal went out");
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D-B1".into(),
            account_id: "B1".into(),
            owner: "ava.rep@ascent-xr.example".into(),
            amount: proposal.total,
            proposal_id: Some(proposal.proposal_id.clone()),
            reason: None,
            lead_id: Some("L-ANA".into()),
        },
    );
    let invoice = t
        .emitted("InvoiceIssued")
        .iter()
        .find_map(|e| match e.payload() {
            Payload::InvoiceIssued(i) if i.account_id == "B1" => Some(i.clone()),
            _ => None,
        })
        .expect("the invoice went out");
    t.emit(
        "ascent.payments",
        PaymentReceived {
            payment_id: "P-B1".into(),
            invoice_id: invoice.invoice_id.clone(),
            amount: invoice.total,
            received_at: t.now(),
            method: "card".into(),
        },
    );
    t.emit(
        "ascent.support",
        TicketOpened {
            ticket_id: "T-ANA-1".into(),
            account_id: "B1".into(),
            subject: "Headset will not pair".into(),
            body: format!("Hi, Ana Lima here. Call me on {ANA_PHONE} or write to {ANA}."),
            channel: "email".into(),
            requester: Some(ANA.into()),
            created_at: None,
        },
    );
    t.emit(
        "ascent.surveys",
        NpsResponse {
            account_id: "B1".into(),
            respondent: ANA.into(),
            score: 9,
            comment: Some("Ana: great onboarding".into()),
        },
    );
}

/// Every file of the twin's folder whose bytes hold `needle` (any case).
fn files_holding(folder: &Path, needle: &str) -> Vec<String> {
    let needle = needle.to_ascii_lowercase();
    let mut out = Vec::new();
    for entry in walk(folder) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        let lower = bytes.to_ascii_lowercase();
        if lower.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            out.push(entry.display().to_string());
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_customer_exports_her_data_then_is_forgotten_but_for_what_the_law_keeps() {
    let folder = tempfile::tempdir().unwrap();
    let t = TestTwin::in_folder(
        ascent::agents::all(),
        at("2026-03-02T09:00:00Z"),
        folder.path(),
    );
    anas_story(&t);

    // Export: every agent that keeps something about her, each record with why and how long.
    let found = t
        .runtime
        .privacy_findings(Subject::new(Some(ANA), None))
        .unwrap();
    let undeclared: Vec<String> = found
        .undeclared()
        .map(|i| format!("{}: {}/{}", i.domain.as_str(), i.pk, i.sk))
        .collect();
    assert!(
        undeclared.is_empty(),
        "records about her under prefixes that declare no personal data: {undeclared:#?}"
    );
    let export = found.export(t.now());
    let agents: std::collections::BTreeSet<&str> =
        export.records.iter().map(|r| r.agent.as_str()).collect();
    for agent in ["lead-generation", "billing", "support"] {
        assert!(agents.contains(agent), "{agent} missing from {agents:?}");
    }
    assert!(
        export
            .records
            .iter()
            .all(|r| !r.purpose.is_empty() && r.retention.is_some())
    );
    assert!(!export.events.is_empty());
    assert!(!files_holding(folder.path(), ANA).is_empty());

    // Erasure, asked on the bus by the privacy desk.
    t.emit(
        "ascent.privacy",
        ErasureRequested {
            request_id: "dsr-0042".into(),
            email: ANA.into(),
            phone: None,
            requested_by: "privacy-desk".into(),
        },
    );
    for needle in [ANA, ANA_PHONE, "Ana Lima"] {
        let left = files_holding(folder.path(), needle);
        assert!(left.is_empty(), "{needle} still in {left:?}");
    }
    assert!(
        !files_holding(folder.path(), BO).is_empty(),
        "Bo is not erased"
    );
    t.runtime
        .store()
        .verify_audit()
        .expect("the audit chain verifies");
    // The invoice the law keeps is there, without her.
    let kept = t
        .runtime
        .privacy_findings(Subject::new(Some("inv-D-B1"), None))
        .unwrap();
    assert!(
        kept.items
            .iter()
            .any(|i| i.pk.contains("inv-D-B1") || i.sk.contains("inv-D-B1")),
        "the invoice is kept"
    );

    // A late ticket from her address does not bring her back.
    t.emit(
        "ascent.support",
        TicketOpened {
            ticket_id: "T-ANA-2".into(),
            account_id: "B1".into(),
            subject: "One more thing".into(),
            body: format!("Write to {ANA}"),
            channel: "email".into(),
            requester: Some(ANA.into()),
            created_at: None,
        },
    );
    t.runtime
        .store()
        .read(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);"))
        .unwrap();
    assert!(files_holding(folder.path(), ANA).is_empty());
}
