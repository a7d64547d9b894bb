//! Spend: approved expenses and reimbursement batches against the department budgets
//! (ThresholdCrossed alerts), and the SOX controls on every financial approval.

use super::*;

impl FinanceController {
    pub(crate) async fn on_expense(
        &self,
        ctx: &mut Ctx<'_>,
        x: &ExpenseDecided,
    ) -> Result<(), AgentError> {
        if x.outcome != ExpenseOutcome::Approved {
            return Ok(());
        }
        if x.amount_base.currency != self.config.fx.base {
            return Err(AgentError::Invalid(format!(
                "expense {} is valued in {} but budgets are kept in {}",
                x.expense_id, x.amount_base.currency, self.config.fx.base
            )));
        }
        let c = &self.config.chart;
        let entry = JournalEntry::simple(
            x.incurred_on,
            &x.amount,
            c.expense_account(&x.category),
            &c.reimbursements_payable,
            &x.employee,
            format!(
                "Expense {} ({}, {})",
                x.expense_id, x.category, x.department
            ),
            format!("expense {}", x.expense_id),
        );
        let Some(mut summary) = self
            .post(
                ctx,
                &format!("expense#{}", x.expense_id),
                x.incurred_on,
                vec![entry],
                |s| {
                    add(
                        &mut s.expenses_by_category,
                        &x.category,
                        x.amount_base.amount_minor,
                    );
                    add(
                        &mut s.expenses_by_department,
                        &x.department,
                        x.amount_base.amount_minor,
                    );
                },
            )
            .await?
        else {
            return Ok(());
        };
        self.budget_alerts(ctx, &mut summary, &x.department)?;
        self.save_summary(ctx, summary)
    }

    /// Raises each budget level (warning, over) once per department and month.
    pub(crate) fn budget_alerts(
        &self,
        ctx: &mut Ctx<'_>,
        summary: &mut PeriodSummary,
        department: &str,
    ) -> Result<(), AgentError> {
        let Some(budget) = self.config.budgets.get(department).copied() else {
            return Ok(());
        };
        let actual = summary
            .expenses_by_department
            .get(department)
            .copied()
            .unwrap_or(0);
        for pct in [self.config.warn_at_pct, 100] {
            let key = format!("{department}@{pct}");
            if actual >= budget * pct / 100 && !summary.alerts.contains(&key) {
                summary.alerts.push(key);
                ctx.emit(ThresholdCrossed {
                    metric: format!("budget.{department}.{}.used_pct", summary.period),
                    value: (actual as f64 * 1000.0 / budget as f64).round() / 10.0,
                    threshold: pct as f64,
                    direction: Direction::Above,
                })?;
            }
        }
        Ok(())
    }

    pub(crate) async fn on_reimbursement(
        &self,
        ctx: &mut Ctx<'_>,
        b: &ReimbursementBatchCreated,
    ) -> Result<(), AgentError> {
        let c = &self.config.chart;
        let entries = b
            .totals
            .iter()
            .map(|total| {
                JournalEntry::simple(
                    b.created_on,
                    total,
                    &c.reimbursements_payable,
                    &c.bank,
                    "",
                    format!("Reimbursement batch {} ({})", b.batch_id, total.currency),
                    format!("reimbursement {}", b.batch_id),
                )
            })
            .collect();
        self.post_and_save(
            ctx,
            &format!("reimbursement#{}", b.batch_id),
            b.created_on,
            entries,
            |_| {},
        )
        .await
    }

    pub(crate) async fn on_approval(
        &self,
        ctx: &mut Ctx<'_>,
        d: &ApprovalDecided,
    ) -> Result<(), AgentError> {
        // Only decisions the approval record confirms, whichever agent opened them.
        ascent_core::approval::confirmed_for_review(ctx, d).await?;
        let check: ControlCheck = self.config.limits.check(d, &self.config.fx);
        // Counted in the month the decision was announced, not the one it is checked in.
        let decided_on = self.config.company.business_date(ctx.cause().time);
        let passed = check.passed();
        let Some(summary) = self
            .post(
                ctx,
                &format!("control#{}", d.approval_id),
                decided_on,
                vec![],
                |s| {
                    s.controls_checked += 1;
                    if !passed {
                        s.controls_failed += 1;
                    }
                },
            )
            .await?
        else {
            return Ok(());
        };
        ctx.put_record(
            Domain::Financial,
            &format!("controls#{}", summary.period),
            &d.approval_id,
            &check,
            None,
            Condition::Always,
        )?;
        self.save_summary(ctx, summary)?;
        if !passed {
            ctx.emit(ExceptionRaised {
                agent: NAME.into(),
                subject: format!("{} {}", d.kind, d.subject),
                reason: format!(
                    "SOX control failed on approval {}: {}",
                    d.approval_id,
                    check.failures.join("; ")
                ),
                severity: Severity::Critical,
            })?;
        }
        Ok(())
    }
}
