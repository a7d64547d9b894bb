//! The hourly health-scoring run: accounts not yet scored today scored ([`crate::health`]),
//! tiered, announced (`HealthScored`) when something changed, an intervention playbook planned
//! when an account moves into a worse tier, and renewal reminders sent.

use crate::{ACCOUNTS, Retention, arr, handover, health};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    HealthScored, HealthTier, InterventionPlanned, Playbook, RenewalApproaching, ScheduleTick,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Mail, Query, SortKey};
use chrono::Duration;
use health::Signals;

impl Retention {
    /// The hourly health-scoring run.
    ///
    /// Bounded by paging, continuing in the next run: one run scores at most
    /// `accounts_per_run` accounts not yet scored today (one write each; the setting is refused
    /// above [`ascent_core::limits::MAX_WRITES`]), longest ago first; the next hourly run
    /// takes the next page.
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = tick.at.date_naive();
        // Not yet scored today, longest ago first.
        let q = Query::gsi1(ACCOUNTS)
            .sort(SortKey::AtMost(format!("{}~", today - Duration::days(1))))
            .limit(self.config.accounts_per_run);
        let accounts: Vec<Signals> = ctx.query_as(Domain::Customer, &q).await?;
        if accounts.is_empty() {
            return Ok(());
        }
        let model = self.model(ctx).await?;
        for mut s in accounts {
            if s.renewed == Some(false) {
                continue; // churned: nothing left to keep
            }
            let v = s.version;
            s.scored_on = Some(today);
            let components = health::components(&s, today, &self.config.health);
            let (score, model_name) = match &model {
                Some(m) => (
                    (m.predict(&health::features(&components)) * 100.0).round() as u8,
                    m.name(),
                ),
                None => (health::weighted(&components), "default-v1".to_string()),
            };
            // At risk whatever the score while Onboarding has handed the account over.
            let tier = handover::tier(&s, self.config.tiers.tier(score));
            // ARR on the day (recurring lines only, per currency) and the renewal date.
            let arr = arr::arr_on(&s.recurring, s.renewal_arr.as_ref(), today);
            s.arr = match arr.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            };
            let renews_on = s.renews_on(self.config.term_months, today);
            let announced = Some((arr.clone(), renews_on));
            if s.last_score
                .is_none_or(|last| last.abs_diff(score) >= self.config.rescore_announce_delta)
                || s.last_tier != Some(tier)
                || s.announced != announced
            {
                s.announced = announced;
                ctx.emit(HealthScored {
                    account_id: s.account_id.clone(),
                    score,
                    tier,
                    components: components.clone(),
                    model: model_name,
                    arr: s.arr.clone(),
                    renews_on: Some(renews_on),
                    arr_by_currency: arr.clone(),
                })?;
            }
            // Moving into a worse tier plans an intervention.
            let worse = !matches!(
                (s.last_tier, tier),
                (_, HealthTier::Healthy)
                    | (Some(HealthTier::AtRisk), _)
                    | (Some(HealthTier::Watch), HealthTier::Watch)
            );
            if worse {
                let weakest = components
                    .iter()
                    .min_by_key(|c| c.score)
                    .expect("five components");
                let (playbook, owner) = match (tier, weakest.name.as_str()) {
                    (HealthTier::AtRisk, _) => {
                        (Playbook::ExecutiveOutreach, self.config.executive.clone())
                    }
                    (_, "usage_trend" | "engagement") => {
                        (Playbook::TrainingOffer, s.manager.clone())
                    }
                    _ => (Playbook::SuccessPlan, s.manager.clone()),
                };
                let health = format!(
                    "health {score} ({tier:?}); weakest: {} — {}",
                    weakest.name, weakest.detail
                );
                let reason = match handover::reason(&s) {
                    Some(onboarding) => format!("{onboarding}; {health}"),
                    None => health,
                };
                ctx.send_mail(Mail {
                    to: owner.clone(),
                    subject: format!("{playbook:?} for {}", s.account_id),
                    text: format!("{}: {reason}\nPlaybook: {playbook:?}.\n", s.account_id),
                    html: None,
                    ..Default::default()
                })?;
                ctx.emit(InterventionPlanned {
                    account_id: s.account_id.clone(),
                    playbook,
                    reason,
                    owner,
                })?;
            }
            s.last_score = Some(score);
            s.last_tier = Some(tier);
            // Renewal reminders at the configured days ahead (once each, even after a missed
            // day), again for each new renewal date.
            match s.reminders_for {
                Some(d) if d != renews_on => s.reminders_sent.clear(),
                _ => {}
            }
            s.reminders_for = Some(renews_on);
            let days_left = (renews_on - today).num_days();
            let reminders = &self.config.renewal_reminder_days;
            for &r in reminders {
                if days_left <= r as i64 && days_left >= 0 && !s.reminders_sent.contains(&r) {
                    s.reminders_sent.push(r);
                    if days_left
                        > reminders
                            .iter()
                            .copied()
                            .filter(|x| *x < r)
                            .max()
                            .unwrap_or(0) as i64
                    {
                        // The account's ARR (an account billed in several currencies names
                        // the first; the HealthScored event carries them all).
                        let arr = arr
                            .first()
                            .cloned()
                            .unwrap_or_else(|| Money::zero(&self.config.base_currency));
                        ctx.send_mail(Mail {
                            to: s.manager.clone(),
                            subject: format!("Renewal in {r} days: {}", s.account_id),
                            text: format!(
                                "{} renews on {} ({} ARR); health {score} ({tier:?}).\n",
                                s.account_id, renews_on, arr
                            ),
                            html: None,
                            ..Default::default()
                        })?;
                        ctx.emit(RenewalApproaching {
                            account_id: s.account_id.clone(),
                            renews_on,
                            days_left: r,
                            arr,
                            tier,
                            term_months: s.term.map(|t| t.months),
                            auto_renew: s.term.map(|t| t.auto_renew),
                        })?;
                    }
                }
            }
            s.version += 1;
            self.save(ctx, &s, Some(v))?;
        }
        Ok(())
    }
}
