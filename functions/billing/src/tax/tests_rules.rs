//! The tax rules of `[billing.tax]` as shipped: taxability by product category, state plus local
//! rates, the EU/UK reverse charge with VAT ids, exemption certificates.

use super::*;
use crate::{Billing, BillingConfig};
use ascent_core::agent::Domain;
use ascent_core::catalog::{CustomerSignedUp, DealClosedWon, Payload, check_vat_id};
use ascent_core::config::ConfigFile;
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

fn customer(region: &str) -> CustomerTax {
    CustomerTax {
        region: region.into(),
        ..CustomerTax::default()
    }
}

fn table() -> TaxTable {
    BillingConfig::default().tax
}

fn taxes(lines: &[PricedLine]) -> Vec<(i64, TaxTreatment)> {
    lines
        .iter()
        .map(|l| {
            let t = l.tax.as_ref().unwrap();
            (t.amount.amount_minor, t.treatment)
        })
        .collect()
}

#[test]
fn california_taxes_hardware_but_not_saas_nor_services_and_the_discount_on_its_share() {
    // Given seats (saas) 10,000.00, headsets (hardware) 3,000.00, onboarding (services) 5,000.00
    // and a discount of 1,800.00, for a California customer
    let mut lines = vec![
        line("XR-STUDIO-SEAT", 1_000_000),
        line("XR-HEADSET", 300_000),
        line("ONBOARDING", 500_000),
        line("DISCOUNT", -180_000),
    ];
    // When taxed
    let t = tax_invoice(&table(), &mut lines, &customer("US-CA"), "USD").unwrap();
    // Then only the headsets: 300,000 x 7.25% = 21,750; the discount's taxable share is
    // -180,000 x 300,000 / 1,800,000 = -30,000, taxed -30,000 x 7.25% = -2,175;
    // the invoice 21,750 - 2,175 = 19,575 (all lines at 7.25% used to be 117,450).
    assert_eq!(
        taxes(&lines),
        [
            (0, TaxTreatment::NotTaxable),
            (21_750, TaxTreatment::Standard),
            (0, TaxTreatment::NotTaxable),
            (-2_175, TaxTreatment::Standard),
        ]
    );
    assert_eq!(t.tax, Money::usd(19_575));
    assert_eq!(t.rate_bp, 725);
    // Washington taxes SaaS: 1,000,000 x 6.50% = 65,000
    let mut wa = vec![line("XR-STUDIO-SEAT", 1_000_000)];
    let t = tax_invoice(&table(), &mut wa, &customer("US-WA"), "USD").unwrap();
    assert_eq!(t.tax, Money::usd(65_000));
}

#[test]
fn a_locality_adds_its_local_rate_to_the_state_s_and_names_both() {
    // Given a customer in the City of Los Angeles buying headsets of 3,000.00
    let mut c = customer("US-CA");
    c.locality = Some("us-ca-la".into());
    let mut lines = vec![line("XR-HEADSET", 300_000)];
    // When taxed
    let t = tax_invoice(&table(), &mut lines, &c, "USD").unwrap();
    // Then at 7.25% + 2.50% = 9.75%: 300,000 x 0.0975 = 29,250
    let lt = lines[0].tax.as_ref().unwrap();
    assert_eq!(
        (lt.jurisdiction.as_str(), lt.rate_bp),
        ("US-CA/US-CA-LA", 975)
    );
    assert_eq!(t.tax, Money::usd(29_250));
    // Seattle: 6.50% + 3.85% = 10.35% of seats 10,000.00 = 103,500
    let mut c = customer("US-WA");
    c.locality = Some("US-WA-SEA".into());
    let mut seats = vec![line("XR-STUDIO-SEAT", 1_000_000)];
    let t = tax_invoice(&table(), &mut seats, &c, "USD").unwrap();
    assert_eq!(t.tax, Money::usd(103_500));
}

#[test]
fn an_unknown_locality_or_one_outside_the_region_is_refused() {
    let mut c = customer("US-CA");
    c.locality = Some("US-CA-ZZ".into());
    let mut lines = vec![line("XR-HEADSET", 300_000)];
    assert_eq!(
        tax_invoice(&table(), &mut lines, &c, "USD"),
        Err(TaxError::UnknownLocality("US-CA-ZZ".into()))
    );
    // Seattle is not in California: not added to California's rate
    c.locality = Some("US-WA-SEA".into());
    assert!(tax_invoice(&table(), &mut lines, &c, "USD").is_err());
}

