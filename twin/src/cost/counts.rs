//! What a run used, read from the SQLite file it left (`simulate-<seed>.db` of `ascent
//! simulate`, or a twin's `twin.db`, whole or over a period of event times), turned into what
//! the generated stack would count for the same traffic: one [`Usage`] per agent's function
//! and per platform part. Batch sizes, batching windows and memory come from the template
//! the declarations generate (`ascent infra`), so the bill follows the stack as deployed.
//!
//! What each count stands for on AWS (the Lambda host's path, `shared/aws/src/host.rs`):
//! a delivery is one SQS message sent by an EventBridge rule, received by the event source
//! mapping in batches, and handled by one strongly consistent idempotency lookup and one
//! DynamoDB transaction (the handler's writes, one audit item per write and the idempotency
//! record with its pending effects), its events put on the bus, then the record marked done
//! (a second transaction). Writes are sized from the items the run left (the audit log names
//! each write's item); an item gone since counts 1 KB.

use super::settings::CostSettings;
use anyhow::Context;
use ascent_core::agent::AgentDecl;
use ascent_core::ports::SystemClock;
use ascent_embedded::Store;
use ascent_embedded::store::StoreOptions;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// SQS and EventBridge bill each 64 KB of a payload as one request or event.
pub const CHUNK_BYTES: u64 = 64 * 1024;
/// DynamoDB write units are per KB of the item, rounded up per item.
pub const WRITE_UNIT_BYTES: u64 = 1024;
/// SQS hands at most this many messages to one ReceiveMessage (and deletes as many at once).
pub const MESSAGES_PER_RECEIVE: u64 = 10;
/// Bytes of the attribute names of a data-lake item on DynamoDB (`pk`, `sk`, `data`,
/// `gsi1pk`, `gsi1sk`, `expires_at`: `shared/aws/src/dynamo.rs`).
pub const ITEM_NAMES_BYTES: u64 = 30;
/// An audit item's keys and attribute names beyond the audited values (`host::audit_write`).
pub const AUDIT_FRAME_BYTES: u64 = 160;
/// An idempotency record with nothing pending: keys, time, flag, empty lists, TTL.
pub const IDEMPOTENCY_RECORD_BYTES: u64 = 200;

/// The sources that are the platform's own, not business systems (`ascent.system`: the queue
/// observations and dead-letter notices).
const PLATFORM_SOURCES: [&str; 3] = ["ascent.scheduler", "ascent.approvals", "ascent.system"];

/// What one function (or platform part) used during the run; every count is of the run,
/// not yet scaled to a month.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Usage {
    pub name: String,
    /// Memory of its function(s) in MB (the template's); 0 when it has no function.
    pub memory_mb: u32,
    /// Functions it runs (each pays its cold starts).
    pub functions: u32,
    /// Queues a Lambda event source mapping polls (each pays the idle polling).
    pub queues: u32,
    /// Messages handled (a delivery handled or recognised as a duplicate).
    pub deliveries: u64,
    /// Attempts that failed and were received again.
    pub failed_attempts: u64,
    /// Lambda invocations.
    pub invocations: u64,
    pub sqs_sends: u64,
    pub sqs_receives: u64,
    pub sqs_deletes: u64,
    /// Events put on the bus, in 64 KB chunks.
    pub events_put: u64,
    /// Items written in DynamoDB transactions, in KB rounded up per item (2 units each).
    pub transaction_write_kb: u64,
    /// Items written outside transactions, in KB rounded up per item (1 unit each).
    pub write_kb: u64,
    /// Strongly consistent reads of up to 4 KB the structure makes (idempotency lookups,
    /// approval records); the handlers' own reads are the model's.
    pub strong_reads: u64,
    /// Whether the model's reads per message apply (the agents' handlers).
    pub handler_reads: bool,
    /// Bytes stored at the end of the run (storage row only).
    pub stored_bytes: u64,
    pub transitions: u64,
    pub mails: u64,
}

/// What a run used, per part, with what it is scaled by.
#[derive(Clone, Debug, Serialize)]
pub struct RunCounts {
    pub database: String,
    /// Days of traffic the counts cover.
    pub days: f64,
    /// Events from business systems (not agents, schedules or approvals): what the bill is
    /// quoted per million of.
    pub business_events: u64,
    pub bus_events: u64,
    pub rows: Vec<Usage>,
}

impl RunCounts {
    pub fn row(&self, name: &str) -> Option<&Usage> {
        self.rows.iter().find(|r| r.name == name)
    }
}

/// How an agent's function is deployed: from the template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub batch_size: u32,
    pub window_s: u32,
    pub memory_mb: u32,
}

/// The template's memory of function `id` (its own, else the globals').
fn memory_of(template: &Value, id: &str) -> Option<u32> {
    let own = &template["Resources"][id]["Properties"]["MemorySize"];
    let global = &template["Globals"]["Function"]["MemorySize"];
    own.as_u64().or_else(|| global.as_u64()).map(|m| m as u32)
}

