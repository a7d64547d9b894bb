//! Retention tests through an in-memory twin.

use super::*;
use ascent_core::catalog::{
    AccountChurned, AccountRenewed, CustomerSignedUp, HealthScored, HealthTier,
    InterventionPlanned, NpsResponse, Playbook, TicketTriaged, UsageReported,
};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

#[path = "tests_handover.rs"]
mod handover;
#[path = "tests_privacy.rs"]
mod privacy;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn signup(account: &str) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: account.into(),
        company: format!("Customer {account}"),
        plan: "team".into(),
        seats: 10,
        tax_region: "US-CA".into(),
        billing_email: "ap@x.example".into(),
        payment_terms_days: 30,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn sessions(t: &TestTwin, account: &str, q: f64) {
    t.emit(
        "ascent.platform",
        UsageReported {
            account_id: account.into(),
            metric: "xr_sessions".into(),
            quantity: q,
            period_start: t.now() - Duration::days(1),
            period_end: t.now(),
        },
    );
}

fn tick(t: &TestTwin, when: &str) {
    t.tick("hourly", at(when));
}

fn scored(t: &TestTwin, account: &str) -> Vec<HealthScored> {
    t.emitted("HealthScored")
        .iter()
        .filter_map(|e| match e.payload() {
            Payload::HealthScored(h) if h.account_id == account => Some(h.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_thriving_account_is_healthy_and_a_quiet_troubled_one_gets_executive_outreach() {
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-01-05T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1"));
    t.emit("ascent.platform", signup("A2"));
    for week in 0..8 {
        t.clock
            .set(at("2026-01-05T09:00:00Z") + Duration::days(7 * week));
        sessions(&t, "A1", 20.0);
        if week < 2 {
            sessions(&t, "A2", 20.0);
        }
    }
    let triaged = |id: &str, p| TicketTriaged {
        ticket_id: id.into(),
        account_id: "A2".into(),
        priority: p,
        category: "bug".into(),
        team: "support-technical".into(),
        sentiment: -60,
        first_response_due: t.now(),
        resolution_due: t.now(),
        suggested_articles: vec![],
        reasons: vec![],
    };
    t.emit(
        "ascent.agent.support",
        triaged("T1", TicketPriority::Urgent),
    );
    t.emit("ascent.agent.support", triaged("T2", TicketPriority::High));
    t.emit(
        "ascent.surveys",
        NpsResponse {
            account_id: "A2".into(),
            respondent: "amy@x.example".into(),
            score: 3,
            comment: None,
        },
    );
    tick(&t, "2026-03-01T06:00:00Z");
    let a1 = scored(&t, "A1");
    assert_eq!(a1[0].tier, HealthTier::Healthy, "{:?}", a1[0].components);
    let a2 = &scored(&t, "A2")[0];
    assert_eq!(a2.tier, HealthTier::AtRisk, "{:?}", a2.components);
    assert_eq!(a2.model, "default-v1");
    let by_name = |n: &str| a2.components.iter().find(|c| c.name == n).unwrap().clone();
    assert_eq!(by_name("usage_trend").score, 0);
    assert_eq!(
        by_name("usage_trend").detail,
        "0 XR sessions in 30 days vs 40 before (-100%)"
    );
    assert_eq!(by_name("tickets").score, 55);
    assert_eq!(by_name("nps").score, 30);
    let plans = t.emitted("InterventionPlanned");
    assert_eq!(plans.len(), 1);
    let Payload::InterventionPlanned(p) = plans[0].payload() else {
        unreachable!()
    };
    assert_eq!(
        (p.account_id.as_str(), p.playbook),
        ("A2", Playbook::ExecutiveOutreach)
    );
    // The next day nothing changed: no new score, no second intervention.
    tick(&t, "2026-03-02T06:00:00Z");
    assert_eq!(t.emitted("InterventionPlanned").len(), 1);
}

#[test]
fn renewals_are_reminded_at_90_60_and_30_days_once_each() {
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-01-05T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1")); // renews 2027-01-05
    for day in [
        "2026-10-09T06:00:00Z",
        "2026-10-10T06:00:00Z",
        "2026-11-06T06:00:00Z",
        "2026-12-07T06:00:00Z",
        "2026-12-08T06:00:00Z",
    ] {
        tick(&t, day);
    }
    let r: Vec<u32> = t
        .emitted("RenewalApproaching")
        .iter()
        .map(|e| match e.payload() {
            Payload::RenewalApproaching(r) => r.days_left,
            _ => unreachable!(),
        })
        .collect();
    // 2026-10-09 is 88 days ahead (the 90-day run was missed): still reminded once.
    assert_eq!(r, [90, 60, 30]);
}

#[test]
fn a_six_month_term_from_the_file_is_reminded_before_its_half_year() {
    let text = ascent_core::config::ConfigFile::shipped().text().replacen(
        "\nterm_months = 12",
        "\nterm_months = 6",
        1,
    );
    let file = ascent_core::config::ConfigFile::parse("x.toml", text).unwrap();
    let t = TestTwin::new(
        vec![Arc::new(Retention::from_config(&file).unwrap())],
        at("2026-01-05T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1")); // renews 2026-07-05
    tick(&t, "2026-04-06T06:00:00Z");
    let r: Vec<(u32, NaiveDate)> = t
        .emitted("RenewalApproaching")
        .iter()
        .map(|e| match e.payload() {
            Payload::RenewalApproaching(r) => (r.days_left, r.renews_on),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(r, [(90, "2026-07-05".parse().unwrap())]);
}

#[test]
fn renewals_and_churn_teach_the_score_and_scores_name_the_model() {
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-01-05T09:00:00Z"),
    );
    for i in 0..12 {
        let a = format!("H{i}");
        t.emit("ascent.platform", signup(&a));
        if i % 2 == 0 {
            sessions(&t, &a, 30.0);
        }
    }
    t.clock.set(at("2026-01-20T09:00:00Z"));
    for i in 0..12 {
        let a = format!("H{i}");
        if i % 2 == 0 {
            t.emit(
                "ascent.crm",
                AccountRenewed {
                    account_id: a,
                    renewed_on: t.now().date_naive(),
                    arr: Money::usd(1_000_000),
                    term_months: None,
                },
            );
        } else {
            t.emit(
                "ascent.crm",
                AccountChurned {
                    account_id: a,
                    churned_on: t.now().date_naive(),
                    reason: "no adoption".into(),
                },
            );
        }
    }
    // A repeated outcome is learned once.
    t.emit(
        "ascent.crm",
        AccountRenewed {
            account_id: "H0".into(),
            renewed_on: t.now().date_naive(),
            arr: Money::usd(1),
            term_months: None,
        },
    );
    let m: Logistic =
        serde_json::from_value(t.get(Domain::Performance, MODEL_PK, "current").unwrap()).unwrap();
    assert_eq!((m.version, m.outcomes), (12, 12));
    t.emit("ascent.platform", signup("N1"));
    tick(&t, "2026-01-21T06:00:00Z");
    assert_eq!(scored(&t, "N1")[0].model, "logit-v12");
    // Bad input.
    t.emit(
        "ascent.surveys",
        NpsResponse {
            account_id: "N1".into(),
            respondent: "x".into(),
            score: 11,
            comment: None,
        },
    );
    let dl = t.runtime.dead_letters().unwrap();
    assert!(dl[0].reason.contains("11 is outside 0–10"), "{dl:?}");
}

#[test]
fn each_hourly_run_scores_a_bounded_page_and_each_account_once_a_day() {
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-01-05T09:00:00Z"),
    );
    for i in 0..45 {
        t.emit("ascent.platform", signup(&format!("B{i:02}")));
    }
    let scored_today = |t: &TestTwin| {
        (0..45)
            .filter(|i| {
                t.get(Domain::Customer, &format!("retention#B{i:02}"), "signals")
                    .unwrap()["scored_on"]
                    == "2026-01-06"
            })
            .count()
    };
    tick(&t, "2026-01-06T06:00:00Z");
    assert_eq!(scored_today(&t), 40);
    tick(&t, "2026-01-06T07:00:00Z");
    assert_eq!(scored_today(&t), 45);
    tick(&t, "2026-01-06T08:00:00Z");
    assert_eq!(t.emitted("HealthScored").len(), 45, "once a day each");
}

/// Bulk work never depends on its size (issue 19): 1,000 accounts are all scored within the
/// day, a page of `accounts_per_run` an hourly run, and no run's commit breaks AWS's limits.
#[test]
fn a_thousand_accounts_are_all_scored_within_aws_limits() {
    let start = at("2026-01-05T09:00:00Z");
    let t = TestTwin::new(vec![Arc::new(Retention::default())], start);
    let signups: Vec<Event> = (0..1000)
        .map(|i| {
            Event::new(
                "ascent.platform",
                ascent_core::Actor::system("ascent.platform"),
                start,
                signup(&format!("K{i:04}")),
            )
        })
        .collect();
    t.runtime.ingest(&signups).unwrap();
    t.drain();
    // 1,000 / 40 a run: 25 hourly runs, all on 2026-01-06.
    for hour in 0..24 {
        tick(&t, &format!("2026-01-06T{hour:02}:00:00Z"));
    }
    tick(&t, "2026-01-06T23:30:00Z");
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    for i in 0..1000 {
        let s = t
            .get(Domain::Customer, &format!("retention#K{i:04}"), "signals")
            .unwrap();
        assert_eq!(s["scored_on"], "2026-01-06", "K{i:04}");
    }
}

#[test]
fn a_sign_up_delivered_late_is_dated_when_it_happened() {
    // Given a sign-up of 2026-01-10
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-01-20T09:00:00Z"),
    );
    let e = ascent_core::event::Event::new(
        "ascent.platform",
        ascent_core::event::Actor::system("ascent.platform"),
        at("2026-01-10T09:00:00Z"),
        signup("A1"),
    );
    // When it reaches Retention on 2026-01-20
    t.runtime.ingest(&[e]).unwrap();
    t.drain();
    // Then the account signed up on 01-10 (its renewal counts from then)
    let s: Signals =
        serde_json::from_value(t.get(Domain::Customer, "retention#A1", "signals").unwrap())
            .unwrap();
    assert_eq!(s.signed_up_on, "2026-01-10".parse::<NaiveDate>().unwrap());
    assert_eq!(
        s.renews_on(12, "2026-01-20".parse::<NaiveDate>().unwrap()),
        renewal_of("2026-01-10".parse::<NaiveDate>().unwrap(), 12)
    );
}

fn contract(account: &str, term_months: u32) -> ascent_core::catalog::ContractIssued {
    ascent_core::catalog::ContractIssued {
        contract_id: format!("C-{account}"),
        deal_id: "D1".into(),
        account_id: account.into(),
        proposal_id: "P1".into(),
        total: ascent_core::Money::usd(9_600_000),
        terms: ascent_core::catalog::ContractTerms {
            payment_terms_days: 30,
            term_months,
            auto_renew: true,
            liability_cap_multiple: 1.0,
            governing_law: "US-DE".into(),
            custom_clauses: vec![],
        },
        deviations: vec![],
        legal_approval_id: None,
    }
}

fn reminders(t: &TestTwin) -> Vec<(u32, NaiveDate, Option<u32>)> {
    t.emitted("RenewalApproaching")
        .iter()
        .map(|e| match e.payload() {
            Payload::RenewalApproaching(r) => (r.days_left, r.renews_on, r.term_months),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn a_24_month_contract_is_reminded_before_its_second_anniversary_not_the_first() {
    // Given A1 signed up 2026-01-05 with a 24-month contract: it renews 2028-01-05.
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-01-05T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1"));
    t.emit("ascent.agent.closing", contract("A1", 24));
    // When the days run to 90 days before the fixed 12 months (2027-01-05 − 90 = 2026-10-07)
    tick(&t, "2026-10-07T06:00:00Z");
    // Then nothing is reminded (the old code reminded here, 12 months after sign-up).
    assert_eq!(reminders(&t), []);
    // 2028-01-05 − 90 days: 5 days back to 2027-12-31, 31 more to 11-30 (36), 30 more to
    // 10-31 (66), 24 more to 2027-10-07 (90): the 90-day reminder of the 24-month date.
    tick(&t, "2027-10-07T06:00:00Z");
    assert_eq!(
        reminders(&t),
        [(90, "2028-01-05".parse().unwrap(), Some(24))]
    );
}

#[test]
fn a_36_month_contract_renews_after_36_months() {
    // Given a 36-month contract from 2026-01-05: renews 2029-01-05; 30 days before is
    // 2028-12-06 (5 days of January + 25 of December).
    let t = TestTwin::new(
        vec![Arc::new(Retention::default())],
        at("2026-01-05T09:00:00Z"),
    );
    t.emit("ascent.platform", signup("A1"));
    t.emit("ascent.agent.closing", contract("A1", 36));
    tick(&t, "2028-12-06T06:00:00Z");
    // The 90- and 60-day runs were missed: one reminder, the nearest (30 days).
    let r = reminders(&t);
    assert_eq!(
        r.last(),
        Some(&(30, "2029-01-05".parse().unwrap(), Some(36)))
    );
}
