//! The journal's export to the company's books of record (QuickBooks Online), behind the
//! [`Ledger`] port.
//!
//! Every balanced entry the Finance Controller posts is queued for export in the posting's
//! own commit (`ledger#outbox#<system>` / `<entry no>`, see [`ascent_integrations::Outbox`]),
//! only when the agent was built with a ledger adapter ([`FinanceController::with_ledger`]):
//! the twin, which calls nothing external, queues nothing. The hourly tick sends at most
//! `max_syncs_per_run` of them (entry number order) and announces the run as
//! `DataSyncCompleted`. An entry sent is recorded with the system's id
//! (`ledger#exported#<system>` / `<entry no>`), so it is never created twice; a transient
//! failure stays queued with its reason for the next run; a refusal (an account without a
//! QuickBooks id, a closed QuickBooks period …) is held and put to a person as an approval:
//! approved, it is queued again (after the fix); rejected, it is left out of the export.

use crate::journal::JournalEntry;
use crate::{FinanceController, NAME};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{ApprovalDraft, Fact};
use ascent_core::catalog::{ApprovalDecided, ApprovalOutcome};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::Condition;
use ascent_integrations::{IntegrationError, Outbox, Pending};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The keys of the export (financial domain): the outbox and the sent entries' ids.
pub const PREFIX: &str = "ledger#";
/// The approval kind of a refused export put to a person.
pub const KIND: &str = "ledger-export";

const D: Domain = Domain::Financial;

/// The company's books of record, which the journal is exported to.
pub trait Ledger: Send + Sync {
    /// The system's name in keys and events (`quickbooks`).
    fn system(&self) -> &str;
    /// Its name for people (`QuickBooks Online`).
    fn title(&self) -> &str;
    /// Creates `entry` as change `id`, which is also the idempotency key sent (the same id
    /// sent again creates nothing new); the system's id of the entry.
    fn export(&self, id: &str, entry: &JournalEntry) -> Result<String, IntegrationError>;
}

/// An entry the system has, with its id there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exported {
    pub entry_no: String,
    pub system_id: String,
    pub exported_at: DateTime<Utc>,
}

/// An entry waiting for export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub entry: JournalEntry,
    /// Times a person sent it again after a refusal: each sending is a new request for the
    /// system (which answers a request id it has seen with its first answer, the refusal).
    #[serde(default)]
    pub resent: u32,
}

/// The idempotency key of an export's sending: the change's id, with the resending's number
/// after a refusal (`ascent-je-2026-03-0001`, then `ascent-je-2026-03-0001-r1`).
pub fn request_id(id: &str, resent: u32) -> String {
    match resent {
        0 => id.to_string(),
        n => format!("{id}-r{n}"),
    }
}

/// The outbox of `system`'s export.
pub fn outbox(system: &str) -> Outbox {
    Outbox::new(D, PREFIX, system)
}

/// Where the entries `system` has are recorded.
pub fn exported_pk(system: &str) -> String {
    format!("{PREFIX}exported#{system}")
}

/// The id of an entry's export (and its first idempotency key): unique in the company's books
/// (entry numbers are `YYYY-MM-NNNN`), within QuickBooks' 50 characters.
pub fn export_id(entry_no: &str) -> String {
    format!("ascent-je-{entry_no}")
}

/// Debits of an entry, for a person reading the approval.
fn debits(e: &JournalEntry) -> String {
    let total: i64 = e.lines.iter().map(|l| l.debit_minor).sum();
    Money::new(total, &e.currency).to_string()
}

