//! Ports: the small traits agent logic and the runtime stand on. AWS adapters and embedded
//! adapters implement them; domain code never sees which.

use crate::agent::Domain;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// Name of the one secondary index every domain table has.
pub const INDEX_GSI1: &str = "gsi1";

/// Secondary-index key of an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

/// An item of the data lake: DynamoDB's shape (partition key, sort key, attributes). The
/// attributes are a JSON value, or JSON text already ([`JsonItem`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item<D = Value> {
    pub pk: String,
    pub sk: String,
    /// Optional `gsi1` key, for access patterns other than the primary key.
    #[serde(default)]
    pub gsi1: Option<IndexKey>,
    /// Unix seconds after which the item is gone (DynamoDB TTL).
    #[serde(default)]
    pub expires_at: Option<i64>,
    pub data: D,
}

/// An item whose attributes are JSON text already (a JSON object): a typed record serialised
/// once, straight to text ([`crate::context::Ctx::put_record`]), with no [`Value`] built on the
/// way. A store that keeps JSON text writes it as it is; one that needs a value parses it
/// ([`JsonItem::to_item`]).
pub type JsonItem = Item<String>;

impl<D> Item<D> {
    pub fn with_index(mut self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.gsi1 = Some(IndexKey {
            pk: pk.into(),
            sk: sk.into(),
        });
        self
    }
    pub fn expiring_at(mut self, unix_seconds: i64) -> Self {
        self.expires_at = Some(unix_seconds);
        self
    }
    pub fn is_live(&self, now_unix: i64) -> bool {
        live_at(self.expires_at, now_unix)
    }
    /// The same item with its attributes turned into another form (a value into text, say).
    pub fn map_data<E>(self, f: impl FnOnce(D) -> E) -> Item<E> {
        Item {
            pk: self.pk,
            sk: self.sk,
            gsi1: self.gsi1,
            expires_at: self.expires_at,
            data: f(self.data),
        }
    }
}

impl Item {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>, data: Value) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
            gsi1: None,
            expires_at: None,
            data,
        }
    }
    /// Deserialises `data` into a typed record (from a borrow: no copy of the attributes).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, LakeError> {
        T::deserialize(&self.data).map_err(|e| unparsable(&self.pk, &self.sk, e))
    }
}

impl JsonItem {
    /// Serialises `record` as the item's attributes.
    pub fn of<T: Serialize>(pk: &str, sk: &str, record: &T) -> Result<Self, serde_json::Error> {
        Ok(Self {
            pk: pk.to_string(),
            sk: sk.to_string(),
            gsi1: None,
            expires_at: None,
            data: serde_json::to_string(record)?,
        })
    }
    pub fn row(&self) -> ItemRow<'_> {
        ItemRow::Json {
            pk: &self.pk,
            sk: &self.sk,
            expires_at: self.expires_at,
            data: &self.data,
        }
    }
    /// The same item with its attributes parsed.
    pub fn to_item(&self) -> Result<Item, LakeError> {
        Ok(Item {
            pk: self.pk.clone(),
            sk: self.sk.clone(),
            gsi1: self.gsi1.clone(),
            expires_at: self.expires_at,
            data: self.row().parse()?,
        })
    }
}

/// Whether an item expiring at `expires_at` (Unix seconds) is still there at `now_unix`.
fn live_at(expires_at: Option<i64>, now_unix: i64) -> bool {
    expires_at.is_none_or(|t| t > now_unix)
}

/// An item whose data is not the record its reader expects.
fn unparsable(pk: &str, sk: &str, e: serde_json::Error) -> LakeError {
    LakeError::Corrupt(format!(
        "item {}/{} does not parse: {}",
        crate::redact::key(pk),
        crate::redact::key(sk),
        crate::redact::serde_message(&e.to_string())
    ))
}

/// One item as a query finds it: parsed, or its data still JSON text.
#[derive(Clone, Copy, Debug)]
pub enum ItemRow<'i> {
    Item(&'i Item),
    Json {
        pk: &'i str,
        sk: &'i str,
        expires_at: Option<i64>,
        data: &'i str,
    },
}

