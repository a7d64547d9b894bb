//! The outbox of an integration: what an agent must tell an external system, queued in the
//! same commit as the business record it comes from, sent by a bounded run, and never lost.
//!
//! An [`Outbox`] is one partition of the agent's own keys (`<prefix>outbox#<system>`), one
//! [`Pending`] item per change (sort key: the change's id, which is also the idempotency key the
//! adapter sends). [`Outbox::drain`] sends at most `limit` of them in id order through the
//! adapter: a sent one is deleted; a transient failure (rate limited, unavailable) stays queued
//! with its attempts and reason for the next run; a refusal is moved aside to
//! `<prefix>outbox#<system>#held`, where no run retries it and a person sees why, until
//! [`Outbox::release`] queues it again (after the fix) or [`Outbox::drop_held`] gives it up.
//! Each item drained costs one write (two when held).

use crate::http::IntegrationError;
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::DataSyncCompleted;
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query, SortKey, Write};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A change waiting to be sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pending<T> {
    /// The change's id: its sort key and idempotency key.
    pub id: String,
    pub item: T,
    pub queued_at: DateTime<Utc>,
    #[serde(default)]
    pub attempts: u32,
    /// The last failure's reason, for a person to see.
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub last_attempt_at: Option<DateTime<Utc>>,
}

/// One change a drain tried, and what came of it.
#[derive(Debug)]
pub struct Attempted<T, R> {
    pub pending: Pending<T>,
    pub result: Result<R, IntegrationError>,
}

/// What a drain did.
#[derive(Debug)]
pub struct Drained<T, R> {
    pub attempted: Vec<Attempted<T, R>>,
    /// Whether more changes wait after the last one tried.
    pub more: bool,
}

impl<T, R> Drained<T, R> {
    pub fn sent(&self) -> usize {
        self.attempted.iter().filter(|a| a.result.is_ok()).count()
    }

    /// Failures kept queued for a later run.
    pub fn kept(&self) -> usize {
        self.attempted
            .iter()
            .filter(|a| matches!(&a.result, Err(e) if e.is_transient()))
            .count()
    }

    /// Refusals held for a person.
    pub fn held(&self) -> usize {
        self.attempted
            .iter()
            .filter(|a| matches!(&a.result, Err(e) if !e.is_transient()))
            .count()
    }

    /// The run announced, as a push-only sync: the changes tried and sent, the failures (kept
    /// and held), and `queued` (what still waits); nothing pulled, no conflicts.
    pub fn completed(
        &self,
        system: impl Into<String>,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        queued: u64,
    ) -> DataSyncCompleted {
        DataSyncCompleted {
            system: system.into(),
            records: self.attempted.len() as u64,
            started_at,
            finished_at,
            pulled: 0,
            pushed: self.sent() as u64,
            conflicts: 0,
            failures: (self.kept() + self.held()) as u64,
            queued,
        }
    }

    /// The id of the last change tried: where the run's next page starts.
    pub fn last_id(&self) -> Option<&str> {
        self.attempted.last().map(|a| a.pending.id.as_str())
    }
}

/// The queue of changes for one external system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbox {
    pub domain: Domain,
    /// `<prefix>outbox#<system>`.
    pub pk: String,
}

impl Outbox {
    /// The outbox of `system` under the agent's key `prefix` (`quickbooks` under `ledger#`:
    /// `ledger#outbox#quickbooks`).
    pub fn new(domain: Domain, prefix: &str, system: &str) -> Self {
        Self {
            domain,
            pk: format!("{prefix}outbox#{system}"),
        }
    }

    /// Where refused changes wait for a person.
    pub fn held_pk(&self) -> String {
        format!("{}#held", self.pk)
    }

    /// Queues `item` as change `id` (in the caller's commit). Queuing an id again replaces the
    /// waiting change with the newer one.
    pub fn queue<T: Serialize>(
        &self,
        ctx: &mut Ctx<'_>,
        id: &str,
        item: T,
    ) -> Result<(), AgentError> {
        let pending = Pending {
            id: id.to_string(),
            item,
            queued_at: ctx.now(),
            attempts: 0,
            last_error: None,
            last_attempt_at: None,
        };
        ctx.put_record(self.domain, &self.pk, id, &pending, None, Condition::Always)
    }

