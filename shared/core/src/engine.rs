//! The one engine: what becomes of a delivered event, the same in the twin and on Lambda.
//!
//! [`handle`] runs the agent's handler over a context with a panic caught per message (one bad
//! message never fails its batch) and classifies the outcome: handled with its effects, retry
//! later (a transient failure), or dead-letter now with the reason (a permanent one: invalid
//! input, an access denial, effects beyond AWS's limits on one commit — retrying cannot fix
//! it). Denied attempts travel with every outcome so that both homes audit them. The effects of
//! a handler that succeeded get their retention here ([`crate::retention::stamp`]: an expiry
//! from the declaration of each owned prefix), so both homes apply the same retention. The
//! transports (the twin's SQLite worker, the Lambda host over DynamoDB) only receive, commit
//! and settle.

use crate::agent::Agent;
use crate::context::{Ctx, Effects};
use crate::event::Event;
use crate::limits;
use crate::policy::AccessDenied;
use crate::ports::DataLake;
use crate::retention::DataRetention;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;

/// What became of one delivery's handler.
#[derive(Debug)]
pub enum Outcome {
    /// The handler succeeded: commit its effects with the idempotency record.
    Handled(Effects),
    /// A transient failure: deliver again later (the receive counts towards the dead-letter
    /// queue).
    Retry {
        reason: String,
        denials: Vec<AccessDenied>,
    },
    /// A permanent failure: to the dead-letter queue at once, with the reason.
    DeadLetter {
        reason: String,
        denials: Vec<AccessDenied>,
    },
}

impl Outcome {
    /// Denied attempts of a failed handler (audited by the transport).
    pub fn denials(&self) -> &[AccessDenied] {
        match self {
            Outcome::Handled(e) => &e.denials,
            Outcome::Retry { denials, .. } | Outcome::DeadLetter { denials, .. } => denials,
        }
    }
}

