//! Outreach sequences: the steps a new lead goes through (an email, a LinkedIn task, a call
//! task, …), each after a wait, with the templates its text is written from.

use ascent_core::catalog::OutreachChannel;
use serde::{Deserialize, Serialize};

/// One step: wait, then do something on a channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Days after the previous step (0 for the first: at enrollment).
    pub wait_days: i64,
    pub channel: OutreachChannel,
    /// What the step is for (`first touch`, `follow-up`, `break-up`), given to the writer.
    pub purpose: String,
    /// Email subject, or the task's title for the rep.
    pub subject: String,
    /// Email body, or the task's instructions / call script.
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    pub name: String,
    pub steps: Vec<Step>,
}

impl Sequence {
    /// 1-based step, if the sequence has it.
    pub fn step(&self, n: u32) -> Option<&Step> {
        (n as usize).checked_sub(1).and_then(|i| self.steps.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sequence_mixes_channels_over_fifteen_days() {
        let s = crate::OutreachConfig::default().sequence;
        assert_eq!(s.steps.iter().map(|s| s.wait_days).sum::<i64>(), 15);
        assert_eq!(s.step(1).unwrap().channel, OutreachChannel::Email);
        assert_eq!(s.step(3).unwrap().channel, OutreachChannel::Call);
        assert!(s.step(0).is_none() && s.step(7).is_none());
    }
}
