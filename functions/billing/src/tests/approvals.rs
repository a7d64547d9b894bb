//! Given/when/then tests of credit notes above `[billing] credit_approval_above_minor` waiting
//! for the Finance Controller's approval (issue 22).

use super::*;
use ascent_core::approval::Decision;

const CONTROLLER: &str = "finance.controller@ascent-xr.example";

/// Given a 40,000.00 invoice (Oregon: no tax) and a credit of 30,000.00 asked for, above the
/// shipped 25,000.00: an approval of kind credit_note for 30,000.00 is opened for the
/// finance-controller role and nothing is credited yet.
fn asked() -> TestTwin {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 4_000_000, None));
    t.emit("ascent.crm", credit("CR-1", "inv-D1", 3_000_000));
    t.emit("ascent.crm", credit("CR-1", "inv-D1", 3_000_000)); // asked twice: one approval
    let requested = payloads(&t, "ApprovalRequested");
    assert_eq!(requested.len(), 1);
    let Payload::ApprovalRequested(r) = &requested[0] else {
        panic!()
    };
    assert_eq!(r.kind, "credit_note");
    assert_eq!(r.amount, Some(Money::usd(3_000_000)));
    assert!(payloads(&t, "CreditNoteIssued").is_empty());
    assert_eq!(invoice(&t, "inv-D1").outstanding(), Money::usd(4_000_000));
    t
}

/// Issue 22: a credit note of any size took effect on request.
#[test]
fn a_credit_above_the_amount_waits_and_is_issued_when_approved() {
    let t = asked();
    // When the Finance Controller approves
    t.decide_from_mail(CONTROLLER, Decision::Approve, None)
        .unwrap();
    // Then the credit note is issued: 40,000.00 − 30,000.00 = 10,000.00 still owed
    assert_eq!(payloads(&t, "CreditNoteIssued").len(), 1);
    assert_eq!(invoice(&t, "inv-D1").outstanding(), Money::usd(1_000_000));
}

#[test]
fn a_rejected_credit_changes_nothing() {
    let t = asked();
    t.decide_from_mail(CONTROLLER, Decision::Reject, Some("not agreed"))
        .unwrap();
    assert!(payloads(&t, "CreditNoteIssued").is_empty());
    assert_eq!(invoice(&t, "inv-D1").outstanding(), Money::usd(4_000_000));
}

#[test]
fn a_credit_at_the_amount_takes_effect_at_once() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 4_000_000, None));
    // 25,000.00 is not above 25,000.00: issued without approval, 15,000.00 left
    t.emit("ascent.crm", credit("CR-1", "inv-D1", 2_500_000));
    assert!(payloads(&t, "ApprovalRequested").is_empty());
    assert_eq!(invoice(&t, "inv-D1").outstanding(), Money::usd(1_500_000));
}
