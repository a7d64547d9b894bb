//! The local twin's runtime: the event bus (routing by the agents' declared patterns), the
//! agents' durable queues with SQS semantics, the worker that calls handlers and commits their
//! effects, the approval flow, dead letters and redrive.
//!
//! SQS semantics kept here: a received message is invisible to every other consumer until it is
//! settled (it is received, handled and settled inside one unit of work that holds the store); a
//! failure makes it visible again after a backoff that grows with its receive count; at the
//! maximum receive count it moves to the dead-letter queue with the failure reason; one failing
//! message never fails the others of its batch (a message's effects are applied only if all
//! their conditions hold, checked before its first write, or else inside a savepoint of its
//! own). Deliveries published and received inside one unit of work stay in memory
//! (see `pending_deliveries.rs`).

use crate::activity::{Activity, ActivityLog};
pub use crate::health::StorageFault;
use crate::health::StorageHealth;
use crate::outbox;
use crate::parsed_events::ParsedEvents;
use crate::pending_deliveries::{PendingDeliveries, PendingDelivery};
use crate::store::{SinceRollback, Store, Tx};
use ascent_core::agent::{Agent, AgentDecl, Domain, QueueClass};
use ascent_core::approval::{
    self, Approval, ApprovalDesk, ApprovalError, ApprovalPolicy, ApprovalStatus, ApprovalView,
    DeadlineOutcome, Decision, DecisionOutcome, DeskError, LinkError, LinkSigner,
};
use ascent_core::audit::AuditEntry;
use ascent_core::catalog::{
    ApprovalDecided, ApprovalRequested, EventPayload, MessageDeadLettered, ScheduleTick,
};
use ascent_core::context::Effects;
use ascent_core::engine;
use ascent_core::event::{Actor, Event, name_uuid};
use ascent_core::ports::{Clock, Condition, Item, LakeError, Mail, Query, SortKey, Write};
use ascent_core::retention::{self, DataRetention};
use ascent_core::routing::{PatternError, Router};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Partition of pending approvals in `gsi1`, sorted by deadline: timers query it, never scan.
const PENDING_APPROVALS: &str = "approvals#pending";

/// Settings of the twin.
#[derive(Clone, Debug)]
pub struct TwinConfig {
    /// Receives before a message is dead-lettered (SQS maxReceiveCount).
    pub max_receive_count: u32,
    /// First retry delay; doubles per receive up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub approvals: ApprovalPolicy,
    /// HMAC key for approval links.
    pub link_key: Vec<u8>,
    /// Base URL the approval links point at.
    pub base_url: String,
    pub mail_from: String,
    /// Where `.eml` files go; `None` keeps mail in the database only.
    pub outbox_dir: Option<PathBuf>,
    /// `[data_retention]`: the expiry of what handlers write, of idempotency records (kept
    /// `idempotency_days`, at least as long as a dead letter), of closed approval requests,
    /// and how long the sweep keeps dead letters ([`Runtime::sweep_retention`]).
    pub retention: DataRetention,
}

impl Default for TwinConfig {
    fn default() -> Self {
        Self {
            max_receive_count: 3,
            backoff_base: Duration::seconds(2),
            backoff_max: Duration::minutes(5),
            approvals: ApprovalPolicy::default(),
            link_key: b"local-twin-development-key-change-me!".to_vec(),
            base_url: "http://127.0.0.1:8787".into(),
            mail_from: ascent_core::config::ConfigFile::shipped()
                .section::<ascent_core::config::platform::MailSettings>("mail")
                .expect("the shipped [mail] is valid")
                .from,
            outbox_dir: None,
            retention: DataRetention::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("two agents are named `{0}`")]
    DuplicateAgent(String),
    /// An event the twin may not keep as it came (one naming an erased person that does
    /// not parse once pseudonymised).
    #[error("refused: {0}")]
    Refused(String),
    /// The storage failed while the worker handled a message: the unit of work was given up
    /// whole (nothing of it is kept, no receive is counted) and is retried later.
    #[error("storage failed while handling a message: {0}")]
    StorageFault(String),
}

impl TwinError {
    /// Whether the storage failed (full disk, I/O error) rather than the request or the data:
    /// the same work may succeed later, and the twin answers 503 meanwhile.
    pub fn is_storage_fault(&self) -> bool {
        match self {
            TwinError::Sqlite(e) => crate::store::is_storage_fault(e),
            TwinError::Lake(LakeError::Storage(_)) | TwinError::StorageFault(_) => true,
            _ => false,
        }
    }
}

/// Failure while committing one message's effects (its savepoint is rolled back).
#[derive(Debug, thiserror::Error)]
enum CommitError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    #[error("already handled")]
    Duplicate,
}

impl CommitError {
    fn is_storage_fault(&self) -> bool {
        match self {
            CommitError::Sqlite(e) => crate::store::is_storage_fault(e),
            CommitError::Lake(LakeError::Storage(_)) => true,
            _ => false,
        }
    }
}

impl From<CommitError> for TwinError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Sqlite(e) => TwinError::Sqlite(e),
            CommitError::Lake(e) => TwinError::Lake(e),
            other => TwinError::Lake(LakeError::Unavailable(other.to_string())),
        }
    }
}

/// A message handed to a handler.
#[derive(Clone, Debug)]
struct Received {
    /// Its row in `queue_messages`; `None` for a delivery not written yet (see
    /// [`crate::pending_deliveries`]).
    row: Option<i64>,
    event_id: String,
    detail_type: String,
    /// Position of the event in the archive (`events.seq`).
    event_seq: i64,
    receive_count: u32,
    enqueued_at: i64,
}

/// Outcome of one message.
enum Outcome {
    Done(Arc<Event>, Effects),
    Duplicate,
    Retry {
        reason: String,
        denials: Vec<ascent_core::policy::AccessDenied>,
    },
    DeadLetter {
        reason: String,
        denials: Vec<ascent_core::policy::AccessDenied>,
    },
}

/// A dead letter, as listed by `ascent dlq list`.
#[derive(Clone, Debug, Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub agent: String,
    pub queue: String,
    pub event_id: String,
    pub detail_type: String,
    pub receive_count: u32,
    pub reason: String,
    pub failed_at: DateTime<Utc>,
    pub body: String,
}

/// Per-agent counters and queue depth.
#[derive(Clone, Debug, Serialize, Default)]
pub struct AgentStatus {
    pub agent: String,
    pub queue: String,
    pub visible: u64,
    pub in_flight: u64,
    pub handled: u64,
    pub duplicates: u64,
    pub failures: u64,
    pub dead_lettered: u64,
}

/// The twin at a glance (`GET /status`).
#[derive(Clone, Debug, Serialize)]
pub struct TwinStatus {
    pub now: DateTime<Utc>,
    pub agents: Vec<AgentStatus>,
    pub dead_letters: u64,
    pub pending_approvals: Vec<PendingApproval>,
    pub events_archived: u64,
    pub events_unrouted: u64,
    pub audit_records: u64,
    pub mails: u64,
    /// Set while the twin cannot store events (it answers 503 meanwhile).
    pub storage_fault: Option<StorageFault>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PendingApproval {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub approver: String,
    pub deadline: DateTime<Utc>,
}

/// What a batch of ingested events did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IngestReport {
    pub accepted: usize,
    pub deliveries: usize,
    pub unrouted: usize,
}

