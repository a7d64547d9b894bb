//! Sales tax / VAT by tax region (configuration, in basis points), and the tax of an invoice:
//! every line carries its jurisdiction, rate, amount and treatment; the invoice's tax is the sum
//! of the lines' tax, each rounded half away from zero. A region that is not configured is never
//! taxed at 0% in silence: `rate_for` answers `None` and the invoice is held for a person.

use ascent_core::catalog::{LineTax, PricedLine, TaxTreatment};
use ascent_core::money::Money;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod rules;
pub use rules::{CustomerTax, InvoiceTax, TaxError, TaxRules, mail_notes, tax_invoice};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaxTable {
    /// Region (`US-CA`, `DE`) → rate in basis points (0 for a region without sales tax, `US-OR`).
    pub rates_bp: BTreeMap<String, i64>,
    /// `[billing.tax]`: product taxability, local rates, reverse charge and the seller's VAT ids.
    #[serde(skip)]
    pub rules: TaxRules,
}

impl TaxTable {
    /// The region's rate, 0 when it is not configured (display only: invoicing uses
    /// [`TaxTable::rate_for`], which refuses an unknown region).
    pub fn rate_bp(&self, region: &str) -> i64 {
        self.rate_for(region).unwrap_or(0)
    }

    /// The configured rate of a region (case-insensitive), `None` when the region is unknown.
    pub fn rate_for(&self, region: &str) -> Option<i64> {
        self.rates_bp
            .get(&region.trim().to_ascii_uppercase())
            .copied()
    }
}

/// Sets the tax of every line (jurisdiction, rate, amount rounded half away from zero,
/// treatment: standard, or not taxable where the configured rate is 0) and returns the
/// invoice's tax, the sum of the lines'.
pub fn tax_lines(
    lines: &mut [PricedLine],
    jurisdiction: &str,
    rate_bp: i64,
    currency: &str,
) -> Money {
    let mut total = 0;
    for line in lines.iter_mut() {
        let amount = line.amount.percent_bp(rate_bp);
        total += amount.amount_minor;
        line.tax = Some(LineTax {
            jurisdiction: jurisdiction.trim().to_ascii_uppercase(),
            rate_bp: rate_bp.clamp(0, u32::MAX as i64) as u32,
            amount,
            treatment: if rate_bp > 0 {
                TaxTreatment::Standard
            } else {
                TaxTreatment::NotTaxable
            },
        });
    }
    Money::new(total, currency)
}

#[cfg(test)]
mod tests;

/// The invoice mail's lines: each with its amount and the tax charged on it, with jurisdiction
/// and rate (`XR-STUDIO-SEAT x10: 10800.00 USD, tax US-CA 7.25%: 783.00 USD`); a line charged no
/// tax says why (`tax DE reverse charge: 0.00 USD`, `exempt`, `not taxable`).
pub fn mail_lines(lines: &[PricedLine]) -> String {
    lines
        .iter()
        .map(|l| match &l.tax {
            Some(t) if t.treatment == TaxTreatment::Standard => format!(
                "{} x{}: {}, tax {} {}.{:02}%: {}\n",
                l.sku,
                l.quantity,
                l.amount,
                t.jurisdiction,
                t.rate_bp / 100,
                t.rate_bp % 100,
                t.amount
            ),
            Some(t) => {
                let why = match t.treatment {
                    TaxTreatment::ReverseCharge => "reverse charge",
                    TaxTreatment::Exempt => "exempt",
                    _ => "not taxable",
                };
                format!(
                    "{} x{}: {}, tax {} {why}: {}\n",
                    l.sku, l.quantity, l.amount, t.jurisdiction, t.amount
                )
            }
            None => format!("{} x{}: {}\n", l.sku, l.quantity, l.amount),
        })
        .collect()
}

#[cfg(test)]
mod tests_rules;
