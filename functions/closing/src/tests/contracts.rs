//! Contracts: standard terms at once, deviations through Legal, acceptance in time.

use super::*;

fn terms(payment_days: u32, clauses: &[&str]) -> ContractTerms {
    ContractTerms {
        payment_terms_days: payment_days,
        term_months: 24,
        auto_renew: true,
        liability_cap_multiple: 1.0,
        governing_law: "US-DE".into(),
        custom_clauses: clauses.iter().map(|c| c.to_string()).collect(),
    }
}

fn accept(t: &TestTwin, terms: ContractTerms) {
    let p = &sent(t)[0];
    t.emit(
        "ascent.crm",
        ProposalAccepted {
            proposal_id: p.proposal_id.clone(),
            deal_id: p.deal_id.clone(),
            accepted_by: "cfo@boreal.aero".into(),
            terms,
        },
    );
}

fn contracts(t: &TestTwin) -> Vec<ContractIssued> {
    t.emitted("ContractIssued")
        .iter()
        .map(|e| match e.payload() {
            Payload::ContractIssued(c) => c.clone(),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn standard_terms_are_contracted_at_once() {
    let t = twin();
    t.emit("ascent.crm", deal("D1", 10.0));
    accept(&t, terms(30, &[]));
    accept(&t, terms(30, &[])); // signed twice: one contract
    let c = contracts(&t);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].total, Money::usd(4_770_000));
    assert!(c[0].deviations.is_empty());
    assert!(t.runtime.status().unwrap().pending_approvals.is_empty());
}

#[test]
fn non_standard_terms_wait_for_legal() {
    let t = twin();
    t.emit("ascent.crm", deal("D1", 10.0));
    accept(&t, terms(60, &["Source code escrow"]));
    assert!(contracts(&t).is_empty());
    let pending = t.runtime.status().unwrap().pending_approvals;
    assert_eq!(pending[0].approver, "legal.counsel@ascent-xr.example");
    t.decide_from_mail("legal.counsel@ascent-xr.example", Decision::Approve, None)
        .unwrap();
    let c = contracts(&t);
    assert_eq!(
        c[0].deviations,
        [
            "payment terms 60 days (standard at most 45)",
            "custom clause: Source code escrow"
        ]
    );
    assert!(c[0].legal_approval_id.is_some());
}

#[test]
fn legal_rejection_tells_the_owner_and_issues_nothing() {
    let t = twin();
    t.emit("ascent.crm", deal("D1", 10.0));
    accept(&t, terms(90, &[]));
    t.decide_from_mail(
        "legal.counsel@ascent-xr.example",
        Decision::Reject,
        Some("net 90 is off the table"),
    )
    .unwrap();
    assert!(contracts(&t).is_empty());
    let c: Contract =
        serde_json::from_value(t.get(Domain::Customer, "deal#D1", "contract").unwrap()).unwrap();
    assert_eq!(c.status, ContractStatus::RejectedByLegal);
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.subject == "Contract terms for deal D1 not approved"
                && m.text.contains("net 90 is off the table"))
    );
}

#[test]
fn accepting_an_unknown_or_expired_proposal_is_refused() {
    let t = twin();
    t.emit("ascent.crm", deal("D1", 10.0));
    t.emit(
        "ascent.crm",
        ProposalAccepted {
            proposal_id: "prop-forged".into(),
            deal_id: "D1".into(),
            accepted_by: "cfo@boreal.aero".into(),
            terms: terms(30, &[]),
        },
    );
    t.clock.advance(chrono::Duration::days(31));
    accept(&t, terms(30, &[]));
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 2);
    assert!(dead[0].reason.contains("is not the one sent"));
    assert!(dead[1].reason.contains("expired on"));
}

#[test]
fn an_acceptance_within_validity_delivered_after_it_still_counts() {
    // Given a proposal valid until 04-01, accepted on 03-31
    let t = twin();
    t.emit("ascent.crm", deal("D1", 10.0));
    let p = sent(&t)[0].clone();
    // When the acceptance is delivered on 04-03
    t.clock.set("2026-04-03T09:00:00Z".parse().unwrap());
    deliver(
        &t,
        "2026-03-31T16:00:00Z".parse().unwrap(),
        ProposalAccepted {
            proposal_id: p.proposal_id,
            deal_id: p.deal_id,
            accepted_by: "cfo@boreal.aero".into(),
            terms: terms(30, &[]),
        },
    );
    // Then the contract is issued: the prospect accepted in time
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    assert_eq!(t.emitted("ContractIssued").len(), 1);
}
