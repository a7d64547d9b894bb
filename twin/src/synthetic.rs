//! A synthetic company for `ascent simulate`: leads with interactions and marketing touches,
//! weekly marketing spend per channel, deals moving through the pipeline, sign-ups, payments
//! (on time, late, partial, failed, never), usage, tickets and NPS answers. Deterministic for a seed: the same seed gives the same company.
//!
//! The company reacts to what the agents do, as the real CRM and customers would: a proposal
//! the Closing agent sent is won or lost; an invoice Billing issued gets paid (or not).

use ascent_core::catalog::{
    CustomerSignedUp, DealClosedLost, DealClosedWon, DealLine, DealStage, DealStageChanged,
    InteractionKind, InteractionRecorded, InvoiceIssued, LeadCreated, MarketingChannel,
    MarketingSpendRecorded, NpsResponse, PaymentFailed, PaymentReceived, ProposalSent,
    TicketOpened, TouchRecorded, UsageReported,
};
use ascent_core::event::{Actor, Event};
use ascent_core::money::Money;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// SplitMix64: tiny, fast and the same on every platform (reproducible simulations).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, n)`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    /// Uniform in `[lo, hi]`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const INDUSTRIES: &[&str] = &[
    "Manufacturing",
    "Aerospace",
    "Automotive",
    "Healthcare",
    "Energy",
    "Construction",
    "Architecture",
    "Education",
    "Retail",
    "Logistics",
    "Software",
    "Hospitality",
];
const ROLES: &[&str] = &[
    "CTO",
    "VP Operations",
    "VP Engineering",
    "Director of Training",
    "Head of Innovation",
    "Operations Manager",
    "L&D Manager",
    "Engineer",
    "Analyst",
    "Intern",
    "Chief Digital Officer",
];
const COUNTRIES: &[&str] = &[
    "US", "US", "US", "CA", "DE", "GB", "FR", "NL", "JP", "AU", "BR",
];
const REGIONS: &[&str] = &[
    "US-CA", "US-NY", "US-TX", "US-WA", "US-OR", "DE", "GB", "FR", "NL", "IE",
];
const FIRST: &[&str] = &[
    "Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Jia", "Kofi", "Lena",
];
const LAST: &[&str] = &[
    "Ruiz", "Okafor", "Schmidt", "Tanaka", "Novak", "Haddad", "Larsen", "Moreau", "Silva", "Kim",
];
const REPS: &[&str] = &[
    "ava.rep@ascent-xr.example",
    "noah.rep@ascent-xr.example",
    "mia.rep@ascent-xr.example",
];
const INTENT: &[InteractionKind] = &[
    InteractionKind::WebsiteVisit,
    InteractionKind::WebsiteVisit,
    InteractionKind::EmailOpened,
    InteractionKind::ContentDownload,
    InteractionKind::PricingPageVisit,
    InteractionKind::WebinarAttended,
    InteractionKind::EmailReplied,
    InteractionKind::DemoRequested,
];

/// What a paying customer does with an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PayerHabit {
    OnTime,
    Late,
    Partial,
    FailsThenPays,
    Never,
}

/// The synthetic company's state.
pub struct Company {
    rng: Rng,
    start: DateTime<Utc>,
    leads_per_day: u32,
    next_lead: u64,
    next_deal: u64,
    next_payment: u64,
    /// Planned events by day.
    plan: BTreeMap<u32, Vec<Event>>,
    /// deal id → (account, owner, the lead it came from).
    deals: BTreeMap<String, (String, String, String)>,
    accounts: Vec<String>,
    recent_emails: Vec<String>,
}

/// The channels marketing spends on and touches come from.
const MARKETING_CHANNELS: &[MarketingChannel] = &[
    MarketingChannel::Email,
    MarketingChannel::Social,
    MarketingChannel::Search,
    MarketingChannel::Paid,
    MarketingChannel::Webinar,
    MarketingChannel::Event,
    MarketingChannel::Content,
    MarketingChannel::Referral,
];

