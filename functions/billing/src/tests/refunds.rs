//! Given/when/then tests of refunds under authority (issue 22): asked for, authorised within
//! `[billing] refund_approval_above_minor` (shipped 5,000.00) or approved above it by the
//! Finance Controller, made by the payments team in the processor; a refund made above the
//! amount without authority is raised.

use super::*;
use crate::refunds::{RefundRequest, RefundStatus, request_sk};
use ascent_core::approval::Decision;
use ascent_core::catalog::{PaymentRefunded, RefundRequested};

const CONTROLLER: &str = "finance.controller@ascent-xr.example";
const SUPPORT: &str = "sam.support@ascent-xr.example";

fn ask(id: &str, amount: i64) -> RefundRequested {
    RefundRequested {
        request_id: id.into(),
        invoice_id: "inv-D1".into(),
        amount: Money::usd(amount),
        reason: "headsets arrived late".into(),
        requested_by: SUPPORT.into(),
    }
}

fn refunded(id: &str, amount: i64) -> PaymentRefunded {
    PaymentRefunded {
        refund_id: id.into(),
        payment_id: "P1".into(),
        invoice_id: "inv-D1".into(),
        amount: Money::usd(amount),
        reason: "goodwill".into(),
        from_customer_credit: false,
    }
}

/// Given a 10,000.00 invoice (Oregon: no tax) paid in full.
fn paid() -> TestTwin {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    t.emit("ascent.payments", pay("P1", "inv-D1", 1_000_000));
    t
}

fn request(t: &TestTwin, id: &str) -> RefundRequest {
    serde_json::from_value(
        t.get(Domain::Financial, "invoice#inv-D1", &request_sk(id))
            .unwrap(),
    )
    .unwrap()
}

fn exceptions(t: &TestTwin) -> Vec<String> {
    payloads(t, "ExceptionRaised")
        .into_iter()
        .filter_map(|p| match p {
            Payload::ExceptionRaised(x) => Some(x.reason),
            _ => None,
        })
        .collect()
}

#[test]
fn a_refund_within_the_amount_is_authorised_and_the_payments_team_asked() {
    let t = paid();
    // When support asks for 500.00 back (not above 5,000.00), twice
    t.emit("ascent.crm", ask("RR-1", 50_000));
    t.emit("ascent.crm", ask("RR-1", 50_000));
    // Then it is authorised once, without an approval, and the payments team is asked
    assert!(payloads(&t, "ApprovalRequested").is_empty());
    let authorised = payloads(&t, "RefundAuthorised");
    assert_eq!(authorised.len(), 1);
    let mails = t.runtime.mails().unwrap();
    let ask_mail = mails
        .iter()
        .find(|m| m.to == "payments@ascent-xr.example")
        .expect("the payments team is asked");
    assert!(
        ask_mail
            .text
            .contains("Please refund 500.00 USD of invoice inv-D1")
    );
    assert!(ask_mail.text.contains("within Billing's limit"));
    // When the processor reports the refund made
    t.emit("ascent.payments", refunded("re_1", 50_000));
    // Then it fulfils the request, is booked with its credit note and raises nothing
    let r = request(&t, "RR-1");
    assert_eq!(
        (r.status, r.made_by.as_deref()),
        (RefundStatus::Made, Some("re_1"))
    );
    assert_eq!(payloads(&t, "CreditNoteIssued").len(), 1);
    assert!(exceptions(&t).is_empty());
}

#[test]
fn a_refund_above_the_amount_waits_for_the_controller_and_is_authorised_when_approved() {
    let t = paid();
    // When support asks for 6,000.00 back (above 5,000.00)
    t.emit("ascent.crm", ask("RR-2", 600_000));
    // Then an approval of kind refund for 6,000.00 goes to the Finance Controller, nothing is
    // authorised yet
    let Payload::ApprovalRequested(a) = payloads(&t, "ApprovalRequested").pop().unwrap() else {
        panic!()
    };
    assert_eq!(
        (a.kind.as_str(), a.amount.clone()),
        ("refund", Some(Money::usd(600_000)))
    );
    assert!(payloads(&t, "RefundAuthorised").is_empty());
    assert_eq!(request(&t, "RR-2").status, RefundStatus::AwaitingApproval);
    // When the controller approves
    t.decide_from_mail(CONTROLLER, Decision::Approve, None)
        .unwrap();
    // Then it is authorised under that approval, and the refund made raises nothing
    let Payload::RefundAuthorised(r) = payloads(&t, "RefundAuthorised").pop().unwrap() else {
        panic!()
    };
    assert!(r.approval_id.is_some());
    t.emit("ascent.payments", refunded("re_2", 600_000));
    assert_eq!(request(&t, "RR-2").status, RefundStatus::Made);
    assert!(exceptions(&t).is_empty());
}

#[test]
fn a_rejected_refund_is_not_authorised_and_the_requester_is_told() {
    let t = paid();
    t.emit("ascent.crm", ask("RR-3", 600_000));
    t.decide_from_mail(CONTROLLER, Decision::Reject, Some("not agreed"))
        .unwrap();
    assert!(payloads(&t, "RefundAuthorised").is_empty());
    assert_eq!(request(&t, "RR-3").status, RefundStatus::Refused);
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.to == SUPPORT && m.subject == "Refund on invoice inv-D1 not approved")
    );
}

/// Issue 22: refunds needed no approval at all, up to 100% of the invoice.
#[test]
fn a_refund_made_above_the_amount_without_authority_is_raised() {
    let t = paid();
    // When the processor reports 6,000.00 refunded that nobody authorised
    t.emit("ascent.payments", refunded("re_9", 600_000));
    // Then it is booked (it happened: 10,000.00 − 6,000.00 paid, a credit note of 6,000.00)
    assert_eq!(invoice(&t, "inv-D1").paid, Money::usd(400_000));
    assert_eq!(payloads(&t, "CreditNoteIssued").len(), 1);
    // and raised as made without the authorisation a refund above 5,000.00 needs
    assert_eq!(
        exceptions(&t),
        vec![
            "refund re_9 of 6000.00 USD on invoice inv-D1 was made without the authorisation a \
             refund above 5000.00 USD needs (finance-controller)"
                .to_string()
        ]
    );
    // A refund within the amount made without a request is not an exception
    t.emit("ascent.payments", refunded("re_10", 10_000));
    assert_eq!(exceptions(&t).len(), 1);
}

#[test]
fn a_refund_beyond_what_was_paid_is_refused_naming_the_amount() {
    let t = paid();
    t.emit("ascent.crm", ask("RR-4", 1_000_001));
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]
            .reason
            .contains("amount: refund RR-4 of 10000.01 USD exceeds what was paid"),
        "{}",
        dead[0].reason
    );
    assert!(payloads(&t, "RefundAuthorised").is_empty());
}
