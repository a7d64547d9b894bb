//! The personal data the declaration names is the data the agent really writes: a deal's
//! proposal, its contract, an objection and its outcome go through the twin, and every record
//! under a prefix is checked against its declaration (a renamed field, or a new field holding
//! an address or phone number, fails here).

use super::*;
use ascent_core::privacy::declared;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    t.emit("ascent.crm", deal("D1", 10.0));
    let p = &sent(&t)[0];
    t.emit(
        "ascent.crm",
        ProposalAccepted {
            proposal_id: p.proposal_id.clone(),
            deal_id: p.deal_id.clone(),
            accepted_by: "cfo@boreal.aero".into(),
            terms: ContractTerms {
                payment_terms_days: 30,
                term_months: 24,
                auto_renew: true,
                liability_cap_multiple: 1.0,
                governing_law: "US-DE".into(),
                custom_clauses: vec![],
            },
        },
    );
    t.emit(
        "ascent.crm",
        ObjectionLogged {
            objection_id: "O1".into(),
            deal_id: "D1".into(),
            category: "price".into(),
            note: "Their CFO finds it expensive".into(),
            logged_by: "rep@ascent-xr.example".into(),
        },
    );
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D1".into(),
            account_id: "acct-1".into(),
            owner: "rep@ascent-xr.example".into(),
            amount: Money::usd(4_770_000),
            proposal_id: None,
            reason: Some("product fit, said Ana".into()),
            lead_id: None,
        },
    );
    let records = t.query(Domain::Customer, "deal#D1");
    assert_eq!(
        records.len(),
        4,
        "contract, objection, outcome, proposal: {records:#?}"
    );
    check("deal#", &records);
    check_none(
        "win-loss#",
        &t.query(Domain::Performance, "win-loss#2026-Q1"),
    );
    assert_eq!(personal_prefixes(), ["deal#"]);
}

// ---- the declaration's checks (`ascent_core::privacy::declared`)

fn check(prefix: &str, records: &[Value]) {
    declared::check_records(&declaration(), prefix, records)
}

fn check_none(prefix: &str, records: &[Value]) {
    declared::check_no_personal_data(&declaration(), prefix, records)
}

fn personal_prefixes() -> Vec<&'static str> {
    declared::personal_prefixes(&declaration())
}
