//! The AWS side on the real wire protocol, against moto: EventBridge rules built from the
//! agent's declaration deliver to its SQS queue; the Lambda's SQS entry point handles the
//! received batch; results land in DynamoDB and emitted events on the bus; a poison message
//! is reported as a partial batch failure, dead-lettered after the max receive count with its
//! reason kept, and redriven after the fix. (moto runs no Lambda code: the test calls the
//! handler with exactly what SQS holds, as the event source mapping would.)

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_aws::eventbridge::EventBridgeBus;
use ascent_aws::host::AgentHost;
use ascent_aws::ses::SesMailer;
use ascent_aws::sqs::SqsDeadLetters;
use ascent_core::agent::{Agent, AgentDecl, Domain};
use ascent_core::approval::ApprovalPolicy;
use ascent_core::catalog::{CustomerSignedUp, DealClosedWon, PaymentReceived};
use ascent_core::event::{Actor, Event};
use ascent_core::money::Money;
use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use moto::Moto;
use moto::wire::{create_tables, queue, sqs_event};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const BUS: &str = "ascent-test";
const PREFIX: &str = "ascent-test-";
const MAIL_FROM: &str = "agents@ascent-xr.example";

struct Aws {
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    eb: aws_sdk_eventbridge::Client,
    queue_url: String,
    dlq_url: String,
    tap_url: String,
    host: AgentHost,
}

