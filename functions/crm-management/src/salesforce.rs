//! The Salesforce adapter: REST `sobjects/Contact` and SOQL.
//!
//! Pull: `GET /services/data/{version}/query?q=SELECT … FROM Contact WHERE LastModifiedDate >
//! {cursor} OR (LastModifiedDate = {cursor} AND Id > '{after}') ORDER BY LastModifiedDate, Id
//! LIMIT {n}`. Push: `PATCH /sobjects/Contact/{Id}` for a contact Salesforce has; otherwise an
//! upsert by the external id field `Ascent_Contact_Id__c` (`PATCH
//! /sobjects/Contact/Ascent_Contact_Id__c/{contact id}`), which a retry repeats harmlessly.
//! Fields: `Email`, `FirstName` + `LastName`, `Phone`, `MailingCountry` (the ISO code),
//! `Title`; the company is the contact's `Account.Name`, read but not pushed (moving a contact
//! between accounts is a person's decision in Salesforce).

use crate::connector::{
    CrmConnector, Cursor, Http, Page, Push, RemoteContact, Request, RetryPolicy, SyncError,
    join_name, split_name,
};
use crate::contact::RawFields;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// The external id field upserts go by.
pub const EXTERNAL_ID: &str = "Ascent_Contact_Id__c";

pub struct Salesforce {
    base_url: String,
    version: String,
    http: Http,
}

impl Salesforce {
    pub fn new(base_url: &str, version: &str, token: &str, policy: RetryPolicy) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').into(),
            version: version.into(),
            http: Http::bearer(token, policy),
        }
    }

    pub fn with_http(mut self, http: Http) -> Self {
        self.http = http;
        self
    }

    fn data(&self) -> String {
        format!("{}/services/data/{}", self.base_url, self.version)
    }
}

/// The SOQL of a pull after `cursor`.
pub fn soql(cursor: &Cursor, limit: usize) -> String {
    let select = "SELECT Id, Email, FirstName, LastName, Phone, MailingCountry, Title, \
                  Account.Name, LastModifiedDate FROM Contact";
    let since = cursor
        .since
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let filter = match &cursor.after_id {
        // Ids are 15/18 alphanumeric characters: nothing to escape, but refuse anything else.
        Some(id) if id.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("LastModifiedDate > {since} OR (LastModifiedDate = {since} AND Id > '{id}')")
        }
        _ => format!("LastModifiedDate > {since}"),
    };
    format!("{select} WHERE {filter} ORDER BY LastModifiedDate, Id LIMIT {limit}")
}

/// Salesforce's fields of the fields to push (the company is not pushed).
pub fn sobject(fields: &std::collections::BTreeMap<String, String>) -> Value {
    let mut p = Map::new();
    for (k, v) in fields {
        let name = match k.as_str() {
            "full_name" => {
                let (first, last) = split_name(v);
                p.insert("FirstName".into(), first.into());
                p.insert("LastName".into(), last.into());
                continue;
            }
            "email" => "Email",
            "phone" => "Phone",
            "country" => "MailingCountry",
            "job_title" => "Title",
            _ => continue,
        };
        p.insert(name.into(), v.clone().into());
    }
    Value::Object(p)
}

/// A record of a query answer.
pub fn contact_of(r: &Value) -> Result<RemoteContact, SyncError> {
    let text = |v: &Value| v.as_str().map(str::to_string).filter(|s| !s.is_empty());
    let id = text(&r["Id"]).ok_or_else(|| SyncError::BadAnswer("a record without `Id`".into()))?;
    let modified = r["LastModifiedDate"]
        .as_str()
        .and_then(|t| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.3f%z").ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| SyncError::BadAnswer(format!("contact {id} without LastModifiedDate")))?;
    Ok(RemoteContact {
        record_id: id,
        modified_at: modified,
        fields: RawFields {
            email: text(&r["Email"]),
            full_name: join_name(r["FirstName"].as_str(), r["LastName"].as_str()),
            company: text(&r["Account"]["Name"]),
            phone: text(&r["Phone"]),
            country: text(&r["MailingCountry"]),
            job_title: text(&r["Title"]),
        },
    })
}

impl CrmConnector for Salesforce {
    fn system(&self) -> &str {
        "salesforce"
    }

    fn pull(&self, cursor: &Cursor, limit: usize) -> Result<Page, SyncError> {
        let a = self.http.send(
            &Request::get(format!("{}/query", self.data())).query("q", soql(cursor, limit)),
        )?;
        if !(200..300).contains(&a.status) {
            return Err(a.refusal());
        }
        let records = a.body["records"]
            .as_array()
            .ok_or_else(|| SyncError::BadAnswer("no `records`".into()))?;
        let contacts = records
            .iter()
            .map(contact_of)
            .collect::<Result<Vec<_>, _>>()?;
        let more = contacts.len() >= limit;
        Ok(Page { contacts, more })
    }

    fn push(&self, push: &Push) -> Result<String, SyncError> {
        let body = sobject(&push.fields);
        let url = match &push.record_id {
            Some(id) => format!("{}/sobjects/Contact/{id}", self.data()),
            None => format!(
                "{}/sobjects/Contact/{EXTERNAL_ID}/{}",
                self.data(),
                push.contact_id
            ),
        };
        let a = self.http.send(&Request::new("PATCH", url).json(body))?;
        if !(200..300).contains(&a.status) {
            return Err(a.refusal());
        }
        // An update answers 204 without a body: the id is the one patched.
        match (a.body["id"].as_str(), &push.record_id) {
            (Some(id), _) => Ok(id.to_string()),
            (None, Some(id)) => Ok(id.clone()),
            (None, None) => Err(SyncError::BadAnswer(
                "an upsert answer without the record's id".into(),
            )),
        }
    }
}
