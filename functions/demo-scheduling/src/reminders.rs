//! The daily reminder run: prospects and reps reminded of the demos of the next
//! `reminder_hours_ahead` hours, a bounded number a run.

use crate::{Demo, DemoScheduling, DemoStatus, NAME, UPCOMING, slots, stamp};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{ExceptionRaised, ScheduleTick, Severity};
use ascent_core::context::Ctx;
use ascent_core::ports::{Mail, Query, SortKey};
use chrono::Duration;
use chrono_tz::Tz;

impl DemoScheduling {
    /// The daily reminder run.
    ///
    /// Bounded by continuing in the next run: one run reminds at most
    /// [`REMINDERS_PER_RUN`] demos (one write each), the soonest first; those left are still
    /// ahead at the next daily run (the window, `reminder_hours_ahead`, reaches past it) and
    /// are reminded then. Only more than that many demos starting before the next run could
    /// miss their reminder: each of those is raised as an exception, never dropped silently.
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let next_run = tick.at + Duration::days(1);
        let mut reminded = 0;
        let q = Query::gsi1(UPCOMING).sort(SortKey::Between(
            stamp(tick.at),
            format!(
                "{}~",
                stamp(tick.at + Duration::hours(self.config.reminder_hours_ahead))
            ),
        ));
        for mut d in ctx.query_as::<Demo>(Domain::Customer, &q).await? {
            if d.reminded || d.status != DemoStatus::Scheduled {
                continue;
            }
            if reminded == REMINDERS_PER_RUN {
                if d.slot.start < next_run {
                    ctx.emit(ExceptionRaised {
                        agent: NAME.into(),
                        subject: d.demo_id.clone(),
                        reason: format!(
                            "more than {REMINDERS_PER_RUN} demos to remind in one run: demo {} starts before the next run without a reminder",
                            d.demo_id
                        ),
                        severity: Severity::Low,
                    })?;
                }
                continue;
            }
            reminded += 1;
            let r = &d.request;
            let zone: Tz = r.prospect_time_zone.parse().unwrap_or(Tz::UTC);
            let local = slots::local_label(d.slot.start, zone);
            for to in [&r.prospect_email, &r.rep] {
                ctx.send_mail(Mail {
                    to: to.clone(),
                    subject: format!("Reminder: {} demo {local}", self.config.company),
                    text: format!(
                        "Demo {} with {} and {} starts {local}. Prep: {}\n",
                        d.demo_id, r.prospect_name, r.rep, self.config.prep_material
                    ),
                    html: None,
                    ..Default::default()
                })?;
            }
            d.reminded = true;
            self.save(ctx, &d)?;
        }
        Ok(())
    }
}

/// Demos one daily run reminds (one write each): derived from AWS's limit on one message's
/// transaction, not a business setting.
pub const REMINDERS_PER_RUN: usize = ascent_core::limits::MAX_WRITES;
