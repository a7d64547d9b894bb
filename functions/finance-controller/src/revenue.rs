//! Revenue recognition (ASC 606 / IFRS 15), decided without I/O: what of an invoice is earned
//! when it is issued and what is deferred, how much of a deferred line a month earns, and how
//! a credit note splits between earned and unearned revenue.
//!
//! - A `point_in_time` line, and a line that does not say how it is earned, is revenue when
//!   invoiced. A `ratable` line with a service period is deferred and earned day by day over
//!   that period (ASC 606-10-55-18, IFRS 15.35(a): a stand-ready subscription is satisfied
//!   evenly over time); an `on_delivery` line is deferred until it is delivered (ASC
//!   606-10-25-30: control passes on completion). A ratable line without a service period
//!   (no contract on record) is revenue when invoiced, as before.
//! - A discount line that does not say how it is earned is allocated to the other lines in
//!   proportion to their amounts (ASC 606-10-32-36, IFRS 15.81), the last line taking the
//!   remainder so the parts add up to the discount exactly.
//! - A month earns what is still unearned × its days of service ÷ the days of service left,
//!   rounded half away from zero: the month the service ends takes the remainder, so the months
//!   always add up to the line exactly, and a credit note only changes the months to come.

use ascent_core::catalog::{PricedLine, Recognition};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A deferred invoice line and how much of it has been earned
/// (`revenue#<account>` / `<invoice>#<line>`, financial domain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueSchedule {
    pub invoice_id: String,
    pub account_id: String,
    /// The line's index on the invoice.
    pub line: usize,
    pub sku: String,
    pub currency: String,
    pub recognition: Recognition,
    /// What the line defers (its amount with its share of the discount), minor units; less
    /// what credit notes took off.
    pub total_minor: i64,
    /// What has been earned (released to revenue) so far.
    pub released_minor: i64,
    /// The service period of a ratable line (inclusive).
    pub service_start: Option<NaiveDate>,
    pub service_end: Option<NaiveDate>,
    /// The first day of the first month not yet released (ratable lines); `None` once all
    /// of it is earned.
    pub next_month: Option<NaiveDate>,
    pub version: u64,
}

impl RevenueSchedule {
    /// What is still deferred.
    pub fn unearned(&self) -> i64 {
        self.total_minor - self.released_minor
    }
}

/// How an invoice's subtotal is recognised: earned when issued, and the lines deferred.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRecognition {
    /// Revenue when the invoice is issued, minor units.
    pub earned_now: i64,
    /// Deferred lines (their `released_minor` 0).
    pub deferred: Vec<RevenueSchedule>,
}

impl InvoiceRecognition {
    /// What the invoice defers in all.
    pub fn deferred_total(&self) -> i64 {
        self.deferred.iter().map(|s| s.total_minor).sum()
    }
}

/// `value × num ÷ den` rounded half away from zero (`den` > 0).
fn share(value: i64, num: i64, den: i64) -> i64 {
    let n = i128::from(value) * i128::from(num);
    let d = i128::from(den);
    let half = d / 2;
    (if n >= 0 {
        (n + half) / d
    } else {
        (n - half) / d
    }) as i64
}

/// Whether a line is deferred, and how.
fn deferral(l: &PricedLine) -> Option<(Recognition, Option<NaiveDate>, Option<NaiveDate>)> {
    let r = l.revenue.as_ref()?;
    match r.recognition {
        Recognition::PointInTime => None,
        Recognition::OnDelivery => Some((Recognition::OnDelivery, None, None)),
        Recognition::Ratable => match (r.service_start, r.service_end) {
            (Some(s), Some(e)) if e >= s => Some((Recognition::Ratable, Some(s), Some(e))),
            _ => None,
        },
    }
}

