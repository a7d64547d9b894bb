//! The marketing quarter's cast and calendar: the days walked with the schedules' ticks, the
//! events the CRM, the web analytics, finance, the mail provider, the rank tracker and the
//! listening service send, and readers of what the agents emitted and mailed.

use ascent_core::catalog::{
    CampaignLaunched, CampaignPlanned, ChannelBudget, ContactPreference, ContactPreferenceChanged,
    CustomerSignedUp, DealClosedWon, EmailCampaignScheduled, EmailVariant, KeywordRankObserved,
    LeadCreated, MarketingChannel, MarketingSpendRecorded, MentionObserved, Payload, TouchRecorded,
};
use ascent_core::compliance::{LakeUnsubscribeDesk, UnsubscribeDesk};
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_core::ports::{BusError, EventBus, Mail};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use std::sync::{Arc, Mutex};

pub const CONTROLLER: &str = "finance.controller@ascent-xr.example";
pub const MARKETING: &str = "marketing@ascent-xr.example";

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Walks every day up to `date` as `ascent up` does: at 06:00 the approval timers, the daily
/// run and that hour's hourly run; then the clock stands at 09:00 of `date`.
pub fn until(t: &TestTwin, date: NaiveDate) {
    while t.now().date_naive() < date {
        let next = (t.now().date_naive() + Duration::days(1))
            .and_hms_opt(6, 0, 0)
            .unwrap()
            .and_utc();
        t.clock.set(next);
        t.runtime.tick_approvals().unwrap();
        t.runtime.schedule_tick("daily", next).unwrap();
        t.runtime.schedule_tick("hourly", next).unwrap();
        t.drain();
    }
    t.clock.set(date.and_hms_opt(9, 0, 0).unwrap().and_utc());
}

/// The five campaigns of the quarter: (id, channel, weekly spend, goal, target CPA).
pub const CAMPAIGNS: [(&str, MarketingChannel, i64, u32, Option<i64>); 5] = [
    (
        "C-SEARCHADS",
        MarketingChannel::Paid,
        120_000,
        2,
        Some(2_000_000),
    ),
    (
        "C-LINKEDIN",
        MarketingChannel::Paid,
        80_000,
        2,
        Some(600_000),
    ),
    (
        "C-WEB",
        MarketingChannel::Webinar,
        60_000,
        2,
        Some(1_000_000),
    ),
    (
        "C-EXPO",
        MarketingChannel::Event,
        100_000,
        1,
        Some(1_300_000),
    ),
    ("C-SOC", MarketingChannel::Social, 30_000, 1, None),
];

/// The CRM plans a campaign for the quarter, its budget thirteen weeks of its spend.
pub fn planned(
    id: &str,
    channel: MarketingChannel,
    weekly: i64,
    goal: u32,
    target: Option<i64>,
) -> CampaignPlanned {
    CampaignPlanned {
        campaign_id: id.into(),
        name: format!("Q2 {id}"),
        owner: "marketing.lead@ascent-xr.example".into(),
        starts_on: day("2026-04-01"),
        ends_on: day("2026-06-30"),
        budgets: vec![ChannelBudget {
            channel,
            amount: Money::usd(13 * weekly),
        }],
        goal_customers: goal,
        target_cpa: target.map(Money::usd),
    }
}

pub fn launched(id: &str, channel: MarketingChannel, weekly: i64) -> CampaignLaunched {
    CampaignLaunched {
        campaign_id: id.into(),
        name: format!("Q2 {id}"),
        channel: serde_json::to_value(channel)
            .unwrap()
            .as_str()
            .unwrap()
            .into(),
        budget: Money::usd(13 * weekly),
        starts_on: day("2026-04-01"),
        ends_on: day("2026-06-30"),
    }
}

/// Finance books the week's spend of every campaign still running on Friday `friday`.
pub fn book_week(t: &TestTwin, friday: NaiveDate, running: impl Fn(&str) -> bool) {
    assert_eq!(friday.weekday(), Weekday::Fri);
    for (id, channel, weekly, _, _) in CAMPAIGNS {
        if !running(id) {
            continue;
        }
        t.emit(
            "ascent.finance",
            MarketingSpendRecorded {
                spend_id: format!("{id}-{friday}"),
                channel,
                campaign_id: Some(id.into()),
                amount: Money::usd(weekly),
                spent_on: friday,
            },
        );
    }
}

/// A lead that is not hot (no intent yet): scored, never routed to outreach.
pub fn lead(id: &str, email: &str, name: &str, company: &str) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: email.into(),
        full_name: name.into(),
        company: company.into(),
        company_size: 800,
        industry: "Energy".into(),
        role: "Head of Training".into(),
        country: Some("US".into()),
        channel: "web".into(),
        phone: None,
        time_zone: Some("America/Chicago".into()),
    }
}

/// The web analytics' touch `id` of `email` on `channel` (maybe a campaign) at `when`.
pub fn touch(
    t: &TestTwin,
    id: &str,
    email: &str,
    channel: MarketingChannel,
    campaign: Option<&str>,
    when: &str,
) {
    t.emit(
        "ascent.web",
        TouchRecorded {
            touch_id: id.into(),
            email: email.into(),
            channel,
            campaign_id: campaign.map(str::to_string),
            occurred_at: at(when),
        },
    );
}