/// Runs `agent`'s handler for `event` at `now` (the time of the delivery: the handler decides
/// from the event's own time where the business needs it) and classifies what happened; the
/// writes of a handler that succeeded expire as `retention` and the declaration say.
pub async fn handle(
    agent: &dyn Agent,
    event: &Event,
    lake: &dyn DataLake,
    now: DateTime<Utc>,
    retention: &DataRetention,
) -> Outcome {
    let decl = agent.declaration();
    let mut ctx = Ctx::new(decl, lake, event, now);
    let result = AssertUnwindSafe(agent.handle(event, &mut ctx))
        .catch_unwind()
        .await;
    let mut effects = ctx.into_effects();
    if matches!(result, Ok(Ok(()))) {
        crate::retention::stamp(&mut effects, decl, retention, now);
        effects.emitted_json = effects.emitted.iter().map(Event::to_json).collect();
    }
    match result {
        // Effects AWS could not commit fail here in both homes, so the twin fails where
        // production would: no retry can shrink them.
        Ok(Ok(())) => match limits::check(&effects) {
            Ok(()) => Outcome::Handled(effects),
            Err(broken) => Outcome::DeadLetter {
                reason: format!("effects exceed AWS's limits: {broken}"),
                denials: effects.denials,
            },
        },
        Ok(Err(e)) if e.is_permanent() => Outcome::DeadLetter {
            reason: e.to_string(),
            denials: effects.denials,
        },
        Ok(Err(e)) => Outcome::Retry {
            reason: e.to_string(),
            denials: effects.denials,
        },
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Outcome::Retry {
                reason: format!("handler panicked: {msg}"),
                denials: effects.denials,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{AgentDecl, AgentError, Department, Domain, QueueClass};
    use crate::catalog::{Payload, ScheduleTick};
    use crate::ports::{Item, LakeError, Query, Write};
    use async_trait::async_trait;
    use futures::executor::block_on;

    struct EmptyLake;

    #[async_trait]
    impl DataLake for EmptyLake {
        async fn get(&self, _: Domain, _: &str, _: &str) -> Result<Option<Item>, LakeError> {
            Ok(None)
        }
        async fn query(&self, _: Domain, _: &Query) -> Result<Vec<Item>, LakeError> {
            Ok(vec![])
        }
        async fn transact(&self, _: &[Write]) -> Result<(), LakeError> {
            Ok(())
        }
    }

    /// Behaves as the tick's schedule name says.
    struct Moody(AgentDecl);

    #[async_trait]
    impl Agent for Moody {
        fn declaration(&self) -> &AgentDecl {
            &self.0
        }
        async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
            let Payload::ScheduleTick(t) = event.payload() else {
                unreachable!()
            };
            match t.schedule.as_str() {
                "panic" => panic!("boom"),
                "invalid" => Err(AgentError::Invalid("no such invoice".into())),
                "flaky" => Err(AgentError::Transient("crm timeout".into())),
                "bulk" => {
                    for i in 0..=crate::limits::MAX_WRITES {
                        ctx.put(
                            Domain::Customer,
                            Item::new(format!("lead#{i}"), "profile", serde_json::json!({})),
                            crate::ports::Condition::Always,
                        )?;
                    }
                    Ok(())
                }
                "nosy" => {
                    ctx.get(Domain::Financial, "invoice#1", "invoice").await?;
                    Ok(())
                }
                _ => ctx.put(
                    Domain::Customer,
                    Item::new("lead#1", "profile", serde_json::json!({})),
                    crate::ports::Condition::Always,
                ),
            }
        }
    }

    fn given(schedule: &str) -> Outcome {
        let agent = Moody(AgentDecl {
            name: "moody",
            department: Department::Sales,
            queue: QueueClass::Priority,
            subscriptions: vec![],
            reads: vec![],
            owns: vec![crate::agent::owns(Domain::Customer, "")],
            emits: vec![],
            requests_approvals: false,
            sends_mail: false,
            writes_text: false,
        });
        let at = "2026-03-02T06:00:00Z".parse().unwrap();
        let mut tick = ScheduleTick::event("daily", at);
        if let Payload::ScheduleTick(t) = &mut tick.detail.payload {
            t.schedule = schedule.into();
        }
        block_on(handle(
            &agent,
            &tick,
            &EmptyLake,
            at,
            &DataRetention::default(),
        ))
    }

    #[test]
    fn a_handler_that_succeeds_hands_its_effects_over() {
        let Outcome::Handled(effects) = given("fine") else {
            panic!("not handled")
        };
        assert_eq!(effects.writes.len(), 1);
    }

    #[test]
    fn a_panic_is_caught_and_retried_as_that_message_alone() {
        let Outcome::Retry { reason, .. } = given("panic") else {
            panic!("not a retry")
        };
        assert_eq!(reason, "handler panicked: boom");
    }

    #[test]
    fn invalid_input_is_dead_lettered_at_once_and_a_transient_failure_retried() {
        assert!(
            matches!(given("invalid"), Outcome::DeadLetter { reason, .. } if reason == "invalid input: no such invoice")
        );
        assert!(matches!(given("flaky"), Outcome::Retry { reason, .. } if reason == "crm timeout"));
    }

    #[test]
    fn an_access_denial_is_dead_lettered_at_once_with_the_denial_to_audit() {
        let outcome = given("nosy");
        assert_eq!(outcome.denials().len(), 1);
        assert!(
            matches!(outcome, Outcome::DeadLetter { reason, .. } if reason.contains("may not read domain financial"))
        );
    }

    #[test]
    fn effects_beyond_one_transaction_are_dead_lettered_at_once_naming_the_limit() {
        let Outcome::DeadLetter { reason, .. } = given("bulk") else {
            panic!("50 writes were committed")
        };
        assert_eq!(
            reason,
            "effects exceed AWS's limits: a transaction of 101 items exceeds DynamoDB's 100"
        );
    }
}
