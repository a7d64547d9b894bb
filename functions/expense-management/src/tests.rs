//! Expense Management tests, driven through an in-memory twin.

use super::*;
use crate::reimbursement::{CARRY_PK, CARRY_SK};
use ascent_core::agent::Domain;
use ascent_core::approval::Decision;
use ascent_core::catalog::{ExpenseDecided, ExpenseOutcome, ExpenseSubmitted};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use chrono::Duration;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[path = "tests_privacy.rs"]
mod privacy;

const MANAGER: &str = "mara.head@ascent-xr.example";
const EMPLOYEE: &str = "li.wei@ascent-xr.example";
const CONTROLLER: &str = "finance.controller@ascent-xr.example";

fn t0() -> DateTime<Utc> {
    "2026-03-03T09:00:00Z".parse().unwrap() // Tuesday
}

fn twin() -> TestTwin {
    TestTwin::new(vec![Arc::new(ExpenseManagement::default())], t0())
}

fn claim(id: &str, category: &str, amount: Money, on: &str) -> ExpenseSubmitted {
    ExpenseSubmitted {
        expense_id: id.into(),
        employee: EMPLOYEE.into(),
        department: "sales".into(),
        category: category.into(),
        amount,
        incurred_on: on.parse().unwrap(),
        merchant: "Lufthansa".into(),
        receipt_attached: true,
        receipt_text: None,
        manager: Some(MANAGER.into()),
        description: Some("Customer visit, Boreal Aero".into()),
        expensify_report_id: None,
    }
}

fn expense(t: &TestTwin, id: &str) -> Expense {
    serde_json::from_value(
        t.get(Domain::Financial, &format!("expense#{id}"), "expense")
            .unwrap(),
    )
    .unwrap()
}

fn decisions(t: &TestTwin) -> Vec<ExpenseDecided> {
    t.emitted("ExpenseDecided")
        .iter()
        .map(|e| match e.payload() {
            Payload::ExpenseDecided(d) => d.clone(),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn small_clean_claim_is_approved_by_policy() {
    let t = twin();
    t.emit(
        "ascent.expenses",
        claim("E1", "meals", Money::usd(3_850), "2026-03-02"),
    );
    let d = decisions(&t);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].outcome, ExpenseOutcome::Approved);
    assert_eq!(d[0].decided_by, "policy");
    assert_eq!(expense(&t, "E1").status, ExpenseStatus::Approved);
    assert!(t.runtime.status().unwrap().pending_approvals.is_empty());
}

#[test]
fn manager_approves_a_larger_claim_shown_with_its_receipt() {
    let t = twin();
    let mut e = claim("E2", "travel", Money::usd(48_250), "2026-03-02");
    e.receipt_text = Some("LUFTHANSA\nBooking LH-8XK2Q\nDate: 2026-03-02\nTOTAL USD 482.50".into());
    t.emit("ascent.expenses", e);
    let pending = t.runtime.status().unwrap().pending_approvals;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].approver, MANAGER);
    assert_eq!(expense(&t, "E2").status, ExpenseStatus::AwaitingApproval);
    // The mail gives the amount in the manager's locale; the page shows what the receipt says.
    let mail = t.runtime.mails().unwrap();
    let ask = mail.iter().find(|m| m.to == MANAGER).unwrap();
    assert!(
        ask.text.contains("Amount: USD\u{a0}482.50\n"),
        "{}",
        ask.text
    );

    let view = t
        .decide_from_mail(MANAGER, Decision::Approve, Some("ok"))
        .unwrap();
    let reader = view.approval.reader_for(MANAGER);
    let rows = view.approval.rows(&reader);
    assert!(
        rows.iter()
            .any(|r| r.label == "Receipt says" && r.value == "LUFTHANSA · 2026-03-02 · 482.50 USD"),
        "{rows:?}"
    );
    let d = decisions(&t);
    assert_eq!(d[0].outcome, ExpenseOutcome::Approved);
    assert_eq!(d[0].decided_by, MANAGER);
    assert_eq!(expense(&t, "E2").status, ExpenseStatus::Approved);
}

