//! # Operations Manager agent
//!
//! The operations team's lead. It measures four processes' service levels from the events
//! ([`sla`]): lead response (`LeadCreated` → the lead's first sent `OutreachStepTaken`), ticket
//! first response (`TicketOpened` → `TicketResponded`), invoice issue (`DealClosedWon` → the
//! deal's `InvoiceIssued`) and approval turnaround (the first `ApprovalRequested` →
//! `ApprovalDecided`). Each instance is a clock record correlated by its id; a running clock is
//! indexed by its deadline, and the SLA check (schedule `sla`) reads a bounded page of those
//! past due: each is a breach, raised once as `ThresholdCrossed` (metric
//! `sla.<process>:<id>`) and mailed to the process's owner ([`checks`]). Figures per process
//! and day: completions (count, median, p90) on the day of the end, breaches on the day of the
//! deadline.
//!
//! It keeps the day's leads and closed deals and the open tickets and invoices in dunning, and
//! at the daily run checks each KPI against its bounds ([`kpi`]), raising `ThresholdCrossed`
//! once per crossing. From `QueueDepthObserved` it recommends each agent's concurrency by
//! Little's law ([`capacity`]). The daily run mails the operations report (SLA figures and
//! breaches, KPIs, capacity) and keeps it as a record ([`report`]). Days are the company's
//! (`[company] time_zone`). Settings: `[operations_manager]`.

pub mod capacity;
mod checks;
mod clocks;
mod daily;
pub mod kpi;
pub mod report;
mod settings;
pub mod sla;

pub use settings::{
    AWS_MAX_CONCURRENCY, AWS_MIN_CONCURRENCY, Bounds, Capacity, KpiBounds, OperationsConfig,
    SlaTarget, SlaTargets,
};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{Payload, StepOutcome};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use serde_json::json;
use sla::Process;

pub const NAME: &str = "operations-manager";
/// Every record's key starts with it (in the performance domain).
pub const PREFIX: &str = "ops-manager#";
/// The schedule of the SLA check (the platform's, `[schedule] sla_check_minutes`).
pub const SLA_SCHEDULE: &str = "sla";
/// The schedule of the KPI check and the report.
pub const DAILY_SCHEDULE: &str = "daily";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Operations,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "process-events",
                pattern: json!({"detail-type": [
                    "LeadCreated", "OutreachStepTaken", "TicketOpened", "TicketResponded",
                    "TicketResolved", "DealClosedWon", "DealClosedLost", "InvoiceIssued",
                    "DunningStepTaken", "InvoicePaid", "ApprovalRequested", "ApprovalDecided"
                ]}),
            },
            Subscription {
                name: "queue-observations",
                pattern: json!({"detail-type": ["QueueDepthObserved"]}),
            },
            Subscription {
                name: "sla-and-daily",
                pattern: json!({"detail-type": ["ScheduleTick"],
                                "detail": {"payload": {"schedule": [SLA_SCHEDULE, DAILY_SCHEDULE]}}}),
            },
        ],
        // Approvals: every agent acting on decisions may read their records (none read here).
        reads: vec![Domain::Performance, Domain::Approvals],
        // A clock's subject is a lead id for the lead-response clocks (a ticket, deal or
        // approval id for the others); the figures, gauges and reports under it are counts.
        owns: vec![owns(Domain::Performance, PREFIX).holding(Personal::deleted(
            &["subject"],
            &[],
            "Time a lead's first response and a ticket's against their targets",
            Retention::Days("interactions_days"),
        ))],
        emits: vec!["ThresholdCrossed"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct OperationsManager {
    decl: AgentDecl,
    config: OperationsConfig,
}

/// The longest correlating id kept: it is part of a record's key (DynamoDB keys hold 2,048
/// bytes; the index's sort key adds the deadline and the process).
pub const MAX_ID_BYTES: usize = 256;

/// A correlating id must be there: the clock is keyed by it.
fn id<'a>(field: &str, value: &'a str) -> Result<&'a str, AgentError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AgentError::Invalid(format!("field `{field}` is empty")));
    }
    if v.len() > MAX_ID_BYTES {
        return Err(AgentError::Invalid(format!(
            "field `{field}` is {} bytes long, above {MAX_ID_BYTES}",
            v.len()
        )));
    }
    Ok(v)
}

