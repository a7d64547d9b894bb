//! Account health: what Retention keeps about an account, the five explainable components
//! (usage trend, tickets, NPS, payments, engagement; 0–100 each), the default weights and the
//! learned model's prior.

use ascent_core::catalog::{CustomerSignedUp, HealthComponent, HealthTier, TicketPriority};
use ascent_core::learning::Logistic;
use ascent_core::money::Money;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default weights of the components, in order.
pub const WEIGHTS: [(&str, f64); 5] = [
    ("usage_trend", 0.30),
    ("tickets", 0.20),
    ("nps", 0.15),
    ("payments", 0.20),
    ("engagement", 0.15),
];

/// What Retention keeps per account (`retention#<account>` / `signals`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    pub account_id: String,
    pub plan: String,
    pub manager: String,
    pub signed_up_on: NaiveDate,
    pub arr: Option<Money>,
    /// XR sessions per day, the last 60 days.
    pub sessions: BTreeMap<NaiveDate, f64>,
    pub last_active: Option<NaiveDate>,
    /// (day, priority) of tickets in the last 60 days.
    pub tickets: Vec<(NaiveDate, TicketPriority)>,
    pub nps: Option<(u8, NaiveDate)>,
    pub overdue_invoices: Vec<String>,
    pub last_score: Option<u8>,
    /// The day the account was last scored.
    #[serde(default)]
    pub scored_on: Option<NaiveDate>,
    pub last_tier: Option<HealthTier>,
    pub reminders_sent: Vec<u32>,
    pub renewed: Option<bool>,
    pub outcome_learned: bool,
    pub version: u32,
}

impl Signals {
    /// A new account; `manager` is its plan's success manager.
    pub fn new(c: &CustomerSignedUp, manager: &str, today: NaiveDate) -> Self {
        let plan = c.plan.trim().to_ascii_lowercase();
        Self {
            account_id: c.account_id.clone(),
            manager: manager.to_string(),
            plan,
            signed_up_on: today,
            arr: None,
            sessions: BTreeMap::new(),
            last_active: None,
            tickets: vec![],
            nps: None,
            overdue_invoices: vec![],
            last_score: None,
            scored_on: None,
            last_tier: None,
            reminders_sent: vec![],
            renewed: None,
            outcome_learned: false,
            version: 0,
        }
    }

    pub fn renews_on(&self) -> NaiveDate {
        crate::renewal_of(self.signed_up_on)
    }

    pub fn record_usage(&mut self, metric: &str, quantity: f64, day: NaiveDate, today: NaiveDate) {
        if quantity > 0.0 {
            self.last_active = Some(self.last_active.map_or(day, |d| d.max(day)));
        }
        if metric == "xr_sessions" {
            *self.sessions.entry(day).or_default() += quantity;
        }
        let horizon = today - Duration::days(60);
        self.sessions.retain(|d, _| *d > horizon);
    }

    pub fn record_ticket(&mut self, p: TicketPriority, today: NaiveDate) {
        self.tickets.push((today, p));
        let horizon = today - Duration::days(60);
        self.tickets.retain(|(d, _)| *d > horizon);
    }
}

fn component(name: &str, score: f64, detail: String) -> HealthComponent {
    let weight = WEIGHTS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0.0, |(_, w)| *w);
    HealthComponent {
        name: name.into(),
        score: score.round().clamp(0.0, 100.0) as u8,
        weight,
        detail,
    }
}

/// The five components as of `today`.
pub fn components(s: &Signals, today: NaiveDate) -> Vec<HealthComponent> {
    let in_days = |from: i64, to: i64| -> f64 {
        s.sessions
            .iter()
            .filter(|(d, _)| {
                let age = (today - **d).num_days();
                age >= from && age < to
            })
            .map(|(_, q)| q)
            .sum::<f64>()
            + 0.0 // an empty sum is −0.0
    };
    let (recent, before) = (in_days(0, 30), in_days(30, 60));
    let age = (today - s.signed_up_on).num_days();
    let usage = if before > 0.0 {
        let r = recent / before;
        component(
            "usage_trend",
            ((r - 0.2) / 0.8 * 100.0).clamp(0.0, 100.0),
            format!(
                "{recent:.0} XR sessions in 30 days vs {before:.0} before ({:+.0}%)",
                (r - 1.0) * 100.0
            ),
        )
    } else if recent > 0.0 {
        component(
            "usage_trend",
            100.0,
            format!("{recent:.0} XR sessions in 30 days, none before"),
        )
    } else if age < 14 {
        component(
            "usage_trend",
            60.0,
            format!("new account ({age} days): no usage yet"),
        )
    } else {
        component("usage_trend", 0.0, "no XR sessions in 60 days".into())
    };
    let recent_tickets: Vec<&(NaiveDate, TicketPriority)> = s
        .tickets
        .iter()
        .filter(|(d, _)| (today - *d).num_days() < 30)
        .collect();
    let penalty: f64 = recent_tickets
        .iter()
        .map(|(_, p)| match p {
            TicketPriority::Urgent => 30.0,
            TicketPriority::High => 15.0,
            TicketPriority::Normal => 5.0,
            TicketPriority::Low => 2.0,
        })
        .sum();
    let tickets = component(
        "tickets",
        100.0 - penalty,
        format!(
            "{} tickets in 30 days (severity penalty {penalty:.0})",
            recent_tickets.len()
        ),
    );
    let nps = match s.nps {
        Some((score, on)) => component(
            "nps",
            score as f64 * 10.0,
            format!("NPS answer {score} on {on}"),
        ),
        None => component("nps", 60.0, "no NPS answer yet".into()),
    };
    let payments = if s.overdue_invoices.is_empty() {
        component("payments", 100.0, "no overdue invoice".into())
    } else {
        component(
            "payments",
            0.0,
            format!("overdue: {}", s.overdue_invoices.join(", ")),
        )
    };
    let engagement = match s.last_active {
        Some(d) => {
            let idle = (today - d).num_days();
            let score = match idle {
                i if i <= 7 => 100.0,
                i if i <= 14 => 70.0,
                i if i <= 30 => 40.0,
                _ => 0.0,
            };
            component("engagement", score, format!("last active {idle} days ago"))
        }
        None if age < 14 => component("engagement", 60.0, "new account".into()),
        None => component("engagement", 0.0, "never active".into()),
    };
    vec![usage, tickets, nps, payments, engagement]
}

/// The default score: the weighted components.
pub fn weighted(c: &[HealthComponent]) -> u8 {
    c.iter()
        .map(|c| c.weight * c.score as f64)
        .sum::<f64>()
        .round()
        .clamp(0.0, 100.0) as u8
}

/// The learned model's inputs: the components on 0–1.
pub fn features(c: &[HealthComponent]) -> Vec<f64> {
    c.iter().map(|c| c.score as f64 / 100.0).collect()
}

/// Starts like the default weights: ~0.5 at a score of 50.
pub fn prior() -> Logistic {
    Logistic::prior(-5.0, &WEIGHTS.map(|(n, w)| (n, w * 10.0)))
}
