//! Closing's settings: `[closing]` of `ascent.toml` (the price book, the discount threshold
//! and who approves above it, proposal validity, the standard contract and who approves a
//! deviation, win/loss reason categories), checked against `[approvals]` (each role named
//! must have a chain) and `[currency]` (the price book's currency must have a rate).

use crate::Closing;
use crate::contract::StandardTerms;
use crate::price_book::PriceBook;
use ascent_core::config::platform::{Approvals, Currency};
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_in_range, check_non_negative,
};
use serde::{Deserialize, Serialize};

/// Closing's settings: `[closing]` of `ascent.toml`, read and validated here.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosingConfig {
    pub price_book: PriceBook,
    /// Discounts above this percentage need approval.
    pub discount_threshold_pct: f64,
    /// Role whose approver chain decides discounts.
    #[serde(rename = "discount_approver_role")]
    pub approver_role: String,
    #[serde(rename = "proposal_validity_days")]
    pub validity_days: i64,
    /// What sales may sign without Legal.
    pub standard_terms: StandardTerms,
    /// Role whose approver chain decides non-standard contract terms.
    pub legal_role: String,
    /// Categories win and loss reasons are normalised to (anything else is `other`).
    pub outcome_reasons: Vec<String>,
}

impl Validate for ClosingConfig {
    fn validate(&self) -> Result<(), Invalid> {
        check_in_range(
            "discount_threshold_pct",
            self.discount_threshold_pct,
            0.0,
            100.0,
        )?;
        check_in_range("proposal_validity_days", self.validity_days, 1, 365)?;
        let book = &self.price_book;
        if book.products.is_empty() {
            return Err(Invalid::new(
                "price_book.products",
                "the price book is empty",
            ));
        }
        for (i, p) in book.products.iter().enumerate() {
            let path = format!("price_book.products[{i}]");
            let sku_ok = !p.sku.is_empty()
                && p.sku
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
            if !sku_ok {
                return Err(Invalid::new(
                    format!("{path}.sku"),
                    "a SKU is upper-case letters, digits and `-`",
                ));
            }
            if book.products[..i].iter().any(|o| o.sku == p.sku) {
                return Err(Invalid::new(format!("{path}.sku"), "listed twice"));
            }
            check_non_negative(&format!("{path}.list_price_minor"), p.list_price_minor)?;
            for (j, t) in p.tiers.iter().enumerate() {
                let tpath = format!("{path}.tiers[{j}]");
                check_in_range(&format!("{tpath}.discount_bp"), t.discount_bp, 0, 10_000)?;
                if t.min_quantity == 0 {
                    return Err(Invalid::new(
                        format!("{tpath}.min_quantity"),
                        "must be 1 or more",
                    ));
                }
                if j > 0 && t.min_quantity <= p.tiers[j - 1].min_quantity {
                    return Err(Invalid::new(
                        format!("{tpath}.min_quantity"),
                        "tiers must ascend by min_quantity",
                    ));
                }
            }
        }
        let terms = &self.standard_terms;
        if !(1..=terms.max_term_months).contains(&terms.min_term_months) {
            return Err(Invalid::new(
                "standard_terms.min_term_months",
                "need 1 <= min_term_months <= max_term_months",
            ));
        }
        check_non_negative(
            "standard_terms.max_liability_cap_multiple",
            terms.max_liability_cap_multiple,
        )?;
        if terms.governing_laws.is_empty() {
            return Err(Invalid::new(
                "standard_terms.governing_laws",
                "may not be empty",
            ));
        }
        for (i, r) in self.outcome_reasons.iter().enumerate() {
            let path = format!("outcome_reasons[{i}]");
            if r.is_empty() || !r.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                return Err(Invalid::new(path, "a reason is lower-case letters and `_`"));
            }
            if r == "other" || r == "unstated" {
                return Err(Invalid::new(path, format!("`{r}` is reserved")));
            }
        }
        Ok(())
    }
}

impl ClosingConfig {
    /// Reads and validates `[closing]`, with its roles and currency checked against
    /// `[approvals]` and `[currency]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let c: ClosingConfig = file.section("closing")?;
        let approvals: Approvals = file.section("approvals")?;
        let currency: Currency = file.section("currency")?;
        let at = |e| file.invalid("closing", e);
        approvals
            .check_role("discount_approver_role", &c.approver_role)
            .map_err(at)?;
        approvals
            .check_role("legal_role", &c.legal_role)
            .map_err(at)?;
        currency
            .check_accepted("price_book.currency", &c.price_book.currency)
            .map_err(at)?;
        Ok(c)
    }
}

impl Closing {
    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(ClosingConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for ClosingConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [closing] is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = ClosingConfig::default();
        assert_eq!(c.discount_threshold_pct, 15.0);
        assert_eq!(
            (c.approver_role.as_str(), c.legal_role.as_str()),
            ("sales-director", "legal")
        );
        assert_eq!(c.validity_days, 30);
        assert_eq!(c.price_book.currency, "USD");
        let skus: Vec<&str> = c
            .price_book
            .products
            .iter()
            .map(|p| p.sku.as_str())
            .collect();
        assert_eq!(
            skus,
            [
                "XR-STUDIO-SEAT",
                "XR-HEADSET",
                "ONBOARDING",
                "SUPPORT-PREMIUM"
            ]
        );
        assert_eq!(c.price_book.products[0].tiers[2].discount_bp, 3_000);
        assert_eq!(c.standard_terms.max_payment_terms_days, 45);
        assert_eq!(c.outcome_reasons.len(), 9);
    }

    #[test]
    fn an_approver_role_without_a_chain_is_refused_with_its_line() {
        let text = ConfigFile::shipped()
            .text()
            .replace("legal_role = \"legal\"", "legal_role = \"lawyers\"");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = ClosingConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "closing.legal_role");
        assert!(e.message.contains("no chain"), "{e}");
        assert_eq!(e.line, file.line_of_path("closing.legal_role"));
    }

    #[test]
    fn a_negative_list_price_is_refused_with_its_product() {
        let text = ConfigFile::shipped()
            .text()
            .replace("list_price_minor = 89_900", "list_price_minor = -89_900");
        let file = ConfigFile::parse("x.toml", text).unwrap();
        let e = ClosingConfig::from_file(&file).unwrap_err();
        assert_eq!(e.path, "closing.price_book.products[1].list_price_minor");
        assert!(e.line.is_some());
    }
}
