//! The embedded store: one SQLite database (WAL) holding the data lake, the agents' queues,
//! dead letters, idempotency records, the audit chain, the event archive and the mail outbox.
//! Keeping them in one file lets the runtime commit a handler's effects, its idempotency
//! record, its audit records and the deliveries of the events it emitted in one transaction.

use crate::checkpoint::Checkpointer;
use crate::key_file::{self, KeyFileError};
use ascent_core::agent::Domain;
use ascent_core::audit::{self, AuditEntry, AuditRecord};
use ascent_core::ports::{
    Clock, Condition, DataLake, INDEX_GSI1, IndexKey, Item, ItemRow, LakeError, Query, SortKey,
    Write,
};
use ascent_core::privacy::PrivacyKey;
use async_trait::async_trait;
use foldhash::HashMap;
use parking_lot::{Mutex, ReentrantMutex, ReentrantMutexGuard};
use rusqlite::{Connection, OptionalExtension, params};
use std::cell::RefCell;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const SCHEMA: &str = r#"
-- Rows in the order they were written, keys in the primary-key index: a unit of work's new and
-- recently written items share a few pages at the table's end, where a table ordered by key
-- (`WITHOUT ROWID`, as databases made before 2026-12 have; every statement works on both)
-- spread a day's new leads and contacts over all its pages, and the commit wrote each again.
CREATE TABLE IF NOT EXISTS items (
    domain TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT, expires_at INTEGER, data TEXT NOT NULL,
    PRIMARY KEY (domain, pk, sk)
);
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (domain, gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_ttl ON items (expires_at) WHERE expires_at IS NOT NULL;

-- A delivery points at its event in the archive (`events.seq`): the body is stored once, however
-- many agents' rules match it.
CREATE TABLE IF NOT EXISTS queue_messages (
    id INTEGER PRIMARY KEY, agent TEXT NOT NULL, class TEXT NOT NULL,
    event_id TEXT NOT NULL, detail_type TEXT NOT NULL, event_seq INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0, visible_at INTEGER NOT NULL,
    enqueued_at INTEGER NOT NULL, last_error TEXT
);
CREATE INDEX IF NOT EXISTS queue_visible ON queue_messages (agent, visible_at);
-- One index serves both receiving (per agent) and the next wake-up (one seek per agent).
DROP INDEX IF EXISTS queue_next;

CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY, agent TEXT NOT NULL, class TEXT NOT NULL,
    event_id TEXT NOT NULL, detail_type TEXT NOT NULL, body TEXT NOT NULL,
    receive_count INTEGER NOT NULL, reason TEXT NOT NULL,
    failed_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, event_seq INTEGER
);

CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    domain TEXT NOT NULL, item TEXT NOT NULL, correlation_id TEXT, detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The bus archive: append-only in arrival order (a redelivered event appears again).
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, detail_type TEXT NOT NULL,
    source TEXT NOT NULL, correlation_id TEXT NOT NULL, time TEXT NOT NULL, body TEXT NOT NULL,
    routed_to TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS mail_outbox (
    id INTEGER PRIMARY KEY, sender TEXT NOT NULL, recipient TEXT NOT NULL,
    subject TEXT NOT NULL, text TEXT NOT NULL, html TEXT, created_at TEXT NOT NULL,
    file TEXT, extra TEXT
);

-- Idempotency records: which agent handled which event (kept `IDEMPOTENCY_DAYS`). A compact
-- table of its own rather than data-lake items: one small row per delivery, no JSON, no index.
CREATE TABLE IF NOT EXISTS handled (
    agent TEXT NOT NULL, event_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (agent, event_id)
) WITHOUT ROWID;

-- One row, rewritten to learn whether the store can write again after a storage fault.
CREATE TABLE IF NOT EXISTS store_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS agent_stats (
    agent TEXT PRIMARY KEY, handled INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
    dead_lettered INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
"#;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    PrivacyKey(#[from] KeyFileError),
}

impl From<StoreError> for LakeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Sqlite(e) => sql(e),
            other => LakeError::Storage(other.to_string()),
        }
    }
}

fn sql(e: rusqlite::Error) -> LakeError {
    if is_storage_fault(&e) {
        LakeError::Storage(format!("sqlite: {e}"))
    } else {
        LakeError::Unavailable(format!("sqlite: {e}"))
    }
}

/// The last audit record's sequence and hash, kept in memory to extend the chain cheaply.
#[derive(Clone, Debug)]
pub(crate) struct AuditHead {
    pub seq: u64,
    pub hash: String,
}

/// SQLite-backed store (file or in-memory).
///
/// The connection sits behind a re-entrant lock: a unit of work ([`Store::unit_of_work`])
/// holds it for a whole batch in one transaction, and the handlers it runs read through the
/// same connection on the same thread, seeing the batch's earlier effects. Other threads
/// (HTTP ingestion) wait for the commit.
pub struct Store {
    /// Declared first so that it stops before the worker's connection closes.
    _checkpointer: Option<Checkpointer>,
    conn: ReentrantMutex<RefCell<Connection>>,
    clock: Arc<dyn Clock>,
    /// The key of the pseudonyms that stand in for addresses and phone numbers in the audit
    /// chain (`privacy.key` beside the database file; random for a store in memory).
    privacy: PrivacyKey,
    head: Mutex<AuditHead>,
    /// Counts rollbacks (of units, transactions and savepoints): whoever keeps copies of rows
    /// in memory compares it to know when rows it saw may have been undone.
    rollbacks: AtomicU64,
    /// Counts storage faults met by any read or write ([`is_storage_fault`]): the worker
    /// compares it around a message to know that what the handler saw, or what was written
    /// for it, cannot be trusted, and gives the whole unit of work up.
    faults: AtomicU64,
    /// See [`StoreOptions::synced_commits`].
    synced_commits: bool,
    recent: Mutex<SinceRollback<RecentItems>>,
}

/// Opens a connection on `path`, through the named VFS if one is given.
fn open_connection(path: &Path, vfs: Option<&str>) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags as F;
    match vfs {
        None => Connection::open(path),
        Some(vfs) => Connection::open_with_flags_and_vfs(path, F::default(), vfs),
    }
}

/// Something kept in memory beside the database that a rollback may have made wrong (rows it
/// copied were undone; positions it is keyed by are handed out again): emptied whenever the
/// store has counted a rollback since it was last used. Only one thread uses the connection at
/// a time, and others wait for a unit of work to commit, so what it holds is never seen by a
/// thread the transaction it came from was hidden from.
#[derive(Default)]
pub(crate) struct SinceRollback<T> {
    value: T,
    rollbacks: u64,
}

impl<T: Default> SinceRollback<T> {
    /// The value, emptied first if `rollbacks` (the store's count) moved since the last use.
    pub(crate) fn current(&mut self, rollbacks: u64) -> &mut T {
        if self.rollbacks != rollbacks {
            self.value = T::default();
            self.rollbacks = rollbacks;
        }
        &mut self.value
    }
}

/// At most this many items (present or known absent) are held by [`RecentItems`].
const RECENT_ITEMS: usize = 20_000;

/// Items read or written lately, served from memory: the events of a cascade reach several
/// agents that read the same lead or account. Every item write goes through [`Tx::apply`],
/// which keeps an entry current; a rollback anywhere ([`SinceRollback`]) and the TTL sweep
/// clear it all.
#[derive(Default)]
struct RecentItems {
    items: HashMap<String, Option<StoredRow>>,
}

/// An item as the `items` table holds it, without its key: index key, TTL and the attributes'
/// JSON text (kept as text: a reader parses it once, straight into its own type).
#[derive(Clone, Debug)]
struct StoredRow {
    gsi1: Option<IndexKey>,
    expires_at: Option<i64>,
    data: String,
}

