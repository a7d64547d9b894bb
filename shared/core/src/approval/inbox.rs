//! Deciding as a signed-in approver (the operator console's inbox) rather than through an
//! emailed link: the same rules, with the person identified by their sign-in and the step
//! taken as the request's current one. They must be the approver of that step, never the
//! requester, not one who already approved, before the deadline; a request is decided once.

use super::{Approval, ApprovalError, Decision, DecisionOutcome};
use chrono::{DateTime, Duration, Utc};

impl Approval {
    /// Checks that `person` (signed in) may decide now, under [`Approval::check_decider`]'s
    /// rules at the current step.
    pub fn check_signed_in(&self, person: &str, now: DateTime<Utc>) -> Result<(), ApprovalError> {
        self.check_decider(person, self.step, now)
    }

    /// Records `person`'s decision as [`Approval::decide`] does for a link of the current
    /// step.
    pub fn decide_signed_in(
        &mut self,
        person: &str,
        decision: Decision,
        comment: Option<String>,
        now: DateTime<Utc>,
        step_timeout: Duration,
    ) -> Result<DecisionOutcome, ApprovalError> {
        self.decide(person, self.step, decision, comment, now, step_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::{ApprovalDraft, ApprovalPolicy, ApprovalStatus};
    use crate::money::Money;
    use std::collections::BTreeMap;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    /// A request by `rep@` for the chain boss@, cfo@; two approvers above 1,000.00.
    fn open(amount_minor: i64) -> Approval {
        let mut policy = ApprovalPolicy {
            chains: BTreeMap::from([(
                "sales-director".to_string(),
                vec!["boss@x.example".to_string(), "cfo@x.example".to_string()],
            )]),
            ..Default::default()
        };
        policy.authority.clear();
        policy.escalation.clear();
        policy.two_person_above_minor = Some(100_000);
        policy.fx = None;
        let draft = ApprovalDraft {
            kind: "discount".into(),
            subject: "deal-1".into(),
            summary: "discount".into(),
            amount: Some(Money::usd(amount_minor)),
            requester: "rep@x.example".into(),
            approver_role: "sales-director".into(),
            reason: "above threshold".into(),
            ..Default::default()
        };
        policy
            .open("apr-1".into(), "closing", draft, uuid::Uuid::nil(), now())
            .unwrap()
    }

    fn decide(a: &mut Approval, who: &str, d: Decision) -> Result<DecisionOutcome, ApprovalError> {
        a.decide_signed_in(who, d, None, now(), Duration::hours(48))
    }

    #[test]
    fn only_the_approver_of_the_current_step_decides_and_only_once() {
        let mut a = open(50_000);
        assert_eq!(
            decide(&mut a, "cfo@x.example", Decision::Approve),
            Err(ApprovalError::NotTheApprover("cfo@x.example".into()))
        );
        assert_eq!(
            decide(&mut a, "rep@x.example", Decision::Approve),
            Err(ApprovalError::SelfApproval)
        );
        assert_eq!(
            decide(&mut a, "Boss@x.example", Decision::Approve),
            Ok(DecisionOutcome::Closed)
        );
        assert_eq!(a.status, ApprovalStatus::Approved);
        assert!(matches!(
            decide(&mut a, "boss@x.example", Decision::Reject),
            Err(ApprovalError::AlreadyClosed(_))
        ));
    }

    #[test]
    fn above_the_two_person_amount_a_second_distinct_approver_decides() {
        let mut a = open(500_000);
        assert_eq!(
            decide(&mut a, "boss@x.example", Decision::Approve),
            Ok(DecisionOutcome::NeedsAnother {
                next: "cfo@x.example".into()
            })
        );
        assert!(matches!(
            decide(&mut a, "boss@x.example", Decision::Approve),
            Err(ApprovalError::AlreadyApprovedBy(_))
        ));
        assert_eq!(a.check_signed_in("cfo@x.example", now()), Ok(()));
        assert_eq!(
            decide(&mut a, "cfo@x.example", Decision::Approve),
            Ok(DecisionOutcome::Closed)
        );
        assert_eq!(a.approved_by, ["boss@x.example", "cfo@x.example"]);
    }

    #[test]
    fn after_the_deadline_the_signed_in_approver_is_refused_too() {
        let a = open(50_000);
        let late = now() + Duration::hours(49);
        assert_eq!(
            a.check_signed_in("boss@x.example", late),
            Err(ApprovalError::PastDeadline)
        );
    }
}
