//! Sales tax / VAT rates by tax region (configuration, in basis points).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaxTable {
    /// Region (`US-CA`, `DE`) → rate in basis points.
    pub rates_bp: BTreeMap<String, i64>,
}

impl TaxTable {
    /// The region's rate; regions not listed (e.g. US states without sales tax on software) are 0.
    pub fn rate_bp(&self, region: &str) -> i64 {
        self.rates_bp
            .get(&region.trim().to_ascii_uppercase())
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn lookup_is_case_insensitive_and_defaults_to_zero() {
        let t = crate::BillingConfig::default().tax;
        assert_eq!(t.rate_bp("us-ca"), 725);
        assert_eq!(t.rate_bp("US-OR"), 0);
        assert_eq!(t.rate_bp("DE"), 1_900);
    }
}