impl StoredRow {
    fn view<'r>(&'r self, pk: &'r str, sk: &'r str) -> ItemRow<'r> {
        ItemRow::Json {
            pk,
            sk,
            expires_at: self.expires_at,
            data: &self.data,
        }
    }
    fn to_item(&self, pk: &str, sk: &str) -> Item {
        Item {
            pk: pk.to_string(),
            sk: sk.to_string(),
            gsi1: self.gsi1.clone(),
            expires_at: self.expires_at,
            data: serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null),
        }
    }
}

impl RecentItems {
    /// `domain NUL pk NUL sk` (built directly: this runs for every item read and write).
    fn key(domain: Domain, pk: &str, sk: &str) -> String {
        let d = domain.as_str();
        let mut key = String::with_capacity(d.len() + pk.len() + sk.len() + 2);
        for (i, part) in [d, pk, sk].into_iter().enumerate() {
            if i > 0 {
                key.push('\u{0}');
            }
            key.push_str(part);
        }
        key
    }

    fn remember(&mut self, key: String, item: Option<StoredRow>) {
        if self.items.len() >= RECENT_ITEMS && !self.items.contains_key(&key) {
            self.items.clear();
        }
        self.items.insert(key, item);
    }
}

/// The audit log's records, oldest first.
const AUDIT_IN_ORDER: &str = "SELECT seq, at, actor, action, domain, item, correlation_id, \
     detail, prev_hash, hash FROM audit ORDER BY seq";

/// An audit record from a row of [`AUDIT_IN_ORDER`].
fn audit_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRecord> {
    let at: String = r.get(1)?;
    Ok(AuditRecord {
        seq: r.get::<_, i64>(0)? as u64,
        entry: AuditEntry {
            at: ascent_core::time::parse_utc(&at).unwrap_or_default(),
            actor: r.get(2)?,
            action: r.get(3)?,
            domain: r.get(4)?,
            item: r.get(5)?,
            correlation_id: r.get(6)?,
            detail: r.get(7)?,
        },
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}

/// Rolls an unfinished unit of work back if it is dropped (error or panic).
struct OpenUnit<'a> {
    store: &'a Store,
    done: bool,
}

impl Drop for OpenUnit<'_> {
    fn drop(&mut self) {
        if !self.done {
            let guard = self.store.lock();
            let _ = guard.borrow().execute_batch("ROLLBACK");
            self.store.rollbacks.fetch_add(1, Ordering::Relaxed);
            self.store.reload_head();
        }
    }
}

/// How a database file is opened.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Every write transaction begun outside a unit of work (ingestion, approval decisions,
    /// webhooks, timers: what answers someone outside) is synced to the device before its
    /// commit returns, so it survives a power loss, not only a crash of the process. The
    /// worker's units of work are not: what one of them loses is redone from the queues
    /// it settles (see `docs/guarantees.md`). Off for a throwaway database (the simulation).
    pub synced_commits: bool,
    /// The SQLite VFS to open through (`None`: the default); tests name one registered by
    /// [`crate::faults::register`].
    pub vfs: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            synced_commits: true,
            vfs: None,
        }
    }
}

/// SQLite result codes that mean the storage failed (device, space, file), as opposed to a
/// statement's own error (a constraint, a bad query): the operation may succeed later, and
/// nothing that depended on it may be acknowledged meanwhile.
pub fn is_storage_fault(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode as C;
    matches!(
        e.sqlite_error_code(),
        Some(
            C::DiskFull
                | C::SystemIoFailure
                | C::CannotOpen
                | C::ReadOnly
                | C::OutOfMemory
                | C::DatabaseCorrupt
                | C::NotADatabase
                | C::FileLockingProtocolFailed
        )
    )
}