/// Each agent's batch size, batching window and memory as the template deploys them.
pub fn shapes(template: &Value, decls: &[AgentDecl]) -> anyhow::Result<BTreeMap<String, Shape>> {
    let mut out = BTreeMap::new();
    for d in decls {
        let id = format!("{}Function", crate::infra::logical(d.name));
        let queue = &template["Resources"][&id]["Properties"]["Events"]["Queue"]["Properties"];
        let batch_size = queue["BatchSize"]
            .as_u64()
            .with_context(|| format!("{id} has no SQS batch size in the template"))?;
        let window_s = queue["MaximumBatchingWindowInSeconds"]
            .as_u64()
            .unwrap_or(0);
        let memory_mb =
            memory_of(template, &id).with_context(|| format!("{id} has no memory size"))?;
        out.insert(
            d.name.to_string(),
            Shape {
                batch_size: batch_size as u32,
                window_s: window_s as u32,
                memory_mb,
            },
        );
    }
    Ok(out)
}

/// Invocations and ReceiveMessage requests of one queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Batching {
    pub invocations: u64,
    pub receives: u64,
}

/// How the event source mapping batches messages arriving at `times` (seconds, sorted): a
/// batch starts with the first message waiting and takes those arriving within the batching
/// window after it (within the same second when there is no window), up to the batch size;
/// each batch is one invocation and one ReceiveMessage per 10 messages.
pub fn batches(times: &[i64], batch_size: u32, window_s: u32) -> Batching {
    let size = batch_size.max(1) as usize;
    let window = i64::from(window_s.max(1));
    let mut out = Batching::default();
    let mut i = 0;
    while i < times.len() {
        let start = times[i];
        let mut n = 0usize;
        while i < times.len() && n < size && times[i] - start < window {
            n += 1;
            i += 1;
        }
        out.invocations += 1;
        out.receives += (n as u64).div_ceil(MESSAGES_PER_RECEIVE);
    }
    out
}

/// Chunks of 64 KB a payload of `bytes` is billed as.
pub fn chunks(bytes: u64) -> u64 {
    bytes.div_ceil(CHUNK_BYTES).max(1)
}

/// Write units (KB rounded up) of an item of `bytes`.
pub fn write_kb(bytes: u64) -> u64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1)
}

