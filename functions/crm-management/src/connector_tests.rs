//! The HubSpot and Salesforce adapters against the stub CRM on 127.0.0.1: pages in order of
//! modification, rate limits waited out as asked, server errors retried with a doubling pause,
//! lost answers retried without making anything twice, refusals final.

use crate::connector::{CrmConnector, Cursor, Http, Push, RetryPolicy, SyncError};
use crate::hubspot::HubSpot;
use crate::salesforce::Salesforce;
use crate::stub_crm::{self, Fault};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        backoff: Duration::from_millis(500),
        max_wait: Duration::from_secs(30),
        timeout: Duration::from_secs(5),
    }
}

type Waits = Arc<Mutex<Vec<Duration>>>;

fn http(waits: &Waits) -> Http {
    let w = waits.clone();
    Http::bearer("pat-na1-11112222", policy())
        .with_sleep(Arc::new(move |d| w.lock().unwrap().push(d)))
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn hubspot_pulls_changed_contacts_page_by_page_oldest_first() {
    let (base, crm) = stub_crm::start();
    {
        let mut c = crm.lock().unwrap();
        c.edit(
            "51234",
            at("2026-03-02T10:00:00Z"),
            &[
                ("email", "ana.ruiz@boreal-aero.example"),
                ("firstname", "Ana"),
                ("lastname", "Ruiz"),
                ("phone", "+49 30 901820"),
            ],
        );
        c.edit(
            "51240",
            at("2026-03-02T10:00:00Z"),
            &[
                ("email", "li.wei@jadepeak.example"),
                ("firstname", "Li"),
                ("lastname", "Wei"),
            ],
        );
        c.edit(
            "51239",
            at("2026-03-02T09:00:00Z"),
            &[("email", "tom@fenwick.example"), ("jobtitle", "CFO")],
        );
    }
    let waits = Waits::default();
    let hs = HubSpot::new(&base, "unused", policy()).with_http(http(&waits));
    let page = hs.pull(&Cursor::default(), 2).unwrap();
    let ids: Vec<&str> = page.contacts.iter().map(|c| c.record_id.as_str()).collect();
    assert_eq!(ids, ["51239", "51234"]);
    assert!(page.more);
    assert_eq!(
        page.contacts[1].fields.full_name.as_deref(),
        Some("Ana Ruiz")
    );
    assert_eq!(page.contacts[0].fields.job_title.as_deref(), Some("CFO"));
    assert_eq!(page.contacts[1].modified_at, at("2026-03-02T10:00:00Z"));
    // The next page starts after the last contact read, even at the same instant.
    let cursor = Cursor {
        since: Some(at("2026-03-02T10:00:00Z")),
        after_id: Some("51234".into()),
    };
    let page = hs.pull(&cursor, 2).unwrap();
    let ids: Vec<&str> = page.contacts.iter().map(|c| c.record_id.as_str()).collect();
    assert_eq!(ids, ["51240"]);
    assert!(!page.more);
    let c = crm.lock().unwrap();
    assert_eq!(c.requests[0].2.as_deref(), Some("Bearer pat-na1-11112222"));
    assert_eq!(
        c.requests[0].3["sorts"][0]["propertyName"],
        "lastmodifieddate"
    );
}

#[test]
fn hubspot_push_waits_out_rate_limits_retries_outages_and_never_creates_twice() {
    let (base, crm) = stub_crm::start();
    crm.lock().unwrap().now = Some(at("2026-03-02T11:00:00Z"));
    crm.lock()
        .unwrap()
        .script
        .extend([Fault::RateLimited(2), Fault::Unavailable, Fault::Lost]);
    let waits = Waits::default();
    let hs = HubSpot::new(&base, "unused", policy()).with_http(http(&waits));
    let push = Push {
        contact_id: "lead:L000123".into(),
        record_id: None,
        fields: fields(&[
            ("email", "ana.ruiz@boreal-aero.example"),
            ("full_name", "Ana Ruiz"),
            ("job_title", "COO"),
        ]),
    };
    // 429 (wait 2 s as asked), 503 (wait the backoff, 0.5 s), created but the answer lost
    // (wait 1 s, doubled), then the retried create meets 409 and patches the one made.
    let id = hs.push(&push).unwrap();
    assert_eq!(
        *waits.lock().unwrap(),
        [
            Duration::from_secs(2),
            Duration::from_millis(500),
            Duration::from_secs(1)
        ]
    );
    let c = crm.lock().unwrap();
    assert_eq!(c.contacts.len(), 1, "one contact, however many attempts");
    let made = &c.contacts[&id];
    assert_eq!(made.props["firstname"], "Ana");
    assert_eq!(made.props["lastname"], "Ruiz");
    assert_eq!(made.props["jobtitle"], "COO");
    let last = c.requests.last().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.clone()),
        ("PATCH", format!("/crm/v3/objects/contacts/{id}"))
    );
}

