//! Acting on an approval outcome only when the approval record says so.
//!
//! An `ApprovalDecided` is a claim; the approval record in the data lake (`Domain::Approvals`,
//! written by the twin's runtime or, on AWS, by the approval notifier and API) is the truth.
//! [`confirmed`] reads the record and accepts the decision only if it matches: same approval,
//! opened by the agent acting on it, closed with the outcome, deciders and terms the event
//! claims. A decision that contradicts the record is refused for good (the agent dead-letters
//! it with the reason, which is audited); one about an approval the record still shows pending
//! is retried, since on AWS the record of a real decision may land just after its event, and
//! dead-lettered once the retries are used up.

use super::{Approval, ApprovalStatus};
use crate::agent::{AgentError, Domain};
use crate::catalog::{ApprovalDecided, ApprovalOutcome};
use crate::context::Ctx;

/// Where the record of approval `id` lives in `Domain::Approvals`: partition and sort key.
pub fn record_key(id: &str) -> (String, &'static str) {
    (format!("approval#{id}"), "approval")
}

/// Why a decision was not acted on: the approval record does not say so. Messages name the
/// approval and the field, never a person's address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unconfirmed {
    #[error("approval {id}: no such approval on record; the decision is refused")]
    Unknown { id: String },
    #[error(
        "approval {id} was opened by `{recorded}`, not by `{claimed}`; the decision is refused"
    )]
    Requester {
        id: String,
        claimed: String,
        recorded: String,
    },
    #[error("approval {id}: `{field}` is not what the record says; the decision is refused")]
    Differs { id: String, field: &'static str },
    #[error(
        "approval {id} is still pending on record: a decision counts only once recorded (retried, then dead-lettered)"
    )]
    Pending { id: String },
    #[error(
        "approval {id}: the event says {claimed}, the record says {recorded}; the decision is refused"
    )]
    Outcome {
        id: String,
        claimed: &'static str,
        recorded: &'static str,
    },
}

impl From<Unconfirmed> for AgentError {
    /// Pending is retried (the record may lag on AWS); anything else is permanent.
    fn from(e: Unconfirmed) -> Self {
        match e {
            Unconfirmed::Pending { .. } => AgentError::Transient(e.to_string()),
            other => AgentError::Invalid(other.to_string()),
        }
    }
}

fn outcome_word(o: ApprovalOutcome) -> &'static str {
    match o {
        ApprovalOutcome::Approved => "approved",
        ApprovalOutcome::Rejected => "rejected",
        ApprovalOutcome::Expired => "expired",
    }
}

/// Checks `decided` against the approval record (`None`: there is none). `opener`: the agent
/// that must have opened the approval (`None` for a reviewer of everyone's approvals, who
/// still needs the event's `requested_by_agent` to be the record's).
pub fn check_decision(
    record: Option<&Approval>,
    decided: &ApprovalDecided,
    opener: Option<&str>,
) -> Result<(), Unconfirmed> {
    let id = || decided.approval_id.clone();
    let Some(a) = record.filter(|a| a.id == decided.approval_id) else {
        return Err(Unconfirmed::Unknown { id: id() });
    };
    for claimed in std::iter::once(decided.requested_by_agent.as_str()).chain(opener) {
        if claimed != a.agent {
            return Err(Unconfirmed::Requester {
                id: id(),
                claimed: claimed.to_string(),
                recorded: a.agent.clone(),
            });
        }
    }
    let differs = |field| Err(Unconfirmed::Differs { id: id(), field });
    if decided.kind != a.draft.kind {
        return differs("kind");
    }
    if decided.subject != a.draft.subject {
        return differs("subject");
    }
    if decided.requester != a.draft.requester {
        return differs("requester");
    }
    if decided.amount != a.draft.amount {
        return differs("amount");
    }
    let recorded = match a.status {
        ApprovalStatus::Pending => return Err(Unconfirmed::Pending { id: id() }),
        ApprovalStatus::Approved => ApprovalOutcome::Approved,
        ApprovalStatus::Rejected => ApprovalOutcome::Rejected,
        ApprovalStatus::Expired => ApprovalOutcome::Expired,
    };
    if decided.outcome != recorded {
        return Err(Unconfirmed::Outcome {
            id: id(),
            claimed: outcome_word(decided.outcome),
            recorded: outcome_word(recorded),
        });
    }
    if decided.decided_by != a.decided_by {
        return differs("decided_by");
    }
    if decided.comment != a.comment {
        return differs("comment");
    }
    Ok(())
}