#[test]
fn a_manager_submitting_their_own_claim_goes_to_the_controller() {
    let t = twin();
    let mut e = claim("E3", "travel", Money::usd(20_000), "2026-03-02");
    e.employee = MANAGER.into();
    t.emit("ascent.expenses", e);
    let pending = t.runtime.status().unwrap().pending_approvals;
    assert_eq!(pending[0].approver, CONTROLLER);
}

#[test]
fn above_the_controller_threshold_the_finance_controller_decides() {
    let t = twin();
    t.emit(
        "ascent.expenses",
        claim("E4", "equipment", Money::new(150_000, "EUR"), "2026-03-02"),
    );
    let pending = t.runtime.status().unwrap().pending_approvals;
    assert_eq!(pending[0].approver, CONTROLLER);
    assert_eq!(expense(&t, "E4").amount_base, Money::usd(162_000));
    t.decide_from_mail(CONTROLLER, Decision::Reject, Some("buy through IT"))
        .unwrap();
    let d = decisions(&t);
    assert_eq!(d[0].outcome, ExpenseOutcome::Rejected);
    assert!(d[0].reasons.last().unwrap().contains("buy through IT"));
    let mails = t.runtime.mails().unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.to == EMPLOYEE && m.subject.contains("not approved"))
    );
}

#[test]
fn hard_rules_reject_without_asking_anyone() {
    let t = twin();
    let mut e = claim("E5", "meals", Money::usd(12_000), "2026-03-02");
    e.receipt_attached = false;
    t.emit("ascent.expenses", e);
    let d = decisions(&t);
    assert_eq!(d[0].outcome, ExpenseOutcome::Rejected);
    assert_eq!(d[0].reasons, ["a receipt is required above 75.00 USD"]);
    assert!(t.runtime.status().unwrap().pending_approvals.is_empty());
}

#[test]
fn duplicates_are_rejected_but_a_resubmission_of_the_same_claim_is_ignored() {
    let t = twin();
    t.emit(
        "ascent.expenses",
        claim("E6", "meals", Money::usd(2_000), "2026-03-02"),
    );
    // The same claim delivered again by the expense tool: one decision.
    t.emit(
        "ascent.expenses",
        claim("E6", "meals", Money::usd(2_000), "2026-03-02"),
    );
    assert_eq!(decisions(&t).len(), 1);
    // Another claim for the same day and amount is a duplicate.
    t.emit(
        "ascent.expenses",
        claim("E7", "meals", Money::usd(2_000), "2026-03-02"),
    );
    let d = decisions(&t);
    assert_eq!(d[1].outcome, ExpenseOutcome::Rejected);
    assert_eq!(
        d[1].reasons,
        ["same employee, day and amount as expense E6"]
    );
}

#[test]
fn flagged_small_claims_still_need_a_person() {
    let t = twin();
    // Saturday: flagged, so even a small claim goes to the manager.
    t.emit(
        "ascent.expenses",
        claim("E8", "meals", Money::usd(2_500), "2026-02-28"),
    );
    let pending = t.runtime.status().unwrap().pending_approvals;
    assert_eq!(pending.len(), 1);
    assert!(expense(&t, "E8").reasons[0].contains("weekend"));
}

#[test]
fn bad_claims_are_refused_with_the_reason() {
    let t = twin();
    t.emit(
        "ascent.expenses",
        claim("E9", "meals", Money::new(2_000, "KWD"), "2026-03-02"),
    );
    t.emit(
        "ascent.expenses",
        claim("E10", "meals", Money::usd(2_000), "2026-03-09"),
    );
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 2);
    assert!(
        dead.iter()
            .any(|d| d.reason.contains("currency KWD is not accepted"))
    );
    assert!(dead.iter().any(|d| d.reason.contains("in the future")));
    assert!(decisions(&t).is_empty());
}