impl ItemRow<'_> {
    pub fn pk(&self) -> &str {
        match self {
            ItemRow::Item(i) => &i.pk,
            ItemRow::Json { pk, .. } => pk,
        }
    }
    pub fn sk(&self) -> &str {
        match self {
            ItemRow::Item(i) => &i.sk,
            ItemRow::Json { sk, .. } => sk,
        }
    }
    pub fn is_live(&self, now_unix: i64) -> bool {
        match self {
            ItemRow::Item(i) => i.is_live(now_unix),
            ItemRow::Json { expires_at, .. } => live_at(*expires_at, now_unix),
        }
    }
    /// The item's data as `T` (from the text directly when it is text).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, LakeError> {
        match self {
            ItemRow::Item(i) => i.parse(),
            ItemRow::Json { pk, sk, data, .. } => {
                serde_json::from_str(data).map_err(|e| unparsable(pk, sk, e))
            }
        }
    }
}

/// Condition of a conditional write (DynamoDB ConditionExpression subset).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    Always,
    /// `attribute_not_exists(pk)`.
    NotExists,
    /// `attribute_exists(pk)`.
    Exists,
    /// The item exists and `data.<field>` equals `value` (optimistic concurrency).
    FieldEquals {
        field: String,
        value: Value,
    },
}

impl Condition {
    /// Optimistic concurrency on a record's `version` field: the item must still be at
    /// `previous` (`None`: the item must not exist yet).
    pub fn version<V: Into<u64>>(previous: Option<V>) -> Self {
        match previous {
            Some(v) => Condition::FieldEquals {
                field: "version".into(),
                value: Value::from(v.into()),
            },
            None => Condition::NotExists,
        }
    }
}

/// One write of a transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Write {
    Put {
        domain: Domain,
        item: Item,
        condition: Condition,
    },
    /// A put whose attributes are JSON text already.
    PutJson {
        domain: Domain,
        item: JsonItem,
        condition: Condition,
    },
    Delete {
        domain: Domain,
        pk: String,
        sk: String,
        condition: Condition,
    },
}

impl Write {
    pub fn domain(&self) -> Domain {
        match self {
            Write::Put { domain, .. }
            | Write::PutJson { domain, .. }
            | Write::Delete { domain, .. } => *domain,
        }
    }
    pub fn key(&self) -> (&str, &str) {
        match self {
            Write::Put { item, .. } => (&item.pk, &item.sk),
            Write::PutJson { item, .. } => (&item.pk, &item.sk),
            Write::Delete { pk, sk, .. } => (pk, sk),
        }
    }
    pub fn condition(&self) -> &Condition {
        match self {
            Write::Put { condition, .. }
            | Write::PutJson { condition, .. }
            | Write::Delete { condition, .. } => condition,
        }
    }
    /// `put` or `delete` (audit records name the action).
    pub fn action(&self) -> &'static str {
        match self {
            Write::Put { .. } | Write::PutJson { .. } => "put",
            Write::Delete { .. } => "delete",
        }
    }
}

/// Sort-key condition of a query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SortKey {
    BeginsWith(String),
    Between(String, String),
    AtMost(String),
    AtLeast(String),
}

/// A query by partition key (table or `gsi1`), optionally narrowed on the sort key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// `None` for the table, `Some(INDEX_GSI1)` for the index.
    pub index: Option<String>,
    pub pk: String,
    pub sort: Option<SortKey>,
    pub limit: Option<usize>,
    pub descending: bool,
}

impl Query {
    pub fn table(pk: impl Into<String>) -> Self {
        Self {
            index: None,
            pk: pk.into(),
            sort: None,
            limit: None,
            descending: false,
        }
    }
    pub fn gsi1(pk: impl Into<String>) -> Self {
        Self {
            index: Some(INDEX_GSI1.to_string()),
            ..Self::table(pk)
        }
    }
    pub fn sort(mut self, s: SortKey) -> Self {
        self.sort = Some(s);
        self
    }
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LakeError {
    // Keys may hold an address or a phone number: the message names the record without them.
    #[error(
        "condition failed on {domain}/{}/{}: {condition}",
        crate::redact::key(.pk),
        crate::redact::key(.sk)
    )]
    ConditionFailed {
        domain: String,
        pk: String,
        sk: String,
        condition: String,
    },
    #[error("unknown index `{0}`")]
    UnknownIndex(String),
    #[error("data lake unavailable: {0}")]
    Unavailable(String),
    /// The storage under the lake failed (a full disk, an I/O error): nothing read or written
    /// with it can be trusted, and the work is to be given up whole and retried later.
    #[error("storage failed: {0}")]
    Storage(String),
    #[error("corrupt data: {0}")]
    Corrupt(String),
}