    /// Up to `limit` changes after `after` (id order), and whether more follow.
    pub async fn waiting<T: DeserializeOwned + Send>(
        &self,
        ctx: &mut Ctx<'_>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Pending<T>>, bool), AgentError> {
        let mut q = Query::table(&self.pk).limit(limit + 1);
        if let Some(after) = after {
            q = q.sort(SortKey::AtLeast(format!("{after}\u{1}")));
        }
        let mut found: Vec<Pending<T>> = ctx.query_as(self.domain, &q).await?;
        let more = found.len() > limit;
        found.truncate(limit);
        Ok((found, more))
    }

    /// Refused changes waiting for a person (up to `limit`).
    pub async fn held<T: DeserializeOwned + Send>(
        &self,
        ctx: &mut Ctx<'_>,
        limit: usize,
    ) -> Result<Vec<Pending<T>>, AgentError> {
        ctx.query_as(self.domain, &Query::table(self.held_pk()).limit(limit))
            .await
    }

    /// Sends up to `limit` changes after `after` through `send`, recording each outcome (see
    /// the module's doc). `send` gets the change's id (its idempotency key) and item.
    pub async fn drain<T, R>(
        &self,
        ctx: &mut Ctx<'_>,
        after: Option<&str>,
        limit: usize,
        mut send: impl FnMut(&str, &T) -> Result<R, IntegrationError>,
    ) -> Result<Drained<T, R>, AgentError>
    where
        T: Serialize + DeserializeOwned + Send,
    {
        let (waiting, more) = self.waiting::<T>(ctx, after, limit).await?;
        let mut attempted = Vec::with_capacity(waiting.len());
        for mut pending in waiting {
            let result = send(&pending.id, &pending.item);
            pending.attempts += 1;
            pending.last_attempt_at = Some(ctx.now());
            match &result {
                Ok(_) => ctx.delete(self.domain, &self.pk, &pending.id)?,
                Err(e) => {
                    pending.last_error = Some(e.to_string());
                    let pk = if e.is_transient() {
                        self.pk.clone()
                    } else {
                        ctx.delete(self.domain, &self.pk, &pending.id)?;
                        self.held_pk()
                    };
                    ctx.put_record(
                        self.domain,
                        &pk,
                        &pending.id,
                        &pending,
                        None,
                        Condition::Always,
                    )?;
                }
            }
            attempted.push(Attempted { pending, result });
        }
        Ok(Drained { attempted, more })
    }

    /// Queues a held change again (after its cause is fixed); whether it was held.
    pub async fn release<T: Serialize + DeserializeOwned + Send>(
        &self,
        ctx: &mut Ctx<'_>,
        id: &str,
    ) -> Result<bool, AgentError> {
        let held = self.held_pk();
        let Some(mut pending) = ctx.get_as::<Pending<T>>(self.domain, &held, id).await? else {
            return Ok(false);
        };
        pending.last_error = None;
        ctx.delete(self.domain, &held, id)?;
        ctx.put_record(self.domain, &self.pk, id, &pending, None, Condition::Always)?;
        Ok(true)
    }

    /// Gives up a held change; whether it was held.
    pub async fn drop_held(&self, ctx: &mut Ctx<'_>, id: &str) -> Result<bool, AgentError> {
        let held = self.held_pk();
        let found = ctx.get(self.domain, &held, id).await?.is_some();
        if found {
            ctx.delete(self.domain, &held, id)?;
        }
        Ok(found)
    }

    /// Changes queued once this message commits (the committed ones with this message's own
    /// puts and deletes; up to 1,000 counted).
    pub async fn queued(&self, ctx: &mut Ctx<'_>) -> Result<u64, AgentError> {
        let mut keys: std::collections::BTreeSet<String> = ctx
            .query(self.domain, &Query::table(&self.pk).limit(1000))
            .await?
            .into_iter()
            .map(|i| i.sk)
            .collect();
        for w in &ctx.effects().writes {
            let (p, sk) = w.key();
            if p == self.pk {
                match w {
                    Write::Delete { .. } => keys.remove(sk),
                    _ => keys.insert(sk.to_string()),
                };
            }
        }
        Ok(keys.len() as u64)
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