impl Store {
    /// Opens (creating if needed) a database file in WAL mode, with synced commits.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::open_with(path, clock, StoreOptions::default())
    }

    /// Opens (creating if needed) a database file in WAL mode.
    pub fn open_with(
        path: &Path,
        clock: Arc<dyn Clock>,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = open_connection(path, options.vfs.as_deref())?;
        // 16 KB pages for a new database (an existing one keeps its own): a unit of work
        // commits a few hundred scattered leaf pages, and with 4 KB pages their number (page
        // lookups, log frames and b-tree depth) cost more than the larger frames do; measured
        // 10-15% faster in `ascent simulate`.
        conn.pragma_update(None, "page_size", 16_384)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints run on their own thread, but under steady writing they never catch up
        // with the log's end, so the log is never restarted and keeps growing (to 580 MB in
        // `ascent simulate --days 60` with a limit of 100,000 pages): the writer checkpoints
        // itself once the log holds 16,000 pages (250 MB), copying only what that thread has
        // not yet copied, and the next transaction starts the log again from its beginning.
        // The log then stays at 250 MB, and half as many pages the cache dropped are read back
        // from it with a system call (25,000 reads against 57,000); times were within the
        // noise either way.
        conn.pragma_update(None, "wal_autocheckpoint", 16_000)?;
        // Pages of the database file are read through a memory map, without a system call
        // and a copy each (pages still in the log are read from it as before).
        conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
        let folder = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let privacy = key_file::privacy_key_in(folder)?;
        let mut store = Self::init(conn, clock, privacy)?;
        store.synced_commits = options.synced_commits;
        store._checkpointer = Some(Checkpointer::start(open_connection(
            path,
            options.vfs.as_deref(),
        )?)?);
        Ok(store)
    }

    /// A private in-memory database (unit tests).
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::init(
            Connection::open_in_memory()?,
            clock,
            key_file::ephemeral_privacy_key(),
        )
    }

    /// The same store with `key` as its privacy key (tests that compare pseudonyms).
    pub fn with_privacy_key(mut self, key: PrivacyKey) -> Self {
        self.privacy = key;
        self
    }

    /// The key of the pseudonyms the store writes in place of addresses and phone numbers.
    pub fn privacy_key(&self) -> &PrivacyKey {
        &self.privacy
    }

    fn init(
        conn: Connection,
        clock: Arc<dyn Clock>,
        privacy: PrivacyKey,
    ) -> Result<Self, StoreError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Savepoint sub-journals and sorts stay in memory (no temp files per message), and
        // a 64 MB page cache keeps hot index pages out of the read path.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Keep prepared statements' plans: without this, the bundled SQLite (STAT4) re-prepares
        // range queries whenever their bound keys change, which dominated the profile.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "busy_timeout", 5000)?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute_batch(SCHEMA)?;
        Self::migrate(&conn)?;
        let head = Self::read_head(&conn)?;
        Ok(Self {
            _checkpointer: None,
            conn: ReentrantMutex::new(RefCell::new(conn)),
            clock,
            privacy,
            head: Mutex::new(head),
            rollbacks: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            synced_commits: false,
            recent: Mutex::new(SinceRollback::default()),
        })
    }

    /// Brings a database written by an earlier version to the current layout, keeping every
    /// queued message and dead letter: deliveries that carried a copy of their event's body
    /// now point at the archived event instead.
    fn migrate(conn: &Connection) -> rusqlite::Result<()> {
        let has_column = |table: &str, column: &str| -> rusqlite::Result<bool> {
            conn.query_row(
                "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
                params![table, column],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
        };
        // Rows of `table` that carried their event's body point at the archived event (the
        // body is archived first if it is not there).
        let point_at_archive = |table: &str, not_null: &str, drop_body: &str| {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE;
                 ALTER TABLE {table} ADD COLUMN event_seq INTEGER {not_null};
                 INSERT INTO events (event_id, detail_type, source, correlation_id, time, body, routed_to)
                   SELECT t.event_id, t.detail_type, '', '', '', t.body, t.agent FROM {table} t
                   WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = t.event_id);
                 UPDATE {table} SET event_seq =
                   (SELECT MAX(seq) FROM events e WHERE e.event_id = {table}.event_id);
                 {drop_body}
                 COMMIT;"
            ))
        };
        if has_column("queue_messages", "body")? {
            point_at_archive(
                "queue_messages",
                "NOT NULL DEFAULT 0",
                "ALTER TABLE queue_messages DROP COLUMN body;",
            )?;
        }
        // Idempotency records used to be items of the `idempotency` domain.
        conn.execute_batch(
            "INSERT OR IGNORE INTO handled (agent, event_id, expires_at)
               SELECT pk, sk, COALESCE(expires_at, 0) FROM items WHERE domain = 'idempotency';
             DELETE FROM items WHERE domain = 'idempotency';",
        )?;
        // Dead letters keep their body (it is listed), and point at the archive for redrive.
        if !has_column("dead_letters", "event_seq")? {
            point_at_archive("dead_letters", "", "")?;
        }
        // Mail's extra headers and attachments (JSON), NULL when it has none.
        if !has_column("mail_outbox", "extra")? {
            conn.execute_batch("ALTER TABLE mail_outbox ADD COLUMN extra TEXT;")?;
        }
        Ok(())
    }

    fn read_head(conn: &Connection) -> rusqlite::Result<AuditHead> {
        Ok(conn
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(AuditHead {
                        seq: r.get::<_, i64>(0)? as u64,
                        hash: r.get(1)?,
                    })
                },
            )
            .optional()?
            .unwrap_or(AuditHead {
                seq: 0,
                hash: audit::GENESIS.to_string(),
            }))
    }

    fn reload_head(&self) {
        let guard = self.lock();
        if let Ok(h) = Self::read_head(&guard.borrow()) {
            *self.head.lock() = h;
        }
    }

    /// Runs `work` inside one transaction holding the store for this thread: everything
    /// written through the store meanwhile commits together (or not at all if `work` fails).
    /// The returned future is not `Send`: run it on one thread.
    pub async fn unit_of_work<T, E: From<rusqlite::Error>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let guard = self.lock();
        if !guard.borrow().is_autocommit() {
            // Nested in a unit of work of this thread: it commits with the outer one.
            return work.await;
        }
        guard
            .borrow()
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| E::from(self.noted(e)))?;
        let mut unit = OpenUnit {
            store: self,
            done: false,
        };
        let out = work.await?;
        guard
            .borrow()
            .execute_batch("COMMIT")
            .map_err(|e| E::from(self.noted(e)))?;
        unit.done = true;
        Ok(out)
    }

    /// Whether this thread is inside a unit of work (nothing it wrote is committed yet).
    pub fn in_unit_of_work(&self) -> bool {
        !self.lock().borrow().is_autocommit()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// How many rollbacks this store has seen (see the field).
    pub fn rollbacks(&self) -> u64 {
        self.rollbacks.load(Ordering::Relaxed)
    }

    pub(crate) fn lock(&self) -> ReentrantMutexGuard<'_, RefCell<Connection>> {
        self.conn.lock()
    }

    /// Runs `f` atomically with audit appends: its own transaction, or a savepoint of the
    /// enclosing unit of work. The in-memory audit head follows only on success.
    ///
    /// Whatever fails — `f`, or the commit itself (a full disk, an I/O error) — everything `f`
    /// wrote is rolled back and the connection is left as it was found, so the next call
    /// starts a transaction of its own (a commit that failed and stayed open would make every
    /// later write nest inside it, and never commit). Opened outside a unit of work on a store
    /// with [`StoreOptions::synced_commits`], the commit is synced to the device before it
    /// returns.
    pub fn write_tx<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let guard = self.lock();
        let conn = guard.borrow();
        let outermost = conn.is_autocommit();
        // The safety level can only change outside a transaction: only an outermost one is
        // synced, and the worker's units keep `NORMAL`.
        let synced = outermost && self.synced_commits;
        if synced {
            conn.pragma_update(None, "synchronous", "FULL")
                .map_err(|e| E::from(self.noted(e)))?;
        }
        let out = self.savepoint_tx(&conn, outermost, f);
        if synced && conn.is_autocommit() {
            let _ = conn.pragma_update(None, "synchronous", "NORMAL");
        }
        out
    }

    fn savepoint_tx<T, E: From<rusqlite::Error>>(
        &self,
        conn: &Connection,
        outermost: bool,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut head_guard = self.head.lock();
        run(conn, "SAVEPOINT tx").map_err(|e| E::from(self.noted(e)))?;
        let mut t = Tx {
            tx: conn,
            head: head_guard.clone(),
            privacy: &self.privacy,
            rollbacks: &self.rollbacks,
            faults: &self.faults,
            recent: &self.recent,
        };
        let result = f(&mut t);
        let head = t.head;
        let failure = match result {
            Ok(out) => match run(conn, "RELEASE tx") {
                Ok(()) => {
                    *head_guard = head;
                    return Ok(out);
                }
                Err(e) => E::from(self.noted(e)),
            },
            Err(e) => e,
        };
        self.rollbacks.fetch_add(1, Ordering::Relaxed);
        if outermost {
            // A failed commit may leave the transaction open (SQLite's advice: roll back
            // explicitly; if SQLite already did, this one fails harmlessly).
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
        } else {
            let _ = run(conn, "ROLLBACK TO tx");
            let _ = run(conn, "RELEASE tx");
        }
        Err(failure)
    }

    /// Counts `e` if it is a storage fault, and hands it back.
    fn noted(&self, e: rusqlite::Error) -> rusqlite::Error {
        if is_storage_fault(&e) {
            self.faults.fetch_add(1, Ordering::Relaxed);
        }
        e
    }

    /// Counts a data-lake error if it is a storage fault, and hands it back.
    fn noted_lake(&self, e: LakeError) -> LakeError {
        note_lake(&self.faults, e)
    }

    /// How many storage faults this store has met (see [`is_storage_fault`]).
    pub fn faults(&self) -> u64 {
        self.faults.load(Ordering::Relaxed)
    }

    /// Writes one small row and commits it (synced, as any transaction outside the worker's
    /// units): whether the store can write again after a fault.
    pub fn probe_write(&self) -> rusqlite::Result<()> {
        let now = self.clock.now().timestamp_millis();
        self.write_tx(|tx| {
            tx.conn()
                .prepare_cached(
                    "INSERT INTO store_probe (id, at) VALUES (1, ?1) \
                     ON CONFLICT(id) DO UPDATE SET at = ?1",
                )?
                .execute([now])?;
            Ok(())
        })
    }

    /// Runs `f` directly in the open unit of work of this thread, without a savepoint of its
    /// own: an error from `f` must abort the unit (propagate it out of `unit_of_work`).
    /// Outside a unit it behaves as [`Store::write_tx`].
    pub fn within_unit<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let guard = self.lock();
        if guard.borrow().is_autocommit() {
            drop(guard);
            return self.write_tx(f);
        }
        let conn = guard.borrow();
        let mut head_guard = self.head.lock();
        let mut t = Tx {
            tx: &conn,
            head: head_guard.clone(),
            privacy: &self.privacy,
            rollbacks: &self.rollbacks,
            faults: &self.faults,
            recent: &self.recent,
        };
        let out = f(&mut t)?;
        *head_guard = t.head;
        Ok(out)
    }

    /// Reads with the connection (status, listings).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let guard = self.lock();
        let conn = guard.borrow();
        f(&conn).map_err(|e| self.noted(e))
    }

    /// Every audit record in order.
    pub fn audit_records(&self) -> rusqlite::Result<Vec<AuditRecord>> {
        let guard = self.lock();
        let conn = guard.borrow();
        let mut st = conn.prepare(AUDIT_IN_ORDER)?;
        let rows = st.query_map([], audit_record)?;
        rows.collect()
    }

    /// Verifies the whole audit chain, reading one record at a time (memory stays flat however
    /// long the log).
    pub fn verify_audit(&self) -> Result<u64, String> {
        let guard = self.lock();
        let conn = guard.borrow();
        let mut st = conn.prepare(AUDIT_IN_ORDER).map_err(|e| e.to_string())?;
        let mut unreadable = None;
        let records = st
            .query_map([], audit_record)
            .map_err(|e| e.to_string())?
            .map_while(|r| r.map_err(|e| unreadable = Some(e)).ok());
        let verified = audit::verify(records).map_err(|b| b.to_string());
        match unreadable {
            Some(e) => Err(format!("cannot read the audit log: {e}")),
            None => verified,
        }
    }

    /// Deletes items whose TTL passed (DynamoDB's TTL sweeper) and idempotency records past
    /// their retention. A periodic sweep, never on a handler's path.
    pub fn purge_expired(&self) -> rusqlite::Result<usize> {
        let now = self.clock.now().timestamp();
        self.read(|c| {
            let items = c.execute(
                "DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                [now],
            )?;
            let handled = c.execute("DELETE FROM handled WHERE expires_at <= ?1", [now])?;
            if items > 0 {
                *self.recent.lock() = SinceRollback::default();
            }
            Ok(items + handled)
        })
    }
}

