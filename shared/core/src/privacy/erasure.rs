//! What a privacy request does to a store's records, whatever the store: who holds a record
//! (the agents' declarations and the platform's own), whether it is *about* the subject or only
//! mentions them, what it becomes on erasure, what an export shows of it, what an erasure
//! reports per agent, and an event naming an erased person made safe to keep. The twin
//! (SQLite) and the AWS stack (DynamoDB, SQS) scan their own stores and apply these.

use super::{
    Erasure, Personal, PrivacyKey, Retention, Subject, identifiers_in, looks_personal,
    personal_values, pseudonymise_key, pseudonymise_record,
};
use crate::agent::{AgentDecl, Domain};
use crate::audit::AuditEntry;
use crate::event::Event;
use crate::ports::{Condition, IndexKey, Item, Write};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

/// Passes over a store at most: each may find identifiers that find more records.
pub const PASSES: usize = 4;

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
            "draft.requester_reason",
            "draft.customer.name",
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

/// The domains a privacy request reads: all but the audit trail (which holds no personal data
/// in the clear) and the idempotency records (event ids only).
pub const SEARCHED: [Domain; 6] = [
    Domain::Customer,
    Domain::Interaction,
    Domain::Performance,
    Domain::Financial,
    Domain::Knowledge,
    Domain::Approvals,
];

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

impl FoundItem {
    /// `item` of `domain` if it names the subject anywhere (key, index key, data).
    pub fn matching(
        decls: &[&AgentDecl],
        domain: Domain,
        item: Item,
        subject: &Subject,
    ) -> Option<FoundItem> {
        let in_index = item
            .gsi1
            .as_ref()
            .is_some_and(|g| subject.occurs_in(&g.pk) || subject.occurs_in(&g.sk));
        let named = subject.occurs_in(&item.pk)
            || subject.occurs_in(&item.sk)
            || in_index
            || subject.occurs_in(&item.data.to_string());
        named.then(|| FoundItem {
            domain,
            holder: holder_of(decls, domain, &item.pk),
            pk: item.pk,
            sk: item.sk,
            gsi1: item.gsi1,
            expires_at: item.expires_at,
            data: item.data,
        })
    }