/// The local twin: bus, queues, worker, approvals, on one [`Store`].
pub struct Runtime {
    /// Counters (handled, duplicates, failures, dead-lettered, handling microseconds) not yet
    /// written: flushed once per unit of work, just before it commits, instead of one upsert
    /// per message.
    pending_stats: parking_lot::Mutex<BTreeMap<&'static str, [i64; 5]>>,
    parsed: parking_lot::Mutex<SinceRollback<ParsedEvents>>,
    /// Deliveries published inside the worker's unit of work and not yet written.
    pending: parking_lot::Mutex<PendingDeliveries>,
    /// Set when a message's effects failed to apply without a savepoint (see `commit_one`):
    /// every message gets one until a unit of work commits again.
    careful: AtomicBool,
    store: Arc<Store>,
    router: Router,
    agents: BTreeMap<&'static str, Arc<dyn Agent>>,
    clock: Arc<dyn Clock>,
    config: TwinConfig,
    signer: LinkSigner,
    health: StorageHealth,
    activity: ActivityLog,
    /// The pseudonyms of erased people's identifiers, loaded at the first event after start
    /// or after an erasure ([`crate::privacy`]).
    pub(crate) erased: parking_lot::RwLock<Option<Arc<std::collections::HashSet<String>>>>,
    /// The store's change count after an observation round that published nothing and left
    /// every queue empty: while it stays the same, the next round has nothing to observe.
    pub(crate) observed_idle: parking_lot::Mutex<Option<u64>>,
    /// Agents an operator paused: the worker leaves their messages in their queues.
    paused: console::Paused,
}

/// The log lines of what a handled message's effects open and mail (no recipients: those
/// are personal data).
fn effect_lines(decl: &AgentDecl, cause: &Event, effects: &Effects) -> Vec<Activity> {
    let approvals =
        effects
            .approvals
            .iter()
            .enumerate()
            .map(|(seq, draft)| Activity::ApprovalOpened {
                id: approval::approval_id(cause.detail.event_id, decl.name, seq),
                agent: decl.name.to_string(),
                kind: draft.kind.clone(),
            });
    let mails = effects.mails.iter().map(|_| Activity::MailQueued {
        agent: decl.name,
        cause: cause.detail_type().to_string(),
    });
    approvals.chain(mails).collect()
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Writes one delivery to `queue_messages`, visible from `visible_at` (Unix milliseconds).
fn enqueue(
    conn: &rusqlite::Connection,
    d: &PendingDelivery,
    visible_at: i64,
    receive_count: u32,
    last_error: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO queue_messages (agent, class, event_id, detail_type, event_seq, visible_at, enqueued_at, receive_count, last_error) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        d.agent,
        d.class.as_str(),
        d.event_id,
        d.detail_type,
        d.event_seq,
        visible_at,
        d.enqueued_at,
        receive_count,
        last_error,
    ])?;
    Ok(())
}

impl Runtime {
    pub fn new(
        store: Arc<Store>,
        agents: Vec<Arc<dyn Agent>>,
        config: TwinConfig,
    ) -> Result<Self, TwinError> {
        let router = Router::new(agents.iter().map(|a| a.declaration()))?;
        let mut map = BTreeMap::new();
        for a in agents {
            let name = a.declaration().name;
            if map.insert(name, a).is_some() {
                return Err(TwinError::DuplicateAgent(name.into()));
            }
        }
        let clock = store.clock().clone();
        store.read(|c| observations::prepare(c, clock.now()))?;
        let paused = store.read(console::Paused::load)?;
        let signer = LinkSigner::new(&config.link_key);
        Ok(Self {
            pending_stats: parking_lot::Mutex::new(BTreeMap::new()),
            parsed: parking_lot::Mutex::new(SinceRollback::default()),
            pending: parking_lot::Mutex::new(PendingDeliveries::default()),
            careful: AtomicBool::new(false),
            store,
            router,
            agents: map,
            clock,
            config,
            signer,
            health: StorageHealth::default(),
            activity: ActivityLog::default(),
            erased: parking_lot::RwLock::new(None),
            observed_idle: parking_lot::Mutex::new(None),
            paused,
        })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
    /// The key of the pseudonyms that stand in for addresses and phone numbers where a record
    /// must outlive them (the audit chain; `<data dir>/privacy.key`).
    pub fn privacy_key(&self) -> &ascent_core::privacy::PrivacyKey {
        self.store.privacy_key()
    }
    pub fn router(&self) -> &Router {
        &self.router
    }
    pub fn config(&self) -> &TwinConfig {
        &self.config
    }
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
    pub fn declarations(&self) -> Vec<&AgentDecl> {
        self.agents.values().map(|a| a.declaration()).collect()
    }

    // ------------------------------------------------------------------ bus

    /// Accepts validated events: archives them and enqueues one delivery per matching agent,
    /// all in one transaction.
    ///
    /// When this returns `Ok`, the events are committed (and, on a store with synced commits,
    /// on the device); on any error none of them is stored.
    pub fn ingest(&self, events: &[Event]) -> Result<IngestReport, TwinError> {
        Ok(self.ingest_batches(&[events])?.pop().unwrap_or_default())
    }

    /// Accepts several requests' events in one transaction and one commit (group commit: one
    /// sync for all of them), with a report per request. All or none are stored.
    pub fn ingest_batches(&self, batches: &[&[Event]]) -> Result<Vec<IngestReport>, TwinError> {
        // An erasure is carried out before its request is acknowledged (and archived without
        // the address it names).
        for e in batches.iter().flat_map(|b| b.iter()) {
            if let ascent_core::catalog::Payload::ErasureRequested(r) = e.payload() {
                self.erase_requested(r)?;
            }
        }
        let now = self.now();
        let out = self.store.write_tx(|tx| {
            batches
                .iter()
                .map(|events| {
                    let mut report = IngestReport::default();
                    for e in events.iter() {
                        let e = self.admitted(e)?;
                        let n = self.publish_in(tx, &e, None, now, false)?;
                        report.accepted += 1;
                        report.deliveries += n;
                        if n == 0 {
                            report.unrouted += 1;
                        }
                    }
                    Ok(report)
                })
                .collect::<Result<Vec<_>, TwinError>>()
        });
        self.observe(&out);
        out
    }

    /// Records what a write's outcome says of the storage: a storage fault is reported (by
    /// [`Runtime::storage_fault`]) until a later write succeeds.
    pub fn observe<T>(&self, outcome: &Result<T, TwinError>) {
        match outcome {
            Ok(_) => self.health.recovered(),
            Err(e) if e.is_storage_fault() => self.health.failed(&e.to_string(), self.now()),
            Err(_) => {}
        }
    }

    /// The storage fault in force, if the last write failed for want of storage.
    pub fn storage_fault(&self) -> Option<StorageFault> {
        self.health.current()
    }

    /// While a storage fault is reported, tries one small synced write: if it commits, the
    /// fault is over (nothing else may have written since). Returns whether storage works.
    pub fn probe_storage(&self) -> bool {
        if self.health.current().is_none() {
            return true;
        }
        let out = self.store.probe_write().map_err(TwinError::from);
        self.observe(&out);
        out.is_ok()
    }

    /// Archives `e` and enqueues it for every agent whose rule matches. Returns deliveries.
    /// `defer`: the deliveries may stay in memory until the worker's unit of work ends (only
    /// a handler's effects, which a savepoint or the whole unit undoes with what they cause).
    /// `json`: the event's JSON text when it is written already (an emitted event, which the
    /// engine wrote to size it), else it is written here.
    fn publish_in(
        &self,
        tx: &mut Tx<'_>,
        e: &Event,
        json: Option<String>,
        now: DateTime<Utc>,
        defer: bool,
    ) -> rusqlite::Result<usize> {
        let body = json.unwrap_or_else(|| e.to_json());
        let rules = self
            .router
            .route_typed(&e.source, e.detail_type(), body.as_bytes());
        let routed: Vec<&str> = rules.iter().map(|r| r.agent).collect();
        let conn = tx.conn();
        // Ids as text without the formatting machinery (this runs for every event).
        let (mut id_text, mut correlation_text) =
            (uuid::Uuid::encode_buffer(), uuid::Uuid::encode_buffer());
        let event_id: &str = e.detail.event_id.hyphenated().encode_lower(&mut id_text);
        let correlation_id: &str = e
            .detail
            .correlation_id
            .hyphenated()
            .encode_lower(&mut correlation_text);
        conn.prepare_cached(
            "INSERT INTO events (event_id, detail_type, source, correlation_id, time, body, routed_to) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            event_id,
            e.detail_type(),
            e.source,
            correlation_id,
            e.time.to_rfc3339(),
            body,
            routed.join(","),
        ])?;
        let seq = conn.last_insert_rowid();
        let mut pending = self.pending.lock();
        if defer && pending.is_open() {
            for r in &rules {
                pending.push(
                    r.agent,
                    r.queue,
                    event_id,
                    e.detail_type(),
                    seq,
                    millis(now),
                );
            }
        } else {
            drop(pending);
            let mut insert = conn.prepare_cached(
                "INSERT INTO queue_messages (agent, class, event_id, detail_type, event_seq, visible_at, enqueued_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            )?;
            for r in &rules {
                insert.execute(params![
                    r.agent,
                    r.queue.as_str(),
                    event_id,
                    e.detail_type(),
                    seq,
                    millis(now),
                ])?;
            }
        }
        // Held parsed only if it passes what parsing checks: an event built in code that breaks
        // a rule is read back and refused at delivery, with the rule in its dead letter.
        if e.check().is_ok() {
            self.parsed
                .lock()
                .current(self.store.rollbacks())
                .insert(seq, e, rules.len());
        }
        if rules.is_empty() {
            tracing::debug!(event_id = %e.detail.event_id, detail_type = e.detail_type(), "no rule matched");
        }
        Ok(rules.len())
    }

    // ------------------------------------------------------------------ worker

    /// Handles one batch for every agent with visible messages (priority queues first), all
    /// in one unit of work: one commit for the step, a savepoint per message. Returns the
    /// number of messages received. The future is not `Send`: run the worker on one thread.
    pub async fn step(&self) -> Result<usize, TwinError> {
        let now = self.now();
        let mut ready: Vec<(QueueClass, &'static str)> = Vec::new();
        self.store.read(|c| {
            // One index seek per agent, never a scan of the queue.
            let mut st = c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM queue_messages WHERE agent = ?1 AND visible_at <= ?2)",
            )?;
            for (name, a) in &self.agents {
                // A paused agent's deliveries stay queued (deferred ones are written at the
                // unit's end) until it is resumed.
                if self.paused.is_paused(name) {
                    continue;
                }
                if self.pending.lock().has(name)
                    || st.query_row(params![name, millis(now)], |r| r.get::<_, bool>(0))?
                {
                    ready.push((a.declaration().queue, *name));
                }
            }
            Ok(())
        })?;
        if ready.is_empty() {
            return Ok(0);
        }
        ready.sort();
        let out = self
            .worker_unit(async {
                let mut total = 0;
                for (_, name) in ready {
                    total += self.process_next_batch(name).await?;
                }
                Ok::<_, TwinError>(total)
            })
            .await;
        let total = out?;
        // Mail leaves only once committed: inside an enclosing unit, its commit flushes.
        if !self.store.in_unit_of_work() {
            self.flush_outbox();
        }
        Ok(total)
    }

