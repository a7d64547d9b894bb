//! Account health: what Retention keeps about an account, the five explainable components
//! (usage trend, tickets, NPS, payments, engagement; 0–100 each) scored and weighted as
//! `[retention.health]` of `ascent.toml` says ([`HealthSettings`], read and checked in
//! `health_settings.rs`, as is where the learned model starts: `[retention.model]`,
//! [`ModelStart`]).

use crate::arr::{RecurringInvoice, RenewalArr, Term};
use crate::handover::StalledOnboarding;
use ascent_core::catalog::{CustomerSignedUp, HealthComponent, HealthTier, TicketPriority};
use ascent_core::money::Money;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::health_settings::{
    EngagementBand, HealthSettings, ModelStart, TicketPenalty, Weights,
};

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
    /// The recurring part of each invoice, for ARR ([`crate::arr`]).
    #[serde(default)]
    pub recurring: Vec<RecurringInvoice>,
    /// The ARR the last renewal stated, for its term.
    #[serde(default)]
    pub renewal_arr: Option<RenewalArr>,
    /// The contract term (from `ContractIssued`, then each `AccountRenewed`).
    #[serde(default)]
    pub term: Option<Term>,
    /// The renewal date `reminders_sent` are for (a new date starts the reminders again).
    #[serde(default)]
    pub reminders_for: Option<NaiveDate>,
    /// ARR and renewal date last announced in `HealthScored` (a change is announced again).
    #[serde(default)]
    pub announced: Option<(Vec<Money>, NaiveDate)>,
    /// Milestones Onboarding handed the account over as at risk for, until each is reached:
    /// while any is listed the account is at risk whatever its score ([`crate::handover`]).
    #[serde(default)]
    pub onboarding_stalled: Vec<StalledOnboarding>,
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
            recurring: vec![],
            renewal_arr: None,
            term: None,
            reminders_for: None,
            announced: None,
            onboarding_stalled: vec![],
        }
    }

    /// The renewal date relevant on `today`: from the contract term when one is known
    /// ([`Term::renews_on`]), else `default_months` after sign-up.
    pub fn renews_on(&self, default_months: u32, today: NaiveDate) -> NaiveDate {
        match &self.term {
            Some(t) => t.renews_on(today),
            None => crate::renewal_of(self.signed_up_on, default_months),
        }
    }

    /// Records usage of `day`, keeping `history_days` days of sessions.
    pub fn record_usage(
        &mut self,
        metric: &str,
        quantity: f64,
        day: NaiveDate,
        today: NaiveDate,
        history_days: u32,
    ) {
        if quantity > 0.0 {
            self.last_active = Some(self.last_active.map_or(day, |d| d.max(day)));
        }
        if metric == "xr_sessions" {
            *self.sessions.entry(day).or_default() += quantity;
        }
        let horizon = today - Duration::days(history_days.into());
        self.sessions.retain(|d, _| *d > horizon);
    }

    /// Records a ticket of `today`, keeping `history_days` days of tickets.
    pub fn record_ticket(&mut self, p: TicketPriority, today: NaiveDate, history_days: u32) {
        self.tickets.push((today, p));
        let horizon = today - Duration::days(history_days.into());
        self.tickets.retain(|(d, _)| *d > horizon);
    }
}

