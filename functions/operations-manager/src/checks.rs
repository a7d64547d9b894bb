//! The SLA check (schedule `sla`): a bounded page of the running clocks past their deadline,
//! earliest first; each is flagged (out of the index, so never raised again), counted on the
//! day of its deadline, raised as `ThresholdCrossed` and mailed to the process's owner. More
//! than a page waits for the next check.

use crate::OperationsManager;
use crate::clocks::{DUE_INDEX, stamp};
use crate::sla::{self, Clock, Step};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{Direction, ThresholdCrossed};
use ascent_core::context::Ctx;
use ascent_core::limits::MAX_WRITES;
use ascent_core::ports::{Mail, Query, SortKey};
use chrono::{DateTime, Utc};

/// The breach's mail: what, since when, the target, and how late.
pub fn breach_mail(clock: &Clock, target_minutes: u32, now: DateTime<Utc>, owner: &str) -> Mail {
    let started = clock.started_at.unwrap_or(now);
    let open_minutes = (now - started).num_minutes();
    let label = clock.process.label();
    Mail {
        to: owner.to_string(),
        subject: format!(
            "SLA breach: {label} of {} ({open_minutes} min, target {target_minutes} min)",
            clock.subject
        ),
        text: format!(
            "The {label} of {} started {} and has no end after {open_minutes} minutes; \
             the target is {target_minutes} minutes (due {}).\nPlease see to it: this breach is reported once.\n",
            clock.subject,
            stamp(started),
            clock.due_at.map(stamp).unwrap_or_default(),
        ),
        ..Default::default()
    }
}

impl OperationsManager {
    pub(crate) async fn check_slas(
        &self,
        ctx: &mut Ctx<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        let q = Query::gsi1(DUE_INDEX)
            .sort(SortKey::AtMost(format!("{}#~", stamp(now))))
            .limit(self.config.breaches_per_run);
        let due: Vec<Clock> = ctx.query_as(Domain::Performance, &q).await?;
        for clock in due {
            // A clock and a day record at most: the rest waits for the next check.
            if ctx.effects().writes.len() + 2 > MAX_WRITES {
                break;
            }
            match sla::check(clock.clone(), now) {
                Step::Breached(flagged) => {
                    let p = flagged.process;
                    let target = self.config.sla.of(p);
                    let started = flagged.started_at.unwrap_or(now);
                    let due_day = self.day_of(flagged.due_at.unwrap_or(now));
                    ctx.emit(ThresholdCrossed {
                        metric: format!("sla.{}:{}", p.as_str(), flagged.subject),
                        value: (now - started).num_minutes() as f64,
                        threshold: f64::from(target.target_minutes),
                        direction: Direction::Above,
                    })?;
                    ctx.send_mail(breach_mail(
                        &flagged,
                        target.target_minutes,
                        now,
                        &target.owner,
                    ))?;
                    self.save_clock(ctx, flagged)?;
                    self.figures(ctx, due_day, p, |f| f.breaches += 1).await?;
                }
                // Ended or flagged already (an index entry left behind): drop it from the index.
                _ => {
                    let mut c = clock;
                    c.breached = c.breached || c.ended_at.is_none();
                    self.save_clock(ctx, c)?;
                }
            }
        }
        Ok(())
    }
}
