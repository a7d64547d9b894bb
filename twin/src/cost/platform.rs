//! The parts of the bill no agent's function carries: the approval workflow (Step Functions,
//! the notifier and the approval API), mail (SES, every sender: the twin's outbox does not
//! record which agent queued a mail), the schedule-tick function, the business systems'
//! events put on the bus, and the data lake's storage.

use super::counts::{ITEM_NAMES_BYTES, Period, Usage, chunks, is_business_source, write_kb};
use super::settings::CostSettings;
use ascent_embedded::Store;
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub const APPROVALS: &str = "approval workflow";
pub const MAIL: &str = "mail (SES, every sender)";
pub const SCHEDULE: &str = "schedule-tick";
pub const BUSINESS: &str = "business events put";
pub const STORAGE: &str = "data lake storage";

/// The approval record as far as the bill needs it.
#[derive(Deserialize)]
struct ApprovalRecord {
    status: String,
    step: u64,
    chain: Vec<String>,
    created_at: DateTime<Utc>,
}

/// State transitions of one approval on the workflow (`infra/statemachines/approval.asl.json`):
/// Prepare and AskApprover, then for each later approver asked Outcome or the timeout's
/// Escalate, AnotherApprover and AskApprover again; a decision ends with Outcome and Approved
/// or Rejected; an expiry with Escalate, AnotherApprover, TellRequester and Expired.
pub fn transitions(status: &str, step: u64, approvers: u64) -> u64 {
    match status {
        "approved" | "rejected" => 2 + 3 * step + 2,
        "expired" => 2 + 3 * approvers.saturating_sub(1) + 4,
        // Still waiting on the approver of `step`.
        _ => 2 + 3 * step,
    }
}

/// The platform's rows for the run in `store`.
pub fn rows(
    store: &Store,
    period: Period,
    memory_mb: u32,
    settings: &CostSettings,
    events: &[(&str, u64)],
) -> anyhow::Result<Vec<Usage>> {
    let in_period =
        |at: DateTime<Utc>| period.from.is_none_or(|f| at >= f) && period.to.is_none_or(|t| at < t);
    let approvals: Vec<(String, u64)> = store.read(|c| {
        let mut st = c.prepare(
            "SELECT data, length(CAST(data AS BLOB)) + length(CAST(pk AS BLOB))
               + length(CAST(sk AS BLOB)) FROM items WHERE domain = 'approvals'",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        rows.collect()
    })?;
    let mut approval = Usage {
        name: APPROVALS.into(),
        memory_mb,
        functions: 2,
        queues: 1,
        ..Usage::default()
    };
    for (data, bytes) in approvals {
        let a: ApprovalRecord = serde_json::from_str(&data)?;
        if !in_period(a.created_at) {
            continue;
        }
        let approvers = a.chain.len() as u64;
        approval.transitions += transitions(&a.status, a.step, approvers);
        // Each approver asked is a message to the notifier, which reads the record and
        // keeps the task token; an expiry is one more message, telling the requester.
        let asked = if a.status == "expired" {
            approvers + 1
        } else {
            a.step + 1
        };
        // A person's decision: the page (GET) and the button (POST), each reading the record,
        // the POST writing it.
        let api = if matches!(a.status.as_str(), "approved" | "rejected") {
            2
        } else {
            0
        };
        approval.deliveries += asked + api;
        approval.invocations += asked + api;
        approval.sqs_sends += asked;
        approval.sqs_receives += asked;
        approval.sqs_deletes += asked;
        approval.strong_reads += asked + api;
        approval.write_kb += (asked + api / 2) * write_kb(bytes + ITEM_NAMES_BYTES);
    }
    let put = |keep: &dyn Fn(&str) -> bool| -> (u64, u64) {
        events
            .iter()
            .filter(|(source, _)| keep(source))
            .fold((0, 0), |(n, c), (_, bytes)| (n + 1, c + chunks(*bytes)))
    };
    approval.events_put = put(&|s| s == "ascent.approvals").1;

    let mails: Vec<String> = store.read(|c| {
        let mut st = c.prepare("SELECT created_at FROM mail_outbox")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect()
    })?;
    let mails = mails
        .iter()
        .filter(|t| {
            DateTime::parse_from_rfc3339(t)
                .map_or(period.is_whole(), |t| in_period(t.with_timezone(&Utc)))
        })
        .count() as u64;
    let mail = Usage {
        name: MAIL.into(),
        mails,
        // The idempotency record is saved after each mail sent (what is left to do).
        transaction_write_kb: mails,
        ..Usage::default()
    };

    let (ticks, tick_chunks) = put(&|s| s == "ascent.scheduler");
    // The platform's notices (`ascent.system`): the queue observations the schedule function
    // puts (and the rare dead-letter notices), billed here rather than as business events.
    let (_, notice_chunks) = put(&|s| s == "ascent.system");
    let schedule = Usage {
        name: SCHEDULE.into(),
        memory_mb,
        functions: 1,
        deliveries: ticks,
        invocations: ticks,
        events_put: tick_chunks + notice_chunks,
        ..Usage::default()
    };
    let business = Usage {
        name: BUSINESS.into(),
        events_put: put(&is_business_source).1,
        ..Usage::default()
    };

    let overhead = settings.model.item_overhead_bytes;
    let stored: u64 = store.read(|c| {
        let items: i64 = c.query_row(
            "SELECT coalesce(sum(length(CAST(pk AS BLOB)) + length(CAST(sk AS BLOB))
               + length(CAST(data AS BLOB)) + coalesce(length(CAST(gsi1pk AS BLOB)), 0)
               + coalesce(length(CAST(gsi1sk AS BLOB)), 0) + ?1), 0) FROM items",
            [(ITEM_NAMES_BYTES + overhead) as i64],
            |r| r.get(0),
        )?;
        let audit: i64 = c.query_row(
            "SELECT coalesce(sum(length(CAST(actor || action || domain || item
               || coalesce(correlation_id, '') || detail || at AS BLOB)) + ?1), 0) FROM audit",
            [(super::counts::AUDIT_FRAME_BYTES + overhead) as i64],
            |r| r.get(0),
        )?;
        let handled: i64 = c.query_row(
            "SELECT coalesce(sum(length(CAST(agent || event_id AS BLOB)) + ?1), 0) FROM handled",
            [(super::counts::IDEMPOTENCY_RECORD_BYTES + overhead) as i64],
            |r| r.get(0),
        )?;
        Ok((items + audit + handled) as u64)
    })?;
    let storage = Usage {
        name: STORAGE.into(),
        stored_bytes: stored,
        ..Usage::default()
    };
    Ok(vec![approval, mail, schedule, business, storage])
}
