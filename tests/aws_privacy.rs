//! The privacy desk on AWS, against moto (docs/privacy.md): an export reads every domain table
//! through the agents' declarations and widens the subject by what her records identify her
//! with; an erasure deletes what is about her, pseudonymises what is kept, replaces the dead
//! letters that name her (body and reason) and leaves the others as they were, remembers her
//! pseudonyms, and every agent's host then admits a later event about her pseudonymised.

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_aws::privacy::{AwsPrivacy, ERASED_PK, admit};
use ascent_core::agent::Domain;
use ascent_core::catalog::TicketOpened;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, DataLake, Item, Write};
use ascent_core::privacy::{PrivacyKey, Subject};
use aws_sdk_sqs::types::MessageAttributeValue;
use chrono::Utc;
use moto::Moto;
use moto::wire::{create_tables, queue, receive};
use serde_json::json;

const PREFIX: &str = "ascent-gdpr-";
const ANA: &str = "ana.ruiz@boreal-aero.example";
const PHONE: &str = "+14155550123";

fn key() -> PrivacyKey {
    PrivacyKey::new([9u8; 32]).unwrap()
}

fn put(domain: Domain, pk: &str, sk: &str, data: serde_json::Value) -> Write {
    Write::Put {
        domain,
        item: Item::new(pk, sk, data),
        condition: Condition::Always,
    }
}

/// Lead Generation's lead (her address and phone), Outreach's do-not-call entry found only by
/// the phone number the lead identifies her with (kept, pseudonymised), and someone else's
/// lead.
async fn seed(lake: &DynamoLake) {
    lake.transact(&[
        put(
            Domain::Customer,
            "lead#L000123",
            "profile",
            json!({"email": ANA, "lead": {"lead_id": "L000123", "email": ANA, "phone": PHONE,
                   "full_name": "Ana Ruiz", "company": "Boreal Aero"}}),
        ),
        put(
            Domain::Customer,
            &format!("do-not-call#{PHONE}"),
            "entry",
            json!({"evidence": "asked on the call of 2026-03-04"}),
        ),
        put(
            Domain::Customer,
            "lead#L000999",
            "profile",
            json!({"email": "bo@other.example", "lead": {"lead_id": "L000999",
                   "email": "bo@other.example", "full_name": "Bo Other"}}),
        ),
    ])
    .await
    .unwrap();
}

