//! Dead letters as records: one per agent and event (`dlq#<agent>#<event id>`), with its
//! failures, its redrives and its state. A dead letter is classified and either scheduled for
//! a redrive (the `dlq#retries-due` index, sorted by due time, paged by the hourly run) or put
//! to a person (the `dlq#awaiting` index); the person's decision redrives or discards it.

use crate::classify::{FailureClass, classify, retry_due};
use crate::report;
use crate::{KIND, NAME, ProcessAutomationConfig};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{ApprovalDraft, Fact};
use ascent_core::catalog::{ApprovalDecided, ApprovalOutcome, MessageDeadLettered};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, DeadLetterAction, DeadLetterOrder, Query, SortKey};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `gsi1` partition of letters waiting for their retry, sorted by due time.
pub const RETRIES_DUE: &str = "dlq#retries-due";
/// `gsi1` partition of letters waiting for a person, sorted by dead-lettering time.
pub const AWAITING: &str = "dlq#awaiting";
/// Failures kept on a letter (the latest).
const KEPT_FAILURES: usize = 10;
/// A reason is kept to this many characters.
const REASON_CHARS: usize = 1_000;

/// What became of a dead letter so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LetterState {
    /// A transient failure, redriven when due.
    RetryDue { due: DateTime<Utc> },
    /// Put to a person through the approval `approval_id`.
    AwaitingDecision { approval_id: String },
    /// Moved back to its agent's queue (by the retry schedule or a person).
    Redriven { at: DateTime<Utc>, by: String },
    /// Deleted by a person's decision.
    Discarded { at: DateTime<Utc>, by: String },
    /// Nobody decided in time: it stays in the dead-letter queue (`ascent dlq`).
    Undecided { at: DateTime<Utc> },
}

/// One failure of the message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub at: DateTime<Utc>,
    pub reason: String,
    pub receive_count: u32,
    pub class: FailureClass,
}

/// A dead letter of one agent and event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Letter {
    pub agent: String,
    pub queue: String,
    pub event_id: String,
    pub detail_type: String,
    #[serde(default)]
    pub correlation_id: Option<String>,
    pub first_received_at: DateTime<Utc>,
    /// The latest failures, oldest first.
    pub failures: Vec<Failure>,
    /// Times it was moved back to its queue.
    pub redrives: u32,
    pub state: LetterState,
    pub version: u32,
}

impl Letter {
    /// The approval subject and key tail: `<agent>#<event id>`.
    pub fn subject(&self) -> String {
        subject(&self.agent, &self.event_id)
    }
    pub fn last(&self) -> Option<&Failure> {
        self.failures.last()
    }
}

pub fn subject(agent: &str, event_id: &str) -> String {
    format!("{agent}#{event_id}")
}

pub fn pk(subject: &str) -> String {
    format!("dlq#{subject}")
}

/// A time as an index sort key: fixed width (milliseconds, `Z`), so keys sort as times.
fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The index entry of a letter in its state (only waiting letters are indexed).
fn index(l: &Letter) -> Option<(String, String)> {
    let tail = l.subject();
    match &l.state {
        LetterState::RetryDue { due } => {
            Some((RETRIES_DUE.into(), format!("{}#{tail}", stamp(*due))))
        }
        LetterState::AwaitingDecision { .. } => {
            let at = l.last().map_or(l.first_received_at, |f| f.at);
            Some((AWAITING.into(), format!("{}#{tail}", stamp(at))))
        }
        _ => None,
    }
}

async fn load(ctx: &mut Ctx<'_>, subject: &str) -> Result<Option<Letter>, AgentError> {
    ctx.get_as(Domain::Performance, &pk(subject), "letter")
        .await
}

fn save(ctx: &mut Ctx<'_>, l: &mut Letter, previous: Option<u32>) -> Result<(), AgentError> {
    l.version = previous.map_or(1, |v| v + 1);
    let idx = index(l);
    ctx.put_record(
        Domain::Performance,
        &pk(&l.subject()),
        "letter",
        l,
        idx,
        Condition::version(previous),
    )
}