/// The approval asked when `system` refused entry `p`: what it is, why, what each answer does.
pub fn refusal_approval(
    title: &str,
    p: &Pending<Export>,
    refusal: &str,
    requester: &str,
    approver_role: &str,
) -> ApprovalDraft {
    let e = &p.item.entry;
    // The refusal is the reason: the facts add the rest.
    let facts: BTreeMap<String, Fact> = [
        ("System", title.to_string()),
        ("Entry", format!("{} of {}", e.entry_no, e.date)),
        ("Memo", e.memo.clone()),
        ("Records", e.source.clone()),
        ("Debits", debits(e)),
        ("Attempts", p.attempts.to_string()),
        (
            "Approve",
            format!("send it again on the next hourly run (fix the cause in {title} or in [finance.quickbooks] first)"),
        ),
        (
            "Reject",
            format!("leave it out of the export (enter it in {title} by hand)"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into()))
    .collect();
    ApprovalDraft {
        kind: KIND.into(),
        subject: p.id.clone(),
        summary: format!(
            "{title} refused journal entry {}: fix and send again, or leave it out",
            e.entry_no
        ),
        amount: None,
        requester: requester.into(),
        approver_role: approver_role.into(),
        first_approver: None,
        reason: refusal.into(),
        facts,
        ..Default::default()
    }
}

impl FinanceController {
    /// Queues `entry` for export in the posting's commit (nothing without a ledger adapter).
    pub(crate) fn queue_export(
        &self,
        ctx: &mut Ctx<'_>,
        entry: &JournalEntry,
    ) -> Result<(), AgentError> {
        match &self.ledger {
            Some(l) => outbox(l.system()).queue(
                ctx,
                &export_id(&entry.entry_no),
                Export {
                    entry: entry.clone(),
                    resent: 0,
                },
            ),
            None => Ok(()),
        }
    }

    /// Writes one posting's export adds to its commit (the release run sizes itself by it).
    pub(crate) fn export_writes(&self) -> usize {
        usize::from(self.ledger.is_some())
    }

    /// The hourly export run: at most `max_syncs_per_run` entries sent, refusals put to a
    /// person, the run announced.
    pub(crate) async fn export_run(
        &self,
        ctx: &mut Ctx<'_>,
        started_at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        let Some(ledger) = self.ledger.clone() else {
            return Ok(());
        };
        let system = ledger.system().to_string();
        let ob = outbox(&system);
        let limit = self.config.quickbooks.max_syncs_per_run;
        // Entries the system already has (queued again after a send whose record was lost to
        // a later failure of the same message, or released by mistake) are not sent again.
        let (waiting, _) = ob.waiting::<Export>(ctx, None, limit).await?;
        let mut known: BTreeMap<String, String> = BTreeMap::new();
        for p in &waiting {
            if let Some(x) = ctx
                .get_as::<Exported>(D, &exported_pk(&system), &p.id)
                .await?
            {
                known.insert(p.id.clone(), x.system_id);
            }
        }
        let drained = ob
            .drain(ctx, None, limit, |id, x: &Export| match known.get(id) {
                Some(system_id) => Ok((system_id.clone(), false)),
                None => ledger
                    .export(&request_id(id, x.resent), &x.entry)
                    .map(|system_id| (system_id, true)),
            })
            .await?;
        let q = &self.config.quickbooks;
        for a in &drained.attempted {
            match &a.result {
                Ok((system_id, true)) => {
                    let x = Exported {
                        entry_no: a.pending.item.entry.entry_no.clone(),
                        system_id: system_id.clone(),
                        exported_at: ctx.now(),
                    };
                    ctx.put_record(
                        D,
                        &exported_pk(&system),
                        &a.pending.id,
                        &x,
                        None,
                        Condition::Always,
                    )?;
                }
                Ok(_) => {}
                Err(e) if e.is_transient() => {}
                Err(e) => ctx.request_approval(refusal_approval(
                    ledger.title(),
                    &a.pending,
                    &e.to_string(),
                    &self.config.report_to,
                    &q.approver_role,
                ))?,
            }
        }
        let queued = ob.queued(ctx).await?;
        ctx.emit(drained.completed(system, started_at, ctx.now(), queued))
    }

    /// A person decided a refused export: approved, it is queued again for the next run, as a
    /// new request (its `resent` counted); rejected, it is left out; expired, it stays held
    /// (and visible).
    pub(crate) async fn on_export_decided(
        &self,
        ctx: &mut Ctx<'_>,
        d: &ApprovalDecided,
    ) -> Result<(), AgentError> {
        ascent_core::approval::confirmed(ctx, d).await?;
        let system = match &self.ledger {
            Some(l) => l.system().to_string(),
            None => crate::quickbooks::SYSTEM.to_string(),
        };
        let ob = outbox(&system);
        match d.outcome {
            ApprovalOutcome::Approved => {
                let held = ctx
                    .get_as::<Pending<Export>>(D, &ob.held_pk(), &d.subject)
                    .await?;
                if let Some(p) = held {
                    ob.drop_held(ctx, &d.subject).await?;
                    let again = Export {
                        resent: p.item.resent + 1,
                        ..p.item
                    };
                    ob.queue(ctx, &d.subject, again)?;
                }
            }
            ApprovalOutcome::Rejected => {
                ob.drop_held(ctx, &d.subject).await?;
            }
            ApprovalOutcome::Expired => {}
        }
        Ok(())
    }
}

/// The subscription to the decisions of this agent's export approvals.
pub fn decisions_pattern() -> serde_json::Value {
    serde_json::json!({"detail-type": ["ApprovalDecided"],
        "detail": {"payload": {"requested_by_agent": [NAME], "kind": [KIND]}}})
}
