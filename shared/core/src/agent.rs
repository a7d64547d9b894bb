//! The agent contract: what an agent declares about itself, and the handler it implements.
//!
//! The declaration is the one source of truth for routing (EventBridge patterns), queue class,
//! data permissions, emitted events and approvals. The twin obeys it; `infra/` is checked
//! against it.

use crate::context::Ctx;
use crate::event::Event;
use crate::policy::AccessDenied;
use crate::ports::LakeError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Department {
    Marketing,
    Sales,
    Operations,
    Finance,
    CustomerSuccess,
}

/// Which queue an agent's deliveries go through (the seed's message queues).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum QueueClass {
    /// Time-sensitive work (sales, support): drained first, small batches, no batching window.
    Priority,
    /// Scheduled and bulk work (reporting, analytics): larger batches.
    Batch,
}

impl QueueClass {
    pub fn as_str(&self) -> &'static str {
        match self {
            QueueClass::Priority => "priority",
            QueueClass::Batch => "batch",
        }
    }
    /// Messages handed to the handler at once (SQS event source mapping batch size).
    pub fn batch_size(&self) -> usize {
        match self {
            QueueClass::Priority => 10,
            QueueClass::Batch => 100,
        }
    }
}

/// Data-lake domains. Agents declare business domains; the platform ones are the runtime's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// Unified customer profiles, leads, accounts, deals, proposals.
    Customer,
    /// Every interaction with a prospect or customer.
    Interaction,
    /// KPIs and metrics from all functions.
    Performance,
    /// Revenue, invoices, payments, expenses, forecasts.
    Financial,
    /// The knowledge base: help articles with their versions, webinars.
    Knowledge,
    /// Platform: approval requests and their state.
    Approvals,
    /// Platform: handled event ids per agent.
    Idempotency,
    /// Platform: the append-only audit trail on AWS (the twin keeps a hash-chained log).
    Audit,
}

impl Domain {
    pub const BUSINESS: [Domain; 5] = [
        Domain::Customer,
        Domain::Interaction,
        Domain::Performance,
        Domain::Financial,
        Domain::Knowledge,
    ];
    pub const ALL: [Domain; 8] = [
        Domain::Customer,
        Domain::Interaction,
        Domain::Performance,
        Domain::Financial,
        Domain::Knowledge,
        Domain::Approvals,
        Domain::Idempotency,
        Domain::Audit,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Domain::Customer => "customer",
            Domain::Interaction => "interaction",
            Domain::Performance => "performance",
            Domain::Financial => "financial",
            Domain::Knowledge => "knowledge",
            Domain::Approvals => "approvals",
            Domain::Idempotency => "idempotency",
            Domain::Audit => "audit",
        }
    }
    pub fn parse(s: &str) -> Option<Domain> {
        Domain::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// A partition-key prefix an agent owns in one domain: only it writes items whose partition
/// key starts with the prefix (the context refuses other writes; on AWS the role's
/// `dynamodb:LeadingKeys` condition does). Prefixes end with `#`, so `deal#` never covers
/// `deals#open`; no two agents own overlapping prefixes in one domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Owned {
    pub domain: Domain,
    pub prefix: &'static str,
    /// The personal data the records under the prefix hold, if any
    /// ([`crate::privacy`]): found, exported and erased by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal: Option<crate::privacy::Personal>,
}

impl Owned {
    /// Whether this prefix covers the partition key `pk` of `domain`.
    pub fn covers(&self, domain: Domain, pk: &str) -> bool {
        self.domain == domain && pk.starts_with(self.prefix)
    }
    /// The same prefix, declared to hold personal data:
    /// `owns(Domain::Customer, "lead#").holding(Personal::deleted(...))`.
    pub const fn holding(mut self, personal: crate::privacy::Personal) -> Self {
        self.personal = Some(personal);
        self
    }
}

/// Declares an owned key prefix: `owns(Domain::Financial, "invoice#")`.
pub const fn owns(domain: Domain, prefix: &'static str) -> Owned {
    Owned {
        domain,
        prefix,
        personal: None,
    }
}

/// One EventBridge rule of an agent.
#[derive(Clone, Debug, Serialize)]
pub struct Subscription {
    /// Short rule name, unique within the agent (`lead-created`).
    pub name: &'static str,
    /// EventBridge event pattern.
    pub pattern: Value,
}

/// What an agent is allowed and expected to do.
#[derive(Clone, Debug, Serialize)]
pub struct AgentDecl {
    /// Canonical name (`lead-generation`), also the `functions/` folder.
    pub name: &'static str,
    pub department: Department,
    pub queue: QueueClass,
    pub subscriptions: Vec<Subscription>,
    /// Domains the agent reads (besides those it writes).
    pub reads: Vec<Domain>,
    /// The key prefixes it writes, per domain: its records, nobody else's.
    pub owns: Vec<Owned>,
    /// Detail-types the agent may emit.
    pub emits: Vec<&'static str>,
    /// Whether the agent may open approval requests.
    pub requests_approvals: bool,
    /// Whether the agent sends email (reminders, proposals) through the mailer.
    pub sends_mail: bool,
    /// Whether the agent writes text through the text-writer port (on AWS it may then call
    /// the configured Bedrock model).
    pub writes_text: bool,
}

impl AgentDecl {
    /// The `source` of events this agent emits.
    pub fn source(&self) -> String {
        format!("ascent.agent.{}", self.name)
    }
    /// The domains it writes, in order, each once.
    pub fn writes(&self) -> Vec<Domain> {
        let mut out: Vec<Domain> = self.owns.iter().map(|o| o.domain).collect();
        out.sort();
        out.dedup();
        out
    }
    /// Its owned prefixes in domain `d`.
    pub fn prefixes(&self, d: Domain) -> Vec<&'static str> {
        self.owns
            .iter()
            .filter(|o| o.domain == d)
            .map(|o| o.prefix)
            .collect()
    }
    pub fn may_read(&self, d: Domain) -> bool {
        self.reads.contains(&d) || self.may_write(d)
    }
    pub fn may_write(&self, d: Domain) -> bool {
        self.owns.iter().any(|o| o.domain == d)
    }
    /// Whether the platform hands it dead letters (it subscribes to `MessageDeadLettered`): only
    /// such an agent may redrive or discard them (`Ctx::act_on_dead_letter`; on AWS its role
    /// reaches the agents' queues).
    pub fn handles_dead_letters(&self) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s.pattern.to_string().contains("\"MessageDeadLettered\""))
    }
    /// Whether it may write the item with partition key `pk` in `d`.
    pub fn owns_key(&self, d: Domain, pk: &str) -> bool {
        self.owns.iter().any(|o| o.covers(d, pk))
    }
}

/// Why a handler failed. Transient errors are retried; permanent ones go straight to the
/// dead-letter queue with their reason (retrying cannot fix bad data).
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error("data lake: {0}")]
    Lake(#[from] LakeError),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("{0}")]
    Transient(String),
}

impl AgentError {
    /// An event the agent's rules should never have delivered to it.
    pub fn unhandled(agent: &str, payload: &crate::catalog::Payload) -> Self {
        AgentError::Invalid(format!("{agent} does not handle {}", payload.detail_type()))
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, AgentError::Denied(_) | AgentError::Invalid(_))
    }
}

/// An agent: a declaration and an idempotent handler. Handlers read through `ctx` and record
/// their effects in it; the runtime commits the effects atomically with the idempotency record.
#[async_trait]
pub trait Agent: Send + Sync {
    fn declaration(&self) -> &AgentDecl;
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError>;
}
