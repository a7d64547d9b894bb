//! Overpayments kept as customer credit: what a payment brings beyond an invoice's outstanding
//! amount is never a negative receivable but the customer's credit in that currency (a
//! liability), applied to the customer's next invoice in that currency. The decisions are pure
//! functions; the handlers in `customer_credit` read and write the [`CustomerCredit`] record.

use serde::{Deserialize, Serialize};

/// Sort key of an account's credit in one currency, under `account#<id>`.
pub fn credit_sk(currency: &str) -> String {
    format!("customer-credit#{currency}")
}

/// A customer's credit in one currency (minor units), owned by Billing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCredit {
    pub account_id: String,
    pub currency: String,
    pub balance_minor: i64,
    pub version: u64,
}

/// How a payment splits on an invoice: the part that settles what is outstanding and the
/// excess kept as customer credit (never negative, and never more than was paid).
pub fn split_payment(outstanding_minor: i64, paid_minor: i64) -> (i64, i64) {
    let applied = paid_minor.min(outstanding_minor.max(0));
    (applied, paid_minor - applied)
}

/// How much of a credit balance pays an invoice: all of it, up to what the invoice still owes.
pub fn credit_to_apply(balance_minor: i64, outstanding_minor: i64) -> i64 {
    balance_minor.min(outstanding_minor).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_beyond_the_outstanding_amount_leaves_the_excess_as_credit() {
        // Given 10,000.00 outstanding, When 10,250.00 is paid,
        // Then 10,000.00 settles the invoice and 10,250.00 − 10,000.00 = 250.00 is credit.
        assert_eq!(split_payment(1_000_000, 1_025_000), (1_000_000, 25_000));
        // A partial payment has no excess; a payment on a settled invoice is all credit.
        assert_eq!(split_payment(1_000_000, 400_000), (400_000, 0));
        assert_eq!(split_payment(0, 100), (0, 100));
    }

    #[test]
    fn credit_pays_the_next_invoice_up_to_what_it_owes() {
        // 250.00 of credit on a 1,000.00 invoice: 250.00 applied, 750.00 still owed.
        assert_eq!(credit_to_apply(25_000, 100_000), 25_000);
        // 250.00 of credit on a 100.00 invoice: 100.00 applied, 150.00 stays as credit.
        assert_eq!(credit_to_apply(25_000, 10_000), 10_000);
        assert_eq!(credit_to_apply(0, 10_000), 0);
    }
}
