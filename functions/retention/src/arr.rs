//! Annual recurring revenue and the contract term, as pure decisions.
//!
//! **Recurring or one-time.** A line is recurring when its revenue is recognised ratably
//! (`PricedLine.revenue.recognition = ratable`, ASC 606-10-55-18 / IFRS 15.35: a subscription
//! is earned over its service period). Point-in-time and on-delivery lines (onboarding
//! packages, services, hardware sold outright) and lines without a recognition (invoices from
//! before revenue recognition) are one-time and never count. A recurring line is annualised
//! over its service period: amount × 12 / service months (a 24-month line of 96,000 is 48,000
//! a year). A ratable line without a service period is taken as a 12-month term from the
//! invoice date.
//!
//! **Kept current.** ARR on a day is the sum of the recurring lines whose service period covers
//! that day, so a renewal invoice takes over when the term it renews ends, and a later invoice
//! of recurring lines (an expansion) adds to it. A credit note reduces its invoice's recurring
//! lines in proportion to the subtotal it credits. A churn clears it. A renewal
//! (`AccountRenewed`) states the renewed ARR, which counts for the renewed term while no
//! invoice covers the day. Always per currency: never summed across currencies.

use ascent_core::catalog::{InvoiceIssued, PricedLine, Recognition};
use ascent_core::money::Money;
use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One recurring line, annualised, with its service period (inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurringLine {
    pub annual: Money,
    pub service_start: NaiveDate,
    pub service_end: NaiveDate,
}

/// The recurring part of one invoice, and how much of its subtotal was credited since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurringInvoice {
    pub invoice_id: String,
    /// The invoice's subtotal and total (minor units), to apportion a credit note.
    pub subtotal_minor: i64,
    pub total_minor: i64,
    /// Subtotal credited by credit notes so far (minor units).
    pub credited_minor: i64,
    pub lines: Vec<RecurringLine>,
}

/// The ARR a renewal states, for the renewed term (inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalArr {
    pub arr: Money,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The account's contract term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub start: NaiveDate,
    pub months: u32,
    pub auto_renew: bool,
}

impl Term {
    /// The renewal date relevant on `today`: the end of the term (`start` + `months`); a
    /// contract that renews by itself rolls term by term to the first end on or after `today`.
    pub fn renews_on(&self, today: NaiveDate) -> NaiveDate {
        let mut end = crate::renewal_of(self.start, self.months);
        if self.auto_renew {
            let mut terms = 1u32;
            while end < today && terms < 1_200 {
                terms += 1;
                end = crate::renewal_of(self.start, self.months * terms);
            }
        }
        end
    }
}

/// Whole calendar months of the service period `start ..= end`, rounded to the nearest month
/// (at least 1): 2026-01-01 ..= 2027-12-31 is 24.
pub fn service_months(start: NaiveDate, end: NaiveDate) -> u32 {
    let after = end.checked_add_days(Days::new(1)).unwrap_or(end);
    let mut months =
        (after.year() - start.year()) * 12 + after.month() as i32 - start.month() as i32;
    if after.day() < start.day() {
        months -= 1;
    }
    let whole = start
        .checked_add_months(Months::new(months.max(0) as u32))
        .unwrap_or(after);
    if (after - whole).num_days() > 15 {
        months += 1;
    }
    months.max(1) as u32
}

/// `amount` × 12 / `months`, rounded half away from zero.
pub fn annualise(amount: &Money, months: u32) -> Money {
    let n = amount.amount_minor as i128 * 12;
    let d = months.max(1) as i128;
    let q = (n.abs() + d / 2) / d;
    Money::new((q * n.signum()) as i64, &amount.currency)
}

/// The recurring line of `line` on an invoice of `issued_on`, or `None` for a one-time line.
pub fn recurring_line(line: &PricedLine, issued_on: NaiveDate) -> Option<RecurringLine> {
    let r = line.revenue.as_ref()?;
    if r.recognition != Recognition::Ratable {
        return None;
    }
    let start = r.service_start.unwrap_or(issued_on);
    let end = match (r.service_start, r.service_end) {
        (Some(_), Some(end)) => end,
        _ => crate::renewal_of(start, 12).pred_opt().unwrap_or(start),
    };
    Some(RecurringLine {
        annual: annualise(&line.amount, service_months(start, end)),
        service_start: start,
        service_end: end,
    })
}

/// The recurring part of `inv`, or `None` when it has no recurring line.
pub fn recurring_of(inv: &InvoiceIssued) -> Option<RecurringInvoice> {
    let lines: Vec<RecurringLine> = inv
        .lines
        .iter()
        .filter_map(|l| recurring_line(l, inv.issued_on))
        .collect();
    (!lines.is_empty()).then(|| RecurringInvoice {
        invoice_id: inv.invoice_id.clone(),
        subtotal_minor: inv.subtotal.amount_minor,
        total_minor: inv.total.amount_minor,
        credited_minor: 0,
        lines,
    })
}

impl RecurringInvoice {
    /// Records a credit note: `subtotal` when it says which part of it reverses revenue,
    /// else its `amount` apportioned by the invoice's subtotal / total.
    pub fn credit(&mut self, amount_minor: i64, subtotal_minor: Option<i64>) {
        let part = subtotal_minor.unwrap_or_else(|| {
            if self.total_minor == 0 {
                0
            } else {
                (amount_minor as i128 * self.subtotal_minor as i128 / self.total_minor as i128)
                    as i64
            }
        });
        self.credited_minor = (self.credited_minor + part).clamp(0, self.subtotal_minor.max(0));
    }

    /// The annual amount of `line` left after credits: × (subtotal − credited) / subtotal.
    fn remaining(&self, line: &RecurringLine) -> i64 {
        if self.subtotal_minor <= 0 {
            return line.annual.amount_minor;
        }
        let left = (self.subtotal_minor - self.credited_minor) as i128;
        let n = line.annual.amount_minor as i128 * left;
        let d = self.subtotal_minor as i128;
        ((n.abs() + d / 2) / d * n.signum()) as i64
    }
}

/// The ARR on `day`, one amount per currency (sorted by currency, zero amounts left out): the
/// recurring lines in service that day; without any, the renewal's ARR when its term covers
/// the day.
pub fn arr_on(
    invoices: &[RecurringInvoice],
    renewal: Option<&RenewalArr>,
    day: NaiveDate,
) -> Vec<Money> {
    let mut by: BTreeMap<String, i64> = BTreeMap::new();
    let mut any = false;
    for inv in invoices {
        for l in &inv.lines {
            if l.service_start <= day && day <= l.service_end {
                any = true;
                *by.entry(l.annual.currency.clone()).or_default() += inv.remaining(l);
            }
        }
    }
    if !any && let Some(r) = renewal.filter(|r| r.from <= day && day <= r.to) {
        *by.entry(r.arr.currency.clone()).or_default() += r.arr.amount_minor;
    }
    by.into_iter()
        .filter(|(_, v)| *v != 0)
        .map(|(c, v)| Money::new(v, &c))
        .collect()
}

#[cfg(test)]
#[path = "arr_tests.rs"]
mod tests;
