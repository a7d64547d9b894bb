//! The daily run: the day's AR ageing snapshot, then dunning of overdue invoices (reminders at
//! the configured days, then escalation to collections), bounded per run.

use crate::{Billing, Invoice, NAME, OPEN_INVOICES, ageing, dunning};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    DunningAction, DunningStepTaken, ExceptionRaised, ScheduleTick, Severity,
};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use ascent_core::records::{AR_AGEING_PK, ar_ageing_sk};
use chrono::Duration;

/// Invoices one daily run dunns (one write each, beside the ageing snapshot): derived from
/// AWS's limit on one message's transaction, not a business setting.
pub const DUNNING_PER_RUN: usize = ascent_core::limits::MAX_WRITES - 1;

impl Billing {
    /// The daily run: the AR ageing snapshot, then dunning.
    ///
    /// Bounded by continuing in the next run: one run dunns at most [`DUNNING_PER_RUN`]
    /// invoices, the longest overdue first (the open-invoice index is ordered by due date);
    /// the rest are still due a step tomorrow and are dunned then, so whatever the backlog,
    /// one message commits at most `1 + DUNNING_PER_RUN` writes (AWS's 100 items per
    /// transaction, each write audited).
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = self.config.business_date(tick.at);
        // The day's AR ageing snapshot, from the open-invoice index (never a table scan).
        let open: Vec<Invoice> = ctx
            .query_as(Domain::Financial, &Query::gsi1(OPEN_INVOICES))
            .await?;
        let snapshot = ageing::ageing(today, &open);
        ctx.put_record(
            Domain::Financial,
            AR_AGEING_PK,
            &ar_ageing_sk(today),
            &snapshot,
            None,
            Condition::Always,
        )?;
        let yesterday = today - Duration::days(1);
        // Overdue = due before today: a range query on the open-invoice index.
        let q = Query::gsi1(OPEN_INVOICES).sort(SortKey::AtMost(format!("{yesterday}#~")));
        let mut dunned = 0;
        for mut inv in ctx.query_as::<Invoice>(Domain::Financial, &q).await? {
            if dunned == DUNNING_PER_RUN {
                break; // the rest in the next run
            }
            let days_overdue = (today - inv.due_on).num_days().max(0) as u32;
            let Some((step, action)) = self.config.dunning.due_step(days_overdue, inv.dunning_step)
            else {
                continue;
            };
            let outstanding = inv.outstanding();
            ctx.emit(DunningStepTaken {
                invoice_id: inv.invoice_id.clone(),
                account_id: inv.account_id.clone(),
                step,
                days_overdue,
                action,
                outstanding: outstanding.clone(),
            })?;
            match action {
                DunningAction::Reminder => {
                    if let Some(to) = &inv.billing_email {
                        inv.reminders_sent.push(today);
                        ctx.send_mail(Mail {
                            to: to.clone(),
                            subject: format!("Reminder: invoice {} is {days_overdue} days overdue", inv.invoice_id),
                            text: format!(
                                "Invoice {} was due on {}. {} is outstanding. Please pay at your earliest convenience.\n",
                                inv.invoice_id, inv.due_on, outstanding
                            ),
                            html: None,
                            ..Default::default()
                        })?;
                    }
                }
                DunningAction::Escalation => {
                    ctx.emit(ExceptionRaised {
                        agent: NAME.into(),
                        subject: inv.invoice_id.clone(),
                        reason: dunning::escalation_reason(
                            &inv.invoice_id,
                            days_overdue,
                            &outstanding,
                            &inv.reminders_sent,
                        ),
                        severity: Severity::High,
                    })?;
                }
            }
            inv.dunning_step = step;
            let v = inv.version;
            self.save(ctx, inv, Some(v))?;
            dunned += 1;
        }
        Ok(())
    }
}
