//! Given/when/then tests of reimbursements told to Expensify through the twin, with the stub
//! Integration Server plugged in: queued with the batch, marked by the hourly run, kept queued
//! and visible while Expensify fails, held for a person when Expensify refuses, and never
//! queued without the adapter or for expenses entered in Ascent.

use crate::expense_reports::ReportsReimbursed;
use crate::expensify::Expensify;
use crate::expensify_sync::{EXPENSIFY_HELD, SyncState};
use crate::stub_expensify::{self, Fault, PARTNER_USER_ID, PARTNER_USER_SECRET, Shared};
use crate::{ExpenseManagement, ReimbursementBatch};
use ascent_core::agent::Domain;
use ascent_core::approval::Decision;
use ascent_core::catalog::{DataSyncCompleted, ExpenseSubmitted, Payload};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use ascent_integrations::{Auth, Http, Pending, RetryPolicy};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

const CONTROLLER: &str = "finance.controller@ascent-xr.example";
const PAYABLE: &str = "accounts.payable@ascent-xr.example";
const BATCH: &str = "reimb-2026-03-06";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The twin (from Tuesday 3 March) with Expense Management telling a fresh stub Expensify,
/// which holds R00Cs5 and R00Dk2, approved.
fn twin_with_expensify() -> (TestTwin, Shared) {
    let (url, stub) = stub_expensify::start();
    for id in ["R00Cs5", "R00Dk2"] {
        stub.lock()
            .unwrap()
            .reports
            .insert(id.into(), "APPROVED".into());
    }
    let policy = RetryPolicy {
        max_attempts: 3,
        backoff: Duration::from_millis(1),
        max_wait: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
    };
    let http = Http::new(Auth::None, policy);
    let agent = ExpenseManagement::default().with_expense_reports(Arc::new(Expensify::with_http(
        &url,
        PARTNER_USER_ID,
        PARTNER_USER_SECRET,
        http,
    )));
    (
        TestTwin::new(vec![Arc::new(agent)], at("2026-03-03T09:00:00Z")),
        stub,
    )
}

/// A clean meal of `minor` (up to 50.00: approved by policy), from Expensify report `report`
/// when given.
fn meal(id: &str, minor: i64, report: Option<&str>) -> ExpenseSubmitted {
    ExpenseSubmitted {
        expense_id: id.into(),
        employee: "li.wei@ascent-xr.example".into(),
        department: "sales".into(),
        category: "meals".into(),
        amount: Money::usd(minor),
        incurred_on: "2026-03-02".parse().unwrap(),
        merchant: "Nordsee".into(),
        receipt_attached: true,
        receipt_text: None,
        manager: Some("mara.head@ascent-xr.example".into()),
        description: Some("Lunch at the Boreal Aero visit".into()),
        expensify_report_id: report.map(str::to_string),
    }
}

/// Given E1 and E2 of report R00Cs5, E3 of R00Dk2 and E4 entered in Ascent, paid by Friday's
/// batch.
fn paid(t: &TestTwin) {
    // (Different amounts: the same employee, day and amount would be a duplicate.)
    t.emit("ascent.expenses", meal("E1", 3_850, Some("R00Cs5")));
    t.emit("ascent.expenses", meal("E2", 2_400, Some("R00Cs5")));
    t.emit("ascent.expenses", meal("E3", 4_120, Some("R00Dk2")));
    t.emit("ascent.expenses", meal("E4", 1_275, None));
    t.tick("daily", at("2026-03-06T06:00:00Z"));
}

fn hourly(t: &TestTwin, hour: u32) {
    t.tick("hourly", at(&format!("2026-03-06T{hour:02}:00:00Z")));
}

fn batch(t: &TestTwin) -> ReimbursementBatch {
    serde_json::from_value(
        t.get(
            Domain::Financial,
            &format!("reimbursement#{BATCH}"),
            "batch",
        )
        .unwrap(),
    )
    .unwrap()
}

fn queued(t: &TestTwin, held: bool) -> Option<Pending<ReportsReimbursed>> {
    let pk = format!(
        "reimbursement#outbox#expensify{}",
        if held { "#held" } else { "" }
    );
    t.get(Domain::Financial, &pk, BATCH)
        .map(|v| serde_json::from_value(v).unwrap())
}

