//! The daily run and the month close: recognition first, then on the close day the
//! previous month's close report, QuickBooks journal, CFO mail and MonthClosed.

use super::*;

impl FinanceController {
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = self.config.company.business_date(tick.at);
        // The recognition run first; the month closes once nothing is left to release for it
        // (on the close day, or the first day after it when the run needed more days).
        if self.release_due(ctx, today).await? || today.day() < self.config.close_day {
            return Ok(());
        }
        let first_of_month = today.with_day(1).expect("day 1 exists");
        let month_start = first_of_month - Months::new(1);
        // After the close day only a month the run held back (one with postings) is caught up:
        // a month before the books began is not closed late.
        if today.day() > self.config.close_day
            && ctx
                .get(
                    Domain::Financial,
                    &format!("period#{}", period_of(month_start)),
                    "summary",
                )
                .await?
                .is_none()
        {
            return Ok(());
        }
        self.close(ctx, month_start, today).await
    }

    /// Closes the month starting on `month_start`.
    pub async fn close(
        &self,
        ctx: &mut Ctx<'_>,
        month_start: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let period = period_of(month_start);
        let mut summary = self.summary(ctx, &period).await?;
        if summary.closed {
            return Ok(());
        }
        let base = self.config.fx.base.clone();
        let next_month = month_start + Months::new(1);
        let entries: Vec<JournalEntry> = ctx
            .query_as(
                Domain::Financial,
                &Query::table(format!("journal#{period}")),
            )
            .await?;
        let previous = period_of(month_start - Months::new(1));
        let previous_report = ctx
            .get_as::<CloseReport>(
                Domain::Financial,
                &format!("close-report#{previous}"),
                "report",
            )
            .await?;
        let balances = |ms: &[Money]| -> BTreeMap<String, i64> {
            ms.iter()
                .map(|m| (m.currency.clone(), m.amount_minor))
                .collect()
        };
        let mut receivables = previous_report
            .as_ref()
            .map_or_else(BTreeMap::new, |r| balances(&r.receivables));
        for (cur, v) in &summary.ar_movement {
            add(&mut receivables, cur, *v);
        }
        // Deferred revenue rolls forward from the previous close: opening + billed − released
        // − credited = closing.
        let opening = previous_report
            .as_ref()
            .map_or_else(BTreeMap::new, |r| balances(&r.deferred.closing));
        let mut closing = opening.clone();
        for (cur, v) in &summary.deferred_billed {
            add(&mut closing, cur, *v);
        }
        for (cur, v) in summary
            .deferred_released
            .iter()
            .chain(&summary.deferred_credited)
        {
            add(&mut closing, cur, -v);
        }
        let deferred = DeferredRollForward {
            opening: moneys(&opening),
            billed: moneys(&summary.deferred_billed),
            released: moneys(&summary.deferred_released),
            credited: moneys(&summary.deferred_credited),
            closing: moneys(&closing),
        };
        // Billing's record, read as the one shared type (a change there is a compile error here).
        let ar_ageing = ctx
            .query_as::<ArAgeing>(
                Domain::Financial,
                &Query::table(AR_AGEING_PK)
                    .sort(SortKey::AtMost(ar_ageing_sk(next_month)))
                    .descending()
                    .limit(1),
            )
            .await?
            .into_iter()
            .next()
            .filter(|a| a.as_of >= month_start);
        let mut collected = summary.collected.clone();
        for (cur, v) in &summary.refunded {
            add(&mut collected, cur, -v);
        }
        let mut departments: Vec<String> = self.config.budgets.keys().cloned().collect();
        for d in summary.expenses_by_department.keys() {
            if !departments.contains(d) {
                departments.push(d.clone());
            }
        }
        let budget_vs_actual: Vec<BudgetLine> = departments
            .iter()
            .map(|d| {
                let budget = self.config.budgets.get(d).copied().unwrap_or(0);
                let actual = summary.expenses_by_department.get(d).copied().unwrap_or(0);
                BudgetLine {
                    department: d.clone(),
                    budget: Money::new(budget, &base),
                    actual: Money::new(actual, &base),
                    variance: Money::new(actual - budget, &base),
                    used_pct: (budget > 0)
                        .then(|| (actual as f64 * 1000.0 / budget as f64).round() / 10.0),
                }
            })
            .collect();
        let control_failures: Vec<String> = ctx
            .query(
                Domain::Financial,
                &Query::table(format!("controls#{period}")),
            )
            .await?
            .iter()
            .map(|i| i.parse::<ControlCheck>())
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flat_map(|c| {
                c.failures
                    .into_iter()
                    .map(move |f| format!("{} ({} {}): {f}", c.approval_id, c.kind, c.subject))
            })
            .collect();
        let expenses_total: i64 = summary.expenses_by_category.values().sum();
        let report = CloseReport {
            period: period.clone(),
            closed_on: today,
            revenue_invoiced: moneys(&summary.revenue_invoiced),
            revenue_recognised: moneys(&summary.revenue_recognised),
            deferred,
            tax_invoiced: moneys(&summary.tax_invoiced),
            collected: moneys(&collected),
            credited: moneys(&summary.credited),
            receivables: moneys(&receivables),
            ar_ageing,
            expenses_by_category: summary
                .expenses_by_category
                .iter()
                .map(|(c, v)| (c.clone(), Money::new(*v, &base)))
                .collect(),
            expenses_total: Money::new(expenses_total, &base),
            budget_vs_actual,
            controls_checked: summary.controls_checked,
            controls_failed: summary.controls_failed,
            control_failures,
            journal_lines: entries.iter().map(|e| e.lines.len() as u32).sum(),
            journal_csv: journal::quickbooks_csv(&entries, &self.config.fx),
        };
        ctx.put_record(
            Domain::Financial,
            &format!("close-report#{period}"),
            "report",
            &report,
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: self.config.report_to.clone(),
            subject: format!("Month closed: {period}"),
            text: render(&report),
            html: None,
            ..Default::default()
        })?;
        ctx.emit(MonthClosed {
            period: period.clone(),
            revenue_invoiced: report.revenue_invoiced.clone(),
            revenue_recognised: report.revenue_recognised.clone(),
            deferred_revenue: report.deferred.closing.clone(),
            collected: report.collected.clone(),
            expenses: report.expenses_total.clone(),
            receivables: report.receivables.clone(),
            departments_over_budget: report
                .budget_vs_actual
                .iter()
                .filter(|b| b.variance.amount_minor > 0 && b.budget.amount_minor > 0)
                .map(|b| b.department.clone())
                .collect(),
            controls_checked: report.controls_checked,
            controls_failed: report.controls_failed,
            journal_lines: report.journal_lines,
        })?;
        summary.closed = true;
        self.save_summary(ctx, summary)
    }
}