    /// Processes until nothing is visible, committing about every `UNIT_MESSAGES` messages.
    /// With a manual clock, `advance` moves time to the next retry so backoffs play out
    /// instantly; with a real clock it returns when only delayed retries are left.
    pub async fn drain(&self, advance: impl FnMut(DateTime<Utc>)) -> Result<usize, TwinError> {
        self.ingest_and_drain(&[], advance).await
    }

    /// Publishes `events` and drains, the events in the first unit of work: their deliveries
    /// are deferred like a handler's (see [`crate::pending_deliveries`]), and they are
    /// accepted only when that unit commits; if it fails, none of them is. For a caller that
    /// processes what it publishes at once (the simulation), not for ingestion that must
    /// answer "accepted" before processing (that is [`Runtime::ingest`]).
    pub async fn ingest_and_drain(
        &self,
        events: &[Event],
        mut advance: impl FnMut(DateTime<Utc>),
    ) -> Result<usize, TwinError> {
        const UNIT_MESSAGES: usize = 2_000;
        let mut total = 0;
        let mut first = Some(events);
        loop {
            let n = self
                .worker_unit(async {
                    if let Some(events) = first.take() {
                        let now = self.now();
                        self.store.within_unit(|tx| {
                            events.iter().try_for_each(|e| {
                                self.publish_in(tx, e, None, now, true).map(|_| ())
                            })
                        })?;
                    }
                    let mut n = 0;
                    while n < UNIT_MESSAGES {
                        let k = self.step().await?;
                        if k == 0 {
                            break;
                        }
                        n += k;
                    }
                    Ok::<_, TwinError>(n)
                })
                .await?;
            self.flush_outbox();
            total += n;
            if n == 0 {
                match self.next_visible_at()? {
                    Some(t) if t > self.now() => advance(t),
                    Some(_) => continue,
                    None => break,
                }
                if self.next_visible_at()?.is_some_and(|t| t > self.now()) {
                    break; // the clock did not move (a real clock): come back later
                }
            }
        }
        Ok(total)
    }

