//! Revenue recognition in the books: deferred lines kept as schedules, the monthly release run
//! (bounded), release on delivery, and credit notes on partly earned invoices. The decisions
//! are [`crate::revenue`]'s; this module gathers, posts and records.

use crate::journal::{JournalEntry, JournalLine};
use crate::revenue::{self, InvoiceRecognition, RevenueSchedule};
use crate::{FinanceController, add, period_of};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{OnboardingCompleted, Recognition};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query, SortKey};
use chrono::{Months, NaiveDate};
use serde_json::json;

/// Partition of an account's deferred lines.
pub fn schedule_pk(account_id: &str) -> String {
    format!("revenue#{account_id}")
}

/// Marker: the account's onboarding was delivered (on-delivery lines invoiced later are earned
/// at once).
pub fn delivered_pk(account_id: &str) -> String {
    format!("delivered#{account_id}")
}

/// The index of ratable schedules by the month they next release (`<YYYY-MM-01>#…`).
pub const REVENUE_DUE: &str = "revenue-due";

/// Schedules one run releases: each is two writes (its entry and the schedule) and
/// `export_writes` more (its entry queued for export, when the journal is exported), beside
/// the run's posting marker and summary — derived from AWS's limit on one message's
/// transaction, not a business setting. The rest release in the next day's run.
pub const fn releases_per_run(export_writes: usize) -> usize {
    (ascent_core::limits::MAX_WRITES - 2) / (2 + export_writes)
}

impl FinanceController {
    fn releases_per_run(&self) -> usize {
        releases_per_run(self.export_writes())
    }

    fn save_schedule(&self, ctx: &mut Ctx<'_>, mut s: RevenueSchedule) -> Result<(), AgentError> {
        let condition = if s.version == 0 {
            Condition::NotExists
        } else {
            Condition::version(Some(s.version))
        };
        s.version += 1;
        let sk = format!("{}#{:03}", s.invoice_id, s.line);
        let index = s
            .next_month
            .map(|m| (REVENUE_DUE.to_string(), format!("{m}#{sk}")));
        ctx.put_record(
            Domain::Financial,
            &schedule_pk(&s.account_id),
            &sk,
            &s,
            index,
            condition,
        )
    }

    /// What an invoice earns now and defers; on-delivery lines of an account already
    /// delivered are earned now.
    pub(crate) async fn recognise(
        &self,
        ctx: &mut Ctx<'_>,
        i: &ascent_core::catalog::InvoiceIssued,
    ) -> Result<InvoiceRecognition, AgentError> {
        let mut r = revenue::recognise_invoice(
            &i.invoice_id,
            &i.account_id,
            &i.total.currency,
            &i.lines,
            i.subtotal.amount_minor,
        );
        if r.deferred
            .iter()
            .any(|s| s.recognition == Recognition::OnDelivery)
            && ctx
                .get(Domain::Financial, &delivered_pk(&i.account_id), "delivered")
                .await?
                .is_some()
        {
            let (now, later): (Vec<_>, Vec<_>) = r
                .deferred
                .into_iter()
                .partition(|s| s.recognition == Recognition::OnDelivery);
            r.earned_now += now.iter().map(|s| s.total_minor).sum::<i64>();
            r.deferred = later;
        }
        Ok(r)
    }

    /// Records the deferred lines of a just-posted invoice.
    pub(crate) fn record_schedules(
        &self,
        ctx: &mut Ctx<'_>,
        r: InvoiceRecognition,
    ) -> Result<(), AgentError> {
        r.deferred
            .into_iter()
            .try_for_each(|s| self.save_schedule(ctx, s))
    }

    fn release_entry(
        &self,
        s: &RevenueSchedule,
        amount: i64,
        date: NaiveDate,
        why: &str,
    ) -> JournalEntry {
        let c = &self.config.chart;
        let line = |account: &str, debit: i64, credit: i64| JournalLine {
            account: account.into(),
            debit_minor: debit,
            credit_minor: credit,
            name: s.account_id.clone(),
        };
        // A negative release (a discount line's share) reverses the sides.
        let (d, k) = if amount >= 0 {
            (amount, 0)
        } else {
            (0, -amount)
        };
        JournalEntry {
            entry_no: String::new(),
            date,
            currency: s.currency.clone(),
            memo: format!(
                "Revenue earned on {} line {} ({}): {why}",
                s.invoice_id,
                s.line + 1,
                s.sku
            ),
            source: format!("revenue {}#{}", s.invoice_id, s.line),
            lines: vec![line(&c.deferred_revenue, d, k), line(&c.revenue, k, d)],
        }
    }

