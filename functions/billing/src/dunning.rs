//! The dunning schedule: which step an overdue invoice is due for.

use ascent_core::catalog::DunningAction;
use ascent_core::money::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Reminders at configurable days overdue, then escalation to collections.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DunningSchedule {
    /// Days overdue for each reminder, ascending.
    pub reminder_days: Vec<u32>,
    /// Days overdue for the escalation (the last step).
    pub escalation_day: u32,
}

impl DunningSchedule {
    /// Steps as (1-based step, day, action).
    pub fn steps(&self) -> Vec<(u32, u32, DunningAction)> {
        let mut steps: Vec<(u32, u32, DunningAction)> = self
            .reminder_days
            .iter()
            .enumerate()
            .map(|(i, d)| (i as u32 + 1, *d, DunningAction::Reminder))
            .collect();
        steps.push((
            steps.len() as u32 + 1,
            self.escalation_day,
            DunningAction::Escalation,
        ));
        steps
    }

    /// The step due at `days_overdue` when `done` steps were taken: the latest step whose day
    /// has come (missed earlier steps are skipped, never sent late in a burst).
    pub fn due_step(&self, days_overdue: u32, done: u32) -> Option<(u32, DunningAction)> {
        self.steps()
            .into_iter()
            .filter(|(step, day, _)| *step > done && days_overdue >= *day)
            .map(|(step, _, action)| (step, action))
            .next_back()
    }
}

/// The collections hand-over text: says what was actually sent and when, from the invoice's
/// dunning history — never a count of steps that were skipped (issued late, a missed daily run).
pub fn escalation_reason(
    invoice_id: &str,
    days_overdue: u32,
    outstanding: &Money,
    reminders_sent: &[NaiveDate],
) -> String {
    let history = match reminders_sent {
        [] => "no reminder was sent".to_string(),
        [one] => format!("1 reminder was sent (on {one})"),
        many => format!(
            "{} reminders were sent (on {})",
            many.len(),
            many.iter()
                .map(NaiveDate::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "invoice {invoice_id} {days_overdue} days overdue with {outstanding} outstanding; {history}: hand to collections"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_escalation_says_only_what_was_sent() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            escalation_reason("inv-1", 30, &Money::usd(100_000), &[]),
            "invoice inv-1 30 days overdue with 1000.00 USD outstanding; no reminder was sent: hand to collections"
        );
        assert_eq!(
            escalation_reason(
                "inv-1",
                31,
                &Money::usd(100_000),
                &[d("2026-04-04"), d("2026-04-11")]
            ),
            "invoice inv-1 31 days overdue with 1000.00 USD outstanding; 2 reminders were sent (on 2026-04-04, 2026-04-11): hand to collections"
        );
    }

    #[test]
    fn steps_in_order_and_skips_missed_ones() {
        let s = crate::BillingConfig::default().dunning;
        assert_eq!(s.due_step(2, 0), None);
        assert_eq!(s.due_step(3, 0), Some((1, DunningAction::Reminder)));
        assert_eq!(s.due_step(4, 1), None);
        assert_eq!(s.due_step(10, 1), Some((2, DunningAction::Reminder)));
        assert_eq!(s.due_step(25, 1), Some((3, DunningAction::Reminder)));
        assert_eq!(s.due_step(31, 3), Some((4, DunningAction::Escalation)));
        assert_eq!(s.due_step(90, 4), None);
    }
}
