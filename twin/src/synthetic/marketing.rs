//! The synthetic company's marketing: each lead's touches, the weekly spend per channel, and
//! the campaigns the CRM plans in the Marketing Orchestrator (planned and launched every four
//! weeks, one per budgeted channel; now and then one paused and resumed, or ended early).
//!
//! A campaign's steps on one day come at fixed minutes in lifecycle order (end 07:00, plan
//! 08:00, launch 08:10, resume 08:30, pause 11:00, an early end 16:00), and a campaign is only
//! moved from a state that allows the move: no event of the simulation is refused.

use super::{Company, Rng, at};
use ascent_core::catalog::{
    CampaignEnded, CampaignLaunched, CampaignPaused, CampaignPlanned, CampaignResumed,
    ChannelBudget, MarketingChannel, MarketingSpendRecorded, TouchRecorded,
};
use ascent_core::money::Money;
use std::collections::BTreeSet;

/// The channels marketing spends on and touches come from, with each one's weekly spend
/// (minor units, before a random 0–20% more).
pub(super) const MARKETING_CHANNELS: &[(MarketingChannel, i64)] = &[
    (MarketingChannel::Email, 400_000),
    (MarketingChannel::Social, 150_000),
    (MarketingChannel::Search, 250_000),
    (MarketingChannel::Paid, 900_000),
    (MarketingChannel::Webinar, 200_000),
    (MarketingChannel::Event, 600_000),
    (MarketingChannel::Content, 180_000),
    (MarketingChannel::Referral, 50_000),
];

/// Days a campaign runs: four weeks, from a Monday.
pub(super) const CAMPAIGN_DAYS: u32 = 28;

/// A channel's name as the catalog writes it (`paid`).
pub(super) fn channel_name(channel: MarketingChannel) -> String {
    serde_json::to_value(channel)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A channel's campaign of the four weeks a day falls in (`paid-p1`); referrals have none.
pub(super) fn campaign_of(channel: MarketingChannel, day: u32) -> Option<String> {
    (channel != MarketingChannel::Referral)
        .then(|| format!("{}-p{}", channel_name(channel), day / CAMPAIGN_DAYS))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Live,
    /// Paused until the day it resumes.
    Paused(u32),
    Ended,
}

/// A campaign of the current four weeks as the CRM knows it.
#[derive(Clone, Debug)]
pub(super) struct Campaign {
    pub id: String,
    pub status: Status,
}

/// The marketing team's world: its own random stream and what the CRM knows.
pub(super) struct Marketing {
    pub rng: Rng,
    pub campaigns: Vec<Campaign>,
    /// The customers' billing addresses (who gets the marketing emails).
    pub customers: BTreeSet<String>,
    /// Each tracked keyword's latest rank (`None`: not in the top 100).
    pub ranks: Vec<Option<u32>>,
    pub next_mention: u64,
    pub next_draft: u64,
    pub email_campaigns: u64,
}

impl Marketing {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed ^ 0x6D61_726B_6574_696E),
            campaigns: Vec::new(),
            customers: BTreeSet::new(),
            ranks: Vec::new(),
            next_mention: 0,
            next_draft: 0,
            email_campaigns: 0,
        }
    }
}

impl Company {
    /// One day of the marketing world (`weekday` 1 = Monday … 7 = Sunday).
    pub(super) fn marketing_day(&mut self, day: u32, weekday: &str) {
        self.campaign_day(day);
        let weekend = weekday == "6" || weekday == "7";
        self.mentions(day, weekend);
        match weekday {
            "1" => {
                self.rank_observations(day);
                self.draft(day, "social");
            }
            "3" => {
                self.email_campaign(day);
                self.draft(day, "social");
            }
            "5" => self.draft(day, "social"),
            _ => {}
        }
        if day == 0 {
            self.competitor_keywords(day);
        }
    }