async fn table_text(ddb: &aws_sdk_dynamodb::Client) -> String {
    let mut out = String::new();
    for d in Domain::ALL {
        let page = ddb
            .scan()
            .table_name(format!("{PREFIX}{}", d.as_str()))
            .send()
            .await
            .unwrap();
        for item in page.items.unwrap_or_default() {
            out.push_str(&format!("{item:?}\n"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_erasure_over_the_tables_and_dead_letter_queues() {
    let moto = Moto::start();
    let config = moto.config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    create_tables(&ddb, PREFIX).await;
    let tables = Tables {
        prefix: PREFIX.into(),
    };
    let lake = DynamoLake::new(ddb.clone(), tables.clone());
    seed(&lake).await;
    // Billing's dead-letter queue: a failed event naming her (and the reason naming her too),
    // and one about someone else.
    let (errors, _) = queue(&sqs, &format!("{PREFIX}billing-errors"), None).await;
    for (body, reason) in [
        (
            json!({"detail": {"payload": {"email": ANA}}}).to_string(),
            format!("no account for {ANA}"),
        ),
        (
            json!({"detail": {"payload": {"email": "bo@other.example"}}}).to_string(),
            "no account".to_string(),
        ),
    ] {
        sqs.send_message()
            .queue_url(&errors)
            .message_body(body)
            .message_attributes(
                "reason",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(reason)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let decls: Vec<&'static ascent_core::agent::AgentDecl> = ascent_ecosystem::leaked();
    let desk = AwsPrivacy::new(
        ddb.clone(),
        tables,
        Some((sqs.clone(), PREFIX.into())),
        decls,
    );

    // Export: found by her address, the lead gives her phone number; the dead letter too, and
    // the export changes nothing (the dead letters stay visible for the operator).
    let found = desk.find(Subject::new(Some(ANA), None)).await.unwrap();
    assert!(found.subject.identifiers().contains(&PHONE.to_string()));
    let export = serde_json::to_value(found.export(Utc::now())).unwrap();
    let records = export["records"].as_array().unwrap();
    let mut agents: Vec<&str> = records
        .iter()
        .map(|r| r["agent"].as_str().unwrap())
        .collect();
    agents.sort();
    assert_eq!(agents, ["lead-generation", "outreach"], "{export:#}");
    assert_eq!(export["dead_letters"].as_array().unwrap().len(), 1);
    assert_eq!(receive(&sqs, &errors, 2).await.len(), 2, "both still there");
    // While a dead letter is held (here by that look, for the queue's 1 s), an erasure waits.
    assert!(
        desk.erase(
            Subject::new(Some(ANA), None),
            &key(),
            "desk",
            "dsr-0",
            Utc::now()
        )
        .await
        .unwrap_err()
        .to_string()
        .contains("in flight")
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    // Erasure.
    let report = desk
        .erase(
            Subject::new(Some(ANA), None),
            &key(),
            "privacy.desk@ascent-xr.example",
            "dsr-1",
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(report.per_agent["lead-generation"].deleted, 1, "{report:?}");
    assert_eq!(report.per_agent["outreach"].pseudonymised, 1, "{report:?}");
    assert_eq!(report.dead_letters, 1);
    let text = table_text(&ddb).await;
    assert!(!text.contains(ANA) && !text.contains(PHONE), "{text}");
    assert!(
        text.contains("bo@other.example"),
        "someone else's lead stays"
    );
    let dnc = format!("do-not-call#{}", key().pseudonym(PHONE));
    assert!(text.contains(&dnc), "the do-not-call entry is kept: {text}");
    assert!(text.contains("privacy.erasure") && text.contains("dsr-1"));
    assert!(
        !text.contains("privacy.desk@"),
        "the requester is pseudonymised"
    );
    // The dead letters: hers replaced by a pseudonymised copy, reason too; the other as it was.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let letters = receive(&sqs, &errors, 2).await;
    assert_eq!(letters.len(), 2);
    let mut bodies: Vec<String> = letters
        .iter()
        .map(|m| {
            format!(
                "{} {}",
                m.body.clone().unwrap(),
                m.message_attributes.as_ref().unwrap()["reason"]
                    .string_value()
                    .unwrap()
            )
        })
        .collect();
    bodies.sort();
    assert!(bodies.iter().all(|b| !b.contains(ANA)), "{bodies:?}");
    assert!(bodies.iter().any(|b| b.contains("bo@other.example")));
    assert!(
        bodies
            .iter()
            .any(|b| b.contains(&key().pseudonym(ANA)) && b.contains("no account for p~")),
        "{bodies:?}"
    );

    // Never again: her pseudonyms are remembered, and a host admits a late ticket from her
    // with them in place of her address.
    let remembered = lake
        .get(Domain::Idempotency, ERASED_PK, &key().pseudonym(ANA))
        .await
        .unwrap();
    assert!(remembered.is_some());
    let late = Event::new(
        "ascent.support",
        ascent_core::event::Actor::system("support"),
        Utc::now(),
        TicketOpened {
            ticket_id: "T-9".into(),
            account_id: "A00042".into(),
            subject: "One more thing".into(),
            body: format!("Call me on {PHONE} or write to {ANA}."),
            channel: "email".into(),
            requester: Some(ANA.to_uppercase()),
            created_at: None,
        },
    );
    let admitted = admit(&lake, &key(), &late).await.unwrap();
    let kept = admitted.to_value().to_string();
    assert!(
        !kept.to_lowercase().contains(ANA) && !kept.contains(PHONE),
        "{kept}"
    );
    // Someone never erased is admitted as sent.
    let other = Event::new(
        "ascent.support",
        ascent_core::event::Actor::system("support"),
        Utc::now(),
        TicketOpened {
            ticket_id: "T-10".into(),
            account_id: "A00043".into(),
            subject: "Hello".into(),
            body: "Write to bo@other.example".into(),
            channel: "email".into(),
            requester: Some("bo@other.example".into()),
            created_at: None,
        },
    );
    assert!(matches!(
        admit(&lake, &key(), &other).await.unwrap(),
        std::borrow::Cow::Borrowed(_)
    ));
}