/// A customer account: `(account, company, plan, seats, tax region)`; its billing contact is
/// `ops@<account>.example`.
pub fn signup(
    account: &str,
    company: &str,
    plan: &str,
    seats: u32,
    region: &str,
) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: account.into(),
        company: company.into(),
        plan: plan.into(),
        seats,
        tax_region: region.into(),
        billing_email: billing(account),
        payment_terms_days: 30,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

pub fn billing(account: &str) -> String {
    format!("ops@{}.example", account.to_lowercase())
}

/// The existing customers of 1 April.
pub const CUSTOMERS: [(&str, &str, &str, u32, &str); 8] = [
    ("C01", "Aurora Rail", "enterprise", 40, "US-CA"),
    ("C02", "Brightline Ops", "team", 12, "US-NY"),
    ("C03", "Cobalt Mining", "team", 8, "US-TX"),
    ("C04", "Delta Wind", "enterprise", 60, "US-WA"),
    ("C05", "Ember Labs", "team", 15, "US-OR"),
    ("C06", "Fjord Marine", "team", 10, "US-CA"),
    ("C07", "Granite Works", "team", 20, "US-MA"),
    ("C08", "Harbor Foods", "team", 6, "US-NY"),
];

pub fn won(deal: &str, account: &str, minor: i64, lead: Option<&str>) -> DealClosedWon {
    DealClosedWon {
        deal_id: deal.into(),
        account_id: account.into(),
        owner: "ava.rep@ascent-xr.example".into(),
        amount: Money::usd(minor),
        proposal_id: None,
        reason: None,
        lead_id: lead.map(str::to_string),
    }
}

pub fn newsletter(id: &str, subject: &str, send_at: &str) -> EmailCampaignScheduled {
    EmailCampaignScheduled {
        campaign_id: id.into(),
        name: format!("Newsletter {id}"),
        segment: "all-customers".into(),
        send_at: at(send_at),
        variants: vec![EmailVariant {
            name: "A".into(),
            subject: subject.into(),
            body: "Hello {company} team,\nwhat is new for your {seats} seats this season.".into(),
        }],
    }
}

/// The CRM records by hand what a customer asked on the phone: no more marketing email.
pub fn withdrawn_by_hand(email: &str) -> ContactPreferenceChanged {
    ContactPreferenceChanged {
        email: email.into(),
        change: ContactPreference::EmailConsentWithdrawn,
        phone: None,
        evidence: "asked on the phone on 2026-04-20; entered by hand in the CRM".into(),
        consent: None,
    }
}

pub fn rank(
    keyword: &str,
    position: u32,
    volume: u32,
    difficulty: u32,
    on: NaiveDate,
) -> KeywordRankObserved {
    KeywordRankObserved {
        keyword: keyword.into(),
        url: Some(format!(
            "https://ascent-xr.example/blog/{}",
            keyword.replace(' ', "-")
        )),
        rank: Some(position),
        search_volume: volume,
        difficulty,
        observed_on: on,
    }
}

pub fn mention(
    id: &str,
    author_email: Option<&str>,
    text: &str,
    posted: DateTime<Utc>,
) -> MentionObserved {
    MentionObserved {
        mention_id: id.into(),
        platform: "linkedin".into(),
        author: format!("author-{id}"),
        author_email: author_email.map(str::to_string),
        text: text.into(),
        posted_at: posted,
        url: format!("https://www.linkedin.com/feed/update/{id}"),
    }
}

pub fn payloads(t: &TestTwin, detail_type: &str) -> Vec<Payload> {
    t.emitted(detail_type)
        .iter()
        .map(|e| e.payload().clone())
        .collect()
}

/// The mails whose subject starts with `prefix`, in the order they were sent.
pub fn mails(t: &TestTwin, prefix: &str) -> Vec<Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with(prefix))
        .collect()
}

/// The unsubscribe page's bus: what its button publishes, handed to the twin afterwards.
struct Published(Mutex<Vec<Event>>);

#[async_trait::async_trait]
impl EventBus for Published {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        self.0.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

/// Presses the button of the unsubscribe page that `mail`'s `List-Unsubscribe` link opens
/// (the page's desk over the twin's data lake), and delivers what it published.
pub fn unsubscribe_by_link(t: &TestTwin, mail: &Mail) -> String {
    let link = mail
        .headers
        .iter()
        .find(|h| h.name == "List-Unsubscribe")
        .expect("a List-Unsubscribe header")
        .value
        .trim_matches(|c| c == '<' || c == '>')
        .to_string();
    let token = link.rsplit('/').next().unwrap().to_string();
    let bus = Arc::new(Published(Mutex::new(Vec::new())));
    let desk = LakeUnsubscribeDesk {
        lake: t.runtime.store().clone(),
        bus: bus.clone(),
        clock: t.runtime.clock().clone(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let email = rt.block_on(desk.unsubscribe(&token)).unwrap();
    let events = std::mem::take(&mut *bus.0.lock().unwrap());
    assert_eq!(events.len(), 1);
    t.runtime.ingest(&events).unwrap();
    t.drain();
    email
}
