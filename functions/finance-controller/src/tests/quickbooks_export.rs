//! The journal's export to QuickBooks Online through the twin, with the stub as QuickBooks:
//! an entry posted is queued in its commit and sent by the hourly run; a failing QuickBooks
//! keeps it queued (and visible) until a later run sends it; a refusal is held and put to the
//! controller, whose approval sends it again; without the adapter nothing is queued.

use super::*;
use crate::ledger::{self, Export, Exported};
use crate::quickbooks::QuickBooks;
use crate::stub_quickbooks::{self, Fault, Shared};
use ascent_core::approval::Decision;
use ascent_core::catalog::DataSyncCompleted;
use ascent_integrations::{Pending, RetryPolicy};
use std::time::Duration;

const CONTROLLER: &str = "finance.controller@ascent-xr.example";
const OUTBOX: &str = "ledger#outbox#quickbooks";

fn config() -> FinanceConfig {
    let mut config = FinanceConfig::default();
    config.company.time_zone = "UTC".into();
    config
}

fn exporting_twin() -> (TestTwin, Shared) {
    let (base, qbo) = stub_quickbooks::start();
    let config = config();
    let mut qb = config.quickbooks.clone();
    qb.base_url = base;
    qb.http = RetryPolicy {
        max_attempts: 2,
        backoff: Duration::from_millis(1),
        max_wait: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
    };
    let adapter = QuickBooks::new(&qb, &config.chart.receivables, "eyJ-qbo-access");
    let agent = FinanceController::new(config).with_ledger(Arc::new(adapter));
    (
        TestTwin::new(vec![Arc::new(agent)], at("2026-03-02T09:00:00Z")),
        qbo,
    )
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

fn queued(t: &TestTwin, pk: &str) -> Vec<Pending<Export>> {
    t.query(Domain::Financial, pk)
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect()
}

fn approval_mails(t: &TestTwin) -> Vec<ascent_core::ports::Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Approval needed") && m.to == CONTROLLER)
        .collect()
}

#[test]
fn a_posted_invoice_is_queued_in_its_commit_and_the_hourly_run_exports_it_once() {
    let (t, qbo) = exporting_twin();
    // Given invoice inv-Q1 of 1,000.00 + 80.00 tax, journaled as entry 2026-03-0001
    t.emit(
        "ascent.agent.billing",
        invoice("inv-Q1", 100_000, 8_000, "2026-03-02"),
    );
    // Then it waits in the outbox, QuickBooks not called yet
    let waiting = queued(&t, OUTBOX);
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].id, "ascent-je-2026-03-0001");
    assert_eq!(waiting[0].item.entry.memo, "Invoice inv-Q1");
    assert!(qbo.lock().unwrap().requests.is_empty());

    // When the hourly run comes
    t.tick("hourly", at("2026-03-02T10:00:00Z"));
    // Then QuickBooks has the entry, balanced, with its request id
    let s = qbo.lock().unwrap();
    assert_eq!(s.entries.len(), 1);
    let (qbo_id, created) = s.entries.iter().next().unwrap();
    assert_eq!(created["DocNumber"], "2026-03-0001");
    assert_eq!(created["TxnDate"], "2026-03-02");
    assert_eq!(
        s.entry_posts()[0].query["requestid"],
        "ascent-je-2026-03-0001"
    );
    let x: Exported = serde_json::from_value(
        t.get(
            Domain::Financial,
            &ledger::exported_pk("quickbooks"),
            "ascent-je-2026-03-0001",
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(&x.system_id, qbo_id);
    drop(s);
    let r = runs(&t);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].system, "quickbooks");
    assert_eq!(counts(&r[0]), (1, 1, 0, 0));
    assert!(queued(&t, OUTBOX).is_empty());

    // And the next run sends nothing again
    t.tick("hourly", at("2026-03-02T11:00:00Z"));
    assert_eq!(counts(&runs(&t)[1]), (0, 0, 0, 0));
    assert_eq!(qbo.lock().unwrap().entry_posts().len(), 1);
}