/// The central data lake: DynamoDB semantics.
#[async_trait]
pub trait DataLake: Send + Sync {
    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Item>, LakeError>;
    /// Reads one item and shows it to `look` borrowed. An adapter that holds items in memory
    /// or as JSON text overrides this to skip the copy `get` makes (and hands text over
    /// unparsed, [`ItemRow::Json`]); the default is `get`.
    async fn get_with(
        &self,
        domain: Domain,
        pk: &str,
        sk: &str,
        look: &mut (dyn for<'i> FnMut(Option<ItemRow<'i>>) + Send),
    ) -> Result<(), LakeError> {
        let item = self.get(domain, pk, sk).await?;
        look(item.as_ref().map(ItemRow::Item));
        Ok(())
    }
    async fn query(&self, domain: Domain, query: &Query) -> Result<Vec<Item>, LakeError>;
    /// Runs `query` and shows each item found, in order, to `each` (which may stop the query
    /// with an error). An adapter that reads items as JSON text overrides this to hand the
    /// text over unparsed ([`ItemRow::Json`]), so a caller parses it once, straight into its
    /// own type; the default is `query`.
    async fn query_with(
        &self,
        domain: Domain,
        query: &Query,
        each: &mut (dyn for<'i> FnMut(ItemRow<'i>) -> Result<(), LakeError> + Send),
    ) -> Result<(), LakeError> {
        for item in self.query(domain, query).await? {
            each(ItemRow::Item(&item))?;
        }
        Ok(())
    }
    /// All-or-nothing writes; the first failing condition aborts the whole transaction.
    async fn transact(&self, writes: &[Write]) -> Result<(), LakeError>;
}

/// Time, injectable so flows and tests can move it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock moved by hand (tests, simulations).
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = t;
    }
    pub fn advance(&self, d: chrono::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// An email (approval requests, reminders, proposals).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
    /// Extra header lines (`List-Unsubscribe`, `List-Unsubscribe-Post`, `In-Reply-To`), in order.
    /// Names are ASCII tokens and values single lines: adapters refuse anything else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<MailHeader>,
    /// Files sent with the mail (a meeting's `.ics`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<MailAttachment>,
}

/// One extra header line of a [`Mail`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailHeader {
    pub name: String,
    pub value: String,
}

impl MailHeader {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A file attached to a [`Mail`]: UTF-8 text such as an iCalendar invitation (RFC 5545).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAttachment {
    /// File name shown to the reader (`invite.ics`).
    pub file_name: String,
    /// MIME type with parameters (`text/calendar; method=REQUEST; charset=UTF-8`).
    pub content_type: String,
    /// The file's text.
    pub content: String,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("mail not sent: {0}")]
pub struct MailError(pub String);

/// Sends email (SES v2 on AWS, `.eml` files in the twin's outbox).
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, from: &str, mail: &Mail) -> Result<String, MailError>;
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("event bus: {0}")]
pub struct BusError(pub String);

/// Publishes events (EventBridge PutEvents on AWS, the in-process router in the twin).
#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, events: &[crate::event::Event]) -> Result<(), BusError>;
}

/// What to do with a dead letter: back to its agent's queue, or away for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterAction {
    /// Move it back to the agent's queue, to be delivered again.
    Redrive,
    /// Delete it (a person decided it is not to be handled; the decision is recorded).
    Discard,
}

/// One dead letter to act on, named by its agent and its event id (the same in both homes: the
/// twin's `dead_letters` rows and the SQS dead-letter queue's bodies carry the event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterOrder {
    pub agent: String,
    /// The agent's queue class (`priority`, `batch`): on AWS it names the queue a redrive
    /// sends the message back to.
    pub queue: String,
    pub event_id: String,
    pub action: DeadLetterAction,
}

#[derive(Debug, thiserror::Error)]
#[error("dead-letter queue: {0}")]
pub struct DeadLetterError(pub String);

/// The dead-letter queues, for redrive and discard: the twin's `dead_letters` table, SQS on
/// AWS (move the message back to its agent's queue). Acting on a letter that is no longer
/// there is no error (`Ok(false)`): a redelivered order repeats nothing.
#[async_trait]
pub trait DeadLetterQueues: Send + Sync {
    async fn act(&self, order: &DeadLetterOrder) -> Result<bool, DeadLetterError>;
}
