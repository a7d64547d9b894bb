//! The QuickBooks Online adapter of the [`Ledger`] port: the Accounting API's
//! `JournalEntry` over REST, through the shared exchange ([`Http`]).
//!
//! An entry is created with `POST {base_url}/v3/company/{realm_id}/journalentry
//! ?minorversion=N&requestid=<export id>` (QuickBooks answers a `requestid` it has seen with
//! the first answer and creates nothing: a retry after a lost answer makes no second entry),
//! `Authorization: Bearer <OAuth 2.0 access token>`, `Accept: application/json`; the body has
//! `TxnDate`, `DocNumber` (the entry number), `PrivateNote` (the memo), `CurrencyRef` and one
//! `JournalEntryLineDetail` line per debit or credit: `PostingType`, `AccountRef` by QuickBooks
//! account id (from `[finance.quickbooks] accounts`, keyed by the chart's account names) and
//! `Amount` in major units, the exact decimal of the minor units (an integer rendering, no
//! floating-point arithmetic). Lines on Accounts Receivable name their customer
//! (`Entity`), as QuickBooks requires: the customer is found by `DisplayName` through the query
//! endpoint, else created (`POST …/customer`, its own `requestid`), and remembered.
//!
//! Answers: `2xx` → the entry's `Id`; `401` (an expired access token) is transient — every
//! entry would fail alike, so they stay queued until the token is renewed; any other refusal
//! is read from `Fault.Error[0].Detail`. An account without a QuickBooks id or an amount
//! beyond 15 significant digits is refused before sending (`refused (0)`).

use crate::journal::JournalEntry;
use crate::ledger::Ledger;
use ascent_core::money::Money;
use ascent_integrations::{Answer, Http, IntegrationError, Request, RetryPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The system's name in keys and events.
pub const SYSTEM: &str = "quickbooks";
/// The environment variable holding the OAuth 2.0 access token.
pub const TOKEN_VAR: &str = "ASCENT_QUICKBOOKS_TOKEN";
/// Amounts QuickBooks keeps exactly: 15 significant digits.
const MAX_DIGITS: u32 = 15;

/// `[finance.quickbooks]`: where and how the journal is exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuickBooksConfig {
    /// `https://quickbooks.api.intuit.com` (sandbox: `https://sandbox-quickbooks.api.intuit.com`).
    pub base_url: String,
    /// The company's realm id (QuickBooks' "Company ID").
    pub realm_id: String,
    /// The API's minor version sent with every request.
    pub minor_version: u32,
    /// Entries one hourly run sends, at most.
    pub max_syncs_per_run: usize,
    /// The approver role a refused entry is put to.
    pub approver_role: String,
    /// Chart account name → QuickBooks account id.
    pub accounts: BTreeMap<String, String>,
    pub http: RetryPolicy,
}

/// Why an entry cannot be sent as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unexportable {
    #[error("account `{0}` has no QuickBooks id in [finance.quickbooks] accounts")]
    UnmappedAccount(String),
    #[error("{0} is beyond the {MAX_DIGITS} significant digits QuickBooks keeps")]
    TooLarge(String),
    #[error("customer `{0}` has no QuickBooks id")]
    UnknownCustomer(String),
}

/// `minor` in major units as a JSON number whose text is the exact decimal (`123450` USD →
/// `1234.50` → `1234.5`).
pub fn amount(minor: i64, currency: &str) -> Result<Value, Unexportable> {
    let m = Money::new(minor, currency);
    if minor.unsigned_abs() >= 10u64.pow(MAX_DIGITS) {
        return Err(Unexportable::TooLarge(m.to_string()));
    }
    let text = m.to_decimal_string();
    serde_json::from_str::<serde_json::Number>(&text)
        .map(Value::Number)
        .map_err(|_| Unexportable::TooLarge(text))
}

/// The `JournalEntry` body of `e`: accounts by id through `accounts`, lines on `receivables`
/// with their customer's id from `customers`.
pub fn journal_entry_body(
    e: &JournalEntry,
    accounts: &BTreeMap<String, String>,
    receivables: &str,
    customers: &BTreeMap<String, String>,
) -> Result<Value, Unexportable> {
    let mut lines = Vec::new();
    for l in &e.lines {
        let account_id = accounts
            .get(&l.account)
            .ok_or_else(|| Unexportable::UnmappedAccount(l.account.clone()))?;
        for (posting, minor) in [("Debit", l.debit_minor), ("Credit", l.credit_minor)] {
            if minor == 0 {
                continue;
            }
            let mut detail = json!({
                "PostingType": posting,
                "AccountRef": {"value": account_id, "name": l.account},
            });
            if l.account == receivables && !l.name.is_empty() {
                let id = customers
                    .get(&l.name)
                    .ok_or_else(|| Unexportable::UnknownCustomer(l.name.clone()))?;
                detail["Entity"] = json!({"Type": "Customer", "EntityRef": {"value": id}});
            }
            let mut line = json!({
                "DetailType": "JournalEntryLineDetail",
                "Amount": amount(minor, &e.currency)?,
                "JournalEntryLineDetail": detail,
            });
            if !l.name.is_empty() {
                line["Description"] = json!(l.name);
            }
            lines.push(line);
        }
    }
    Ok(json!({
        "TxnDate": e.date.to_string(),
        "DocNumber": e.entry_no,
        "PrivateNote": e.memo.chars().take(4000).collect::<String>(),
        "CurrencyRef": {"value": e.currency},
        "Line": lines,
    }))
}

