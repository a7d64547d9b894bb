//! The handlers: a change received (from a lead, a webhook, the web or a pull) cleaned,
//! matched, merged and queued for the other systems; the hourly runs and their pages.
//!
//! Records (customer domain, all under `crm#`):
//! - `crm#contact#<id>` / `contact`: the [`Contact`], on `gsi1` under `crm#domain#<domain>`;
//! - `crm#email#<match key>` / `email`, `crm#link#<source id>` / `link`, `crm#phone#<e164>` /
//!   `phone`: which contact has that address, record or number (the email key on `gsi1`
//!   under `crm#company#<company key>`, so contacts with free-mail addresses are found by
//!   company);
//! - `crm#outbox#<system>` / `<contact id>`: a change queued for that CRM ([`Queued`]),
//!   deleted once pushed, kept with the failure's reason when a push fails;
//! - `crm#sync#<system>` / `cursor` and `run`: where the next pull starts, the current run.

use crate::connector::{Cursor, Push};
use crate::contact::{self, Contact, RawFields, source_id};
use crate::{CrmManagement, PREFIX};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{ContactsMerged, CrmSyncPageDue, DataSyncCompleted};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query, SortKey, Write};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

const D: Domain = Domain::Customer;

fn contact_pk(id: &str) -> String {
    format!("{PREFIX}contact#{id}")
}

pub fn outbox_pk(system: &str) -> String {
    format!("{PREFIX}outbox#{system}")
}

fn sync_pk(system: &str) -> String {
    format!("{PREFIX}sync#{system}")
}

/// Changes queued in `pk` once this message commits (the committed ones, with this message's
/// own puts and deletes; up to 1,000 counted).
async fn queued(ctx: &mut Ctx<'_>, pk: &str) -> Result<u64, AgentError> {
    let mut keys: std::collections::BTreeSet<String> = ctx
        .query(D, &Query::table(pk).limit(1000))
        .await?
        .into_iter()
        .map(|i| i.sk)
        .collect();
    for w in &ctx.effects().writes {
        let (p, sk) = w.key();
        if p == pk {
            match w {
                Write::Delete { .. } => keys.remove(sk),
                _ => keys.insert(sk.to_string()),
            };
        }
    }
    Ok(keys.len() as u64)
}

/// A pull the CRM did not answer fails its page, with the CRM's reason: an outage or a rate
/// limit is transient (the queue delivers the page again, and after its receives Process
/// Automation redrives it with backoff); a refusal (credentials revoked, a query refused) or
/// an answer that does not read is permanent: dead-lettered at once, for a person to fix and
/// redrive. Counting it and going on would hide the reason and pull nothing, hour after hour.
pub fn pull_failed(system: &str, e: &crate::connector::SyncError) -> AgentError {
    let reason = format!("{system} pull of changed contacts: {e}");
    if e.is_transient() {
        AgentError::Transient(reason)
    } else {
        AgentError::Invalid(reason)
    }
}

/// An index item: which contact a key belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pointer {
    pub contact_id: String,
}

/// A change queued for one CRM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Queued {
    pub contact_id: String,
    pub queued_at: DateTime<Utc>,
    #[serde(default)]
    pub attempts: u32,
    /// The last failure's reason, for a person to see.
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub last_attempt_at: Option<DateTime<Utc>>,
}

/// One CRM's run, page by page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub started_at: DateTime<Utc>,
    /// The page due next.
    pub page: u32,
    pub finished: bool,
    pub pulled: u64,
    pub pushed: u64,
    pub conflicts: u64,
    pub failures: u64,
    /// The queue is worked through in contact id order: the last id this run handled.
    #[serde(default)]
    pub outbox_after: Option<String>,
    #[serde(default)]
    pub pull_done: bool,
}

impl CrmManagement {
    async fn pointer(
        &self,
        ctx: &mut Ctx<'_>,
        pk: &str,
        sk: &str,
    ) -> Result<Option<String>, AgentError> {
        Ok(ctx
            .get_as::<Pointer>(D, pk, sk)
            .await?
            .map(|p| p.contact_id))
    }

