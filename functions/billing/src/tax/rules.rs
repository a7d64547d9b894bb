//! The tax rules beyond a region's rate (`[billing.tax]`): which product categories each region
//! taxes, local rates added to a state's, the EU/UK business-to-business reverse charge and
//! exemption certificates; and the decision of an invoice's tax from them (pure, no I/O).

use super::TaxTable;
use ascent_core::catalog::{LineTax, PricedLine, TaxTreatment};
use ascent_core::money::Money;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A reverse-charge regime (the EU, the UK): its countries, wording and the seller's VAT id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverseCharge {
    /// Customer countries (VAT id prefixes and region countries: `DE`, `EL`, `GB`).
    pub countries: Vec<String>,
    /// The wording the invoice carries.
    pub wording: String,
    /// The seller's VAT id in this regime.
    pub seller_vat_id: String,
}

/// `[billing.tax]` as written in `ascent.toml`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxRules {
    /// SKU → tax category (`saas`, `hardware`, `services`).
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    /// Region → the categories it does not tax (`US-CA = ["saas", "services"]`).
    #[serde(default)]
    pub untaxed: BTreeMap<String, Vec<String>>,
    /// Locality (`US-CA-LA`) → local rate in basis points, added to its state's.
    #[serde(default)]
    pub local_rates_bp: BTreeMap<String, i64>,
    /// Countries where the seller is VAT-established: VAT charged even to a customer with an id.
    #[serde(default)]
    pub domestic_countries: Vec<String>,
    /// Regime name (`EU`, `UK`) → its reverse charge.
    #[serde(default)]
    pub reverse_charge: BTreeMap<String, ReverseCharge>,
}

/// What Billing keeps of a sign-up for tax (in the billing profile).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerTax {
    pub region: String,
    #[serde(default)]
    pub locality: Option<String>,
    #[serde(default)]
    pub vat_id: Option<String>,
    #[serde(default)]
    pub exemption_id: Option<String>,
}