/// What to do with a letter that just failed: its class, and when to retry a transient one.
pub fn decide(
    l: &Letter,
    reason: &str,
    at: DateTime<Utc>,
    c: &ProcessAutomationConfig,
) -> (FailureClass, LetterState) {
    let class = classify(reason, l.redrives, c.max_retries, &c.patterns);
    let state = match class {
        FailureClass::Transient => LetterState::RetryDue {
            due: retry_due(at, c.retry_base_minutes, c.retry_factor, l.redrives),
        },
        // The approval id is filled in by the caller, who knows the cause.
        _ => LetterState::AwaitingDecision {
            approval_id: String::new(),
        },
    };
    (class, state)
}

fn check(d: &MessageDeadLettered) -> Result<(), AgentError> {
    for (field, value) in [("agent", &d.agent), ("event_id", &d.event_id)] {
        if value.trim().is_empty() || value.contains('#') {
            return Err(AgentError::Invalid(format!(
                "field `payload.{field}`: must be a non-empty name without `#`"
            )));
        }
    }
    if d.agent == NAME {
        return Err(AgentError::Invalid(
            "field `payload.agent`: Process Automation's own dead letters are left to the operator (`ascent dlq`)".into(),
        ));
    }
    Ok(())
}

/// A message was dead-lettered: record the failure, classify it, schedule its retry or put it
/// to a person. A repeat of the same notice changes nothing.
pub async fn on_dead_lettered(
    c: &ProcessAutomationConfig,
    ctx: &mut Ctx<'_>,
    d: &MessageDeadLettered,
) -> Result<(), AgentError> {
    check(d)?;
    let subject = subject(&d.agent, &d.event_id);
    let stored = load(ctx, &subject).await?;
    let previous = stored.as_ref().map(|l| l.version);
    let mut l = stored.unwrap_or_else(|| Letter {
        agent: d.agent.clone(),
        queue: d.queue.clone(),
        event_id: d.event_id.clone(),
        detail_type: d.detail_type.clone(),
        correlation_id: d.correlation_id.clone(),
        first_received_at: d.first_received_at,
        failures: vec![],
        redrives: 0,
        state: LetterState::Undecided {
            at: d.dead_lettered_at,
        },
        version: 0,
    });
    if l.failures.iter().any(|f| f.at == d.dead_lettered_at) {
        return Ok(()); // this failure is known already
    }
    let (class, mut state) = decide(&l, &d.reason, d.dead_lettered_at, c);
    l.failures.push(Failure {
        at: d.dead_lettered_at,
        reason: d.reason.chars().take(REASON_CHARS).collect(),
        receive_count: d.receive_count,
        class,
    });
    if l.failures.len() > KEPT_FAILURES {
        l.failures.remove(0);
    }
    if let LetterState::AwaitingDecision { approval_id } = &mut state {
        *approval_id = ascent_core::approval::approval_id(ctx.cause().detail.event_id, NAME, 0);
        ctx.request_approval(intervention(c, &l, class))?;
    }
    l.state = state;
    save(ctx, &mut l, previous)?;
    let day = d.dead_lettered_at.date_naive();
    report::count(ctx, day, |t| t.entry(&d.agent).failed(class)).await
}

