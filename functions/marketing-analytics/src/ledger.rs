//! The day ledger: per day, per channel and per campaign, what was spent and what won revenue
//! and new customers each attribution model credited (base-currency minor units; customers in
//! ten-thousandths). Deals, sign-ups and spend add to the ledger of their day; reports sum the
//! days of a period ([`Period`]) and derive ROI, CAC and the return per unit spent — pure
//! functions over the figures.

use crate::models::{self, MODELS, ModelSettings, Touch};
use ascent_core::catalog::{AttributionModel, MarketingChannel};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One customer, in the ledger's unit of customer credit.
pub const ONE_CUSTOMER: i64 = 10_000;

/// What a channel or campaign spent and was credited with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Spent (base-currency minor units).
    pub spend: i64,
    /// Won revenue credited, per model in [`MODELS`] order.
    pub revenue: [i64; 5],
    /// New customers credited (ten-thousandths), per model in [`MODELS`] order.
    pub customers: [i64; 5],
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.spend += other.spend;
        for i in 0..MODELS.len() {
            self.revenue[i] += other.revenue[i];
            self.customers[i] += other.customers[i];
        }
    }
}

/// A campaign's tally and the channel it ran on (the first one seen).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignTally {
    pub channel: MarketingChannel,
    #[serde(flatten)]
    pub tally: Tally,
}

/// One day's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayLedger {
    pub day: NaiveDate,
    /// Optimistic concurrency: the version this ledger was read at.
    pub version: u64,
    pub channels: BTreeMap<MarketingChannel, Tally>,
    pub campaigns: BTreeMap<String, CampaignTally>,
    /// Won revenue with no touch in its window.
    pub unattributed_revenue: i64,
    /// New customers with no touch in their window (ten-thousandths).
    pub unattributed_customers: i64,
}

impl DayLedger {
    pub fn new(day: NaiveDate) -> Self {
        Self {
            day,
            version: 0,
            channels: BTreeMap::new(),
            campaigns: BTreeMap::new(),
            unattributed_revenue: 0,
            unattributed_customers: 0,
        }
    }

    fn tallies(
        &mut self,
        channel: MarketingChannel,
        campaign: Option<&str>,
    ) -> (&mut Tally, Option<&mut Tally>) {
        let c = self.channels.entry(channel).or_default();
        let k = campaign.map(|id| {
            &mut self
                .campaigns
                .entry(id.to_string())
                .or_insert_with(|| CampaignTally {
                    channel,
                    tally: Tally::default(),
                })
                .tally
        });
        (c, k)
    }

    /// Books spend on a channel (and its campaign).
    pub fn spend(&mut self, channel: MarketingChannel, campaign: Option<&str>, amount: i64) {
        let (c, k) = self.tallies(channel, campaign);
        c.spend += amount;
        if let Some(k) = k {
            k.spend += amount;
        }
    }

    /// Credits won revenue (`amount`) and, for a new customer, one customer to `touches`
    /// (oldest first) under every model; without touches, both are unattributed.
    pub fn credit(
        &mut self,
        touches: &[Touch],
        amount: i64,
        new_customer: bool,
        s: &ModelSettings,
    ) {
        let customer = if new_customer { ONE_CUSTOMER } else { 0 };
        if touches.is_empty() {
            self.unattributed_revenue += amount;
            self.unattributed_customers += customer;
            return;
        }
        for (mi, model) in MODELS.iter().enumerate() {
            let revenue = models::attribute(*model, touches, amount, s);
            let customers = models::attribute(*model, touches, customer, s);
            for (i, t) in touches.iter().enumerate() {
                let (c, k) = self.tallies(t.channel, t.campaign_id.as_deref());
                c.revenue[mi] += revenue[i];
                c.customers[mi] += customers[i];
                if let Some(k) = k {
                    k.revenue[mi] += revenue[i];
                    k.customers[mi] += customers[i];
                }
            }
        }
    }
}

/// A period's figures: the days from `from` to `to` summed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub channels: BTreeMap<MarketingChannel, Tally>,
    pub campaigns: BTreeMap<String, CampaignTally>,
    pub unattributed_revenue: i64,
    pub unattributed_customers: i64,
}

/// Sums the ledgers of the days `from..=to` (others are skipped).
pub fn period(days: &[DayLedger], from: NaiveDate, to: NaiveDate) -> Period {
    let mut p = Period::default();
    for d in days.iter().filter(|d| d.day >= from && d.day <= to) {
        for (ch, t) in &d.channels {
            p.channels.entry(*ch).or_default().add(t);
        }
        for (id, c) in &d.campaigns {
            p.campaigns
                .entry(id.clone())
                .or_insert_with(|| CampaignTally {
                    channel: c.channel,
                    tally: Tally::default(),
                })
                .tally
                .add(&c.tally);
        }
        p.unattributed_revenue += d.unattributed_revenue;
        p.unattributed_customers += d.unattributed_customers;
    }
    p
}

/// A tally's figures under one model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measures {
    pub spend: i64,
    pub revenue: i64,
    /// New customers (ten-thousandths).
    pub customers: i64,
    /// Revenue per unit spent; `None` without spend.
    pub return_per_unit: Option<f64>,
    /// (revenue − spend) / spend; `None` without spend.
    pub roi: Option<f64>,
    /// Spend per new customer (minor units, rounded half up); `None` without customers.
    pub cac: Option<i64>,
}

/// ROI, CAC and the return per unit spent of `t` under `model`.
pub fn measures(t: &Tally, model: AttributionModel) -> Measures {
    let i = models::index(model);
    let (spend, revenue, customers) = (t.spend, t.revenue[i], t.customers[i]);
    Measures {
        spend,
        revenue,
        customers,
        return_per_unit: (spend > 0).then(|| revenue as f64 / spend as f64),
        roi: (spend > 0).then(|| (revenue - spend) as f64 / spend as f64),
        cac: (customers > 0).then(|| {
            let num = i128::from(spend) * i128::from(ONE_CUSTOMER);
            let den = i128::from(customers);
            ((2 * num + den) / (2 * den)) as i64
        }),
    }
}

/// Customers in ten-thousandths as a count with two decimals (1.5 for 15,000).
pub fn customers(credit: i64) -> f64 {
    (credit as f64 / ONE_CUSTOMER as f64 * 100.0).round() / 100.0
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
