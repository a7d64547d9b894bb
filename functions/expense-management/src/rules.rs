//! The expense policy as configuration, and its evaluation of one claim: conversion to the
//! base currency, category limits, receipts, age, weekend and alcohol rules, the receipt
//! cross-check, duplicates. Each finding says which rule and what it does to the claim.

use crate::receipt::{DateOrder, ReceiptFacts};
use ascent_core::catalog::ExpenseSubmitted;
use ascent_core::money::{FxRates, Money};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a rule does to a claim that breaks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// The rule is off.
    Allow,
    /// A person must look: the claim goes to approval with the finding shown.
    Flag,
    /// The claim is rejected with the finding as the reason.
    Reject,
}

/// The company's expense policy: `[expenses]` of `ascent.toml` (see `settings`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExpensePolicy {
    /// Role whose approver chain decides claims above `controller_above_minor`.
    pub approver_role: String,
    /// Accepted claim currencies and their rates into the base currency of budgets, limits
    /// and thresholds. A claim in a currency not listed is refused.
    pub fx: FxRates,
    /// Largest claim per category, base-currency minor units. Unknown categories are rejected.
    pub category_limits_minor: BTreeMap<String, i64>,
    pub over_limit: RuleAction,
    /// Claims above this (base minor units) need a receipt.
    pub receipt_required_above_minor: i64,
    /// Clean claims up to this amount are approved by policy without a person.
    pub auto_approve_up_to_minor: i64,
    /// Claims above this go to the Finance Controller instead of the manager.
    pub controller_above_minor: i64,
    /// Claims older than this many days are rejected.
    pub max_age_days: i64,
    pub weekend: RuleAction,
    pub alcohol: RuleAction,
    /// Words on a receipt or merchant name that mean alcohol.
    pub alcohol_words: Vec<String>,
    /// Same employee, day and amount as an earlier claim.
    pub duplicate: RuleAction,
    /// The receipt disagrees with the claim (amount, currency or date).
    pub receipt_mismatch: RuleAction,
    pub date_order: DateOrder,
    /// Department → manager, when the claim does not name one.
    pub department_managers: BTreeMap<String, String>,
    /// Day of the week reimbursement batches are made.
    pub reimbursement_day: Weekday,
    /// `[expenses.expensify]`: reports marked reimbursed in Expensify.
    pub expensify: crate::expensify_settings::ExpensifySettings,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub action: RuleAction,
    pub message: String,
}

/// The policy's verdict on a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub amount_base: Money,
    pub findings: Vec<Finding>,
}

impl Evaluation {
    pub fn rejected(&self) -> bool {
        self.findings.iter().any(|f| f.action == RuleAction::Reject)
    }
    pub fn flagged(&self) -> bool {
        self.findings.iter().any(|f| f.action == RuleAction::Flag)
    }
    pub fn messages(&self) -> Vec<String> {
        self.findings.iter().map(|f| f.message.clone()).collect()
    }
}

/// Why a claim cannot even be evaluated (bad data, not a policy matter).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("{0}")]
    Currency(String),
    #[error("incurred_on {0} is in the future (today is {1})")]
    FutureDate(NaiveDate, NaiveDate),
}

impl ExpensePolicy {
    /// Converts a claim to the base currency at the rate of the day it was incurred (the
    /// transaction date, as IAS 21.21 and ASC 830-20-30-1 translate a foreign-currency
    /// transaction), rounding half away from zero.
    pub fn to_base(&self, m: &Money, incurred_on: NaiveDate) -> Result<Money, ClaimError> {
        self.fx
            .to_base_on(m, incurred_on)
            .map_err(|e| ClaimError::Currency(e.to_string()))
    }

    pub fn base_currency(&self) -> &str {
        &self.fx.base
    }

    fn base_text(&self, minor: i64) -> String {
        Money::new(minor, &self.fx.base).to_string()
    }

