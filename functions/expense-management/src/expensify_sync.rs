//! Reimbursements told to Expensify, never lost.
//!
//! When a reimbursement batch pays expenses that came from Expensify (an
//! `expensify_report_id` on the claim), the batch's reports are queued in Expense
//! Management's outbox (`reimbursement#outbox#expensify`, financial domain) in the same commit
//! as the batch, keyed by the batch id. The hourly run tells Expensify of at most
//! `[expenses.expensify] max_syncs_per_run` batches (one report status job each): what
//! Expensify marked and what it skipped (with its reason) is recorded on the batch; a job
//! Expensify could not take now (rate limited, unavailable) stays queued with its reason for
//! the next run; a job it refuses is held and a person asked (an approval of kind
//! [`EXPENSIFY_HELD`] to `[expenses] approver_role`, on accounts payable's behalf): approved,
//! it is queued again for the next run (after the fix); rejected or undecided, it is given up
//! and accounts payable asked to mark the reports by hand. Each run with work reports itself as
//! `DataSyncCompleted` (system `expensify`). Without the adapter (the twin, or no credentials)
//! nothing is queued.

use crate::expense_reports::{Marked, ReportsReimbursed};
use crate::{ExpenseManagement, NAME, ReimbursementBatch};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{ApprovalDraft, Fact, approval_id};
use ascent_core::catalog::{ApprovalDecided, ApprovalOutcome, DataSyncCompleted};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail};
use ascent_integrations::{IntegrationError, Outbox};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The approval kind of a batch Expensify refused to mark.
pub const EXPENSIFY_HELD: &str = "expensify-held";
/// The key prefix of Expense Management's outboxes (`reimbursement#outbox#<system>`).
pub const OUTBOX_PREFIX: &str = "reimbursement#";

/// The changes owed to `system`.
pub fn outbox(system: &str) -> Outbox {
    Outbox::new(Domain::Financial, OUTBOX_PREFIX, system)
}

/// Where telling the system of a batch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// In the outbox, for the next hourly run.
    Queued,
    /// The system took the job (`marked`, `skipped`).
    Done,
    /// The system refused it: a person decides (`held_approval_id`).
    Held,
    /// Not sent again: accounts payable mark the reports by hand.
    GivenUp,
}

/// A batch's reports as told to the system (on the batch record).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportsSync {
    /// `expensify`.
    pub system: String,
    pub report_ids: Vec<String>,
    pub state: SyncState,
    /// What the system did.
    #[serde(default)]
    pub outcome: Option<Marked>,
    /// Why the system refused it.
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub held_approval_id: Option<String>,
}

/// The approval asking a person what to do with a batch the system refused to mark.
pub fn held_draft(
    system: &str,
    change: &ReportsReimbursed,
    refusal: &IntegrationError,
    requester: &str,
    role: &str,
) -> ApprovalDraft {
    // The batch is the subject and the refusal the reason: the facts add the rest.
    let facts: BTreeMap<String, Fact> = [
        ("System", system.to_string()),
        ("Reports", change.report_ids.join(", ")),
        (
            "Approve",
            format!("tell {system} again on the next hourly run (fix the cause first)"),
        ),
        (
            "Reject",
            "give it up; accounts payable mark the reports by hand".into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into()))
    .collect();
    ApprovalDraft {
        kind: EXPENSIFY_HELD.into(),
        subject: change.batch_id.clone(),
        summary: format!(
            "{system} refused to mark the {} reports of batch {} reimbursed",
            change.report_ids.len(),
            change.batch_id
        ),
        amount: None,
        requester: requester.into(),
        approver_role: role.into(),
        first_approver: None,
        reason: format!("{system} refused: {refusal}"),
        facts,
        ..Default::default()
    }
}

fn batch_pk(batch_id: &str) -> String {
    format!("reimbursement#{batch_id}")
}

impl ExpenseManagement {
    /// Queues the reports of a batch (in the batch's commit) when the adapter is plugged in
    /// and the batch paid any; what to record on the batch.
    pub(crate) fn queue_reports(
        &self,
        ctx: &mut Ctx<'_>,
        batch_id: &str,
        report_ids: Vec<String>,
    ) -> Result<Option<ReportsSync>, AgentError> {
        let Some(reports) = &self.reports else {
            return Ok(None);
        };
        if report_ids.is_empty() {
            return Ok(None);
        }
        let change = ReportsReimbursed {
            batch_id: batch_id.to_string(),
            report_ids: report_ids.clone(),
        };
        outbox(reports.system()).queue(ctx, batch_id, &change)?;
        Ok(Some(ReportsSync {
            system: reports.system().to_string(),
            report_ids,
            state: SyncState::Queued,
            outcome: None,
            last_error: None,
            held_approval_id: None,
        }))
    }

