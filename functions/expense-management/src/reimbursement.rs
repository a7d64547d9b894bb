//! The weekly reimbursement batch, on the policy's reimbursement day: each employee paid once
//! per currency and emailed, a CSV export kept for accounts payable, and a backlog continued
//! by the next daily runs (bounded per batch).

use crate::expense_reports::reports_of;
use crate::expensify_sync::ReportsSync;
use crate::{Expense, ExpenseManagement, ExpenseStatus, TO_REIMBURSE};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{Reimbursement, ReimbursementBatchCreated, ScheduleTick};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A reimbursement batch (`reimbursement#<batch id>` / `batch`), with its AP export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReimbursementBatch {
    pub batch_id: String,
    pub created_on: NaiveDate,
    pub reimbursements: Vec<Reimbursement>,
    pub totals: Vec<Money>,
    /// One line per expense, for accounts payable / payroll import.
    pub csv: String,
    /// Its Expensify reports, as told to Expensify (with the adapter plugged in).
    #[serde(default)]
    pub expensify: Option<ReportsSync>,
}

/// CSV field quoting (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `1234.56` from minor units.
pub fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        minor.unsigned_abs() / 100,
        minor.unsigned_abs() % 100
    )
}

/// Expenses one reimbursement batch holds (one write each, beside the batch record, the carry
/// marker and the batch's Expensify change): derived from AWS's limit on one message's
/// transaction, not a business setting.
pub const EXPENSES_PER_BATCH: usize = ascent_core::limits::MAX_WRITES - 3;
/// The marker of a reimbursement backlog that the next daily runs continue.
pub(crate) const CARRY_PK: &str = "reimbursement#carry";
pub(crate) const CARRY_SK: &str = "open";

impl ExpenseManagement {
    /// The reimbursement run, on the policy's reimbursement day.
    ///
    /// Bounded by continuing in the next run: one batch holds at most
    /// [`EXPENSES_PER_BATCH`] expenses (one write each, beside the batch record and the carry
    /// marker), the oldest first. When more are waiting, a carry marker
    /// (`reimbursement#carry` / `open`) makes the next daily runs batch the rest, one batch
    /// a day, until none is left; the marker is then removed.
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        tick: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = tick.at.date_naive();
        let carrying = ctx
            .get(Domain::Financial, CARRY_PK, CARRY_SK)
            .await?
            .is_some();
        if today.weekday() != self.policy.reimbursement_day && !carrying {
            return Ok(());
        }
        let batch_id = format!("reimb-{today}");
        if ctx
            .get(
                Domain::Financial,
                &format!("reimbursement#{batch_id}"),
                "batch",
            )
            .await?
            .is_some()
        {
            return Ok(());
        }
        let mut approved: Vec<Expense> = ctx
            .query_as(Domain::Financial, &Query::gsi1(TO_REIMBURSE))
            .await?;
        approved.retain(|x| x.status == ExpenseStatus::Approved);
        if approved.is_empty() {
            if carrying {
                ctx.delete(Domain::Financial, CARRY_PK, CARRY_SK)?;
            }
            return Ok(());
        }
        let more = approved.len() > EXPENSES_PER_BATCH;
        approved.truncate(EXPENSES_PER_BATCH);
        if more && !carrying {
            ctx.put_record(
                Domain::Financial,
                CARRY_PK,
                CARRY_SK,
                &serde_json::json!({ "since": today }),
                None,
                Condition::Always,
            )?;
        } else if !more && carrying {
            ctx.delete(Domain::Financial, CARRY_PK, CARRY_SK)?;
        }
        let mut by_payee: BTreeMap<(String, String), Reimbursement> = BTreeMap::new();
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        let mut csv = String::from(
            "batch_id,expense_id,employee,department,category,merchant,incurred_on,amount,currency,amount_base,base_currency\n",
        );
        for x in &approved {
            let r = by_payee
                .entry((x.employee.to_lowercase(), x.amount.currency.clone()))
                .or_insert_with(|| Reimbursement {
                    employee: x.employee.clone(),
                    amount: Money::zero(&x.amount.currency),
                    expense_ids: Vec::new(),
                });
            r.amount.amount_minor += x.amount.amount_minor;
            r.expense_ids.push(x.expense_id.clone());
            *totals.entry(x.amount.currency.clone()).or_default() += x.amount.amount_minor;
            let row = [
                batch_id.clone(),
                x.expense_id.clone(),
                x.employee.clone(),
                x.department.clone(),
                x.category.clone(),
                x.merchant.clone(),
                x.incurred_on.to_string(),
                x.amount.to_decimal_string(),
                x.amount.currency.clone(),
                x.amount_base.to_decimal_string(),
                x.amount_base.currency.clone(),
            ];
            csv.push_str(
                &row.iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            csv.push('\n');
        }
        let reimbursements: Vec<Reimbursement> = by_payee.into_values().collect();
        let totals: Vec<Money> = totals.iter().map(|(c, m)| Money::new(*m, c)).collect();
        for r in &reimbursements {
            ctx.send_mail(Mail {
                to: r.employee.clone(),
                subject: format!("Reimbursement of {} on its way", r.amount),
                text: format!(
                    "Batch {batch_id} reimburses {} for expenses {}.\n",
                    r.amount,
                    r.expense_ids.join(", ")
                ),
                html: None,
                ..Default::default()
            })?;
        }
        let expensify = self.queue_reports(ctx, &batch_id, reports_of(&approved))?;
        for mut x in approved {
            x.status = ExpenseStatus::Reimbursed;
            x.batch_id = Some(batch_id.clone());
            self.save(ctx, &x)?;
        }
        let batch = ReimbursementBatch {
            batch_id: batch_id.clone(),
            created_on: today,
            reimbursements: reimbursements.clone(),
            totals: totals.clone(),
            csv,
            expensify,
        };
        ctx.put_record(
            Domain::Financial,
            &format!("reimbursement#{batch_id}"),
            "batch",
            &batch,
            None,
            Condition::NotExists,
        )?;
        ctx.emit(ReimbursementBatchCreated {
            batch_id,
            created_on: today,
            reimbursements,
            totals,
        })
    }
}
