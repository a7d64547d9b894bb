//! Accounts-receivable ageing: what is still owed, by how long ago it was invoiced
//! (0–30, 31–60, 61–90 and over 90 days), per currency. The snapshot is the shared record
//! [`ArAgeing`] (defined in the core, read by the Finance Controller).

use crate::{Invoice, InvoiceStatus};
pub use ascent_core::records::{AgeingBuckets, ArAgeing};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Ages the outstanding part of every unpaid invoice as of `today`.
pub fn ageing(today: NaiveDate, invoices: &[Invoice]) -> ArAgeing {
    let mut by_currency: BTreeMap<String, AgeingBuckets> = BTreeMap::new();
    for inv in invoices.iter().filter(|i| i.status != InvoiceStatus::Paid) {
        let outstanding = inv.outstanding().amount_minor;
        if outstanding <= 0 {
            continue;
        }
        let age = (today - inv.issued_on).num_days().max(0);
        let b = by_currency.entry(inv.total.currency.clone()).or_default();
        match age {
            0..=30 => b.days_0_30 += outstanding,
            31..=60 => b.days_31_60 += outstanding,
            61..=90 => b.days_61_90 += outstanding,
            _ => b.over_90 += outstanding,
        }
        b.invoices += 1;
    }
    ArAgeing {
        as_of: today,
        by_currency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::money::Money;

    fn invoice(id: &str, issued: &str, total: i64, paid: i64, currency: &str) -> Invoice {
        let issued_on: NaiveDate = issued.parse().unwrap();
        Invoice {
            invoice_id: id.into(),
            account_id: "A".into(),
            deal_id: None,
            lines: vec![],
            subtotal: Money::new(total, currency),
            tax_rate_bp: 0,
            tax: Money::new(0, currency),
            total: Money::new(total, currency),
            paid: Money::new(paid, currency),
            status: if paid >= total {
                InvoiceStatus::Paid
            } else if paid > 0 {
                InvoiceStatus::PartiallyPaid
            } else {
                InvoiceStatus::Open
            },
            issued_on,
            due_on: issued_on + chrono::Duration::days(30),
            payment_terms_days: 30,
            billing_email: None,
            credited_minor: 0,
            dunning_step: 0,
            reminders_sent: vec![],
            version: 1,
        }
    }

    #[test]
    fn buckets_by_invoice_age_with_partial_payments_and_currencies() {
        let today: NaiveDate = "2026-06-30".parse().unwrap();
        let a = ageing(
            today,
            &[
                invoice("a", "2026-06-30", 1_000, 0, "USD"),     // 0 days
                invoice("b", "2026-05-31", 2_000, 500, "USD"),   // 30 days, partly paid
                invoice("c", "2026-05-30", 3_000, 0, "USD"),     // 31 days
                invoice("d", "2026-04-01", 4_000, 0, "USD"),     // 90 days
                invoice("e", "2026-03-31", 5_000, 0, "USD"),     // 91 days
                invoice("f", "2026-01-01", 9_000, 9_000, "USD"), // paid: not owed
                invoice("g", "2026-06-01", 7_000, 0, "EUR"),
            ],
        );
        let usd = &a.by_currency["USD"];
        assert_eq!(
            (usd.days_0_30, usd.days_31_60, usd.days_61_90, usd.over_90),
            (2_500, 3_000, 4_000, 5_000)
        );
        assert_eq!(usd.invoices, 5);
        assert_eq!(a.total("USD"), Money::usd(14_500));
        assert_eq!(a.by_currency["EUR"].days_0_30, 7_000);
        assert_eq!(a.total("GBP"), Money::new(0, "GBP"));
    }
}
