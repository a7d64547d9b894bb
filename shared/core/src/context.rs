//! What a handler works with: reads through the data lake (checked against the agent's
//! declaration) and a buffer of effects the runtime commits atomically after the handler returns.

use crate::agent::{AgentDecl, AgentError, Domain};
use crate::approval::ApprovalDraft;
use crate::catalog::EventPayload;
use crate::event::{Actor, Event};
use crate::policy::{self, Access, AccessDenied};
use crate::ports::{
    Condition, DataLake, DeadLetterOrder, IndexKey, Item, JsonItem, LakeError, Mail, Query, Write,
};
use chrono::{DateTime, Utc};

/// Everything a handler asked for; applied all together or not at all.
#[derive(Debug, Default)]
pub struct Effects {
    pub writes: Vec<Write>,
    pub emitted: Vec<Event>,
    pub approvals: Vec<ApprovalDraft>,
    pub mails: Vec<Mail>,
    /// Denied attempts; audited even when the handler fails.
    pub denials: Vec<AccessDenied>,
    /// Each emitted event as the JSON EventBridge is given ([`Event::to_json`]), written once
    /// by [`crate::engine::handle`] when it sizes them, for a transport that keeps the text
    /// (empty until then).
    pub emitted_json: Vec<String>,
    /// Dead letters to redrive or discard, carried out with the commit (the twin in the same
    /// transaction; on AWS after it, through [`crate::ports::DeadLetterQueues`]).
    pub dead_letters: Vec<DeadLetterOrder>,
    /// Partitions kept while the relationship lasts though their prefix has a retention clock
    /// ([`Ctx::keep`], or read back kept): the engine gives their puts
    /// [`crate::retention::KEPT_UNTIL`] rather than a clock.
    pub kept: Vec<(Domain, String)>,
}

impl Effects {
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
            && self.emitted.is_empty()
            && self.approvals.is_empty()
            && self.mails.is_empty()
            && self.dead_letters.is_empty()
    }
}

/// A handler's view of the world for one event.
pub struct Ctx<'a> {
    decl: &'a AgentDecl,
    lake: &'a dyn DataLake,
    cause: &'a Event,
    now: DateTime<Utc>,
    effects: Effects,
}

