//! Webhook verification: good, forged, stale and unsigned deliveries of both CRMs.

use super::*;
use ascent_core::catalog::Payload;
use serde_json::json;

const SECRET: &str = "hs-client-secret-5f0c2a9e";
const URI: &str = "https://hooks.ascent-xr.example/webhooks/hubspot";

fn now() -> DateTime<Utc> {
    "2026-03-20T12:00:00Z".parse().unwrap()
}

fn hubspot_body() -> String {
    json!([
        {"eventId": 1_000_001, "subscriptionId": 4471, "portalId": 62515, "appId": 1160452,
         "occurredAt": 1_774_007_940_000_i64, "subscriptionType": "contact.propertyChange",
         "attemptNumber": 0, "objectId": 51234, "propertyName": "phone",
         "propertyValue": "(212) 555-0199", "changeSource": "CRM_UI"},
        {"eventId": 1_000_002, "subscriptionId": 4472, "portalId": 62515, "appId": 1160452,
         "occurredAt": 1_774_007_940_000_i64, "subscriptionType": "contact.propertyChange",
         "attemptNumber": 0, "objectId": 51234, "propertyName": "firstname",
         "propertyValue": "Ana", "changeSource": "CRM_UI"},
        {"eventId": 1_000_003, "subscriptionId": 4470, "portalId": 62515, "appId": 1160452,
         "occurredAt": 1_774_007_940_000_i64, "subscriptionType": "contact.creation",
         "attemptNumber": 0, "objectId": 51299, "changeSource": "CRM_UI"}
    ])
    .to_string()
}

#[test]
fn a_signed_hubspot_delivery_becomes_one_event_per_mapped_property_change() {
    let body = hubspot_body();
    let ts = (now().timestamp_millis() - 20_000).to_string();
    let sig = hubspot_signature("POST", URI, body.as_bytes(), &ts, SECRET);
    let events = hubspot(
        "POST",
        URI,
        body.as_bytes(),
        Some(&sig),
        Some(&ts),
        SECRET,
        now(),
    )
    .unwrap();
    assert_eq!(
        events.len(),
        1,
        "the name and the creation wait for the pull"
    );
    let e = &events[0];
    assert_eq!(e.source, "ascent.crm");
    let Payload::ContactUpdated(c) = e.payload() else {
        panic!("{e:?}")
    };
    assert_eq!(
        (c.system.as_str(), c.record_id.as_str()),
        ("hubspot", "51234")
    );
    assert_eq!(c.phone.as_deref(), Some("(212) 555-0199"));
    assert_eq!(
        c.changed_at,
        Utc.timestamp_millis_opt(1_774_007_940_000).unwrap()
    );
    // HubSpot's retry of the same delivery is the same event.
    let again = hubspot(
        "POST",
        URI,
        body.as_bytes(),
        Some(&sig),
        Some(&ts),
        SECRET,
        now(),
    )
    .unwrap();
    assert_eq!(again[0].detail.event_id, e.detail.event_id);
}

#[test]
fn forged_altered_stale_and_unsigned_hubspot_deliveries_are_refused() {
    let body = hubspot_body();
    let ts = now().timestamp_millis().to_string();
    let forged = hubspot_signature("POST", URI, body.as_bytes(), &ts, "someone-else");
    let e = hubspot(
        "POST",
        URI,
        body.as_bytes(),
        Some(&forged),
        Some(&ts),
        SECRET,
        now(),
    )
    .unwrap_err();
    assert_eq!(e, InboundError::Forged);
    // Signed for another URL (a delivery replayed to us from elsewhere).
    let elsewhere = hubspot_signature(
        "POST",
        "https://evil.example/hook",
        body.as_bytes(),
        &ts,
        SECRET,
    );
    assert_eq!(
        hubspot(
            "POST",
            URI,
            body.as_bytes(),
            Some(&elsewhere),
            Some(&ts),
            SECRET,
            now()
        )
        .unwrap_err(),
        InboundError::Forged
    );
    let good = hubspot_signature("POST", URI, body.as_bytes(), &ts, SECRET);
    let altered = body.replace("555-0199", "555-0666");
    assert_eq!(
        hubspot(
            "POST",
            URI,
            altered.as_bytes(),
            Some(&good),
            Some(&ts),
            SECRET,
            now()
        )
        .unwrap_err(),
        InboundError::Forged
    );
    let old = (now().timestamp_millis() - 600_000).to_string();
    let sig = hubspot_signature("POST", URI, body.as_bytes(), &old, SECRET);
    assert_eq!(
        hubspot(
            "POST",
            URI,
            body.as_bytes(),
            Some(&sig),
            Some(&old),
            SECRET,
            now()
        )
        .unwrap_err(),
        InboundError::Stale { age: 600 }
    );
    assert_eq!(
        hubspot("POST", URI, body.as_bytes(), None, Some(&ts), SECRET, now()).unwrap_err(),
        InboundError::MissingHeader("X-HubSpot-Signature-v3")
    );
}

fn salesforce_body() -> String {
    json!({"attributes": {"type": "Contact"}, "Id": "0035e00000AbCdEAAZ",
        "Email": "ana.ruiz@boreal-aero.example", "FirstName": "Ana", "LastName": "Ruiz",
        "Phone": "+49 30 901820", "MailingCountry": "Germany", "Title": "COO",
        "Account": {"Name": "Boreal Aero GmbH"}, "LastModifiedDate": "2026-03-20T11:58:30.000+0000"})
    .to_string()
}

#[test]
fn a_signed_salesforce_callout_becomes_a_contact_update_and_a_forged_one_does_not() {
    let body = salesforce_body();
    let ts = (now().timestamp() - 30).to_string();
    let sig = salesforce_signature(body.as_bytes(), &ts, SECRET);
    let e = salesforce(body.as_bytes(), Some(&sig), Some(&ts), SECRET, now()).unwrap();
    let Payload::ContactUpdated(c) = e.payload() else {
        panic!("{e:?}")
    };
    assert_eq!(
        (c.system.as_str(), c.record_id.as_str()),
        ("salesforce", "0035e00000AbCdEAAZ")
    );
    assert_eq!(c.full_name.as_deref(), Some("Ana Ruiz"));
    assert_eq!(c.company.as_deref(), Some("Boreal Aero GmbH"));
    assert_eq!(
        c.changed_at,
        "2026-03-20T11:58:30Z".parse::<DateTime<Utc>>().unwrap()
    );
    let forged = salesforce_signature(body.as_bytes(), &ts, "guessed-secret");
    assert_eq!(
        salesforce(body.as_bytes(), Some(&forged), Some(&ts), SECRET, now()).unwrap_err(),
        InboundError::Forged
    );
    let old = (now().timestamp() - 301).to_string();
    let sig = salesforce_signature(body.as_bytes(), &old, SECRET);
    assert_eq!(
        salesforce(body.as_bytes(), Some(&sig), Some(&old), SECRET, now()).unwrap_err(),
        InboundError::Stale { age: 301 }
    );
    let no_id = body.replace("\"Id\"", "\"Ref\"");
    let sig = salesforce_signature(no_id.as_bytes(), &ts, SECRET);
    assert!(matches!(
        salesforce(no_id.as_bytes(), Some(&sig), Some(&ts), SECRET, now()).unwrap_err(),
        InboundError::Missing(_)
    ));
}
