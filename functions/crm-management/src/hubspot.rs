//! The HubSpot adapter: CRM v3 contacts over REST.
//!
//! Pull: `POST /crm/v3/objects/contacts/search` for contacts whose `lastmodifieddate` is after
//! the cursor (or equal with a greater `hs_object_id`), sorted by `lastmodifieddate`. Push:
//! `PATCH /crm/v3/objects/contacts/{id}` with the changed properties; a contact HubSpot does
//! not have yet is created (`POST /crm/v3/objects/contacts`), and a create answered `409`
//! ("Contact already exists. Existing ID: 51234", as after a lost answer) patches that id.
//! Properties: `email`, `firstname` + `lastname`, `company`, `phone`, `country`, `jobtitle`.

use crate::connector::{
    Answer, CrmConnector, Cursor, Http, Page, Push, RemoteContact, Request, RetryPolicy, SyncError,
    join_name, split_name,
};
use crate::contact::RawFields;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// The properties read.
const PROPERTIES: [&str; 8] = [
    "email",
    "firstname",
    "lastname",
    "company",
    "phone",
    "country",
    "jobtitle",
    "lastmodifieddate",
];

pub struct HubSpot {
    base_url: String,
    http: Http,
}

impl HubSpot {
    pub fn new(base_url: &str, token: &str, policy: RetryPolicy) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').into(),
            http: Http::bearer(token, policy),
        }
    }

    /// The same adapter with `http` (tests: pauses recorded).
    pub fn with_http(mut self, http: Http) -> Self {
        self.http = http;
        self
    }

    fn contacts(&self) -> String {
        format!("{}/crm/v3/objects/contacts", self.base_url)
    }

    fn patch(&self, id: &str, properties: &Value) -> Result<String, SyncError> {
        let a = self.http.send(
            &Request::new("PATCH", format!("{}/{id}", self.contacts()))
                .json(json!({"properties": properties})),
        )?;
        ok_id(&a).ok_or_else(|| a.refusal())
    }
}

fn ok_id(a: &Answer) -> Option<String> {
    if !(200..300).contains(&a.status) {
        return None;
    }
    match &a.body["id"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// HubSpot's properties of the fields to push.
pub fn properties(fields: &std::collections::BTreeMap<String, String>) -> Value {
    let mut p = Map::new();
    for (k, v) in fields {
        match k.as_str() {
            "full_name" => {
                let (first, last) = split_name(v);
                p.insert("firstname".into(), first.into());
                p.insert("lastname".into(), last.into());
            }
            "job_title" => {
                p.insert("jobtitle".into(), v.clone().into());
            }
            other => {
                p.insert(other.into(), v.clone().into());
            }
        }
    }
    Value::Object(p)
}

/// A contact of a search answer.
pub fn contact_of(result: &Value) -> Result<RemoteContact, SyncError> {
    let p = &result["properties"];
    let text = |k: &str| p[k].as_str().map(str::to_string).filter(|s| !s.is_empty());
    let id = result["id"]
        .as_str()
        .ok_or_else(|| SyncError::BadAnswer("a result without `id`".into()))?;
    let modified = text("lastmodifieddate")
        .or_else(|| result["updatedAt"].as_str().map(str::to_string))
        .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        .ok_or_else(|| SyncError::BadAnswer(format!("contact {id} without lastmodifieddate")))?;
    Ok(RemoteContact {
        record_id: id.into(),
        modified_at: modified,
        fields: RawFields {
            email: text("email"),
            full_name: join_name(text("firstname").as_deref(), text("lastname").as_deref()),
            company: text("company"),
            phone: text("phone"),
            country: text("country"),
            job_title: text("jobtitle"),
        },
    })
}

impl CrmConnector for HubSpot {
    fn system(&self) -> &str {
        "hubspot"
    }

    fn pull(&self, cursor: &Cursor, limit: usize) -> Result<Page, SyncError> {
        let ms = cursor.since.map_or(0, |t| t.timestamp_millis()).to_string();
        let mut groups = vec![json!({"filters": [
            {"propertyName": "lastmodifieddate", "operator": "GT", "value": ms}]})];
        if let Some(after) = &cursor.after_id {
            groups.push(json!({"filters": [
                {"propertyName": "lastmodifieddate", "operator": "EQ", "value": ms},
                {"propertyName": "hs_object_id", "operator": "GT", "value": after}]}));
        }
        let a =
            self.http.send(
                &Request::post(format!("{}/search", self.contacts())).json(json!({
                    "filterGroups": groups,
                    "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                    "properties": PROPERTIES,
                    "limit": limit,
                })),
            )?;
        if !(200..300).contains(&a.status) {
            return Err(a.refusal());
        }
        let results = a.body["results"]
            .as_array()
            .ok_or_else(|| SyncError::BadAnswer("no `results`".into()))?;
        let contacts = results
            .iter()
            .map(contact_of)
            .collect::<Result<Vec<_>, _>>()?;
        let more = !a.body["paging"]["next"].is_null() || contacts.len() >= limit;
        Ok(Page { contacts, more })
    }

    fn push(&self, push: &Push) -> Result<String, SyncError> {
        let props = properties(&push.fields);
        if let Some(id) = &push.record_id {
            return self.patch(id, &props);
        }
        let a = self
            .http
            .send(&Request::post(self.contacts()).json(json!({"properties": props})))?;
        if let Some(id) = ok_id(&a) {
            return Ok(id);
        }
        if a.status == 409
            && let Some(existing) = a.body["message"]
                .as_str()
                .and_then(|m| m.split("Existing ID: ").nth(1))
                .map(|s| s.trim().trim_end_matches('.').to_string())
        {
            return self.patch(&existing, &props);
        }
        Err(a.refusal())
    }
}
