//! The price book: list prices per SKU with volume tiers. The tier is chosen on the product's
//! total quantity across the proposal's lines, and each product says how its tiers price:
//! `all_units` (every unit at the tier the total reaches: 50 seats can cost less than 49) or
//! `graduated` (each unit at the tier it falls in, so more never costs less).

use ascent_core::catalog::{DealLine, LineRevenue, PricedLine, Recognition};
use ascent_core::money::Money;
use serde::{Deserialize, Serialize};

/// How a product's volume tiers price its units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierPricing {
    /// Every unit at the discount of the highest tier the total quantity reaches.
    #[default]
    AllUnits,
    /// Each unit at the discount of the tier its position falls in (units 1–9 at list, 10–49
    /// at the 10+ tier, …).
    Graduated,
}

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
    /// How the tiers price (`all_units` when absent).
    #[serde(default)]
    pub tier_pricing: TierPricing,
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

    /// Prices deal lines at their volume tier, chosen on each product's total quantity across
    /// the lines. Under `graduated` pricing a product's lines share the total's price in
    /// proportion to their quantities (the last line the remainder), and a line's unit price is
    /// its amount ÷ its quantity, rounded half away from zero.
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
        let mut totals: std::collections::BTreeMap<&str, u32> = Default::default();
        for l in lines {
            self.product(&l.sku)
                .ok_or_else(|| PricingError::UnknownSku(l.sku.clone()))?;
            if l.quantity == 0 {
                return Err(PricingError::ZeroQuantity(l.sku.clone()));
            }
            *totals.entry(l.sku.as_str()).or_default() += l.quantity;
        }
        // Each product's total price, and what of it its lines before this one took.
        let mut left: std::collections::BTreeMap<&str, (u32, i64)> = totals
            .iter()
            .map(|(sku, q)| {
                let p = self.product(sku).expect("checked above");
                (*sku, (*q, p.total_price(*q)))
            })
            .collect();
        Ok(lines
            .iter()
            .map(|l| {
                let p = self.product(&l.sku).expect("checked above");
                let total_q = totals[l.sku.as_str()];
                let (q_left, amount_left) = left.get_mut(l.sku.as_str()).expect("a total");
                let amount = if l.quantity == *q_left {
                    *amount_left
                } else {
                    share(*amount_left, i64::from(l.quantity), i64::from(*q_left))
                };
                *q_left -= l.quantity;
                *amount_left -= amount;
                let unit = match p.tier_pricing {
                    TierPricing::AllUnits => p.unit_price_at(total_q),
                    TierPricing::Graduated => share(amount, 1, i64::from(l.quantity)),
                };
                PricedLine {
                    sku: p.sku.clone(),
                    description: p.description.clone(),
                    quantity: l.quantity,
                    amount: Money::new(amount, &self.currency),
                    unit_price: Money::new(unit, &self.currency),
                    revenue: Some(LineRevenue {
                        recognition: p.recognition,
                        service_start: None,
                        service_end: None,
                    }),
                    tax: None,
                }
            })
            .collect())
    }
}

impl Product {
    /// The discount (basis points) of the highest tier `quantity` reaches.
    fn discount_at(&self, quantity: u32) -> i64 {
        self.tiers
            .iter()
            .filter(|t| quantity >= t.min_quantity)
            .map(|t| t.discount_bp)
            .next_back()
            .unwrap_or(0)
    }

    /// The unit price (minor units) at the tier `quantity` reaches.
    fn unit_price_at(&self, quantity: u32) -> i64 {
        share(
            self.list_price_minor * (10_000 - self.discount_at(quantity)),
            1,
            10_000,
        )
    }

    /// The price of `quantity` units under the product's tier pricing.
    pub fn total_price(&self, quantity: u32) -> i64 {
        match self.tier_pricing {
            TierPricing::AllUnits => self.unit_price_at(quantity) * i64::from(quantity),
            TierPricing::Graduated => (1..=quantity).map(|unit| self.unit_price_at(unit)).sum(),
        }
    }
}

