//! Onboarding's at-risk hand-over (issue 23): the last escalation of a stalled milestone
//! (`OnboardingStalled` with `at_risk`, Onboarding's end state) marks the account at risk in
//! Retention's own record until that milestone is reached after all
//! (`OnboardingMilestoneReached`). While it is marked, the scoring run tiers the account at
//! risk whatever its score, so Retention's plays for at-risk accounts follow as for any other:
//! the move into at risk is announced (`HealthScored`) and plans executive outreach
//! (`InterventionPlanned`), the reason starting "onboarding stalled at <milestone>". A hand-over
//! or its end asks for a fresh score at the next hourly run. Stalls that are not the hand-over
//! (`at_risk` false) are Onboarding's own business: Retention's subscription does not take
//! them, and they would change nothing.

use crate::Retention;
use crate::health::Signals;
use ascent_core::agent::AgentError;
use ascent_core::catalog::{HealthTier, OnboardingMilestone, OnboardingStalled};
use ascent_core::context::Ctx;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A milestone Onboarding gave up on and handed the account over for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalledOnboarding {
    pub milestone: OnboardingMilestone,
    pub due_on: NaiveDate,
    /// The day of the hand-over (the event's).
    pub handed_over_on: NaiveDate,
}

/// What an onboarding event does to an account Retention follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Nothing: not a hand-over, already recorded, not handed over, or a churned account.
    Nothing,
    /// Mark the account at risk for this milestone.
    MarkAtRisk,
    /// The milestone was reached after all: the mark for it ends.
    Clear,
}

/// What `OnboardingStalled` does to `s`.
pub fn on_stalled(s: &Signals, e: &OnboardingStalled) -> Change {
    if !e.at_risk
        || s.renewed == Some(false)
        || s.onboarding_stalled
            .iter()
            .any(|m| m.milestone == e.milestone)
    {
        return Change::Nothing;
    }
    Change::MarkAtRisk
}

/// What reaching `milestone` does to `s`.
pub fn on_reached(s: &Signals, milestone: OnboardingMilestone) -> Change {
    if s.onboarding_stalled
        .iter()
        .any(|m| m.milestone == milestone)
    {
        Change::Clear
    } else {
        Change::Nothing
    }
}

/// The tier of an account scored `scored`: at risk while onboarding has handed it over.
pub fn tier(s: &Signals, scored: HealthTier) -> HealthTier {
    if s.onboarding_stalled.is_empty() {
        scored
    } else {
        HealthTier::AtRisk
    }
}

/// Why the account is at risk because of its onboarding, if it is:
/// `onboarding stalled at first XR session (due 2026-03-07)`, several joined by `; `.
pub fn reason(s: &Signals) -> Option<String> {
    if s.onboarding_stalled.is_empty() {
        return None;
    }
    let each: Vec<String> = s
        .onboarding_stalled
        .iter()
        .map(|m| {
            format!(
                "onboarding stalled at {} (due {})",
                milestone_name(m.milestone),
                m.due_on
            )
        })
        .collect();
    Some(each.join("; "))
}

/// A milestone as people say it.
pub fn milestone_name(m: OnboardingMilestone) -> &'static str {
    match m {
        OnboardingMilestone::AccountSetUp => "account set-up",
        OnboardingMilestone::FirstXrSession => "first XR session",
        OnboardingMilestone::TeamInvited => "team invited",
        OnboardingMilestone::FirstProjectShipped => "first project shipped",
    }
}

impl Retention {
    /// `OnboardingStalled` of a known account on `today`: the hand-over marks it at risk.
    pub(crate) async fn on_onboarding_stalled(
        &self,
        ctx: &mut Ctx<'_>,
        e: &OnboardingStalled,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let Some(mut s) = self.signals(ctx, &e.account_id).await? else {
            return Ok(()); // not a customer yet
        };
        if on_stalled(&s, e) != Change::MarkAtRisk {
            return Ok(());
        }
        s.onboarding_stalled.push(StalledOnboarding {
            milestone: e.milestone,
            due_on: e.due_on,
            handed_over_on: today,
        });
        self.rescore_soon(ctx, s)
    }

    /// `OnboardingMilestoneReached`: a milestone reached after its hand-over ends its mark.
    pub(crate) async fn on_onboarding_milestone(
        &self,
        ctx: &mut Ctx<'_>,
        account: &str,
        milestone: OnboardingMilestone,
    ) -> Result<(), AgentError> {
        let Some(mut s) = self.signals(ctx, account).await? else {
            return Ok(());
        };
        if on_reached(&s, milestone) != Change::Clear {
            return Ok(());
        }
        s.onboarding_stalled.retain(|m| m.milestone != milestone);
        self.rescore_soon(ctx, s)
    }

