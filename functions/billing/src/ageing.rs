//! Accounts-receivable ageing: what is still owed, by days past its due date (current — not
//! yet due —, then 1–30, 31–60, 61–90 and over 90 days past due), per currency: the ageing a
//! collections team works from (an invoice on 60-day terms issued 45 days ago is current, not
//! "31–60"). The snapshot is the shared record
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
        let past_due = (today - inv.due_on).num_days();
        let b = by_currency.entry(inv.total.currency.clone()).or_default();
        match past_due {
            ..=0 => b.current += outstanding,
            1..=30 => b.past_due_1_30 += outstanding,
            31..=60 => b.past_due_31_60 += outstanding,
            61..=90 => b.past_due_61_90 += outstanding,
            _ => b.past_due_over_90 += outstanding,
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

    /// Issue 22: receivables were aged by invoice date with no current bucket, so an invoice on
    /// 30-day terms showed as 0–30 "old" on the day it was issued.
    #[test]
    fn buckets_by_days_past_due_on_each_side_of_each_boundary() {
        let today: NaiveDate = "2026-06-30".parse().unwrap();
        // Each invoice is due 30 days after issue; days past due = today − due date.
        let a = ageing(
            today,
            &[
                invoice("a", "2026-06-30", 1_000, 0, "USD"), // due 07-30: current
                invoice("b", "2026-05-31", 2_000, 500, "USD"), // due today: current (1,500)
                invoice("c", "2026-05-30", 3_000, 0, "USD"), // 1 day past due
                invoice("d", "2026-04-30", 4_000, 0, "USD"), // 31 days past due
                invoice("e", "2026-05-01", 4_500, 0, "USD"), // 30 days past due
                invoice("f", "2026-03-31", 5_000, 0, "USD"), // 61 days past due
                invoice("g", "2026-04-01", 5_500, 0, "USD"), // 60 days past due
                invoice("h", "2026-03-01", 6_000, 0, "USD"), // 91 days past due
                invoice("i", "2026-03-02", 6_500, 0, "USD"), // 90 days past due
                invoice("j", "2026-01-01", 9_000, 9_000, "USD"), // paid: not owed
                invoice("k", "2026-06-01", 7_000, 0, "EUR"), // due 07-01: current
            ],
        );
        let usd = &a.by_currency["USD"];
        assert_eq!(
            (
                usd.current,
                usd.past_due_1_30,
                usd.past_due_31_60,
                usd.past_due_61_90,
                usd.past_due_over_90
            ),
            // 1,000 + 1,500 | 3,000 + 4,500 | 4,000 + 5,500 | 5,000 + 6,500 | 6,000
            (2_500, 7_500, 9_500, 11_500, 6_000)
        );
        assert_eq!(usd.invoices, 9);
        assert_eq!(a.total("USD"), Money::usd(37_000));
        assert_eq!(a.by_currency["EUR"].current, 7_000);
        assert_eq!(a.total("GBP"), Money::new(0, "GBP"));
    }
}
