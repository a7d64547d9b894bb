//! The Expensify adapter against the stub Integration Server: the job as Expensify documents
//! it, rate limits, outages, a refused job's message, and a job repeated after a lost answer.

use super::*;
use crate::stub_expensify::{self, Fault, PARTNER_USER_ID, PARTNER_USER_SECRET, Shared};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        backoff: Duration::from_millis(200),
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    }
}

/// The adapter on a fresh stub holding R00Cs5 and R00Dk2 (approved) and R00Zz9 (reimbursed),
/// and the pauses it takes.
fn expensify(secret: &str) -> (Expensify, Shared, Arc<Mutex<Vec<Duration>>>) {
    let (url, stub) = stub_expensify::start();
    {
        let mut s = stub.lock().unwrap();
        for (id, state) in [
            ("R00Cs5", "APPROVED"),
            ("R00Dk2", "APPROVED"),
            ("R00Zz9", "REIMBURSED"),
        ] {
            s.reports.insert(id.into(), state.into());
        }
    }
    let pauses = Arc::new(Mutex::new(Vec::new()));
    let seen = pauses.clone();
    let http =
        Http::new(Auth::None, policy()).with_sleep(Arc::new(move |d| seen.lock().unwrap().push(d)));
    (
        Expensify::with_http(&url, PARTNER_USER_ID, secret, http),
        stub,
        pauses,
    )
}

fn batch(ids: &[&str]) -> ReportsReimbursed {
    ReportsReimbursed {
        batch_id: "reimb-2026-03-06".into(),
        report_ids: ids.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn reports_are_marked_reimbursed_by_one_report_status_job() {
    let (e, stub, pauses) = expensify(PARTNER_USER_SECRET);
    let marked = e
        .mark_reimbursed(&batch(&["R00Cs5", "R00Dk2", "R00Zz9"]))
        .unwrap();
    // Then the two approved reports are reimbursed, the one already reimbursed skipped
    assert_eq!(marked.reimbursed, vec!["R00Cs5", "R00Dk2"]);
    assert_eq!(
        marked.skipped,
        vec![(
            "R00Zz9".to_string(),
            "Report is REIMBURSED, not APPROVED".to_string()
        )]
    );
    // And the job was Expensify's update of reportStatus, credentials inside it
    let s = stub.lock().unwrap();
    assert_eq!(
        s.jobs,
        vec![json!({
            "type": "update",
            "credentials": {"partnerUserID": PARTNER_USER_ID, "partnerUserSecret": PARTNER_USER_SECRET},
            "inputSettings": {"type": "reportStatus", "status": "REIMBURSED",
                "filters": {"reportIDList": "R00Cs5,R00Dk2,R00Zz9"}}
        })]
    );
    assert!(pauses.lock().unwrap().is_empty());
}

#[test]
fn a_rate_limit_waits_its_retry_after_and_an_outage_backs_off() {
    let (e, stub, pauses) = expensify(PARTNER_USER_SECRET);
    stub.lock()
        .unwrap()
        .script
        .extend([Fault::RateLimited(3), Fault::Unavailable]);
    let marked = e.mark_reimbursed(&batch(&["R00Cs5"])).unwrap();
    assert_eq!(marked.reimbursed, vec!["R00Cs5"]);
    assert_eq!(
        *pauses.lock().unwrap(),
        vec![Duration::from_secs(3), Duration::from_millis(200)]
    );
    // A rate limit longer than the policy waits is transient: the change waits for a later run
    stub.lock()
        .unwrap()
        .script
        .push_back(Fault::RateLimited(120));
    let err = e.mark_reimbursed(&batch(&["R00Dk2"])).unwrap_err();
    assert_eq!(err, IntegrationError::RateLimited { wait_seconds: 120 });
}

#[test]
fn a_failed_job_inside_a_200_answer_is_a_refusal_with_expensify_s_message() {
    let (e, stub, _) = expensify("wrong-secret");
    let err = e.mark_reimbursed(&batch(&["R00Cs5"])).unwrap_err();
    assert_eq!(
        err,
        IntegrationError::Refused {
            status: 407,
            message: "Authentication error".into()
        }
    );
    assert!(!err.is_transient());
    assert!(stub.lock().unwrap().marked.is_empty());
    // Expensify's own trouble (a 5xx responseCode) or its rate limit is transient
    let trouble = read_answer(&json!({"responseCode": 500, "responseMessage": "Internal error"}));
    assert!(trouble.unwrap_err().is_transient());
    let limited = read_answer(&json!({"responseCode": 429, "responseMessage": "rate-limited"}));
    assert!(limited.unwrap_err().is_transient());
    assert!(matches!(
        read_answer(&json!({"reportIDs": []})),
        Err(IntegrationError::BadAnswer(_))
    ));
}

#[test]
fn a_job_whose_answer_was_lost_is_repeated_and_marks_each_report_once() {
    let (e, stub, _) = expensify(PARTNER_USER_SECRET);
    // Given the job runs but its answer is lost (502)
    stub.lock().unwrap().script.push_back(Fault::Lost);
    let marked = e.mark_reimbursed(&batch(&["R00Cs5", "R00Dk2"])).unwrap();
    // Then the repeat finds them reimbursed already (skipped), and each was marked once
    assert!(marked.reimbursed.is_empty());
    assert_eq!(marked.skipped.len(), 2);
    let s = stub.lock().unwrap();
    assert_eq!(s.jobs.len(), 2);
    assert_eq!(s.jobs[0], s.jobs[1]);
    assert_eq!(s.marked, vec!["R00Cs5", "R00Dk2"]);
}