    async fn contact(&self, ctx: &mut Ctx<'_>, id: &str) -> Result<Option<Contact>, AgentError> {
        ctx.get_as(D, &contact_pk(id), "contact").await
    }

    /// Writes the contact (optimistic on its version) and the index items it lacks.
    async fn save(
        &self,
        ctx: &mut Ctx<'_>,
        c: &mut Contact,
        previous: Option<u32>,
    ) -> Result<(), AgentError> {
        c.version = previous.map_or(1, |v| v + 1);
        let keys = c.match_keys(&self.config);
        let index = keys
            .domain
            .as_ref()
            .map(|d| (format!("{PREFIX}domain#{d}"), c.contact_id.clone()));
        let pk = contact_pk(&c.contact_id);
        ctx.put_record(D, &pk, "contact", c, index, Condition::version(previous))?;
        let me = Pointer {
            contact_id: c.contact_id.clone(),
        };
        if let Some(email) = &keys.email {
            let pk = format!("{PREFIX}email#{email}");
            if self.pointer(ctx, &pk, "email").await?.is_none() {
                let index = keys
                    .company
                    .as_ref()
                    .map(|k| (format!("{PREFIX}company#{k}"), c.contact_id.clone()));
                ctx.put_record(D, &pk, "email", &me, index, Condition::Always)?;
            }
        }
        if let Some(phone) = &keys.phone {
            let pk = format!("{PREFIX}phone#{phone}");
            if self.pointer(ctx, &pk, "phone").await?.is_none() {
                ctx.put_record(D, &pk, "phone", &me, None, Condition::Always)?;
            }
        }
        for id in &c.source_ids {
            let pk = format!("{PREFIX}link#{id}");
            if self.pointer(ctx, &pk, "link").await?.as_deref() != Some(&c.contact_id) {
                ctx.put_record(D, &pk, "link", &me, None, Condition::Always)?;
            }
        }
        Ok(())
    }

    /// Queues the contact for every configured CRM that lacks some of its values.
    async fn queue_pushes(&self, ctx: &mut Ctx<'_>, c: &Contact) -> Result<(), AgentError> {
        for system in &self.config.systems {
            if c.outgoing(system).is_empty() {
                continue;
            }
            let pk = outbox_pk(system);
            if ctx.get(D, &pk, &c.contact_id).await?.is_some() {
                continue;
            }
            let q = Queued {
                contact_id: c.contact_id.clone(),
                queued_at: ctx.now(),
                attempts: 0,
                last_error: None,
                last_attempt_at: None,
            };
            ctx.put_record(D, &pk, &c.contact_id, &q, None, Condition::Always)?;
        }
        Ok(())
    }

    /// The contacts a new one may duplicate: same email key, phone, domain or company.
    async fn candidates(&self, ctx: &mut Ctx<'_>, c: &Contact) -> Result<Vec<Contact>, AgentError> {
        let keys = c.match_keys(&self.config);
        let mut ids: Vec<String> = Vec::new();
        if let Some(e) = &keys.email
            && let Some(id) = self
                .pointer(ctx, &format!("{PREFIX}email#{e}"), "email")
                .await?
        {
            ids.push(id);
        }
        if let Some(p) = &keys.phone
            && let Some(id) = self
                .pointer(ctx, &format!("{PREFIX}phone#{p}"), "phone")
                .await?
        {
            ids.push(id);
        }
        let n = self.config.candidates_per_domain;
        let mut found = Vec::new();
        if let Some(d) = &keys.domain {
            let q = Query::gsi1(format!("{PREFIX}domain#{d}")).limit(n);
            found.extend(ctx.query_as::<Contact>(D, &q).await?);
        }
        if let Some(k) = &keys.company {
            let q = Query::gsi1(format!("{PREFIX}company#{k}")).limit(n);
            ids.extend(
                ctx.query_as::<Pointer>(D, &q)
                    .await?
                    .into_iter()
                    .map(|p| p.contact_id),
            );
        }
        ids.sort();
        ids.dedup();
        for id in ids {
            if !found.iter().any(|f| f.contact_id == id)
                && let Some(c) = self.contact(ctx, &id).await?
            {
                found.push(c);
            }
        }
        Ok(found)
    }