/// A channel's campaign of the week a day falls in (`paid-w3`).
fn campaign_of(channel: MarketingChannel, day: u32) -> String {
    let name = serde_json::to_value(channel)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!("{name}-w{}", day / 7)
}

fn at(start: DateTime<Utc>, day: u32, minute_of_day: i64) -> DateTime<Utc> {
    start + Duration::days(day as i64) + Duration::minutes(minute_of_day)
}

impl Company {
    pub fn new(seed: u64, start: DateTime<Utc>, leads_per_day: u32) -> Self {
        Self {
            rng: Rng::new(seed),
            start,
            leads_per_day,
            next_lead: 0,
            next_deal: 0,
            next_payment: 0,
            plan: BTreeMap::new(),
            deals: BTreeMap::new(),
            accounts: Vec::new(),
            recent_emails: Vec::new(),
        }
    }

    fn business_minute(&mut self) -> i64 {
        self.rng.range(8 * 60, 18 * 60)
    }

    fn schedule(
        &mut self,
        day: u32,
        source: &str,
        payload: impl Into<ascent_core::catalog::Payload>,
    ) {
        let minute = self.business_minute();
        let e = Event::new(
            source,
            Actor::system(source),
            at(self.start, day, minute),
            payload,
        );
        self.plan.entry(day).or_default().push(e);
    }

    /// The business events of `day` (0-based), sorted by time.
    pub fn events_for(&mut self, day: u32) -> Vec<Event> {
        let weekday = (self.start + Duration::days(day as i64))
            .format("%u")
            .to_string();
        let weekend = weekday == "6" || weekday == "7";
        let leads = if weekend {
            self.leads_per_day / 10
        } else {
            self.leads_per_day
        };
        for _ in 0..leads {
            self.new_lead(day);
        }
        // Marketing spend, booked weekly per channel (Mondays), per campaign of the week.
        if weekday == "1" {
            self.weekly_spend(day);
        }
        // Usage from every customer, some tickets and NPS answers.
        for i in 0..self.accounts.len() {
            let account = self.accounts[i].clone();
            let sessions = self.rng.range(0, 40) as f64;
            let period_start = at(self.start, day, 0);
            self.schedule(
                day,
                "ascent.platform",
                UsageReported {
                    account_id: account.clone(),
                    metric: "xr_sessions".into(),
                    quantity: sessions,
                    period_start,
                    period_end: period_start + Duration::days(1),
                },
            );
            if self.rng.chance(0.03) {
                let n = self.rng.below(10_000);
                self.schedule(
                    day,
                    "ascent.support",
                    TicketOpened {
                        ticket_id: format!("T-{day}-{n}"),
                        account_id: account.clone(),
                        subject: "Headset does not pair with the studio".into(),
                        body: "Since the last update our headsets fail to pair.".into(),
                        channel: "email".into(),
                        requester: None,
                        created_at: None,
                    },
                );
            }
            if self.rng.chance(0.01) {
                let score = self.rng.range(3, 10) as u8;
                self.schedule(
                    day,
                    "ascent.surveys",
                    NpsResponse {
                        account_id: account,
                        respondent: "user@customer.example".into(),
                        score,
                        comment: None,
                    },
                );
            }
        }
        let mut events = self.plan.remove(&day).unwrap_or_default();
        events.sort_by_key(|e| e.time);
        events
    }