    /// Runs `work` in a unit of work. If this opens the unit (it is not nested in one),
    /// handlers' deliveries are deferred meanwhile and whatever of them is left is written
    /// just before the commit (see [`crate::pending_deliveries`]).
    async fn worker_unit<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, TwinError>>,
    ) -> Result<T, TwinError> {
        if self.store.in_unit_of_work() {
            return work.await;
        }
        /// Stops deferring however the unit ends; what was deferred is dropped with a unit
        /// that did not reach its end (it rolls back, and the events behind them with it).
        struct Deferring<'a>(&'a parking_lot::Mutex<PendingDeliveries>);
        impl Drop for Deferring<'_> {
            fn drop(&mut self) {
                self.0.lock().close();
            }
        }
        let changes = self.store.read(|c| Ok(c.total_changes())).unwrap_or(0);
        let out = self
            .store
            .unit_of_work(async {
                self.pending.lock().open();
                // Counters of a unit that rolled back were never true: start from none.
                self.pending_stats.lock().clear();
                let _deferring = Deferring(&self.pending);
                let out = work.await?;
                self.write_pending()?;
                self.flush_stats()?;
                Ok::<_, TwinError>(out)
            })
            .await;
        match &out {
            Ok(_) => {
                self.activity.committed();
                self.careful.store(false, Ordering::Relaxed);
                // A unit that wrote and committed shows the storage works again; one that
                // wrote nothing shows nothing.
                if self
                    .store
                    .read(|c| Ok(c.total_changes()))
                    .unwrap_or(changes)
                    != changes
                {
                    self.observe(&out);
                }
            }
            Err(_) => {
                self.activity.rolled_back();
                self.observe(&out);
            }
        }
        out
    }

    /// Writes the deliveries still deferred, in publication order, and stops deferring.
    fn write_pending(&self) -> rusqlite::Result<()> {
        let left = self.pending.lock().close();
        if left.is_empty() {
            return Ok(());
        }
        self.store.read(|c| {
            for d in &left {
                enqueue(c, d, d.enqueued_at, 0, None)?;
            }
            Ok(())
        })
    }

    fn flush_stats(&self) -> rusqlite::Result<()> {
        let counters = std::mem::take(&mut *self.pending_stats.lock());
        self.store.read(|c| {
            let mut st = c.prepare_cached(
                "INSERT INTO agent_stats (agent, handled, duplicates, failures, dead_lettered) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(agent) DO UPDATE SET \
                 handled = handled + ?2, duplicates = duplicates + ?3, \
                 failures = failures + ?4, dead_lettered = dead_lettered + ?5",
            )?;
            for (agent, [h, d, f, x, us]) in counters {
                st.execute(params![agent, h, d, f, x])?;
                observations::add_handling(c, agent, us)?;
            }
            Ok(())
        })
    }

    /// When the next invisible message becomes visible.
    pub fn next_visible_at(&self) -> Result<Option<DateTime<Utc>>, TwinError> {
        let ms: Option<i64> = self.store.read(|c| {
            // One seek into each agent's part of `queue_visible`.
            let mut st =
                c.prepare_cached("SELECT MIN(visible_at) FROM queue_messages WHERE agent = ?1")?;
            let mut next: Option<i64> = None;
            for name in self.agents.keys().filter(|n| !self.paused.is_paused(n)) {
                let t: Option<i64> = st.query_row([name], |r| r.get(0))?;
                next = match (next, t) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            Ok(next)
        })?;
        Ok(ms.and_then(DateTime::from_timestamp_millis))
    }

    async fn process_next_batch(&self, name: &'static str) -> Result<usize, TwinError> {
        let agent = self.agents[name].clone();
        let decl = agent.declaration();
        let now = self.now();
        // Receiving, handling and settling a message happen in one transaction (the unit of
        // work), so the receive is not written: nobody can see the message meanwhile, and if
        // the process dies the whole unit, receive included, rolls back. The visibility timeout
        // and the receive count are written only when the message is settled (a retry sets
        // both; a success deletes the message). Oldest visible first, in `queue_visible`'s
        // own order: taking a batch reads that many index entries, with no sort of the
        // agent's whole backlog (an ingested burst of thousands made every batch sort them).
        let batch: Vec<Received> = self.store.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, event_id, detail_type, event_seq, receive_count + 1, enqueued_at \
                 FROM queue_messages WHERE agent = ?1 AND visible_at <= ?2 ORDER BY visible_at, id LIMIT ?3",
            )?;
            let rows = st
                .query_map(
                    params![name, millis(now), decl.queue.batch_size() as i64],
                    |r| {
                        Ok(Received {
                            row: Some(r.get(0)?),
                            event_id: r.get(1)?,
                            detail_type: r.get(2)?,
                            event_seq: r.get(3)?,
                            receive_count: r.get(4)?,
                            enqueued_at: r.get(5)?,
                        })
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            // Then deliveries deferred in this unit of work: all published after every row.
            let room = decl.queue.batch_size().saturating_sub(rows.len());
            let rows = rows.into_iter().chain(
                self.pending
                    .lock()
                    .take(name, room)
                    .into_iter()
                    .map(|d| Received {
                        row: None,
                        event_id: d.event_id,
                        detail_type: d.detail_type,
                        event_seq: d.event_seq,
                        receive_count: 1,
                        enqueued_at: d.enqueued_at,
                    }),
            );
            Ok(rows.collect())
        })?;
        if batch.is_empty() {
            return Ok(0);
        }
        // As in a Lambda batch: messages are handled in order and each one's effects are
        // committed before the next is handled; a failure settles only its own message.
        // A delivery already handled (the same event ingested twice, a redrive) is recognised
        // when it settles, not looked up before: its effects are not applied, since the
        // idempotency record is written first and refuses it, and a failure it meets (a
        // condition its first delivery already used up) is checked against that record.
        // Duplicates are rare; the lookup per message was not.
        let n = batch.len();
        for m in batch {
            // A storage fault met while handling or committing (a read the handler saw fail,
            // a write that failed) gives the whole unit up: nothing of it is kept and no
            // receive is counted, so no message is retried, dead-lettered or skipped for it.
            let faults = self.store.faults();
            let started = ActivityLog::on().then(std::time::Instant::now);
            // Handling time by the runtime's clock (see `runtime_observations.rs`).
            let began = self.clock.now();
            let (outcome, correlation) = self.run_handler(&agent, &m, now).await;
            self.fault_check(faults, decl, &m)?;
            let settled = self.commit_one(decl, &m, outcome, now)?;
            self.fault_check(faults, decl, &m)?;
            let took = (self.clock.now() - began).num_microseconds().unwrap_or(0);
            if took > 0 {
                self.pending_stats.lock().entry(decl.name).or_default()[4] += took;
            }
            if let Some(started) = started {
                self.activity.record(Activity::Message {
                    agent: decl.name,
                    detail_type: m.detail_type.clone(),
                    event_id: m.event_id.clone(),
                    correlation_id: correlation.map(|c| c.to_string()),
                    outcome: settled,
                    duration_us: started.elapsed().as_micros() as u64,
                });
            }
        }
        Ok(n)
    }

    /// Fails with [`TwinError::StorageFault`] if the store met a storage fault since `before`.
    fn fault_check(&self, before: u64, decl: &AgentDecl, m: &Received) -> Result<(), TwinError> {
        if self.store.faults() == before {
            return Ok(());
        }
        tracing::error!(agent = decl.name, event_id = %m.event_id, "storage failed while handling: giving the unit of work up");
        Err(TwinError::StorageFault(format!(
            "{} handling {} ({})",
            decl.name, m.detail_type, m.event_id
        )))
    }

    async fn run_handler(
        &self,
        agent: &Arc<dyn Agent>,
        m: &Received,
        now: DateTime<Utc>,
    ) -> (Outcome, Option<uuid::Uuid>) {
        let decl = agent.declaration();
        let event = match self.delivered_event(m) {
            Ok(e) => e,
            Err(reason) => {
                let outcome = Outcome::DeadLetter {
                    reason,
                    denials: vec![],
                };
                return (outcome, None);
            }
        };
        let correlation = Some(event.detail.correlation_id);
        // The one engine (shared with the Lambda host) runs and classifies the handler.
        let outcome = match engine::handle(
            agent.as_ref(),
            &event,
            self.store.as_ref(),
            now,
            &self.config.retention,
        )
        .await
        {
            engine::Outcome::Handled(effects) => Outcome::Done(event, effects),
            engine::Outcome::Retry { reason, denials } => {
                if reason.starts_with("handler panicked") {
                    tracing::error!(agent = decl.name, event_id = %m.event_id, "{reason}");
                }
                Outcome::Retry { reason, denials }
            }
            engine::Outcome::DeadLetter { reason, denials } => {
                Outcome::DeadLetter { reason, denials }
            }
        };
        (outcome, correlation)
    }

    /// The event a message delivers: held parsed since it was published, or read from the
    /// archive and validated again. An error is why it cannot be delivered.
    fn delivered_event(&self, m: &Received) -> Result<Arc<Event>, String> {
        if let Some(e) = self
            .parsed
            .lock()
            .current(self.store.rollbacks())
            .take(m.event_seq, &m.event_id)
        {
            return Ok(e);
        }
        let body: Option<String> = self
            .store
            .read(|c| {
                c.prepare_cached("SELECT body FROM events WHERE seq = ?1")?
                    .query_row([m.event_seq], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| format!("reading the event from the archive: {e}"))?;
        let body = body.ok_or_else(|| {
            format!(
                "undeliverable event: archive position {} is missing",
                m.event_seq
            )
        })?;
        Event::parse(body.as_bytes())
            .map(Arc::new)
            .map_err(|e| format!("undeliverable event: {e}"))
    }

    fn backoff(&self, receive_count: u32) -> Duration {
        let factor = 1i32 << receive_count.saturating_sub(1).min(16);
        (self.config.backoff_base * factor).min(self.config.backoff_max)
    }

    fn commit_one(
        &self,
        decl: &AgentDecl,
        m: &Received,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> Result<&'static str, TwinError> {
        // What the message opens and mails, logged once it is settled as handled.
        let mut lines = match &outcome {
            Outcome::Done(event, effects) if ActivityLog::on() => {
                effect_lines(decl, event, effects)
            }
            _ => Vec::new(),
        };
        self.store.within_unit(|tx| {
            {
                let outcome = match outcome {
                    Outcome::Done(event, effects) => {
                        let applied = if self.needs_savepoint(&effects) {
                            let mark = self.pending.lock().mark();
                            let applied = tx.savepoint(|tx| {
                                self.apply_effects(tx, decl, m, &event, effects, now)
                            });
                            if applied.is_err() {
                                self.pending.lock().undo_since(mark);
                            }
                            applied
                        } else {
                            // No savepoint: every condition is checked before the first write
                            // (and the idempotency insert, first of all, writes nothing if it
                            // fails), so what can still fail is SQLite itself. Such a failure
                            // aborts the whole unit, which rolls back; until a unit commits
                            // again, every message is applied in a savepoint of its own.
                            match effects.writes.iter().try_for_each(|w| tx.check(w)) {
                                Err(e) => Err(CommitError::Lake(e)),
                                Ok(()) => {
                                    match self.apply_effects(tx, decl, m, &event, effects, now) {
                                        Err(CommitError::Duplicate) => Err(CommitError::Duplicate),
                                        Err(e) => {
                                            self.careful.store(true, Ordering::Relaxed);
                                            return Err(e.into());
                                        }
                                        Ok(()) => Ok(()),
                                    }
                                }
                            }
                        };
                        match applied {
                            Ok(()) => Outcome::Done(event, Effects::default()),
                            Err(CommitError::Duplicate) => Outcome::Duplicate,
                            Err(CommitError::Approval(e)) => Outcome::DeadLetter {
                                reason: e.to_string(),
                                denials: vec![],
                            },
                            Err(CommitError::Lake(LakeError::Corrupt(e))) => Outcome::DeadLetter {
                                reason: e,
                                denials: vec![],
                            },
                            Err(e) if e.is_storage_fault() => return Err(e.into()),
                            Err(e) => Outcome::Retry {
                                reason: format!("commit failed: {e}"),
                                denials: vec![],
                            },
                        }
                    }
                    other => other,
                };
                let outcome = match outcome {
                    Outcome::Retry { .. } | Outcome::DeadLetter { .. }
                        if tx.was_handled(decl.name, &m.event_id)? =>
                    {
                        Outcome::Duplicate
                    }
                    other => other,
                };
                let settled = self.settle(tx, decl, m, outcome, now)?;
                if settled == "handled" {
                    for line in lines.drain(..) {
                        self.activity.record(line);
                    }
                }
                Ok::<_, TwinError>(settled)
            }
        })
    }

    /// Whether a message's effects must be applied in a savepoint: they open approvals (whose
    /// writes are not known up front), write one item twice (a later condition depends on an
    /// earlier write), or a message's effects failed without one since the last commit.
    fn needs_savepoint(&self, effects: &Effects) -> bool {
        let repeated = effects.writes.iter().enumerate().any(|(i, a)| {
            effects.writes[..i]
                .iter()
                .any(|b| a.domain() == b.domain() && a.key() == b.key())
        });
        !effects.approvals.is_empty() || repeated || self.careful.load(Ordering::Relaxed)
    }

    /// Final bookkeeping of one message: delete, retry later, or dead-letter.
    fn settle(
        &self,
        tx: &mut Tx<'_>,
        decl: &AgentDecl,
        m: &Received,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<&'static str> {
        let stat = |_: &Tx<'_>, column: &str| -> rusqlite::Result<()> {
            let mut counters = self.pending_stats.lock();
            let c = counters.entry(decl.name).or_default();
            match column {
                "handled" => c[0] += 1,
                "duplicates" => c[1] += 1,
                "failures" => c[2] += 1,
                _ => c[3] += 1,
            }
            Ok(())
        };
        let delete = |tx: &Tx<'_>| -> rusqlite::Result<()> {
            if let Some(row) = m.row {
                tx.conn()
                    .prepare_cached("DELETE FROM queue_messages WHERE id = ?1")?
                    .execute([row])?;
            }
            Ok(())
        };
        match outcome {
            Outcome::Done(..) => {
                delete(tx)?;
                stat(tx, "handled")?;
                Ok("handled")
            }
            Outcome::Duplicate => {
                delete(tx)?;
                stat(tx, "duplicates")?;
                Ok("duplicate")
            }
            Outcome::Retry { reason, denials } | Outcome::DeadLetter { reason, denials }
                if !denials.is_empty() =>
            {
                for d in &denials {
                    tx.audit(AuditEntry {
                        at: now,
                        actor: decl.name.into(),
                        action: "denied".into(),
                        domain: d.what.clone(),
                        item: m.event_id.clone(),
                        correlation_id: None,
                        detail: d.to_string(),
                    })?;
                }
                self.settle(
                    tx,
                    decl,
                    m,
                    Outcome::DeadLetter {
                        reason,
                        denials: vec![],
                    },
                    now,
                )
            }
            Outcome::Retry { reason, .. } if m.receive_count < self.config.max_receive_count => {
                stat(tx, "failures")?;
                tracing::warn!(agent = decl.name, event_id = %m.event_id, receive_count = m.receive_count, "handler failed, will retry: {reason}");
                let visible_at = millis(now + self.backoff(m.receive_count));
                match m.row {
                    Some(row) => {
                        tx.conn()
                            .prepare_cached(
                                "UPDATE queue_messages SET visible_at = ?1, last_error = ?2, receive_count = ?3 WHERE id = ?4",
                            )?
                            .execute(params![visible_at, reason, m.receive_count, row])?;
                    }
                    // Deferred until now: written with its receive and its error.
                    None => enqueue(
                        tx.conn(),
                        &PendingDelivery {
                            order: 0,
                            agent: decl.name,
                            class: decl.queue,
                            event_id: m.event_id.clone(),
                            detail_type: m.detail_type.clone(),
                            event_seq: m.event_seq,
                            enqueued_at: m.enqueued_at,
                        },
                        visible_at,
                        m.receive_count,
                        Some(&reason),
                    )?,
                }
                Ok("retry")
            }
            Outcome::Retry { reason, .. } | Outcome::DeadLetter { reason, .. } => {
                stat(tx, "failures")?;
                stat(tx, "dead_lettered")?;
                tracing::error!(agent = decl.name, event_id = %m.event_id, "dead-lettered: {reason}");
                tx.conn()
                    .prepare_cached(
                        "INSERT INTO dead_letters (agent, class, event_id, detail_type, body, event_seq, receive_count, reason, failed_at, enqueued_at) \
                         VALUES (?1, ?2, ?3, ?4, COALESCE((SELECT body FROM events WHERE seq = ?5), ''), ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        decl.name,
                        decl.queue.as_str(),
                        m.event_id,
                        m.detail_type,
                        m.event_seq,
                        m.receive_count,
                        reason,
                        millis(now),
                        m.enqueued_at,
                    ])?;
                delete(tx)?;
                self.announce_dead_letter(tx, decl, m, &reason, now)?;
                tx.audit(AuditEntry {
                    at: now,
                    actor: decl.name.into(),
                    action: "dead-lettered".into(),
                    domain: "queue".into(),
                    item: m.event_id.clone(),
                    correlation_id: None,
                    detail: reason,
                })?;
                Ok("dead-lettered")
            }
        }
    }

    /// Publishes `MessageDeadLettered` for a message just dead-lettered, in the same
    /// transaction, so whoever handles dead letters (Process Automation) sees each one. A
    /// dead letter of that event itself is not announced again (no loop).
    fn announce_dead_letter(
        &self,
        tx: &mut Tx<'_>,
        decl: &AgentDecl,
        m: &Received,
        reason: &str,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        if m.detail_type == <MessageDeadLettered as EventPayload>::DETAIL_TYPE {
            return Ok(());
        }
        let correlation: Option<String> = tx
            .conn()
            .prepare_cached("SELECT correlation_id FROM events WHERE seq = ?1")?
            .query_row([m.event_seq], |r| r.get(0))
            .optional()?;
        let correlation = correlation.and_then(|c| uuid::Uuid::parse_str(&c).ok());
        let payload = MessageDeadLettered {
            agent: decl.name.into(),
            queue: decl.queue.as_str().into(),
            event_id: m.event_id.clone(),
            detail_type: m.detail_type.clone(),
            reason: reason.into(),
            receive_count: m.receive_count,
            first_received_at: DateTime::from_timestamp_millis(m.enqueued_at).unwrap_or(now),
            dead_lettered_at: now,
            correlation_id: correlation.map(|c| c.to_string()),
        };
        let event = payload.event();
        self.publish_in(tx, &event, None, now, false)?;
        Ok(())
    }

    fn apply_effects(
        &self,
        tx: &mut Tx<'_>,
        decl: &AgentDecl,
        m: &Received,
        cause: &Event,
        effects: Effects,
        now: DateTime<Utc>,
    ) -> Result<(), CommitError> {
        let correlation = Some(cause.detail.correlation_id.to_string());
        // Idempotency record, in the same transaction as the effects.
        let expires_at = (now + self.config.retention.idempotency()).timestamp();
        if !tx.record_handled(decl.name, &m.event_id, expires_at)? {
            return Err(CommitError::Duplicate);
        }
        // A refused access the handler went past is audited as on AWS, even if it succeeded.
        for d in &effects.denials {
            tx.audit(AuditEntry {
                at: now,
                actor: decl.name.into(),
                action: "denied".into(),
                domain: d.what.clone(),
                item: m.event_id.clone(),
                correlation_id: None,
                detail: d.to_string(),
            })?;
        }
        for w in effects.writes {
            let (pk, sk) = w.key();
            let entry = AuditEntry {
                at: now,
                actor: decl.name.into(),
                action: w.action().into(),
                domain: w.domain().as_str().into(),
                item: [pk, "/", sk].concat(),
                correlation_id: correlation.clone(),
                detail: cause.detail_type().into(),
            };
            tx.apply(w)?;
            tx.audit(entry)?;
        }
        let defer = self.pending.lock().is_open();
        let mut texts = effects.emitted_json.into_iter();
        for e in &effects.emitted {
            self.publish_in(tx, e, texts.next(), now, defer)?;
        }
        for (seq, draft) in effects.approvals.into_iter().enumerate() {
            let id = approval::approval_id(cause.detail.event_id, decl.name, seq);
            let approval = self.config.approvals.open(
                id,
                decl.name,
                draft,
                cause.detail.correlation_id,
                now,
            )?;
            self.open_approval(tx, approval, now, defer)?;
        }
        for mail in &effects.mails {
            self.queue_mail(tx, mail, now)?;
        }
        // Redrives and discards commit with the handler's effects, like its writes.
        for order in &effects.dead_letters {
            crate::dead_letters::act_in(tx, order, decl.name, now)?;
        }
        Ok(())
    }

    fn queue_mail(&self, tx: &Tx<'_>, mail: &Mail, now: DateTime<Utc>) -> rusqlite::Result<()> {
        tx.conn()
            .prepare_cached(
                "INSERT INTO mail_outbox (sender, recipient, subject, text, html, created_at, extra) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                self.config.mail_from,
                mail.to,
                mail.subject,
                mail.text,
                mail.html,
                now.to_rfc3339(),
                outbox::extra_to_json(mail),
            ])?;
        Ok(())
    }

    /// Writes queued mail to `.eml` files (after the commit that queued it).
    pub fn flush_outbox(&self) {
        let Some(dir) = &self.config.outbox_dir else {
            return;
        };
        let pending: rusqlite::Result<Vec<(i64, String, Mail, String)>> = self.store.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, sender, recipient, subject, text, html, created_at, extra FROM mail_outbox WHERE file IS NULL ORDER BY id",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    outbox::with_extra(
                        Mail {
                            to: r.get(2)?,
                            subject: r.get(3)?,
                            text: r.get(4)?,
                            html: r.get(5)?,
                            ..Default::default()
                        },
                        r.get(7)?,
                    ),
                    r.get(6)?,
                ))
            })?;
            rows.collect()
        });
        let Ok(pending) = pending else { return };
        for (id, sender, mail, created) in pending {
            let at: DateTime<Utc> = created.parse().unwrap_or_else(|_| self.now());
            let name = outbox::file_name(id, at);
            let eml = match outbox::render_eml(&sender, &mail, id, at) {
                Ok(eml) => eml,
                Err(e) => {
                    tracing::error!(mail = id, "mail cannot be rendered, not written: {e}");
                    continue;
                }
            };
            match outbox::write(dir, &name, &eml) {
                Ok(path) => {
                    let _ = self.store.read(|c| {
                        c.execute(
                            "UPDATE mail_outbox SET file = ?1 WHERE id = ?2",
                            params![path.display().to_string(), id],
                        )
                    });
                }
                Err(e) => tracing::error!("outbox write failed (will retry): {e}"),
            }
        }
    }

    // ------------------------------------------------------------------ approvals

    /// The stored approval request: indexed by deadline while pending, expiring
    /// `approvals_days` after its decision or deadline once closed.
    fn approval_item(&self, a: &Approval) -> Item {
        let mut item = Item::new(
            format!("approval#{}", a.id),
            "approval",
            serde_json::to_value(a).expect("approval serialises"),
        );
        if a.status == ApprovalStatus::Pending {
            item = item.with_index(PENDING_APPROVALS, a.step_deadline.to_rfc3339());
        }
        if let Some(at) = retention::approval_expiry(a, &self.config.retention) {
            item = item.expiring_at(at);
        }
        item
    }

    fn runtime_event(
        &self,
        a: &Approval,
        payload: impl EventPayload,
        now: DateTime<Utc>,
        tag: &str,
    ) -> Event {
        // Stable id per (approval, step, tag): a retried transaction emits the same event.
        let id = name_uuid(&format!("{}|{}|{tag}", a.id, a.step));
        Event::with_ids(
            "ascent.approvals",
            Actor::system("approvals"),
            now,
            payload,
            id,
            a.correlation_id,
            None,
        )
    }

    fn open_approval(
        &self,
        tx: &mut Tx<'_>,
        approval: Approval,
        now: DateTime<Utc>,
        defer: bool,
    ) -> Result<(), CommitError> {
        let put = Write::Put {
            domain: Domain::Approvals,
            item: self.approval_item(&approval),
            condition: Condition::NotExists,
        };
        match tx.apply(put) {
            // Already opened by an earlier delivery of the same event.
            Err(LakeError::ConditionFailed { .. }) => return Ok(()),
            other => other?,
        }
        tx.audit(AuditEntry {
            at: now,
            actor: approval.agent.clone(),
            action: "approval.opened".into(),
            domain: "approvals".into(),
            item: approval.id.clone(),
            correlation_id: Some(approval.correlation_id.to_string()),
            detail: format!("{} → {}", approval.draft.kind, approval.approver()),
        })?;
        self.notify_approver(tx, &approval, now, defer)?;
        Ok(())
    }

    fn notify_approver(
        &self,
        tx: &mut Tx<'_>,
        a: &Approval,
        now: DateTime<Utc>,
        defer: bool,
    ) -> rusqlite::Result<()> {
        let requested: ApprovalRequested = a.requested_event();
        let event = self.runtime_event(a, requested, now, "requested");
        self.publish_in(tx, &event, None, now, defer)?;
        let token = self.signer.token_for(a);
        self.queue_mail(
            tx,
            &approval::approval_mail(a, &token, &self.config.base_url),
            now,
        )
    }

    fn load_approval(&self, id: &str) -> Result<Approval, DeskError> {
        let item = futures::executor::block_on(ascent_core::ports::DataLake::get(
            self.store.as_ref(),
            Domain::Approvals,
            &format!("approval#{id}"),
            "approval",
        ))
        .map_err(|e| DeskError::Internal(e.to_string()))?
        .ok_or_else(|| DeskError::NotFound(id.to_string()))?;
        item.parse().map_err(|e| DeskError::Internal(e.to_string()))
    }

    /// Opens a link: verifies it and returns what the page shows. Never changes anything.
    pub fn show_approval(&self, id: &str, token: &str) -> Result<ApprovalView, DeskError> {
        let now = self.now();
        let claims = self.signer.verify(token, now)?;
        if claims.approval_id != id {
            return Err(LinkError::Forged.into());
        }
        let approval = self.load_approval(id)?;
        approval.check_decider(&claims.approver, claims.step, now)?;
        Ok(ApprovalView {
            approval,
            approver: claims.approver,
        })
    }

    /// Decides from the page's POST; emits `ApprovalDecided` in the same transaction.
    pub fn decide_approval(
        &self,
        id: &str,
        token: &str,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<ApprovalView, DeskError> {
        let now = self.now();
        let claims = self.signer.verify(token, now)?;
        if claims.approval_id != id {
            return Err(LinkError::Forged.into());
        }
        let result = self.store.write_tx(|tx| {
            let mut a = {
                let item = tx
                    .conn()
                    .query_row(
                        "SELECT data FROM items WHERE domain = 'approvals' AND pk = ?1 AND sk = 'approval'",
                        [format!("approval#{id}")],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()?;
                let Some(item) = item else {
                    return Ok(Err(DeskError::NotFound(id.into())));
                };
                match serde_json::from_str::<Approval>(&item) {
                    Ok(a) => a,
                    Err(e) => return Ok(Err(DeskError::Internal(e.to_string()))),
                }
            };
            let step_timeout = self.config.approvals.step_timeout();
            match a.decide(&claims.approver, claims.step, decision, comment, now, step_timeout) {
                Err(e) => return Ok(Err(e.into())),
                Ok(DecisionOutcome::Closed) => self.close_approval(tx, &a, now, &claims.approver)?,
                Ok(DecisionOutcome::NeedsAnother { next }) => {
                    // Segregation of duties: a second, distinct approver must approve too.
                    tx.apply(Write::Put {
                        domain: Domain::Approvals,
                        item: self.approval_item(&a),
                        condition: Condition::Exists,
                    })?;
                    tx.audit(AuditEntry {
                        at: now,
                        actor: claims.approver.clone(),
                        action: "approval.approved-once".into(),
                        domain: "approvals".into(),
                        item: a.id.clone(),
                        correlation_id: Some(a.correlation_id.to_string()),
                        detail: format!("second approval needed from {next}"),
                    })?;
                    self.notify_approver(tx, &a, now, false)?;
                }
            }
            Ok::<_, TwinError>(Ok(ApprovalView {
                approval: a,
                approver: claims.approver.clone(),
            }))
        });
        let view = result.map_err(|e| DeskError::Internal(e.to_string()))??;
        tracing::info!(
            approval_id = view.approval.id.as_str(),
            agent = view.approval.agent.as_str(),
            status = ?view.approval.status,
            decision = ?decision,
            "approval decided"
        );
        self.flush_outbox();
        Ok(view)
    }

    fn close_approval(
        &self,
        tx: &mut Tx<'_>,
        a: &Approval,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<(), TwinError> {
        tx.apply(Write::Put {
            domain: Domain::Approvals,
            item: self.approval_item(a),
            condition: Condition::Exists,
        })?;
        tx.audit(AuditEntry {
            at: now,
            actor: actor.into(),
            action: "approval.decided".into(),
            domain: "approvals".into(),
            item: a.id.clone(),
            correlation_id: Some(a.correlation_id.to_string()),
            detail: a.status_word().into(),
        })?;
        let decided: ApprovalDecided = a.decided_event().expect("closed approvals have a decision");
        let event = self.runtime_event(a, decided, now, "decided");
        self.publish_in(tx, &event, None, now, false)?;
        Ok(())
    }

    /// Escalates or expires approvals whose deadline passed (the twin's timer; on AWS the
    /// state machine's task timeout). Queries the pending index by deadline, never scans.
    pub fn tick_approvals(&self) -> Result<usize, TwinError> {
        let now = self.now();
        let due = futures::executor::block_on(ascent_core::ports::DataLake::query(
            self.store.as_ref(),
            Domain::Approvals,
            &Query::gsi1(PENDING_APPROVALS).sort(SortKey::AtMost(now.to_rfc3339())),
        ))?;
        let mut changed = 0;
        for item in due {
            let mut a: Approval = item.parse()?;
            let outcome = a.on_deadline(now, &self.config.approvals);
            self.store.write_tx(|tx| {
                match &outcome {
                    DeadlineOutcome::NotDue => return Ok(()),
                    DeadlineOutcome::Escalated { to } => {
                        tx.apply(Write::Put {
                            domain: Domain::Approvals,
                            item: self.approval_item(&a),
                            condition: Condition::Exists,
                        })?;
                        tx.audit(AuditEntry {
                            at: now,
                            actor: "approvals".into(),
                            action: "approval.escalated".into(),
                            domain: "approvals".into(),
                            item: a.id.clone(),
                            correlation_id: Some(a.correlation_id.to_string()),
                            detail: format!("no decision by the deadline; now {to}"),
                        })?;
                        self.notify_approver(tx, &a, now, false)?;
                    }
                    DeadlineOutcome::Expired => {
                        self.close_approval(tx, &a, now, "approvals")?;
                        let mail = approval::expired_mail(&a);
                        self.queue_mail(tx, &mail, now)?;
                    }
                }
                changed += 1;
                Ok::<_, TwinError>(())
            })?;
        }
        self.flush_outbox();
        Ok(changed)
    }

    // ------------------------------------------------------------------ schedules

    /// Emits the `ScheduleTick` of a schedule for a time; its id is derived from both, so a
    /// tick is delivered once even if emitted twice.
    pub fn schedule_tick(
        &self,
        schedule: &str,
        at: DateTime<Utc>,
    ) -> Result<IngestReport, TwinError> {
        let e = ScheduleTick::event(schedule, at);
        self.ingest(&[e])
    }

    // ------------------------------------------------------------------ operations

    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, TwinError> {
        Ok(self.store.read(|c| {
            let mut st = c.prepare(
                "SELECT id, agent, class, event_id, detail_type, receive_count, reason, failed_at, body \
                 FROM dead_letters ORDER BY id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(DeadLetter {
                    id: r.get(0)?,
                    agent: r.get(1)?,
                    queue: r.get(2)?,
                    event_id: r.get(3)?,
                    detail_type: r.get(4)?,
                    receive_count: r.get(5)?,
                    reason: r.get(6)?,
                    failed_at: DateTime::from_timestamp_millis(r.get(7)?).unwrap_or_default(),
                    body: r.get(8)?,
                })
            })?;
            rows.collect()
        })?)
    }

    /// Moves dead letters (all, or the given ids) back to their agents' queues.
    pub fn redrive(&self, ids: Option<&[i64]>, operator: &str) -> Result<usize, TwinError> {
        let now = self.now();
        let letters: Vec<DeadLetter> = self
            .dead_letters()?
            .into_iter()
            .filter(|d| ids.is_none_or(|ids| ids.contains(&d.id)))
            .collect();
        self.store.write_tx(|tx| {
            for d in &letters {
                tx.conn().execute(
                    "INSERT INTO queue_messages (agent, class, event_id, detail_type, event_seq, visible_at, enqueued_at) \
                     SELECT agent, class, event_id, detail_type, event_seq, ?1, ?1 FROM dead_letters WHERE id = ?2",
                    params![millis(now), d.id],
                )?;
                tx.conn().execute("DELETE FROM dead_letters WHERE id = ?1", [d.id])?;
                tx.audit(AuditEntry {
                    at: now,
                    actor: operator.into(),
                    action: "dlq.redrive".into(),
                    domain: "queue".into(),
                    item: d.event_id.clone(),
                    correlation_id: None,
                    detail: format!("{} (was: {})", d.agent, d.reason),
                })?;
            }
            Ok::<_, TwinError>(letters.len())
        })
    }

    pub fn status(&self) -> Result<TwinStatus, TwinError> {
        let now = self.now();
        let s = self.store.read(|c| {
            let mut agents: BTreeMap<String, AgentStatus> = self
                .agents
                .values()
                .map(|a| {
                    let d = a.declaration();
                    (
                        d.name.to_string(),
                        AgentStatus {
                            agent: d.name.into(),
                            queue: d.queue.as_str().into(),
                            ..Default::default()
                        },
                    )
                })
                .collect();
            let mut st = c.prepare(
                "SELECT agent, SUM(visible_at <= ?1), SUM(visible_at > ?1) FROM queue_messages GROUP BY agent",
            )?;
            for row in st.query_map([millis(now)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })? {
                let (a, v, f) = row?;
                if let Some(s) = agents.get_mut(&a) {
                    s.visible = v as u64;
                    s.in_flight = f as u64;
                }
            }
            let mut st = c.prepare(
                "SELECT agent, handled, duplicates, failures, dead_lettered FROM agent_stats",
            )?;
            for row in st.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })? {
                let (a, h, d, f, x) = row?;
                if let Some(s) = agents.get_mut(&a) {
                    s.handled = h as u64;
                    s.duplicates = d as u64;
                    s.failures = f as u64;
                    s.dead_lettered = x as u64;
                }
            }
            let count = |q: &str| c.query_row(q, [], |r| r.get::<_, i64>(0)).map(|n| n as u64);
            let mut st = c.prepare(
                "SELECT data FROM items WHERE domain = 'approvals' AND gsi1pk = ?1 ORDER BY gsi1sk",
            )?;
            let pending = st
                .query_map([PENDING_APPROVALS], |r| r.get::<_, String>(0))?
                .filter_map(|d| d.ok())
                .filter_map(|d| serde_json::from_str::<Approval>(&d).ok())
                .map(|a| PendingApproval {
                    approver: a.approver().to_string(),
                    id: a.id,
                    kind: a.draft.kind,
                    subject: a.draft.subject,
                    deadline: a.step_deadline,
                })
                .collect();
            Ok(TwinStatus {
                now,
                agents: agents.into_values().collect(),
                dead_letters: count("SELECT COUNT(*) FROM dead_letters")?,
                pending_approvals: pending,
                events_archived: count("SELECT COUNT(*) FROM events")?,
                events_unrouted: count("SELECT COUNT(*) FROM events WHERE routed_to = ''")?,
                audit_records: count("SELECT COUNT(*) FROM audit")?,
                mails: count("SELECT COUNT(*) FROM mail_outbox")?,
                storage_fault: self.storage_fault(),
            })
        })?;
        Ok(s)
    }

    /// Mail queued so far (newest last).
    pub fn mails(&self) -> Result<Vec<Mail>, TwinError> {
        Ok(self.mails_after(0)?.into_iter().map(|(_, m)| m).collect())
    }

    /// The archive position of the newest event (0 when empty).
    pub fn archive_head(&self) -> Result<i64, TwinError> {
        Ok(self
            .store
            .read(|c| c.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0)))?)
    }

    /// Events of `detail_type` archived after position `after`, with positions.
    pub fn archived_after(
        &self,
        detail_type: &str,
        after: i64,
    ) -> Result<Vec<(i64, Event)>, TwinError> {
        self.archived_after_any(&[detail_type], after)
    }

    /// Events of any of `detail_types` archived after position `after`, in archive order,
    /// with positions: one pass over that part of the archive, however many types.
    pub fn archived_after_any(
        &self,
        detail_types: &[&str],
        after: i64,
    ) -> Result<Vec<(i64, Event)>, TwinError> {
        if detail_types.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String)> = self.store.read(|c| {
            let marks = vec!["?"; detail_types.len()].join(", ");
            let mut st = c.prepare_cached(&format!(
                "SELECT seq, body FROM events WHERE seq > ? AND detail_type IN ({marks}) ORDER BY seq"
            ))?;
            let params = std::iter::once(&after as &dyn rusqlite::ToSql)
                .chain(detail_types.iter().map(|t| t as &dyn rusqlite::ToSql));
            let rows = st.query_map(rusqlite::params_from_iter(params), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            rows.collect()
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(seq, b)| Event::parse(b.as_bytes()).ok().map(|e| (seq, e)))
            .collect())
    }

    /// Mail queued after outbox position `after`, with positions.
    pub fn mails_after(&self, after: i64) -> Result<Vec<(i64, Mail)>, TwinError> {
        Ok(self.store.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, recipient, subject, text, html, extra FROM mail_outbox WHERE id > ?1 ORDER BY id",
            )?;
            let rows = st.query_map([after], |r| {
                Ok((
                    r.get(0)?,
                    outbox::with_extra(
                        Mail {
                            to: r.get(1)?,
                            subject: r.get(2)?,
                            text: r.get(3)?,
                            html: r.get(4)?,
                            ..Default::default()
                        },
                        r.get(5)?,
                    ),
                ))
            })?;
            rows.collect()
        })?)
    }

    /// Archived events of one detail-type, oldest first (tests, reports).
    pub fn archived(&self, detail_type: &str) -> Result<Vec<Event>, TwinError> {
        Ok(self
            .archived_after(detail_type, 0)?
            .into_iter()
            .map(|(_, e)| e)
            .collect())
    }
}

#[async_trait::async_trait]
impl ApprovalDesk for Runtime {
    async fn show(&self, id: &str, token: &str) -> Result<ApprovalView, DeskError> {
        self.show_approval(id, token)
    }
    async fn decide(
        &self,
        id: &str,
        token: &str,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<ApprovalView, DeskError> {
        self.decide_approval(id, token, decision, comment)
    }
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;

#[path = "runtime_observations.rs"]
pub mod observations;

#[path = "runtime_console.rs"]
pub mod console;

/// The twin's bus as the [`EventBus`](ascent_core::ports::EventBus) port: published events are
/// ingested (stored and routed) like those a business system sends.
#[async_trait::async_trait]
impl ascent_core::ports::EventBus for Runtime {
    async fn publish(&self, events: &[Event]) -> Result<(), ascent_core::ports::BusError> {
        self.ingest(events)
            .map(|_| ())
            .map_err(|e| ascent_core::ports::BusError(e.to_string()))
    }
}