/// An open write transaction (a savepoint, so it nests inside a unit of work).
pub struct Tx<'c> {
    tx: &'c Connection,
    head: AuditHead,
    privacy: &'c PrivacyKey,
    rollbacks: &'c AtomicU64,
    faults: &'c AtomicU64,
    recent: &'c Mutex<SinceRollback<RecentItems>>,
}

/// Counts a data-lake error in `faults` if it is a storage fault, and hands it back.
fn note_lake(faults: &AtomicU64, e: LakeError) -> LakeError {
    if matches!(e, LakeError::Storage(_)) {
        faults.fetch_add(1, Ordering::Relaxed);
    }
    e
}

fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

impl Tx<'_> {
    pub fn conn(&self) -> &Connection {
        self.tx
    }

    /// Runs `f` inside a savepoint: on error its writes (and audit records) are undone.
    pub fn savepoint<T, E: From<rusqlite::Error>>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let saved_head = self.head.clone();
        run(self.tx, "SAVEPOINT handler").map_err(E::from)?;
        let failure = match f(self) {
            Ok(v) => match run(self.tx, "RELEASE handler") {
                Ok(()) => return Ok(v),
                Err(e) => E::from(e),
            },
            Err(e) => e,
        };
        self.rollbacks.fetch_add(1, Ordering::Relaxed);
        self.head = saved_head;
        run(self.tx, "ROLLBACK TO handler").map_err(E::from)?;
        run(self.tx, "RELEASE handler").map_err(E::from)?;
        Err(failure)
    }

    /// Appends one audit record to the chain, its item and detail pseudonymised
    /// ([`AuditEntry::pseudonymised`]): the chain holds no address or phone number in the clear.
    pub fn audit(&mut self, entry: AuditEntry) -> rusqlite::Result<()> {
        let entry = entry.pseudonymised(self.privacy);
        let seq = self.head.seq + 1;
        let at = audit::audit_time(entry.at);
        let hash = audit::record_hash_at(&self.head.hash, seq, &at, &entry);
        self.tx
            .prepare_cached(
                "INSERT INTO audit (seq, at, actor, action, domain, item, correlation_id, detail, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                seq as i64,
                at,
                entry.actor,
                entry.action,
                entry.domain,
                entry.item,
                entry.correlation_id,
                entry.detail,
                self.head.hash,
                hash,
            ])?;
        self.head = AuditHead { seq, hash };
        Ok(())
    }

    /// Checks `condition` against the item's current row and says what is known of that row:
    /// one look through [`RecentItems`] (reading the database on a miss) when the condition
    /// needs the row, only what the cache holds when it does not.
    fn check_current(
        &self,
        domain: Domain,
        pk: &str,
        sk: &str,
        condition: &Condition,
    ) -> Result<Prior, LakeError> {
        let rollbacks = self.rollbacks.load(Ordering::Relaxed);
        if *condition == Condition::Always {
            let mut recent = self.recent.lock();
            let known = recent
                .current(rollbacks)
                .items
                .get(&RecentItems::key(domain, pk, sk));
            return Ok(known.map_or(Prior::Unknown, |row| Prior::of(row.as_ref())));
        }
        let (holds, prior) = peek_item(self.tx, self.recent, rollbacks, domain, pk, sk, |row| {
            (condition_holds(condition, row), Prior::of(row))
        })
        .map_err(sql)?;
        if holds {
            Ok(prior)
        } else {
            Err(condition_failed(domain, pk, sk, condition))
        }
    }

    /// Checks one write's condition without writing.
    pub fn check(&self, w: &Write) -> Result<(), LakeError> {
        let (domain, (pk, sk)) = (w.domain(), w.key());
        self.check_current(domain, pk, sk, w.condition())
            .map(|_| ())
            .map_err(|e| note_lake(self.faults, e))
    }

    /// Applies one data-lake write, checking its condition. The written row is kept in
    /// [`RecentItems`] (moved there, not copied).
    pub fn apply(&self, w: Write) -> Result<(), LakeError> {
        // A value is stored as its text, as a put of text is.
        let (domain, item, condition) = match w {
            Write::Put {
                domain,
                item,
                condition,
            } => (domain, item.map_data(|d| json_text(&d)), condition),
            Write::PutJson {
                domain,
                item,
                condition,
            } => (domain, item, condition),
            Write::Delete {
                domain,
                pk,
                sk,
                condition,
            } => return self.apply_row(domain, pk, sk, condition, None),
        };
        let row = StoredRow {
            data: item.data,
            gsi1: item.gsi1,
            expires_at: item.expires_at,
        };
        self.apply_row(domain, item.pk, item.sk, condition, Some(row))
    }

    /// Writes (or, with no row, deletes) one item after checking its condition, and keeps the
    /// row in [`RecentItems`].
    fn apply_row(
        &self,
        domain: Domain,
        pk: String,
        sk: String,
        condition: Condition,
        row: Option<StoredRow>,
    ) -> Result<(), LakeError> {
        let change = RowChange {
            domain,
            pk: &pk,
            sk: &sk,
            condition: &condition,
            row: row.as_ref(),
        };
        apply_write(self.tx, &change, |d, p, s, c| {
            self.check_current(d, p, s, c)
        })
        .map_err(|e| note_lake(self.faults, e))?;
        self.recent
            .lock()
            .current(self.rollbacks.load(Ordering::Relaxed))
            .remember(RecentItems::key(domain, &pk, &sk), row);
        Ok(())
    }

    /// Whether `agent` handled `event_id` already (an idempotency record exists).
    pub fn was_handled(&self, agent: &str, event_id: &str) -> rusqlite::Result<bool> {
        self.tx
            .prepare_cached("SELECT 1 FROM handled WHERE agent = ?1 AND event_id = ?2")?
            .exists(params![agent, event_id])
    }

    /// Records that `agent` handled `event_id` (kept until `expires_at`, Unix seconds), in this
    /// transaction. `false`: it was recorded already (a duplicate delivery).
    pub fn record_handled(
        &self,
        agent: &str,
        event_id: &str,
        expires_at: i64,
    ) -> rusqlite::Result<bool> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO handled (agent, event_id, expires_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![agent, event_id, expires_at]);
        match inserted {
            Err(e) if is_constraint_violation(&e) => Ok(false),
            other => other.map(|_| true),
        }
    }
}

fn read_item(
    conn: &Connection,
    domain: Domain,
    pk: &str,
    sk: &str,
) -> rusqlite::Result<Option<StoredRow>> {
    conn.prepare_cached(
        "SELECT gsi1pk, gsi1sk, expires_at, data FROM items WHERE domain = ?1 AND pk = ?2 AND sk = ?3",
    )?
    .query_row(params![domain.as_str(), pk, sk], |r| {
        let gpk: Option<String> = r.get(0)?;
        let gsk: Option<String> = r.get(1)?;
        Ok(StoredRow {
            gsi1: gpk.map(|pk| IndexKey {
                pk,
                sk: gsk.unwrap_or_default(),
            }),
            expires_at: r.get(2)?,
            data: r.get(3)?,
        })
    })
    .optional()
}

