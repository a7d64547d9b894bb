//! Privacy in the twin: a data subject's records found in the data lake, the event archive,
//! dead letters and the mail outbox through the agents' personal-data declarations
//! ([`ascent_core::privacy`]); exported as one document, or erased: each record deleted or
//! pseudonymised as its declaration says, archived events and dead letters pseudonymised,
//! mail to the subject deleted, every step audited, and the database file rebuilt so no
//! freed page keeps the old values.
//!
//! A record that holds the subject's identifiers under a prefix no declaration covers is
//! reported as undeclared (and pseudonymised on erasure, never left in the clear).

use super::runtime::{Runtime, TwinError};
use ascent_core::agent::{AgentDecl, Domain};
use ascent_core::audit::AuditEntry;
use ascent_core::ports::{Condition, IndexKey, Item, Write};
use ascent_core::privacy::{
    Erasure, Personal, PrivacyKey, Retention, Subject, identifiers_in, looks_personal,
    personal_values, pseudonymise_key, pseudonymise_record,
};
use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Passes over the data lake at most: each may find identifiers that find more records.
const PASSES: usize = 4;

/// The platform's own records that hold personal data (no agent owns them).
pub const PLATFORM: &[(&str, Domain, &str, Personal)] = &[(
    "approvals",
    Domain::Approvals,
    "approval#",
    Personal::pseudonymised(
        &[
            "draft.requester",
            "draft.first_approver",
            "draft.summary",
            "draft.reason",
            "draft.facts",
            "chain[]",
            "decided_by",
            "approved_by[]",
            "comment",
        ],
        &[],
        "Approval requests and decisions: evidence of who authorised what",
        Retention::Days("approvals_days"),
    ),
)];

/// Who keeps a record, and the declaration that covers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    pub agent: &'static str,
    pub personal: Personal,
}

/// The holder of the item `pk` of `domain`: the agent whose owned prefix covers it with a
/// personal-data declaration. `Err` names the owner whose prefix declares none (or `None`: no
/// one owns the key).
pub fn holder_of(
    decls: &[&AgentDecl],
    domain: Domain,
    pk: &str,
) -> Result<Holder, Option<&'static str>> {
    for (agent, d, prefix, personal) in PLATFORM {
        if *d == domain && pk.starts_with(prefix) {
            return Ok(Holder {
                agent,
                personal: *personal,
            });
        }
    }
    let mut owner = None;
    for decl in decls {
        for o in decl.owns.iter().filter(|o| o.covers(domain, pk)) {
            match o.personal {
                Some(personal) => {
                    return Ok(Holder {
                        agent: decl.name,
                        personal,
                    });
                }
                None => owner = Some(decl.name),
            }
        }
    }
    Err(owner)
}

/// One data-lake item that holds the subject's identifiers.
#[derive(Clone, Debug)]
pub struct FoundItem {
    pub domain: Domain,
    pub pk: String,
    pub sk: String,
    pub gsi1: Option<IndexKey>,
    pub expires_at: Option<i64>,
    pub data: Value,
    /// Its declaration, or the owner whose prefix declares no personal data.
    pub holder: Result<Holder, Option<&'static str>>,
}

/// A stored text (an archived event's body, a dead letter's) that names the subject.
#[derive(Clone, Debug)]
pub struct FoundText {
    pub id: i64,
    pub label: String,
    pub text: String,
}

/// Everything the twin holds about one subject.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    pub subject: Subject,
    pub items: Vec<FoundItem>,
    pub events: Vec<FoundText>,
    pub dead_letters: Vec<FoundText>,
    /// Mail to or about the subject: id, and the `.eml` file written for it if any.
    pub mails: Vec<(i64, Option<String>, Value)>,
}

