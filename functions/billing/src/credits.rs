//! Credit notes and goodwill refunds as pure decisions: how a credit splits between revenue
//! and tax (in the invoice's proportion, ASC 606 / IFRS 15 reverse the transaction price and
//! the tax collected with it), and how much of a refund of a paid invoice is a credit note.

use crate::Invoice;
use ascent_core::money::Money;

/// The part of a credit that reverses revenue and the part that reverses tax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditSplit {
    pub subtotal: Money,
    pub tax: Money,
}

/// Splits `credit` (tax included) in the proportion of the invoice's subtotal and tax: the tax
/// part is `credit × tax / total`, rounded half away from zero, and the subtotal part is the
/// rest, so that subtotal + tax == credit exactly. A full credit reverses all of the tax.
pub fn split_credit(credit: &Money, inv: &Invoice) -> CreditSplit {
    let total = inv.total.amount_minor as i128;
    let tax = if total == 0 {
        0
    } else {
        let num = credit.amount_minor as i128 * inv.tax.amount_minor as i128;
        // Round half away from zero.
        let q = (num.abs() * 2 + total.abs()) / (2 * total.abs());
        (q * num.signum() * total.signum()) as i64
    };
    CreditSplit {
        subtotal: Money::new(credit.amount_minor - tax, &credit.currency),
        tax: Money::new(tax, &credit.currency),
    }
}

/// The goodwill part of a refund of `amount` on `inv`: what the refund gives back beyond what
/// is still owed is credited (so the invoice is not reopened), capped at what can still be
/// credited. A refund of a paid invoice is wholly goodwill.
pub fn goodwill_credit_minor(inv: &Invoice, amount_minor: i64) -> i64 {
    let creditable = inv.total.amount_minor - inv.credited_minor;
    amount_minor.min(creditable).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InvoiceStatus;
    use chrono::NaiveDate;

    fn invoice(subtotal: i64, tax: i64, paid: i64, credited: i64) -> Invoice {
        let day: NaiveDate = "2026-03-02".parse().unwrap();
        Invoice {
            invoice_id: "inv-1".into(),
            account_id: "A".into(),
            deal_id: None,
            lines: vec![],
            subtotal: Money::usd(subtotal),
            tax_rate_bp: 0,
            tax: Money::usd(tax),
            total: Money::usd(subtotal + tax),
            paid: Money::usd(paid),
            status: InvoiceStatus::Paid,
            issued_on: day,
            due_on: day,
            payment_terms_days: 30,
            billing_email: None,
            credited_minor: credited,
            dunning_step: 0,
            reminders_sent: vec![],
            version: 1,
        }
    }

    #[test]
    fn a_full_credit_reverses_all_of_the_tax() {
        // Given the review's invoice: 45,474.00 total of which 3,074.00 tax (42,400.00 net)
        let inv = invoice(4_240_000, 307_400, 0, 0);
        // When all of it is credited
        let s = split_credit(&Money::usd(4_547_400), &inv);
        // Then the whole 3,074.00 of tax is reversed, and 42,400.00 of revenue
        assert_eq!(s.tax, Money::usd(307_400));
        assert_eq!(s.subtotal, Money::usd(4_240_000));
    }

    #[test]
    fn a_partial_credit_reverses_tax_in_proportion_and_adds_up() {
        // Given 100.00 net + 8.25 tax = 108.25
        let inv = invoice(10_000, 825, 0, 0);
        // When 50.00 is credited: tax 5000 × 825 / 10825 = 381.06… → 381 (3.81)
        let s = split_credit(&Money::usd(5_000), &inv);
        assert_eq!(s.tax, Money::usd(381));
        // and the revenue part is the rest: 5000 − 381 = 4619, so they add up to the credit
        assert_eq!(s.subtotal, Money::usd(4_619));
        // A half rounds up: 1 cent of tax on 2 cents total → a 1-cent credit is 0.5 → 1
        let tiny = invoice(1, 1, 0, 0);
        assert_eq!(split_credit(&Money::usd(1), &tiny).tax, Money::usd(1));
    }

    #[test]
    fn a_refund_of_a_paid_invoice_is_goodwill_up_to_what_can_be_credited() {
        // Given 1,000.00 paid in full, 300.00 already credited
        let inv = invoice(100_000, 0, 100_000, 30_000);
        // A refund of 400.00 is credited in full (creditable 1000 − 300 = 700)
        assert_eq!(goodwill_credit_minor(&inv, 40_000), 40_000);
        // A refund of 900.00 is credited only up to 700.00
        assert_eq!(goodwill_credit_minor(&inv, 90_000), 70_000);
    }
}