/// Looks at one item through [`RecentItems`] without copying it: `look` sees it borrowed.
fn peek_item<R>(
    conn: &Connection,
    recent: &Mutex<SinceRollback<RecentItems>>,
    rollbacks: u64,
    domain: Domain,
    pk: &str,
    sk: &str,
    look: impl FnOnce(Option<&StoredRow>) -> R,
) -> rusqlite::Result<R> {
    let key = RecentItems::key(domain, pk, sk);
    let mut held = recent.lock();
    if let Some(item) = held.current(rollbacks).items.get(&key) {
        return Ok(look(item.as_ref()));
    }
    drop(held);
    let item = read_item(conn, domain, pk, sk)?;
    let out = look(item.as_ref());
    recent.lock().current(rollbacks).remember(key, item);
    Ok(out)
}

fn is_constraint_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

/// Whether an item's current row (`None`: there is none) satisfies `condition`.
fn condition_holds(condition: &Condition, row: Option<&StoredRow>) -> bool {
    match condition {
        Condition::Always => true,
        Condition::NotExists => row.is_none(),
        Condition::Exists => row.is_some(),
        Condition::FieldEquals { field, value } => {
            row.is_some_and(|r| top_level_field(&r.data, field).as_ref() == Some(value))
        }
    }
}

/// The value of `field` in the JSON object `json`, parsing nothing else: every other member
/// is only skipped over (a version check reads one number of a large record). `None` if the
/// object has no such member or the text is not an object.
fn top_level_field(json: &str, field: &str) -> Option<serde_json::Value> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    use std::fmt;

    /// A member's key, compared with the wanted one (borrowed from the text when it can be).
    struct KeyIs<'f>(&'f str);
    impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl Visitor<'_> for KeyIs<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a member name")
        }
        fn visit_str<E>(self, key: &str) -> Result<bool, E> {
            Ok(key == self.0)
        }
    }
    /// The object: the wanted member parsed (the last, should it repeat, as `Value` keeps),
    /// the others skipped.
    struct Member<'f>(&'f str);
    impl<'de> DeserializeSeed<'de> for Member<'_> {
        type Value = Option<serde_json::Value>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Member<'_> {
        type Value = Option<serde_json::Value>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(wanted) = map.next_key_seed(KeyIs(self.0))? {
                if wanted {
                    found = Some(map.next_value()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    Member(field)
        .deserialize(&mut serde_json::Deserializer::from_str(json))
        .ok()
        .flatten()
}

fn condition_failed(domain: Domain, pk: &str, sk: &str, condition: &Condition) -> LakeError {
    LakeError::ConditionFailed {
        domain: domain.as_str().into(),
        pk: pk.into(),
        sk: sk.into(),
        condition: format!("{condition:?}"),
    }
}

/// An item's data as stored: JSON text, written straight into a buffer (`Value`'s `Display`
/// goes through the formatting machinery, measurably slower on every write).
fn json_text(data: &serde_json::Value) -> String {
    serde_json::to_string(data).expect("a JSON value always serialises")
}

/// What the writer knows of the row a put replaces.
pub(crate) enum Prior {
    Unknown,
    Absent,
    /// Present, with these index keys.
    Present {
        gsi1: Option<IndexKey>,
        expires_at: Option<i64>,
    },
}

impl Prior {
    /// From a row seen (`None`: known to be absent).
    fn of(row: Option<&StoredRow>) -> Self {
        match row {
            None => Prior::Absent,
            Some(r) => Prior::Present {
                gsi1: r.gsi1.clone(),
                expires_at: r.expires_at,
            },
        }
    }
}

/// One write as the `items` table takes it: the key, the condition and, for a put, the row.
pub(crate) struct RowChange<'w> {
    domain: Domain,
    pk: &'w str,
    sk: &'w str,
    condition: &'w Condition,
    /// `None`: a delete.
    row: Option<&'w StoredRow>,
}

/// Writes `w` after `check` (domain, key, condition) passed and said what it knows of the
/// row; a `NotExists` put is checked by the insert itself. That knowledge picks the cheapest
/// statement: a row known to be there with the same index keys has only its data overwritten
/// (no index touched), one known absent is inserted, anything else replaced.
pub(crate) fn apply_write(
    conn: &Connection,
    w: &RowChange<'_>,
    check: impl FnOnce(Domain, &str, &str, &Condition) -> Result<Prior, LakeError>,
) -> Result<(), LakeError> {
    let RowChange {
        domain,
        pk,
        sk,
        condition,
        row,
    } = *w;
    let Some(row) = row else {
        check(domain, pk, sk, condition)?;
        conn.prepare_cached("DELETE FROM items WHERE domain = ?1 AND pk = ?2 AND sk = ?3")
            .map_err(sql)?
            .execute(params![domain.as_str(), pk, sk])
            .map_err(sql)?;
        return Ok(());
    };
    // `NotExists` is the insert itself failing on the primary key: one statement instead of a
    // read and a write. As in DynamoDB, an expired item not yet swept still exists.
    const INSERT: &str = "INSERT INTO items (domain, pk, sk, gsi1pk, gsi1sk, expires_at, data) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    const REPLACE: &str = "INSERT OR REPLACE INTO items (domain, pk, sk, gsi1pk, gsi1sk, expires_at, data) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    let sql_text = if *condition == Condition::NotExists {
        INSERT
    } else {
        match check(domain, pk, sk, condition)? {
            Prior::Present { gsi1, expires_at }
                if gsi1 == row.gsi1 && expires_at == row.expires_at =>
            {
                conn.prepare_cached(
                    "UPDATE items SET data = ?4 WHERE domain = ?1 AND pk = ?2 AND sk = ?3",
                )
                .map_err(sql)?
                .execute(params![domain.as_str(), pk, sk, row.data])
                .map_err(sql)?;
                return Ok(());
            }
            Prior::Absent => INSERT,
            _ => REPLACE,
        }
    };
    let result = conn.prepare_cached(sql_text).map_err(sql)?.execute(params![
        domain.as_str(),
        pk,
        sk,
        row.gsi1.as_ref().map(|g| g.pk.as_str()),
        row.gsi1.as_ref().map(|g| g.sk.as_str()),
        row.expires_at,
        row.data,
    ]);
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_constraint_violation(&e) => Err(condition_failed(domain, pk, sk, condition)),
        Err(e) => Err(sql(e)),
    }
}

/// Runs a query, showing each row (`pk, sk, gsi1pk, gsi1sk, expires_at, data`) to `each`.
fn query_rows(
    conn: &Connection,
    domain: Domain,
    q: &Query,
    now_unix: i64,
    each: &mut dyn FnMut(&rusqlite::Row<'_>) -> Result<(), LakeError>,
) -> Result<(), LakeError> {
    let (pkcol, skcol) = match q.index.as_deref() {
        None => ("pk", "sk"),
        Some(INDEX_GSI1) => ("gsi1pk", "gsi1sk"),
        Some(other) => return Err(LakeError::UnknownIndex(other.into())),
    };
    let mut sqltext = format!(
        "SELECT pk, sk, gsi1pk, gsi1sk, expires_at, data FROM items WHERE domain = ?1 AND {pkcol} = ?2 \
         AND (expires_at IS NULL OR expires_at > ?3)"
    );
    let mut args: Vec<String> = Vec::new();
    match &q.sort {
        None => {}
        Some(SortKey::BeginsWith(p)) => {
            // Range form so the index is used: [p, p + U+10FFFF).
            sqltext.push_str(&format!(" AND {skcol} >= ?4 AND {skcol} < ?5"));
            args.push(p.clone());
            args.push(format!("{p}\u{10FFFF}"));
        }
        Some(SortKey::Between(a, b)) => {
            sqltext.push_str(&format!(" AND {skcol} BETWEEN ?4 AND ?5"));
            args.push(a.clone());
            args.push(b.clone());
        }
        Some(SortKey::AtMost(a)) => {
            sqltext.push_str(&format!(" AND {skcol} <= ?4"));
            args.push(a.clone());
        }
        Some(SortKey::AtLeast(a)) => {
            sqltext.push_str(&format!(" AND {skcol} >= ?4"));
            args.push(a.clone());
        }
    }
    sqltext.push_str(&format!(
        " ORDER BY {skcol} {}",
        if q.descending { "DESC" } else { "ASC" }
    ));
    if let Some(n) = q.limit {
        sqltext.push_str(&format!(" LIMIT {n}"));
    }
    let mut st = conn.prepare_cached(&sqltext).map_err(sql)?;
    let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&"", &q.pk, &now_unix];
    let d = domain.as_str();
    bound[0] = &d;
    for a in &args {
        bound.push(a);
    }
    let mut rows = st.query(bound.as_slice()).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        each(r)?;
    }
    Ok(())
}