#[async_trait]
impl Agent for OperationsManager {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let at = event.time;
        match event.payload() {
            Payload::LeadCreated(l) => {
                let lead = id("lead_id", &l.lead_id)?;
                if self.start(ctx, Process::LeadResponse, lead, at).await? {
                    self.count_day(ctx, self.day_of(at), |d| d.leads += 1)
                        .await?;
                }
                Ok(())
            }
            Payload::OutreachStepTaken(s) => {
                if s.outcome == StepOutcome::Skipped {
                    return Ok(()); // nothing reached the lead
                }
                let lead = id("lead_id", &s.lead_id)?;
                self.stop(ctx, Process::LeadResponse, lead, at).await
            }
            Payload::TicketOpened(t) => {
                let ticket = id("ticket_id", &t.ticket_id)?;
                let opened = t.created_at.unwrap_or(at);
                self.start(ctx, Process::TicketFirstResponse, ticket, opened)
                    .await?;
                self.open(ctx, "ticket", ticket, |g| &mut g.open_tickets)
                    .await
            }
            Payload::TicketResponded(t) => {
                let ticket = id("ticket_id", &t.ticket_id)?;
                self.stop(ctx, Process::TicketFirstResponse, ticket, t.responded_at)
                    .await
            }
            Payload::TicketResolved(t) => {
                let ticket = id("ticket_id", &t.ticket_id)?;
                self.close(ctx, "ticket", ticket, |g| &mut g.open_tickets)
                    .await
            }
            Payload::DealClosedWon(d) => {
                let deal = id("deal_id", &d.deal_id)?;
                if self.start(ctx, Process::InvoiceIssue, deal, at).await? {
                    self.count_day(ctx, self.day_of(at), |d| d.won += 1).await?;
                }
                Ok(())
            }
            Payload::DealClosedLost(d) => {
                let deal = id("deal_id", &d.deal_id)?;
                self.deal_lost(ctx, deal, self.day_of(at)).await
            }
            Payload::InvoiceIssued(i) => match i.deal_id.as_deref() {
                // A renewal or a usage invoice has no deal: nothing to measure.
                None => Ok(()),
                Some(deal) => {
                    let deal = id("deal_id", deal)?;
                    self.stop(ctx, Process::InvoiceIssue, deal, at).await
                }
            },
            Payload::DunningStepTaken(d) => {
                let invoice = id("invoice_id", &d.invoice_id)?;
                self.open(ctx, "invoice", invoice, |g| &mut g.overdue_invoices)
                    .await
            }
            Payload::InvoicePaid(p) => {
                let invoice = id("invoice_id", &p.invoice_id)?;
                self.close(ctx, "invoice", invoice, |g| &mut g.overdue_invoices)
                    .await
            }
            Payload::ApprovalRequested(a) => {
                let approval = id("approval_id", &a.approval_id)?;
                self.start(ctx, Process::ApprovalTurnaround, approval, at)
                    .await
                    .map(|_| ())
            }
            Payload::ApprovalDecided(a) => {
                let approval = id("approval_id", &a.approval_id)?;
                self.stop(ctx, Process::ApprovalTurnaround, approval, at)
                    .await
            }
            Payload::QueueDepthObserved(o) => self.observe_queue(ctx, o).await,
            Payload::ScheduleTick(t) if t.schedule == SLA_SCHEDULE => {
                self.check_slas(ctx, t.at).await
            }
            Payload::ScheduleTick(t) if t.schedule == DAILY_SCHEDULE => self.daily(ctx, t.at).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod privacy_tests;
#[cfg(test)]
mod tests;