/// The customers named on `e`'s receivable lines.
pub fn customers_of<'a>(e: &'a JournalEntry, receivables: &str) -> Vec<&'a str> {
    let mut names: Vec<&str> = e
        .lines
        .iter()
        .filter(|l| l.account == receivables && !l.name.is_empty())
        .map(|l| l.name.as_str())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A stable short key of `s` (FNV-1a, 64 bits) for a `requestid` within 50 characters.
fn fnv(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn refused_here(e: Unexportable) -> IntegrationError {
    IntegrationError::Refused {
        status: 0,
        message: e.to_string(),
    }
}

pub struct QuickBooks {
    config: QuickBooksConfig,
    /// The chart's receivables account (its lines need a customer).
    receivables: String,
    http: Http,
    /// Customers found or created: display name → id.
    customers: Mutex<BTreeMap<String, String>>,
}

impl QuickBooks {
    pub fn new(config: &QuickBooksConfig, receivables: &str, token: &str) -> Self {
        Self {
            http: Http::bearer(token, config.http),
            config: config.clone(),
            receivables: receivables.into(),
            customers: Mutex::new(BTreeMap::new()),
        }
    }

    /// The same adapter with `http` (tests: pauses recorded).
    pub fn with_http(mut self, http: Http) -> Self {
        self.http = http;
        self
    }

    fn url(&self, what: &str) -> String {
        format!(
            "{}/v3/company/{}/{what}",
            self.config.base_url.trim_end_matches('/'),
            self.config.realm_id
        )
    }

    fn request(&self, req: Request) -> Request {
        req.query("minorversion", self.config.minor_version.to_string())
            .header("Accept", "application/json")
    }

    /// A `2xx` body; `401` transient (the token), anything else a refusal.
    fn send(&self, req: &Request) -> Result<Value, IntegrationError> {
        let a: Answer = self.http.send(req)?;
        match a.status {
            200..=299 => Ok(a.body),
            401 => Err(IntegrationError::Unavailable {
                attempts: 1,
                last: format!(
                    "authorisation refused (401): {}; renew {TOKEN_VAR}",
                    a.refusal()
                ),
            }),
            _ => Err(a.refusal()),
        }
    }

    fn id_in(body: &Value, entity: &str) -> Result<String, IntegrationError> {
        body[entity]["Id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| IntegrationError::BadAnswer(format!("no `{entity}.Id`")))
    }

    /// The id of customer `name`: remembered, found by display name, or created.
    fn customer_id(&self, name: &str) -> Result<String, IntegrationError> {
        if let Some(id) = self.customers.lock().expect("not poisoned").get(name) {
            return Ok(id.clone());
        }
        let query = format!(
            "select Id from Customer where DisplayName = '{}'",
            name.replace('\\', "\\\\").replace('\'', "\\'")
        );
        let found =
            self.send(&self.request(Request::get(self.url("query")).query("query", query)))?;
        let id = match found["QueryResponse"]["Customer"][0]["Id"].as_str() {
            Some(id) => id.to_string(),
            None => {
                let created = self.send(
                    &self
                        .request(Request::post(self.url("customer")))
                        .query("requestid", format!("ascent-customer-{}", fnv(name)))
                        .json(json!({"DisplayName": name})),
                )?;
                Self::id_in(&created, "Customer")?
            }
        };
        self.customers
            .lock()
            .expect("not poisoned")
            .insert(name.into(), id.clone());
        Ok(id)
    }
}

impl Ledger for QuickBooks {
    fn system(&self) -> &str {
        SYSTEM
    }

    fn title(&self) -> &str {
        "QuickBooks Online"
    }

    fn export(&self, id: &str, entry: &JournalEntry) -> Result<String, IntegrationError> {
        // Unmapped accounts are refused before any customer is looked up or created.
        if let Some(l) = entry
            .lines
            .iter()
            .find(|l| !self.config.accounts.contains_key(&l.account))
        {
            return Err(refused_here(Unexportable::UnmappedAccount(
                l.account.clone(),
            )));
        }
        let mut customers = BTreeMap::new();
        for name in customers_of(entry, &self.receivables) {
            customers.insert(name.to_string(), self.customer_id(name)?);
        }
        let body = journal_entry_body(entry, &self.config.accounts, &self.receivables, &customers)
            .map_err(refused_here)?;
        let created = self.send(
            &self
                .request(Request::post(self.url("journalentry")))
                .query("requestid", id)
                .json(body),
        )?;
        Self::id_in(&created, "JournalEntry")
    }
}

#[cfg(test)]
#[path = "quickbooks_tests.rs"]
mod tests;
