//! The personal data the declaration names against the records as they serialise: every
//! declared field is in a sample record of its prefix (a renamed field fails here), and the
//! prefixes holding personal data are exactly the campaigns (their owner's address) and the
//! plans (who decided them). The allocation in effect and the reports hold none.

use crate::lifecycle::Status;
use crate::{Campaign, Plan, PlanStatus};
use ascent_core::agent::Domain;
use ascent_core::catalog::MarketingChannel;
use chrono::NaiveDate;
use serde_json::Value;

fn record(r: &impl serde::Serialize) -> Value {
    serde_json::to_value(r).expect("a record serialises")
}

#[test]
fn declared_personal_fields_are_what_the_records_serialise() {
    let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let campaign = Campaign {
        campaign_id: "C-1".into(),
        name: "Winter webinars".into(),
        owner: Some("marketing.lead@ascent-xr.example".into()),
        status: Status::Live,
        starts_on: day,
        ends_on: day,
        budgets: [(MarketingChannel::Webinar, 500_000)].into(),
        goal_customers: Some(10),
        target_cpa: None,
        history: vec!["2026-12-07 launched".into()],
        version: 2,
    };
    let plan = Plan {
        period: day,
        measured_from: day,
        measured_to: day,
        previous: Default::default(),
        proposed: Default::default(),
        returns: Default::default(),
        status: PlanStatus::InEffect,
        reasons: vec![],
        approval_id: Some("ap-1".into()),
        decided_by: Some("cmo@ascent-xr.example".into()),
        progress: vec![],
    };
    check(&[
        (
            Domain::Performance,
            "mkt-campaign#",
            vec![record(&campaign)],
        ),
        (Domain::Performance, "mkt-plan#", vec![record(&plan)]),
    ]);
}

/// The declaration's checks against the samples (`ascent_core::privacy::declared`).
fn check(samples: &[(Domain, &str, Vec<Value>)]) {
    ascent_core::privacy::declared::check_samples(&crate::declaration(), samples)
}