/// The five components of `s` as of `today`, scored and weighted as `h` says.
pub fn components(s: &Signals, today: NaiveDate, h: &HealthSettings) -> Vec<HealthComponent> {
    let component = |name: &str, score: f64, detail: String| HealthComponent {
        name: name.into(),
        score: score.round().clamp(0.0, 100.0) as u8,
        weight: h.weights.of(name),
        detail,
    };
    let window = i64::from(h.window_days);
    let new_points = f64::from(h.new_account_points);
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
    let (recent, before) = (in_days(0, window), in_days(window, 2 * window));
    let age = (today - s.signed_up_on).num_days();
    let is_new = age < i64::from(h.new_account_days);
    let floor = h.usage_ratio_floor;
    let usage = if before > 0.0 {
        let r = recent / before;
        component(
            "usage_trend",
            ((r - floor) / (1.0 - floor) * 100.0).clamp(0.0, 100.0),
            format!(
                "{recent:.0} XR sessions in {window} days vs {before:.0} before ({:+.0}%)",
                (r - 1.0) * 100.0
            ),
        )
    } else if recent > 0.0 {
        component(
            "usage_trend",
            100.0,
            format!("{recent:.0} XR sessions in {window} days, none before"),
        )
    } else if is_new {
        component(
            "usage_trend",
            new_points,
            format!("new account ({age} days): no usage yet"),
        )
    } else {
        component(
            "usage_trend",
            0.0,
            format!("no XR sessions in {} days", 2 * window),
        )
    };
    let recent_tickets: Vec<&(NaiveDate, TicketPriority)> = s
        .tickets
        .iter()
        .filter(|(d, _)| (today - *d).num_days() < window)
        .collect();
    let penalty: f64 = recent_tickets
        .iter()
        .map(|(_, p)| h.ticket_penalty.of(*p))
        .sum();
    let tickets = component(
        "tickets",
        100.0 - penalty,
        format!(
            "{} tickets in {window} days (severity penalty {penalty:.0})",
            recent_tickets.len()
        ),
    );
    let nps = match s.nps {
        Some((score, on)) => component(
            "nps",
            score as f64 * 10.0,
            format!("NPS answer {score} on {on}"),
        ),
        None => component(
            "nps",
            f64::from(h.no_nps_points),
            "no NPS answer yet".into(),
        ),
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
            let score = h
                .engagement
                .iter()
                .find(|b| idle <= i64::from(b.within_days))
                .map_or(0.0, |b| f64::from(b.points));
            component("engagement", score, format!("last active {idle} days ago"))
        }
        None if is_new => component("engagement", new_points, "new account".into()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RetentionConfig;
    use ascent_core::config::ConfigFile;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// An account of 2026-01-01, active 10 days before 2026-03-01, one urgent ticket, no NPS.
    fn account() -> Signals {
        let c = CustomerSignedUp {
            account_id: "A1".into(),
            company: "Customer A1".into(),
            plan: "team".into(),
            seats: 10,
            tax_region: "US-CA".into(),
            billing_email: "ap@x.example".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        };
        let mut s = Signals::new(&c, "csm@x.example", day("2026-01-01"));
        let today = day("2026-03-01");
        s.record_usage("xr_sessions", 10.0, day("2026-01-20"), today, 60);
        s.record_usage("xr_sessions", 5.0, day("2026-02-19"), today, 60);
        s.record_ticket(TicketPriority::Urgent, day("2026-02-20"), 60);
        s
    }

    fn score(h: &HealthSettings) -> (u8, Vec<u8>) {
        let c = components(&account(), day("2026-03-01"), h);
        (weighted(&c), c.iter().map(|c| c.score).collect())
    }

    fn with(from: &str, to: &str) -> HealthSettings {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).unwrap();
        RetentionConfig::from_file(&file).unwrap().health
    }

    #[test]
    fn the_shipped_constants_score_as_before() {
        let h = RetentionConfig::default().health;
        let shipped_shares = [
            ("usage_trend", 0.30),
            ("tickets", 0.20),
            ("nps", 0.15),
            ("payments", 0.20),
            ("engagement", 0.15),
        ];
        assert_eq!(h.weights.all(), shipped_shares);
        // usage 5 vs 10: (0.5 − 0.2) / 0.8 → 37 (37.49…); tickets 100 − 30; NPS 60; payments 100;
        // engagement 10 days idle → 70.
        let (total, parts) = score(&h);
        assert_eq!(parts, [37, 70, 60, 100, 70]);
        // 0.30·37 + 0.20·70 + 0.15·60 + 0.20·100 + 0.15·70 = 64.6
        assert_eq!(total, 65);
    }

    #[test]
    fn changed_weights_and_thresholds_change_the_score() {
        let shipped = score(&RetentionConfig::default().health);
        // Usage counts for more, engagement for less.
        let h = with(
            "usage_trend = 0.30, tickets = 0.20, nps = 0.15, payments = 0.20, engagement = 0.15",
            "usage_trend = 0.40, tickets = 0.20, nps = 0.15, payments = 0.20, engagement = 0.05",
        );
        let (total, parts) = score(&h);
        assert_eq!(parts, shipped.1);
        assert_eq!(total, 61); // 0.40·37 + 0.20·70 + 0.15·60 + 0.20·100 + 0.05·70 = 61.3
        // Ten idle days are now within the first engagement band; urgent tickets cost more.
        let h = with("within_days = 7,", "within_days = 10,");
        assert_eq!(score(&h).1[4], 100);
        let h = with("urgent = 30,", "urgent = 50,");
        assert_eq!(score(&h).1[1], 50);
        assert!(score(&h).0 < shipped.0);
    }
}
