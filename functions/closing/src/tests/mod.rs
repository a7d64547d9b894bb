//! Closing tests, driven through an in-memory twin: the shared fixtures here, the cases by
//! topic in the submodules.

use super::*;
use ascent_core::approval::Decision;
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, ContractIssued, ContractTerms, DealLine, DealStageChanged,
    ObjectionLogged, ProposalAccepted, ProposalSent,
};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::Arc;

mod contracts;
mod privacy;
mod proposals;
mod win_loss;

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn twin() -> TestTwin {
    TestTwin::new(vec![Arc::new(Closing::default())], t0())
}

fn deal(id: &str, discount: f64) -> DealStageChanged {
    DealStageChanged {
        deal_id: id.into(),
        account_id: "acct-1".into(),
        owner: "rep@ascent-xr.example".into(),
        from_stage: Some(DealStage::Demo),
        to_stage: DealStage::Proposal,
        lines: vec![
            DealLine {
                sku: "XR-STUDIO-SEAT".into(),
                quantity: 50,
            },
            DealLine {
                sku: "ONBOARDING".into(),
                quantity: 1,
            },
        ],
        requested_discount_pct: discount,
        currency: "USD".into(),
        amount: None,
        expected_close: None,
        account_name: None,
        discount_reason: None,
    }
}

fn sent(t: &TestTwin) -> Vec<ProposalSent> {
    t.emitted("ProposalSent")
        .iter()
        .map(|e| match e.payload() {
            Payload::ProposalSent(p) => p.clone(),
            _ => unreachable!(),
        })
        .collect()
}

/// Approves or rejects through the twin's approval desk, using the emailed link.
fn decide(t: &TestTwin, decision: Decision) {
    t.decide_from_mail("sales.director@ascent-xr.example", decision, None)
        .unwrap();
}

/// Ingests `payload` as an event that happened at `time` and drains (a late delivery
/// when `time` is before the twin's clock).
fn deliver<P: ascent_core::catalog::EventPayload>(t: &TestTwin, time: DateTime<Utc>, payload: P) {
    let e = Event::new(
        "ascent.crm",
        ascent_core::event::Actor::system("ascent.crm"),
        time,
        payload,
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
}