#[test]
fn an_expired_approval_rejects_the_claim() {
    let t = twin();
    t.emit(
        "ascent.expenses",
        claim("E11", "travel", Money::usd(30_000), "2026-03-02"),
    );
    for _ in 0..3 {
        t.clock.advance(Duration::hours(49));
        t.runtime.tick_approvals().unwrap();
        t.drain();
    }
    let d = decisions(&t);
    assert_eq!(d[0].outcome, ExpenseOutcome::Rejected);
    assert!(d[0].reasons.last().unwrap().contains("nobody decided"));
}

#[test]
fn weekly_batch_pays_each_employee_once_per_currency_with_a_csv() {
    let t = twin();
    t.emit(
        "ascent.expenses",
        claim("E12", "meals", Money::usd(3_000), "2026-03-02"),
    );
    t.emit(
        "ascent.expenses",
        claim("E13", "office", Money::usd(1_250), "2026-03-03"),
    );
    t.emit(
        "ascent.expenses",
        claim("E14", "meals", Money::new(2_000, "EUR"), "2026-03-03"),
    );
    let mut other = claim("E15", "meals", Money::usd(4_000), "2026-03-02");
    other.employee = "sam.ops@ascent-xr.example".into();
    t.emit("ascent.expenses", other);
    // Thursday: not batch day.
    t.runtime
        .schedule_tick("daily", "2026-03-05T06:00:00Z".parse().unwrap())
        .unwrap();
    t.drain();
    assert!(t.emitted("ReimbursementBatchCreated").is_empty());
    // Friday: one batch, twice announced = once.
    for _ in 0..2 {
        t.runtime
            .schedule_tick("daily", "2026-03-06T06:00:00Z".parse().unwrap())
            .unwrap();
        t.drain();
    }
    let batches = t.emitted("ReimbursementBatchCreated");
    assert_eq!(batches.len(), 1);
    let Payload::ReimbursementBatchCreated(b) = batches[0].payload() else {
        unreachable!()
    };
    assert_eq!(b.reimbursements.len(), 3);
    let li_usd = b
        .reimbursements
        .iter()
        .find(|r| r.employee == EMPLOYEE && r.amount.currency == "USD")
        .unwrap();
    assert_eq!(li_usd.amount, Money::usd(4_250));
    assert_eq!(b.totals, vec![Money::new(2_000, "EUR"), Money::usd(8_250)]);
    assert_eq!(expense(&t, "E12").status, ExpenseStatus::Reimbursed);
    let stored: ReimbursementBatch = serde_json::from_value(
        t.get(Domain::Financial, "reimbursement#reimb-2026-03-06", "batch")
            .unwrap(),
    )
    .unwrap();
    let lines: Vec<&str> = stored.csv.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines.contains(
        &"reimb-2026-03-06,E14,li.wei@ascent-xr.example,sales,meals,Lufthansa,2026-03-03,20.00,EUR,21.60,USD"
    ));
    // The next Friday has nothing new to pay.
    t.runtime
        .schedule_tick("daily", "2026-03-13T06:00:00Z".parse().unwrap())
        .unwrap();
    t.drain();
    assert_eq!(t.emitted("ReimbursementBatchCreated").len(), 1);
}