    /// The agent that keeps it (or the owner whose prefix declares nothing).
    pub fn agent(&self) -> &'static str {
        match &self.holder {
            Ok(h) => h.agent,
            Err(owner) => owner.unwrap_or("(no owner)"),
        }
    }

    /// Whether the subject is the person this record is about, not one it mentions: the key
    /// names them, or a field that identifies its person does.
    pub fn is_about(&self, subject: &Subject) -> bool {
        let keyed = subject.occurs_in(&self.pk) || subject.occurs_in(&self.sk);
        keyed
            || self.holder.as_ref().is_ok_and(|h| {
                identifiers_in(&self.data, &h.personal)
                    .iter()
                    .any(|v| subject.occurs_in(v))
            })
    }

    /// Widens `subject` by what this record says of its person (when it is about them):
    /// identifiers to search for, other personal values to redact. Whether an identifier was
    /// new.
    pub fn widen(&self, subject: &mut Subject) -> bool {
        let mut grew = false;
        if let (true, Ok(h)) = (self.is_about(subject), &self.holder) {
            for id in identifiers_in(&self.data, &h.personal) {
                grew |= subject.add(&id);
            }
            for v in personal_values(&self.data, &h.personal) {
                subject.mention(&v);
            }
        }
        grew
    }

    /// The item it becomes on erasure: `None` when it goes. A record goes only when it is
    /// about the subject and declared deleted; one that only mentions them (a colleague's
    /// address in someone else's record) stays, without the mention; a kept one has its
    /// declared personal fields pseudonymised, and an undeclared one every identifier.
    pub fn erased(&self, subject: &Subject, key: &PrivacyKey) -> Option<Item> {
        let erasure = match &self.holder {
            Ok(h) => h.personal.erasure,
            Err(_) => Erasure::Pseudonymise,
        };
        if erasure == Erasure::Delete && self.is_about(subject) {
            return None;
        }
        let mut data = self.data.clone();
        match &self.holder {
            Ok(h) => pseudonymise_record(&mut data, &h.personal, subject, key),
            Err(_) => {
                let none = Personal::pseudonymised(&[], &[], "", Retention::Relationship);
                pseudonymise_record(&mut data, &none, subject, key)
            }
        }
        Some(Item {
            pk: subject.redact(&self.pk, key),
            sk: subject.redact(&self.sk, key),
            gsi1: self.gsi1.as_ref().map(|g| IndexKey {
                pk: subject.redact(&g.pk, key),
                sk: subject.redact(&g.sk, key),
            }),
            expires_at: self.expires_at,
            data,
        })
    }

    /// The writes that erase it (a delete when it goes or its key changes, a put of what it
    /// becomes), and whether it was deleted.
    pub fn erasure_writes(&self, subject: &Subject, key: &PrivacyKey) -> (Vec<Write>, bool) {
        let after = self.erased(subject, key);
        let mut writes = Vec::new();
        if after
            .as_ref()
            .is_none_or(|a| a.pk != self.pk || a.sk != self.sk)
        {
            writes.push(Write::Delete {
                domain: self.domain,
                pk: self.pk.clone(),
                sk: self.sk.clone(),
                condition: Condition::Always,
            });
        }
        let deleted = after.is_none();
        if let Some(item) = after {
            writes.push(Write::Put {
                domain: self.domain,
                item,
                condition: Condition::Always,
            });
        }
        (writes, deleted)
    }

    /// The audit entry of its erasure: which record (its key with the subject's identifiers
    /// pseudonymised), deleted or pseudonymised, under the request, asked by `requested_by`
    /// (already a pseudonym).
    pub fn erasure_audit(
        &self,
        deleted: bool,
        subject: &Subject,
        key: &PrivacyKey,
        at: chrono::DateTime<chrono::Utc>,
        request_id: &str,
        requested_by: &str,
    ) -> AuditEntry {
        let shown = subject.redact(&format!("{}/{}", self.pk, self.sk), key);
        AuditEntry {
            at,
            actor: "privacy".into(),
            action: if deleted {
                "privacy.erased"
            } else {
                "privacy.pseudonymised"
            }
            .into(),
            domain: self.domain.as_str().into(),
            item: pseudonymise_key(&shown, key),
            correlation_id: Some(request_id.to_string()),
            detail: format!("erasure requested by {requested_by}"),
        }
    }

    /// What an export shows of it.
    pub fn exported(&self) -> ExportedRecord {
        let (purpose, retention, on_erasure) = match &self.holder {
            Ok(h) => (
                h.personal.purpose.to_string(),
                Some(h.personal.retention),
                Some(h.personal.erasure),
            ),
            Err(_) => ("undeclared".to_string(), None, None),
        };
        ExportedRecord {
            agent: self.agent().to_string(),
            domain: self.domain.as_str(),
            key: format!("{}/{}", self.pk, self.sk),
            purpose,
            retention,
            on_erasure,
            data: self.data.clone(),
        }
    }
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
    /// Counts one erased record.
    pub fn tally(&mut self, item: &FoundItem, deleted: bool) {
        let t = self.per_agent.entry(item.agent().to_string()).or_default();
        if deleted {
            t.deleted += 1;
        } else if item.holder.is_err() {
            t.undeclared += 1;
        } else {
            t.pseudonymised += 1;
        }
    }

    /// Records erased in all.
    pub fn records(&self) -> usize {
        self.per_agent
            .values()
            .map(|a| a.deleted + a.pseudonymised + a.undeclared)
            .sum()
    }

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

/// The pseudonyms an erasure remembers for `subject` (its addresses and phone numbers, not
/// the ids): a later event naming one is pseudonymised on arrival.
pub fn remembered(subject: &Subject, key: &PrivacyKey) -> Vec<String> {
    subject
        .identifiers()
        .iter()
        .filter(|i| looks_personal(i))
        .map(|i| key.pseudonym(i))
        .collect()
}

/// `text` with every address or phone number of an erased subject (one whose pseudonym
/// `erased` holds) replaced by its pseudonym; `None` when it names none.
pub fn without_erased(text: &str, key: &PrivacyKey, erased: &HashSet<String>) -> Option<String> {
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

/// `e` as it may be kept: an event naming an erased subject (a late webhook, a resent form)
/// with their identifiers pseudonymised, so it cannot recreate their data. `Err` when the
/// pseudonymised event no longer parses (it is refused, never kept in the clear).
pub fn admitted<'e>(
    e: &'e Event,
    key: &PrivacyKey,
    erased: &HashSet<String>,
) -> Result<Cow<'e, Event>, String> {
    if erased.is_empty() {
        return Ok(Cow::Borrowed(e));
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
            &mut |s| without_erased(s, key, erased),
            &mut changed,
        );
    }
    if !changed {
        return Ok(Cow::Borrowed(e));
    }
    Event::from_value(value)
        .map(Cow::Owned)
        .map_err(|err| format!("an event naming an erased person: {err}"))
}
