//! The receivables reconciliation control: the ledger's A/R per customer and currency against
//! Billing's open invoices (what is still outstanding on each), as a pure decision. A
//! difference is a control failure to investigate (a posting missed or doubled, an invoice
//! settled in Billing but not in the books), raised as `ExceptionRaised`.

use ascent_core::catalog::{ExceptionRaised, Severity};
use ascent_core::money::Money;
use std::collections::BTreeMap;

/// One customer's receivable in one currency on both sides, in minor units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivableDifference {
    pub account_id: String,
    pub currency: String,
    /// The ledger's A/R balance (debits − credits of the customer's A/R lines).
    pub ledger_minor: i64,
    /// The sum of Billing's outstanding amounts on the customer's open invoices.
    pub billing_minor: i64,
}

impl ReceivableDifference {
    /// Ledger − Billing: positive when the books say more is owed than Billing does.
    pub fn difference_minor(&self) -> i64 {
        self.ledger_minor - self.billing_minor
    }

    /// The exception raised for it, naming the customer, both figures and the difference.
    pub fn exception(&self, agent: &str) -> ExceptionRaised {
        let m = |v: i64| Money::new(v, &self.currency);
        ExceptionRaised {
            agent: agent.into(),
            subject: format!("receivables {} {}", self.account_id, self.currency),
            reason: format!(
                "Ledger A/R for {} is {} but Billing's open invoices total {}: difference {}",
                self.account_id,
                m(self.ledger_minor),
                m(self.billing_minor),
                m(self.difference_minor())
            ),
            severity: Severity::High,
        }
    }
}

/// The customers whose ledger receivable differs from Billing's outstanding amount.
/// `ledger`: (account, currency) → A/R balance; `open_invoices`: (account, outstanding) per
/// open invoice. A customer on one side only counts as 0 on the other.
pub fn reconcile_receivables(
    ledger: &BTreeMap<(String, String), i64>,
    open_invoices: &[(String, Money)],
) -> Vec<ReceivableDifference> {
    let mut billing: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (account, outstanding) in open_invoices {
        *billing
            .entry((account.clone(), outstanding.currency.clone()))
            .or_default() += outstanding.amount_minor;
    }
    let mut keys: Vec<&(String, String)> = ledger.keys().chain(billing.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| ReceivableDifference {
            account_id: k.0.clone(),
            currency: k.1.clone(),
            ledger_minor: ledger.get(k).copied().unwrap_or(0),
            billing_minor: billing.get(k).copied().unwrap_or(0),
        })
        .filter(|d| d.difference_minor() != 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(a: &str, c: &str) -> (String, String) {
        (a.into(), c.into())
    }

    #[test]
    fn a_customer_whose_ledger_and_billing_agree_raises_nothing() {
        // Given A1 owes 100.00 + 50.25 = 150.25 USD on two open invoices, and the ledger says 150.25
        let ledger = BTreeMap::from([(key("A1", "USD"), 15_025)]);
        let open = vec![
            ("A1".to_string(), Money::usd(10_000)),
            ("A1".to_string(), Money::usd(5_025)),
        ];
        // Then there is no difference
        assert!(reconcile_receivables(&ledger, &open).is_empty());
    }

    #[test]
    fn a_difference_names_the_customer_both_figures_and_the_difference() {
        // Given the ledger says A1 owes 150.25 USD and 900.00 EUR, A2 20.00 USD;
        // Billing: A1 100.00 USD open (a 50.25 payment Billing saw but the books missed),
        // A1 900.00 EUR, and A3 70.00 USD the ledger never booked
        let ledger = BTreeMap::from([
            (key("A1", "USD"), 15_025),
            (key("A1", "EUR"), 90_000),
            (key("A2", "USD"), 2_000),
        ]);
        let open = vec![
            ("A1".to_string(), Money::usd(10_000)),
            ("A1".to_string(), Money::new(90_000, "EUR")),
            ("A3".to_string(), Money::usd(7_000)),
        ];
        let diffs = reconcile_receivables(&ledger, &open);
        // Then A1 USD: 150.25 − 100.00 = 50.25; A2 USD: 20.00 − 0 = 20.00;
        // A3 USD: 0 − 70.00 = −70.00; A1 EUR agrees (900.00 both sides)
        let got: Vec<(&str, &str, i64)> = diffs
            .iter()
            .map(|d| {
                (
                    d.account_id.as_str(),
                    d.currency.as_str(),
                    d.difference_minor(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("A1", "USD", 5_025),
                ("A2", "USD", 2_000),
                ("A3", "USD", -7_000)
            ]
        );
        let e = diffs[0].exception("finance-controller");
        assert!(e.reason.contains("A1"), "{}", e.reason);
        assert!(
            e.reason.contains(&Money::usd(15_025).to_string()),
            "{}",
            e.reason
        );
        assert!(
            e.reason.contains(&Money::usd(10_000).to_string()),
            "{}",
            e.reason
        );
        assert!(
            e.reason.contains(&Money::usd(5_025).to_string()),
            "{}",
            e.reason
        );
    }
}