/// Builds what `infra/` declares for one agent: tables, its queue + DLQ, one rule per
/// subscription (patterns straight from the declaration), a tap queue for emitted events.
async fn provision(moto: &Moto, agent: Arc<dyn Agent>) -> Aws {
    let config = moto.config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let eb = aws_sdk_eventbridge::Client::new(&config);
    let ses = aws_sdk_sesv2::Client::new(&config);
    create_tables(&ddb, PREFIX).await;
    let decl: &AgentDecl = agent.declaration();
    let (dlq_url, dlq_arn) = queue(&sqs, &format!("{}-dlq", decl.name), None).await;
    let (queue_url, queue_arn) = queue(&sqs, decl.name, Some(&dlq_arn)).await;
    let (tap_url, tap_arn) = queue(&sqs, "bus-tap", None).await;
    eb.create_event_bus().name(BUS).send().await.unwrap();
    let mut rules: Vec<(String, Value, String)> = decl
        .subscriptions
        .iter()
        .map(|s| {
            (
                format!("{}-{}", decl.name, s.name),
                s.pattern.clone(),
                queue_arn.clone(),
            )
        })
        .collect();
    rules.push((
        "tap".into(),
        json!({"source": [{"prefix": "ascent.agent."}]}),
        tap_arn,
    ));
    for (name, pattern, arn) in rules {
        eb.put_rule()
            .name(&name)
            .event_bus_name(BUS)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .unwrap();
        eb.put_targets()
            .rule(&name)
            .event_bus_name(BUS)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("q")
                    .arn(arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    ses.create_email_identity()
        .email_identity(MAIL_FROM)
        .send()
        .await
        .unwrap();
    let host = AgentHost {
        max_receive_count: None,
        dead_letter_queues: None,
        privacy: ascent_core::privacy::PrivacyKey::new([7u8; 32]).unwrap(),
        retention: Default::default(),
        agent,
        lake: Arc::new(DynamoLake::new(
            ddb.clone(),
            Tables {
                prefix: PREFIX.into(),
            },
        )),
        bus: Arc::new(EventBridgeBus::new(eb.clone(), BUS)),
        mailer: Arc::new(SesMailer::new(ses)),
        approvals: None,
        policy: ApprovalPolicy::default(),
        mail_from: MAIL_FROM.into(),
        dead_letters: Some(Arc::new(SqsDeadLetters::new(sqs.clone(), dlq_url.clone()))),
    };
    Aws {
        ddb,
        sqs,
        eb,
        queue_url,
        dlq_url,
        tap_url,
        host,
    }
}

/// Receives up to `want` messages (waiting up to ~5 s), as the event source mapping does.
async fn receive(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    want: usize,
) -> Vec<aws_sdk_sqs::types::Message> {
    let mut got = Vec::new();
    for _ in 0..25 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        got.extend(out.messages.unwrap_or_default());
        if got.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    got
}

/// What Lambda does after the handler: delete the messages not reported as failed.
async fn delete_succeeded(aws: &Aws, messages: &[aws_sdk_sqs::types::Message], failed: &[String]) {
    for m in messages {
        if !failed.contains(m.message_id.as_ref().unwrap()) {
            aws.sqs
                .delete_message()
                .queue_url(&aws.queue_url)
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

fn business(source: &str, payload: impl Into<ascent_core::catalog::Payload>) -> Event {
    Event::new(source, Actor::system(source), chrono::Utc::now(), payload)
}

fn signup(account: &str) -> Event {
    business(
        "ascent.platform",
        CustomerSignedUp {
            account_id: account.into(),
            company: "Boreal Aero".into(),
            plan: "enterprise".into(),
            seats: 50,
            tax_region: "US-CA".into(),
            billing_email: "ap@boreal-aero.example".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    )
}

fn won(deal: &str, account: &str) -> Event {
    business(
        "ascent.crm",
        DealClosedWon {
            deal_id: deal.into(),
            account_id: account.into(),
            owner: "ava.rep@ascent-xr.example".into(),
            amount: Money::usd(1_000_000),
            proposal_id: None,
            reason: None,
            lead_id: None,
        },
    )
}

fn payment(invoice: &str, amount: i64) -> Event {
    business(
        "ascent.payments",
        PaymentReceived {
            payment_id: format!("P-{invoice}"),
            invoice_id: invoice.into(),
            amount: Money::usd(amount),
            received_at: chrono::Utc::now(),
            method: "ach".into(),
        },
    )
}

/// Receives and handles everything expected on the agent's queue; returns the failures.
async fn deliver(aws: &Aws, want: usize) -> (Vec<aws_sdk_sqs::types::Message>, Vec<String>) {
    let messages = receive(&aws.sqs, &aws.queue_url, want).await;
    assert_eq!(messages.len(), want, "messages on the agent's queue");
    let response = aws.host.handle_sqs(sqs_event(&messages)).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    delete_succeeded(aws, &messages, &failed).await;
    (messages, failed)
}

async fn invoice(aws: &Aws, id: &str) -> Option<Value> {
    aws.host
        .lake
        .get(Domain::Financial, &format!("invoice#{id}"), "invoice")
        .await
        .unwrap()
        .map(|i| i.data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventbridge_to_sqs_to_the_agent_to_dynamodb_and_back_to_the_bus() {
    let moto = Moto::start();
    let aws = provision(&moto, Arc::new(billing::Billing::default())).await;
    // Business systems put events on the bus (through the adapter: the real PutEvents call).
    aws.host
        .bus
        .publish(&[signup("A1"), won("D1", "A1")])
        .await
        .unwrap();
    let (messages, failed) = deliver(&aws, 2).await;
    assert!(failed.is_empty(), "{failed:?}");

    let inv = invoice(&aws, "inv-D1").await.expect("invoice in DynamoDB");
    assert_eq!(inv["total"]["amount_minor"], 1_072_500); // 10,000.00 + 7.25% CA tax
    assert_eq!(inv["status"], "open");
    // The open-invoice index on the real GSI.
    let open = aws
        .host
        .lake
        .query(
            Domain::Financial,
            &ascent_core::ports::Query::gsi1(billing::OPEN_INVOICES),
        )
        .await
        .unwrap();
    assert_eq!(open.len(), 1);

    // Every write is in the audit table, with agent, item and the flow's correlation id.
    let today = format!("audit#{}", chrono::Utc::now().date_naive());
    let audit = aws
        .host
        .lake
        .query(Domain::Audit, &ascent_core::ports::Query::table(&today))
        .await
        .unwrap();
    let invoice_audit = audit
        .iter()
        .find(|i| i.data["item"] == "invoice#inv-D1/invoice")
        .unwrap_or_else(|| panic!("the invoice write is not audited: {audit:?}"));
    assert_eq!(invoice_audit.data["actor"], "billing");
    assert_eq!(invoice_audit.data["action"], "put");
    assert!(invoice_audit.data["correlation_id"].is_string());

    // The emitted InvoiceIssued went to EventBridge and, through the tap rule, to SQS.
    let tapped = receive(&aws.sqs, &aws.tap_url, 1).await;
    let issued: Vec<Event> = tapped
        .iter()
        .map(|m| Event::parse(m.body.as_deref().unwrap().as_bytes()).unwrap())
        .collect();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].detail_type(), "InvoiceIssued");
    assert_eq!(issued[0].source, "ascent.agent.billing");

    // The invoice email went out through SES.
    let sent: Value = ureq::get(&format!("{}/moto-api/data.json", moto.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert!(
        sent["ses"].to_string().contains("ap@boreal-aero.example"),
        "{}",
        sent["ses"]
    );

    // Redelivery of the same batch: no second invoice, nothing emitted again.
    let again = aws.host.handle_sqs(sqs_event(&messages)).await;
    assert!(again.batch_item_failures.is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let more = aws
        .sqs
        .receive_message()
        .queue_url(&aws.tap_url)
        .send()
        .await
        .unwrap();
    assert!(
        more.messages.unwrap_or_default().is_empty(),
        "a duplicate was emitted"
    );
    let _ = (&aws.ddb, &aws.eb);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_fails_alone_is_dead_lettered_with_its_reason_and_redriven() {
    let moto = Moto::start();
    let aws = provision(&moto, Arc::new(billing::Billing::default())).await;
    let early_payment = payment("inv-D7", 1_072_500);
    let payment_event_id = early_payment.detail.event_id.to_string();
    aws.host
        .bus
        .publish(&[early_payment, signup("A7")])
        .await
        .unwrap();

    // One batch, one bad message: exactly that one is reported.
    let (messages, failed) = deliver(&aws, 2).await;
    let bad = messages
        .iter()
        .find(|m| m.body.as_deref().unwrap().contains("PaymentReceived"))
        .unwrap();
    assert_eq!(failed, vec![bad.message_id.clone().unwrap()]);

    // Redelivered after the visibility timeout, failing again: receives 2 and 3.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let (_, failed) = deliver(&aws, 1).await;
        assert_eq!(failed.len(), 1);
    }
    // Past maxReceiveCount, SQS moves it to the dead-letter queue.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let _ = aws
        .sqs
        .receive_message()
        .queue_url(&aws.queue_url)
        .send()
        .await
        .unwrap();
    let dead = receive(&aws.sqs, &aws.dlq_url, 1).await;
    assert_eq!(dead.len(), 1, "the poison message is in the DLQ");
    // Its reason is kept, by event id.
    assert_eq!(
        aws.host.failure_reason(&payment_event_id).await.as_deref(),
        Some("invoice inv-D7 not found (yet)")
    );

    // The fix: the deal is won and invoiced. Then the redrive.
    aws.host.bus.publish(&[won("D7", "A7")]).await.unwrap();
    let (_, failed) = deliver(&aws, 1).await;
    assert!(failed.is_empty());
    for m in &dead {
        aws.sqs
            .send_message()
            .queue_url(&aws.queue_url)
            .message_body(m.body.clone().unwrap())
            .send()
            .await
            .unwrap();
        aws.sqs
            .delete_message()
            .queue_url(&aws.dlq_url)
            .receipt_handle(m.receipt_handle.clone().unwrap())
            .send()
            .await
            .unwrap();
    }
    let (_, failed) = deliver(&aws, 1).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(invoice(&aws, "inv-D7").await.unwrap()["status"], "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_dead_lettered_at_once_with_their_reason_not_dropped() {
    let moto = Moto::start();
    let aws = provision(&moto, Arc::new(billing::Billing::default())).await;
    let event: SqsEvent = serde_json::from_value(json!({"Records": [
        {"messageId": "m-1", "body": "{not json", "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}},
        {"messageId": "m-2", "body": signup("A9").to_json(), "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}}
    ]}))
    .unwrap();
    let response = aws.host.handle_sqs(event).await;
    // Retrying cannot fix it: it is in the dead-letter queue now, and reported as done.
    assert!(response.batch_item_failures.is_empty());
    let out = aws
        .sqs
        .receive_message()
        .queue_url(&aws.dlq_url)
        .message_attribute_names("All")
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let dead = out.messages.unwrap_or_default();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].body.as_deref(),
        Some("{not json"),
        "the body unchanged"
    );
    let reason = dead[0].message_attributes.as_ref().unwrap()["reason"]
        .string_value
        .clone()
        .unwrap();
    assert!(
        reason.starts_with("undeliverable event: malformed JSON"),
        "{reason}"
    );
    // The reason travels with the dead letter: no failure record is written for it.
    assert_eq!(aws.host.failure_reason("m-1").await, None);
}

/// Records the approvals the host starts (the workflow itself is executed in `aws_approvals`).
#[derive(Default)]
struct StartedApprovals(std::sync::Mutex<Vec<ascent_core::approval::Approval>>);

#[async_trait::async_trait]
impl ascent_aws::host::ApprovalStarter for StartedApprovals {
    async fn start(&self, a: &ascent_core::approval::Approval) -> Result<(), String> {
        self.0.lock().unwrap().push(a.clone());
        Ok(())
    }
}

fn expense_claim(id: &str, category: &str, amount: i64, on: chrono::NaiveDate) -> Event {
    business(
        "ascent.expenses",
        ascent_core::catalog::ExpenseSubmitted {
            expense_id: id.into(),
            employee: "li.wei@ascent-xr.example".into(),
            department: "sales".into(),
            category: category.into(),
            amount: Money::usd(amount),
            incurred_on: on,
            merchant: "Lufthansa".into(),
            receipt_attached: true,
            receipt_text: None,
            manager: Some("mara.head@ascent-xr.example".into()),
            description: Some("Customer visit, Boreal Aero".into()),
            expensify_report_id: None,
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expense_claims_through_eventbridge_sqs_and_dynamodb_to_a_reimbursement_batch() {
    use chrono::{Datelike, Weekday};
    let moto = Moto::start();
    let mut aws = provision(
        &moto,
        Arc::new(expense_management::ExpenseManagement::default()),
    )
    .await;
    let started = Arc::new(StartedApprovals::default());
    aws.host.approvals = Some(started.clone());
    // A recent weekday (weekend claims are flagged for a person).
    let mut day = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= chrono::Duration::days(1);
    }
    aws.host
        .bus
        .publish(&[
            expense_claim("E1", "meals", 3_850, day),
            expense_claim("E2", "travel", 42_000, day),
            expense_claim("E3", "meals", 4_000, day - chrono::Duration::days(200)),
        ])
        .await
        .unwrap();
    let (messages, failed) = deliver(&aws, 3).await;
    assert!(failed.is_empty(), "{failed:?}");
    let status = |v: Option<Value>| v.expect("expense in DynamoDB")["status"].clone();
    let get = |id: &str| {
        let lake = aws.host.lake.clone();
        let pk = format!("expense#{id}");
        async move {
            lake.get(Domain::Financial, &pk, "expense")
                .await
                .unwrap()
                .map(|i| i.data)
        }
    };
    assert_eq!(status(get("E1").await), "approved");
    assert_eq!(status(get("E2").await), "awaiting_approval");
    assert_eq!(status(get("E3").await), "rejected");
    // The manager's approval was started through the host, once.
    let approvals = started.0.lock().unwrap().clone();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0].chain[0], "mara.head@ascent-xr.example");
    assert_eq!(approvals[0].draft.subject, "E2");
    // Redelivery of the batch: nothing started or emitted twice.
    let again = aws.host.handle_sqs(sqs_event(&messages)).await;
    assert!(again.batch_item_failures.is_empty());
    assert_eq!(started.0.lock().unwrap().len(), 1);
    let decided: Vec<Event> = receive(&aws.sqs, &aws.tap_url, 2)
        .await
        .iter()
        .map(|m| Event::parse(m.body.as_deref().unwrap().as_bytes()).unwrap())
        .collect();
    let mut types: Vec<&str> = decided.iter().map(|e| e.detail_type()).collect();
    types.sort();
    assert_eq!(types, ["ExpenseDecided", "ExpenseDecided"]);

    // The weekly reimbursement run (Friday's daily tick) pays the approved claim.
    let mut friday = chrono::Utc::now().date_naive();
    while friday.weekday() != Weekday::Fri {
        friday += chrono::Duration::days(1);
    }
    let at = friday.and_hms_opt(6, 0, 0).unwrap().and_utc();
    let tick = Event::new(
        "ascent.scheduler",
        Actor::system("scheduler"),
        at,
        ascent_core::catalog::ScheduleTick {
            schedule: "daily".into(),
            at,
        },
    );
    aws.host.bus.publish(&[tick]).await.unwrap();
    let (_, failed) = deliver(&aws, 1).await;
    assert!(failed.is_empty());
    let batch = receive(&aws.sqs, &aws.tap_url, 1)
        .await
        .iter()
        .map(|m| Event::parse(m.body.as_deref().unwrap().as_bytes()).unwrap())
        .find(|e| e.detail_type() == "ReimbursementBatchCreated")
        .expect("a reimbursement batch on the bus");
    let ascent_core::catalog::Payload::ReimbursementBatchCreated(b) = batch.payload() else {
        unreachable!()
    };
    assert_eq!(b.totals, vec![Money::usd(3_850)], "{b:?}");
    assert_eq!(b.reimbursements.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_tickets_through_the_sqs_entry_point_with_sla_breaches() {
    let moto = Moto::start();
    let aws = provision(&moto, Arc::new(support::Support::default())).await;
    let opened = business(
        "ascent.support",
        ascent_core::catalog::TicketOpened {
            ticket_id: "T1".into(),
            account_id: "A1".into(),
            subject: "Studio is down for all users".into(),
            body: "Outage: every session ends with an error.".into(),
            channel: "email".into(),
            requester: Some("ops@boreal.example".into()),
            created_at: None,
        },
    );
    aws.host.bus.publish(&[signup("A1"), opened]).await.unwrap();
    let (messages, failed) = deliver(&aws, 2).await;
    assert!(failed.is_empty(), "{failed:?}");
    let ticket = aws
        .host
        .lake
        .get(Domain::Interaction, "ticket#T1", "ticket")
        .await
        .unwrap()
        .expect("the ticket in DynamoDB")
        .data;
    assert_eq!(ticket["priority"], "urgent");
    assert_eq!(ticket["team"], "support-technical");
    // On the real index of running SLA timers.
    let pending = aws
        .host
        .lake
        .query(
            Domain::Interaction,
            &ascent_core::ports::Query::gsi1(support::PENDING),
        )
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    let tapped = receive(&aws.sqs, &aws.tap_url, 1).await;
    let e = Event::parse(tapped[0].body.as_deref().unwrap().as_bytes()).unwrap();
    assert_eq!(e.detail_type(), "TicketTriaged");
    // Redelivery changes nothing.
    let again = aws.host.handle_sqs(sqs_event(&messages)).await;
    assert!(again.batch_item_failures.is_empty());
    // Two hours later the SLA check finds the first response overdue (urgent: 1 hour).
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let tick = Event::new(
        "ascent.scheduler",
        Actor::system("scheduler"),
        later,
        ascent_core::catalog::ScheduleTick {
            schedule: "sla".into(),
            at: later,
        },
    );
    aws.host.bus.publish(&[tick]).await.unwrap();
    let (_, failed) = deliver(&aws, 1).await;
    assert!(failed.is_empty());
    let breach = receive(&aws.sqs, &aws.tap_url, 1)
        .await
        .iter()
        .map(|m| Event::parse(m.body.as_deref().unwrap().as_bytes()).unwrap())
        .find(|e| e.detail_type() == "SlaBreached")
        .expect("SlaBreached on the bus");
    let ascent_core::catalog::Payload::SlaBreached(b) = breach.payload() else {
        unreachable!()
    };
    assert_eq!(b.timer, ascent_core::catalog::SlaTimer::FirstResponse);
    assert_eq!(b.escalated_to, "lead.support-technical@ascent-xr.example");
}

/// The Bedrock text writer on the wire: the Converse request it sends, the answer it takes,
/// and a throttled model. (No emulator has Bedrock; a local HTTP server answers as the
/// Converse API does.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bedrock_writer_speaks_the_converse_api() {
    use ascent_core::writer::{Brief, TextWriter, WriterError};
    use axum::extract::{Path, State};
    use std::sync::Mutex;
    type Seen = Arc<Mutex<Vec<(String, Value)>>>;
    async fn converse(
        State(seen): State<Seen>,
        Path(model): Path<String>,
        body: axum::Json<Value>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        seen.lock().unwrap().push((model.clone(), body.0));
        if model == "throttled-model" {
            return (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [("x-amzn-errortype", "ThrottlingException")],
                axum::Json(json!({"message": "Too many requests"})),
            )
                .into_response();
        }
        axum::Json(json!({
            "output": {"message": {"role": "assistant", "content": [
                {"text": "Subject: Boreal Aero, XR training that sticks\n\nHi Ana, a short personal note."}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 120, "outputTokens": 30, "totalTokens": 150},
            "metrics": {"latencyMs": 210}
        }))
        .into_response()
    }
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/model/{model}/converse", axum::routing::post(converse))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = aws_config::defaults(ascent_aws::lambda::behavior_version())
        .endpoint_url(&url)
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .load()
        .await;
    let brief = Brief {
        purpose: "first touch".into(),
        subject_template: "{company} and XR training".into(),
        body_template: "Hi {first_name}".into(),
        facts: [("company", "Boreal Aero"), ("first_name", "Ana")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let writer =
        ascent_aws::bedrock::BedrockWriter::with_config(config.clone(), "amazon.nova-lite-v1:0");
    let draft = writer.write(&brief).await.unwrap();
    assert_eq!(draft.subject, "Boreal Aero, XR training that sticks");
    assert_eq!(draft.body, "Hi Ana, a short personal note.");
    assert_eq!(draft.written_by, "bedrock:amazon.nova-lite-v1:0");
    let (model, request) = seen.lock().unwrap()[0].clone();
    assert_eq!(model, "amazon.nova-lite-v1:0");
    let prompt = request["messages"][0]["content"][0]["text"]
        .as_str()
        .unwrap();
    assert!(
        prompt.contains("- company: Boreal Aero")
            && prompt.contains("Draft subject: Boreal Aero and XR training")
    );
    assert!(
        request["system"][0]["text"]
            .as_str()
            .unwrap()
            .contains("never invent")
    );
    assert_eq!(request["inferenceConfig"]["maxTokens"], 600);
    let throttled = ascent_aws::bedrock::BedrockWriter::with_config(config, "throttled-model");
    assert!(matches!(
        throttled.write(&brief).await,
        Err(WriterError::Unavailable(_))
    ));
}

/// What a function needs and does not find is named (issue 20): a table that does not exist,
/// and a dead-letter queue that does not exist, each by its name in the error the function
/// logs and fails with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_or_queue_is_named() {
    use ascent_aws::host::DeadLetterQueue;
    use ascent_core::ports::DataLake;
    let moto = Moto::start();
    let config = moto.config().await;
    let lake = DynamoLake::new(
        aws_sdk_dynamodb::Client::new(&config),
        Tables {
            prefix: "nowhere-".into(),
        },
    );
    let err = lake
        .get(Domain::Financial, "invoice#1", "invoice")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("table nowhere-financial does not exist"),
        "{err}"
    );
    let url = format!("{}/123456789012/nowhere-errors", moto.url);
    let dlq = SqsDeadLetters::new(aws_sdk_sqs::Client::new(&config), url.clone());
    let err = dlq.send("{}", "a reason").await.unwrap_err();
    assert!(err.contains(&format!("dead-letter queue {url}")), "{err}");
}

/// A mail with extra headers and an attachment goes to SES v2 as one raw MIME message, the same
/// rendering the twin writes to its outbox: the `List-Unsubscribe` headers and the `.ics` reach
/// the mailbox (moto keeps the raw text).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_attachments_go_to_ses_as_a_raw_message() {
    use ascent_core::ports::{Mail, MailAttachment, MailHeader, Mailer};
    let moto = Moto::start();
    let config = moto.config().await;
    let ses = aws_sdk_sesv2::Client::new(&config);
    ses.create_email_identity()
        .email_identity(MAIL_FROM)
        .send()
        .await
        .unwrap();
    let mail = Mail {
        to: "ana@boreal-aero.example".into(),
        subject: "Your demo on Tuesday".into(),
        text: "See you then.".into(),
        headers: vec![
            MailHeader::new("List-Unsubscribe", "<https://x.example/unsubscribe/t1>"),
            MailHeader::new("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ],
        attachments: vec![MailAttachment {
            file_name: "invite.ics".into(),
            content_type: "text/calendar; method=REQUEST; charset=UTF-8".into(),
            content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
        }],
        ..Default::default()
    };
    let id = SesMailer::new(ses.clone())
        .send(MAIL_FROM, &mail)
        .await
        .unwrap();
    assert!(!id.is_empty());
    let sent: Value = ureq::get(&format!("{}/moto-api/data.json", moto.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let text = sent["ses"].to_string();
    assert!(
        text.contains("List-Unsubscribe: <https://x.example/unsubscribe/t1>")
            && text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
            && text.contains("filename=\\\"invite.ics\\\""),
        "{text}"
    );

    // A header the mailer writes itself is refused before anything is sent.
    let bad = Mail {
        headers: vec![MailHeader::new("Bcc", "someone@else.example")],
        ..mail
    };
    let err = SesMailer::new(ses).send(MAIL_FROM, &bad).await.unwrap_err();
    assert!(err.0.contains("Bcc"), "{err}");
}