#[test]
fn hubspot_refusals_are_final_and_long_rate_limits_are_given_up() {
    let (base, crm) = stub_crm::start();
    crm.lock().unwrap().edit(
        "51234",
        at("2026-03-02T10:00:00Z"),
        &[("email", "ana@x.example")],
    );
    crm.lock().unwrap().script.push_back(Fault::Refused);
    let waits = Waits::default();
    let hs = HubSpot::new(&base, "unused", policy()).with_http(http(&waits));
    let push = Push {
        contact_id: "c1".into(),
        record_id: Some("51234".into()),
        fields: fields(&[("phone", "+4930901820")]),
    };
    let e = hs.push(&push).unwrap_err();
    assert_eq!(
        e,
        SyncError::Refused {
            status: 400,
            message: "Property values were not valid".into()
        }
    );
    crm.lock()
        .unwrap()
        .script
        .push_back(Fault::RateLimited(120));
    assert_eq!(
        hs.push(&push).unwrap_err(),
        SyncError::RateLimited { wait_seconds: 120 }
    );
    crm.lock().unwrap().script.extend([Fault::Unavailable; 4]);
    assert!(matches!(
        hs.push(&push).unwrap_err(),
        SyncError::Unavailable { attempts: 4, .. }
    ));
    assert_eq!(
        waits.lock().unwrap()[..],
        [
            Duration::from_millis(500),
            Duration::from_secs(1),
            Duration::from_secs(2)
        ]
    );
    // A record HubSpot does not have is a refusal too.
    let gone = Push {
        record_id: Some("99999".into()),
        ..push
    };
    assert!(matches!(
        hs.push(&gone).unwrap_err(),
        SyncError::Refused { status: 404, .. }
    ));
}

#[test]
fn salesforce_pulls_by_soql_and_upserts_by_the_external_id() {
    let (base, crm) = stub_crm::start();
    {
        let mut c = crm.lock().unwrap();
        c.now = Some(at("2026-03-02T12:00:00Z"));
        c.edit(
            "0035e00000AbCdEAAZ",
            at("2026-03-02T10:05:00Z"),
            &[
                ("Email", "ana.ruiz@boreal-aero.example"),
                ("FirstName", "Ana"),
                ("LastName", "Ruiz"),
                ("MailingCountry", "Germany"),
                ("AccountName", "Boreal Aero GmbH"),
            ],
        );
    }
    let waits = Waits::default();
    let sf = Salesforce::new(&base, "v61.0", "unused", policy()).with_http(http(&waits));
    let page = sf.pull(&Cursor::default(), 5).unwrap();
    assert_eq!(page.contacts.len(), 1);
    let r = &page.contacts[0];
    assert_eq!(r.modified_at, at("2026-03-02T10:05:00Z"));
    assert_eq!(r.fields.company.as_deref(), Some("Boreal Aero GmbH"));
    assert_eq!(r.fields.country.as_deref(), Some("Germany"));
    let soql = crm.lock().unwrap().requests[0]
        .3
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        soql.contains(
            "WHERE LastModifiedDate > 1970-01-01T00:00:00Z ORDER BY LastModifiedDate, Id LIMIT 5"
        ),
        "{soql}"
    );
    // A new contact is upserted by its Ascent id; the lost answer's retry finds it made.
    crm.lock().unwrap().script.push_back(Fault::Lost);
    let push = Push {
        contact_id: "lead:L000200".into(),
        record_id: None,
        fields: fields(&[
            ("email", "li.wei@jadepeak.example"),
            ("full_name", "Li Wei"),
            ("company", "Jade Peak"),
            ("country", "CN"),
        ]),
    };
    let id = sf.push(&push).unwrap();
    let c = crm.lock().unwrap();
    assert_eq!(c.contacts.len(), 2, "created once");
    let made = &c.contacts[&id];
    assert_eq!(made.props["LastName"], "Wei");
    assert_eq!(made.props["MailingCountry"], "CN");
    assert!(
        !made.props.contains_key("company"),
        "the account is not pushed"
    );
    drop(c);
    // A known record is patched by its id (204, no body).
    let again = Push {
        record_id: Some("0035e00000AbCdEAAZ".into()),
        fields: fields(&[("job_title", "COO")]),
        contact_id: "lead:L000123".into(),
    };
    assert_eq!(sf.push(&again).unwrap(), "0035e00000AbCdEAAZ");
    assert_eq!(
        crm.lock().unwrap().contacts["0035e00000AbCdEAAZ"].props["Title"],
        "COO"
    );
}

#[test]
fn soql_cursor_and_ids_are_safe() {
    let c = Cursor {
        since: Some(at("2026-03-02T10:05:00Z")),
        after_id: Some("0035e00000AbCdEAAZ".into()),
    };
    assert_eq!(
        crate::salesforce::soql(&c, 5),
        "SELECT Id, Email, FirstName, LastName, Phone, MailingCountry, Title, Account.Name, LastModifiedDate FROM Contact WHERE LastModifiedDate > 2026-03-02T10:05:00Z OR (LastModifiedDate = 2026-03-02T10:05:00Z AND Id > '0035e00000AbCdEAAZ') ORDER BY LastModifiedDate, Id LIMIT 5"
    );
    let injected = Cursor {
        after_id: Some("x' OR Name != '".into()),
        ..c
    };
    assert!(!crate::salesforce::soql(&injected, 5).contains("Name !="));
}