    /// Evaluates a claim. `today` is the submission day; `duplicate_of` is an earlier claim
    /// with the same employee, day and amount; `receipt` what its receipt says.
    pub fn evaluate(
        &self,
        e: &ExpenseSubmitted,
        receipt: Option<&ReceiptFacts>,
        today: NaiveDate,
        duplicate_of: Option<&str>,
    ) -> Result<Evaluation, ClaimError> {
        let amount_base = self.to_base(&e.amount, e.incurred_on)?;
        // A day of slack: the employee's "today" can be ahead of UTC.
        if e.incurred_on > today.succ_opt().unwrap_or(today) {
            return Err(ClaimError::FutureDate(e.incurred_on, today));
        }
        let mut findings = Vec::new();
        let mut find = |rule: &str, action: RuleAction, message: String| {
            if action != RuleAction::Allow {
                findings.push(Finding {
                    rule: rule.into(),
                    action,
                    message,
                });
            }
        };
        match self.category_limits_minor.get(&e.category) {
            None => find(
                "category",
                RuleAction::Reject,
                format!(
                    "unknown category `{}` (known: {})",
                    e.category,
                    self.category_limits_minor
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Some(limit) if amount_base.amount_minor > *limit => find(
                "category_limit",
                self.over_limit,
                format!(
                    "{} is over the {} limit of {}",
                    amount_base,
                    e.category,
                    self.base_text(*limit)
                ),
            ),
            Some(_) => {}
        }
        let has_receipt = e.receipt_attached || e.receipt_text.is_some();
        if !has_receipt && amount_base.amount_minor > self.receipt_required_above_minor {
            find(
                "receipt_required",
                RuleAction::Reject,
                format!(
                    "a receipt is required above {}",
                    self.base_text(self.receipt_required_above_minor)
                ),
            );
        }
        let age = (today - e.incurred_on).num_days();
        if age > self.max_age_days {
            find(
                "too_old",
                RuleAction::Reject,
                format!(
                    "incurred {age} days ago; claims must be made within {} days",
                    self.max_age_days
                ),
            );
        }
        if matches!(e.incurred_on.weekday(), Weekday::Sat | Weekday::Sun) {
            find(
                "weekend",
                self.weekend,
                format!("incurred on a weekend ({})", e.incurred_on.weekday()),
            );
        }
        let text = format!(
            "{} {} {}",
            e.merchant,
            e.receipt_text.as_deref().unwrap_or(""),
            e.description.as_deref().unwrap_or("")
        )
        .to_lowercase();
        if let Some(word) = self.alcohol_words.iter().find(|w| {
            text.split(|c: char| !c.is_alphanumeric())
                .any(|t| t == w.as_str())
        }) {
            find(
                "alcohol",
                self.alcohol,
                format!("alcohol is not reimbursable (`{word}` on the claim)"),
            );
        }
        if let Some(r) = receipt {
            if let Some(total) = r.total_minor {
                let currency = r.currency.as_deref().unwrap_or(&e.amount.currency);
                if total != e.amount.amount_minor || currency != e.amount.currency {
                    find(
                        "receipt_mismatch",
                        self.receipt_mismatch,
                        format!(
                            "the receipt totals {} but {} is claimed",
                            Money::new(total, currency),
                            e.amount
                        ),
                    );
                }
            }
            if let Some(d) = r.date
                && d != e.incurred_on
            {
                find(
                    "receipt_mismatch",
                    self.receipt_mismatch,
                    format!(
                        "the receipt is dated {d} but the claim says {}",
                        e.incurred_on
                    ),
                );
            }
        }
        if let Some(other) = duplicate_of {
            find(
                "duplicate",
                self.duplicate,
                format!("same employee, day and amount as expense {other}"),
            );
        }
        Ok(Evaluation {
            amount_base,
            findings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt;

    fn claim(category: &str, amount: Money, on: &str) -> ExpenseSubmitted {
        ExpenseSubmitted {
            expense_id: "E1".into(),
            employee: "li.wei@ascent-xr.example".into(),
            department: "sales".into(),
            category: category.into(),
            amount,
            incurred_on: on.parse().unwrap(),
            merchant: "Lufthansa".into(),
            receipt_attached: true,
            receipt_text: None,
            manager: None,
            description: None,
            expensify_report_id: None,
        }
    }

    fn today() -> NaiveDate {
        "2026-03-06".parse().unwrap() // a Friday
    }

    #[test]
    fn clean_claim_has_no_findings_and_converts_to_base() {
        let p = crate::ExpensePolicy::default();
        let e = claim("travel", Money::new(100_000, "EUR"), "2026-03-04");
        let ev = p.evaluate(&e, None, today(), None).unwrap();
        assert_eq!(ev.amount_base, Money::usd(108_000));
        assert!(ev.findings.is_empty());
    }

    #[test]
    fn each_expense_converts_at_the_rate_of_the_day_it_was_incurred() {
        // Given EUR at 1.05 until 28 February and at 1.10 from 1 March,
        let mut p = crate::ExpensePolicy::default();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let rates = |eur: i64| -> std::collections::BTreeMap<String, i64> {
            [("USD".to_string(), 1_000_000), ("EUR".to_string(), eur)].into()
        };
        p.fx = ascent_core::money::FxRates {
            base: "USD".into(),
            ppm: rates(1_100_000),
            dated: vec![(day("2026-01-01"), rates(1_050_000))],
            from: Some(day("2026-03-01")),
        };
        // when a EUR 200.00 taxi on 27 February and another on 2 March are claimed,
        let before = claim("travel", Money::new(20_000, "EUR"), "2026-02-27");
        let after = claim("travel", Money::new(20_000, "EUR"), "2026-03-02");
        // then each is converted at its own day's rate: 200 × 1.05 = 210.00, 200 × 1.10 = 220.00
        // (at a fixed rate both would be the same).
        let base = |e| p.evaluate(e, None, today(), None).unwrap().amount_base;
        assert_eq!(base(&before), Money::usd(21_000));
        assert_eq!(base(&after), Money::usd(22_000));
        // and a claim from before the first rate is refused, naming the date.
        let old = claim("travel", Money::new(20_000, "EUR"), "2025-12-30");
        assert_eq!(
            p.evaluate(&old, None, today(), None)
                .unwrap_err()
                .to_string(),
            "no rate for EUR on 2025-12-30: [currency] has rates from 2026-01-01 on"
        );
    }

    #[test]
    fn over_limit_weekend_and_missing_receipt() {
        let p = crate::ExpensePolicy::default();
        let mut e = claim("meals", Money::usd(18_000), "2026-02-28"); // Saturday
        e.receipt_attached = false;
        let ev = p.evaluate(&e, None, today(), None).unwrap();
        let rules: Vec<&str> = ev.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["category_limit", "receipt_required", "weekend"]);
        assert!(ev.rejected());
        assert_eq!(
            ev.findings[0].message,
            "180.00 USD is over the meals limit of 150.00 USD"
        );
    }

    #[test]
    fn alcohol_duplicates_age_and_unknown_categories() {
        let p = crate::ExpensePolicy::default();
        let mut e = claim("meals", Money::usd(4_000), "2026-03-04");
        e.receipt_text = Some("Bar Centrale\n2 x House wine 18.00\nTotal 40.00".into());
        let r = receipt::extract(e.receipt_text.as_deref().unwrap(), p.date_order);
        let ev = p.evaluate(&e, Some(&r), today(), Some("E0")).unwrap();
        let rules: Vec<&str> = ev.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["alcohol", "duplicate"]);
        let old = claim("travel", Money::usd(1_000), "2025-11-01");
        assert_eq!(
            p.evaluate(&old, None, today(), None).unwrap().findings[0].rule,
            "too_old"
        );
        let odd = claim("yacht", Money::usd(1_000), "2026-03-04");
        assert!(p.evaluate(&odd, None, today(), None).unwrap().rejected());
    }

    #[test]
    fn receipt_disagreeing_with_the_claim_is_flagged() {
        let p = crate::ExpensePolicy::default();
        let e = claim("travel", Money::usd(58_250), "2026-03-04");
        let r = receipt::extract("Lufthansa\n2026-03-03\nTOTAL USD 482.50", p.date_order);
        let ev = p.evaluate(&e, Some(&r), today(), None).unwrap();
        assert_eq!(
            ev.messages(),
            [
                "the receipt totals 482.50 USD but 582.50 USD is claimed",
                "the receipt is dated 2026-03-03 but the claim says 2026-03-04"
            ]
        );
        assert!(ev.flagged() && !ev.rejected());
    }

    #[test]
    fn bad_data_is_an_error_not_a_finding() {
        let p = crate::ExpensePolicy::default();
        let e = claim("travel", Money::new(1_000, "KWD"), "2026-03-04");
        assert!(matches!(
            p.evaluate(&e, None, today(), None),
            Err(ClaimError::Currency(_))
        ));
        let e = claim("travel", Money::usd(1_000), "2026-03-09");
        assert!(matches!(
            p.evaluate(&e, None, today(), None),
            Err(ClaimError::FutureDate(..))
        ));
    }
}
