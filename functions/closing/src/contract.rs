//! The standard contract and how a prospect's requested terms deviate from it. Every
//! deviation is named in words a lawyer reads on the approval page.

use ascent_core::catalog::ContractTerms;
use serde::{Deserialize, Serialize};

/// What sales may sign without legal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardTerms {
    pub max_payment_terms_days: u32,
    pub min_term_months: u32,
    pub max_term_months: u32,
    pub max_liability_cap_multiple: f64,
    pub governing_laws: Vec<String>,
}

impl StandardTerms {
    /// The non-standard terms, empty when the contract is standard.
    pub fn deviations(&self, t: &ContractTerms) -> Vec<String> {
        let mut d = Vec::new();
        if t.payment_terms_days > self.max_payment_terms_days {
            d.push(format!(
                "payment terms {} days (standard at most {})",
                t.payment_terms_days, self.max_payment_terms_days
            ));
        }
        if t.term_months < self.min_term_months || t.term_months > self.max_term_months {
            d.push(format!(
                "term {} months (standard {}–{})",
                t.term_months, self.min_term_months, self.max_term_months
            ));
        }
        if t.liability_cap_multiple > self.max_liability_cap_multiple {
            d.push(format!(
                "liability cap {}× annual fees (standard at most {}×)",
                t.liability_cap_multiple, self.max_liability_cap_multiple
            ));
        }
        if !self
            .governing_laws
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&t.governing_law))
        {
            d.push(format!(
                "governing law {} (standard: {})",
                t.governing_law,
                self.governing_laws.join(", ")
            ));
        }
        for c in t.custom_clauses.iter().filter(|c| !c.trim().is_empty()) {
            d.push(format!("custom clause: {}", c.trim()));
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard() -> ContractTerms {
        ContractTerms {
            payment_terms_days: 30,
            term_months: 12,
            auto_renew: true,
            liability_cap_multiple: 1.0,
            governing_law: "US-DE".into(),
            custom_clauses: vec![],
        }
    }

    #[test]
    fn standard_terms_have_no_deviation() {
        assert!(
            crate::ClosingConfig::default()
                .standard_terms
                .deviations(&standard())
                .is_empty()
        );
    }

    #[test]
    fn each_deviation_is_named() {
        let t = ContractTerms {
            payment_terms_days: 90,
            term_months: 6,
            liability_cap_multiple: 3.0,
            governing_law: "FR".into(),
            custom_clauses: vec!["Source code escrow".into(), "  ".into()],
            ..standard()
        };
        assert_eq!(
            crate::ClosingConfig::default()
                .standard_terms
                .deviations(&t),
            [
                "payment terms 90 days (standard at most 45)",
                "term 6 months (standard 12–36)",
                "liability cap 3× annual fees (standard at most 1×)",
                "governing law FR (standard: US-DE, US-CA, GB, DE, IE)",
                "custom clause: Source code escrow",
            ]
        );
    }
}