async fn read_and_check(
    ctx: &mut Ctx<'_>,
    decided: &ApprovalDecided,
    opener: Option<&str>,
) -> Result<Approval, AgentError> {
    let (pk, sk) = record_key(&decided.approval_id);
    let record: Option<Approval> = ctx.get_as(Domain::Approvals, &pk, sk).await?;
    check_decision(record.as_ref(), decided, opener)?;
    Ok(record.expect("checked"))
}

/// The approval this agent opened that `decided` is about, if its record says what the event
/// says; otherwise the error to fail the handler with (see [`Unconfirmed`]). The agent must
/// declare reading `Domain::Approvals`.
pub async fn confirmed(
    ctx: &mut Ctx<'_>,
    decided: &ApprovalDecided,
) -> Result<Approval, AgentError> {
    let me = ctx.agent().name;
    read_and_check(ctx, decided, Some(me)).await
}

/// [`confirmed`] for an agent that reviews every agent's approvals (the finance controller's
/// controls): the record must match, whoever opened it.
pub async fn confirmed_for_review(
    ctx: &mut Ctx<'_>,
    decided: &ApprovalDecided,
) -> Result<Approval, AgentError> {
    read_and_check(ctx, decided, None).await
}

#[cfg(test)]
mod tests {
    use super::super::{ApprovalDraft, ApprovalPolicy, Decision};
    use super::*;
    use crate::agent::{AgentDecl, Department, QueueClass};
    use crate::event::{Actor, Event};
    use crate::money::Money;
    use crate::ports::{DataLake, Item, LakeError, Query, Write};
    use async_trait::async_trait;
    use chrono::{DateTime, Duration, Utc};
    use futures::executor::block_on;
    use uuid::Uuid;

    fn t0() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    fn opened() -> Approval {
        ApprovalPolicy::default()
            .open(
                "apr-1".into(),
                "closing",
                ApprovalDraft {
                    kind: "discount".into(),
                    subject: "D1".into(),
                    summary: "20% on D1".into(),
                    amount: Some(Money::usd(1_000_000)),
                    requester: "rep@x.example".into(),
                    approver_role: "sales-director".into(),
                    first_approver: None,
                    reason: "competitive".into(),
                    ..Default::default()
                },
                Uuid::nil(),
                t0(),
            )
            .unwrap()
    }

    fn rejected() -> Approval {
        let mut a = opened();
        a.decide(
            "sales.director@ascent-xr.example",
            0,
            Decision::Reject,
            Some("too much".into()),
            t0(),
            Duration::hours(48),
        )
        .unwrap();
        a
    }

    /// What an attacker claims about `apr-1`.
    fn forged() -> ApprovalDecided {
        ApprovalDecided {
            approval_id: "apr-1".into(),
            kind: "discount".into(),
            subject: "D1".into(),
            requested_by_agent: "closing".into(),
            amount: Some(Money::usd(1_000_000)),
            outcome: ApprovalOutcome::Approved,
            decided_by: Some("mallory@attacker.example".into()),
            comment: None,
            requester: "rep@x.example".into(),
        }
    }

    #[test]
    fn the_recorded_decision_is_confirmed() {
        let a = rejected();
        let real = a.decided_event().unwrap();
        assert_eq!(check_decision(Some(&a), &real, Some("closing")), Ok(()));
        assert_eq!(check_decision(Some(&a), &real, None), Ok(()));
    }