    /// Takes in one system's change of one record: the contact the record is linked to, or
    /// else a new contact, merged into the duplicate it has (same email key first); the change
    /// cleaned and resolved field by field, and pushes queued. The conflicts it resolved.
    pub(crate) async fn receive(
        &self,
        ctx: &mut Ctx<'_>,
        system: &str,
        record_id: &str,
        at: DateTime<Utc>,
        raw: &RawFields,
    ) -> Result<u64, AgentError> {
        let sid = source_id(system, record_id);
        let id = self
            .pointer(ctx, &format!("{PREFIX}link#{sid}"), "link")
            .await?;
        let existing = match &id {
            Some(id) => self.contact(ctx, id).await?,
            None => None,
        };
        let known_country = existing
            .as_ref()
            .and_then(|c| c.value("country"))
            .map(str::to_string);
        let change = contact::clean(
            system,
            record_id,
            at,
            raw,
            known_country.as_deref(),
            &self.config,
        );
        let priority = &self.config.source_priority;
        if let Some(mut c) = existing {
            let previous = c.version;
            let applied = c.apply(&change, priority);
            self.save(ctx, &mut c, Some(previous)).await?;
            self.queue_pushes(ctx, &c).await?;
            return Ok(applied.conflicts.len() as u64);
        }
        let mut new = Contact::new(&sid);
        new.apply(&change, priority);
        let keys = new.match_keys(&self.config);
        let threshold = self.config.name_similarity;
        let found = self.candidates(ctx, &new).await?.into_iter().find_map(|c| {
            crate::dedupe::duplicate(&keys, &c.match_keys(&self.config), threshold).map(|d| (c, d))
        });
        let Some((mut survivor, dup)) = found else {
            self.save(ctx, &mut new, None).await?;
            self.queue_pushes(ctx, &new).await?;
            return Ok(0);
        };
        let previous = survivor.version;
        survivor.absorb(&new, dup.rule.as_str(), dup.similarity, ctx.now());
        self.save(ctx, &mut survivor, Some(previous)).await?;
        self.queue_pushes(ctx, &survivor).await?;
        ctx.emit(ContactsMerged {
            survivor_id: survivor.contact_id.clone(),
            merged_ids: new.source_ids.clone(),
            rule: dup.rule.as_str().into(),
            similarity: (dup.similarity * 1000.0).round() / 1000.0,
            source_ids: survivor.source_ids.clone(),
        })?;
        Ok(0)
    }

    /// The hourly tick: a run for each CRM that has a connector (a run still going is
    /// replaced: its next page sees another run and stops).
    pub(crate) async fn start_runs(
        &self,
        ctx: &mut Ctx<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        for system in &self.config.systems {
            if !self.connectors.contains_key(system) {
                continue;
            }
            let run = Run {
                started_at: at,
                ..Run::default()
            };
            ctx.put_record(D, &sync_pk(system), "run", &run, None, Condition::Always)?;
            ctx.emit(CrmSyncPageDue {
                system: system.clone(),
                run_started_at: at,
                page: 0,
            })?;
        }
        Ok(())
    }

