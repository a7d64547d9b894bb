//! Privacy requests on AWS (GDPR arts. 15, 17 and 20): the data lake's tables scanned a page
//! at a time for a data subject, through the agents' personal-data declarations
//! ([`ascent_core::privacy::erasure`], the same rules as the twin's); exported as one
//! document, or erased: each item deleted or pseudonymised as its declaration says, the
//! dead-letter queues' messages that name the subject replaced by pseudonymised copies, every
//! step in the audit table (under `audit#<date>`, sealed with the rest), and the pseudonyms of
//! the subject's addresses and numbers remembered (`privacy#erased` in the idempotency table)
//! so that every agent's host pseudonymises a later event naming them before handling it.

use crate::dynamo::{DynamoLake, Tables, from_attrs};
use ascent_core::agent::{AgentDecl, Domain};
use ascent_core::audit::AuditEntry;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, DataLake, Item, LakeError, Write};
use ascent_core::privacy::erasure::{
    ErasureReport, Export, FoundItem, PASSES, SEARCHED, admitted, remembered,
};
use ascent_core::privacy::{PrivacyKey, Subject, looks_personal, pseudonymise_key};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// The idempotency table's partition of erased subjects' pseudonyms (one item each).
pub const ERASED_PK: &str = "privacy#erased";
/// Items per Scan page (DynamoDB stops a page at 1 MB anyway).
const PAGE: i32 = 500;
const NOT_VISIBLE: aws_sdk_sqs::types::QueueAttributeName =
    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible;
/// Receives looked through per dead-letter queue at most (10 messages each).
const MAX_RECEIVES: usize = 100;

/// A privacy request that could not be carried out (it is retried; an erasure is idempotent).
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("data lake: {0}")]
    Lake(#[from] LakeError),
    #[error("dead-letter queue {queue}: {message}")]
    Queue { queue: String, message: String },
}

/// A dead letter that names the subject.
#[derive(Clone, Debug)]
pub struct FoundDeadLetter {
    pub queue: String,
    pub queue_url: String,
    pub receipt: String,
    pub body: String,
    pub attributes: HashMap<String, aws_sdk_sqs::types::MessageAttributeValue>,
}

/// What the stack holds about one subject.
#[derive(Clone, Debug, Default)]
pub struct AwsFindings {
    pub subject: Subject,
    pub items: Vec<FoundItem>,
    pub dead_letters: Vec<FoundDeadLetter>,
}

impl AwsFindings {
    /// The export document (the same shape as the twin's: no archived events or outbox here:
    /// EventBridge keeps no archive in the generated stack and SES keeps no copies).
    pub fn export(&self, now: DateTime<Utc>) -> Export {
        Export {
            generated_at: now,
            identifiers: self.subject.identifiers().to_vec(),
            records: self.items.iter().map(FoundItem::exported).collect(),
            events: Vec::new(),
            dead_letters: self
                .dead_letters
                .iter()
                .map(|d| {
                    let reason = d
                        .attributes
                        .get("reason")
                        .and_then(|a| a.string_value())
                        .unwrap_or_default();
                    json!({"what": d.queue, "reason": reason,
                           "body": serde_json::from_str::<Value>(&d.body).unwrap_or(Value::String(d.body.clone()))})
                })
                .collect(),
            mail: Vec::new(),
        }
    }
}

/// The stack's stores a privacy request reads and changes.
pub struct AwsPrivacy {
    dynamo: aws_sdk_dynamodb::Client,
    tables: Tables,
    lake: DynamoLake,
    /// The dead-letter queues' client and the queue name prefix (`ascent-<stage>-`).
    sqs: Option<(aws_sdk_sqs::Client, String)>,
    decls: Vec<&'static AgentDecl>,
}

impl AwsPrivacy {
    pub fn new(
        dynamo: aws_sdk_dynamodb::Client,
        tables: Tables,
        sqs: Option<(aws_sdk_sqs::Client, String)>,
        decls: Vec<&'static AgentDecl>,
    ) -> Self {
        let lake = DynamoLake::new(dynamo.clone(), tables.clone());
        Self {
            dynamo,
            tables,
            lake,
            sqs,
            decls,
        }
    }