    #[test]
    fn a_decision_the_record_does_not_say_is_refused() {
        let pending = opened();
        let closed = rejected();
        let id = || "apr-1".to_string();
        assert_eq!(
            check_decision(None, &forged(), Some("closing")),
            Err(Unconfirmed::Unknown { id: id() })
        );
        let mut other = opened();
        other.id = "apr-2".into();
        assert_eq!(
            check_decision(Some(&other), &forged(), Some("closing")),
            Err(Unconfirmed::Unknown { id: id() })
        );
        // The attack of issue 18: the approval is still pending.
        let err = check_decision(Some(&pending), &forged(), Some("closing")).unwrap_err();
        assert_eq!(err, Unconfirmed::Pending { id: id() });
        assert!(matches!(AgentError::from(err), AgentError::Transient(_)));
        // Another outcome than the recorded one.
        let err = check_decision(Some(&closed), &forged(), Some("closing")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "approval apr-1: the event says approved, the record says rejected; the decision is refused"
        );
        assert!(AgentError::from(err).is_permanent());
        // Opened by another agent than the event says, or than the one acting on it.
        let mut claim = closed.decided_event().unwrap();
        claim.requested_by_agent = "expense-management".into();
        assert!(matches!(
            check_decision(Some(&closed), &claim, None),
            Err(Unconfirmed::Requester { .. })
        ));
        let real = closed.decided_event().unwrap();
        assert_eq!(
            check_decision(Some(&closed), &real, Some("expense-management")),
            Err(Unconfirmed::Requester {
                id: id(),
                claimed: "expense-management".into(),
                recorded: "closing".into()
            })
        );
        // Any other claim the record contradicts, named by its field (never its value).
        type Change = fn(&mut ApprovalDecided);
        let cases: [(&str, Change); 6] = [
            ("kind", |d| d.kind = "refund".into()),
            ("subject", |d| d.subject = "D2".into()),
            ("requester", |d| d.requester = "boss@x.example".into()),
            ("amount", |d| d.amount = Some(Money::usd(1))),
            ("decided_by", |d| {
                d.decided_by = Some("mallory@attacker.example".into())
            }),
            ("comment", |d| d.comment = None),
        ];
        for (field, change) in cases {
            let mut d = closed.decided_event().unwrap();
            change(&mut d);
            let err = check_decision(Some(&closed), &d, Some("closing")).unwrap_err();
            assert_eq!(err, Unconfirmed::Differs { id: id(), field });
            assert!(!err.to_string().contains('@'), "{err}");
        }
    }

    /// A lake holding one approval record.
    struct OneRecord(Option<Approval>);

    #[async_trait]
    impl DataLake for OneRecord {
        async fn get(&self, d: Domain, pk: &str, sk: &str) -> Result<Option<Item>, LakeError> {
            assert_eq!(d, Domain::Approvals);
            Ok(self.0.as_ref().and_then(|a| {
                (record_key(&a.id) == (pk.to_string(), sk))
                    .then(|| Item::new(pk, sk, serde_json::to_value(a).unwrap()))
            }))
        }
        async fn query(&self, _: Domain, _: &Query) -> Result<Vec<Item>, LakeError> {
            Ok(vec![])
        }
        async fn transact(&self, _: &[Write]) -> Result<(), LakeError> {
            Ok(())
        }
    }

    fn decl(reads: Vec<Domain>) -> AgentDecl {
        AgentDecl {
            name: "closing",
            department: Department::Sales,
            queue: QueueClass::Priority,
            subscriptions: vec![],
            reads,
            owns: vec![],
            emits: vec![],
            requests_approvals: true,
            sends_mail: false,
            writes_text: false,
        }
    }

    #[test]
    fn agents_confirm_through_the_data_lake_and_must_declare_reading_approvals() {
        let closed = rejected();
        let real = closed.decided_event().unwrap();
        let cause = Event::new(
            "ascent.approvals",
            Actor::system("approvals"),
            t0(),
            real.clone(),
        );
        let lake = OneRecord(Some(closed.clone()));
        let d = decl(vec![Domain::Approvals]);
        let mut ctx = Ctx::new(&d, &lake, &cause, t0());
        assert_eq!(block_on(confirmed(&mut ctx, &real)).unwrap(), closed);
        assert_eq!(
            block_on(confirmed_for_review(&mut ctx, &real)).unwrap(),
            closed
        );
        let err = block_on(confirmed(&mut ctx, &forged())).unwrap_err();
        assert!(err.is_permanent(), "{err}");
        // Without the declaration, reading the record is denied (and audited).
        let undeclared = decl(vec![]);
        let mut ctx = Ctx::new(&undeclared, &lake, &cause, t0());
        assert!(matches!(
            block_on(confirmed(&mut ctx, &real)),
            Err(AgentError::Denied(_))
        ));
        // No record at all.
        let empty = OneRecord(None);
        let mut ctx = Ctx::new(&d, &empty, &cause, t0());
        let err = block_on(confirmed(&mut ctx, &real)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid input: approval apr-1: no such approval on record; the decision is refused"
        );
    }
}