fn runs(t: &TestTwin) -> Vec<DataSyncCompleted> {
    t.emitted("DataSyncCompleted")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::DataSyncCompleted(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// (records, pushed, failures, queued) of a run.
fn counts(d: &DataSyncCompleted) -> (u64, u64, u64, u64) {
    (d.records, d.pushed, d.failures, d.queued)
}

#[test]
fn a_batch_s_expensify_reports_are_queued_with_it_and_marked_by_the_hourly_run() {
    let (t, stub) = twin_with_expensify();
    paid(&t);
    // Then the batch queued its two reports (R00Cs5 once), nothing told yet
    let q = queued(&t, false).expect("queued with the batch");
    assert_eq!(q.item.report_ids, vec!["R00Cs5", "R00Dk2"]);
    assert_eq!(batch(&t).expensify.unwrap().state, SyncState::Queued);
    assert!(stub.lock().unwrap().jobs.is_empty());
    // When the hourly run comes
    hourly(&t, 7);
    // Then both reports are reimbursed in Expensify, recorded on the batch, and the run reported
    assert_eq!(stub.lock().unwrap().marked, vec!["R00Cs5", "R00Dk2"]);
    let sync = batch(&t).expensify.unwrap();
    assert_eq!(sync.state, SyncState::Done);
    assert_eq!(sync.outcome.unwrap().reimbursed, vec!["R00Cs5", "R00Dk2"]);
    assert!(queued(&t, false).is_none());
    let r = runs(&t);
    assert_eq!(r[0].system, "expensify");
    assert_eq!(counts(&r[0]), (2, 2, 0, 0));
    // And the next run has nothing to tell and reports nothing
    hourly(&t, 8);
    assert_eq!(runs(&t).len(), 1);
    assert_eq!(stub.lock().unwrap().jobs.len(), 1);
}

#[test]
fn a_failing_expensify_keeps_the_batch_queued_and_visible_until_a_later_run() {
    let (t, stub) = twin_with_expensify();
    paid(&t);
    // Given Expensify is down for the whole first run (3 attempts)
    stub.lock().unwrap().script.extend([Fault::Unavailable; 3]);
    hourly(&t, 7);
    // Then the run reports 2 reports tried, none marked, 1 failure, 1 change still queued
    assert_eq!(counts(&runs(&t)[0]), (2, 0, 1, 1));
    let q = queued(&t, false).expect("still queued");
    assert_eq!(q.attempts, 1);
    assert!(
        q.last_error
            .as_deref()
            .unwrap()
            .starts_with("unavailable after 3 attempts"),
        "{:?}",
        q.last_error
    );
    assert_eq!(batch(&t).expensify.unwrap().state, SyncState::Queued);
    // When Expensify is back by the next run
    hourly(&t, 8);
    assert_eq!(counts(&runs(&t)[1]), (2, 2, 0, 0));
    assert_eq!(stub.lock().unwrap().marked, vec!["R00Cs5", "R00Dk2"]);
}

#[test]
fn a_refused_job_is_held_for_a_person_and_told_again_once_approved() {
    let (t, stub) = twin_with_expensify();
    paid(&t);
    // Given Expensify refuses the job (the partner lost access to the policy)
    stub.lock().unwrap().refuse = Some((410, "Policy not found or not accessible".into()));
    hourly(&t, 7);
    // Then it is held with Expensify's message, nothing stays queued, and the controller asked
    assert_eq!(counts(&runs(&t)[0]), (2, 0, 1, 0));
    assert_eq!(
        queued(&t, true).unwrap().last_error.as_deref(),
        Some("refused (410): Policy not found or not accessible")
    );
    let Some(Payload::ApprovalRequested(a)) = t
        .emitted("ApprovalRequested")
        .last()
        .map(|e| e.payload().clone())
    else {
        panic!("an approval")
    };
    assert_eq!(a.kind, EXPENSIFY_HELD);
    assert_eq!(
        a.summary,
        "expensify refused to mark the 2 reports of batch reimb-2026-03-06 reimbursed"
    );
    assert_eq!(batch(&t).expensify.unwrap().state, SyncState::Held);
    // And no run retries it on its own
    hourly(&t, 8);
    assert_eq!(runs(&t).len(), 1);
    // When access is restored and the controller approves
    stub.lock().unwrap().refuse = None;
    t.decide_from_mail(CONTROLLER, Decision::Approve, None)
        .unwrap();
    assert!(queued(&t, true).is_none() && queued(&t, false).is_some());
    // Then the next run marks the reports
    hourly(&t, 9);
    assert_eq!(counts(&runs(&t)[1]), (2, 2, 0, 0));
    assert_eq!(batch(&t).expensify.unwrap().state, SyncState::Done);
}

#[test]
fn a_held_job_rejected_is_given_up_and_accounts_payable_asked_to_mark_by_hand() {
    let (t, stub) = twin_with_expensify();
    paid(&t);
    stub.lock().unwrap().refuse = Some((410, "Policy not found or not accessible".into()));
    hourly(&t, 7);
    t.decide_from_mail(CONTROLLER, Decision::Reject, Some("marked by hand"))
        .unwrap();
    assert!(queued(&t, true).is_none() && queued(&t, false).is_none());
    assert_eq!(batch(&t).expensify.unwrap().state, SyncState::GivenUp);
    let mails = t.runtime.mails().unwrap();
    let asked: Vec<_> = mails.iter().filter(|m| m.to == PAYABLE).collect();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].text,
        "Please mark these expensify reports reimbursed by hand (reimbursement batch \
         reimb-2026-03-06): R00Cs5, R00Dk2.\nIt refused: refused (410): Policy not found or not \
         accessible\n"
    );
}

#[test]
fn without_the_adapter_or_without_expensify_reports_nothing_is_queued() {
    // Given the adapter but only expenses entered in Ascent
    let (t, stub) = twin_with_expensify();
    t.emit("ascent.expenses", meal("E4", 1_275, None));
    t.tick("daily", at("2026-03-06T06:00:00Z"));
    hourly(&t, 7);
    assert!(batch(&t).expensify.is_none());
    assert!(queued(&t, false).is_none());
    assert!(stub.lock().unwrap().jobs.is_empty() && runs(&t).is_empty());
    // Given no adapter (the twin) and expenses from Expensify
    let t = TestTwin::new(
        vec![Arc::new(ExpenseManagement::default())],
        at("2026-03-03T09:00:00Z"),
    );
    paid(&t);
    hourly(&t, 7);
    // Then the batch pays them, and nothing is queued nor reported
    assert_eq!(t.emitted("ReimbursementBatchCreated").len(), 1);
    assert!(batch(&t).expensify.is_none());
    assert!(
        t.query(Domain::Financial, "reimbursement#outbox#expensify")
            .is_empty()
    );
    assert!(runs(&t).is_empty());
}

#[test]
fn an_hourly_tick_is_not_a_reimbursement_day() {
    // Given approved expenses and the adapter, an hourly tick on Friday makes no batch
    let (t, _stub) = twin_with_expensify();
    t.emit("ascent.expenses", meal("E1", 3_850, Some("R00Cs5")));
    hourly(&t, 6);
    assert!(t.emitted("ReimbursementBatchCreated").is_empty());
}
