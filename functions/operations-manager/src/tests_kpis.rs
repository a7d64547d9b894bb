//! KPI monitoring through the twin: four days of leads, deals, tickets and dunning; each daily
//! run raises a KPI's crossing once, and again only after it was back within its bounds.

use super::*;
use ascent_core::catalog::{DunningAction, DunningStepTaken, InvoicePaid};

fn lead(t: &TestTwin, id: &str) {
    t.emit(
        "ascent.crm",
        LeadCreated {
            lead_id: id.into(),
            email: format!("{}@northwind.example", id.to_lowercase()),
            full_name: "Sam Lee".into(),
            company: "Northwind".into(),
            company_size: 120,
            industry: "healthcare".into(),
            role: "Head of Training".into(),
            country: Some("US".into()),
            channel: "web".into(),
            phone: None,
            time_zone: None,
        },
    );
}

fn leads(t: &TestTwin, day: &str, n: usize) {
    t.clock.set(at(&format!("{day}T10:00:00Z")));
    for i in 0..n {
        lead(t, &format!("L-{day}-{i}"));
    }
}

fn dunning(t: &TestTwin, invoice: &str) {
    t.emit(
        "ascent.agent.billing",
        DunningStepTaken {
            invoice_id: invoice.into(),
            account_id: "A-100".into(),
            step: 1,
            days_overdue: 3,
            action: DunningAction::Reminder,
            outstanding: Money::usd(1_200_000),
        },
    );
}

fn paid(t: &TestTwin, invoice: &str) {
    t.emit(
        "ascent.agent.billing",
        InvoicePaid {
            invoice_id: invoice.into(),
            account_id: "A-100".into(),
            total: Money::usd(1_200_000),
            paid_on: t.now().date_naive(),
        },
    );
}

fn kpi_crossings(t: &TestTwin) -> Vec<(String, f64, Direction)> {
    crossed(t)
        .into_iter()
        .filter(|c| c.metric.starts_with("kpi."))
        .map(|c| (c.metric, c.value, c.direction))
        .collect()
}

#[test]
fn each_kpi_crossing_is_raised_once_until_it_is_back_within_bounds() {
    let mut config = OperationsConfig::default();
    config.kpis.open_tickets.max = Some(2.0);
    config.kpis.overdue_invoices.max = Some(1.0);
    let t = twin_with(config, "2026-03-02T09:00:00Z");
    // Day one: two leads (one reported twice), one deal won and one lost (win rate 0.5, at
    // least 0.2: within), three tickets open (above 2).
    leads(&t, "2026-03-02", 2);
    lead(&t, "L-2026-03-02-0");
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D-1".into(),
            account_id: "A-100".into(),
            owner: "rep@ascent-xr.example".into(),
            amount: Money::usd(500_000),
            proposal_id: None,
            reason: None,
            lead_id: None,
        },
    );
    for _ in 0..2 {
        t.emit(
            "ascent.crm",
            DealClosedLost {
                deal_id: "D-2".into(),
                account_id: "A-200".into(),
                owner: "rep@ascent-xr.example".into(),
                reason: "no budget this year".into(),
                lead_id: None,
            },
        );
    }
    for ticket in ["T-1", "T-2", "T-3"] {
        opened(&t, ticket, "2026-03-02T11:00:00Z");
    }
    // A ticket resolved before its opening arrives is never counted open.
    resolved(&t, "T-9");
    opened(&t, "T-9", "2026-03-02T11:30:00Z");
    t.tick("daily", at("2026-03-03T09:00:00Z"));
    assert_eq!(
        kpi_crossings(&t),
        [
            ("kpi.daily_leads".to_string(), 2.0, Direction::Below),
            ("kpi.open_tickets".to_string(), 3.0, Direction::Above),
        ]
    );
    let first_report = &mails_to(&t, "operations@ascent-xr.example")
        .into_iter()
        .find(|m| m.subject.starts_with("Operations report"))
        .unwrap();
    assert!(
        first_report
            .text
            .contains("- win_rate: 0.50 (bounds: at least 0.20) within")
    );
    assert!(
        first_report
            .text
            .contains("- daily_leads: 2 (bounds: at least 5) BELOW")
    );

    // Day two: three leads (still below: nothing new), one ticket resolved (2: within), two
    // invoices in dunning, one reported twice (2: above 1).
    leads(&t, "2026-03-03", 3);
    resolved(&t, "T-1");
    resolved(&t, "T-1");
    dunning(&t, "inv-1");
    dunning(&t, "inv-1");
    dunning(&t, "inv-2");
    t.tick("daily", at("2026-03-04T09:00:00Z"));
    assert_eq!(kpi_crossings(&t).len(), 3);
    assert_eq!(
        kpi_crossings(&t)[2],
        ("kpi.overdue_invoices".to_string(), 2.0, Direction::Above)
    );
    // Day three: six leads (within again), inv-1 paid (1: within), an invoice paid that was
    // never overdue changes nothing.
    leads(&t, "2026-03-04", 6);
    paid(&t, "inv-1");
    paid(&t, "inv-7");
    t.tick("daily", at("2026-03-05T09:00:00Z"));
    assert_eq!(kpi_crossings(&t).len(), 3);
    // Day four: one lead: below again, a new crossing.
    leads(&t, "2026-03-05", 1);
    t.tick("daily", at("2026-03-06T09:00:00Z"));
    assert_eq!(
        kpi_crossings(&t)[3],
        ("kpi.daily_leads".to_string(), 1.0, Direction::Below)
    );
    assert_eq!(kpi_crossings(&t).len(), 4);
    let kpi_mails: Vec<String> = mails_to(&t, "operations@ascent-xr.example")
        .into_iter()
        .filter(|m| m.subject.starts_with("KPI"))
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        kpi_mails,
        [
            "KPI daily_leads is below its minimum: 2 on 2026-03-02",
            "KPI open_tickets is above its maximum: 3 on 2026-03-02",
            "KPI overdue_invoices is above its maximum: 2 on 2026-03-03",
            "KPI daily_leads is below its minimum: 1 on 2026-03-05",
        ]
    );
}
