//! SOX controls on financial approvals: segregation of duties (nobody approves their own
//! request; two distinct approvers above the two-person amount) and approval limits (someone
//! who approved must have authority for the amount). Every check is kept as evidence.

use ascent_core::catalog::{ApprovalDecided, ApprovalOutcome};
use ascent_core::money::{FxRates, Money};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who may approve how much, in base-currency minor units.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApprovalLimits {
    /// Approver email → limit; `None` means no limit.
    pub limits: BTreeMap<String, Option<i64>>,
    /// Approver email → kind of decision → a limit replacing theirs for that kind (the
    /// delegation-of-authority matrix the approvals were routed by).
    #[serde(default)]
    pub by_kind: BTreeMap<String, BTreeMap<String, i64>>,
    /// Limit of approvers not listed (line managers).
    pub default_limit_minor: i64,
    /// Above this, two distinct people must approve.
    pub two_person_above_minor: i64,
}

/// The result of checking one decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlCheck {
    pub approval_id: String,
    pub kind: String,
    pub subject: String,
    pub amount_base: Option<Money>,
    pub requester: String,
    pub approvers: Vec<String>,
    pub outcome: ApprovalOutcome,
    /// Failed controls, empty when all passed.
    pub failures: Vec<String>,
}

impl ControlCheck {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl ApprovalLimits {
    fn limit_of(&self, person: &str, kind: &str) -> Option<i64> {
        let for_kind = self
            .by_kind
            .iter()
            .find(|(p, _)| same(p, person))
            .and_then(|(_, kinds)| kinds.get(kind).copied());
        match self.limits.iter().find(|(p, _)| same(p, person)) {
            Some((_, l)) => for_kind.or(*l),
            None => Some(self.default_limit_minor),
        }
    }