/// A query's items, parsed.
pub(crate) fn run_query(
    conn: &Connection,
    domain: Domain,
    q: &Query,
    now_unix: i64,
) -> Result<Vec<Item>, LakeError> {
    let mut items = Vec::new();
    query_rows(conn, domain, q, now_unix, &mut |r| {
        let item = (|| {
            let gpk: Option<String> = r.get(2)?;
            let gsk: Option<String> = r.get(3)?;
            let data: &str = r.get_ref(5)?.as_str()?;
            Ok::<_, rusqlite::Error>(Item {
                pk: r.get(0)?,
                sk: r.get(1)?,
                gsi1: gpk.map(|pk| IndexKey {
                    pk,
                    sk: gsk.unwrap_or_default(),
                }),
                expires_at: r.get(4)?,
                data: serde_json::from_str(data).unwrap_or(serde_json::Value::Null),
            })
        })()
        .map_err(sql)?;
        items.push(item);
        Ok(())
    })?;
    Ok(items)
}

#[async_trait]
impl DataLake for Store {
    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Item>, LakeError> {
        let now = self.clock.now().timestamp();
        let item = self
            .read(|c| {
                peek_item(c, &self.recent, self.rollbacks(), domain, pk, sk, |r| {
                    r.map(|r| r.to_item(pk, sk))
                })
            })
            .map_err(sql)?;
        Ok(item.filter(|i| i.is_live(now)))
    }