    /// Every item of `domain` that names the subject, a Scan page at a time.
    async fn scan(&self, domain: Domain, subject: &Subject) -> Result<Vec<FoundItem>, LakeError> {
        let table = self.tables.name(domain);
        let mut found = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .dynamo
                .scan()
                .table_name(&table)
                .limit(PAGE)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| {
                    LakeError::Unavailable(format!(
                        "scan {table}: {}",
                        aws_sdk_dynamodb::error::DisplayErrorContext(e)
                    ))
                })?;
            for attrs in page.items.unwrap_or_default() {
                let item = from_attrs(attrs)?;
                if item.pk == ERASED_PK {
                    continue;
                }
                found.extend(FoundItem::matching(&self.decls, domain, item, subject));
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(found),
            }
        }
    }

    /// Every item that names the subject, widening it by the identifying fields of the
    /// records about them (an address finds a lead, whose phone number and id find the rest).
    pub async fn find_items(
        &self,
        mut subject: Subject,
    ) -> Result<(Subject, Vec<FoundItem>), LakeError> {
        let mut items = Vec::new();
        for _ in 0..PASSES {
            items.clear();
            for domain in SEARCHED {
                items.extend(self.scan(domain, &subject).await?);
            }
            let mut grew = false;
            for item in &items {
                grew |= item.widen(&mut subject);
            }
            if !grew {
                break;
            }
        }
        Ok((subject, items))
    }

    /// The queues whose messages may name a person: every agent's dead-letter queue
    /// (`<prefix><agent>-errors`), the platform's, and the events no rule could deliver; a
    /// queue the stack does not have is skipped.
    async fn dead_letter_queues(&self) -> Result<Vec<(String, String)>, PrivacyError> {
        let Some((sqs, prefix)) = &self.sqs else {
            return Ok(Vec::new());
        };
        let names = self
            .decls
            .iter()
            .map(|d| format!("{prefix}{}-errors", d.name))
            .chain(
                crate::sqs::PLATFORM_DEAD_LETTER_QUEUES
                    .iter()
                    .map(|(q, _)| format!("{prefix}{q}")),
            );
        let mut queues = Vec::new();
        for name in names {
            match sqs.get_queue_url().queue_name(&name).send().await {
                Ok(out) => queues.extend(out.queue_url.map(|url| (name, url))),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_queue_does_not_exist()) => {}
                Err(e) => return Err(queue_error(&name, e)),
            }
        }
        Ok(queues)
    }

    /// The dead letters that name the subject: held invisible (60 s) for the caller; the
    /// others made visible again at once.
    async fn find_dead_letters(
        &self,
        subject: &Subject,
    ) -> Result<Vec<FoundDeadLetter>, PrivacyError> {
        let Some((sqs, _)) = &self.sqs else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for (queue, url) in self.dead_letter_queues().await? {
            // A message someone holds (a redrive under way) cannot be looked at: try later
            // rather than miss it.
            let in_flight = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(NOT_VISIBLE)
                .send()
                .await
                .map_err(|e| queue_error(&queue, e))?
                .attributes
                .and_then(|a| a.get(&NOT_VISIBLE).and_then(|n| n.parse::<u64>().ok()))
                .unwrap_or(0);
            if in_flight > 0 {
                return Err(PrivacyError::Queue {
                    queue,
                    message: format!("{in_flight} message(s) in flight: try again"),
                });
            }
            let mut others = Vec::new();
            for _ in 0..MAX_RECEIVES {
                let got = sqs
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(10)
                    .visibility_timeout(60)
                    .message_attribute_names("All")
                    .send()
                    .await
                    .map_err(|e| queue_error(&queue, e))?;
                let messages = got.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                for m in messages {
                    let body = m.body.clone().unwrap_or_default();
                    let attributes = m.message_attributes.clone().unwrap_or_default();
                    let receipt = m.receipt_handle.clone().unwrap_or_default();
                    let in_reason = attributes
                        .values()
                        .filter_map(|a| a.string_value())
                        .any(|v| subject.occurs_in(v));
                    if subject.occurs_in(&body) || in_reason {
                        found.push(FoundDeadLetter {
                            queue: queue.clone(),
                            queue_url: url.clone(),
                            receipt,
                            body,
                            attributes,
                        });
                    } else {
                        others.push(receipt);
                    }
                }
            }
            for receipt in others {
                let _ = sqs
                    .change_message_visibility()
                    .queue_url(&url)
                    .receipt_handle(receipt)
                    .visibility_timeout(0)
                    .send()
                    .await;
            }
        }
        Ok(found)
    }

    /// Everything the stack holds about the subject (the dead letters found are made visible
    /// again: an export changes nothing).
    pub async fn find(&self, subject: Subject) -> Result<AwsFindings, PrivacyError> {
        let (subject, items) = self.find_items(subject).await?;
        let dead_letters = self.find_dead_letters(&subject).await?;
        if let Some((sqs, _)) = &self.sqs {
            for d in &dead_letters {
                let _ = sqs
                    .change_message_visibility()
                    .queue_url(&d.queue_url)
                    .receipt_handle(&d.receipt)
                    .visibility_timeout(0)
                    .send()
                    .await;
            }
        }
        Ok(AwsFindings {
            subject,
            items,
            dead_letters,
        })
    }

    /// Erases the subject: each item deleted or pseudonymised as its declaration says (one
    /// small transaction each, so a retry after a failure only finishes the rest), dead letters
    /// naming them replaced by pseudonymised copies, their identifiers' pseudonyms remembered,
    /// every step audited under `request_id`.
    pub async fn erase(
        &self,
        subject: Subject,
        key: &PrivacyKey,
        requested_by: &str,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Result<ErasureReport, PrivacyError> {
        // Everything found first, the dead letters held: a queue that cannot be looked at
        // fails the request before anything changed.
        let (subject, items) = self.find_items(subject).await?;
        let dead_letters = self.find_dead_letters(&subject).await?;
        let requested_by = pseudonymise_key(requested_by, key);
        let mut report = ErasureReport {
            request_id: request_id.to_string(),
            ..ErasureReport::default()
        };
        let mut index = 0;
        // The pseudonyms first: an event arriving during the erasure is already admitted
        // without the subject's identifiers.
        for pseudonym in remembered(&subject, key) {
            self.lake
                .transact(&[Write::Put {
                    domain: Domain::Idempotency,
                    item: Item::new(ERASED_PK, &pseudonym, json!({ "erased_at": now })),
                    condition: Condition::Always,
                }])
                .await?;
        }
        for item in &items {
            let (mut writes, deleted) = item.erasure_writes(&subject, key);
            let entry = item.erasure_audit(deleted, &subject, key, now, request_id, &requested_by);
            writes.push(audit_put(&entry, request_id, index));
            index += 1;
            self.lake.transact(&writes).await?;
            report.tally(item, deleted);
        }
        if let Some((sqs, _)) = &self.sqs {
            for d in &dead_letters {
                let mut send = sqs
                    .send_message()
                    .queue_url(&d.queue_url)
                    .message_body(subject.redact(&d.body, key));
                for (k, v) in &d.attributes {
                    let mut v = v.clone();
                    if let Some(text) = v.string_value() {
                        v.string_value = Some(subject.redact(text, key));
                    }
                    send = send.message_attributes(k, v);
                }
                send.send().await.map_err(|e| queue_error(&d.queue, e))?;
                sqs.delete_message()
                    .queue_url(&d.queue_url)
                    .receipt_handle(&d.receipt)
                    .send()
                    .await
                    .map_err(|e| queue_error(&d.queue, e))?;
            }
        }
        report.dead_letters = dead_letters.len();
        let summary = AuditEntry {
            at: now,
            actor: "privacy".into(),
            action: "privacy.erasure".into(),
            domain: "privacy".into(),
            item: request_id.to_string(),
            correlation_id: Some(request_id.to_string()),
            detail: format!(
                "erasure requested by {requested_by}: {} record(s), {} dead letter(s)",
                items.len(),
                report.dead_letters
            ),
        };
        self.lake
            .transact(&[audit_put(&summary, request_id, index)])
            .await?;
        Ok(report)
    }
}

