//! # Expense Management agent
//!
//! On `ExpenseSubmitted` reads the receipt (merchant, date, total, currency), converts the
//! claim to the base currency and applies the expense policy ([`rules::ExpensePolicy`]):
//! category limits, receipt required above a threshold, age, weekend and alcohol rules,
//! duplicates, receipt/claim mismatches. A claim breaking a hard rule is rejected with the
//! reasons; a clean small claim is approved by policy; anything else goes to a person — the
//! employee's manager, or the Finance Controller above the controller threshold — and the
//! submitter can never approve their own. Approved claims wait for the weekly reimbursement
//! batch (on the configured weekday), which pays each employee once per currency, emails
//! them, and keeps a CSV export for accounts payable. A person's decision is acted on only
//! when the approval record says so ([`ascent_core::approval::confirmed`]).

pub mod receipt;
pub mod rules;
mod settings;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::approval::ApprovalDraft;
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, ExpenseDecided, ExpenseOutcome, ExpenseSubmitted, Payload,
    Reimbursement, ReimbursementBatchCreated, ScheduleTick,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rules::ExpensePolicy;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub const NAME: &str = "expense-management";
/// `gsi1` partition of approved expenses not yet reimbursed, sorted by `<incurred>#<id>`.
pub const TO_REIMBURSE: &str = "expenses#to-reimburse";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Finance,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "expense-submitted",
                pattern: json!({"detail-type": ["ExpenseSubmitted"]}),
            },
            Subscription {
                name: "expense-approval-decided",
                pattern: json!({
                    "detail-type": ["ApprovalDecided"],
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": ["expense"]}}
                }),
            },
            Subscription {
                name: "daily-reimbursement",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        // Approvals: a decision is acted on only once its record confirms it.
        reads: vec![Domain::Financial, Domain::Approvals],
        owns: vec![
            owns(Domain::Financial, "expense#"),
            owns(Domain::Financial, "expense-fingerprint#"),
            owns(Domain::Financial, "reimbursement#"),
        ],
        emits: vec!["ExpenseDecided", "ReimbursementBatchCreated"],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseStatus {
    AwaitingApproval,
    Approved,
    Rejected,
    Reimbursed,
}

/// A claim as stored (`expense#<id>` / `expense`, financial domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expense {
    pub expense_id: String,
    pub employee: String,
    pub department: String,
    pub category: String,
    pub merchant: String,
    pub amount: Money,
    pub amount_base: Money,
    pub incurred_on: NaiveDate,
    pub submitted_at: DateTime<Utc>,
    pub status: ExpenseStatus,
    /// Policy findings, then the decision's reasons.
    pub reasons: Vec<String>,
    pub approver: Option<String>,
    pub approval_id: Option<String>,
    pub decided_by: Option<String>,
    pub batch_id: Option<String>,
}

/// A reimbursement batch (`reimbursement#<batch id>` / `batch`), with its AP export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReimbursementBatch {
    pub batch_id: String,
    pub created_on: NaiveDate,
    pub reimbursements: Vec<Reimbursement>,
    pub totals: Vec<Money>,
    /// One line per expense, for accounts payable / payroll import.
    pub csv: String,
}

pub struct ExpenseManagement {
    decl: AgentDecl,
    policy: ExpensePolicy,
}

fn expense_pk(id: &str) -> String {
    format!("expense#{id}")
}