impl Findings {
    /// Items under prefixes that declare no personal data.
    pub fn undeclared(&self) -> impl Iterator<Item = &FoundItem> {
        self.items.iter().filter(|i| i.holder.is_err())
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Finds every item, archived event, dead letter and mail that names `subject`, widening it by
/// the identifying fields of the items found (an address finds a lead, whose phone number and
/// lead id find the rest).
pub fn find(
    c: &Connection,
    decls: &[&AgentDecl],
    mut subject: Subject,
) -> rusqlite::Result<Findings> {
    let mut items = Vec::new();
    for _ in 0..PASSES {
        items = scan_items(c, decls, &subject)?;
        let mut grew = false;
        // Only a record about the subject says who else they are (one that mentions them, a
        // colleague's, would widen the search to its own person).
        let about: Vec<&FoundItem> = items.iter().filter(|i| is_about(i, &subject)).collect();
        for item in about {
            if let Ok(h) = &item.holder {
                for id in identifiers_in(&item.data, &h.personal) {
                    grew |= subject.add(&id);
                }
            }
        }
        if !grew {
            break;
        }
    }
    let about: Vec<&FoundItem> = items.iter().filter(|i| is_about(i, &subject)).collect();
    for item in about {
        if let Ok(h) = &item.holder {
            for v in personal_values(&item.data, &h.personal) {
                subject.mention(&v);
            }
        }
    }
    let texts = |sql: &str| -> rusqlite::Result<Vec<FoundText>> {
        let mut st = c.prepare(sql)?;
        let rows = st.query_map([], |r| {
            Ok(FoundText {
                id: r.get(0)?,
                label: r.get(1)?,
                text: r.get(2)?,
            })
        })?;
        let mut out = Vec::new();
        for row in rows {
            let row = row?;
            if subject.occurs_in(&row.text) {
                out.push(row);
            }
        }
        Ok(out)
    };
    let events = texts("SELECT seq, detail_type, body FROM events")?;
    let dead_letters = texts(
        "SELECT id, agent || ' ' || detail_type, body || char(10) || reason FROM dead_letters",
    )?;
    let mut mails = Vec::new();
    let mut st = c.prepare(
        "SELECT id, file, sender, recipient, subject, text, COALESCE(html, ''), created_at \
         FROM mail_outbox",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (recipient, title, text, html): (String, String, String, String) =
            (r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
        if [&recipient, &title, &text, &html]
            .iter()
            .any(|t| subject.occurs_in(t))
        {
            let sent: String = r.get(7)?;
            let sender: String = r.get(2)?;
            mails.push((
                r.get(0)?,
                r.get(1)?,
                serde_json::json!({"from": sender, "to": recipient, "subject": title,
                                   "created_at": sent, "text": text}),
            ));
        }
    }
    Ok(Findings {
        subject,
        items,
        events,
        dead_letters,
        mails,
    })
}

fn scan_items(
    c: &Connection,
    decls: &[&AgentDecl],
    subject: &Subject,
) -> rusqlite::Result<Vec<FoundItem>> {
    let mut st = c.prepare(
        "SELECT domain, pk, sk, gsi1pk, gsi1sk, expires_at, data FROM items \
         WHERE domain NOT IN ('audit', 'idempotency')",
    )?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let (pk, sk, data): (String, String, String) = (r.get(1)?, r.get(2)?, r.get(6)?);
        let gsi1 = match (
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ) {
            (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
            _ => None,
        };
        let in_index = gsi1
            .as_ref()
            .is_some_and(|g| subject.occurs_in(&g.pk) || subject.occurs_in(&g.sk));
        if !(subject.occurs_in(&pk)
            || subject.occurs_in(&sk)
            || in_index
            || subject.occurs_in(&data))
        {
            continue;
        }
        let domain_name: String = r.get(0)?;
        let Some(domain) = Domain::parse(&domain_name) else {
            continue;
        };
        out.push(FoundItem {
            domain,
            holder: holder_of(decls, domain, &pk),
            pk,
            sk,
            gsi1,
            expires_at: r.get(5)?,
            data: parse(&data),
        });
    }
    Ok(out)
}

/// One record of an export.
#[derive(Clone, Debug, Serialize)]
pub struct ExportedRecord {
    pub agent: String,
    pub domain: &'static str,
    pub key: String,
    pub purpose: String,
    pub retention: Option<Retention>,
    pub on_erasure: Option<Erasure>,
    pub data: Value,
}

/// The export of one subject (GDPR art. 15 and 20): every record, archived event, dead letter
/// and mail about them, each record with the agent that keeps it, why and for how long.
#[derive(Clone, Debug, Serialize)]
pub struct Export {
    pub generated_at: chrono::DateTime<chrono::Utc>,
    pub identifiers: Vec<String>,
    pub records: Vec<ExportedRecord>,
    pub events: Vec<Value>,
    pub dead_letters: Vec<Value>,
    pub mail: Vec<Value>,
}

impl Findings {
    pub fn export(&self, now: chrono::DateTime<chrono::Utc>) -> Export {
        let records = self
            .items
            .iter()
            .map(|i| {
                let (agent, purpose, retention, erasure) = match &i.holder {
                    Ok(h) => (
                        h.agent.to_string(),
                        h.personal.purpose.to_string(),
                        Some(h.personal.retention),
                        Some(h.personal.erasure),
                    ),
                    Err(owner) => (
                        owner.unwrap_or("(no owner)").to_string(),
                        "undeclared".to_string(),
                        None,
                        None,
                    ),
                };
                ExportedRecord {
                    agent,
                    domain: i.domain.as_str(),
                    key: format!("{}/{}", i.pk, i.sk),
                    purpose,
                    retention,
                    on_erasure: erasure,
                    data: i.data.clone(),
                }
            })
            .collect();
        let text = |t: &FoundText| serde_json::json!({"what": t.label, "body": parse(&t.text)});
        Export {
            generated_at: now,
            identifiers: self.subject.identifiers().to_vec(),
            records,
            events: self.events.iter().map(text).collect(),
            dead_letters: self.dead_letters.iter().map(text).collect(),
            mail: self.mails.iter().map(|(_, _, m)| m.clone()).collect(),
        }
    }
}

/// What one agent's records became.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AgentErasure {
    pub deleted: usize,
    pub pseudonymised: usize,
    /// Records under a prefix that declares no personal data (pseudonymised).
    pub undeclared: usize,
}

/// What an erasure did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    pub request_id: String,
    pub per_agent: BTreeMap<String, AgentErasure>,
    pub events: usize,
    pub dead_letters: usize,
    pub mails: usize,
}

impl ErasureReport {
    /// One line per agent, then the platform's stores.
    pub fn render(&self) -> String {
        let mut out = format!("erasure {}\n", self.request_id);
        for (agent, e) in &self.per_agent {
            out.push_str(&format!(
                "  {agent}: {} deleted, {} pseudonymised{}\n",
                e.deleted,
                e.pseudonymised,
                if e.undeclared > 0 {
                    format!(", {} undeclared (pseudonymised)", e.undeclared)
                } else {
                    String::new()
                }
            ));
        }
        out.push_str(&format!(
            "  archived events pseudonymised: {}\n  dead letters pseudonymised: {}\n  mails deleted: {}\n",
            self.events, self.dead_letters, self.mails
        ));
        out
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS erased_subjects (
    pseudonym TEXT PRIMARY KEY, erased_at INTEGER NOT NULL
) WITHOUT ROWID;";

/// Whether the subject is the person `item` is about, not one it mentions.
fn is_about(item: &FoundItem, subject: &Subject) -> bool {
    let keyed = subject.occurs_in(&item.pk) || subject.occurs_in(&item.sk);
    keyed
        || item.holder.as_ref().is_ok_and(|h| {
            identifiers_in(&item.data, &h.personal)
                .iter()
                .any(|v| subject.occurs_in(v))
        })
}

/// The item a found one becomes: `None` when it goes.
fn erased_item(item: &FoundItem, subject: &Subject, key: &PrivacyKey) -> Option<Item> {
    let erasure = match &item.holder {
        Ok(h) => h.personal.erasure,
        Err(_) => Erasure::Pseudonymise,
    };
    // A record goes only when it is about the subject: the key names them, or a field that
    // identifies its person does. A record that only mentions them (a colleague's address in
    // someone else's record) stays, without the mention.
    if erasure == Erasure::Delete && is_about(item, subject) {
        return None;
    }
    let mut data = item.data.clone();
    match &item.holder {
        Ok(h) => pseudonymise_record(&mut data, &h.personal, subject, key),
        Err(_) => {
            let none = Personal::pseudonymised(&[], &[], "", Retention::Relationship);
            pseudonymise_record(&mut data, &none, subject, key)
        }
    }
    Some(Item {
        pk: subject.redact(&item.pk, key),
        sk: subject.redact(&item.sk, key),
        gsi1: item.gsi1.as_ref().map(|g| IndexKey {
            pk: subject.redact(&g.pk, key),
            sk: subject.redact(&g.sk, key),
        }),
        expires_at: item.expires_at,
        data,
    })
}

impl Runtime {
    /// Every record the twin holds about the subject (see [`find`]).
    pub fn privacy_findings(&self, subject: Subject) -> Result<Findings, TwinError> {
        let decls = self.declarations();
        Ok(self.store().read(|c| find(c, &decls, subject))?)
    }

    /// Erases the subject: each record deleted or pseudonymised as its declaration says, their
    /// archived events, dead letters and queued messages' errors pseudonymised, mail to them
    /// deleted (and its `.eml` file), their identifiers' pseudonyms remembered (later events
    /// naming them are pseudonymised on arrival), every step audited under `request_id`; then
    /// the database file is rebuilt so that no freed page keeps a value.
    pub fn erase_subject(
        &self,
        subject: Subject,
        key: &PrivacyKey,
        requested_by: &str,
        request_id: &str,
    ) -> Result<ErasureReport, TwinError> {
        let found = self.privacy_findings(subject)?;
        let subject = &found.subject;
        let now = self.now();
        let mut report = ErasureReport {
            request_id: request_id.to_string(),
            ..ErasureReport::default()
        };
        let requested_by = pseudonymise_key(requested_by, key);
        self.store().write_tx(|tx| {
            tx.conn().execute_batch(SCHEMA)?;
            for item in &found.items {
                let agent = match &item.holder {
                    Ok(h) => h.agent,
                    Err(owner) => owner.unwrap_or("(no owner)"),
                };
                let tally = report.per_agent.entry(agent.to_string()).or_default();
                let after = erased_item(item, subject, key);
                let moved = after
                    .as_ref()
                    .is_none_or(|a| a.pk != item.pk || a.sk != item.sk);
                if moved {
                    tx.apply(Write::Delete {
                        domain: item.domain,
                        pk: item.pk.clone(),
                        sk: item.sk.clone(),
                        condition: Condition::Always,
                    })?;
                }
                let action = match after {
                    None => {
                        tally.deleted += 1;
                        "privacy.erased"
                    }
                    Some(a) => {
                        if item.holder.is_err() {
                            tally.undeclared += 1;
                        } else {
                            tally.pseudonymised += 1;
                        }
                        tx.apply(Write::Put {
                            domain: item.domain,
                            item: a,
                            condition: Condition::Always,
                        })?;
                        "privacy.pseudonymised"
                    }
                };
                let shown = subject.redact(&format!("{}/{}", item.pk, item.sk), key);
                tx.audit(AuditEntry {
                    at: now,
                    actor: "privacy".into(),
                    action: action.into(),
                    domain: item.domain.as_str().into(),
                    item: pseudonymise_key(&shown, key),
                    correlation_id: Some(request_id.to_string()),
                    detail: format!("erasure requested by {requested_by}"),
                })?;
            }
            let c = tx.conn();
            for e in &found.events {
                c.execute(
                    "UPDATE events SET body = ?2 WHERE seq = ?1",
                    params![e.id, subject.redact(&e.text, key)],
                )?;
            }
            report.events = found.events.len();
            for d in &found.dead_letters {
                let (body, reason): (String, String) = c.query_row(
                    "SELECT body, reason FROM dead_letters WHERE id = ?1",
                    [d.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                c.execute(
                    "UPDATE dead_letters SET body = ?2, reason = ?3 WHERE id = ?1",
                    params![d.id, subject.redact(&body, key), subject.redact(&reason, key)],
                )?;
            }
            report.dead_letters = found.dead_letters.len();
            let errors: Vec<(i64, String)> = {
                let mut st = c.prepare(
                    "SELECT id, last_error FROM queue_messages WHERE last_error IS NOT NULL",
                )?;
                let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for (id, error) in errors.into_iter().filter(|(_, e)| subject.occurs_in(e)) {
                c.execute(
                    "UPDATE queue_messages SET last_error = ?2 WHERE id = ?1",
                    params![id, subject.redact(&error, key)],
                )?;
            }
            for (id, _, _) in &found.mails {
                c.execute("DELETE FROM mail_outbox WHERE id = ?1", [id])?;
            }
            report.mails = found.mails.len();
            for id in subject.identifiers().iter().filter(|i| looks_personal(i)) {
                c.execute(
                    "INSERT OR IGNORE INTO erased_subjects (pseudonym, erased_at) VALUES (?1, ?2)",
                    params![key.pseudonym(id), now.timestamp()],
                )?;
            }
            tx.audit(AuditEntry {
                at: now,
                actor: "privacy".into(),
                action: "privacy.erasure".into(),
                domain: "privacy".into(),
                item: request_id.to_string(),
                correlation_id: Some(request_id.to_string()),
                detail: format!(
                    "erasure requested by {requested_by}: {} record(s), {} event(s), {} dead letter(s), {} mail(s)",
                    found.items.len(),
                    report.events,
                    report.dead_letters,
                    report.mails
                ),
            })?;
            Ok::<_, TwinError>(())
        })?;
        for file in found.mails.iter().filter_map(|(_, f, _)| f.as_ref()) {
            let _ = std::fs::remove_file(file);
        }
        *self.erased.write() = None;
        self.store()
            .read(|c| c.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);"))?;
        Ok(report)
    }
}

#[cfg(test)]
#[path = "privacy_tests.rs"]
mod tests;

/// `text` with every address or phone number of an erased subject (one whose pseudonym
/// `erased` holds) replaced by its pseudonym; `None` when it names none.
pub fn without_erased(
    text: &str,
    key: &PrivacyKey,
    erased: &std::collections::HashSet<String>,
) -> Option<String> {
    let mut out = String::new();
    let mut from = 0;
    let mut changed = false;
    for (at, token) in text.split_inclusive(char::is_whitespace).scan(0, |pos, t| {
        let at = *pos;
        *pos += t.len();
        Some((at, t))
    }) {
        let bare = token
            .trim_end()
            .trim_matches(|c: char| "<>()[],;:\"'".contains(c));
        let bare = bare.strip_suffix('.').unwrap_or(bare);
        if looks_personal(bare) && erased.contains(&key.pseudonym(bare)) {
            let start = at + token.find(bare).unwrap_or(0);
            out.push_str(&text[from..start]);
            out.push_str(&key.pseudonym(bare));
            from = start + bare.len();
            changed = true;
        }
    }
    changed.then(|| {
        out.push_str(&text[from..]);
        out
    })
}

impl Runtime {
    /// The pseudonyms of erased subjects' identifiers (empty until an erasure).
    pub(crate) fn erased_pseudonyms(
        &self,
    ) -> Result<std::sync::Arc<std::collections::HashSet<String>>, TwinError> {
        if let Some(set) = self.erased.read().as_ref() {
            return Ok(set.clone());
        }
        let set: std::collections::HashSet<String> = self.store().read(|c| {
            let exists: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'erased_subjects')",
                [],
                |r| r.get(0),
            )?;
            if !exists {
                return Ok(Default::default());
            }
            let mut st = c.prepare("SELECT pseudonym FROM erased_subjects")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<_>>()
        })?;
        let set = std::sync::Arc::new(set);
        *self.erased.write() = Some(set.clone());
        Ok(set)
    }

    /// `e` as it may be kept: an event naming an erased subject (a late webhook, a resent
    /// form) arrives with their identifiers pseudonymised, so it cannot recreate their data.
    pub(crate) fn admitted<'e>(
        &self,
        e: &'e ascent_core::event::Event,
    ) -> Result<std::borrow::Cow<'e, ascent_core::event::Event>, TwinError> {
        let erased = self.erased_pseudonyms()?;
        if erased.is_empty() {
            return Ok(std::borrow::Cow::Borrowed(e));
        }
        let mut value = e.to_value();
        let mut changed = false;
        fn walk(v: &mut Value, f: &mut dyn FnMut(&str) -> Option<String>, changed: &mut bool) {
            match v {
                Value::String(s) => {
                    if let Some(n) = f(s) {
                        *s = n;
                        *changed = true;
                    }
                }
                Value::Array(items) => items.iter_mut().for_each(|i| walk(i, f, changed)),
                Value::Object(map) => map.values_mut().for_each(|i| walk(i, f, changed)),
                _ => {}
            }
        }
        if let Some(detail) = value.get_mut("detail") {
            walk(
                detail,
                &mut |s| without_erased(s, self.privacy_key(), &erased),
                &mut changed,
            );
        }
        if !changed {
            return Ok(std::borrow::Cow::Borrowed(e));
        }
        let kept = ascent_core::event::Event::from_value(value).map_err(|err| {
            TwinError::Refused(format!("an event naming an erased person: {err}"))
        })?;
        Ok(std::borrow::Cow::Owned(kept))
    }

    /// Carries out an `ErasureRequested` before it is acknowledged.
    pub(crate) fn erase_requested(
        &self,
        r: &ascent_core::catalog::ErasureRequested,
    ) -> Result<ErasureReport, TwinError> {
        let subject = Subject::new(Some(&r.email), r.phone.as_deref());
        let report =
            self.erase_subject(subject, self.privacy_key(), &r.requested_by, &r.request_id)?;
        tracing::info!(
            request = %r.request_id,
            records = report.per_agent.values().map(|a| a.deleted + a.pseudonymised + a.undeclared).sum::<usize>(),
            "erasure done"
        );
        Ok(report)
    }
}