    /// The monthly recognition run, on each daily tick: releases what ratable schedules earned
    /// in months that have ended, the earliest month first, at most [`releases_per_run`]
    /// schedules of one month a run (so one message's commit stays inside AWS's limits
    /// whatever the book's size). Returns whether any release is still due after this run (or
    /// was made by it): the month is closed only once none is.
    pub(crate) async fn release_due(
        &self,
        ctx: &mut Ctx<'_>,
        today: NaiveDate,
    ) -> Result<bool, AgentError> {
        let last_month = revenue::first_of_month(today) - Months::new(1);
        let q = Query::gsi1(REVENUE_DUE)
            .sort(SortKey::AtMost(format!("{last_month}#~")))
            .limit(self.releases_per_run() + 1);
        let due: Vec<RevenueSchedule> = ctx.query_as(Domain::Financial, &q).await?;
        let Some(month) = due.first().and_then(|s| s.next_month) else {
            return Ok(false);
        };
        let date = revenue::last_of_month(month);
        let mut entries = Vec::new();
        let mut released: std::collections::BTreeMap<String, i64> = Default::default();
        for mut s in due
            .into_iter()
            .filter(|s| s.next_month == Some(month))
            .take(self.releases_per_run())
        {
            let amount = revenue::release_for_month(&s, month);
            if amount != 0 {
                entries.push(self.release_entry(&s, amount, date, &period_of(month)));
                add(&mut released, &s.currency, amount);
            }
            s.released_minor += amount;
            s.next_month = revenue::month_after(&s, month);
            self.save_schedule(ctx, s)?;
        }
        let source = format!("release#{}#{}", period_of(month), ctx.cause().id);
        if let Some(summary) = self
            .post(ctx, &source, date, entries, |s| {
                for (cur, v) in &released {
                    add(&mut s.revenue_recognised, cur, *v);
                    add(&mut s.deferred_released, cur, *v);
                }
            })
            .await?
        {
            self.save_summary(ctx, summary)?;
        }
        Ok(true)
    }

    /// Onboarding delivered: the account's on-delivery lines are earned (ASC 606-10-25-30:
    /// control passes on completion), dated the business day it was completed.
    pub(crate) async fn on_delivered(
        &self,
        ctx: &mut Ctx<'_>,
        o: &OnboardingCompleted,
    ) -> Result<(), AgentError> {
        let marker = delivered_pk(&o.account_id);
        if ctx
            .get(Domain::Financial, &marker, "delivered")
            .await?
            .is_some()
        {
            return Ok(());
        }
        ctx.put_record(
            Domain::Financial,
            &marker,
            "delivered",
            &json!({"plan": o.plan}),
            None,
            Condition::NotExists,
        )?;
        let date = self.config.company.business_date(ctx.cause().time);
        let open: Vec<RevenueSchedule> = ctx
            .query_as(Domain::Financial, &Query::table(schedule_pk(&o.account_id)))
            .await?;
        let mut entries = Vec::new();
        let mut released: std::collections::BTreeMap<String, i64> = Default::default();
        for mut s in open
            .into_iter()
            .filter(|s| s.recognition == Recognition::OnDelivery && s.unearned() != 0)
            .take(self.releases_per_run() - 1)
        {
            let amount = s.unearned();
            entries.push(self.release_entry(&s, amount, date, "onboarding completed"));
            add(&mut released, &s.currency, amount);
            s.released_minor = s.total_minor;
            self.save_schedule(ctx, s)?;
        }
        if entries.is_empty() {
            return Ok(());
        }
        if let Some(summary) = self
            .post(
                ctx,
                &format!("delivered#{}", o.account_id),
                date,
                entries,
                |s| {
                    for (cur, v) in &released {
                        add(&mut s.revenue_recognised, cur, *v);
                        add(&mut s.deferred_released, cur, *v);
                    }
                },
            )
            .await?
        {
            self.save_summary(ctx, summary)?;
        }
        Ok(())
    }

    /// The part of a credit note's `net` that reverses the invoice's unearned revenue, with
    /// the invoice's schedules reduced by it (saved).
    pub(crate) async fn credit_unearned(
        &self,
        ctx: &mut Ctx<'_>,
        account_id: &str,
        invoice_id: &str,
        net: i64,
        invoice_subtotal: i64,
    ) -> Result<i64, AgentError> {
        let mut schedules: Vec<RevenueSchedule> = ctx
            .query_as(
                Domain::Financial,
                &Query::table(schedule_pk(account_id))
                    .sort(SortKey::BeginsWith(format!("{invoice_id}#"))),
            )
            .await?;
        let unearned: i64 = schedules.iter().map(RevenueSchedule::unearned).sum();
        let part = revenue::unearned_part(net, unearned, invoice_subtotal);
        if part == 0 {
            return Ok(0);
        }
        let parts = revenue::reduce(&mut schedules, part);
        for (s, p) in schedules.into_iter().zip(parts) {
            if p != 0 {
                self.save_schedule(ctx, s)?;
            }
        }
        Ok(part)
    }
}
