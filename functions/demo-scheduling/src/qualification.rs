//! Qualifying a demo request (budget, authority, need, timeline): what stands between the
//! request and a demo, and the answer to a requester who is not qualified yet.

use crate::{DemoConfig, DemoScheduling, earliest_start};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{DemoQualificationFailed, DemoRequested, Qualification};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail};
use chrono::NaiveDate;
use serde_json::json;

/// What stands between a request made `on` a day and a demo; empty = qualified. A budget in
/// another accepted currency is converted at the rates in effect that day.
pub fn qualification_gaps(
    q: &Qualification,
    config: &DemoConfig,
    on: NaiveDate,
) -> (Vec<String>, bool) {
    let mut gaps = Vec::new();
    let mut unknown = 0;
    let mut hard = false;
    match &q.budget {
        None => {
            unknown += 1;
            gaps.push("budget: unknown".to_string());
        }
        // Same currency: nothing to convert, whatever the date's rate tables.
        Some(b) => match if b.currency == config.min_budget.currency {
            config.fx.check_accepted(&b.currency).map(|()| b.clone())
        } else {
            config.fx.convert_on(b, &config.min_budget.currency, on)
        } {
            Ok(have) if have.amount_minor < config.min_budget.amount_minor => {
                hard = true;
                gaps.push(format!(
                    "budget: {b} is below the minimum {}",
                    config.min_budget
                ));
            }
            Err(e) => {
                hard = true;
                gaps.push(format!("budget: {e}"));
            }
            _ => {}
        },
    }
    match q.authority {
        None => {
            unknown += 1;
            gaps.push("authority: unknown".into());
        }
        Some(false) => {
            hard = true;
            gaps.push("authority: the contact cannot decide".into());
        }
        Some(true) => {}
    }
    if q.need.as_deref().is_none_or(|n| n.trim().is_empty()) {
        unknown += 1;
        gaps.push("need: none stated".into());
    }
    match q.timeline_days {
        None => {
            unknown += 1;
            gaps.push("timeline: none given".into());
        }
        Some(d) if d > config.max_timeline_days => {
            hard = true;
            gaps.push(format!(
                "timeline: {d} days is beyond {} days",
                config.max_timeline_days
            ));
        }
        Some(_) => {}
    }
    let qualified = !hard && unknown <= config.max_unknowns;
    (gaps, qualified)
}

impl DemoScheduling {
    pub(crate) async fn on_requested(
        &self,
        ctx: &mut Ctx<'_>,
        r: &DemoRequested,
    ) -> Result<(), AgentError> {
        let key = format!("demo-request#{}", r.request_id);
        if ctx.get(Domain::Customer, &key, "current").await?.is_some()
            || ctx.get(Domain::Customer, &key, "declined").await?.is_some()
        {
            return Ok(()); // requested twice
        }
        let (gaps, qualified) =
            qualification_gaps(&r.qualification, &self.config, ctx.now().date_naive());
        if !qualified {
            ctx.put_record(
                Domain::Customer,
                &key,
                "declined",
                &json!({"gaps": gaps}),
                None,
                Condition::NotExists,
            )?;
            // The requester hears back too: what we would like to know first.
            ctx.send_mail(Mail {
                to: r.prospect_email.clone(),
                subject: format!("Your {} demo request", self.config.company),
                text: format!(
                    "Hello {},\n\nthank you for asking for a demo. Before we book one, {} \
                     would like to learn a little more about your plans; expect an email from \
                     them in the next business days. Meanwhile: {}\n",
                    r.prospect_name, r.rep, self.config.prep_material
                ),
                ..Default::default()
            })?;
            ctx.send_mail(Mail {
                to: r.rep.clone(),
                subject: format!("No demo for {} yet: back to nurture", r.prospect_name),
                text: format!(
                    "{} <{}> asked for a demo but is not qualified yet:\n- {}\n",
                    r.prospect_name,
                    r.prospect_email,
                    gaps.join("\n- ")
                ),
                html: None,
                ..Default::default()
            })?;
            return ctx.emit(DemoQualificationFailed {
                request_id: r.request_id.clone(),
                lead_id: r.lead_id.clone(),
                prospect_email: r.prospect_email.clone(),
                gaps,
            });
        }
        let from = earliest_start(ctx.now(), r.headsets, &self.config);
        if self.book(ctx, r, 1, from, None).await?.is_none() {
            self.no_slot(ctx, r)?;
        }
        Ok(())
    }
}
