//! Cohort flows: sign-ups and churn through the twin into the report's retention table.

use super::*;

fn signup(account: &str) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: account.into(),
        company: format!("Customer {account}"),
        plan: "team".into(),
        seats: 25,
        tax_region: "US-CA".into(),
        billing_email: "ap@customer.example".into(),
        payment_terms_days: 30,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn churned(account: &str, on: &str) -> AccountChurned {
    AccountChurned {
        account_id: account.into(),
        churned_on: d(on),
        reason: "budget cut".into(),
    }
}

fn sign_up_on(t: &TestTwin, account: &str, when: &str) {
    t.clock.set(at(when));
    t.emit("ascent.platform", signup(account));
}

/// Given January's 4 sign-ups (one churned in February, one in April), February's 5 (two
/// churned in February) and April's 3, when the report of Monday 2026-05-04 runs, then the
/// table is the hand-computed one of `cohorts::tests::a_hand_computed_table`.
#[test]
fn sign_ups_and_churn_make_the_retention_table() {
    let t = twin("2026-01-10T10:00:00Z");
    for (i, a) in ["A1", "A2", "A3", "A4"].iter().enumerate() {
        sign_up_on(&t, a, &format!("2026-01-{:02}T10:00:00Z", 10 + i));
    }
    sign_up_on(&t, "A1", "2026-01-20T10:00:00Z"); // a resend: counted once
    for (i, a) in ["B1", "B2", "B3", "B4", "B5"].iter().enumerate() {
        sign_up_on(&t, a, &format!("2026-02-{:02}T10:00:00Z", 2 + i));
    }
    t.clock.set(at("2026-02-25T10:00:00Z"));
    t.emit("ascent.crm", churned("A2", "2026-02-20"));
    t.emit("ascent.crm", churned("A2", "2026-02-21")); // counted once
    t.emit("ascent.crm", churned("B1", "2026-02-24"));
    t.emit("ascent.crm", churned("B2", "2026-02-25"));
    t.emit("ascent.crm", churned("Z9", "2026-02-25")); // never signed up here: no cohort
    for (i, a) in ["C1", "C2", "C3"].iter().enumerate() {
        sign_up_on(&t, a, &format!("2026-04-{:02}T10:00:00Z", 6 + i));
    }
    t.clock.set(at("2026-04-28T10:00:00Z"));
    t.emit("ascent.crm", churned("A3", "2026-04-15"));
    t.emit("ascent.crm", churned("C1", "2026-04-28"));
    assert!(dead_letters(&t).is_empty(), "{:?}", dead_letters(&t));

    t.tick("daily", at("2026-05-05T06:00:00Z")); // Monday 2026-05-04 in Los Angeles
    let r = &published(&t)[0];
    let rows: Vec<(&str, u32, Vec<f64>)> = r
        .cohorts
        .iter()
        .map(|c| (c.cohort.as_str(), c.customers, c.retained.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            ("2026-01", 4, vec![0.75, 0.75, 0.5]),
            ("2026-02", 5, vec![0.6, 0.6]),
            ("2026-04", 3, vec![]),
        ]
    );
    let mail = &t.runtime.mails().unwrap()[0];
    assert!(
        mail.text
            .contains("  2026-01          4  75.0%  75.0%  50.0%\n"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("  2026-04          3\n"),
        "{}",
        mail.text
    );
}

/// Only the latest `cohort_months` sign-up months are shown, oldest first.
#[test]
fn the_table_holds_the_latest_cohort_months() {
    let t = twin("2025-01-10T10:00:00Z");
    // One sign-up in each of 14 months, 2025-01 to 2026-02.
    for i in 0..14 {
        let month = chrono::NaiveDate::from_ymd_opt(2025, 1, 10)
            .unwrap()
            .checked_add_months(chrono::Months::new(i))
            .unwrap();
        sign_up_on(&t, &format!("M{i}"), &format!("{month}T10:00:00Z"));
    }
    t.tick("daily", at("2026-03-03T06:00:00Z"));
    let cohorts: Vec<String> = published(&t)[0]
        .cohorts
        .iter()
        .map(|c| c.cohort.clone())
        .collect();
    assert_eq!(cohorts.len(), 12);
    assert_eq!(cohorts.first().map(String::as_str), Some("2025-03"));
    assert_eq!(cohorts.last().map(String::as_str), Some("2026-02"));
    // Nobody churned: every month over shows 100%, six months at most.
    let first = &published(&t)[0].cohorts[0];
    assert_eq!(first.retained, [1.0; 6]);
}

/// A churn dated before the account's sign-up is dead-lettered naming `churned_on`.
#[test]
fn a_churn_before_the_sign_up_is_refused_naming_churned_on() {
    let t = twin("2026-03-10T10:00:00Z");
    t.emit("ascent.platform", signup("A1"));
    t.emit("ascent.crm", churned("A1", "2026-02-01"));
    let reasons = dead_letters(&t);
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains("churned_on: 2026-02-01 is before the account signed up (2026-03-10)"),
        "{}",
        reasons[0]
    );
    let cohort = t.get(Domain::Performance, COHORTS_PK, "2026-03").unwrap();
    assert_eq!(cohort["customers"], 1);
    assert_eq!(cohort["churned"], serde_json::json!([]));
}