#[test]
fn a_failing_quickbooks_keeps_the_entries_queued_and_a_later_run_sends_them() {
    let (t, qbo) = exporting_twin();
    t.emit(
        "ascent.agent.billing",
        invoice("inv-Q1", 100_000, 8_000, "2026-03-02"),
    );
    t.emit(
        "ascent.agent.billing",
        invoice("inv-Q2", 50_000, 4_000, "2026-03-02"),
    );
    // Given QuickBooks down for the whole 10:00 run (two attempts for each entry)
    qbo.lock()
        .unwrap()
        .script
        .extend(std::iter::repeat_n(Fault::Unavailable, 4));
    t.tick("hourly", at("2026-03-02T10:00:00Z"));
    // Then both stay queued, each with its attempt and reason, and the run says so
    assert_eq!(counts(&runs(&t)[0]), (2, 0, 2, 2));
    let waiting = queued(&t, OUTBOX);
    assert_eq!(waiting.len(), 2);
    assert_eq!(waiting[0].attempts, 1);
    assert_eq!(
        waiting[0].last_error.as_deref(),
        Some("unavailable after 2 attempts: status 503")
    );
    assert!(qbo.lock().unwrap().entries.is_empty());

    // When QuickBooks is back at 11:00
    t.tick("hourly", at("2026-03-02T11:00:00Z"));
    // Then both are sent, nothing is left
    assert_eq!(counts(&runs(&t)[1]), (2, 2, 0, 0));
    let s = qbo.lock().unwrap();
    let docs: Vec<&str> = s
        .entries
        .values()
        .map(|e| e["DocNumber"].as_str().unwrap())
        .collect();
    assert_eq!(docs, ["2026-03-0001", "2026-03-0002"]);
}

#[test]
fn a_run_sends_at_most_max_syncs_per_run_and_the_rest_wait_for_the_next() {
    let (t, qbo) = exporting_twin();
    // Given 12 invoices (the shipped max_syncs_per_run is 10)
    for n in 1..=12 {
        t.emit(
            "ascent.agent.billing",
            invoice(&format!("inv-B{n:02}"), 10_000 * n, 0, "2026-03-02"),
        );
    }
    t.tick("hourly", at("2026-03-02T10:00:00Z"));
    assert_eq!(counts(&runs(&t)[0]), (10, 10, 0, 2));
    t.tick("hourly", at("2026-03-02T11:00:00Z"));
    assert_eq!(counts(&runs(&t)[1]), (2, 2, 0, 0));
    assert_eq!(qbo.lock().unwrap().entries.len(), 12);
}

#[test]
fn a_refused_entry_is_held_and_put_to_the_controller_who_approves_it_after_the_fix() {
    let (t, qbo) = exporting_twin();
    // Given QuickBooks' Sales account (79) is inactive
    qbo.lock().unwrap().inactive_accounts.push("79".into());
    t.emit(
        "ascent.agent.billing",
        invoice("inv-Q1", 100_000, 8_000, "2026-03-02"),
    );
    t.tick("hourly", at("2026-03-02T10:00:00Z"));
    // Then the entry is held with QuickBooks' reason, not retried by runs
    assert_eq!(counts(&runs(&t)[0]), (1, 0, 1, 0));
    let held = queued(&t, &format!("{OUTBOX}#held"));
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0].last_error.as_deref(),
        Some("refused (400): Invalid Reference Id : Accounts element id 79 not found")
    );
    // And the controller is asked, with the system, the entry and the refusal
    let mails = approval_mails(&t);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .text
            .contains("QuickBooks Online refused journal entry 2026-03-0001"),
        "{}",
        mails[0].text
    );
    assert!(
        mails[0]
            .text
            .contains("Invalid Reference Id : Accounts element id 79 not found")
    );
    t.tick("hourly", at("2026-03-02T11:00:00Z"));
    assert_eq!(counts(&runs(&t)[1]), (0, 0, 0, 0));
    assert_eq!(qbo.lock().unwrap().entry_posts().len(), 1);

    // When the account is made active again and the controller approves
    qbo.lock().unwrap().inactive_accounts.clear();
    t.decide_from_mail(CONTROLLER, Decision::Approve, Some("Sales reactivated"))
        .unwrap();
    assert!(queued(&t, &format!("{OUTBOX}#held")).is_empty());
    assert_eq!(queued(&t, OUTBOX).len(), 1);
    // Then the next run sends it, as a new request (QuickBooks answers a request id it has
    // seen with its first answer: the refusal)
    t.tick("hourly", at("2026-03-02T12:00:00Z"));
    assert_eq!(counts(&runs(&t)[2]), (1, 1, 0, 0));
    let s = qbo.lock().unwrap();
    assert_eq!(s.entries.len(), 1);
    let ids: Vec<&str> = s
        .entry_posts()
        .iter()
        .map(|p| p.query["requestid"].as_str())
        .collect();
    assert_eq!(ids, ["ascent-je-2026-03-0001", "ascent-je-2026-03-0001-r1"]);
}

