//! The daily run: milestones past their due date stalled, re-escalated on schedule
//! ([`crate::escalation`]) and, at the last escalation, handed over as at risk.

use crate::{IN_PROGRESS, Onboarding, OnboardingPlan, escalation, label};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{OnboardingStalled, ScheduleTick};
use ascent_core::context::Ctx;
use ascent_core::ports::{Mail, Query, SortKey};

impl Onboarding {
    /// The daily run: stalls, re-escalations and at-risk hand-overs that are due, at most 40
    /// plans a run (the rest stay due on the index for the next run).
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        t: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = t.at.date_naive();
        let rule = self.config.escalation;
        let q = Query::gsi1(IN_PROGRESS)
            .sort(SortKey::AtMost(format!("{today}~")))
            .limit(40);
        for mut plan in ctx.query_as::<OnboardingPlan>(Domain::Customer, &q).await? {
            let previous = plan.version;
            let mut due = Vec::new();
            for m in plan.milestones.iter_mut() {
                let (n, at_risk) = match escalation::step(m, today, rule) {
                    escalation::Step::Nothing => continue,
                    escalation::Step::Escalate(n) => (n, false),
                    escalation::Step::AtRisk(n) => (n, true),
                };
                m.stalled = true;
                m.escalations = n;
                m.last_escalated_on = Some(today);
                due.push((m.milestone, m.due_on, n, at_risk));
            }
            if due.is_empty() {
                continue;
            }
            for (milestone, due_on, n, at_risk) in due {
                let subject = match (n, at_risk) {
                    (_, true) => format!("At risk: {} has stalled onboarding", plan.account_id),
                    (1, _) => format!("Intervention: {} is stuck on onboarding", plan.account_id),
                    _ => format!("Still stuck ({n}): {} on onboarding", plan.account_id),
                };
                let ask = if at_risk {
                    "Onboarding is given up as at risk: Retention takes the account over as at risk \
                     and plans executive outreach."
                } else {
                    "Call them this week and offer a guided session."
                };
                ctx.send_mail(Mail {
                    to: plan.manager.clone(),
                    subject,
                    text: format!(
                        "{} has not managed to {} (due {due_on}; escalation {n} of {}). {ask} \
                         Contact: {}\n",
                        plan.account_id,
                        label(milestone),
                        rule.max_escalations,
                        plan.contact
                    ),
                    ..Default::default()
                })?;
                ctx.emit(OnboardingStalled {
                    account_id: plan.account_id.clone(),
                    milestone,
                    due_on,
                    assigned_to: plan.manager.clone(),
                    escalation: Some(n),
                    at_risk,
                })?;
            }
            plan.version += 1;
            self.save(ctx, &plan, Some(previous))?;
        }
        Ok(())
    }
}
