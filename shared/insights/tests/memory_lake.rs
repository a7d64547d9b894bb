//! The shared business and KPI logic over a lake in memory: the port's contract
//! ([`ascent_insights::contract`]), a customer and its invoice found by name and by id and
//! shown as pages, and the dashboard's invoiced revenue and health tiers.

use ascent_console::OpsError;
use ascent_console::insights::{Period, RecordKind};
use ascent_core::agent::Domain;
use ascent_core::catalog::HealthTier;
use ascent_core::money::Money;
use ascent_insights::{MemoryLake, business, contract, get_as, kpis, scan_as};
use billing::{BillingProfile, Invoice, InvoiceStatus};
use customer_success_director::{ACCOUNTS, PortfolioAccount};
use reporting::counts_pk;
use reporting::figures::Figure;
use reporting::report::DayCounts;
use serde_json::json;

fn lake() -> MemoryLake {
    MemoryLake::new("2026-04-10T09:00:00Z".parse().unwrap())
}

fn profile(id: &str, company: &str) -> BillingProfile {
    BillingProfile {
        account_id: id.into(),
        company: company.into(),
        tax_region: "US-CA".into(),
        billing_email: "ap@example.com".into(),
        payment_terms_days: 30,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn invoice(id: &str, account: &str, due: &str, status: InvoiceStatus) -> Invoice {
    Invoice {
        invoice_id: id.into(),
        account_id: account.into(),
        deal_id: None,
        lines: vec![],
        subtotal: Money::usd(1_250_000),
        tax_rate_bp: 0,
        tax: Money::usd(0),
        total: Money::usd(1_250_000),
        paid: Money::usd(0),
        status,
        issued_on: "2026-03-01".parse().unwrap(),
        due_on: due.parse().unwrap(),
        payment_terms_days: 30,
        billing_email: None,
        credited_minor: 0,
        dunning_step: 0,
        reminders_sent: vec![],
        version: 1,
    }
}

/// Two customers, each with a billing profile and an invoice; one in the portfolio.
fn two_customers() -> MemoryLake {
    let mut l = lake();
    let f = Domain::Financial;
    l.put(
        f,
        "account#A1",
        "billing-profile",
        &profile("A1", "Boreal Aero"),
    );
    l.put(
        f,
        "account#A2",
        "billing-profile",
        &profile("A2", "Cobalt Mining"),
    );
    let overdue = invoice("INV-1", "A1", "2026-03-31", InvoiceStatus::Open);
    l.put(f, "invoice#INV-1", "invoice", &overdue);
    let paid = invoice("INV-2", "A2", "2026-03-31", InvoiceStatus::Paid);
    l.put(f, "invoice#INV-2", "invoice", &paid);
    // Not an invoice, under the same prefix: skipped.
    l.put(f, "invoice#INV-3", "invoice", &json!({"draft": true}));
    let account = PortfolioAccount {
        account_id: "A1".into(),
        plan: "enterprise".into(),
        seats: 40,
        tier: Some(HealthTier::AtRisk),
        ..Default::default()
    };
    l.put(Domain::Customer, ACCOUNTS, "A1", &account);
    l
}

#[tokio::test]
async fn a_lake_in_memory_keeps_the_port_s_contract_and_typed_reads_skip_other_records() {
    let mut l = lake();
    for (domain, pk, sk, data) in contract::items() {
        l.put(domain, pk, sk, &data);
    }
    contract::check(&l).await;

    // Typed: items that do not read as the type are skipped.
    let f = Domain::Financial;
    let l = two_customers();
    let invoices = scan_as::<Invoice>(&l, f, "invoice#", None, None, 10)
        .await
        .unwrap();
    assert_eq!(invoices.len(), 2);
    assert!(
        get_as::<Invoice>(&l, f, "invoice#INV-3", "invoice")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_customer_and_its_invoice_are_found_by_name_or_id_and_shown() {
    let l = two_customers();
    let hits = business::search(&l, "boreal").await.unwrap();
    let found: Vec<(RecordKind, &str, &str)> = hits
        .iter()
        .map(|h| (h.kind, h.id.as_str(), h.status.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (RecordKind::Customer, "A1", "at risk"),
            (RecordKind::Invoice, "INV-1", "overdue 10 days"),
        ]
    );
    assert!(
        hits.iter()
            .all(|h| h.name.as_deref() == Some("Boreal Aero"))
    );

    let by_id = business::search(&l, "inv-2").await.unwrap();
    assert_eq!(by_id.len(), 1, "{by_id:?}");
    assert_eq!(
        (by_id[0].id.as_str(), by_id[0].status.as_str()),
        ("INV-2", "paid")
    );
    assert!(business::search(&l, "  ").await.unwrap().is_empty());

    let page = business::record(&l, RecordKind::Invoice, "INV-1")
        .await
        .unwrap();
    assert!(
        page.fields
            .contains(&("Total".into(), "12,500.00 USD".into()))
    );
    assert!(page.fields.contains(&("Days overdue".into(), "10".into())));
    assert_eq!(page.related[0].id, "A1");
    let customer = business::record(&l, RecordKind::Customer, "A1")
        .await
        .unwrap();
    assert!(customer.related.iter().any(|h| h.id == "INV-1"));
    assert!(matches!(
        business::record(&l, RecordKind::Deal, "D9").await,
        Err(OpsError::NotFound(_))
    ));
}

#[tokio::test]
async fn the_dashboard_charts_what_reporting_counted_in_the_period_and_the_portfolio_s_tiers() {
    let mut l = two_customers();
    for (day, minor) in [("2026-03-30", 100_000), ("2026-04-02", 250_000)] {
        let counts = DayCounts {
            department: "finance".into(),
            day: day.parse().unwrap(),
            version: 1,
            figures: [(Figure::Invoiced, minor)].into_iter().collect(),
        };
        l.put(Domain::Performance, &counts_pk("finance"), day, &counts);
    }
    let period = Period::last(7, "2026-04-05".parse().unwrap());
    let all = kpis::kpis(&l, period, "USD").await.unwrap();
    let invoiced = all.iter().find(|k| k.key == "revenue-invoiced").unwrap();
    assert_eq!(
        invoiced.headline.as_deref(),
        Some("3,500.00 USD in the period"),
        "{invoiced:?}"
    );
    assert_eq!(invoiced.points.len(), 7);
    let tiers = all.iter().find(|k| k.key == "health-tiers").unwrap();
    let at_risk = tiers.points.iter().find(|p| p.label == "at risk").unwrap();
    assert_eq!(at_risk.value, 1.0);
    // No home here computes a cost: the KPI says so.
    let cost = all.last().unwrap();
    assert_eq!(cost.key, kpis::COST_KEY);
    assert!(cost.no_data.is_some());
}