/// Splits an invoice's lines into revenue now and deferred schedules. `subtotal` is the
/// invoice's (the lines' sum); whatever is not deferred is earned now, so the two always add
/// up to it.
pub fn recognise_invoice(
    invoice_id: &str,
    account_id: &str,
    currency: &str,
    lines: &[PricedLine],
    subtotal: i64,
) -> InvoiceRecognition {
    // Discount lines that do not say how they are earned, allocated over the other lines.
    let unallocated: i64 = lines
        .iter()
        .filter(|l| l.revenue.is_none() && l.amount.amount_minor < 0)
        .map(|l| l.amount.amount_minor)
        .sum();
    let base: Vec<usize> = (0..lines.len())
        .filter(|&i| !(lines[i].revenue.is_none() && lines[i].amount.amount_minor < 0))
        .collect();
    let gross: i64 = base.iter().map(|&i| lines[i].amount.amount_minor).sum();
    let mut allocated = vec![0i64; lines.len()];
    if unallocated != 0 && gross > 0 {
        let mut left = unallocated;
        for (n, &i) in base.iter().enumerate() {
            let part = if n + 1 == base.len() {
                left
            } else {
                share(unallocated, lines[i].amount.amount_minor, gross)
            };
            allocated[i] = part;
            left -= part;
        }
    }
    let mut deferred = Vec::new();
    for &i in &base {
        let l = &lines[i];
        let Some((recognition, start, end)) = deferral(l) else {
            continue;
        };
        let total = l.amount.amount_minor + allocated[i];
        if total == 0 {
            continue;
        }
        deferred.push(RevenueSchedule {
            invoice_id: invoice_id.to_string(),
            account_id: account_id.to_string(),
            line: i,
            sku: l.sku.clone(),
            currency: currency.to_string(),
            recognition,
            total_minor: total,
            released_minor: 0,
            service_start: start,
            service_end: end,
            next_month: start.map(first_of_month),
            version: 0,
        });
    }
    let deferred_total: i64 = deferred.iter().map(|s| s.total_minor).sum();
    InvoiceRecognition {
        earned_now: subtotal - deferred_total,
        deferred,
    }
}

/// The first day of `d`'s month.
pub fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day0(0).expect("day 1 exists")
}

/// The last day of the month starting on `month`.
pub fn last_of_month(month: NaiveDate) -> NaiveDate {
    (month + chrono::Months::new(1))
        .pred_opt()
        .expect("a day before")
}

/// What a ratable schedule earns in the month starting on `month` (its next month): what is
/// still unearned, spread by the day over the service left from the month's first served day,
/// rounded half away from zero; the month the service ends takes all that is left. Spreading
/// what is left (rather than a cumulative share of the total) keeps a credit note's reduction
/// prospective: earlier months are never re-earned.
pub fn release_for_month(s: &RevenueSchedule, month: NaiveDate) -> i64 {
    let (Some(start), Some(end)) = (s.service_start, s.service_end) else {
        return 0;
    };
    let from = month.max(start);
    let to = last_of_month(month).min(end);
    if to < from {
        return 0;
    }
    if to >= end {
        return s.unearned();
    }
    share(
        s.unearned(),
        (to - from).num_days() + 1,
        (end - from).num_days() + 1,
    )
}

/// The month after `month` that still has service in it, `None` when the period has ended.
pub fn month_after(s: &RevenueSchedule, month: NaiveDate) -> Option<NaiveDate> {
    let next = month + chrono::Months::new(1);
    match s.service_end {
        Some(end) if next <= end => Some(next),
        _ => None,
    }
}

/// The part of a credit note's net amount that reverses unearned revenue (the rest reverses
/// earned revenue): in the proportion of the invoice still unearned (ASC 606-10-32-42 to -45: a
/// change in the transaction price is allocated to satisfied and unsatisfied obligations
/// alike), rounded half away from zero and never more than is unearned.
pub fn unearned_part(net: i64, unearned: i64, invoice_subtotal: i64) -> i64 {
    if invoice_subtotal <= 0 || unearned <= 0 || net <= 0 {
        return 0;
    }
    share(net, unearned, invoice_subtotal).clamp(0, unearned.min(net))
}

/// Takes `amount` off the schedules' unearned parts in proportion to them (the last one the
/// remainder): each schedule's total falls by its part, so what is left to earn falls with it.
/// Returns each schedule's part, in order.
pub fn reduce(schedules: &mut [RevenueSchedule], amount: i64) -> Vec<i64> {
    let unearned: i64 = schedules.iter().map(RevenueSchedule::unearned).sum();
    let mut parts = vec![0; schedules.len()];
    if unearned <= 0 || amount <= 0 {
        return parts;
    }
    let open: Vec<usize> = (0..schedules.len())
        .filter(|&i| schedules[i].unearned() > 0)
        .collect();
    let mut left = amount.min(unearned);
    for (n, &i) in open.iter().enumerate() {
        let part = if n + 1 == open.len() {
            left
        } else {
            share(amount.min(unearned), schedules[i].unearned(), unearned).min(left)
        };
        schedules[i].total_minor -= part;
        parts[i] = part;
        left -= part;
    }
    parts
}

#[cfg(test)]
#[path = "revenue_tests.rs"]
mod tests;