/// What the invoice says about its tax beyond the lines.
#[derive(Clone, Debug, PartialEq)]
pub struct InvoiceTax {
    pub tax: Money,
    /// The rate of a standard-rated line (state plus local), 0 when nothing is charged.
    pub rate_bp: i64,
    pub reverse_charge_note: Option<String>,
    pub seller_vat_id: Option<String>,
    pub customer_vat_id: Option<String>,
    pub exemption_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaxError {
    #[error("no tax rate configured for region {0} ([billing.tax_rates_bp])")]
    UnknownRegion(String),
    #[error("no local rate configured for locality {0} ([billing.tax.local_rates_bp])")]
    UnknownLocality(String),
}

fn upper(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// The country of a region (`US-CA` → `US`; Greece's VAT prefix is `EL`).
fn country(region: &str) -> String {
    let c = upper(region)
        .split('-')
        .next()
        .unwrap_or_default()
        .to_string();
    if c == "GR" { "EL".into() } else { c }
}

impl TaxRules {
    /// The regime whose reverse charge applies to a business customer of `region`, none for a
    /// domestic supply or a country outside every regime.
    fn reverse_charge_for(&self, region: &str) -> Option<&ReverseCharge> {
        let c = country(region);
        if self.domestic_countries.iter().any(|d| upper(d) == c) {
            return None;
        }
        self.reverse_charge
            .values()
            .find(|r| r.countries.iter().any(|x| upper(x) == c))
    }

    fn taxes(&self, region: &str, sku: &str) -> bool {
        let Some(cat) = self.categories.get(sku) else {
            return true;
        };
        !self
            .untaxed
            .get(&upper(region))
            .is_some_and(|u| u.iter().any(|x| x == cat))
    }
}

fn set(line: &mut PricedLine, jurisdiction: &str, rate_bp: i64, amount: Money, t: TaxTreatment) {
    line.tax = Some(LineTax {
        jurisdiction: jurisdiction.to_string(),
        rate_bp: rate_bp.clamp(0, u32::MAX as i64) as u32,
        amount,
        treatment: t,
    });
}

/// Decides and sets every line's tax for a customer, and returns the invoice's: exempt with a
/// certificate; reverse charge for a business customer (VAT id) in a regime's country that is
/// not domestic; otherwise each line at state plus local rate, not taxable where the region does
/// not tax the line's category or the rate is 0. A discount line (`DISCOUNT`) is taxed at the
/// rate on the taxable share of the lines it discounts. An unknown region or locality is an error
/// (the invoice is held).
pub fn tax_invoice(
    table: &TaxTable,
    lines: &mut [PricedLine],
    customer: &CustomerTax,
    currency: &str,
) -> Result<InvoiceTax, TaxError> {
    let rules = &table.rules;
    let region = upper(&customer.region);
    let state = table
        .rate_for(&region)
        .ok_or_else(|| TaxError::UnknownRegion(region.clone()))?;
    let (jurisdiction, rate) = match customer.locality.as_deref().map(upper) {
        Some(l) if !l.is_empty() => {
            let local = rules
                .local_rates_bp
                .get(&l)
                .filter(|_| l.starts_with(&format!("{region}-")))
                .ok_or_else(|| TaxError::UnknownLocality(l.clone()))?;
            (format!("{region}/{l}"), state + local)
        }
        _ => (region.clone(), state),
    };
    let zero = || Money::zero(currency);
    let mut out = InvoiceTax {
        tax: zero(),
        rate_bp: rate,
        reverse_charge_note: None,
        seller_vat_id: None,
        customer_vat_id: None,
        exemption_id: None,
    };
    let no_tax = |lines: &mut [PricedLine], t: TaxTreatment| {
        for l in lines.iter_mut() {
            set(l, &jurisdiction, 0, zero(), t);
        }
    };
    if let Some(cert) = customer
        .exemption_id
        .as_ref()
        .filter(|c| !c.trim().is_empty())
    {
        no_tax(lines, TaxTreatment::Exempt);
        out.rate_bp = 0;
        out.exemption_id = Some(cert.trim().to_string());
        return Ok(out);
    }
    if let Some(vat) = customer.vat_id.as_ref().filter(|v| !v.trim().is_empty())
        && let Some(rc) = rules.reverse_charge_for(&region)
    {
        no_tax(lines, TaxTreatment::ReverseCharge);
        out.rate_bp = 0;
        out.reverse_charge_note = Some(rc.wording.clone());
        out.seller_vat_id = Some(rc.seller_vat_id.clone());
        out.customer_vat_id = Some(ascent_core::catalog::normalize_vat_id(vat));
        return Ok(out);
    }
    let (mut taxable, mut gross, mut total) = (0i64, 0i64, 0i64);
    for l in lines.iter_mut().filter(|l| l.sku != "DISCOUNT") {
        let taxed = rate > 0 && rules.taxes(&region, &l.sku);
        if l.amount.amount_minor > 0 {
            gross += l.amount.amount_minor;
            taxable += if taxed { l.amount.amount_minor } else { 0 };
        }
        if taxed {
            let amount = l.amount.percent_bp(rate);
            total += amount.amount_minor;
            set(l, &jurisdiction, rate, amount, TaxTreatment::Standard);
        } else {
            set(l, &jurisdiction, rate, zero(), TaxTreatment::NotTaxable);
        }
    }
    for l in lines.iter_mut().filter(|l| l.sku == "DISCOUNT") {
        if taxable == 0 {
            set(l, &jurisdiction, rate, zero(), TaxTreatment::NotTaxable);
            continue;
        }
        // The discount's taxable share: discount x taxable / gross, rounded half away from 0.
        let num = l.amount.amount_minor as i128 * taxable as i128;
        let share = ((num.abs() + gross as i128 / 2) / gross as i128) as i64 * num.signum() as i64;
        let amount = Money::new(share, currency).percent_bp(rate);
        total += amount.amount_minor;
        set(l, &jurisdiction, rate, amount, TaxTreatment::Standard);
    }
    if taxable == 0 {
        out.rate_bp = 0;
    }
    out.tax = Money::new(total, currency);
    Ok(out)
}

/// The invoice mail's tax notes: the reverse-charge wording with both VAT ids (EU VAT Directive
/// art. 226(3), (4), (11a)), or the exemption certificate; empty otherwise.
pub fn mail_notes(t: &InvoiceTax) -> String {
    let mut s = String::new();
    if let Some(note) = &t.reverse_charge_note {
        s.push_str(&format!("{note}\n"));
    }
    if let Some(v) = &t.seller_vat_id {
        s.push_str(&format!("Supplier VAT id: {v}\n"));
    }
    if let Some(v) = &t.customer_vat_id {
        s.push_str(&format!("Customer VAT id: {v}\n"));
    }
    if let Some(c) = &t.exemption_id {
        s.push_str(&format!("Tax exempt: certificate {c}\n"));
    }
    s
}

impl TaxRules {
    /// Refuses a bad `[billing.tax]` value, naming its key.
    pub fn check(&self) -> Result<(), ascent_core::config::Invalid> {
        use ascent_core::config::{Invalid, check_in_range};
        for (l, bp) in &self.local_rates_bp {
            let path = format!("tax.local_rates_bp.{l}");
            if l.split('-').count() < 3 || *l != upper(l) {
                return Err(Invalid::new(
                    path,
                    "a locality is upper-case, like `US-CA-LA`",
                ));
            }
            check_in_range(&path, *bp, 0, 10_000)?;
        }
        for (region, cats) in &self.untaxed {
            for c in cats {
                if !self.categories.values().any(|x| x == c) {
                    return Err(Invalid::new(
                        format!("tax.untaxed.{region}"),
                        format!("category {c:?} is not in [billing.tax.categories]"),
                    ));
                }
            }
        }
        for (name, rc) in &self.reverse_charge {
            ascent_core::catalog::check_vat_id(&rc.seller_vat_id)
                .map_err(|e| Invalid::new(format!("tax.reverse_charge.{name}.seller_vat_id"), e))?;
        }
        Ok(())
    }
}
