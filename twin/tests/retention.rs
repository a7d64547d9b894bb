//! Retention, whole flow in the twin with its manual clock: what the engine stamped from the
//! agents' declarations, idempotency records and dead letters are gone once their
//! `[data_retention]` days have passed and the sweep ran; a lead that converted stays.

use ascent_core::agent::Domain;
use ascent_core::catalog::{DealClosedWon, InteractionKind, InteractionRecorded, LeadCreated};
use ascent_core::money::Money;
use ascent_core::retention::{DataRetention, KEPT_UNTIL};
use ascent_embedded::TwinConfig;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Duration, Utc};
use lead_generation::LeadGeneration;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

/// Short retentions, so the flow spans weeks rather than years.
fn retention() -> DataRetention {
    DataRetention {
        unconverted_leads_days: 30,
        interactions_days: 10,
        idempotency_days: 20,
        dead_letters_days: 5,
        ..DataRetention::default()
    }
}

fn twin() -> TestTwin {
    let config = TwinConfig {
        retention: retention(),
        ..TwinConfig::default()
    };
    TestTwin::with_config(vec![Arc::new(LeadGeneration::default())], t0(), config)
}

fn lead(id: &str, email: &str, name: &str) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: email.into(),
        full_name: name.into(),
        company: "Boreal Aero".into(),
        company_size: 2_000,
        industry: "Aerospace".into(),
        role: "VP Engineering".into(),
        country: Some("DE".into()),
        channel: "web".into(),
        phone: None,
        time_zone: None,
    }
}

fn won(lead_id: &str) -> DealClosedWon {
    DealClosedWon {
        deal_id: format!("deal-{lead_id}"),
        account_id: format!("acct-{lead_id}"),
        owner: "ava.rep@ascent-xr.example".into(),
        amount: Money::usd(1_000_000),
        proposal_id: None,
        reason: None,
        lead_id: Some(lead_id.into()),
    }
}

fn interaction(id: &str, email: &str, at: DateTime<Utc>) -> InteractionRecorded {
    InteractionRecorded {
        interaction_id: id.into(),
        email: email.into(),
        kind: InteractionKind::EmailOpened,
        occurred_at: at,
        text: None,
    }
}

/// Moves the clock to `days` after t0 and runs the twin's sweep, as `ascent up` does.
fn sweep_at(t: &TestTwin, days: i64) -> ascent_embedded::sweep::Swept {
    t.clock
        .set(t0() + Duration::days(days) + Duration::minutes(1));
    t.runtime.sweep_retention().expect("sweep")
}

fn handled_records(t: &TestTwin) -> i64 {
    t.runtime
        .store()
        .read(|c| c.query_row("SELECT COUNT(*) FROM handled", [], |r| r.get(0)))
        .unwrap()
}

fn expiry_of(t: &TestTwin, pk: &str, sk: &str) -> Option<i64> {
    futures::executor::block_on(ascent_core::ports::DataLake::get(
        t.runtime.store().as_ref(),
        Domain::Customer,
        pk,
        sk,
    ))
    .unwrap()
    .and_then(|i| i.expires_at)
}

#[test]
fn a_lead_never_converted_is_gone_after_its_days_and_a_converted_one_stays() {
    let t = twin();
    // Given two leads; one of them becomes a customer (a won deal names it)
    t.emit(
        "ascent.crm",
        lead("L-cold", "cold@boreal.example", "Mia Jensen"),
    );
    t.emit(
        "ascent.crm",
        lead("L-won", "won@boreal.example", "Noah Berg"),
    );
    t.emit("ascent.crm", won("L-won"));
    assert!(t.get(Domain::Customer, "lead#L-cold", "profile").is_some());
    assert_eq!(
        expiry_of(&t, "lead#L-cold", "profile"),
        Some((t0() + Duration::days(30)).timestamp()),
        "the engine gave the unconverted lead `unconverted_leads_days`"
    );
    assert_eq!(expiry_of(&t, "lead#L-won", "profile"), Some(KEPT_UNTIL));
    assert_eq!(expiry_of(&t, "lead#L-won", "outcome"), Some(KEPT_UNTIL));

    // When its days have not all passed, it stays
    sweep_at(&t, 29);
    assert!(t.get(Domain::Customer, "lead#L-cold", "profile").is_some());

    // When they have and the sweep ran
    let swept = sweep_at(&t, 30);
    // Then the cold lead and its address claim are gone; the converted lead's stay
    assert!(swept.expired > 0);
    assert!(t.get(Domain::Customer, "lead#L-cold", "profile").is_none());
    assert!(
        t.get(Domain::Customer, "email#cold@boreal.example", "lead")
            .is_none()
    );
    assert!(t.get(Domain::Customer, "lead#L-won", "profile").is_some());
    assert!(t.get(Domain::Customer, "lead#L-won", "outcome").is_some());
    assert!(
        t.get(Domain::Customer, "email#won@boreal.example", "lead")
            .is_some()
    );

    // And a later interaction rescoring the converted lead keeps it kept
    t.emit(
        "ascent.web",
        interaction("i-late", "won@boreal.example", t.now()),
    );
    assert_eq!(expiry_of(&t, "lead#L-won", "profile"), Some(KEPT_UNTIL));
}