    fn save_batch(&self, ctx: &mut Ctx<'_>, b: &ReimbursementBatch) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Financial,
            &batch_pk(&b.batch_id),
            "batch",
            b,
            None,
            Condition::Always,
        )
    }

    /// The hourly run: tells the system of at most `max_syncs_per_run` batches and reports it.
    pub(crate) async fn on_hourly(&self, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Some(reports) = self.reports.clone() else {
            return Ok(());
        };
        let system = reports.system().to_string();
        let settings = &self.policy.expensify;
        let started_at = ctx.now();
        let outbox = outbox(&system);
        let drained = outbox
            .drain(ctx, None, settings.max_syncs_per_run, |_, change| {
                reports.mark_reimbursed(change)
            })
            .await?;
        if drained.attempted.is_empty() {
            return Ok(());
        }
        let mut marked = 0u64;
        for a in &drained.attempted {
            let change: &ReportsReimbursed = &a.pending.item;
            let Some(mut batch) = ctx
                .get_as::<ReimbursementBatch>(
                    Domain::Financial,
                    &batch_pk(&change.batch_id),
                    "batch",
                )
                .await?
            else {
                continue;
            };
            let Some(sync) = batch.expensify.as_mut() else {
                continue;
            };
            match &a.result {
                Ok(outcome) => {
                    marked += outcome.reimbursed.len() as u64;
                    sync.state = SyncState::Done;
                    sync.outcome = Some(outcome.clone());
                    sync.last_error = None;
                }
                Err(e) if e.is_transient() => continue,
                Err(e) => {
                    let seq = ctx.effects().approvals.len();
                    let id = approval_id(ctx.cause().detail.event_id, NAME, seq);
                    ctx.request_approval(held_draft(
                        &system,
                        change,
                        e,
                        &settings.accounts_payable,
                        &self.policy.approver_role,
                    ))?;
                    sync.state = SyncState::Held;
                    sync.last_error = Some(e.to_string());
                    sync.held_approval_id = Some(id);
                }
            }
            self.save_batch(ctx, &batch)?;
        }
        let queued = outbox.queued(ctx).await?;
        // Counted in reports, not batches.
        ctx.emit(DataSyncCompleted {
            records: drained
                .attempted
                .iter()
                .map(|a| a.pending.item.report_ids.len() as u64)
                .sum(),
            pushed: marked,
            ..drained.completed(system, started_at, ctx.now(), queued)
        })
    }

    /// A person's decision on a refused batch: approved, queued again for the next run;
    /// otherwise given up and accounts payable asked to mark the reports by hand.
    pub(crate) async fn on_held_decision(
        &self,
        ctx: &mut Ctx<'_>,
        d: &ApprovalDecided,
    ) -> Result<(), AgentError> {
        let Some(mut batch) = ctx
            .get_as::<ReimbursementBatch>(Domain::Financial, &batch_pk(&d.subject), "batch")
            .await?
        else {
            return Err(AgentError::Invalid(format!(
                "subject: no reimbursement batch {}",
                d.subject
            )));
        };
        let Some(sync) = batch.expensify.as_mut() else {
            return Ok(());
        };
        if sync.state != SyncState::Held || sync.held_approval_id.as_deref() != Some(&d.approval_id)
        {
            return Ok(()); // decided already, or an older approval
        }
        let outbox = outbox(&sync.system);
        if d.outcome == ApprovalOutcome::Approved {
            outbox
                .release::<ReportsReimbursed>(ctx, &batch.batch_id)
                .await?;
            sync.state = SyncState::Queued;
        } else {
            outbox.drop_held(ctx, &batch.batch_id).await?;
            sync.state = SyncState::GivenUp;
            let text = format!(
                "Please mark these {} reports reimbursed by hand (reimbursement batch {}): {}.\n\
                 It refused: {}\n",
                sync.system,
                batch.batch_id,
                sync.report_ids.join(", "),
                sync.last_error.as_deref().unwrap_or("no reason recorded"),
            );
            ctx.send_mail(Mail {
                to: self.policy.expensify.accounts_payable.clone(),
                subject: format!(
                    "Reports of batch {} to mark reimbursed in {}",
                    batch.batch_id, sync.system
                ),
                text,
                ..Default::default()
            })?;
        }
        self.save_batch(ctx, &batch)
    }
}
