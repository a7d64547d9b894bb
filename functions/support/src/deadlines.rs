//! The SLA clocks over a ticket's life: paused while it is pending on the customer (the desk's
//! `TicketStatusChanged`), resumed with what was left of each timer when it is open again; and
//! the check on the `sla` schedule (every `[schedule] sla_check_minutes`), which warns the team
//! lead once a timer has used `[support] warn_at_pct` of its target and escalates a missed
//! deadline (`SlaBreached`) within minutes of it.

use crate::{PENDING, SLA_CHECKS_PER_RUN, Support, Ticket, sla, stamp};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    ScheduleTick, SlaBreached, SlaTimer, TicketStatus, TicketStatusChanged,
};
use ascent_core::context::Ctx;
use ascent_core::ports::{Mail, Query, SortKey};

const TIMERS: [SlaTimer; 2] = [SlaTimer::FirstResponse, SlaTimer::Resolution];

impl Support {
    /// Pending on the customer pauses the clocks; open again resumes them with what was left.
    pub(crate) async fn on_status(
        &self,
        ctx: &mut Ctx<'_>,
        c: &TicketStatusChanged,
    ) -> Result<(), AgentError> {
        let mut t = self.known(ctx, &c.ticket_id).await?;
        if t.resolved_at.is_some() {
            return Ok(());
        }
        let v = t.version;
        match (c.status, t.paused_at) {
            (TicketStatus::Pending, None) => t.paused_at = Some(c.changed_at),
            (TicketStatus::Open, Some(paused_at)) => {
                let target = self.config.target(t.priority).clone();
                let hours = &self.config.hours;
                let moved = |d| sla::resume(d, paused_at, c.changed_at, &target, hours, self.zone);
                t.first_response_due = moved(t.first_response_due);
                t.resolution_due = moved(t.resolution_due);
                t.first_response_warn_at = t.first_response_warn_at.map(moved);
                t.resolution_warn_at = t.resolution_warn_at.map(moved);
                t.paused_at = None;
            }
            _ => return Ok(()), // already so (told twice)
        }
        t.version += 1;
        self.save(ctx, &t, Some(v))
    }

    /// The SLA check.
    ///
    /// Bounded by paging, continuing in the next run: one run looks at most
    /// [`SLA_CHECKS_PER_RUN`] tickets whose next deadline or warning has passed (one write
    /// each, and the breach note queued for a desk ticket's desk), the earliest first; each write moves the ticket on the index to its next one or
    /// off it, so the next run takes the next page.
    pub(crate) async fn on_sla_check(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let q = Query::gsi1(PENDING)
            .sort(SortKey::AtMost(format!("{}~", stamp(tick.at))))
            .limit(SLA_CHECKS_PER_RUN);
        for mut t in ctx.query_as::<Ticket>(Domain::Interaction, &q).await? {
            let v = t.version;
            let running: Vec<SlaTimer> = TIMERS.into_iter().filter(|x| t.running(*x)).collect();
            let breached: Vec<SlaTimer> = running
                .iter()
                .copied()
                .filter(|x| t.due(*x) <= tick.at)
                .collect();
            let at_risk: Vec<SlaTimer> = running
                .iter()
                .copied()
                .filter(|x| !breached.contains(x) && t.warn_at(*x).is_some_and(|w| w <= tick.at))
                .collect();
            if breached.is_empty() && at_risk.is_empty() {
                continue;
            }
            let lead = self.config.team(&t.team)?.lead.clone();
            for timer in at_risk {
                t.warned.push(timer);
                ctx.send_mail(Mail {
                    to: lead.clone(),
                    subject: format!("SLA at risk: {} ({:?}, {timer:?})", t.ticket_id, t.priority),
                    text: format!(
                        "{} ({}) has used {}% of its {timer:?} target; it is due {}.\n",
                        t.ticket_id,
                        t.subject,
                        self.config.warn_at_pct,
                        stamp(t.due(timer))
                    ),
                    ..Default::default()
                })?;
            }
            if !breached.is_empty()
                && let Some((desk, remote)) = self.desk_of(&t.ticket_id)
            {
                let update = crate::desk::breach_update(&t, &remote, &breached, &lead);
                self.queue_for_desk(ctx, desk, tick.at, "breach", update)?;
            }
            for timer in breached {
                let due_at = t.due(timer);
                t.breached.push(timer);
                ctx.send_mail(Mail {
                    to: lead.clone(),
                    subject: format!("SLA breached: {} ({:?}, {timer:?})", t.ticket_id, t.priority),
                    text: format!(
                        "{} ({}) missed its {timer:?} deadline {}. Take it over or reassign it now.\n",
                        t.ticket_id,
                        t.subject,
                        stamp(due_at)
                    ),
                    ..Default::default()
                })?;
                ctx.emit(SlaBreached {
                    ticket_id: t.ticket_id.clone(),
                    account_id: t.account_id.clone(),
                    timer,
                    priority: t.priority,
                    due_at,
                    escalated_to: lead.clone(),
                })?;
            }
            t.version += 1;
            self.save(ctx, &t, Some(v))?;
        }
        Ok(())
    }
}
