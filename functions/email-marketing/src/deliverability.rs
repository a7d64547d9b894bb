//! Deliverability of a campaign: hard bounces and complaints as shares of the emails sent
//! since it last started or resumed, judged once enough were sent. Over the configured
//! bounce-rate or complaint-rate maximum the campaign pauses until a person resumes it.

use serde::{Deserialize, Serialize};

/// The thresholds (`[email_marketing.deliverability]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Sends before the rates are judged.
    pub min_sends: u32,
    pub max_bounce_rate_pct: f64,
    pub max_complaint_rate_pct: f64,
}

/// What came back from a campaign's emails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Returns {
    pub hard_bounces: u32,
    pub soft_bounces: u32,
    pub complaints: u32,
}

/// A threshold crossed.
#[derive(Clone, Debug, PartialEq)]
pub struct Breach {
    /// `bounce_rate` or `complaint_rate`.
    pub metric: &'static str,
    pub rate_pct: f64,
    pub threshold_pct: f64,
}

/// Judges `returns` of `sent` emails (both counted since the campaign last started or
/// resumed). Complaints are judged first: they hurt the sender's reputation most.
pub fn judge(sent: u32, returns: Returns, t: Thresholds) -> Option<Breach> {
    if sent == 0 || sent < t.min_sends {
        return None;
    }
    let pct = |n: u32| n as f64 * 100.0 / sent as f64;
    let complaints = pct(returns.complaints);
    if complaints > t.max_complaint_rate_pct {
        return Some(Breach {
            metric: "complaint_rate",
            rate_pct: complaints,
            threshold_pct: t.max_complaint_rate_pct,
        });
    }
    let bounces = pct(returns.hard_bounces);
    (bounces > t.max_bounce_rate_pct).then_some(Breach {
        metric: "bounce_rate",
        rate_pct: bounces,
        threshold_pct: t.max_bounce_rate_pct,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        min_sends: 200,
        max_bounce_rate_pct: 5.0,
        max_complaint_rate_pct: 0.1,
    };

    fn returns(hard: u32, soft: u32, complaints: u32) -> Returns {
        Returns {
            hard_bounces: hard,
            soft_bounces: soft,
            complaints,
        }
    }

    #[test]
    fn hard_bounces_over_the_rate_pause_once_enough_were_sent() {
        // 11 of 200 = 5.5% > 5%.
        let b = judge(200, returns(11, 0, 0), T).unwrap();
        assert_eq!(b.metric, "bounce_rate");
        assert!((b.rate_pct - 5.5).abs() < 1e-9);
        // 10 of 200 = 5.0%: at the maximum, not over it.
        assert_eq!(judge(200, returns(10, 0, 0), T), None);
        // Soft bounces (a full mailbox) are not the list's fault.
        assert_eq!(judge(200, returns(0, 40, 0), T), None);
        // 11 of 199: too few sends to judge.
        assert_eq!(judge(199, returns(11, 0, 0), T), None);
    }

    #[test]
    fn complaints_are_judged_first_at_their_own_rate() {
        // 1 of 400 = 0.25% > 0.1%, while bounces (20 of 400 = 5%) are at the maximum.
        let b = judge(400, returns(20, 0, 1), T).unwrap();
        assert_eq!((b.metric, b.threshold_pct), ("complaint_rate", 0.1));
        assert!((b.rate_pct - 0.25).abs() < 1e-9);
        // 1 of 1,000 = 0.1%: at the maximum.
        assert_eq!(judge(1000, returns(0, 0, 1), T), None);
    }
}
