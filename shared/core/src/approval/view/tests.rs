//! The rows of a request as its readers see them: each figure once, formatted, in their zone.

use super::*;
use crate::approval::{ApprovalDraft, ApprovalPolicy, Decision};
use chrono::Duration;
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

/// The closing agent's discount request as it was before issue 27: the deal and the
/// discount amount in the facts as well as in the subject and amount.
fn discount() -> Approval {
    let facts = [
        ("Deal", Fact::from("D00042")),
        ("Account", "A00042".into()),
        ("Discount amount", Money::usd(1_060_000).into()),
        ("List subtotal", Money::usd(5_300_000).into()),
        ("Reason", "discount above the 15% threshold".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let draft = ApprovalDraft {
        kind: "discount".into(),
        subject: "D00042".into(),
        summary: "20% discount on deal D00042".into(),
        amount: Some(Money::usd(1_060_000)),
        requester: "rep@ascent-xr.example".into(),
        approver_role: "sales-director".into(),
        reason: "discount above the 15% threshold".into(),
        requester_reason: Some("multi-year commitment, competitor at 25% off".into()),
        customer: Some(Customer::new("A00042", Some("Boreal Aero"))),
        facts,
        ..Default::default()
    };
    ApprovalPolicy::default()
        .open("apr-1".into(), "closing", draft, Uuid::nil(), t0())
        .unwrap()
}

fn rows(a: &Approval, r: &Reader) -> Vec<(String, String)> {
    a.rows(r).into_iter().map(|r| (r.label, r.value)).collect()
}

#[test]
fn each_figure_once_with_the_customer_and_both_reasons() {
    let a = discount();
    let us = Reader::new("en-US", "America/Los_Angeles");
    let got = rows(&a, &us);
    let want: Vec<(String, String)> = [
        ("For", "D00042 (discount)"),
        ("Customer", "Boreal Aero (A00042)"),
        ("Requested by", "rep@ascent-xr.example"),
        (
            "Requester's reason",
            "multi-year commitment, competitor at 25% off",
        ),
        ("Why approval is needed", "discount above the 15% threshold"),
        ("Amount", "USD\u{a0}10,600.00"),
        ("List subtotal", "USD\u{a0}53,000.00"),
        (
            "Decide by",
            "Mar 4, 2026, 1:00 AM PST (America/Los_Angeles)",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want);
    let de = rows(&a, &Reader::new("de-DE", "Europe/Berlin"));
    assert!(de.contains(&("Amount".into(), "10.600,00\u{a0}USD".into())));
    assert!(de.contains(&(
        "Decide by".into(),
        "04.03.2026, 10:00 CET (Europe/Berlin)".into()
    )));
}

#[test]
fn closed_rows_say_who_when_and_the_comment() {
    let mut a = discount();
    let at = t0() + Duration::hours(3);
    a.decide(
        "sales.director@ascent-xr.example",
        0,
        Decision::Approve,
        Some("strategic logo".into()),
        at,
        Duration::hours(48),
    )
    .unwrap();
    let got = rows(&a, &Reader::new("en-GB", "Europe/London"));
    assert_eq!(
        got[got.len() - 3..],
        [
            (
                "Decided by".to_string(),
                "sales.director@ascent-xr.example".to_string()
            ),
            (
                "Decided on".into(),
                "2 Mar 2026, 12:00 GMT (Europe/London)".into()
            ),
            ("Comment".into(), "strategic logo".into()),
        ]
    );
    assert!(!got.iter().any(|(k, _)| k == "Decide by"));
    let expired = Closed {
        status: ApprovalStatus::Expired,
        decided_by: None,
        decided_at: Some(at),
        comment: None,
        reader: Reader::new("de-DE", "Europe/Berlin"),
    };
    assert_eq!(
        expired.sentence(),
        "This request expired on 02.03.2026, 13:00 CET (Europe/Berlin): nobody decided in time."
    );
    assert_eq!(expired.rows()[0].label, "Expired on");
    assert_eq!(
        expired.outcome(),
        "This request expired: nobody decided in time."
    );
    let closed = a.closed_for("cro@ascent-xr.example");
    assert_eq!(closed.to_string(), "approved");
    assert_eq!(closed.outcome(), "This request was approved.");
    assert_eq!(
        closed.sentence(),
        "This request was approved by sales.director@ascent-xr.example on Mar 2, 2026, \
         4:00 AM PST (America/Los_Angeles), with the comment “strategic logo”."
    );
}

/// A request opened before `requester_reason` and `customer` kept the requester's words
/// and the account as facts: they are still shown, once.
#[test]
fn an_older_request_keeps_its_facts_that_say_something_new() {
    let mut a = discount();
    a.draft.requester_reason = None;
    a.draft.customer = None;
    a.draft
        .facts
        .insert("Reason".into(), "customer was double-charged".into());
    let got = rows(&a, &Reader::default());
    let labels: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        labels,
        [
            "For",
            "Requested by",
            "Why approval is needed",
            "Amount",
            "Account",
            "List subtotal",
            "Reason",
            "Decide by"
        ]
    );
    assert!(got.contains(&("Reason".into(), "customer was double-charged".into())));
}

/// The readers are kept per person of the chain, without their addresses; a request
/// stored before them reads in US English and UTC, which its times name.
#[test]
fn readers_follow_the_chain_and_older_records_read_in_utc() {
    let a = discount();
    let json = serde_json::to_value(&a).unwrap();
    let us = serde_json::json!({"locale": "en-US", "time_zone": "America/Los_Angeles"});
    assert_eq!(a.chain.len(), 2);
    assert_eq!(json["readers"], serde_json::json!([us, us]));
    assert_eq!(
        a.reader_for("Sales.Director@ascent-xr.example ").time_zone,
        "America/Los_Angeles"
    );
    assert_eq!(a.reader_for("someone@else.example"), Reader::default());
    let mut older = json;
    older.as_object_mut().unwrap().remove("readers");
    let older: Approval = serde_json::from_value(older).unwrap();
    let deadline = rows(&older, &older.reader_for(older.approver()))
        .pop()
        .unwrap();
    assert_eq!(
        deadline,
        ("Decide by".into(), "Mar 4, 2026, 9:00 AM UTC (UTC)".into())
    );
}

#[test]
fn text_facts_read_as_before_and_amounts_as_money() {
    let json = r#"{"Credit":{"amount_minor":250000,"currency":"EUR"},"Deal":"D1","Paid":{"from":{"amount_minor":1000000,"currency":"USD"},"to":{"amount_minor":1600000,"currency":"USD"},"note":"return 2.12"}}"#;
    let facts: std::collections::BTreeMap<String, Fact> = serde_json::from_str(json).unwrap();
    assert_eq!(facts["Deal"], Fact::Text("D1".into()));
    assert_eq!(facts["Credit"], Fact::Money(Money::new(250_000, "EUR")));
    assert_eq!(serde_json::to_string(&facts).unwrap(), json);
    let de = Reader::new("de-DE", "UTC");
    assert_eq!(facts["Credit"].show(&de), "2.500,00\u{a0}EUR");
    let at: Fact = serde_json::from_str(r#"{"at":"2026-03-30T21:30:00Z"}"#).unwrap();
    assert_eq!(
        at,
        Fact::from(t0() + Duration::days(28) + Duration::minutes(750))
    );
    assert_eq!(
        at.show(&Reader::new("de-DE", "Europe/Berlin")),
        "30.03.2026, 23:30 CEST (Europe/Berlin)"
    );
    assert_eq!(
        facts["Paid"].show(&de),
        "10.000,00\u{a0}USD → 16.000,00\u{a0}USD (return 2.12)"
    );
}
