//! A synthetic company for `ascent simulate`: leads with interactions and marketing touches,
//! deals moving through the pipeline, sign-ups, payments (on time, late, partial, failed,
//! never), usage, tickets and NPS answers, and its marketing team's world (`marketing`,
//! `audience`). Deterministic for a seed: the same seed gives the same company.
//!
//! The company reacts to what the agents do, as the real CRM and customers would: a proposal
//! the Closing agent sent is won or lost; an invoice Billing issued gets paid (or not); a
//! marketing email bounces now and then or is unsubscribed from.

mod audience;
mod marketing;
mod payments;
mod rng;

pub use rng::Rng;

use ascent_core::catalog::{
    CustomerSignedUp, DealClosedLost, DealClosedWon, DealLine, DealStage, DealStageChanged,
    InteractionKind, InteractionRecorded, LeadCreated, NpsResponse, Payload, ProposalSent,
    TicketOpened, UsageReported,
};
use ascent_core::event::{Actor, Event};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

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

/// The company a lead works for, by its address's domain (`company42.example`: "Company 42"):
/// each its own, as in a real CRM (one shared name would make every lead a candidate
/// duplicate of every other in CRM Management).
fn company_of(email: &str) -> String {
    let domain = email.rsplit('@').next().unwrap_or_default().to_lowercase();
    match domain
        .strip_prefix("company")
        .and_then(|d| d.split('.').next())
    {
        Some(n) if !n.is_empty() => format!("Company {n}"),
        _ => "Company".into(),
    }
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
    /// The marketing team's world, on its own random stream (so the sales side of a seed's
    /// company stays what it was before marketing joined the simulation).
    mkt: marketing::Marketing,
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
            mkt: marketing::Marketing::new(seed),
        }
    }

    fn business_minute(&mut self) -> i64 {
        self.rng.range(8 * 60, 18 * 60)
    }

    fn schedule(&mut self, day: u32, source: &str, payload: impl Into<Payload>) {
        let minute = self.business_minute();
        self.schedule_at(day, minute, source, payload);
    }

    /// Plans an event at a given minute of `day` (the order of a campaign's steps in a day).
    fn schedule_at(&mut self, day: u32, minute: i64, source: &str, payload: impl Into<Payload>) {
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
        // Marketing spend, booked weekly per channel (Mondays), per campaign.
        if weekday == "1" {
            self.weekly_spend(day);
        }
        // Campaigns, email campaigns, mentions, rank observations and drafts.
        self.marketing_day(day, &weekday);
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
        let company = company_of(&email);
        self.schedule(
            day,
            "ascent.crm",
            LeadCreated {
                lead_id: id.clone(),
                email,
                full_name,
                company,
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
            account_name: None,
            discount_reason: None,
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
                    billing_email: audience::billing_email(&account),
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
            self.mkt.customers.insert(audience::billing_email(&account));
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
mod tests;