impl<'a> Ctx<'a> {
    pub fn new(
        decl: &'a AgentDecl,
        lake: &'a dyn DataLake,
        cause: &'a Event,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            decl,
            lake,
            cause,
            now,
            effects: Effects::default(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn agent(&self) -> &AgentDecl {
        self.decl
    }

    pub fn cause(&self) -> &Event {
        self.cause
    }

    fn allow(&mut self, domain: Domain, access: Access) -> Result<(), AgentError> {
        policy::check(self.decl, domain, access).map_err(|denied| {
            self.effects.denials.push(denied.clone());
            AgentError::Denied(denied)
        })
    }

    fn allow_write(&mut self, domain: Domain, pk: &str) -> Result<(), AgentError> {
        policy::check_write(self.decl, domain, pk).map_err(|denied| {
            self.effects.denials.push(denied.clone());
            AgentError::Denied(denied)
        })
    }

    /// Reads one item; sees this handler's own pending writes first.
    pub async fn get(
        &mut self,
        domain: Domain,
        pk: &str,
        sk: &str,
    ) -> Result<Option<Item>, AgentError> {
        self.allow(domain, Access::Read)?;
        for w in self.effects.writes.iter().rev() {
            if w.domain() == domain && w.key() == (pk, sk) {
                return Ok(match w {
                    Write::Put { item, .. } => Some(item.clone()),
                    Write::PutJson { item, .. } => Some(item.to_item()?),
                    Write::Delete { .. } => None,
                });
            }
        }
        let now = self.now.timestamp();
        let item = self
            .lake
            .get(domain, pk, sk)
            .await?
            .filter(|i| i.is_live(now));
        if let Some(i) = &item {
            self.note_kept(domain, &i.pk, i.expires_at);
        }
        Ok(item)
    }

    /// Remembers a partition read back kept ([`crate::retention::KEPT_UNTIL`]), so that a
    /// rewrite of it stays kept.
    fn note_kept(&mut self, domain: Domain, pk: &str, expires_at: Option<i64>) {
        if expires_at == Some(crate::retention::KEPT_UNTIL)
            && !self
                .effects
                .kept
                .iter()
                .any(|(d, p)| *d == domain && p == pk)
        {
            self.effects.kept.push((domain, pk.to_string()));
        }
    }

    /// Reads and parses one item (parsed where the lake holds it: no copy of the item).
    pub async fn get_as<T: serde::de::DeserializeOwned + Send>(
        &mut self,
        domain: Domain,
        pk: &str,
        sk: &str,
    ) -> Result<Option<T>, AgentError> {
        self.allow(domain, Access::Read)?;
        for w in self.effects.writes.iter().rev() {
            if w.domain() == domain && w.key() == (pk, sk) {
                return match w {
                    Write::Put { item, .. } => Ok(Some(item.parse()?)),
                    Write::PutJson { item, .. } => Ok(Some(item.row().parse()?)),
                    Write::Delete { .. } => Ok(None),
                };
            }
        }
        let now = self.now.timestamp();
        let mut parsed: Option<Result<T, LakeError>> = None;
        let mut kept = false;
        self.lake
            .get_with(domain, pk, sk, &mut |item| {
                let item = item.filter(|i| i.is_live(now));
                kept = item.is_some_and(|i| row_expiry(&i) == Some(crate::retention::KEPT_UNTIL));
                parsed = item.map(|i| i.parse());
            })
            .await?;
        if kept {
            self.note_kept(domain, pk, Some(crate::retention::KEPT_UNTIL));
        }
        Ok(parsed.transpose()?)
    }

    /// Queries by partition key (table or index); committed data only.
    pub async fn query(&mut self, domain: Domain, query: &Query) -> Result<Vec<Item>, AgentError> {
        self.allow(domain, Access::Read)?;
        let now = self.now.timestamp();
        let mut items = self.lake.query(domain, query).await?;
        items.retain(|i| i.is_live(now));
        for i in &items {
            self.note_kept(domain, &i.pk, i.expires_at);
        }
        Ok(items)
    }

    /// Queries like [`Ctx::query`] and parses each live item's data as `T` (straight from
    /// the lake's text where it holds text: no intermediate JSON value).
    pub async fn query_as<T: serde::de::DeserializeOwned + Send>(
        &mut self,
        domain: Domain,
        query: &Query,
    ) -> Result<Vec<T>, AgentError> {
        self.allow(domain, Access::Read)?;
        let now = self.now.timestamp();
        let mut found = Vec::new();
        let mut kept = Vec::new();
        self.lake
            .query_with(domain, query, &mut |row| {
                if row.is_live(now) {
                    if row_expiry(&row) == Some(crate::retention::KEPT_UNTIL) {
                        kept.push(row.pk().to_string());
                    }
                    found.push(row.parse()?);
                }
                Ok(())
            })
            .await?;
        for pk in kept {
            self.note_kept(domain, &pk, Some(crate::retention::KEPT_UNTIL));
        }
        Ok(found)
    }

    /// Buffers a put, applied when the handler succeeds.
    pub fn put(
        &mut self,
        domain: Domain,
        item: Item,
        condition: Condition,
    ) -> Result<(), AgentError> {
        self.allow_write(domain, &item.pk)?;
        self.buffer(Write::Put {
            domain,
            item,
            condition,
        });
        Ok(())
    }

    /// Buffers a write. A second write to the same item replaces the first (a DynamoDB
    /// transaction may touch an item only once) and keeps the first one's condition, which
    /// is about the committed item.
    fn buffer(&mut self, mut write: Write) {
        let earlier = self
            .effects
            .writes
            .iter()
            .position(|w| w.domain() == write.domain() && w.key() == write.key());
        match earlier {
            Some(i) => {
                let first = self.effects.writes[i].condition().clone();
                match &mut write {
                    Write::Put { condition, .. }
                    | Write::PutJson { condition, .. }
                    | Write::Delete { condition, .. } => *condition = first,
                }
                self.effects.writes[i] = write;
            }
            None => self.effects.writes.push(write),
        }
    }

    /// Serialises `record` as an item's data and buffers the put.
    pub fn put_record<T: serde::Serialize>(
        &mut self,
        domain: Domain,
        pk: &str,
        sk: &str,
        record: &T,
        index: Option<(String, String)>,
        condition: Condition,
    ) -> Result<(), AgentError> {
        self.allow_write(domain, pk)?;
        // Straight to JSON text: the store writes the text as it is.
        let mut item = JsonItem::of(pk, sk, record)
            .map_err(|e| AgentError::Invalid(format!("record does not serialise: {e}")))?;
        item.gsi1 = index.map(|(pk, sk)| IndexKey { pk, sk });
        self.buffer(Write::PutJson {
            domain,
            item,
            condition,
        });
        Ok(())
    }

    pub fn delete(&mut self, domain: Domain, pk: &str, sk: &str) -> Result<(), AgentError> {
        self.allow_write(domain, pk)?;
        self.buffer(Write::Delete {
            domain,
            pk: pk.into(),
            sk: sk.into(),
            condition: Condition::Always,
        });
        Ok(())
    }

    /// Keeps the records of partition `pk` while the relationship lasts, though their prefix
    /// has a retention clock (a lead that became a customer: `Retention::Days` no longer
    /// applies): each live record is written again with [`crate::retention::KEPT_UNTIL`], as is
    /// every put to the partition in this unit of work; a later handler that reads one back and
    /// writes it keeps it so. Returns how many stored records it rewrote.
    pub async fn keep(&mut self, domain: Domain, pk: &str) -> Result<usize, AgentError> {
        self.allow_write(domain, pk)?;
        let stored = self.query(domain, &Query::table(pk)).await?;
        let mut rewritten = 0;
        for mut item in stored {
            let pending =
                self.effects.writes.iter().any(|w| {
                    w.domain() == domain && w.key() == (item.pk.as_str(), item.sk.as_str())
                });
            if pending || item.expires_at == Some(crate::retention::KEPT_UNTIL) {
                continue; // this unit's own write is kept by the engine; a kept one stays
            }
            item.expires_at = Some(crate::retention::KEPT_UNTIL);
            self.buffer(Write::Put {
                domain,
                item,
                condition: Condition::Exists,
            });
            rewritten += 1;
        }
        for w in &mut self.effects.writes {
            if w.domain() == domain && w.key().0 == pk {
                match w {
                    Write::Put { item, .. } => item.expires_at = Some(crate::retention::KEPT_UNTIL),
                    Write::PutJson { item, .. } => {
                        item.expires_at = Some(crate::retention::KEPT_UNTIL)
                    }
                    Write::Delete { .. } => {}
                }
            }
        }
        self.note_kept(domain, pk, Some(crate::retention::KEPT_UNTIL));
        Ok(rewritten)
    }

    /// Emits an event caused by the one being handled. Ids are stable across redeliveries.
    pub fn emit<P: EventPayload>(&mut self, payload: P) -> Result<(), AgentError> {
        if let Err(denied) = policy::check_emit(self.decl, P::DETAIL_TYPE) {
            self.effects.denials.push(denied.clone());
            return Err(denied.into());
        }
        let seq = self.effects.emitted.len() as u32;
        let event = self.cause.caused(
            &self.decl.source(),
            Actor::agent(self.decl.name),
            self.now,
            seq,
            payload,
        );
        self.effects.emitted.push(event);
        Ok(())
    }

    /// Opens an approval request (stored, emailed, waited on by the runtime).
    pub fn request_approval(&mut self, draft: ApprovalDraft) -> Result<(), AgentError> {
        if !self.decl.requests_approvals {
            let denied = AccessDenied {
                agent: self.decl.name.into(),
                access: Access::Write,
                what: "approval requests".into(),
            };
            self.effects.denials.push(denied.clone());
            return Err(denied.into());
        }
        self.effects.approvals.push(draft);
        Ok(())
    }

    pub fn send_mail(&mut self, mail: Mail) -> Result<(), AgentError> {
        if !self.decl.sends_mail {
            let denied = AccessDenied {
                agent: self.decl.name.into(),
                access: Access::Write,
                what: "email".into(),
            };
            self.effects.denials.push(denied.clone());
            return Err(denied.into());
        }
        // A header SES would refuse fails the handler here, in both homes.
        crate::mime::check_headers(&mail).map_err(|e| AgentError::Invalid(e.to_string()))?;
        // An erased person's address is a pseudonym (`p~…@erased.invalid`): never mailed.
        if crate::privacy::is_pseudonym(&mail.to) {
            return Ok(());
        }
        self.effects.mails.push(mail);
        Ok(())
    }

    /// Redrives or discards a dead letter with the commit. Only an agent the platform hands
    /// dead letters to (one subscribed to `MessageDeadLettered`) may.
    pub fn act_on_dead_letter(&mut self, order: DeadLetterOrder) -> Result<(), AgentError> {
        if !self.decl.handles_dead_letters() {
            let denied = AccessDenied {
                agent: self.decl.name.into(),
                access: Access::Write,
                what: "dead letters".into(),
            };
            self.effects.denials.push(denied.clone());
            return Err(denied.into());
        }
        self.effects.dead_letters.push(order);
        Ok(())
    }

    pub fn effects(&self) -> &Effects {
        &self.effects
    }

    pub fn into_effects(self) -> Effects {
        self.effects
    }
}

/// The stored expiry of a row as the lake shows it.
fn row_expiry(row: &crate::ports::ItemRow<'_>) -> Option<i64> {
    match row {
        crate::ports::ItemRow::Item(i) => i.expires_at,
        crate::ports::ItemRow::Json { expires_at, .. } => *expires_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Department, QueueClass};
    use crate::catalog::TaskCompleted;
    use crate::ports::{LakeError, Query};
    use async_trait::async_trait;
    use serde_json::json;

    /// A lake whose every query finds these items (adapters without `query_with` of their own).
    struct FixedLake(Vec<Item>);

    #[async_trait]
    impl DataLake for FixedLake {
        async fn get(&self, _: Domain, _: &str, _: &str) -> Result<Option<Item>, LakeError> {
            Ok(None)
        }
        async fn query(&self, _: Domain, _: &Query) -> Result<Vec<Item>, LakeError> {
            Ok(self.0.clone())
        }
        async fn transact(&self, _: &[Write]) -> Result<(), LakeError> {
            Ok(())
        }
    }

    fn decl(reads: Vec<Domain>, writes: Vec<Domain>) -> AgentDecl {
        AgentDecl {
            name: "t",
            department: Department::Finance,
            queue: QueueClass::Batch,
            subscriptions: vec![],
            reads,
            owns: writes
                .into_iter()
                .map(|d| crate::agent::owns(d, ""))
                .collect(),
            emits: vec![],
            requests_approvals: false,
            sends_mail: false,
            writes_text: false,
        }
    }

    fn cause() -> Event {
        Event::new(
            "test",
            Actor::system("test"),
            Utc::now(),
            TaskCompleted {
                agent: "t".into(),
                task: "t".into(),
                subject: "s".into(),
                outcome: "o".into(),
            },
        )
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Invoice {
        n: u32,
    }

    #[test]
    fn query_as_parses_the_live_items_and_names_one_that_does_not_parse() {
        let now = Utc::now();
        let lake = FixedLake(vec![
            Item::new("acct#1", "invoice#1", json!({"n": 1})),
            Item::new("acct#1", "invoice#2", json!({"n": 2})).expiring_at(now.timestamp() - 1),
            Item::new("acct#1", "invoice#3", json!({"n": 3})),
        ]);
        let (decl, cause) = (decl(vec![Domain::Financial], vec![]), cause());
        let mut ctx = Ctx::new(&decl, &lake, &cause, now);
        let q = Query::table("acct#1");
        let found: Vec<Invoice> =
            futures::executor::block_on(ctx.query_as(Domain::Financial, &q)).unwrap();
        assert_eq!(found, [Invoice { n: 1 }, Invoice { n: 3 }]);

        let lake = FixedLake(vec![Item::new("acct#1", "invoice#9", json!({"n": "nine"}))]);
        let mut ctx = Ctx::new(&decl, &lake, &cause, now);
        let err = futures::executor::block_on(ctx.query_as::<Invoice>(Domain::Financial, &q))
            .unwrap_err();
        assert!(err.to_string().contains("acct#1/invoice#9"), "{err}");
    }

    #[test]
    fn mail_to_an_erased_persons_pseudonym_is_never_sent() {
        let lake = FixedLake(vec![]);
        let mut decl = decl(vec![], vec![]);
        decl.sends_mail = true;
        let cause = cause();
        let mut ctx = Ctx::new(&decl, &lake, &cause, Utc::now());
        let key = crate::privacy::PrivacyKey::new(*b"0123456789abcdef0123456789abcdef").unwrap();
        let mail = |to: String| crate::ports::Mail {
            to,
            subject: "Hello".into(),
            text: "Hi".into(),
            html: None,
            headers: vec![],
            attachments: vec![],
        };
        ctx.send_mail(mail(key.pseudonym("ana@boreal.aero")))
            .unwrap();
        ctx.send_mail(mail("bo@boreal.aero".into())).unwrap();
        let to: Vec<&str> = ctx.effects().mails.iter().map(|m| m.to.as_str()).collect();
        assert_eq!(to, ["bo@boreal.aero"]);
    }

    #[test]
    fn a_write_outside_the_agents_own_prefixes_is_refused_and_recorded() {
        let lake = FixedLake(vec![]);
        let mut decl = decl(vec![], vec![]);
        decl.owns = vec![crate::agent::owns(Domain::Financial, "invoice#")];
        let cause = cause();
        let mut ctx = Ctx::new(&decl, &lake, &cause, Utc::now());
        ctx.put_record(
            Domain::Financial,
            "invoice#1",
            "invoice",
            &json!({}),
            None,
            Condition::Always,
        )
        .unwrap();
        let refused = [
            ctx.put_record(
                Domain::Financial,
                "journal#1",
                "e",
                &json!({}),
                None,
                Condition::Always,
            ),
            ctx.put(
                Domain::Financial,
                Item::new("deal#1", "x", json!({})),
                Condition::Always,
            ),
            ctx.delete(Domain::Financial, "invoices#open", "x"),
        ];
        for r in refused {
            assert!(matches!(r, Err(AgentError::Denied(_))), "{r:?}");
        }
        let effects = ctx.into_effects();
        assert_eq!(effects.writes.len(), 1);
        assert_eq!(effects.denials.len(), 3);
        assert!(
            effects.denials[0].what.contains("journal#1"),
            "{:?}",
            effects.denials
        );
    }

    #[test]
    fn query_as_of_an_undeclared_domain_is_denied() {
        let lake = FixedLake(vec![Item::new("p", "s", json!({"n": 1}))]);
        let (decl, cause) = (decl(vec![], vec![]), cause());
        let mut ctx = Ctx::new(&decl, &lake, &cause, Utc::now());
        let q = Query::table("p");
        let err = futures::executor::block_on(ctx.query_as::<Invoice>(Domain::Financial, &q))
            .unwrap_err();
        assert!(matches!(err, AgentError::Denied(_)), "{err}");
        assert_eq!(ctx.effects().denials.len(), 1);
    }

    #[test]
    fn a_second_write_to_an_item_replaces_the_first_and_keeps_its_condition() {
        let (decl, cause) = (decl(vec![], vec![Domain::Financial]), cause());
        let lake = FixedLake(vec![]);
        let mut ctx = Ctx::new(&decl, &lake, &cause, Utc::now());
        let item = |v| Item::new("p", "s", json!({"v": v}));
        ctx.put(Domain::Financial, item(1), Condition::NotExists)
            .unwrap();
        ctx.put(
            Domain::Financial,
            Item::new("p", "other", json!({})),
            Condition::Always,
        )
        .unwrap();
        ctx.put(Domain::Financial, item(2), Condition::Always)
            .unwrap();
        let w = &ctx.effects().writes;
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0],
            Write::Put {
                domain: Domain::Financial,
                item: item(2),
                condition: Condition::NotExists
            }
        );
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Note {
        n: u32,
        text: String,
    }

    #[test]
    fn a_record_is_buffered_as_json_text_and_read_back_by_this_handler() {
        let decl = decl(vec![Domain::Financial], vec![Domain::Financial]);
        let (lake, cause) = (FixedLake(vec![]), cause());
        let mut ctx = Ctx::new(&decl, &lake, &cause, Utc::now());
        let note = Note {
            n: 7,
            text: "net \"30\"".into(),
        };
        let index = Some(("acct#1".to_string(), "note#7".to_string()));
        ctx.put_record(
            Domain::Financial,
            "p",
            "s",
            &note,
            index,
            Condition::NotExists,
        )
        .unwrap();
        let Write::PutJson {
            item, condition, ..
        } = &ctx.effects().writes[0]
        else {
            panic!("a record is buffered as text: {:?}", ctx.effects().writes);
        };
        assert_eq!(condition, &Condition::NotExists);
        assert_eq!(item.gsi1.as_ref().map(|g| g.sk.as_str()), Some("note#7"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&item.data).unwrap(),
            json!({"n": 7, "text": "net \"30\""})
        );
        let read: Option<Note> =
            futures::executor::block_on(ctx.get_as(Domain::Financial, "p", "s")).unwrap();
        assert_eq!(read.as_ref(), Some(&note));
        let item = futures::executor::block_on(ctx.get(Domain::Financial, "p", "s"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (item.data["n"].clone(), item.gsi1.unwrap().pk),
            (json!(7), "acct#1".into())
        );
        // Writing a domain it did not declare is refused before anything is serialised.
        let err = ctx
            .put_record(Domain::Customer, "p", "s", &note, None, Condition::Always)
            .unwrap_err();
        assert!(matches!(err, AgentError::Denied(_)), "{err}");
    }
}

#[cfg(test)]
mod keep_tests {
    //! [`Ctx::keep`]: a partition that leaves its retention clock, and stays out of it.

    use super::*;
    use crate::agent::{Department, QueueClass, owns};
    use crate::catalog::TaskCompleted;
    use crate::ports::LakeError;
    use crate::privacy::{Personal, Retention};
    use crate::retention::{DataRetention, KEPT_UNTIL, stamp};
    use async_trait::async_trait;
    use futures::executor::block_on;
    use serde_json::json;

    /// Holds these items (a get and a query of their partition find them).
    struct Lake(Vec<Item>);

    #[async_trait]
    impl DataLake for Lake {
        async fn get(&self, _: Domain, pk: &str, sk: &str) -> Result<Option<Item>, LakeError> {
            Ok(self.0.iter().find(|i| i.pk == pk && i.sk == sk).cloned())
        }
        async fn query(&self, _: Domain, q: &Query) -> Result<Vec<Item>, LakeError> {
            Ok(self.0.iter().filter(|i| i.pk == q.pk).cloned().collect())
        }
        async fn transact(&self, _: &[Write]) -> Result<(), LakeError> {
            Ok(())
        }
    }

    fn decl() -> AgentDecl {
        AgentDecl {
            name: "leads",
            department: Department::Sales,
            queue: QueueClass::Priority,
            subscriptions: vec![],
            reads: vec![Domain::Customer],
            owns: vec![owns(Domain::Customer, "lead#").holding(Personal::deleted(
                &["email"],
                &["email"],
                "Qualify the lead",
                Retention::Days("unconverted_leads_days"),
            ))],
            emits: vec![],
            requests_approvals: false,
            sends_mail: false,
            writes_text: false,
        }
    }

    fn cause() -> Event {
        Event::new(
            "test",
            Actor::system("test"),
            Utc::now(),
            TaskCompleted {
                agent: "t".into(),
                task: "t".into(),
                subject: "s".into(),
                outcome: "o".into(),
            },
        )
    }

    fn expiries(effects: &Effects) -> Vec<(String, Option<i64>)> {
        effects
            .writes
            .iter()
            .map(|w| {
                let e = match w {
                    Write::Put { item, .. } => item.expires_at,
                    Write::PutJson { item, .. } => item.expires_at,
                    Write::Delete { .. } => None,
                };
                (w.key().1.to_string(), e)
            })
            .collect()
    }

    #[test]
    fn a_kept_partition_is_rewritten_without_its_clock_and_stays_kept_when_written_again() {
        let now = Utc::now();
        let soon = now.timestamp() + 86_400;
        let (decl, cause) = (decl(), cause());
        // Given a lead's records on their clock
        let lake = Lake(vec![
            Item::new("lead#1", "profile", json!({"n": 1})).expiring_at(soon),
            Item::new("lead#1", "outcome", json!({"won": true})).expiring_at(soon),
        ]);
        // When the handler keeps the partition and writes one more record in it
        let mut ctx = Ctx::new(&decl, &lake, &cause, now);
        assert_eq!(block_on(ctx.keep(Domain::Customer, "lead#1")).unwrap(), 2);
        ctx.put_record(
            Domain::Customer,
            "lead#1",
            "note",
            &json!({}),
            None,
            Condition::Always,
        )
        .unwrap();
        let mut effects = ctx.into_effects();
        stamp(&mut effects, &decl, &DataRetention::default(), now);
        // Then every record of it is kept
        assert_eq!(
            expiries(&effects),
            [
                ("profile".to_string(), Some(KEPT_UNTIL)),
                ("outcome".to_string(), Some(KEPT_UNTIL)),
                ("note".to_string(), Some(KEPT_UNTIL)),
            ]
        );

        // Given the kept profile, a later handler reads it back and writes it again
        let lake = Lake(vec![
            Item::new("lead#1", "profile", json!({"n": 1})).expiring_at(KEPT_UNTIL),
        ]);
        let mut ctx = Ctx::new(&decl, &lake, &cause, now);
        let n: serde_json::Value = block_on(ctx.get_as(Domain::Customer, "lead#1", "profile"))
            .unwrap()
            .unwrap();
        ctx.put_record(
            Domain::Customer,
            "lead#1",
            "profile",
            &n,
            None,
            Condition::Always,
        )
        .unwrap();
        // And another lead is written blind
        ctx.put(
            Domain::Customer,
            Item::new("lead#2", "profile", json!({})),
            Condition::Always,
        )
        .unwrap();
        let mut effects = ctx.into_effects();
        stamp(&mut effects, &decl, &DataRetention::default(), now);
        let days = i64::from(DataRetention::default().unconverted_leads_days);
        let clock = (now + chrono::Duration::days(days)).timestamp();
        // Then the kept one stays kept, the other gets its clock
        assert_eq!(
            expiries(&effects),
            [
                ("profile".to_string(), Some(KEPT_UNTIL)),
                ("profile".to_string(), Some(clock)),
            ]
        );
    }
}
