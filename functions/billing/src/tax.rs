//! Sales tax / VAT rates by tax region (configuration, in basis points).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaxTable {
    /// Region (`US-CA`, `DE`) → rate in basis points.
    pub rates_bp: BTreeMap<String, i64>,
}

impl Default for TaxTable {
    fn default() -> Self {
        let rates = [
            ("US-CA", 725),
            ("US-NY", 400),
            ("US-TX", 625),
            ("US-WA", 650),
            ("US-MA", 625),
            ("CA-ON", 1_300),
            ("GB", 2_000),
            ("DE", 1_900),
            ("FR", 2_000),
            ("NL", 2_100),
            ("IE", 2_300),
            ("ES", 2_100),
        ];
        Self {
            rates_bp: rates.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }
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
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_defaults_to_zero() {
        let t = TaxTable::default();
        assert_eq!(t.rate_bp("us-ca"), 725);
        assert_eq!(t.rate_bp("US-OR"), 0);
        assert_eq!(t.rate_bp("DE"), 1_900);
    }
}
