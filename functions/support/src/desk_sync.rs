//! Support's decisions on their way back to the desks: queued with the decision, sent by the
//! hourly run, held for a person when a desk refuses one.
//!
//! Records (interaction domain, under `support-desk#`): `support-desk#outbox#<desk>` / change
//! id, a [`DeskUpdate`] waiting (with its attempts and last failure's reason), and
//! `support-desk#outbox#<desk>#held` / change id, one a desk refused ([`Outbox`]). A change is
//! queued only for a desk Support has an adapter for: without one (the twin, a Lambda without
//! the desk's credentials) nothing is queued, since nothing would send it.
//!
//! The hourly run sends at most `[support.desks] max_syncs_per_run` changes to each desk, the
//! oldest first, and announces what it did (`DataSyncCompleted`: sent, failures, still queued).
//! A change that failed for a while (the desk down, rate limited) stays queued with its
//! reason for the next run; a refused one is held and put to the `approver_role`: approved
//! (after the fix) it is queued again and the next run sends it, rejected it is dropped.

use crate::desk::{Desk, DeskUpdate, HelpDesk, change_id};
use crate::{NAME, Support};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{ApprovalDraft, Fact};
use ascent_core::catalog::{ApprovalDecided, ApprovalOutcome, ScheduleTick};
use ascent_core::context::Ctx;
use ascent_integrations::Outbox;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The key prefix of the desks' outboxes.
pub const DESK_PREFIX: &str = "support-desk#";
/// The approval kind of a refused change.
pub const KIND: &str = "desk-sync";

/// The outbox of `desk`.
pub fn outbox(desk: Desk) -> Outbox {
    Outbox::new(Domain::Interaction, DESK_PREFIX, desk.name())
}

/// The approval subject of a held change: `<desk>#<change id>`.
pub fn subject(desk: Desk, change: &str) -> String {
    format!("{}#{change}", desk.name())
}

fn parse_subject(subject: &str) -> Option<(Desk, &str)> {
    let (desk, change) = subject.split_once('#')?;
    Some((Desk::from_name(desk)?, change))
}

/// The help desks Support sends to.
pub(crate) type Desks = BTreeMap<Desk, Arc<dyn HelpDesk>>;

impl Support {
    /// Sends decisions about tickets of `desk.desk()` to it (its changes are queued from now).
    pub fn with_help_desk(mut self, desk: Arc<dyn HelpDesk>) -> Self {
        self.desks.insert(desk.desk(), desk);
        self
    }

    /// The desk a ticket came from and its id there, when Support can send to that desk.
    pub(crate) fn desk_of(&self, ticket_id: &str) -> Option<(Desk, String)> {
        Desk::of_ticket(ticket_id).filter(|(d, _)| self.desks.contains_key(d))
    }

    /// Queues `update` (decided at `at`, of kind `kind`) for its ticket's desk, in this
    /// message's commit; the change's id is the same on every redelivery.
    pub(crate) fn queue_for_desk(
        &self,
        ctx: &mut Ctx<'_>,
        desk: Desk,
        at: DateTime<Utc>,
        kind: &str,
        update: DeskUpdate,
    ) -> Result<(), AgentError> {
        let id = change_id(at, &update.ticket_id, kind);
        outbox(desk).queue(ctx, &id, update)
    }

    /// The hourly run: each desk's oldest changes sent, refusals put to a person, the run
    /// announced.
    pub(crate) async fn on_desk_run(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let limit = self.config.desks.max_syncs_per_run;
        for (desk, adapter) in self.desks.clone() {
            let ob = outbox(desk);
            let drained = ob
                .drain(ctx, None, limit, |id, u: &DeskUpdate| adapter.apply(id, u))
                .await?;
            for a in &drained.attempted {
                if let Err(e) = &a.result
                    && !e.is_transient()
                {
                    ctx.request_approval(self.held_request(
                        desk,
                        &a.pending.id,
                        &a.pending.item,
                        &e.to_string(),
                    ))?;
                }
            }
            let queued = ob.queued(ctx).await?;
            ctx.emit(drained.completed(desk.name(), tick.at, ctx.now(), queued))?;
        }
        Ok(())
    }

    /// The question put to a person about a change `desk` refused.
    fn held_request(
        &self,
        desk: Desk,
        change: &str,
        u: &DeskUpdate,
        reason: &str,
    ) -> ApprovalDraft {
        let d = &self.config.desks;
        let what = if u.solve {
            "solve it (merged duplicate)".to_string()
        } else if u.priority.is_some() {
            "set its triage".to_string()
        } else {
            "add a note".to_string()
        };
        // The refusal is the reason: the facts add the rest.
        let facts: BTreeMap<String, Fact> = [
            ("Desk", desk.name().to_string()),
            ("Ticket", format!("{} ({} there)", u.ticket_id, u.remote_id)),
            ("Change", change.to_string()),
            ("What", what),
            ("Note", u.note.clone()),
            (
                "Approve",
                "send it again with the next hourly run (fix the cause first)".into(),
            ),
            ("Reject", "drop it (the desk is not told)".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect();
        ApprovalDraft {
            kind: KIND.into(),
            subject: subject(desk, change),
            summary: format!(
                "{} refused Support's change to ticket {}: fix and send again, or drop",
                desk.name(),
                u.ticket_id
            ),
            amount: None,
            requester: d.requester.clone(),
            approver_role: d.approver_role.clone(),
            first_approver: None,
            reason: reason.to_string(),
            facts,
            ..Default::default()
        }
    }

    /// A person decided a held change: approved = queued again, rejected = dropped, nobody in
    /// time = it stays held (still listed). Only what the approval record confirms is acted on.
    pub(crate) async fn on_desk_decided(
        &self,
        ctx: &mut Ctx<'_>,
        d: &ApprovalDecided,
    ) -> Result<(), AgentError> {
        ascent_core::approval::confirmed(ctx, d).await?;
        let Some((desk, change)) = parse_subject(&d.subject) else {
            return Err(AgentError::Invalid(format!(
                "field `payload.subject`: `{}` is not `<desk>#<change id>` of a desk Support knows",
                d.subject
            )));
        };
        let ob = outbox(desk);
        // Either way, a second delivery finds nothing held and changes nothing.
        match d.outcome {
            ApprovalOutcome::Approved => ob.release::<DeskUpdate>(ctx, change).await.map(|_| ()),
            ApprovalOutcome::Rejected => ob.drop_held(ctx, change).await.map(|_| ()),
            ApprovalOutcome::Expired => Ok(()),
        }
    }
}

/// The approval kind and requesting agent of held changes (the subscription's filter).
pub fn decided_pattern() -> serde_json::Value {
    serde_json::json!({
        "detail-type": ["ApprovalDecided"],
        "detail": {"payload": {"requested_by_agent": [NAME], "kind": [KIND]}}
    })
}