    fn new_lead(&mut self, day: u32) {
        self.next_lead += 1;
        let id = format!("L{:06}", self.next_lead);
        // A few leads come in twice (same person, another form).
        let duplicate = !self.recent_emails.is_empty() && self.rng.chance(0.03);
        let (email, full_name) = if duplicate {
            let e = self.rng.pick(&self.recent_emails).clone();
            let name = e.split('@').next().unwrap_or("x").replace('.', " ");
            (e.to_uppercase(), name)
        } else {
            let first = *self.rng.pick(FIRST);
            let last = *self.rng.pick(LAST);
            let company_no = self.rng.below(5_000);
            (
                format!(
                    "{}.{}@company{company_no}.example",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
                format!("{first} {last}"),
            )
        };
        if !duplicate {
            self.recent_emails.push(email.clone());
            if self.recent_emails.len() > 500 {
                self.recent_emails.remove(0);
            }
        }
        let size = *self.rng.pick(&[5u32, 30, 120, 450, 1_500, 8_000]);
        let industry = (*self.rng.pick(INDUSTRIES)).to_string();
        let role = (*self.rng.pick(ROLES)).to_string();
        let country = Some((*self.rng.pick(COUNTRIES)).to_string());
        // Intent before and after the lead arrives.
        for k in 0..self.rng.range(0, 4) {
            let kind = *self.rng.pick(INTENT);
            // Some intent the same morning, some the next day.
            let when = day + (k as u32 % 2);
            self.schedule(
                when,
                "ascent.web",
                InteractionRecorded {
                    interaction_id: format!("{id}-i{k}"),
                    email: email.clone(),
                    kind,
                    occurred_at: at(self.start, when, 8 * 60),
                    text: None,
                },
            );
        }
        let channel = (*self
            .rng
            .pick(&["web", "event", "referral", "paid", "outbound"]))
        .to_string();
        // Marketing touches before the lead arrives, on its channel and others.
        self.touches(day, &id, &email, &channel);
        self.schedule(
            day,
            "ascent.crm",
            LeadCreated {
                lead_id: id.clone(),
                email,
                full_name,
                company: "Company".into(),
                company_size: size,
                industry,
                role,
                country,
                channel,
                // One lead in three leaves a number (a test range, never a real line).
                phone: self
                    .next_lead
                    .is_multiple_of(3)
                    .then(|| format!("+1555{:07}", self.next_lead)),
                time_zone: None,
            },
        );
        // About one lead in eight turns into a deal.
        if self.rng.chance(0.125) {
            self.new_deal(day, id);
        }
    }

    /// One to three touches of a new lead, the last on the channel it came by.
    fn touches(&mut self, day: u32, lead_id: &str, email: &str, lead_channel: &str) {
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
                *self.rng.pick(MARKETING_CHANNELS)
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
                    campaign_id: Some(campaign_of(channel, when)),
                    occurred_at: at(self.start, when, 7 * 60),
                },
            );
        }
    }

    /// Each channel's spend of the week starting `day`, on that week's campaign.
    fn weekly_spend(&mut self, day: u32) {
        for (i, channel) in MARKETING_CHANNELS.iter().enumerate() {
            let base = [
                400_000, 150_000, 250_000, 900_000, 200_000, 600_000, 180_000, 50_000,
            ][i];
            let amount = base + self.rng.range(0, base / 5);
            self.schedule(
                day,
                "ascent.finance",
                MarketingSpendRecorded {
                    spend_id: format!("S-{day}-{i}"),
                    channel: *channel,
                    campaign_id: Some(campaign_of(*channel, day)),
                    amount: Money::usd(amount),
                    spent_on: at(self.start, day, 0).date_naive(),
                },
            );
        }
    }

    fn new_deal(&mut self, day: u32, lead_id: String) {
        self.next_deal += 1;
        let deal_id = format!("D{:05}", self.next_deal);
        let account_id = format!("A{:05}", self.next_deal);
        let owner = (*self.rng.pick(REPS)).to_string();
        self.deals.insert(
            deal_id.clone(),
            (account_id.clone(), owner.clone(), lead_id),
        );
        // The CRM's expected close: a month after the deal opens.
        let expected_close = (self.start + Duration::days(day as i64 + 30)).date_naive();
        let stage = |from: Option<DealStage>,
                     to: DealStage,
                     lines: Vec<DealLine>,
                     discount: f64| DealStageChanged {
            deal_id: deal_id.clone(),
            account_id: account_id.clone(),
            owner: owner.clone(),
            from_stage: from,
            to_stage: to,
            lines,
            requested_discount_pct: discount,
            currency: "USD".into(),
            amount: None,
            expected_close: Some(expected_close),
        };
        let q = day + self.rng.range(2, 5) as u32;
        let d = q + self.rng.range(3, 7) as u32;
        let p = d + self.rng.range(3, 10) as u32;
        let seats = *self.rng.pick(&[5u32, 10, 25, 60, 120, 250]);
        let mut lines = vec![DealLine {
            sku: "XR-STUDIO-SEAT".into(),
            quantity: seats,
        }];
        if self.rng.chance(0.6) {
            lines.push(DealLine {
                sku: "XR-HEADSET".into(),
                quantity: seats / 2 + 1,
            });
        }
        if self.rng.chance(0.5) {
            lines.push(DealLine {
                sku: "ONBOARDING".into(),
                quantity: 1,
            });
        }
        let roll = self.rng.below(100);
        let discount = if roll < 60 {
            self.rng.range(0, 10) as f64
        } else if roll < 85 {
            self.rng.range(10, 15) as f64
        } else {
            self.rng.range(16, 30) as f64
        };
        self.schedule(
            q,
            "ascent.crm",
            stage(
                Some(DealStage::Prospecting),
                DealStage::Qualification,
                vec![],
                0.0,
            ),
        );
        self.schedule(
            d,
            "ascent.crm",
            stage(Some(DealStage::Qualification), DealStage::Demo, vec![], 0.0),
        );
        self.schedule(
            p,
            "ascent.crm",
            stage(Some(DealStage::Demo), DealStage::Proposal, lines, discount),
        );
    }

    /// The CRM's answer to a sent proposal: won (with a sign-up) or lost, some days later.
    pub fn on_proposal(&mut self, p: &ProposalSent, today: u32) {
        let Some((account, owner, lead_id)) = self.deals.get(&p.deal_id).cloned() else {
            return;
        };
        let day = today + self.rng.range(3, 15) as u32;
        if self.rng.chance(0.55) {
            let region = (*self.rng.pick(REGIONS)).to_string();
            let terms = *self.rng.pick(&[15u32, 30, 30, 45, 60]);
            self.schedule(
                day,
                "ascent.platform",
                CustomerSignedUp {
                    account_id: account.clone(),
                    company: format!("Customer {account}"),
                    plan: "enterprise".into(),
                    seats: p.lines.first().map_or(1, |l| l.quantity),
                    tax_region: region.clone(),
                    billing_email: format!("ap@{}.example", account.to_lowercase()),
                    payment_terms_days: terms,
                    currency: "USD".into(),
                    // Some US customers in a city with a local rate (no extra draws: the
                    // simulation's sequence is unchanged).
                    tax_locality: match (region.as_str(), terms) {
                        ("US-CA", 45) => Some("US-CA-LA".into()),
                        ("US-WA", 45) => Some("US-WA-SEA".into()),
                        _ => None,
                    },
                    // Four in five European customers (terms of 30 days or more) are businesses
                    // with a VAT id of their country's format: reverse-charged (IE is domestic).
                    vat_id: (terms >= 30)
                        .then(|| {
                            let n = account
                                .bytes()
                                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
                                % 1_000_000_000;
                            match region.as_str() {
                                "DE" | "GB" => Some(format!("{region}{n:09}")),
                                "FR" => Some(format!("FR00{n:09}")),
                                "NL" => Some(format!("NL{n:09}B01")),
                                "IE" => Some(format!("IE{:07}W", n % 10_000_000)),
                                _ => None,
                            }
                        })
                        .flatten(),
                    tax_exemption_id: None,
                },
            );
            // Sign-up before the win on the same day.
            if let Some(v) = self.plan.get_mut(&day)
                && let Some(last) = v.last_mut()
            {
                last.time = at(self.start, day, 7 * 60);
            }
            self.schedule(
                day,
                "ascent.crm",
                DealClosedWon {
                    deal_id: p.deal_id.clone(),
                    account_id: account.clone(),
                    owner,
                    amount: p.total.clone(),
                    proposal_id: Some(p.proposal_id.clone()),
                    reason: None,
                    lead_id: Some(lead_id),
                },
            );
            self.accounts.push(account);
        } else {
            let reason = (*self
                .rng
                .pick(&["budget", "timing", "competitor", "no decision"]))
            .to_string();
            self.schedule(
                day,
                "ascent.crm",
                DealClosedLost {
                    deal_id: p.deal_id.clone(),
                    account_id: account,
                    owner,
                    reason,
                    lead_id: Some(lead_id),
                },
            );
        }
    }

    /// The customer's answer to an invoice, per its habit.
    pub fn on_invoice(&mut self, inv: &InvoiceIssued, today: u32) {
        let habit = match self.rng.below(100) {
            0..=64 => PayerHabit::OnTime,
            65..=79 => PayerHabit::Late,
            80..=89 => PayerHabit::Partial,
            90..=94 => PayerHabit::FailsThenPays,
            _ => PayerHabit::Never,
        };
        let terms = inv.payment_terms_days;
        let pay = |company: &mut Company, day: u32, amount: i64| {
            company.next_payment += 1;
            let payment = PaymentReceived {
                payment_id: format!("P{:06}", company.next_payment),
                invoice_id: inv.invoice_id.clone(),
                amount: Money::new(amount, &inv.total.currency),
                received_at: at(company.start, day, 12 * 60),
                method: "ach".into(),
            };
            company.schedule(day, "ascent.payments", payment);
        };
        let total = inv.total.amount_minor;
        match habit {
            PayerHabit::OnTime => {
                let d = today + self.rng.range(3, terms.max(4) as i64) as u32;
                pay(self, d, total)
            }
            PayerHabit::Late => {
                let d = today + terms + self.rng.range(4, 40) as u32;
                pay(self, d, total)
            }
            PayerHabit::Partial => {
                pay(self, today + terms, total / 2);
                let d = today + terms + self.rng.range(10, 30) as u32;
                pay(self, d, total - total / 2)
            }
            PayerHabit::FailsThenPays => {
                let d = today + terms.saturating_sub(2).max(1);
                self.next_payment += 1;
                let failed = PaymentFailed {
                    payment_id: format!("P{:06}", self.next_payment),
                    invoice_id: inv.invoice_id.clone(),
                    amount: inv.total.clone(),
                    reason: "insufficient funds".into(),
                };
                self.schedule(d, "ascent.payments", failed);
                pay(self, d + 3, total)
            }
            PayerHabit::Never => {}
        }
    }

    /// A seeded approver's choice: approve, reject, or (None) let it time out.
    pub fn approver_choice(&mut self) -> Option<bool> {
        match self.rng.below(100) {
            0..=69 => Some(true),
            70..=89 => Some(false),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_company() {
        let start = "2026-01-05T00:00:00Z".parse().unwrap();
        let mut a = Company::new(7, start, 50);
        let mut b = Company::new(7, start, 50);
        for day in 0..5 {
            let ea: Vec<String> = a
                .events_for(day)
                .iter()
                .map(|e| format!("{:?}", e.detail.payload))
                .collect();
            let eb: Vec<String> = b
                .events_for(day)
                .iter()
                .map(|e| format!("{:?}", e.detail.payload))
                .collect();
            assert_eq!(ea, eb);
            assert!(!ea.is_empty());
        }
    }

    #[test]
    fn every_generated_event_is_valid() {
        let mut c = Company::new(1, "2026-01-05T00:00:00Z".parse().unwrap(), 100);
        for day in 0..30 {
            for e in c.events_for(day) {
                Event::parse(e.to_json().as_bytes())
                    .unwrap_or_else(|err| panic!("{err}: {}", e.to_json()));
            }
        }
    }
}