/// The intervention request: the failure, the event and what approving and rejecting do.
fn intervention(c: &ProcessAutomationConfig, l: &Letter, class: FailureClass) -> ApprovalDraft {
    let last = l.last().expect("a failure was just recorded");
    // The failure's reason is the request's: the facts add the rest.
    let mut facts: BTreeMap<String, Fact> = [
        ("Agent", l.agent.clone()),
        ("Queue", l.queue.clone()),
        ("Event", format!("{} {}", l.detail_type, l.event_id)),
        (
            "Correlation id",
            l.correlation_id.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Class", class.as_str().into()),
        ("Deliveries", last.receive_count.to_string()),
        ("Redrives so far", l.redrives.to_string()),
        (
            "Approve",
            format!("redrive it to {}'s queue (fix the cause first)", l.agent),
        ),
        ("Reject", "discard it (recorded)".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into()))
    .collect();
    // Times in the approver's zone.
    facts.insert("First received".into(), l.first_received_at.into());
    facts.insert("Dead-lettered".into(), last.at.into());
    ApprovalDraft {
        kind: KIND.into(),
        subject: l.subject(),
        summary: format!(
            "{} failed on {} ({}): fix and redrive, or discard",
            l.agent,
            l.detail_type,
            class.as_str()
        ),
        amount: None,
        requester: c.operations_email.clone(),
        approver_role: c.approver_role.clone(),
        first_approver: None,
        reason: last.reason.clone(),
        facts,
        ..Default::default()
    }
}

/// Redrives the letters whose retry is due at `at`, the earliest first, at most
/// `retries_per_run` (the rest wait for the next run).
pub async fn redrive_due(
    c: &ProcessAutomationConfig,
    ctx: &mut Ctx<'_>,
    at: DateTime<Utc>,
) -> Result<(), AgentError> {
    let q = Query::gsi1(RETRIES_DUE)
        .sort(SortKey::AtMost(format!("{}~", stamp(at))))
        .limit(c.retries_per_run);
    let due: Vec<Letter> = ctx.query_as(Domain::Performance, &q).await?;
    let mut redriven = 0u32;
    let mut by_agent: BTreeMap<String, u32> = BTreeMap::new();
    for mut l in due {
        let LetterState::RetryDue { due } = l.state else {
            continue;
        };
        if due > at {
            continue;
        }
        redrive(ctx, &mut l, at, "retry schedule")?;
        *by_agent.entry(l.agent.clone()).or_default() += 1;
        redriven += 1;
    }
    if redriven == 0 {
        return Ok(());
    }
    report::count(ctx, at.date_naive(), |t| {
        for (agent, n) in &by_agent {
            t.entry(agent).redriven += n;
        }
    })
    .await
}

fn redrive(
    ctx: &mut Ctx<'_>,
    l: &mut Letter,
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), AgentError> {
    act(ctx, l, DeadLetterAction::Redrive)?;
    let previous = l.version;
    l.redrives += 1;
    l.state = LetterState::Redriven { at, by: by.into() };
    save(ctx, l, Some(previous))
}

fn act(ctx: &mut Ctx<'_>, l: &Letter, action: DeadLetterAction) -> Result<(), AgentError> {
    ctx.act_on_dead_letter(DeadLetterOrder {
        agent: l.agent.clone(),
        queue: l.queue.clone(),
        event_id: l.event_id.clone(),
        action,
    })
}

/// A person decided an intervention: approved = redrive, rejected = discard; nobody in time =
/// it stays in the dead-letter queue. Only what the approval record confirms is acted on.
pub async fn on_decided(
    _c: &ProcessAutomationConfig,
    ctx: &mut Ctx<'_>,
    d: &ApprovalDecided,
) -> Result<(), AgentError> {
    ascent_core::approval::confirmed(ctx, d).await?;
    let Some(mut l) = load(ctx, &d.subject).await? else {
        return Err(AgentError::Invalid(format!(
            "field `payload.subject`: approval {} is about dead letter {}, which is not recorded",
            d.approval_id, d.subject
        )));
    };
    match &l.state {
        LetterState::AwaitingDecision { approval_id } if *approval_id == d.approval_id => {}
        _ => return Ok(()), // decided already (a redelivery), or an earlier request
    }
    let now = ctx.now();
    let by = d.decided_by.clone().unwrap_or_else(|| "nobody".into());
    let day: NaiveDate = now.date_naive();
    match d.outcome {
        ApprovalOutcome::Approved => {
            redrive(ctx, &mut l, now, &by)?;
            report::count(ctx, day, |t| t.entry(&l.agent).redriven += 1).await
        }
        ApprovalOutcome::Rejected => {
            act(ctx, &l, DeadLetterAction::Discard)?;
            let previous = l.version;
            l.state = LetterState::Discarded { at: now, by };
            save(ctx, &mut l, Some(previous))?;
            report::count(ctx, day, |t| t.entry(&l.agent).discarded += 1).await
        }
        ApprovalOutcome::Expired => {
            let previous = l.version;
            l.state = LetterState::Undecided { at: now };
            save(ctx, &mut l, Some(previous))
        }
    }
}

/// Letters waiting for a person, the oldest first (at most `limit`).
pub async fn awaiting(ctx: &mut Ctx<'_>, limit: usize) -> Result<Vec<Letter>, AgentError> {
    ctx.query_as(Domain::Performance, &Query::gsi1(AWAITING).limit(limit))
        .await
}
