//! Win/loss: outcomes with normalised reasons and objections, tallied per quarter.

use super::*;

#[test]
fn a_deal_won_in_march_and_delivered_in_april_counts_in_the_first_quarter() {
    // Given a deal won on 03-31, delivered on 04-02
    let t = twin();
    t.clock.set("2026-04-02T09:00:00Z".parse().unwrap());
    deliver(
        &t,
        "2026-03-31T17:00:00Z".parse().unwrap(),
        DealClosedWon {
            deal_id: "D9".into(),
            account_id: "A9".into(),
            owner: "rep@ascent-xr.example".into(),
            amount: Money::usd(100_000),
            proposal_id: None,
            reason: Some("product fit".into()),
            lead_id: None,
        },
    );
    // Then it is tallied in 2026-Q1
    assert!(
        t.get(Domain::Performance, "win-loss#2026-Q2", "tally")
            .is_none()
    );
    assert!(
        t.get(Domain::Performance, "win-loss#2026-Q1", "tally")
            .is_some()
    );
}

#[test]
fn outcomes_record_reasons_and_objections_per_quarter() {
    let t = twin();
    let objection = |id: &str, deal: &str, category: &str| ObjectionLogged {
        objection_id: id.into(),
        deal_id: deal.into(),
        category: category.into(),
        note: "…".into(),
        logged_by: "rep@ascent-xr.example".into(),
    };
    t.emit("ascent.crm", objection("O1", "D1", "price"));
    t.emit("ascent.crm", objection("O2", "D1", "security"));
    t.emit("ascent.crm", objection("O3", "D2", "price"));
    let lost = |deal: &str, reason: &str| DealClosedLost {
        deal_id: deal.into(),
        account_id: "A1".into(),
        owner: "rep@ascent-xr.example".into(),
        reason: reason.into(),
        lead_id: None,
    };
    t.emit(
        "ascent.crm",
        lost("D1", "Price: went with cheaper headsets"),
    );
    t.emit("ascent.crm", lost("D1", "price")); // reported twice
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D2".into(),
            account_id: "A2".into(),
            owner: "rep@ascent-xr.example".into(),
            amount: Money::usd(100_000),
            proposal_id: None,
            reason: Some("product fit".into()),
            lead_id: None,
        },
    );
    t.emit("ascent.crm", lost("D3", "CEO left"));
    let tally: WinLossTally = serde_json::from_value(
        t.get(Domain::Performance, "win-loss#2026-Q1", "tally")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(tally.lost["price"], 1);
    assert_eq!(tally.lost["other"], 1);
    assert_eq!(tally.won["product_fit"], 1);
    assert_eq!(tally.objections_in_lost["security"], 1);
    assert_eq!(tally.objections_in_won["price"], 1);
    let o: DealOutcome =
        serde_json::from_value(t.get(Domain::Customer, "deal#D1", "outcome").unwrap()).unwrap();
    assert_eq!(o.objections, ["price", "security"]);
    assert_eq!(
        o.reason_text.as_deref(),
        Some("Price: went with cheaper headsets")
    );
}