    /// Checks a decision. Amounts in other currencies are converted with `fx`.
    pub fn check(&self, d: &ApprovalDecided, fx: &FxRates) -> ControlCheck {
        let approvers: Vec<String> = d
            .decided_by
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        let mut failures = Vec::new();
        if approvers.iter().any(|a| same(a, &d.requester)) {
            failures.push(format!(
                "segregation of duties: {} decided their own request",
                d.requester
            ));
        }
        let amount_base = match &d.amount {
            Some(m) => match fx.to_base(m) {
                Ok(b) => Some(b),
                Err(e) => {
                    failures.push(format!("amount cannot be valued: {e}"));
                    None
                }
            },
            None => None,
        };
        if d.outcome == ApprovalOutcome::Approved
            && let Some(amount) = &amount_base
        {
            // The highest authority among those who approved; `None` = unlimited.
            let limits: Vec<Option<i64>> = approvers
                .iter()
                .map(|a| self.limit_of(a, &d.kind))
                .collect();
            let authority = if limits.iter().any(Option::is_none) {
                None
            } else {
                Some(limits.iter().flatten().copied().max().unwrap_or(0))
            };
            if let Some(max) = authority
                && amount.amount_minor > max
            {
                failures.push(format!(
                    "approval limit: {amount} approved by {} whose authority ends at {}",
                    approvers.join(", "),
                    Money::new(max, &amount.currency)
                ));
            }
            let distinct = {
                let mut v: Vec<String> = approvers.iter().map(|a| a.to_lowercase()).collect();
                v.sort();
                v.dedup();
                v.len()
            };
            if amount.amount_minor > self.two_person_above_minor && distinct < 2 {
                failures.push(format!(
                    "segregation of duties: {amount} needs two distinct approvers, had {distinct}"
                ));
            }
        }
        ControlCheck {
            approval_id: d.approval_id.clone(),
            kind: d.kind.clone(),
            subject: d.subject.clone(),
            amount_base,
            requester: d.requester.clone(),
            approvers,
            outcome: d.outcome,
            failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(
        amount: Option<Money>,
        by: Option<&str>,
        outcome: ApprovalOutcome,
    ) -> ApprovalDecided {
        ApprovalDecided {
            approval_id: "apr-1".into(),
            kind: "expense".into(),
            subject: "E1".into(),
            requested_by_agent: "expense-management".into(),
            amount,
            outcome,
            decided_by: by.map(str::to_string),
            comment: None,
            requester: "li.wei@ascent-xr.example".into(),
        }
    }

    /// The control checks the same matrix the approvals were routed by: a limit for the kind
    /// of decision replaces the person's general one.
    #[test]
    fn a_limit_for_the_kind_of_decision_is_the_one_checked() {
        let mut l = crate::FinanceConfig::default().limits;
        let fx = crate::FinanceConfig::default().fx;
        l.by_kind.insert(
            "finance.controller@ascent-xr.example".into(),
            [("credit_note".to_string(), 1_000_000)].into(),
        );
        let mut d = decided(
            Some(Money::usd(2_000_000)),
            Some("finance.controller@ascent-xr.example"),
            ApprovalOutcome::Approved,
        );
        // 20,000.00 of expense: within the controller's 50,000.00.
        assert!(l.check(&d, &fx).passed());
        // 20,000.00 of credit note: above the controller's 10,000.00 for credit notes.
        d.kind = "credit_note".into();
        let c = l.check(&d, &fx);
        assert_eq!(
            c.failures,
            [
                "approval limit: 20000.00 USD approved by finance.controller@ascent-xr.example whose authority ends at 10000.00 USD"
            ]
        );
    }

    #[test]
    fn a_manager_within_their_limit_passes() {
        let c = crate::FinanceConfig::default().limits.check(
            &decided(
                Some(Money::usd(48_250)),
                Some("mara.head@ascent-xr.example"),
                ApprovalOutcome::Approved,
            ),
            &crate::FinanceConfig::default().fx,
        );
        assert!(c.passed(), "{:?}", c.failures);
    }

    #[test]
    fn self_approval_limits_and_two_person_rule_fail() {
        let l = crate::FinanceConfig::default().limits;
        let fx = crate::FinanceConfig::default().fx;
        let own = l.check(
            &decided(
                Some(Money::usd(1_000)),
                Some("LI.WEI@ascent-xr.example"),
                ApprovalOutcome::Approved,
            ),
            &fx,
        );
        assert!(own.failures[0].starts_with("segregation of duties"));
        let over = l.check(
            &decided(
                Some(Money::new(100_000, "EUR")),
                Some("mara.head@ascent-xr.example"),
                ApprovalOutcome::Approved,
            ),
            &fx,
        );
        assert_eq!(
            over.failures,
            [
                "approval limit: 1080.00 USD approved by mara.head@ascent-xr.example whose authority ends at 1000.00 USD"
            ]
        );
        let big = l.check(
            &decided(
                Some(Money::usd(6_000_000)),
                Some("cfo@ascent-xr.example"),
                ApprovalOutcome::Approved,
            ),
            &fx,
        );
        assert_eq!(big.failures.len(), 1);
        assert!(big.failures[0].contains("two distinct approvers"));
        let pair = l.check(
            &decided(
                Some(Money::usd(6_000_000)),
                Some("finance.controller@ascent-xr.example, cfo@ascent-xr.example"),
                ApprovalOutcome::Approved,
            ),
            &fx,
        );
        assert!(pair.passed());
    }

    #[test]
    fn rejections_and_expiries_only_need_segregation() {
        let l = crate::FinanceConfig::default().limits;
        let c = l.check(
            &decided(Some(Money::usd(9_000_000)), None, ApprovalOutcome::Expired),
            &crate::FinanceConfig::default().fx,
        );
        assert!(c.passed());
        let c = l.check(
            &decided(
                Some(Money::new(5, "XYZ")),
                Some("cfo@ascent-xr.example"),
                ApprovalOutcome::Rejected,
            ),
            &crate::FinanceConfig::default().fx,
        );
        assert!(c.failures[0].contains("XYZ"));
    }
}
