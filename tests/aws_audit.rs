//! The audit trail on AWS, against moto: the host's audit items hold pseudonyms, never the
//! address a write was keyed by; schedule-tick's sealer chains the finished days in bounded
//! pages continued across runs; `ascent aws audit verify` passes on the sealed trail, lists
//! today as unsealed, and names the item edited or deleted through the raw DynamoDB API.

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::audit_seal::{self, Sealing, day_pk};
use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_aws::host::audit_write;
use ascent_core::agent::Domain;
use ascent_core::catalog::ScheduleTick;
use ascent_core::ports::{Condition, DataLake, Item, Write};
use ascent_core::privacy::PrivacyKey;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use moto::Moto;
use moto::wire::create_tables;

const STAGE: &str = "audit";
const PREFIX: &str = "ascent-audit-";
const ADDRESS: &str = "ana@x.example";

fn key() -> PrivacyKey {
    PrivacyKey::new([7u8; 32]).unwrap()
}

/// Audits `n` writes at `day` 10:00 plus `i` seconds, the first keyed by [`ADDRESS`]; returns
/// their sort keys.
async fn audit(lake: &DynamoLake, day: NaiveDate, n: usize) -> Vec<String> {
    let mut keys = Vec::new();
    for i in 0..n {
        let at: DateTime<Utc> = day.and_hms_opt(10, 0, i as u32).unwrap().and_utc();
        let pk = if i == 0 {
            format!("suppression#{ADDRESS}")
        } else {
            format!("invoice#inv-{i}")
        };
        let w = Write::Put {
            domain: Domain::Customer,
            item: Item::new(pk, "entry", serde_json::json!({})),
            condition: Condition::Always,
        };
        let cause = ScheduleTick::event("daily", at);
        let a = audit_write("email-marketing", &cause, &w, 0, at, &key());
        if let Write::Put { item, .. } = &a {
            keys.push(item.sk.clone());
        }
        lake.transact(&[a]).await.unwrap();
    }
    keys
}

/// Every attribute of every item of the audit table, as text.
async fn raw_audit_table(ddb: &aws_sdk_dynamodb::Client) -> String {
    let out = ddb
        .scan()
        .table_name(format!("{PREFIX}audit"))
        .send()
        .await
        .unwrap();
    format!("{:?}", out.items.unwrap_or_default())
}

#[tokio::test]
async fn the_audit_trail_is_pseudonymous_sealed_and_verified() {
    let moto = Moto::start();
    let config = moto.config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    create_tables(&ddb, PREFIX).await;
    let lake = DynamoLake::new(
        ddb.clone(),
        Tables {
            prefix: PREFIX.into(),
        },
    );
    let now = Utc::now();
    let today = now.date_naive();
    let (d1, d2, d3) = (
        today - Duration::days(3),
        today - Duration::days(2),
        today - Duration::days(1),
    );
    let first = audit(&lake, d1, 7).await;
    let third = audit(&lake, d3, 5).await;
    audit(&lake, today, 2).await;

    // No address in the clear, its pseudonym instead.
    let raw = raw_audit_table(&ddb).await;
    assert!(!raw.contains(ADDRESS), "{raw}");
    assert!(raw.contains(&format!("suppression#{}/entry", key().pseudonym(ADDRESS))));

    // Sealed in runs of at most two pages of three items: day 1 takes two runs, day 2 (no
    // items) is sealed empty, day 3 takes the rest of run 2 and run 3; today waits.
    let at = today.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let bounds = Sealing {
        page_items: 3,
        pages_per_run: 2,
    };
    let run1 = audit_seal::seal(&lake, at, bounds).await.unwrap();
    assert_eq!(
        (run1.sealed.len(), run1.pages, run1.unfinished),
        (0, 2, Some(d1))
    );
    let run2 = audit_seal::seal(&lake, at, bounds).await.unwrap();
    let days = |r: &audit_seal::SealRun| r.sealed.iter().map(|s| s.day).collect::<Vec<_>>();
    assert_eq!(days(&run2), [d1, d2]);
    assert_eq!(run2.unfinished, Some(d3));
    let run3 = audit_seal::seal(&lake, at, bounds).await.unwrap();
    assert_eq!(days(&run3), [d3]);
    assert_eq!(run3.sealed[0].items, 5);
    assert_eq!(run3.sealed[0].prev, run2.sealed[1].hash);
    let idle = audit_seal::seal(&lake, at, bounds).await.unwrap();
    assert_eq!((idle.sealed.len(), idle.pages), (0, 0));

    // `ascent aws audit verify`: intact, today unsealed.
    let report = ascent::aws::audit::verify(ddb.clone(), STAGE)
        .await
        .unwrap();
    assert_eq!(report.broken, None, "{report}");
    assert_eq!((report.days, report.items), (3, 12));
    assert_eq!(report.unsealed, [today]);
    assert!(report.to_string().contains(&format!("unsealed: {today}")));

    // One item edited through the raw API: the day breaks, naming it.
    let edit = |actor: &'static str| {
        ddb.update_item()
            .table_name(format!("{PREFIX}audit"))
            .key("pk", AttributeValue::S(day_pk(d3)))
            .key("sk", AttributeValue::S(third[3].clone()))
            .update_expression("SET #d.#a = :v")
            .expression_attribute_names("#d", "data")
            .expression_attribute_names("#a", "actor")
            .expression_attribute_values(":v", AttributeValue::S(actor.into()))
            .send()
    };
    edit("operator").await.unwrap();
    let report = ascent::aws::audit::verify(ddb.clone(), STAGE)
        .await
        .unwrap();
    let broken = report.broken.clone().expect("the edit is found");
    assert_eq!(broken.day, d3, "{report}");
    assert!(broken.reason.contains(&third[3]), "{report}");
    assert!(broken.reason.contains("edited"), "{report}");
    assert!(report.to_string().contains("audit trail broken on"));

    // Put back, it verifies again; an item deleted from day 1 is named.
    edit("email-marketing").await.unwrap();
    let report = ascent::aws::audit::verify(ddb.clone(), STAGE)
        .await
        .unwrap();
    assert_eq!(report.broken, None, "{report}");
    ddb.delete_item()
        .table_name(format!("{PREFIX}audit"))
        .key("pk", AttributeValue::S(day_pk(d1)))
        .key("sk", AttributeValue::S(first[4].clone()))
        .send()
        .await
        .unwrap();
    let report = ascent::aws::audit::verify(ddb.clone(), STAGE)
        .await
        .unwrap();
    let broken = report.broken.clone().expect("the deletion is found");
    assert_eq!(broken.day, d1, "{report}");
    assert!(broken.reason.contains(&first[4]), "{report}");
    assert!(broken.reason.contains("deleted"), "{report}");
}