#[test]
fn a_refusal_the_controller_rejects_is_left_out_of_the_export() {
    let (t, qbo) = exporting_twin();
    qbo.lock().unwrap().inactive_accounts.push("79".into());
    t.emit(
        "ascent.agent.billing",
        invoice("inv-Q1", 100_000, 8_000, "2026-03-02"),
    );
    t.tick("hourly", at("2026-03-02T10:00:00Z"));
    t.decide_from_mail(CONTROLLER, Decision::Reject, Some("entered by hand"))
        .unwrap();
    assert!(queued(&t, &format!("{OUTBOX}#held")).is_empty());
    assert!(queued(&t, OUTBOX).is_empty());
    qbo.lock().unwrap().inactive_accounts.clear();
    t.tick("hourly", at("2026-03-02T11:00:00Z"));
    assert_eq!(qbo.lock().unwrap().entry_posts().len(), 1);
    assert!(qbo.lock().unwrap().entries.is_empty());
}

#[test]
fn without_the_adapter_nothing_is_queued_and_no_run_is_announced() {
    let t = TestTwin::new(
        vec![Arc::new(FinanceController::new(config()))],
        at("2026-03-02T09:00:00Z"),
    );
    t.emit(
        "ascent.agent.billing",
        invoice("inv-Q1", 100_000, 8_000, "2026-03-02"),
    );
    t.tick("hourly", at("2026-03-02T10:00:00Z"));
    assert!(
        t.get(
            Domain::Financial,
            "journal#2026-03",
            "2026-03-02#2026-03-0001"
        )
        .is_some()
    );
    assert!(queued(&t, OUTBOX).is_empty());
    assert!(runs(&t).is_empty());
}

#[test]
fn a_decision_no_approval_record_confirms_is_dead_lettered_and_the_entry_stays_held() {
    let (t, qbo) = exporting_twin();
    qbo.lock().unwrap().inactive_accounts.push("79".into());
    t.emit(
        "ascent.agent.billing",
        invoice("inv-Q1", 100_000, 8_000, "2026-03-02"),
    );
    t.tick("hourly", at("2026-03-02T10:00:00Z"));
    // Given a forged approval of the held entry, with no approval on record
    t.emit(
        "ascent.approvals",
        ApprovalDecided {
            approval_id: "apr-forged".into(),
            kind: ledger::KIND.into(),
            subject: "ascent-je-2026-03-0001".into(),
            requested_by_agent: NAME.into(),
            amount: None,
            outcome: ascent_core::catalog::ApprovalOutcome::Approved,
            decided_by: Some(CONTROLLER.into()),
            comment: None,
            requester: "cfo@ascent-xr.example".into(),
        },
    );
    // Then it is dead-lettered with the reason, and the entry is still held
    let letters = t.runtime.dead_letters().unwrap();
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0]
            .reason
            .contains("approval apr-forged: no such approval on record"),
        "{}",
        letters[0].reason
    );
    assert_eq!(queued(&t, &format!("{OUTBOX}#held")).len(), 1);
    assert!(queued(&t, OUTBOX).is_empty());
}

#[test]
fn the_monthly_release_run_makes_room_for_each_entry_s_queued_export() {
    // Each release is its entry and its schedule (2 writes), plus its export queued (1) when
    // exporting; beside them the run's marker and summary (2), within 49 writes.
    assert_eq!(crate::recognition::releases_per_run(0), 23); // 23 × 2 + 2 = 48
    assert_eq!(crate::recognition::releases_per_run(1), 15); // 15 × 3 + 2 = 47
    let fits = |n: usize| n * 3 + 2 <= ascent_core::limits::MAX_WRITES;
    assert!(fits(crate::recognition::releases_per_run(1)));
    assert!(!fits(crate::recognition::releases_per_run(1) + 1));
}
