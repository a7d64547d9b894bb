//! The daily run: dunning steps, the AR ageing snapshot, bounded backlogs, the company zone.

use super::*;

#[test]
fn dunning_reminds_then_escalates_and_spares_paid_invoices() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 500_000, None));
    t.emit("ascent.crm", won("D2", "A1", 700_000, None));
    t.emit("ascent.payments", pay("P1", "inv-D2", 700_000));
    // Due 2026-04-01; run the daily schedule for 70 days.
    for day in 1..=70 {
        let at = t0() + Duration::days(day);
        t.tick("daily", at);
    }
    let steps: Vec<(String, u32, u32, DunningAction)> = payloads(&t, "DunningStepTaken")
        .into_iter()
        .map(|p| match p {
            Payload::DunningStepTaken(d) => (d.invoice_id, d.step, d.days_overdue, d.action),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("inv-D1".into(), 1, 3, DunningAction::Reminder),
            ("inv-D1".into(), 2, 10, DunningAction::Reminder),
            ("inv-D1".into(), 3, 20, DunningAction::Reminder),
            ("inv-D1".into(), 4, 30, DunningAction::Escalation),
        ]
    );
    let Payload::ExceptionRaised(x) = payloads(&t, "ExceptionRaised").pop().unwrap() else {
        panic!()
    };
    assert!(x.reason.contains("hand to collections"));
    // The daily AR ageing snapshot: inv-D1 (5,000.00, due 2026-04-01) is 40 days past due.
    let last_day = (t0() + Duration::days(70)).date_naive().to_string();
    let snapshot = t
        .get(Domain::Financial, "report#ar-ageing", &last_day)
        .unwrap();
    assert_eq!(snapshot["by_currency"]["USD"]["past_due_31_60"], 500_000);
    assert_eq!(snapshot["by_currency"]["USD"]["invoices"], 1);
    let reminders = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Reminder"))
        .count();
    assert_eq!(reminders, 3);
}

#[test]
fn an_invoice_first_dunned_30_days_overdue_never_claims_three_reminders() {
    // Given an invoice due 2026-04-01 (issued 03-02, net 30) and no daily run until 05-01
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    // When the first run comes 30 days overdue (05-01 − 04-01 = 30: the escalation day)
    t.tick("daily", "2026-05-01T16:00:00Z".parse().unwrap());
    // Then it goes to collections saying no reminder was sent, not "after 3 reminders"
    let Payload::ExceptionRaised(x) = payloads(&t, "ExceptionRaised").pop().unwrap() else {
        panic!()
    };
    assert!(x.reason.contains("no reminder was sent"), "{}", x.reason);
    assert!(!x.reason.contains("3 reminders"), "{}", x.reason);
    assert!(invoice(&t, "inv-D1").reminders_sent.is_empty());
}

/// Bulk work never depends on its size (issue 19): 1,000 overdue invoices are all dunned, a
/// bounded number per daily run, and no run's commit breaks AWS's limits (each message is
/// checked as `TransactWriteItems` would: 51 writes and more were 103+ items, a dead letter).
#[test]
fn dunning_a_backlog_of_1000_overdue_invoices_stays_within_aws_limits() {
    use ascent_core::ports::{IndexKey, Item};
    let t = TestTwin::new(vec![Arc::new(Billing::default())], t0());
    let due: NaiveDate = "2026-03-01".parse().unwrap();
    for i in 0..1000 {
        let id = format!("inv-B{i:04}");
        let inv = Invoice {
            invoice_id: id.clone(),
            account_id: "A1".into(),
            deal_id: None,
            lines: vec![],
            subtotal: Money::usd(10_000),
            tax_rate_bp: 0,
            tax: Money::usd(0),
            total: Money::usd(10_000),
            paid: Money::usd(0),
            status: InvoiceStatus::Open,
            issued_on: due - Duration::days(30),
            due_on: due,
            payment_terms_days: 30,
            billing_email: Some("ap@boreal.aero".into()),
            credited_minor: 0,
            dunning_step: 0,
            reminders_sent: vec![],
            version: 1,
        };
        let mut item = Item::new(
            invoice_pk(&id),
            "invoice",
            serde_json::to_value(&inv).unwrap(),
        );
        item.gsi1 = Some(IndexKey {
            pk: OPEN_INVOICES.into(),
            sk: format!("{due}#{id}"),
        });
        t.put(Domain::Financial, item);
    }
    // DUNNING_PER_RUN (48) invoices a run, the longest overdue first: every invoice reaches
    // its escalation (30 days) within 100 days.
    for day in 3..=100 {
        t.tick("daily", t0() + Duration::days(day));
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    // Every invoice was dunned to the end (steps missed while waiting are skipped, by design).
    for i in 0..1000 {
        assert_eq!(
            invoice(&t, &format!("inv-B{i:04}")).dunning_step,
            4,
            "inv-B{i:04}"
        );
    }
    let escalations = payloads(&t, "DunningStepTaken")
        .into_iter()
        .filter(|p| matches!(p, Payload::DunningStepTaken(d) if d.step == 4))
        .count();
    assert_eq!(escalations, 1000);
}

/// The shared record (issue 19): the ageing Billing stores parses as the core type the Finance
/// Controller reads.
#[test]
fn the_stored_ar_ageing_is_the_shared_record() {
    // Given an open invoice and a daily run on 2026-04-10
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 500_000, None));
    let day: NaiveDate = "2026-04-10".parse().unwrap();
    t.tick("daily", "2026-04-10T16:00:00Z".parse().unwrap());
    // When the snapshot is read as the shared record
    let stored = t
        .get(Domain::Financial, AR_AGEING_PK, &ar_ageing_sk(day))
        .expect("the day's snapshot");
    let a: ageing::ArAgeing = serde_json::from_value(stored).unwrap();
    // Then it is as of that day with the invoice (net 30) 9 days past due, in 1–30
    assert_eq!(a.as_of, day);
    assert_eq!(a.by_currency["USD"].past_due_1_30, 500_000);
    assert_eq!(a.total("USD"), Money::usd(500_000));
}

/// Business dates are days in the company's zone (issue 22): the daily run at 06:00 UTC is
/// still the evening before in California, so it counts days overdue from that day.
#[test]
fn days_overdue_are_counted_in_the_company_time_zone() {
    // Given an invoice due 2026-04-01 (issued 03-02, net 30); the company is in Los Angeles
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    // When the daily run fires at 2026-04-04T06:00Z = 3 April 23:00 PDT: 2 days overdue
    t.tick("daily", "2026-04-04T06:00:00Z".parse().unwrap());
    // Then no reminder yet (the first is 3 days overdue)
    assert!(payloads(&t, "DunningStepTaken").is_empty());
    // When it fires at 2026-04-05T06:00Z = 4 April PDT: 3 days overdue
    t.tick("daily", "2026-04-05T06:00:00Z".parse().unwrap());
    // Then the first reminder, 3 days overdue, and the ageing snapshot is as of 4 April
    let Payload::DunningStepTaken(d) = payloads(&t, "DunningStepTaken").pop().unwrap() else {
        panic!()
    };
    assert_eq!((d.step, d.days_overdue), (1, 3));
    assert!(
        t.get(
            Domain::Financial,
            AR_AGEING_PK,
            &ar_ageing_sk("2026-04-04".parse().unwrap())
        )
        .is_some()
    );
}