    /// One page of a run: one page pulled, one batch of the queue pushed; then the next page,
    /// or the run's announcement.
    pub(crate) async fn on_page(
        &self,
        ctx: &mut Ctx<'_>,
        due: &CrmSyncPageDue,
    ) -> Result<(), AgentError> {
        let Some(connector) = self.connectors.get(&due.system).cloned() else {
            return Ok(());
        };
        let pk = sync_pk(&due.system);
        let Some(mut run) = ctx.get_as::<Run>(D, &pk, "run").await? else {
            return Ok(());
        };
        if run.finished || run.started_at != due.run_started_at || run.page != due.page {
            return Ok(()); // a redelivery, or a run replaced by a newer one
        }
        let mut more = false;
        if !run.pull_done {
            let mut cursor: Cursor = ctx.get_as(D, &pk, "cursor").await?.unwrap_or_default();
            match connector.pull(&cursor, self.config.pull_page_size) {
                Ok(page) => {
                    for r in &page.contacts {
                        run.conflicts += self
                            .receive(ctx, &due.system, &r.record_id, r.modified_at, &r.fields)
                            .await?;
                        run.pulled += 1;
                        cursor = Cursor {
                            since: Some(r.modified_at),
                            after_id: Some(r.record_id.clone()),
                        };
                    }
                    ctx.put_record(D, &pk, "cursor", &cursor, None, Condition::Always)?;
                    run.pull_done = !page.more || page.contacts.is_empty();
                    more |= !run.pull_done;
                }
                // Nothing of the page is kept: the platform retries it (an outage, a rate
                // limit) or puts it to a person (a refusal) through the dead letters.
                Err(e) => return Err(pull_failed(&due.system, &e)),
            }
        }
        more |= self.push_batch(ctx, connector.as_ref(), &mut run).await?;
        run.page += 1;
        if more && run.page < self.config.max_pages_per_run {
            ctx.put_record(D, &pk, "run", &run, None, Condition::Always)?;
            return ctx.emit(CrmSyncPageDue {
                system: due.system.clone(),
                run_started_at: run.started_at,
                page: run.page,
            });
        }
        run.finished = true;
        ctx.put_record(D, &pk, "run", &run, None, Condition::Always)?;
        let queued = queued(ctx, &outbox_pk(&due.system)).await?;
        ctx.emit(DataSyncCompleted {
            system: due.system.clone(),
            records: run.pulled + run.pushed,
            started_at: run.started_at,
            finished_at: ctx.now(),
            pulled: run.pulled,
            pushed: run.pushed,
            conflicts: run.conflicts,
            failures: run.failures,
            queued,
        })
    }

    /// Pushes the next queued changes (after those this run handled); whether more wait.
    async fn push_batch(
        &self,
        ctx: &mut Ctx<'_>,
        connector: &dyn crate::connector::CrmConnector,
        run: &mut Run,
    ) -> Result<bool, AgentError> {
        let system = connector.system().to_string();
        let pk = outbox_pk(&system);
        let n = self.config.pushes_per_page;
        let mut q = Query::table(&pk).limit(n + 1);
        if let Some(after) = &run.outbox_after {
            q = q.sort(SortKey::AtLeast(format!("{after}\u{1}")));
        }
        let entries = ctx.query_as::<Queued>(D, &q).await?;
        let more = entries.len() > n;
        for mut entry in entries.into_iter().take(n) {
            run.outbox_after = Some(entry.contact_id.clone());
            let Some(mut c) = self.contact(ctx, &entry.contact_id).await? else {
                ctx.delete(D, &pk, &entry.contact_id)?;
                continue;
            };
            let fields = c.outgoing(&system);
            if fields.is_empty() {
                ctx.delete(D, &pk, &entry.contact_id)?;
                continue;
            }
            let push = Push {
                contact_id: c.contact_id.clone(),
                record_id: c.remote.get(&system).and_then(|r| r.record_id.clone()),
                fields: fields.clone(),
            };
            entry.attempts += 1;
            entry.last_attempt_at = Some(ctx.now());
            match connector.push(&push) {
                Ok(record_id) => {
                    let state = c.remote.entry(system.clone()).or_default();
                    state.record_id = Some(record_id.clone());
                    state.seen.extend(fields);
                    let sid = source_id(&system, &record_id);
                    if !c.source_ids.contains(&sid) {
                        c.source_ids.push(sid);
                    }
                    let previous = c.version;
                    self.save(ctx, &mut c, Some(previous)).await?;
                    ctx.delete(D, &pk, &entry.contact_id)?;
                    run.pushed += 1;
                }
                Err(e) => {
                    entry.last_error = Some(e.to_string());
                    ctx.put_record(D, &pk, &entry.contact_id, &entry, None, Condition::Always)?;
                    run.failures += 1;
                }
            }
        }
        Ok(more)
    }
}