    async fn get_with(
        &self,
        domain: Domain,
        pk: &str,
        sk: &str,
        look: &mut (dyn for<'i> FnMut(Option<ItemRow<'i>>) + Send),
    ) -> Result<(), LakeError> {
        let now = self.clock.now().timestamp();
        self.read(|c| {
            peek_item(c, &self.recent, self.rollbacks(), domain, pk, sk, |r| {
                look(r.map(|r| r.view(pk, sk)).filter(|r| r.is_live(now)))
            })
        })
        .map_err(sql)
    }

    async fn query(&self, domain: Domain, query: &Query) -> Result<Vec<Item>, LakeError> {
        let now = self.clock.now().timestamp();
        let guard = self.lock();
        let conn = guard.borrow();
        run_query(&conn, domain, query, now).map_err(|e| self.noted_lake(e))
    }

    /// Hands each row's JSON text over as read, unparsed.
    async fn query_with(
        &self,
        domain: Domain,
        query: &Query,
        each: &mut (dyn for<'i> FnMut(ItemRow<'i>) -> Result<(), LakeError> + Send),
    ) -> Result<(), LakeError> {
        let now = self.clock.now().timestamp();
        let guard = self.lock();
        let conn = guard.borrow();
        query_rows(&conn, domain, query, now, &mut |r| {
            let text = |i: usize| -> Result<&str, LakeError> {
                r.get_ref(i)
                    .and_then(|v| v.as_str().map_err(rusqlite::Error::from))
                    .map_err(sql)
            };
            each(ItemRow::Json {
                pk: text(0)?,
                sk: text(1)?,
                expires_at: r.get(4).map_err(sql)?,
                data: text(5)?,
            })
        })
        .map_err(|e| self.noted_lake(e))
    }

    async fn transact(&self, writes: &[Write]) -> Result<(), LakeError> {
        /// A transaction's failure: SQLite's or a write's condition.
        enum Failed {
            Sql(rusqlite::Error),
            Lake(LakeError),
        }
        impl From<rusqlite::Error> for Failed {
            fn from(e: rusqlite::Error) -> Self {
                Failed::Sql(e)
            }
        }
        self.write_tx(|tx| {
            for w in writes {
                tx.apply(w.clone()).map_err(Failed::Lake)?;
            }
            Ok(())
        })
        .map_err(|e| match e {
            Failed::Sql(e) => sql(e),
            Failed::Lake(e) => e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::ports::{JsonItem, ManualClock};
    use futures::executor::block_on;
    use serde_json::json;

    fn store() -> (Store, ManualClock) {
        let clock = ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap());
        (Store::in_memory(Arc::new(clock.clone())).unwrap(), clock)
    }

    fn put(item: Item, condition: Condition) -> Write {
        Write::Put {
            domain: Domain::Customer,
            item,
            condition,
        }
    }

    #[test]
    fn get_with_shows_the_live_item_as_get_returns_it() {
        let (s, clock) = store();
        let soon = clock.now().timestamp() + 60;
        let item = Item::new("lead#1", "profile", json!({"v": 1})).expiring_at(soon);
        block_on(s.transact(&[put(item.clone(), Condition::Always)])).unwrap();
        let seen = |s: &Store| {
            let mut seen = None;
            block_on(s.get_with(Domain::Customer, "lead#1", "profile", &mut |r| {
                seen = r.map(|r| {
                    let data: serde_json::Value = r.parse().unwrap();
                    (r.pk().to_string(), r.sk().to_string(), data)
                })
            }))
            .unwrap();
            seen
        };
        let fields = |i: &Item| (i.pk.clone(), i.sk.clone(), i.data.clone());
        assert_eq!(seen(&s), Some(fields(&item)));
        assert_eq!(
            seen(&s),
            block_on(s.get(Domain::Customer, "lead#1", "profile"))
                .unwrap()
                .as_ref()
                .map(fields)
        );
        // Past its TTL (not swept yet) it is gone for readers, as in DynamoDB reads here.
        clock.set(clock.now() + chrono::Duration::seconds(61));
        assert_eq!(seen(&s), None);
        assert_eq!(
            block_on(s.get(Domain::Customer, "lead#1", "profile")).unwrap(),
            None
        );
    }

    #[test]
    fn query_with_hands_over_the_rows_query_returns_as_text() {
        let (s, clock) = store();
        let now = clock.now().timestamp();
        let items = [
            Item::new("acct#1", "invoice#1", json!({"n": 1, "to": "Ada"})),
            Item::new("acct#1", "invoice#2", json!({"n": 2})).expiring_at(now + 60),
            Item::new("acct#1", "invoice#3", json!({"n": 3})).expiring_at(now + 5),
            Item::new("acct#1", "note#1", json!({"n": 4})),
            Item::new("acct#2", "invoice#1", json!({"n": 5})),
        ];
        let writes: Vec<_> = items
            .iter()
            .map(|i| Write::Put {
                domain: Domain::Financial,
                item: i.clone(),
                condition: Condition::Always,
            })
            .collect();
        block_on(s.transact(&writes)).unwrap();
        clock.set(clock.now() + chrono::Duration::seconds(10)); // invoice#3 is past its TTL
        let q = Query::table("acct#1").sort(SortKey::BeginsWith("invoice#".into()));
        let mut seen = Vec::new();
        block_on(s.query_with(Domain::Financial, &q, &mut |row| {
            assert!(
                matches!(row, ItemRow::Json { .. }),
                "the store hands text over"
            );
            let data: serde_json::Value = row.parse()?;
            seen.push((row.pk().to_string(), row.sk().to_string(), data));
            Ok(())
        }))
        .unwrap();
        let queried: Vec<_> = block_on(s.query(Domain::Financial, &q))
            .unwrap()
            .into_iter()
            .map(|i| (i.pk, i.sk, i.data))
            .collect();
        assert_eq!(seen, queried);
        assert_eq!(
            seen.iter()
                .map(|(_, sk, _)| sk.as_str())
                .collect::<Vec<_>>(),
            ["invoice#1", "invoice#2"]
        );
        // `each` can stop the query: its error is the query's.
        let stopped = block_on(s.query_with(Domain::Financial, &q, &mut |row| {
            Err(LakeError::Corrupt(format!("stop at {}", row.sk())))
        }));
        assert!(matches!(stopped, Err(LakeError::Corrupt(m)) if m == "stop at invoice#1"));
    }

    #[test]
    fn rewriting_a_known_item_keeps_its_indexes_right() {
        let (s, _) = store();
        let by_index = |pk: &str| {
            block_on(s.query(Domain::Customer, &Query::gsi1(pk)))
                .unwrap()
                .into_iter()
                .map(|i| i.data)
                .collect::<Vec<_>>()
        };
        let item = |v: i64, index: &str| {
            Item::new("lead#1", "profile", json!({"v": v})).with_index(index, "x")
        };
        let write = |w: Write| block_on(s.transact(&[w])).unwrap();
        write(put(item(1, "hot"), Condition::NotExists));
        // The same index keys (data only), then new ones, then no index and a TTL: each time
        // the cache knows the row, and each time the indexes follow.
        write(put(item(2, "hot"), Condition::Exists));
        assert_eq!(by_index("hot"), [json!({"v": 2})]);
        write(put(item(3, "warm"), Condition::Always));
        assert!(by_index("hot").is_empty());
        assert_eq!(by_index("warm"), [json!({"v": 3})]);
        let plain = Item::new("lead#1", "profile", json!({"v": 4})).expiring_at(1);
        write(put(plain, Condition::Always));
        assert!(by_index("warm").is_empty());
        assert_eq!(s.purge_expired().unwrap(), 1);
        // Known absent after a delete: inserted again.
        write(put(item(5, "hot"), Condition::Always));
        write(Write::Delete {
            domain: Domain::Customer,
            pk: "lead#1".into(),
            sk: "profile".into(),
            condition: Condition::Exists,
        });
        write(put(item(6, "hot"), Condition::Always));
        assert_eq!(by_index("hot"), [json!({"v": 6})]);
        assert_eq!(
            block_on(s.get(Domain::Customer, "lead#1", "profile"))
                .unwrap()
                .map(|i| i.data),
            Some(json!({"v": 6}))
        );
    }

    #[test]
    fn a_field_condition_reads_only_the_member_it_names() {
        let text = r#"{"name":"A \"quoted\" name","nested":{"version":9},"list":[1,{"version":8}],"version":3}"#;
        assert_eq!(top_level_field(text, "version"), Some(json!(3)));
        assert_eq!(top_level_field(text, "nested"), Some(json!({"version": 9})));
        assert_eq!(top_level_field(text, "missing"), None);
        // Escaped member names are compared unescaped.
        assert_eq!(
            top_level_field(r#"{"ver\u0073ion":4}"#, "version"),
            Some(json!(4))
        );
        assert_eq!(top_level_field("[1,2]", "version"), None);
        assert_eq!(top_level_field("not json", "version"), None);
    }

    #[test]
    fn a_put_of_json_text_reads_and_conditions_as_the_same_put_of_a_value() {
        let (s, _) = store();
        let value = Item::new("lead#1", "profile", json!({"v": 1, "name": "Ada"}))
            .with_index("company#boreal", "lead#1");
        let text = |pk: &str, v: i64| Write::PutJson {
            domain: Domain::Customer,
            item: JsonItem::of(pk, "profile", &json!({"v": v, "name": "Ada"}))
                .unwrap()
                .with_index("company#boreal", pk),
            condition: Condition::NotExists,
        };
        block_on(s.transact(&[put(value.clone(), Condition::NotExists)])).unwrap();
        block_on(s.transact(&[text("lead#2", 1)])).unwrap();
        // A second conditional insert of the text is refused like one of the value.
        assert!(matches!(
            block_on(s.transact(&[text("lead#2", 1)])),
            Err(LakeError::ConditionFailed { .. })
        ));
        let get = |pk: &str| {
            block_on(s.get(Domain::Customer, pk, "profile"))
                .unwrap()
                .unwrap()
        };
        let (a, b) = (get("lead#1"), get("lead#2"));
        let index_pk = |i: &Item| i.gsi1.as_ref().map(|g| g.pk.clone());
        assert_eq!(
            (&b.data, index_pk(&b), b.expires_at),
            (&a.data, index_pk(&a), a.expires_at)
        );
        assert_eq!(b.gsi1.map(|g| g.sk), Some("lead#2".into()));
        let by_index: Vec<Item> =
            block_on(s.query(Domain::Customer, &Query::gsi1("company#boreal"))).unwrap();
        assert_eq!(by_index.len(), 2);
        assert_eq!(by_index[0].data, by_index[1].data);
        // A field condition reads the stored text: held in memory, then (after a rollback
        // emptied that) from the database.
        let bump = |v: i64, expected: i64| {
            let mut w = text("lead#2", v);
            if let Write::PutJson { condition, .. } = &mut w {
                *condition = Condition::FieldEquals {
                    field: "v".into(),
                    value: json!(expected),
                };
            }
            w
        };
        assert!(block_on(s.transact(&[bump(2, 5)])).is_err());
        block_on(s.transact(&[bump(2, 1)])).unwrap();
        block_on(s.transact(&[bump(3, 2)])).unwrap();
        assert_eq!(get("lead#2").data["v"], json!(3));
        let mut parsed = None;
        block_on(s.get_with(Domain::Customer, "lead#2", "profile", &mut |r| {
            parsed = r.map(|r| r.parse::<serde_json::Value>().unwrap())
        }))
        .unwrap();
        assert_eq!(parsed, Some(json!({"v": 3, "name": "Ada"})));
    }

    #[test]
    fn conditional_writes_and_transactions_are_atomic() {
        let (s, _) = store();
        let a = Item::new("lead#1", "profile", json!({"v": 1}));
        block_on(s.transact(&[put(a.clone(), Condition::NotExists)])).unwrap();
        let again = block_on(s.transact(&[put(a.clone(), Condition::NotExists)]));
        assert!(matches!(again, Err(LakeError::ConditionFailed { .. })));
        // Second write's condition fails: the first is rolled back too.
        let b = Item::new("lead#2", "profile", json!({"v": 1}));
        let r = block_on(s.transact(&[
            put(b.clone(), Condition::Always),
            put(
                a.clone(),
                Condition::FieldEquals {
                    field: "v".into(),
                    value: json!(2),
                },
            ),
        ]));
        assert!(r.is_err());
        assert!(
            block_on(s.get(Domain::Customer, "lead#2", "profile"))
                .unwrap()
                .is_none()
        );
        block_on(s.transact(&[put(
            Item::new("lead#1", "profile", json!({"v": 2})),
            Condition::FieldEquals {
                field: "v".into(),
                value: json!(1),
            },
        )]))
        .unwrap();
        let got = block_on(s.get(Domain::Customer, "lead#1", "profile"))
            .unwrap()
            .unwrap();
        assert_eq!(got.data, json!({"v": 2}));
    }

    #[test]
    fn queries_by_prefix_range_and_index_and_ttl() {
        let (s, clock) = store();
        let writes: Vec<Write> = (1..=5)
            .map(|i| {
                put(
                    Item::new("acct#1", format!("invoice#2026-01-0{i}"), json!({"i": i}))
                        .with_index("open-invoices", format!("2026-02-0{i}")),
                    Condition::Always,
                )
            })
            .chain([put(
                Item::new("acct#1", "profile", json!({})).expiring_at(clock.now().timestamp() + 60),
                Condition::Always,
            )])
            .collect();
        block_on(s.transact(&writes)).unwrap();
        let q = Query::table("acct#1").sort(SortKey::BeginsWith("invoice#".into()));
        assert_eq!(block_on(s.query(Domain::Customer, &q)).unwrap().len(), 5);
        let q = Query::gsi1("open-invoices").sort(SortKey::AtMost("2026-02-03".into()));
        let due = block_on(s.query(Domain::Customer, &q)).unwrap();
        assert_eq!(
            due.iter()
                .map(|i| i.data["i"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        let q = Query::table("acct#1").descending().limit(2);
        let last = block_on(s.query(Domain::Customer, &q)).unwrap();
        assert_eq!(last[0].sk, "profile");
        // Other domains are separate tables.
        assert!(
            block_on(s.query(Domain::Financial, &Query::table("acct#1")))
                .unwrap()
                .is_empty()
        );
        // TTL: invisible once expired, then purged.
        assert!(
            block_on(s.get(Domain::Customer, "acct#1", "profile"))
                .unwrap()
                .is_some()
        );
        clock.advance(chrono::Duration::seconds(61));
        assert!(
            block_on(s.get(Domain::Customer, "acct#1", "profile"))
                .unwrap()
                .is_none()
        );
        assert_eq!(s.purge_expired().unwrap(), 1);
        assert!(matches!(
            block_on(s.query(
                Domain::Customer,
                &Query {
                    index: Some("nope".into()),
                    ..Query::table("x")
                }
            )),
            Err(LakeError::UnknownIndex(_))
        ));
    }

    /// A database made with the items table ordered by key (before 2026-12) keeps it, and
    /// every read and write works on it as on the new layout.
    #[test]
    fn both_layouts_of_the_items_table_serve_the_same_reads_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap());
        let old = dir.path().join("old.db");
        Connection::open(&old)
            .unwrap()
            .execute_batch(
                "CREATE TABLE items (
                    domain TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL,
                    gsi1pk TEXT, gsi1sk TEXT, expires_at INTEGER, data TEXT NOT NULL,
                    PRIMARY KEY (domain, pk, sk)
                ) WITHOUT ROWID;",
            )
            .unwrap();
        let mut seen = Vec::new();
        for path in [old, dir.path().join("new.db")] {
            let s = Store::open(&path, Arc::new(clock.clone())).unwrap();
            let item = |sk: &str, v: i64| {
                Item::new("acct#1", sk, json!({"v": v})).with_index("open", format!("{v:03}"))
            };
            let put = |i: Item, c: Condition| Write::Put {
                domain: Domain::Financial,
                item: i,
                condition: c,
            };
            let w = |ws: Vec<Write>| block_on(s.transact(&ws));
            w(vec![
                put(item("invoice#1", 1), Condition::NotExists),
                put(item("invoice#2", 2), Condition::NotExists),
                put(item("invoice#3", 3), Condition::NotExists),
            ])
            .unwrap();
            // A second insert of the same key is refused; a rewrite and a delete go through.
            assert!(matches!(
                w(vec![put(item("invoice#1", 9), Condition::NotExists)]),
                Err(LakeError::ConditionFailed { .. })
            ));
            w(vec![put(item("invoice#2", 20), Condition::Exists)]).unwrap();
            w(vec![Write::Delete {
                domain: Domain::Financial,
                pk: "acct#1".into(),
                sk: "invoice#3".into(),
                condition: Condition::Exists,
            }])
            .unwrap();
            let by_key = block_on(s.query(
                Domain::Financial,
                &Query::table("acct#1").sort(SortKey::BeginsWith("invoice#".into())),
            ))
            .unwrap();
            let by_index = block_on(s.query(Domain::Financial, &Query::gsi1("open"))).unwrap();
            let layout: String = s
                .read(|c| {
                    c.query_row(
                        "SELECT sql FROM sqlite_schema WHERE name = 'items'",
                        [],
                        |r| r.get(0),
                    )
                })
                .unwrap();
            seen.push((by_key, by_index, layout.contains("WITHOUT ROWID")));
        }
        assert_eq!(seen[0].0, seen[1].0);
        assert_eq!(seen[0].1, seen[1].1);
        assert_eq!(
            seen[1]
                .0
                .iter()
                .map(|i| i.data["v"].clone())
                .collect::<Vec<_>>(),
            [json!(1), json!(20)]
        );
        assert_eq!(
            (seen[0].2, seen[1].2),
            (true, false),
            "old keeps its layout, new is by rowid"
        );
    }

    #[test]
    fn audit_is_a_verifiable_append_only_chain() {
        let (s, clock) = store();
        let entry = |i: u32| AuditEntry {
            at: clock.now(),
            actor: "billing".into(),
            action: "put".into(),
            domain: "financial".into(),
            item: format!("inv#{i}"),
            correlation_id: None,
            detail: String::new(),
        };
        s.write_tx(|tx| -> rusqlite::Result<()> {
            tx.audit(entry(1))?;
            tx.audit(entry(2))
        })
        .unwrap();
        // A failed savepoint leaves no trace and does not advance the head.
        s.write_tx(|tx| -> rusqlite::Result<()> {
            let _ = tx.savepoint(|tx| -> rusqlite::Result<()> {
                tx.audit(entry(99))?;
                Err(rusqlite::Error::InvalidQuery)
            });
            tx.audit(entry(3))
        })
        .unwrap();
        assert_eq!(s.verify_audit(), Ok(3));
        let upd = s.read(|c| c.execute("UPDATE audit SET detail = 'x' WHERE seq = 2", []));
        assert!(upd.unwrap_err().to_string().contains("append-only"));
        let del = s.read(|c| c.execute("DELETE FROM audit", []));
        assert!(del.is_err());
        // Tampering behind the trigger's back is still caught by the chain.
        s.read(|c| {
            c.execute_batch(
                "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'x' WHERE seq = 2;",
            )
        })
        .unwrap();
        assert!(s.verify_audit().unwrap_err().contains("record 2"));
        // A record that cannot even be read (a hash made bytes) is reported, not skipped.
        s.read(|c| c.execute("UPDATE audit SET hash = x'07' WHERE seq = 3", []))
            .unwrap();
        s.read(|c| c.execute("UPDATE audit SET detail = '' WHERE seq = 2", []))
            .unwrap();
        let err = s.verify_audit().unwrap_err();
        assert!(err.contains("cannot read the audit log"), "{err}");
    }

    #[test]
    fn file_store_reopens_with_its_data_and_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/twin.db");
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(chrono::Utc::now()));
        {
            let s = Store::open(&path, clock.clone()).unwrap();
            block_on(s.transact(&[put(Item::new("a", "b", json!(1)), Condition::Always)])).unwrap();
            s.write_tx(|tx| {
                tx.audit(AuditEntry {
                    at: clock.now(),
                    actor: "t".into(),
                    action: "put".into(),
                    domain: "customer".into(),
                    item: "a/b".into(),
                    correlation_id: None,
                    detail: String::new(),
                })
            })
            .unwrap();
        }
        let s = Store::open(&path, clock).unwrap();
        assert!(
            block_on(s.get(Domain::Customer, "a", "b"))
                .unwrap()
                .is_some()
        );
        assert_eq!(s.verify_audit(), Ok(1));
        let mode: String = s
            .read(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
        let page_size: i64 = s
            .read(|c| c.query_row("PRAGMA page_size", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(page_size, 16_384);
    }
}
