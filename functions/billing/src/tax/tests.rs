//! The tax of an invoice: per-line rates and rounding, and unknown regions held for a person.

use super::*;
use crate::{Billing, Invoice};
use ascent_core::agent::Domain;
use ascent_core::catalog::{CustomerSignedUp, DealClosedWon, Payload};
use ascent_embedded::testkit::TestTwin;
use std::sync::Arc;

fn line(sku: &str, amount: i64) -> PricedLine {
    PricedLine {
        sku: sku.into(),
        description: sku.into(),
        quantity: 1,
        unit_price: Money::usd(amount),
        amount: Money::usd(amount),
        revenue: None,
        tax: None,
    }
}

fn twin() -> TestTwin {
    TestTwin::new(
        vec![Arc::new(Billing::default())],
        "2026-03-02T09:00:00Z".parse().unwrap(),
    )
}

fn signup(region: &str) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: "A1".into(),
        company: "Boreal Aero".into(),
        plan: "enterprise".into(),
        seats: 5,
        tax_region: region.into(),
        billing_email: "ap@boreal.aero".into(),
        payment_terms_days: 30,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: None,
        tax_exemption_id: None,
    }
}

fn won() -> DealClosedWon {
    DealClosedWon {
        deal_id: "D1".into(),
        account_id: "A1".into(),
        owner: "rep@ascent-xr.example".into(),
        amount: Money::usd(1_000_000),
        proposal_id: None,
        reason: None,
        lead_id: None,
    }
}

#[test]
fn lookup_is_case_insensitive_and_an_unlisted_region_is_unknown() {
    let t = crate::BillingConfig::default().tax;
    assert_eq!(t.rate_for("us-ca"), Some(725));
    assert_eq!(t.rate_for("DE"), Some(1_900));
    // Oregon has no sales tax: configured as 0, known.
    assert_eq!(t.rate_for("US-OR"), Some(0));
    // Was 0 in silence; now unknown.
    assert_eq!(t.rate_for("US-ZZ"), None);
}

#[test]
fn every_line_carries_its_tax_rounded_per_line_and_the_invoice_sums_them() {
    // Given two lines of 10.03 and a discount of -10.03 taxed at US-CA 7.25%
    let mut lines = vec![line("A", 1_003), line("B", 1_003), line("DISCOUNT", -1_003)];
    // When taxed
    let tax = tax_lines(&mut lines, "us-ca", 725, "USD");
    // Then each line: 1,003 × 0.0725 = 72.7175 → 73; the discount -72.7175 → -73 (half away
    // from zero); the invoice 73 + 73 - 73 = 73 (not the subtotal's 1,003 × 0.0725 rounded once,
    // which the lines would not add up to when rounding differs).
    let amounts: Vec<i64> = lines
        .iter()
        .map(|l| l.tax.as_ref().unwrap().amount.amount_minor)
        .collect();
    assert_eq!(amounts, [73, 73, -73]);
    assert_eq!(tax, Money::usd(73));
    let first = lines[0].tax.as_ref().unwrap();
    assert_eq!(first.jurisdiction, "US-CA");
    assert_eq!(first.rate_bp, 725);
    assert_eq!(first.treatment, TaxTreatment::Standard);
    // Two lines alone: 73 + 73 = 146, where 2,006 × 0.0725 = 145.435 would round to 145.
    let mut two = vec![line("A", 1_003), line("B", 1_003)];
    assert_eq!(tax_lines(&mut two, "US-CA", 725, "USD"), Money::usd(146));
    // Half a cent rounds away from zero both ways: 200 × 0.0025 = 0.5 → 1; -0.5 → -1.
    let mut halves = vec![line("A", 200), line("B", -200)];
    tax_lines(&mut halves, "X", 25, "USD");
    assert_eq!(halves[0].tax.as_ref().unwrap().amount, Money::usd(1));
    assert_eq!(halves[1].tax.as_ref().unwrap().amount, Money::usd(-1));
}

#[test]
fn an_invoice_shows_its_jurisdiction_and_rate_on_every_line() {
    // Given a customer in California
    let t = twin();
    t.emit("ascent.platform", signup("US-CA"));
    // When a 10,000.00 deal is won
    t.emit("ascent.crm", won());
    // Then its line carries US-CA at 7.25%: 1,000,000 × 0.0725 = 72,500 minor
    let inv: Invoice = serde_json::from_value(
        t.get(Domain::Financial, "invoice#inv-D1", "invoice")
            .unwrap(),
    )
    .unwrap();
    let tax = inv.lines[0].tax.as_ref().unwrap();
    assert_eq!((tax.jurisdiction.as_str(), tax.rate_bp), ("US-CA", 725));
    assert_eq!(tax.amount, Money::usd(72_500));
    assert_eq!(inv.tax, Money::usd(72_500));
    let Payload::InvoiceIssued(issued) = t.emitted("InvoiceIssued")[0].payload().clone() else {
        panic!("not an invoice")
    };
    assert_eq!(issued.lines[0].tax.as_ref().unwrap().rate_bp, 725);
}

#[test]
fn a_region_without_sales_tax_is_invoiced_as_not_taxable() {
    let t = twin();
    t.emit("ascent.platform", signup("US-OR"));
    t.emit("ascent.crm", won());
    let inv: Invoice = serde_json::from_value(
        t.get(Domain::Financial, "invoice#inv-D1", "invoice")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(inv.tax, Money::usd(0));
    let tax = inv.lines[0].tax.as_ref().unwrap();
    assert_eq!(tax.treatment, TaxTreatment::NotTaxable);
    assert!(t.emitted("ExceptionRaised").is_empty());
}

#[test]
fn an_unknown_region_holds_the_invoice_for_a_person() {
    // Given a customer in a region with no configured rate (was invoiced at 0% in silence)
    let t = twin();
    t.emit("ascent.platform", signup("US-ZZ"));
    // When the deal is won
    t.emit("ascent.crm", won());
    // Then no invoice is issued nor stored, and an exception names the region
    assert!(t.emitted("InvoiceIssued").is_empty());
    assert!(
        t.get(Domain::Financial, "invoice#inv-D1", "invoice")
            .is_none()
    );
    let raised = t.emitted("ExceptionRaised");
    assert_eq!(raised.len(), 1);
    let Payload::ExceptionRaised(e) = raised[0].payload().clone() else {
        panic!("not an exception")
    };
    assert_eq!(e.subject, "inv-D1");
    assert!(e.reason.contains("US-ZZ"), "{}", e.reason);
    assert!(t.runtime.mails().unwrap().is_empty());
}

#[test]
fn the_invoice_mail_shows_each_line_s_jurisdiction_and_rate() {
    // Given a California customer's 10,000.00 deal
    let t = twin();
    t.emit("ascent.platform", signup("US-CA"));
    t.emit("ascent.crm", won());
    // Then the mail lists the line with US-CA at 7.25%: 1,000,000 × 0.0725 = 72,500 minor = 725.00
    let mails = t.runtime.mails().unwrap();
    let text = &mails[0].text;
    assert!(
        text.contains("DEAL x1: 10000.00 USD, tax US-CA 7.25%: 725.00 USD"),
        "{text}"
    );
}