    /// The campaigns' steps of `day`.
    fn campaign_day(&mut self, day: u32) {
        let last_day = day % CAMPAIGN_DAYS == CAMPAIGN_DAYS - 1;
        if day.is_multiple_of(CAMPAIGN_DAYS) {
            self.plan_campaigns(day);
            return;
        }
        for i in 0..self.mkt.campaigns.len() {
            let c = self.mkt.campaigns[i].clone();
            match c.status {
                Status::Ended => continue,
                Status::Paused(until) if until == day => {
                    let resumed = CampaignResumed {
                        campaign_id: c.id.clone(),
                    };
                    self.schedule_at(day, 8 * 60 + 30, "ascent.crm", resumed);
                    self.mkt.campaigns[i].status = Status::Live;
                }
                _ => {}
            }
            if last_day {
                // Every campaign ends on its last day, paused or not.
                let ended = CampaignEnded {
                    campaign_id: c.id,
                    reason: "ran its course".into(),
                };
                self.schedule_at(day, 17 * 60, "ascent.crm", ended);
                self.mkt.campaigns[i].status = Status::Ended;
                continue;
            }
            if self.mkt.campaigns[i].status != Status::Live {
                continue;
            }
            let roll = self.mkt.rng.below(1_000);
            if roll < 25 {
                // Paused for two to four days, resumed before its last day.
                let until = day + self.mkt.rng.range(2, 4) as u32;
                if until % CAMPAIGN_DAYS >= CAMPAIGN_DAYS - 1
                    || until / CAMPAIGN_DAYS != day / CAMPAIGN_DAYS
                {
                    continue;
                }
                let reason = *self.mkt.rng.pick(&[
                    "creative refresh",
                    "budget review",
                    "brand safety check",
                ]);
                let paused = CampaignPaused {
                    campaign_id: c.id,
                    reason: reason.into(),
                };
                self.schedule_at(day, 11 * 60, "ascent.crm", paused);
                self.mkt.campaigns[i].status = Status::Paused(until);
            } else if roll < 30 {
                let ended = CampaignEnded {
                    campaign_id: c.id,
                    reason: "stopped: goal reached early".into(),
                };
                self.schedule_at(day, 16 * 60, "ascent.crm", ended);
                self.mkt.campaigns[i].status = Status::Ended;
            }
        }
    }

    /// The four weeks' campaigns from `day`: one per budgeted channel, planned and launched.
    fn plan_campaigns(&mut self, day: u32) {
        let starts_on = at(self.start, day, 0).date_naive();
        let ends_on = at(self.start, day + CAMPAIGN_DAYS - 1, 0).date_naive();
        self.mkt.campaigns.clear();
        for (i, &(channel, weekly)) in MARKETING_CHANNELS.iter().enumerate() {
            let Some(id) = campaign_of(channel, day) else {
                continue;
            };
            let name = channel_name(channel);
            let budget = Money::usd(weekly * 4);
            let planned = CampaignPlanned {
                campaign_id: id.clone(),
                name: format!("{name} push, weeks {}–{}", day / 7 + 1, day / 7 + 4),
                owner: "head.of.marketing@ascent-xr.example".into(),
                starts_on,
                ends_on,
                budgets: vec![ChannelBudget {
                    channel,
                    amount: budget.clone(),
                }],
                goal_customers: self.mkt.rng.range(2, 8) as u32,
                // From 1,500.00 to 9,000.00 a customer: some campaigns go over it.
                target_cpa: Some(Money::usd(self.mkt.rng.range(15, 90) * 10_000)),
            };
            self.schedule_at(day, 8 * 60 + i as i64, "ascent.crm", planned);
            let launched = CampaignLaunched {
                campaign_id: id.clone(),
                name,
                channel: channel_name(channel),
                budget,
                starts_on,
                ends_on,
            };
            self.schedule_at(day, 8 * 60 + 10 + i as i64, "ascent.marketing", launched);
            self.mkt.campaigns.push(Campaign {
                id,
                status: Status::Live,
            });
        }
    }

    /// One to three touches of a new lead, the last on the channel it came by.
    pub(super) fn touches(&mut self, day: u32, lead_id: &str, email: &str, lead_channel: &str) {
        let own = match lead_channel {
            "web" => MarketingChannel::Search,
            "event" => MarketingChannel::Event,
            "referral" => MarketingChannel::Referral,
            "paid" => MarketingChannel::Paid,
            _ => MarketingChannel::Email,
        };
        let n = self.rng.range(1, 4);
        for k in 0..n {
            let channel = if k == n - 1 {
                own
            } else {
                self.rng.pick(MARKETING_CHANNELS).0
            };
            // Earlier touches up to a week before, the last the day the lead arrives.
            let back = (n - 1 - k) as u32 * 3;
            let when = day.saturating_sub(back);
            self.schedule(
                day,
                "ascent.web",
                TouchRecorded {
                    touch_id: format!("{lead_id}-t{k}"),
                    email: email.to_string(),
                    channel,
                    campaign_id: campaign_of(channel, when),
                    occurred_at: at(self.start, when, 7 * 60),
                },
            );
        }
    }

    /// Each channel's spend of the week starting `day`, on its campaign.
    pub(super) fn weekly_spend(&mut self, day: u32) {
        for (i, &(channel, base)) in MARKETING_CHANNELS.iter().enumerate() {
            let amount = base + self.rng.range(0, base / 5);
            self.schedule(
                day,
                "ascent.finance",
                MarketingSpendRecorded {
                    spend_id: format!("S-{day}-{i}"),
                    channel,
                    campaign_id: campaign_of(channel, day),
                    amount: Money::usd(amount),
                    spent_on: at(self.start, day, 0).date_naive(),
                },
            );
        }
    }
}
