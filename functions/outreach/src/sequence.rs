//! Outreach sequences: the steps a new lead goes through (an email, a LinkedIn task, a call
//! task, …), each after a wait, with the templates its text is written from.

use ascent_core::catalog::OutreachChannel;
use serde::{Deserialize, Serialize};

/// One step: wait, then do something on a channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct Sequence {
    pub name: String,
    pub steps: Vec<Step>,
}

fn step(
    wait_days: i64,
    channel: OutreachChannel,
    purpose: &str,
    subject: &str,
    body: &str,
) -> Step {
    Step {
        wait_days,
        channel,
        purpose: purpose.into(),
        subject: subject.into(),
        body: body.into(),
    }
}

impl Sequence {
    /// The default sequence for a new lead: three emails, a LinkedIn touch and two calls over
    /// fifteen days.
    pub fn xr_intro() -> Self {
        use OutreachChannel::*;
        Self {
            name: "xr-intro".into(),
            steps: vec![
                step(
                    0,
                    Email,
                    "first touch",
                    "{company} and XR training that sticks",
                    "Hi {first_name},\n\nteams in {industry} use Ascent XR to train on equipment they \
                     cannot take offline. As {role} at {company}, you may be weighing exactly that.\n\n\
                     Would a 20-minute look be useful? Reply to this email and I will set it up.\n\n\
                     {rep_name}\nAscent XR",
                ),
                step(
                    2,
                    Linkedin,
                    "connect",
                    "Connect with {full_name} ({role}, {company}) on LinkedIn",
                    "Send a connection request that mentions the email about XR training at {company}.",
                ),
                step(
                    1,
                    Call,
                    "discovery call",
                    "Call {full_name} ({company})",
                    "Opening: I am {rep_name} from Ascent XR; I wrote about XR training for {industry} teams.\n\
                     Discovery: how does {company} train on equipment today? What does taking it offline cost?\n\
                     Ask: a 20-minute demo, with a headset we ship to you.",
                ),
                step(
                    3,
                    Email,
                    "follow-up",
                    "Re: {company} and XR training that sticks",
                    "Hi {first_name},\n\none number from teams like yours: training time down by a third \
                     once people practise in XR before they touch the real equipment.\n\n\
                     Worth 20 minutes? Just reply.\n\n{rep_name}",
                ),
                step(
                    4,
                    Call,
                    "second call",
                    "Second call: {full_name} ({company})",
                    "Refer to the follow-up email; offer two demo times this week.",
                ),
                step(
                    5,
                    Email,
                    "break-up",
                    "Should I close your file, {first_name}?",
                    "Hi {first_name},\n\nI have not heard back, so I will stop writing. If XR training \
                     becomes a topic at {company}, reply any time.\n\n{rep_name}",
                ),
            ],
        }
    }

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
        let s = Sequence::xr_intro();
        assert_eq!(s.steps.iter().map(|s| s.wait_days).sum::<i64>(), 15);
        assert_eq!(s.step(1).unwrap().channel, OutreachChannel::Email);
        assert_eq!(s.step(3).unwrap().channel, OutreachChannel::Call);
        assert!(s.step(0).is_none() && s.step(7).is_none());
    }
}