/// Which events and records count: all, or those of a period.
#[derive(Clone, Copy, Debug, Default)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Period {
    pub fn is_whole(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
    fn contains(&self, at: Option<DateTime<Utc>>) -> bool {
        let Some(at) = at else {
            return self.is_whole();
        };
        self.from.is_none_or(|f| at >= f) && self.to.is_none_or(|t| at < t)
    }
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// One archived event.
struct Archived {
    source: String,
    at: Option<DateTime<Utc>>,
    routed_to: String,
    bytes: u64,
}

/// One audited write: who, when, the size of its item (`None`: gone since) and of the audit
/// record.
struct AuditedWrite {
    agent: String,
    at: Option<DateTime<Utc>>,
    item_bytes: Option<u64>,
    audit_bytes: u64,
}

/// Reads the counts of the run in `db`, deployed as `template` says.
pub fn read(
    db: &Path,
    template: &Value,
    decls: &[AgentDecl],
    settings: &CostSettings,
    period: Period,
    days: Option<f64>,
) -> anyhow::Result<RunCounts> {
    if !db.is_file() {
        anyhow::bail!("no database at {}", db.display());
    }
    let store = Store::open_with(
        db,
        Arc::new(SystemClock),
        StoreOptions {
            synced_commits: false,
            ..StoreOptions::default()
        },
    )
    .with_context(|| format!("opening {}", db.display()))?;
    let shapes = shapes(template, decls)?;
    let platform_memory = memory_of(template, "ApprovalNotifierFunction").unwrap_or(0);

    let events: Vec<Archived> = store.read(|c| {
        let mut st = c.prepare(
            "SELECT source, time, routed_to, length(CAST(body AS BLOB)) FROM events ORDER BY seq",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Archived {
                source: r.get(0)?,
                at: time(&r.get::<_, String>(1)?),
                routed_to: r.get(2)?,
                bytes: r.get::<_, i64>(3)? as u64,
            })
        })?;
        rows.collect()
    })?;
    let events: Vec<Archived> = events
        .into_iter()
        .filter(|e| period.contains(e.at))
        .collect();
    let stats: BTreeMap<String, (u64, u64)> = store.read(|c| {
        let mut st = c.prepare("SELECT agent, handled + duplicates, failures FROM agent_stats")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64),
            ))
        })?;
        rows.collect()
    })?;
    // Each audited write with the size of its item (NULL when the item is gone) and of the
    // audit record itself.
    let writes: Vec<AuditedWrite> = store.read(|c| {
        let mut st = c.prepare(
            "SELECT a.actor, a.at,
                    length(CAST(i.pk AS BLOB)) + length(CAST(i.sk AS BLOB))
                      + length(CAST(i.data AS BLOB)) + coalesce(length(CAST(i.gsi1pk AS BLOB)), 0)
                      + coalesce(length(CAST(i.gsi1sk AS BLOB)), 0),
                    length(CAST(a.actor || a.action || a.domain || a.item
                      || coalesce(a.correlation_id, '') || a.detail AS BLOB))
             FROM audit a LEFT JOIN items i ON i.domain = a.domain
               AND i.pk = substr(a.item, 1, instr(a.item, '/') - 1)
               AND i.sk = substr(a.item, instr(a.item, '/') + 1)
             WHERE a.action IN ('put', 'delete')",
        )?;
        let rows = st.query_map([], |r| {
            Ok(AuditedWrite {
                agent: r.get(0)?,
                at: time(&r.get::<_, String>(1)?),
                item_bytes: r.get::<_, Option<i64>>(2)?.map(|b| b as u64),
                audit_bytes: r.get::<_, i64>(3)? as u64,
            })
        })?;
        rows.collect()
    })?;

    let mut rows = Vec::new();
    for d in decls {
        let shape = shapes[d.name];
        let routed: Vec<&Archived> = events
            .iter()
            .filter(|e| e.routed_to.split(',').any(|a| a == d.name))
            .collect();
        let (deliveries, failed) = match (period.is_whole(), stats.get(d.name)) {
            (true, Some(&(handled, failures))) => (handled, failures),
            (true, None) => (0, 0),
            (false, _) => (routed.len() as u64, 0),
        };
        let mut times: Vec<i64> = routed
            .iter()
            .filter_map(|e| e.at.map(|t| t.timestamp()))
            .collect();
        times.sort_unstable();
        let batching = batches(&times, shape.batch_size, shape.window_s);
        let emitted_source = format!("ascent.agent.{}", d.name);
        let emitted: Vec<&Archived> = events
            .iter()
            .filter(|e| e.source == emitted_source)
            .collect();
        let emitted_bytes: u64 = emitted.iter().map(|e| e.bytes).sum();
        let (mut item_kb, mut audit_kb) = (0, 0);
        for w in writes
            .iter()
            .filter(|w| w.agent == d.name && period.contains(w.at))
        {
            item_kb += w.item_bytes.map_or(1, |b| write_kb(b + ITEM_NAMES_BYTES));
            audit_kb += write_kb(w.audit_bytes + AUDIT_FRAME_BYTES);
        }
        // The record written with the handler's writes carries the events until they are
        // published (at least 1 KB per delivery); the one marking it done carries nothing.
        let pending_kb = deliveries.max(write_kb(
            deliveries * IDEMPOTENCY_RECORD_BYTES + emitted_bytes,
        ));
        rows.push(Usage {
            name: d.name.to_string(),
            memory_mb: shape.memory_mb,
            functions: 1,
            queues: 1,
            deliveries,
            failed_attempts: failed,
            invocations: batching.invocations + failed,
            sqs_sends: routed.iter().map(|e| chunks(e.bytes)).sum(),
            sqs_receives: batching.receives + failed,
            sqs_deletes: batching.receives,
            events_put: emitted.iter().map(|e| chunks(e.bytes)).sum(),
            transaction_write_kb: item_kb + audit_kb + pending_kb + deliveries,
            strong_reads: deliveries,
            handler_reads: true,
            ..Usage::default()
        });
    }
    rows.extend(super::platform::rows(
        &store,
        period,
        platform_memory,
        settings,
        &events
            .iter()
            .map(|e| (e.source.as_str(), e.bytes))
            .collect::<Vec<_>>(),
    )?);

    let business: Vec<&Archived> = events
        .iter()
        .filter(|e| is_business_source(&e.source))
        .collect();
    let days = match (days, period.from, period.to) {
        (Some(d), _, _) => d,
        (None, Some(from), Some(to)) => (to - from).num_seconds() as f64 / 86_400.0,
        _ => {
            let times = business.iter().filter_map(|e| e.at);
            match (times.clone().min(), times.max()) {
                (Some(first), Some(last)) => ((last - first).num_seconds() as f64 / 86_400.0)
                    .ceil()
                    .max(1.0),
                _ => 1.0,
            }
        }
    };
    if !(days.is_finite() && days > 0.0) {
        anyhow::bail!("the run covers no time ({days} days): pass --days");
    }
    Ok(RunCounts {
        database: db.display().to_string(),
        days,
        business_events: business.len() as u64,
        bus_events: events.len() as u64,
        rows,
    })
}

/// Whether events of `source` come from a business system (the CRM, the web site, the
/// payment processor, …) rather than an agent, the schedules or the approval flow.
pub fn is_business_source(source: &str) -> bool {
    !source.starts_with("ascent.agent.") && !PLATFORM_SOURCES.contains(&source)
}
