//! `ascent aws local-stack`, `status` and `dlq list|redrive` on moto (issue 20): the local
//! stack is what the generated template declares and a second run changes nothing; the
//! printed environment is the template's; a dead letter shows with its reason and is moved
//! back; a dead letter SQS moved after its last receive shows the reason the function recorded
//! for its last attempt; a missing table or parameter is named.

#[path = "support/moto.rs"]
mod moto;

use ascent::aws::{LocalStack, Outcome, ops};
use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_aws::eventbridge::EventBridgeBus;
use ascent_aws::host::AgentHost;
use ascent_aws::ses::SesMailer;
use ascent_aws::sqs::SqsDeadLetters;
use ascent_core::agent::Domain;
use ascent_core::approval::ApprovalPolicy;
use ascent_core::catalog::PaymentReceived;
use ascent_core::event::{Actor, Event};
use ascent_core::money::Money;
use ascent_core::ports::DataLake;
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};
use moto::Moto;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

const STAGE: &str = "ops";
const SENDER: &str = "agents@ascent-xr.example";

fn stack(moto: &Moto) -> LocalStack {
    LocalStack::new(
        ascent::infra::template(&ascent::agents::declarations()),
        STAGE,
        "us-east-1",
        &moto.url,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn local_stack_status_and_redrive() {
    let moto = Moto::start();
    let config = moto.config().await;
    let mut first = stack(&moto);
    first.create(&config, SENDER).await.unwrap();
    let template = first.template.clone();
    let declared = |ty: &str| {
        template["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == ty)
            .count()
    };
    let created = |kind: &str| {
        first
            .report
            .iter()
            .filter(|r| r.0 == kind && r.2 == Outcome::Created)
            .count()
    };
    assert_eq!(created("table"), declared("AWS::DynamoDB::Table"));
    assert_eq!(created("queue"), declared("AWS::SQS::Queue"));
    assert_eq!(created("rule"), declared("AWS::Events::Rule"));
    assert_eq!(created("event bus"), declared("AWS::Events::EventBus"));
    // The configuration's parameters, the approval-link key and the privacy key.
    assert_eq!(created("parameter"), declared("AWS::SSM::Parameter") + 2);
    assert_eq!(created("SES identity"), 1);

    // On the endpoint: tables with gsi1 and TTL, queues with redrive, the link key.
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let billing = ddb
        .describe_table()
        .table_name(format!("ascent-{STAGE}-financial"))
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(
        billing
            .global_secondary_indexes()
            .iter()
            .any(|g| g.index_name() == Some("gsi1"))
    );
    let ssm = aws_sdk_ssm::Client::new(&config);
    let key = ascent_aws::settings::parameter(&ssm, "/ascent/approval-link-key")
        .await
        .unwrap();
    assert_eq!(key.len(), 64);
    let stripe = ascent_aws::settings::parameter(&ssm, "/ascent/stripe-webhook-secret")
        .await
        .unwrap_err();
    assert!(
        stripe.to_string().contains("/ascent/stripe-webhook-secret"),
        "{stripe}"
    );

    // A second run changes nothing.
    let mut second = stack(&moto);
    second.create(&config, SENDER).await.unwrap();
    assert!(
        second.report.iter().all(|r| r.2 == Outcome::Existed),
        "{:?}",
        second
            .report
            .iter()
            .filter(|r| r.2 == Outcome::Created)
            .collect::<Vec<_>>()
    );
    assert_eq!(second.report.len(), first.report.len());
    assert_eq!(
        ascent_aws::settings::parameter(&ssm, "/ascent/approval-link-key")
            .await
            .unwrap(),
        key
    );

    // The environment of billing is the template's Environment, resolved, plus the endpoint.
    let env = second.environment("billing").unwrap();
    let keys: BTreeSet<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    let function = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Metadata"]["BuildProperties"]["Binary"] == "billing")
        .unwrap();
    let mut want: BTreeSet<&str> = function["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    want.extend([
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]);
    assert_eq!(keys, want);
    let value = |k: &str| env.iter().find(|e| e.0 == k).unwrap().1.clone();
    assert_eq!(value("ASCENT_TABLE_PREFIX"), format!("ascent-{STAGE}-"));
    assert_eq!(value("ASCENT_EVENT_BUS"), format!("ascent-{STAGE}"));
    assert_eq!(value("AWS_ENDPOINT_URL"), moto.url);
    let dlq = value("ASCENT_DEAD_LETTER_QUEUE_URL");
    assert!(
        dlq.ends_with(&format!("ascent-{STAGE}-billing-errors")),
        "{dlq}"
    );
    assert!(value("ASCENT_CONFIG_PARAMETER").starts_with(&format!("/ascent/{STAGE}/")));

    // A dead letter with the reason the function recorded (SqsDeadLetters sets it).
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = sqs
        .get_queue_url()
        .queue_name(format!("ascent-{STAGE}-billing-errors"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert_eq!(queue, dlq);
    sqs.send_message()
        .queue_url(&queue)
        .message_body(r#"{"detail-type":"DealClosedWon"}"#)
        .message_attributes(
            "reason",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("invalid input: amount is missing")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let status = ops::status(&second, &sqs, &ddb).await.unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("ascent-{STAGE}-billing-errors ")))
        .unwrap();
    assert_eq!(line.split_whitespace().nth(1), Some("1"), "{status}");
    assert!(
        status.contains("invalid input: amount is missing"),
        "{status}"
    );
    let list = ops::dlq_list(&second, &sqs, &ddb).await.unwrap();
    assert!(
        list.contains(&format!("ascent-{STAGE}-billing-errors"))
            && list.contains("invalid input: amount is missing"),
        "{list}"
    );

    // Redrive moves it back to billing's queue and says how many.
    let moved = ops::dlq_redrive(&second, &sqs).await.unwrap();
    assert_eq!(
        moved,
        vec![(
            format!("ascent-{STAGE}-billing-errors"),
            format!("ascent-{STAGE}-billing-priority"),
            1
        )]
    );
    assert!(
        ops::dlq_list(&second, &sqs, &ddb)
            .await
            .unwrap()
            .contains("no dead letters")
    );
    let priority = sqs
        .get_queue_url()
        .queue_name(format!("ascent-{STAGE}-billing-priority"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert_eq!(ops::depth(&sqs, &priority).await.unwrap().0, 1);

    // Pending approvals come from the approvals table (records as the approvals adapter
    // writes them: sk `approval`, the status in `data`).
    use aws_sdk_dynamodb::types::AttributeValue as A;
    for (id, status) in [("approval#A1", "pending"), ("approval#A2", "approved")] {
        ddb.put_item()
            .table_name(format!("ascent-{STAGE}-approvals"))
            .item("pk", A::S(id.into()))
            .item("sk", A::S("approval".into()))
            .item(
                "data",
                A::M([("status".to_string(), A::S(status.into()))].into()),
            )
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        ops::pending_approvals(STAGE, &ddb).await.unwrap(),
        vec!["approval#A1".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_table_is_named() {
    let moto = Moto::start();
    let config = moto.config().await;
    let lake = DynamoLake::new(
        aws_sdk_dynamodb::Client::new(&config),
        Tables {
            prefix: "ascent-missing-".into(),
        },
    );
    let e = lake
        .get(Domain::Financial, "invoice#1", "invoice")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("table ascent-missing-financial does not exist"),
        "{e}"
    );
}

/// A message whose handler fails retryably on every receive (Billing paid for an invoice it
/// does not know yet) is moved to Billing's error queue by SQS after the template's
/// `maxReceiveCount`, without a `reason` attribute; `dlq list` and `status` show the reason
/// the Lambda host recorded for its last attempt, looked up by the event id in the body.
#[tokio::test(flavor = "multi_thread")]
async fn a_dead_letter_moved_by_sqs_shows_the_reason_the_function_recorded() {
    let moto = Moto::start();
    let config = moto.config().await;
    let mut stack = stack(&moto);
    stack.create(&config, SENDER).await.unwrap();
    let env = stack.environment("billing").unwrap();
    let value = |k: &str| env.iter().find(|e| e.0 == k).unwrap().1.clone();
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    // Billing's host as its function builds it, over the template's environment.
    let host = AgentHost {
        max_receive_count: None,
        dead_letter_queues: None,
        privacy: ascent_core::privacy::PrivacyKey::new([7u8; 32]).unwrap(),
        retention: Default::default(),
        agent: Arc::new(billing::Billing::default()),
        lake: Arc::new(DynamoLake::new(
            ddb.clone(),
            Tables {
                prefix: value("ASCENT_TABLE_PREFIX"),
            },
        )),
        bus: Arc::new(EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(&config),
            value("ASCENT_EVENT_BUS"),
        )),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&config))),
        approvals: None,
        policy: ApprovalPolicy::default(),
        mail_from: SENDER.into(),
        dead_letters: Some(Arc::new(SqsDeadLetters::new(
            sqs.clone(),
            value("ASCENT_DEAD_LETTER_QUEUE_URL"),
        ))),
    };
    let payment = Event::new(
        "ascent.payments",
        Actor::system("ascent.payments"),
        chrono::Utc::now(),
        PaymentReceived {
            payment_id: "P-inv-404".into(),
            invoice_id: "inv-404".into(),
            amount: Money::usd(1_000),
            received_at: chrono::Utc::now(),
            method: "ach".into(),
        },
    );
    host.bus.publish(&[payment]).await.unwrap();

    // The event source mapping: each receive handed to the host, which reports it failed.
    let queue = stack.queues["BillingQueue"].0.clone();
    let receive = || async {
        sqs.receive_message()
            .queue_url(&queue)
            .visibility_timeout(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    };
    for attempt in 1..=ascent::infra::MAX_RECEIVE_COUNT {
        let mut got = receive().await;
        for _ in 0..25 {
            if !got.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            got = receive().await;
        }
        assert_eq!(
            got.len(),
            1,
            "attempt {attempt}: the payment on Billing's queue"
        );
        let response = host.handle_sqs(moto::wire::sqs_event(&got)).await;
        assert_eq!(response.batch_item_failures.len(), 1, "retried");
    }
    // The next receive finds it past maxReceiveCount: SQS moves it, with no reason of its own.
    assert!(receive().await.is_empty());

    let list = ops::dlq_list(&stack, &sqs, &ddb).await.unwrap();
    let line = list
        .lines()
        .find(|l| l.contains(&format!("in ascent-{STAGE}-billing-errors")))
        .unwrap_or_else(|| panic!("no dead letter in Billing's error queue: {list}"));
    assert!(
        line.contains("invoice inv-404 not found (yet)")
            && line.contains(&format!(
                "recorded by billing at attempt {}",
                ascent::infra::MAX_RECEIVE_COUNT
            )),
        "{list}"
    );
    assert!(!list.contains("no reason recorded"), "{list}");
    // `status` shows the same (each listing is one more receive: compare the reason only).
    let reason = line.split_once("): ").unwrap().1;
    let status = ops::status(&stack, &sqs, &ddb).await.unwrap();
    assert!(status.contains(reason), "{status}");
}

/// `ascent aws dnc-import` (issue 23): the National Do Not Call Registry's extract lands in
/// the stack's customer table through the DynamoDB adapter, numbers first, the area code's
/// extract record last, as in the twin.
#[tokio::test(flavor = "multi_thread")]
async fn a_do_not_call_registry_extract_lands_in_the_stack_s_tables() {
    let moto = Moto::start();
    let config = moto.config().await;
    stack(&moto).create(&config, SENDER).await.unwrap();
    let lake = DynamoLake::new(
        aws_sdk_dynamodb::Client::new(&config),
        Tables {
            prefix: format!("ascent-{STAGE}-"),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("extract.txt");
    // 120 numbers of one area code: more than one DynamoDB transaction's 100 items.
    let text: String = (0..120).map(|i| format!("813555{i:04}\n")).collect();
    std::fs::write(&file, format!("2125550100\n{text}")).unwrap();
    let as_of = "2026-12-01".parse().unwrap();
    let report =
        ascent::dnc::import_file(&lake, &file, as_of, "2026-12-02T00:00:00Z".parse().unwrap())
            .await
            .unwrap();
    assert!(
        report.contains("area code 813: 120 number(s) listed as of 2026-12-01"),
        "{report}"
    );
    let listing = lake
        .get(Domain::Customer, "dnc-registry#+18135550119", "listing")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(listing.data["as_of"], "2026-12-01");
    let extract = lake
        .get(Domain::Customer, "dnc-registry-extract#212", "extract")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(extract.data["numbers"], 1);
}
