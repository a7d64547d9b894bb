//! When a stalled onboarding is escalated again, when it is given up as at risk, and how many
//! active seats make "team invited" — pure decisions over `[onboarding]`.
//!
//! A milestone past its due date stalls (the success manager gets an intervention task); while
//! it stays unreached it is escalated again every `reescalate_every_days`, and after
//! `max_escalations` the account is handed over as at risk (`OnboardingStalled` with
//! `at_risk`), the end state: nothing more is sent for it.

use crate::MilestoneState;
use chrono::{Duration, NaiveDate};

/// `[onboarding]`'s escalation settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EscalationRule {
    pub every_days: i64,
    pub max_escalations: u32,
}

/// What today's run does about one milestone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Nothing,
    /// The `n`th escalation (1 = the stall itself).
    Escalate(u32),
    /// The last escalation: the account is at risk, handed over.
    AtRisk(u32),
}

/// The next day the run has something to do about `m`, if ever.
pub fn next_check(m: &MilestoneState, rule: EscalationRule) -> Option<NaiveDate> {
    if m.reached_at.is_some() || m.escalations >= rule.max_escalations {
        return None;
    }
    Some(match m.last_escalated_on {
        None => m.due_on + Duration::days(1),
        Some(last) => last + Duration::days(rule.every_days),
    })
}

/// What to do about `m` on `today`.
pub fn step(m: &MilestoneState, today: NaiveDate, rule: EscalationRule) -> Step {
    match next_check(m, rule) {
        Some(day) if day <= today => {
            let n = m.escalations + 1;
            if n >= rule.max_escalations {
                Step::AtRisk(n)
            } else {
                Step::Escalate(n)
            }
        }
        _ => Step::Nothing,
    }
}

/// Active seats that make "team invited": `share_pct` of the seats bought, at least
/// `min_seats` (or all seats, when fewer were bought).
pub fn team_threshold(seats: u32, min_seats: u32, share_pct: u32) -> u32 {
    let seats = seats.max(1);
    let share = (u64::from(seats) * u64::from(share_pct)).div_ceil(100) as u32;
    share.max(min_seats).min(seats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::catalog::OnboardingMilestone;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const RULE: EscalationRule = EscalationRule {
        every_days: 7,
        max_escalations: 3,
    };

    fn milestone(escalations: u32, last: Option<&str>) -> MilestoneState {
        MilestoneState {
            milestone: OnboardingMilestone::TeamInvited,
            due_on: day("2026-03-10"),
            reached_at: None,
            stalled: escalations > 0,
            escalations,
            last_escalated_on: last.map(day),
        }
    }

    #[test]
    fn a_stalled_milestone_is_escalated_weekly_then_handed_over_as_at_risk() {
        // Due 10 March: stalls on the 11th
        assert_eq!(
            step(&milestone(0, None), day("2026-03-10"), RULE),
            Step::Nothing
        );
        assert_eq!(
            step(&milestone(0, None), day("2026-03-11"), RULE),
            Step::Escalate(1)
        );
        // Issue 23: it then never re-escalated. Again 7 days later, on the 18th …
        let once = milestone(1, Some("2026-03-11"));
        assert_eq!(step(&once, day("2026-03-17"), RULE), Step::Nothing);
        assert_eq!(step(&once, day("2026-03-18"), RULE), Step::Escalate(2));
        // … and the third time, on the 25th, it is at risk: the end state
        let twice = milestone(2, Some("2026-03-18"));
        assert_eq!(step(&twice, day("2026-03-25"), RULE), Step::AtRisk(3));
        assert_eq!(next_check(&milestone(3, Some("2026-03-25")), RULE), None);
    }

    #[test]
    fn team_invited_is_relative_to_the_seats_bought() {
        // Issue 23: "team invited" meant 3 seats even for a 500-seat customer. 20% of 500 = 100
        assert_eq!(team_threshold(500, 3, 20), 100);
        // 20% of 10 = 2, at least 3; 2 seats bought: both
        assert_eq!(team_threshold(10, 3, 20), 3);
        assert_eq!(team_threshold(2, 3, 20), 2);
        // Rounded up: 20% of 51 = 10.2 → 11
        assert_eq!(team_threshold(51, 3, 20), 11);
    }
}
