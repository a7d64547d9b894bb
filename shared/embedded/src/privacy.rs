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
use ascent_core::ports::{IndexKey, Item};
pub use ascent_core::privacy::erasure::{
    AgentErasure, ErasureReport, Export, ExportedRecord, FoundItem, Holder, PLATFORM, holder_of,
    without_erased,
};
use ascent_core::privacy::erasure::{PASSES, remembered};
use ascent_core::privacy::{PrivacyKey, Subject, pseudonymise_key};
use rusqlite::{Connection, params};
use serde_json::Value;

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
        // Only a record about the subject says who else they are (one that mentions them, a
        // colleague's, would widen the search to its own person).
        let mut grew = false;
        for item in &items {
            grew |= item.widen(&mut subject);
        }
        if !grew {
            break;
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
        let data: String = r.get(6)?;
        let gsi1 = match (
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ) {
            (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
            _ => None,
        };
        // The raw text first: most rows name nobody and are never parsed.
        let (pk, sk): (String, String) = (r.get(1)?, r.get(2)?);
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
        let item = Item {
            pk,
            sk,
            gsi1,
            expires_at: r.get(5)?,
            data: parse(&data),
        };
        out.extend(FoundItem::matching(decls, domain, item, subject));
    }
    Ok(out)
}

impl Findings {
    pub fn export(&self, now: chrono::DateTime<chrono::Utc>) -> Export {
        let records = self.items.iter().map(FoundItem::exported).collect();
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

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS erased_subjects (
    pseudonym TEXT PRIMARY KEY, erased_at INTEGER NOT NULL
) WITHOUT ROWID;";

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
                let (writes, deleted) = item.erasure_writes(subject, key);
                for w in writes {
                    tx.apply(w)?;
                }
                report.tally(item, deleted);
                tx.audit(item.erasure_audit(deleted, subject, key, now, request_id, &requested_by))?;
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
            for pseudonym in remembered(subject, key) {
                c.execute(
                    "INSERT OR IGNORE INTO erased_subjects (pseudonym, erased_at) VALUES (?1, ?2)",
                    params![pseudonym, now.timestamp()],
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
        ascent_core::privacy::erasure::admitted(e, self.privacy_key(), &erased)
            .map_err(TwinError::Refused)
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
            records = report.records(),
            "erasure done"
        );
        Ok(report)
    }
}
