//! The price book: list prices per SKU with volume tiers (all units priced at the tier the
//! total quantity reaches).

use ascent_core::catalog::{DealLine, LineRevenue, PricedLine, Recognition};
use ascent_core::money::Money;
use serde::{Deserialize, Serialize};

/// A volume tier: from `min_quantity` units up, `discount_bp` off list (basis points).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub min_quantity: u32,
    pub discount_bp: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub sku: String,
    pub description: String,
    /// List price per unit in minor units.
    pub list_price_minor: i64,
    /// Ascending by `min_quantity`.
    #[serde(default)]
    pub tiers: Vec<Tier>,
    /// How the product's revenue is earned (ASC 606 / IFRS 15): `ratable` over its service
    /// period (subscriptions, managed hardware, support), `point_in_time` when invoiced, or
    /// `on_delivery` (onboarding, when it is completed). Set on every proposal line.
    pub recognition: Recognition,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceBook {
    pub currency: String,
    pub products: Vec<Product>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("SKU `{0}` is not in the price book")]
    UnknownSku(String),
    #[error("line for `{0}` has quantity 0")]
    ZeroQuantity(String),
    #[error("the price book is in {book}; the deal is in {deal}")]
    Currency { book: String, deal: String },
    #[error("a proposal needs at least one line")]
    NoLines,
}

impl PriceBook {
    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.sku == sku)
    }

    /// Prices deal lines at their volume tier.
    pub fn price(
        &self,
        lines: &[DealLine],
        currency: &str,
    ) -> Result<Vec<PricedLine>, PricingError> {
        if currency != self.currency {
            return Err(PricingError::Currency {
                book: self.currency.clone(),
                deal: currency.into(),
            });
        }
        if lines.is_empty() {
            return Err(PricingError::NoLines);
        }
        lines
            .iter()
            .map(|l| {
                let p = self
                    .product(&l.sku)
                    .ok_or_else(|| PricingError::UnknownSku(l.sku.clone()))?;
                if l.quantity == 0 {
                    return Err(PricingError::ZeroQuantity(l.sku.clone()));
                }
                let discount_bp = p
                    .tiers
                    .iter()
                    .filter(|t| l.quantity >= t.min_quantity)
                    .map(|t| t.discount_bp)
                    .next_back()
                    .unwrap_or(0);
                let list = Money::new(p.list_price_minor, &self.currency);
                let unit = list.percent_bp(10_000 - discount_bp);
                Ok(PricedLine {
                    sku: p.sku.clone(),
                    description: p.description.clone(),
                    quantity: l.quantity,
                    amount: Money::new(unit.amount_minor * l.quantity as i64, &self.currency),
                    unit_price: unit,
                    revenue: Some(LineRevenue {
                        recognition: p.recognition,
                        service_start: None,
                        service_end: None,
                    }),
                    tax: None,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, q: u32) -> DealLine {
        DealLine {
            sku: sku.into(),
            quantity: q,
        }
    }

    #[test]
    fn volume_tiers_apply_to_all_units() {
        let b = crate::ClosingConfig::default().price_book;
        let priced = b
            .price(
                &[
                    line("XR-STUDIO-SEAT", 9),
                    line("XR-STUDIO-SEAT", 10),
                    line("XR-STUDIO-SEAT", 250),
                ],
                "USD",
            )
            .unwrap();
        assert_eq!(priced[0].unit_price.amount_minor, 120_000);
        assert_eq!(priced[1].unit_price.amount_minor, 108_000);
        assert_eq!(priced[1].amount.amount_minor, 1_080_000);
        assert_eq!(priced[2].unit_price.amount_minor, 84_000);
        let h = b.price(&[line("XR-HEADSET", 25)], "USD").unwrap();
        assert_eq!(h[0].unit_price.amount_minor, 85_405); // 899.00 * 0.95
    }

    /// Issue 22: proposal lines did not say how their revenue is earned, so every invoice was
    /// revenue in full when issued.
    #[test]
    fn each_line_says_how_its_revenue_is_earned_from_the_price_book() {
        let b = crate::ClosingConfig::default().price_book;
        let priced = b
            .price(
                &[
                    line("XR-STUDIO-SEAT", 10),
                    line("ONBOARDING", 1),
                    line("SUPPORT-PREMIUM", 1),
                ],
                "USD",
            )
            .unwrap();
        let how: Vec<Option<Recognition>> = priced
            .iter()
            .map(|l| l.revenue.as_ref().map(|r| r.recognition))
            .collect();
        assert_eq!(
            how,
            [
                Some(Recognition::Ratable),
                Some(Recognition::OnDelivery),
                Some(Recognition::Ratable)
            ]
        );
        // The service period is the invoice's to set (from the contract's term).
        assert!(
            priced
                .iter()
                .all(|l| l.revenue.as_ref().unwrap().service_start.is_none())
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let b = crate::ClosingConfig::default().price_book;
        assert_eq!(
            b.price(&[line("XR-HOLODECK", 1)], "USD"),
            Err(PricingError::UnknownSku("XR-HOLODECK".into()))
        );
        assert_eq!(
            b.price(&[line("ONBOARDING", 0)], "USD"),
            Err(PricingError::ZeroQuantity("ONBOARDING".into()))
        );
        assert!(matches!(
            b.price(&[line("ONBOARDING", 1)], "EUR"),
            Err(PricingError::Currency { .. })
        ));
        assert_eq!(b.price(&[], "USD"), Err(PricingError::NoLines));
    }
}
