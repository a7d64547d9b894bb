//! Expense claims: read the receipt, convert to the base currency, apply the expense policy;
//! rejected with the reasons, approved by policy, or sent to the employee's manager (or the
//! Finance Controller above the controller threshold) — never to the submitter — and acted on
//! once the approval record confirms the decision.

use crate::{ExpenseManagement, NAME, TO_REIMBURSE, decimal, receipt};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{ApprovalDraft, Fact};
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, ExpenseDecided, ExpenseOutcome, ExpenseSubmitted,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

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
    /// The Expensify report it came from (marked reimbursed there once paid).
    #[serde(default)]
    pub expensify_report_id: Option<String>,
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

impl ExpenseManagement {
    pub(crate) fn save(&self, ctx: &mut Ctx<'_>, x: &Expense) -> Result<(), AgentError> {
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

    pub(crate) fn decided(&self, ctx: &mut Ctx<'_>, x: &Expense) -> Result<(), AgentError> {
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

    pub(crate) fn manager_of(&self, e: &ExpenseSubmitted) -> Option<String> {
        e.manager
            .clone()
            .filter(|m| m.contains('@'))
            .or_else(|| self.policy.department_managers.get(&e.department).cloned())
    }

    pub(crate) async fn on_submitted(
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
            expensify_report_id: e.expensify_report_id.clone(),
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
        // The employee is the requester, their purpose their reason, the base-currency value
        // the amount: the facts add the claim as submitted and what the receipt says.
        let mut facts_shown: BTreeMap<String, Fact> = BTreeMap::new();
        facts_shown.insert("Department".into(), e.department.clone().into());
        facts_shown.insert("Category".into(), e.category.clone().into());
        facts_shown.insert("Merchant".into(), x.merchant.clone().into());
        facts_shown.insert("Incurred on".into(), e.incurred_on.to_string().into());
        if e.amount != amount_base {
            facts_shown.insert("Claimed".into(), Fact::from(&e.amount));
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
                )
                .into(),
            );
        }
        ctx.request_approval(ApprovalDraft {
            kind: "expense".into(),
            subject: e.expense_id.clone(),
            summary: format!("{} expense at {} by {}", e.category, x.merchant, e.employee),
            amount: Some(amount_base),
            requester: e.employee.clone(),
            approver_role: self.policy.approver_role.clone(),
            first_approver: first_approver.clone(),
            reason: why.join("; "),
            requester_reason: e.description.clone(),
            customer: None,
            facts: facts_shown,
        })?;
        x.approver = first_approver.or_else(|| Some(self.policy.approver_role.clone()));
        x.approval_id = Some(approval_id);
        self.save(ctx, &x)
    }

    pub(crate) async fn on_decided(
        &self,
        ctx: &mut Ctx<'_>,
        d: &ApprovalDecided,
    ) -> Result<(), AgentError> {
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
}