fn queue_error(queue: &str, e: impl std::error::Error + 'static) -> PrivacyError {
    PrivacyError::Queue {
        queue: queue.to_string(),
        message: aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
    }
}

/// An audit entry as an item of the audit table (`audit#<date>`, as the agents' hosts write
/// them, so the day's seal covers it).
fn audit_put(entry: &AuditEntry, request_id: &str, index: usize) -> Write {
    Write::Put {
        domain: Domain::Audit,
        item: crate::audit_seal::entry_item(
            entry,
            &format!("{request_id}#{index}"),
            Some("ErasureRequested"),
        ),
        condition: Condition::NotExists,
    }
}

/// The strings of an event's detail that may be a person's address or number.
fn personal_tokens(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::String(s) => {
            for token in s.split(|c: char| c.is_whitespace() || "<>()[],;:\"'".contains(c)) {
                let token = token.strip_suffix('.').unwrap_or(token);
                if looks_personal(token) {
                    out.insert(token.to_string());
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| personal_tokens(i, out)),
        Value::Object(map) => map.values().for_each(|i| personal_tokens(i, out)),
        _ => {}
    }
}

/// Why an event could not be admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// The registry could not be read (retried).
    #[error("the erased subjects could not be read: {0}")]
    Unavailable(String),
    /// Pseudonymised, the event no longer parses (dead-lettered, never handled in the clear).
    #[error("{0}")]
    Refused(String),
}

/// `event` as an agent's host may handle it: when it names an erased subject (their
/// pseudonym is in `privacy#erased`), with their identifiers pseudonymised, so a late event
/// cannot recreate their data. An event that names no address or number costs no read.
pub async fn admit<'e>(
    lake: &dyn DataLake,
    key: &PrivacyKey,
    event: &'e Event,
) -> Result<Cow<'e, Event>, AdmitError> {
    let mut tokens = HashSet::new();
    personal_tokens(&event.to_value()["detail"], &mut tokens);
    let mut erased = HashSet::new();
    for token in tokens {
        let pseudonym = key.pseudonym(&token);
        let found = lake
            .get(Domain::Idempotency, ERASED_PK, &pseudonym)
            .await
            .map_err(|e| AdmitError::Unavailable(e.to_string()))?;
        if found.is_some() {
            erased.insert(pseudonym);
        }
    }
    admitted(event, key, &erased).map_err(AdmitError::Refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tokens_of_a_detail_are_its_addresses_and_numbers() {
        let mut out = HashSet::new();
        personal_tokens(
            &json!({"a": "Write to <ana@example.com>.", "b": ["+14155550100"], "c": {"d": "L0001 plain"}}),
            &mut out,
        );
        let mut got: Vec<_> = out.into_iter().collect();
        got.sort();
        assert_eq!(got, vec!["+14155550100", "ana@example.com"]);
    }
}