/// Same employee, day and amount: the key of a claim's duplicate marker.
fn fingerprint(e: &ExpenseSubmitted) -> String {
    format!(
        "expense-fingerprint#{}#{}#{}{}",
        e.employee.trim().to_lowercase(),
        e.incurred_on,
        e.amount.amount_minor,
        e.amount.currency
    )
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

impl ExpenseManagement {
    pub fn new(policy: ExpensePolicy) -> Self {
        Self {
            decl: declaration(),
            policy,
        }
    }

    fn save(&self, ctx: &mut Ctx<'_>, x: &Expense) -> Result<(), AgentError> {
        let index = (x.status == ExpenseStatus::Approved).then(|| {
            (
                TO_REIMBURSE.to_string(),
                format!("{}#{}", x.incurred_on, x.expense_id),
            )
        });
        ctx.put_record(
            Domain::Financial,
            &expense_pk(&x.expense_id),
            "expense",
            x,
            index,
            Condition::Always,
        )
    }

    fn decided(&self, ctx: &mut Ctx<'_>, x: &Expense) -> Result<(), AgentError> {
        let outcome = match x.status {
            ExpenseStatus::Approved => ExpenseOutcome::Approved,
            ExpenseStatus::Rejected => ExpenseOutcome::Rejected,
            _ => return Ok(()),
        };
        ctx.emit(ExpenseDecided {
            expense_id: x.expense_id.clone(),
            employee: x.employee.clone(),
            department: x.department.clone(),
            category: x.category.clone(),
            amount: x.amount.clone(),
            amount_base: x.amount_base.clone(),
            incurred_on: x.incurred_on,
            outcome,
            decided_by: x.decided_by.clone().unwrap_or_else(|| "policy".into()),
            reasons: x.reasons.clone(),
            approval_id: x.approval_id.clone(),
        })?;
        if outcome == ExpenseOutcome::Rejected {
            ctx.send_mail(Mail {
                to: x.employee.clone(),
                subject: format!("Expense {} was not approved", x.expense_id),
                text: format!(
                    "Your {} expense of {} at {} on {} was not approved:\n- {}\n",
                    x.category,
                    x.amount,
                    x.merchant,
                    x.incurred_on,
                    x.reasons.join("\n- ")
                ),
                html: None,
                ..Default::default()
            })?;
        }
        Ok(())
    }

    fn manager_of(&self, e: &ExpenseSubmitted) -> Option<String> {
        e.manager
            .clone()
            .filter(|m| m.contains('@'))
            .or_else(|| self.policy.department_managers.get(&e.department).cloned())
    }

    async fn on_submitted(
        &self,
        ctx: &mut Ctx<'_>,
        e: &ExpenseSubmitted,
    ) -> Result<(), AgentError> {
        if ctx
            .get(Domain::Financial, &expense_pk(&e.expense_id), "expense")
            .await?
            .is_some()
        {
            return Ok(()); // submitted twice: decided once
        }
        let facts = e
            .receipt_text
            .as_deref()
            .map(|t| receipt::extract(t, self.policy.date_order));
        let fp = fingerprint(e);
        let duplicate_of = match ctx.get(Domain::Financial, &fp, "claim").await? {
            Some(item) => item.data["expense_id"]
                .as_str()
                .filter(|id| *id != e.expense_id)
                .map(str::to_string),
            None => None,
        };
        // Submitted when the employee sent it, however late that is handled: the claim's age
        // and the future-date check count from then.
        let submitted_at = ctx.cause().time;
        let today = submitted_at.date_naive();
        let eval = self
            .policy
            .evaluate(e, facts.as_ref(), today, duplicate_of.as_deref())
            .map_err(|err| AgentError::Invalid(format!("expense {}: {err}", e.expense_id)))?;
        let amount_base = eval.amount_base.clone();
        if duplicate_of.is_none() {
            ctx.put_record(
                Domain::Financial,
                &fp,
                "claim",
                &json!({"expense_id": e.expense_id}),
                None,
                Condition::NotExists,
            )?;
        }
        let merchant = match (&facts, e.merchant.trim().is_empty()) {
            (Some(f), true) => f.merchant.clone().unwrap_or_default(),
            _ => e.merchant.clone(),
        };
        let mut x = Expense {
            expense_id: e.expense_id.clone(),
            employee: e.employee.clone(),
            department: e.department.clone(),
            category: e.category.clone(),
            merchant,
            amount: e.amount.clone(),
            amount_base: amount_base.clone(),
            incurred_on: e.incurred_on,
            submitted_at,
            status: ExpenseStatus::AwaitingApproval,
            reasons: eval.messages(),
            approver: None,
            approval_id: None,
            decided_by: None,
            batch_id: None,
        };
        if eval.rejected() {
            x.status = ExpenseStatus::Rejected;
            self.save(ctx, &x)?;
            return self.decided(ctx, &x);
        }
        if !eval.flagged() && amount_base.amount_minor <= self.policy.auto_approve_up_to_minor {
            x.status = ExpenseStatus::Approved;
            x.reasons.push(format!(
                "within policy and at most {}",
                Money::new(
                    self.policy.auto_approve_up_to_minor,
                    self.policy.base_currency()
                )
            ));
            self.save(ctx, &x)?;
            return self.decided(ctx, &x);
        }
        // A person decides: the manager, or the Finance Controller above the threshold.
        let to_controller = amount_base.amount_minor > self.policy.controller_above_minor;
        let first_approver = if to_controller {
            None
        } else {
            self.manager_of(e)
        };
        let mut why = Vec::new();
        if to_controller {
            why.push(format!(
                "above {}: the Finance Controller decides",
                Money::new(
                    self.policy.controller_above_minor,
                    self.policy.base_currency()
                )
            ));
        } else if amount_base.amount_minor > self.policy.auto_approve_up_to_minor {
            why.push(format!(
                "above the auto-approval amount of {}",
                Money::new(
                    self.policy.auto_approve_up_to_minor,
                    self.policy.base_currency()
                )
            ));
        }
        why.extend(eval.messages());
        let approval_id = ascent_core::approval::approval_id(ctx.cause().detail.event_id, NAME, 0);
        let mut facts_shown = BTreeMap::new();
        facts_shown.insert("Employee".into(), e.employee.clone());
        facts_shown.insert("Department".into(), e.department.clone());
        facts_shown.insert("Category".into(), e.category.clone());
        facts_shown.insert("Merchant".into(), x.merchant.clone());
        facts_shown.insert("Incurred on".into(), e.incurred_on.to_string());
        facts_shown.insert("Claimed".into(), e.amount.to_string());
        facts_shown.insert("In base currency".into(), amount_base.to_string());
        if let Some(d) = &e.description {
            facts_shown.insert("Purpose".into(), d.clone());
        }
        if let Some(f) = &facts {
            facts_shown.insert(
                "Receipt says".into(),
                format!(
                    "{} · {} · {}",
                    f.merchant.as_deref().unwrap_or("merchant unreadable"),
                    f.date.map_or("date unreadable".into(), |d| d.to_string()),
                    match (f.total_minor, &f.currency) {
                        (Some(t), Some(c)) => Money::new(t, c).to_string(),
                        (Some(t), None) => decimal(t),
                        _ => "total unreadable".into(),
                    }
                ),
            );
        }
        ctx.request_approval(ApprovalDraft {
            kind: "expense".into(),
            subject: e.expense_id.clone(),
            summary: format!(
                "{} expense of {} at {} by {}",
                e.category, e.amount, x.merchant, e.employee
            ),
            amount: Some(amount_base),
            requester: e.employee.clone(),
            approver_role: self.policy.approver_role.clone(),
            first_approver: first_approver.clone(),
            reason: why.join("; "),
            facts: facts_shown,
        })?;
        x.approver = first_approver.or_else(|| Some(self.policy.approver_role.clone()));
        x.approval_id = Some(approval_id);
        self.save(ctx, &x)
    }

    async fn on_decided(&self, ctx: &mut Ctx<'_>, d: &ApprovalDecided) -> Result<(), AgentError> {
        // Only what the approval record says (a forged or early event is refused).
        ascent_core::approval::confirmed(ctx, d).await?;
        let Some(mut x) = ctx
            .get_as::<Expense>(Domain::Financial, &expense_pk(&d.subject), "expense")
            .await?
        else {
            return Err(AgentError::Invalid(format!(
                "approval {} is about expense {}, which does not exist",
                d.approval_id, d.subject
            )));
        };
        if x.status != ExpenseStatus::AwaitingApproval
            || x.approval_id.as_deref() != Some(d.approval_id.as_str())
        {
            return Ok(()); // already decided (redelivery), or an earlier approval of it
        }
        x.decided_by = d.decided_by.clone();
        let comment = d
            .comment
            .as_deref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        match d.outcome {
            ApprovalOutcome::Approved => {
                x.status = ExpenseStatus::Approved;
                x.reasons.push(format!(
                    "approved by {}{comment}",
                    d.decided_by.as_deref().unwrap_or("?")
                ));
            }
            ApprovalOutcome::Rejected => {
                x.status = ExpenseStatus::Rejected;
                x.reasons.push(format!(
                    "rejected by {}{comment}",
                    d.decided_by.as_deref().unwrap_or("?")
                ));
            }
            ApprovalOutcome::Expired => {
                x.status = ExpenseStatus::Rejected;
                x.decided_by = Some("policy".into());
                x.reasons
                    .push("nobody decided before the deadline; resubmit it".into());
            }
        }
        self.save(ctx, &x)?;
        self.decided(ctx, &x)
    }

    /// The reimbursement run, on the policy's reimbursement day.
    ///
    /// Bounded by continuing in the next run: one batch holds at most
    /// [`EXPENSES_PER_BATCH`] expenses (one write each, beside the batch record and the carry
    /// marker), the oldest first. When more are waiting, a carry marker
    /// (`reimbursement#carry` / `open`) makes the next daily runs batch the rest, one batch
    /// a day, until none is left; the marker is then removed.
    async fn on_daily(&self, ctx: &mut Ctx<'_>, tick: &ScheduleTick) -> Result<(), AgentError> {
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

/// Expenses one reimbursement batch holds (one write each, beside the batch record and the
/// carry marker): derived from AWS's limit on one message's transaction, not a business
/// setting.
pub const EXPENSES_PER_BATCH: usize = ascent_core::limits::MAX_WRITES - 2;
/// The marker of a reimbursement backlog that the next daily runs continue.
const CARRY_PK: &str = "reimbursement#carry";
const CARRY_SK: &str = "open";

#[async_trait]
impl Agent for ExpenseManagement {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::ExpenseSubmitted(e) => self.on_submitted(ctx, e).await,
            Payload::ApprovalDecided(d) => self.on_decided(ctx, d).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests;