#[test]
fn an_eu_business_customer_is_reverse_charged_and_a_consumer_pays_vat() {
    // Given a German business with a VAT id
    let mut b2b = customer("DE");
    b2b.vat_id = Some("de 123 456 789".into());
    let mut lines = vec![line("XR-STUDIO-SEAT", 1_000_000)];
    // When taxed
    let t = tax_invoice(&table(), &mut lines, &b2b, "USD").unwrap();
    // Then no VAT, reverse charge, with the art. 196 wording and both VAT ids
    assert_eq!(t.tax, Money::usd(0));
    assert_eq!(taxes(&lines), [(0, TaxTreatment::ReverseCharge)]);
    assert!(
        t.reverse_charge_note
            .as_deref()
            .unwrap()
            .contains("Article 196")
    );
    assert_eq!(t.seller_vat_id.as_deref(), Some("IE6388047V"));
    assert_eq!(t.customer_vat_id.as_deref(), Some("DE123456789"));
    // A German consumer (no VAT id) pays 19%: 1,000,000 x 0.19 = 190,000
    let mut lines = vec![line("XR-STUDIO-SEAT", 1_000_000)];
    let t = tax_invoice(&table(), &mut lines, &customer("DE"), "USD").unwrap();
    assert_eq!(t.tax, Money::usd(190_000));
    assert_eq!(t.reverse_charge_note, None);
}

#[test]
fn a_uk_business_is_reverse_charged_with_the_hmrc_wording() {
    let mut c = customer("GB");
    c.vat_id = Some("GB123456789".into());
    let mut lines = vec![line("XR-STUDIO-SEAT", 1_000_000)];
    let t = tax_invoice(&table(), &mut lines, &c, "USD").unwrap();
    assert_eq!(t.tax, Money::usd(0));
    assert_eq!(
        t.reverse_charge_note.as_deref(),
        Some("Reverse charge: customer to account for VAT to HMRC")
    );
    assert_eq!(t.seller_vat_id.as_deref(), Some("GB123456789"));
}

#[test]
fn a_domestic_supply_is_charged_vat_even_to_a_business_with_an_id() {
    // Given an Irish business (the seller is established in Ireland: domestic_countries)
    let mut c = customer("IE");
    c.vat_id = Some("IE1234567T".into());
    let mut lines = vec![line("XR-STUDIO-SEAT", 1_000_000)];
    // Then Irish VAT 23%: 1,000,000 x 0.23 = 230,000
    let t = tax_invoice(&table(), &mut lines, &c, "USD").unwrap();
    assert_eq!(t.tax, Money::usd(230_000));
    assert_eq!(taxes(&lines), [(230_000, TaxTreatment::Standard)]);
}

#[test]
fn a_customer_with_an_exemption_certificate_is_not_charged() {
    let mut c = customer("US-CA");
    c.exemption_id = Some("CA-RESALE-0042".into());
    let mut lines = vec![line("XR-HEADSET", 300_000)];
    // 300,000 of hardware would be 21,750 at 7.25%; exempt: 0
    let t = tax_invoice(&table(), &mut lines, &c, "USD").unwrap();
    assert_eq!(t.tax, Money::usd(0));
    assert_eq!(taxes(&lines), [(0, TaxTreatment::Exempt)]);
    assert_eq!(t.exemption_id.as_deref(), Some("CA-RESALE-0042"));
    assert!(mail_notes(&t).contains("certificate CA-RESALE-0042"));
}

#[test]
fn vat_ids_are_checked_against_their_country_s_format() {
    for ok in [
        "DE123456789",
        "de 123.456.789",
        "GB123456789",
        "GB123456789012",
        "NL123456789B01",
        "FRAB123456789",
        "IE6388047V",
        "ATU12345678",
        "ESX1234567X",
    ] {
        assert_eq!(check_vat_id(ok), Ok(()), "{ok}");
    }
    // DE has 9 digits, GB 9 or 12, NL needs its B, AT its U; XX is no country
    for bad in [
        "DE12345678",
        "GB1234567890",
        "NL123456789001",
        "AT12345678",
        "XX123456789",
        "D",
    ] {
        assert!(check_vat_id(bad).is_err(), "{bad}");
    }
}