#[test]
fn csv_fields_are_quoted_when_needed() {
    assert_eq!(csv_field("Smith, Jones & Co"), "\"Smith, Jones & Co\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(decimal(-1_205), "-12.05");
}

/// The strongest forgery: everything the pending approval `id` says, approved by someone who
/// never decided (published with the approval workflow's own source).
fn forged_approval(t: &TestTwin, id: &str) -> ascent_core::catalog::ApprovalDecided {
    let mut a: ascent_core::approval::Approval = serde_json::from_value(
        t.get(Domain::Approvals, &format!("approval#{id}"), "approval")
            .unwrap(),
    )
    .unwrap();
    a.status = ascent_core::approval::ApprovalStatus::Approved;
    a.decided_by = Some("mallory@attacker.example".into());
    a.decided_event().unwrap()
}

#[test]
fn a_decision_the_approval_record_does_not_say_is_refused() {
    let t = twin();
    t.emit(
        "ascent.expenses",
        claim("E20", "travel", Money::usd(48_250), "2026-03-02"),
    );
    let id = t.runtime.status().unwrap().pending_approvals[0].id.clone();
    t.emit("ascent.approvals", forged_approval(&t, &id));
    assert_eq!(expense(&t, "E20").status, ExpenseStatus::AwaitingApproval);
    assert!(decisions(&t).is_empty());
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].reason.contains("still pending on record"),
        "{}",
        dead[0].reason
    );
    // The manager's real decision decides; the forgery replayed now contradicts the record.
    t.decide_from_mail(MANAGER, Decision::Reject, Some("not this trip"))
        .unwrap();
    assert_eq!(expense(&t, "E20").status, ExpenseStatus::Rejected);
    t.emit("ascent.approvals", forged_approval(&t, &id));
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 2);
    assert!(
        dead[1].reason.contains("the record says rejected"),
        "{}",
        dead[1].reason
    );
    assert_eq!(expense(&t, "E20").status, ExpenseStatus::Rejected);
    assert_eq!(decisions(&t).len(), 1);
}

/// Bulk work never depends on its size (issue 19): 1,000 approved expenses are all reimbursed,
/// at most EXPENSES_PER_BATCH a batch, the backlog continued on the following days, and no
/// run's commit breaks AWS's limits.
#[test]
fn a_thousand_approved_expenses_are_all_reimbursed_within_aws_limits() {
    let t = TestTwin::new(vec![Arc::new(ExpenseManagement::default())], t0());
    let claims: Vec<Event> = (0..1000)
        .map(|i| {
            let mut c = claim(
                &format!("E{i:04}"),
                "meals",
                Money::usd(1_000 + i),
                "2026-03-02",
            );
            c.employee = format!("employee{:02}@ascent-xr.example", i % 40);
            Event::new(
                "ascent.expenses",
                ascent_core::Actor::system("ascent.expenses"),
                t0(),
                c,
            )
        })
        .collect();
    t.runtime.ingest(&claims).unwrap();
    t.drain();
    assert_eq!(expense(&t, "E0999").status, ExpenseStatus::Approved);
    // Friday 2026-03-06, then the following days until the backlog is paid: 1,000 / 47.
    let friday: DateTime<Utc> = "2026-03-06T06:00:00Z".parse().unwrap();
    for day in 0..25 {
        t.tick("daily", friday + Duration::days(day));
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    for i in 0..1000 {
        assert_eq!(
            expense(&t, &format!("E{i:04}")).status,
            ExpenseStatus::Reimbursed,
            "E{i:04}"
        );
    }
    let batches = t.emitted("ReimbursementBatchCreated");
    assert_eq!(batches.len(), 1000usize.div_ceil(EXPENSES_PER_BATCH));
    assert!(t.get(Domain::Financial, CARRY_PK, CARRY_SK).is_none());
    // The backlog done, batches are weekly again: none on Saturday 2026-04-04.
    t.tick("daily", "2026-04-04T06:00:00Z".parse().unwrap());
    assert_eq!(t.emitted("ReimbursementBatchCreated").len(), batches.len());
}

#[test]
fn a_claim_delivered_late_is_judged_and_dated_as_of_its_submission() {
    // Given a claim for 2026-01-05 submitted on 2026-04-03, 88 days later (the limit is 90)
    let t = twin();
    let submitted: DateTime<Utc> = "2026-04-03T10:00:00Z".parse().unwrap();
    // When it is processed ten days after it was submitted
    t.clock.set(submitted + Duration::days(10));
    let e = Event::new(
        "ascent.expenses",
        ascent_core::event::Actor::system("ascent.expenses"),
        submitted,
        claim("E9", "meals", Money::usd(3_850), "2026-01-05"),
    );
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    // Then it is not too old (it was not when submitted), and is dated when it was submitted
    let x = expense(&t, "E9");
    assert_eq!(x.status, ExpenseStatus::Approved, "{:?}", x.reasons);
    assert_eq!(x.submitted_at, submitted);
}