/// `value × num ÷ den`, rounded half away from zero.
fn share(value: i64, num: i64, den: i64) -> i64 {
    let n = i128::from(value) * i128::from(num);
    let d = i128::from(den);
    (if n >= 0 {
        (n + d / 2) / d
    } else {
        (n - d / 2) / d
    }) as i64
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
        let unit = |q| b.price(&[line("XR-STUDIO-SEAT", q)], "USD").unwrap()[0].clone();
        assert_eq!(unit(9).unit_price.amount_minor, 120_000);
        assert_eq!(unit(10).unit_price.amount_minor, 108_000);
        assert_eq!(unit(10).amount.amount_minor, 1_080_000);
        assert_eq!(unit(250).unit_price.amount_minor, 84_000);
        let h = b.price(&[line("XR-HEADSET", 25)], "USD").unwrap();
        assert_eq!(h[0].unit_price.amount_minor, 85_405); // 899.00 * 0.95
    }

    /// Issue 22: tiers were chosen per line, not on the product's total, and the all-units
    /// cliff (49 seats cost more than 50) was neither documented nor avoidable.
    #[test]
    fn tiers_follow_the_product_total_and_graduated_pricing_never_makes_more_cost_less() {
        let mut b = crate::ClosingConfig::default().price_book;
        // Seats: list 1,200.00; 10+ at 10% off (1,080.00), 50+ at 20% (960.00).
        // All units (shipped): 49 seats = 49 × 1,080.00 = 52,920.00; 50 = 50 × 960.00 =
        // 48,000.00 — the cliff, now documented.
        let total = |b: &PriceBook, lines: &[DealLine]| -> i64 {
            b.price(lines, "USD")
                .unwrap()
                .iter()
                .map(|l| l.amount.amount_minor)
                .sum()
        };
        assert_eq!(total(&b, &[line("XR-STUDIO-SEAT", 49)]), 5_292_000);
        assert_eq!(total(&b, &[line("XR-STUDIO-SEAT", 50)]), 4_800_000);
        // Two lines of 25 seats are 50 seats of one product: the 50+ tier, 960.00 each
        // (per line each would be 25 × 1,080.00).
        let split = b
            .price(
                &[line("XR-STUDIO-SEAT", 25), line("XR-STUDIO-SEAT", 25)],
                "USD",
            )
            .unwrap();
        assert_eq!(split[0].unit_price.amount_minor, 96_000);
        assert_eq!(
            split[0].amount.amount_minor + split[1].amount.amount_minor,
            4_800_000
        );
        // Graduated: units 1–9 at 1,200.00, 10–49 at 1,080.00, 50+ at 960.00.
        //   49 seats = 9 × 1,200.00 + 40 × 1,080.00 = 10,800.00 + 43,200.00 = 54,000.00
        //   50 seats = 54,000.00 + 960.00 = 54,960.00 (more never costs less)
        b.products[0].tier_pricing = TierPricing::Graduated;
        assert_eq!(total(&b, &[line("XR-STUDIO-SEAT", 49)]), 5_400_000);
        assert_eq!(total(&b, &[line("XR-STUDIO-SEAT", 50)]), 5_496_000);
        // Split 20 + 30 of one product: 54,960.00 shared 20:30 → 21,984.00 and 32,976.00.
        let split = b
            .price(
                &[line("XR-STUDIO-SEAT", 20), line("XR-STUDIO-SEAT", 30)],
                "USD",
            )
            .unwrap();
        assert_eq!(
            (split[0].amount.amount_minor, split[1].amount.amount_minor),
            (2_198_400, 3_297_600)
        );
        assert_eq!(split[0].unit_price.amount_minor, 109_920);
        for q in 1..300 {
            assert!(b.products[0].total_price(q + 1) > b.products[0].total_price(q));
        }
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