fn signup(region: &str, vat_id: Option<&str>) -> CustomerSignedUp {
    CustomerSignedUp {
        account_id: "A1".into(),
        company: "Boreal Aero GmbH".into(),
        plan: "enterprise".into(),
        seats: 5,
        tax_region: region.into(),
        billing_email: "ap@boreal.aero".into(),
        payment_terms_days: 30,
        currency: "USD".into(),
        tax_locality: None,
        vat_id: vat_id.map(Into::into),
        tax_exemption_id: None,
    }
}

#[test]
fn a_malformed_vat_id_is_refused_by_the_payload_check_naming_the_field() {
    let t = TestTwin::new(vec![], "2026-03-02T09:00:00Z".parse().unwrap());
    let e = t.emit("ascent.platform", signup("DE", Some("DE12345")));
    let err = e.check().unwrap_err().to_string();
    assert!(err.contains("detail.payload.vat_id"), "{err}");
    let ok = t.emit("ascent.platform", signup("DE", Some("DE123456789")));
    assert!(ok.check().is_ok());
}

#[test]
fn a_reverse_charged_invoice_carries_the_wording_and_both_vat_ids_in_event_and_mail() {
    // Given a German business customer with a VAT id
    let t = TestTwin::new(
        vec![Arc::new(Billing::default())],
        "2026-03-02T09:00:00Z".parse().unwrap(),
    );
    t.emit("ascent.platform", signup("DE", Some("DE123456789")));
    // When a 10,000.00 deal is won
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D1".into(),
            account_id: "A1".into(),
            owner: "rep@ascent-xr.example".into(),
            amount: Money::usd(1_000_000),
            proposal_id: None,
            reason: None,
            lead_id: None,
        },
    );
    // Then no VAT (was 19%: 190,000), and the invoice names the regime and both ids
    let Payload::InvoiceIssued(i) = t.emitted("InvoiceIssued")[0].payload().clone() else {
        panic!("not an invoice")
    };
    assert_eq!(i.tax, Money::usd(0));
    assert_eq!(i.total, Money::usd(1_000_000));
    assert_eq!(i.seller_vat_id.as_deref(), Some("IE6388047V"));
    assert_eq!(i.customer_vat_id.as_deref(), Some("DE123456789"));
    assert!(i.reverse_charge_note.unwrap().contains("2006/112/EC"));
    let stored = t
        .get(Domain::Financial, "invoice#inv-D1", "invoice")
        .unwrap();
    assert_eq!(stored["tax"]["amount_minor"], 0);
    let text = &t.runtime.mails().unwrap()[0].text;
    assert!(text.contains("Reverse charge: VAT to be accounted for by the recipient, Article 196 Council Directive 2006/112/EC"), "{text}");
    assert!(text.contains("Supplier VAT id: IE6388047V"), "{text}");
    assert!(text.contains("Customer VAT id: DE123456789"), "{text}");
    // and the line says why it carries no VAT (it read "tax DE 0.00%")
    assert!(
        text.contains("DEAL x1: 10000.00 USD, tax DE reverse charge: 0.00 USD"),
        "{text}"
    );
}

#[test]
fn a_bad_tax_setting_is_refused_with_its_key() {
    let shipped = ConfigFile::shipped().text().to_string();
    let bad = shipped.replace("US-CA-LA = 250", "US-CA-LA = 20_000");
    let e = BillingConfig::from_file(&ConfigFile::parse("x.toml", bad).unwrap()).unwrap_err();
    assert_eq!(e.path, "billing.tax.local_rates_bp.US-CA-LA");
    let bad = shipped.replace("US-CA = [\"saas\", \"services\"]", "US-CA = [\"software\"]");
    let e = BillingConfig::from_file(&ConfigFile::parse("x.toml", bad).unwrap()).unwrap_err();
    assert_eq!(e.path, "billing.tax.untaxed.US-CA");
    let bad = shipped.replace(
        "seller_vat_id = \"GB123456789\"",
        "seller_vat_id = \"GB12\"",
    );
    let e = BillingConfig::from_file(&ConfigFile::parse("x.toml", bad).unwrap()).unwrap_err();
    assert_eq!(e.path, "billing.tax.reverse_charge.UK.seller_vat_id");
}