#[test]
fn an_interaction_goes_after_its_days() {
    let t = twin();
    t.emit(
        "ascent.web",
        interaction("i-1", "anon@visitor.example", t0()),
    );
    let stored = || {
        t.query(Domain::Interaction, "contact#anon@visitor.example")
            .len()
    };
    assert_eq!(stored(), 1);
    sweep_at(&t, 9);
    assert_eq!(stored(), 1);
    sweep_at(&t, 10);
    assert_eq!(stored(), 0);
}

#[test]
fn an_idempotency_record_goes_after_its_days() {
    let t = twin();
    t.emit(
        "ascent.web",
        interaction("i-1", "anon@visitor.example", t0()),
    );
    assert_eq!(handled_records(&t), 1);
    sweep_at(&t, 19);
    assert_eq!(handled_records(&t), 1);
    sweep_at(&t, 20);
    assert_eq!(handled_records(&t), 0);
}

#[test]
fn a_dead_letter_goes_after_its_days_and_its_removal_is_audited() {
    let t = twin();
    // Given a message the agent refuses for good (no usable address): a dead letter
    t.emit("ascent.web", interaction("i-bad", "not an address", t0()));
    assert_eq!(t.runtime.dead_letters().unwrap().len(), 1);
    // When fewer than `dead_letters_days` have passed, it stays
    assert_eq!(sweep_at(&t, 4).dead_letters, 0);
    assert_eq!(t.runtime.dead_letters().unwrap().len(), 1);
    // When they have, the sweep deletes it and the audit chain says so, and still verifies
    assert_eq!(sweep_at(&t, 5).dead_letters, 1);
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    let audit = t.runtime.store().audit_records().unwrap();
    assert!(
        audit.iter().any(|r| r.entry.action == "dlq.expired"),
        "{audit:?}"
    );
    t.runtime
        .store()
        .verify_audit()
        .expect("the chain verifies");
}

mod approvals {
    //! A closed approval request goes `approvals_days` after its decision or deadline.

    use super::*;
    use ascent_core::Ctx;
    use ascent_core::agent::{Agent, AgentDecl, AgentError, Department, QueueClass, Subscription};
    use ascent_core::approval::ApprovalDraft;
    use ascent_core::event::Event;
    use std::future::Future;
    use std::pin::Pin;

    /// Asks the sales director for a discount on every daily tick.
    struct Asker(AgentDecl);

    // The trait's `async fn`, written out (this crate does not depend on `async-trait`).
    impl Agent for Asker {
        fn declaration(&self) -> &AgentDecl {
            &self.0
        }
        fn handle<'a, 'b, 'c, 'd, 'f>(
            &'a self,
            _: &'b Event,
            ctx: &'c mut Ctx<'d>,
        ) -> Pin<Box<dyn Future<Output = Result<(), AgentError>> + Send + 'f>>
        where
            'a: 'f,
            'b: 'f,
            'c: 'f,
            'd: 'f,
            Self: 'f,
        {
            let asked = ctx.request_approval(ApprovalDraft {
                kind: "discount".into(),
                subject: "deal-9".into(),
                summary: "20% off deal-9".into(),
                amount: Some(Money::usd(500_000)),
                requester: "rep@ascent-xr.example".into(),
                approver_role: "sales-director".into(),
                first_approver: None,
                reason: "competitive".into(),
                facts: Default::default(),
                ..Default::default()
            });
            Box::pin(async move { asked })
        }
    }

    /// (status, expires_at) of the one stored approval request.
    fn stored(t: &TestTwin) -> Option<(String, Option<i64>)> {
        t.runtime
            .store()
            .read(|c| {
                let mut st = c.prepare(
                    "SELECT json_extract(data, '$.status'), expires_at FROM items \
                     WHERE domain = 'approvals' AND sk = 'approval'",
                )?;
                let rows: Vec<(String, Option<i64>)> = st
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                Ok(rows.into_iter().next())
            })
            .unwrap()
    }

    #[test]
    fn an_expired_approval_request_goes_after_its_days() {
        let asker = Asker(AgentDecl {
            name: "asker",
            department: Department::Sales,
            queue: QueueClass::Priority,
            subscriptions: vec![Subscription {
                name: "daily",
                pattern: serde_json::json!({"detail-type": ["ScheduleTick"]}),
            }],
            reads: vec![],
            owns: vec![],
            emits: vec![],
            requests_approvals: true,
            sends_mail: false,
            writes_text: false,
        });
        let config = TwinConfig {
            retention: DataRetention {
                approvals_days: 30,
                ..retention()
            },
            ..TwinConfig::default()
        };
        let t = TestTwin::with_config(vec![Arc::new(asker)], t0(), config);
        // Given an open request: pending, no expiry
        t.tick("daily", t0());
        assert_eq!(stored(&t), Some(("pending".into(), None)));
        // When nobody decides by the deadlines, it expires
        let mut at = t0();
        while stored(&t).is_some_and(|(s, _)| s == "pending") {
            at += Duration::hours(49);
            assert!(at < t0() + Duration::days(30), "the request never expired");
            t.clock.set(at);
            t.runtime.tick_approvals().unwrap();
        }
        let (status, expires) = stored(&t).unwrap();
        assert_eq!(status, "expired");
        // Then it goes `approvals_days` after its expiry
        assert_eq!(expires, Some((at + Duration::days(30)).timestamp()));
        t.clock.set(at + Duration::days(30) - Duration::minutes(1));
        t.runtime.sweep_retention().unwrap();
        assert!(stored(&t).is_some());
        t.clock.set(at + Duration::days(30));
        t.runtime.sweep_retention().unwrap();
        assert_eq!(stored(&t), None);
    }
}