    /// Saves `s` to be scored again at the next hourly run, whenever it was last scored.
    fn rescore_soon(&self, ctx: &mut Ctx<'_>, mut s: Signals) -> Result<(), AgentError> {
        let previous = s.version;
        s.scored_on = None;
        s.version += 1;
        self.save(ctx, &s, Some(previous))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::catalog::CustomerSignedUp;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn account() -> Signals {
        let c = CustomerSignedUp {
            account_id: "A1".into(),
            company: "Customer A1".into(),
            plan: "starter".into(),
            seats: 5,
            tax_region: "US-CA".into(),
            billing_email: "ap@a1.example".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        };
        Signals::new(&c, "csm.digital@ascent-xr.example", day("2026-03-02"))
    }

    fn stalled(at_risk: bool, escalation: u32) -> OnboardingStalled {
        OnboardingStalled {
            account_id: "A1".into(),
            milestone: OnboardingMilestone::FirstXrSession,
            due_on: day("2026-03-07"),
            assigned_to: "csm.digital@ascent-xr.example".into(),
            escalation: Some(escalation),
            at_risk,
        }
    }

    fn handed_over(s: &mut Signals) {
        s.onboarding_stalled.push(StalledOnboarding {
            milestone: OnboardingMilestone::FirstXrSession,
            due_on: day("2026-03-07"),
            handed_over_on: day("2026-03-22"),
        });
    }

    #[test]
    fn only_the_at_risk_hand_over_marks_an_account_and_only_once() {
        // Given an account Retention follows
        let mut s = account();
        // When Onboarding's first and second escalations come, nothing changes
        assert_eq!(on_stalled(&s, &stalled(false, 1)), Change::Nothing);
        assert_eq!(on_stalled(&s, &stalled(false, 2)), Change::Nothing);
        // When the third hands it over as at risk, it is marked
        assert_eq!(on_stalled(&s, &stalled(true, 3)), Change::MarkAtRisk);
        // Then a second hand-over for the same milestone changes nothing more
        handed_over(&mut s);
        assert_eq!(on_stalled(&s, &stalled(true, 3)), Change::Nothing);
        // And a churned account is not marked
        let mut churned = account();
        churned.renewed = Some(false);
        assert_eq!(on_stalled(&churned, &stalled(true, 3)), Change::Nothing);
    }

    #[test]
    fn a_handed_over_account_is_at_risk_whatever_its_score_until_the_milestone_is_reached() {
        let mut s = account();
        assert_eq!(tier(&s, HealthTier::Healthy), HealthTier::Healthy);
        assert_eq!(reason(&s), None);
        handed_over(&mut s);
        assert_eq!(tier(&s, HealthTier::Healthy), HealthTier::AtRisk);
        assert_eq!(tier(&s, HealthTier::Watch), HealthTier::AtRisk);
        assert_eq!(
            reason(&s).as_deref(),
            Some("onboarding stalled at first XR session (due 2026-03-07)")
        );
        // Reaching another milestone ends nothing; reaching this one ends the mark.
        assert_eq!(
            on_reached(&s, OnboardingMilestone::TeamInvited),
            Change::Nothing
        );
        assert_eq!(
            on_reached(&s, OnboardingMilestone::FirstXrSession),
            Change::Clear
        );
    }

    /// The `## Onboarding` section of docs/customer-facing.md.
    fn documented() -> String {
        let page = include_str!("../../../docs/customer-facing.md");
        let start = page
            .find("## Onboarding")
            .expect("docs/customer-facing.md has ## Onboarding");
        let rest = &page[start + 3..];
        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
    }

    #[test]
    fn the_onboarding_page_states_the_hand_over_as_configured_and_subscribed() {
        let c = crate::RetentionConfig::default();
        let page = documented();
        // What Retention subscribes to, in its declaration, is what the page says.
        let patterns = crate::declaration()
            .subscriptions
            .iter()
            .map(|s| s.pattern.to_string())
            .collect::<String>();
        for event in ["OnboardingStalled", "OnboardingMilestoneReached"] {
            assert!(
                patterns.contains(event),
                "Retention does not subscribe to {event}"
            );
            assert!(
                page.contains(&format!("`{event}`")),
                "the page does not name {event}"
            );
        }
        let rules = [
            "`OnboardingStalled` with `at_risk`".to_string(),
            format!("`[retention] executive` ({})", c.executive),
            "\"onboarding stalled at <milestone>\"".to_string(),
            "`handover.rs`".to_string(),
        ];
        for rule in rules {
            assert!(page.contains(&rule), "## Onboarding does not say {rule}");
        }
    }
}
