//! Credit notes: how a credit note reverses revenue and sales tax. Billing states the split
//! (`subtotal` + `tax` of the credit note); when it does not, the credit is split in the
//! invoice's own proportion, so a full credit reverses all of the invoice's tax (ASC 606-10-32
//! price concessions; sales tax is a liability to the authority, never revenue).

use ascent_core::money::Money;
use serde::{Deserialize, Serialize};

/// What Finance keeps of a journaled invoice: its customer (the QuickBooks "Name" of every
/// receivable line) and its split, for credit notes that do not state theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceBooked {
    pub account_id: String,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
}

/// The (net, tax) reversed by a credit of `amount`: the credit note's own split when Billing
/// gave one, else the invoice's proportion (tax rounded half away from zero, net the
/// remainder so net + tax == amount exactly). Without either, all of it is net.
pub fn credit_split(
    amount: &Money,
    subtotal: Option<&Money>,
    tax: Option<&Money>,
    invoice: Option<&InvoiceBooked>,
) -> (i64, i64) {
    let total = amount.amount_minor;
    if let (Some(s), Some(t)) = (subtotal, tax)
        && s.amount_minor + t.amount_minor == total
    {
        return (s.amount_minor, t.amount_minor);
    }
    let Some(i) = invoice else {
        return (total, 0);
    };
    let invoiced = i128::from(i.subtotal_minor) + i128::from(i.tax_minor);
    if invoiced == 0 {
        return (total, 0);
    }
    let num = i128::from(total) * i128::from(i.tax_minor);
    let half = invoiced / 2;
    let tax = if num >= 0 {
        (num + half) / invoiced
    } else {
        (num - half) / invoiced
    } as i64;
    (total - tax, tax)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booked(subtotal: i64, tax: i64) -> InvoiceBooked {
        InvoiceBooked {
            account_id: "A1".into(),
            subtotal_minor: subtotal,
            tax_minor: tax,
        }
    }

    #[test]
    fn a_full_credit_without_a_stated_split_reverses_all_the_tax() {
        // Given the review's invoice: 42,400.00 + 3,074.00 tax = 45,474.00
        let i = booked(4_240_000, 307_400);
        // When it is credited in full and Billing did not state the split
        let (net, tax) = credit_split(&Money::usd(4_547_400), None, None, Some(&i));
        // Then all 3,074.00 of tax is reversed (before: none, 3,074.00 stayed payable)
        assert_eq!((net, tax), (4_240_000, 307_400));
    }

    #[test]
    fn a_partial_credit_is_split_in_the_invoice_s_proportion() {
        // Given 1,000.00 + 72.50 tax = 1,072.50; a credit of 100.00
        // tax = 100.00 × 72.50 / 1,072.50 = 6.7599… → 6.76; net = 100.00 − 6.76 = 93.24
        let i = booked(100_000, 7_250);
        assert_eq!(
            credit_split(&Money::usd(10_000), None, None, Some(&i)),
            (9_324, 676)
        );
    }

    #[test]
    fn billing_s_stated_split_wins() {
        // Given Billing says 90.00 net + 10.00 tax of a 100.00 credit
        let (s, t) = (Money::usd(9_000), Money::usd(1_000));
        let i = booked(100_000, 7_250);
        assert_eq!(
            credit_split(&Money::usd(10_000), Some(&s), Some(&t), Some(&i)),
            (9_000, 1_000)
        );
        // And an invoice never seen without a stated split reverses net only
        assert_eq!(
            credit_split(&Money::usd(10_000), None, None, None),
            (10_000, 0)
        );
    }
}
