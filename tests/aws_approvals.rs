//! The approval state machine, created from the committed ASL file and executed by the
//! emulator (moto executes Step Functions when asked to): approve, reject and timeout
//! (escalation, then expiry) paths. The notifier handles what the state machine puts on the
//! approval-requests queue; the approval API's router is driven with lambda_http request
//! events; the outcome is the `ApprovalDecided` event on the bus, and the approval record in
//! DynamoDB confirms it as the agents check before acting on it.

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::approvals::{ApprovalNotifier, StepFunctionsDesk, StepFunctionsTasks};
use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_aws::host::ApprovalStarter;
use ascent_aws::ses::SesMailer;
use ascent_aws::sfn::StepFunctionsApprovals;
use ascent_core::approval::{ApprovalDesk, ApprovalDraft, ApprovalPolicy, LinkSigner};
use ascent_core::catalog::{ApprovalOutcome, Payload};
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_core::ports::{Mail, MailError, Mailer};
use aws_lambda_events::event::sqs::SqsEvent;
use moto::Moto;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const BUS: &str = "ascent-test";
const KEY: &[u8] = b"approval-test-key-approval-test-key!";

/// Sends through SES and keeps a copy, so the test can click the link as the approver would.
struct RecordingMailer {
    ses: SesMailer,
    sent: Mutex<Vec<Mail>>,
}

#[async_trait::async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, from: &str, mail: &Mail) -> Result<String, MailError> {
        let id = self.ses.send(from, mail).await?;
        self.sent.lock().unwrap().push(mail.clone());
        Ok(id)
    }
}

struct Setup {
    _moto: Moto,
    sqs: aws_sdk_sqs::Client,
    sfn: aws_sdk_sfn::Client,
    requests_url: String,
    tap_url: String,
    machine_arn: String,
    notifier: ApprovalNotifier,
    mailer: Arc<RecordingMailer>,
    router: axum::Router,
}

async fn setup() -> Setup {
    let moto = Moto::start();
    // Step Functions executes only when switched on before any state machine exists.
    ureq::post(&format!("{}/moto-api/config", moto.url))
        .send_json(json!({"stepfunctions": {"execute_state_machine": true}}))
        .unwrap();
    let config = moto.config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let eb = aws_sdk_eventbridge::Client::new(&config);
    let sfn = aws_sdk_sfn::Client::new(&config);
    let ses = aws_sdk_sesv2::Client::new(&config);
    ddb.create_table()
        .table_name("ascent-test-approvals")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Range)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let requests_url = sqs
        .create_queue()
        .queue_name("approval-requests")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let tap_url = sqs
        .create_queue()
        .queue_name("decisions")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let tap_arn = sqs
        .get_queue_attributes()
        .queue_url(&tap_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    eb.create_event_bus().name(BUS).send().await.unwrap();
    eb.put_rule()
        .name("decisions")
        .event_bus_name(BUS)
        .event_pattern(json!({"detail-type": ["ApprovalDecided"]}).to_string())
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule("decisions")
        .event_bus_name(BUS)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(tap_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    ses.create_email_identity()
        .email_identity("agents@ascent-xr.example")
        .send()
        .await
        .unwrap();

    // The committed definition, with the template's substitutions.
    let asl = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/statemachines/approval.asl.json"
    ))
    .unwrap()
    .replace("${ApprovalRequestsQueueUrl}", &requests_url)
    .replace("${EventBusName}", BUS);
    let machine_arn = sfn
        .create_state_machine()
        .name("ascent-test-approval")
        .definition(asl)
        .role_arn("arn:aws:iam::123456789012:role/ascent-approval")
        .send()
        .await
        .unwrap()
        .state_machine_arn;

    let lake = Arc::new(DynamoLake::new(
        ddb,
        Tables {
            prefix: "ascent-test-".into(),
        },
    ));
    let mailer = Arc::new(RecordingMailer {
        ses: SesMailer::new(ses),
        sent: Mutex::new(Vec::new()),
    });
    let notifier = ApprovalNotifier {
        lake: lake.clone(),
        mailer: mailer.clone(),
        signer: LinkSigner::new(KEY),
        base_url: "https://approvals.example".into(),
        mail_from: "agents@ascent-xr.example".into(),
        retention: Default::default(),
    };
    let desk: Arc<dyn ApprovalDesk> = Arc::new(StepFunctionsDesk {
        lake,
        tasks: Arc::new(StepFunctionsTasks {
            client: sfn.clone(),
        }),
        signer: LinkSigner::new(KEY),
        step_timeout: chrono::Duration::hours(1),
        retention: Default::default(),
    });
    Setup {
        _moto: moto,
        sqs,
        sfn,
        requests_url,
        tap_url,
        machine_arn,
        notifier,
        mailer,
        router: ascent_web::approval_router(desk),
    }
}

async fn start(s: &Setup, timeout_seconds: i64) -> String {
    start_for(s, timeout_seconds, 1_060_000).await
}

async fn start_for(s: &Setup, timeout_seconds: i64, amount_minor: i64) -> String {
    let draft = ApprovalDraft {
        kind: "discount".into(),
        subject: "D00042".into(),
        summary: "20% discount on deal D00042".into(),
        amount: Some(Money::usd(amount_minor)),
        requester: "ava.rep@ascent-xr.example".into(),
        approver_role: "sales-director".into(),
        first_approver: None,
        reason: "above the 15% threshold".into(),
        facts: Default::default(),
        ..Default::default()
    };
    let id = format!(
        "apr-test-{timeout_seconds}-{}",
        uuid::Uuid::new_v4().simple()
    );
    let approval = ApprovalPolicy::default()
        .open(
            id.clone(),
            "closing",
            draft,
            uuid::Uuid::new_v4(),
            chrono::Utc::now(),
        )
        .unwrap();
    let starter = StepFunctionsApprovals::new(s.sfn.clone(), &s.machine_arn, timeout_seconds);
    starter.start(&approval).await.unwrap();
    // Starting again (a retried agent) does not start a second workflow.
    starter.start(&approval).await.unwrap();
    id
}

/// Feeds what the state machine put on the approval-requests queue to the notifier.
async fn notify(s: &Setup, want: usize) {
    let mut handled = 0;
    let started = Instant::now();
    while handled < want {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no approval request arrived"
        );
        let out = s
            .sqs
            .receive_message()
            .queue_url(&s.requests_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for m in out.messages.unwrap_or_default() {
            let event: SqsEvent = serde_json::from_value(json!({"Records": [{
                "messageId": m.message_id, "body": m.body, "attributes": {}, "messageAttributes": {}}]}))
            .unwrap();
            assert!(
                s.notifier
                    .handle_sqs(event)
                    .await
                    .batch_item_failures
                    .is_empty()
            );
            s.sqs
                .delete_message()
                .queue_url(&s.requests_url)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
            handled += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The last emailed link's path and query (`/approvals/<id>?t=…`).
fn last_link(s: &Setup) -> (String, String) {
    let mails = s.mailer.sent.lock().unwrap();
    let m = mails
        .iter()
        .rev()
        .find(|m| m.text.contains("Approve: "))
        .unwrap();
    let url = m
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Approve: "))
        .unwrap();
    let path = url
        .trim_start_matches("https://approvals.example")
        .to_string();
    let token = url
        .split("t=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    (path, token)
}

/// Calls the router with an API Gateway HTTP API (v2) event, as lambda_http receives it.
async fn api(s: &Setup, method: &str, path_and_query: &str, form: Option<String>) -> (u16, String) {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {"host": "approvals.example", "content-type": "application/x-www-form-urlencoded"},
        "requestContext": {"accountId": "123456789012", "apiId": "api", "domainName": "approvals.example",
            "domainPrefix": "approvals", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1", "userAgent": "test"}, "requestId": "r", "routeKey": "$default",
            "stage": "$default", "time": "25/Nov/2026:10:00:00 +0000", "timeEpoch": 1_795_000_000_000u64},
        "body": form, "isBase64Encoded": false
    });
    let lambda_request: lambda_http::request::LambdaRequest =
        serde_json::from_value(event).unwrap();
    let request: lambda_http::Request = lambda_request.into();
    let request = request.map(|b| axum::body::Body::from(b.to_vec()));
    let response = s.router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

async fn decision_event(s: &Setup) -> ascent_core::catalog::ApprovalDecided {
    let started = Instant::now();
    loop {
        let out = s
            .sqs
            .receive_message()
            .queue_url(&s.tap_url)
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            let e = Event::parse(m.body.unwrap().as_bytes())
                .expect("ApprovalDecided matches its schema");
            let Payload::ApprovalDecided(d) = e.payload().clone() else {
                panic!()
            };
            return d;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no ApprovalDecided on the bus"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What an agent checks before acting on a decision: the record the notifier and the API keep
/// in DynamoDB says the same (same key, outcome, deciders, terms; opened by closing).
async fn confirmed_by_record(s: &Setup, d: &ascent_core::catalog::ApprovalDecided) {
    let (pk, sk) = ascent_core::approval::record_key(&d.approval_id);
    let record: ascent_core::approval::Approval = s
        .notifier
        .lake
        .get(ascent_core::agent::Domain::Approvals, &pk, sk)
        .await
        .unwrap()
        .expect("the approval record")
        .parse()
        .unwrap();
    assert_eq!(
        ascent_core::approval::check_decision(Some(&record), d, Some("closing")),
        Ok(())
    );
    // A decision it does not say is refused.
    let mut forged = d.clone();
    forged.decided_by = Some("mallory@attacker.example".into());
    assert!(
        ascent_core::approval::check_decision(Some(&record), &forged, Some("closing")).is_err()
    );
}

async fn execution_status(s: &Setup, id: &str) -> String {
    let arn = s.machine_arn.replace(":stateMachine:", ":execution:") + ":" + id;
    s.sfn
        .describe_execution()
        .execution_arn(arn)
        .send()
        .await
        .unwrap()
        .status
        .as_str()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_path_executes_and_announces_the_decision() {
    let s = setup().await;
    let id = start(&s, 3600).await;
    notify(&s, 1).await;
    assert_eq!(
        s.mailer.sent.lock().unwrap()[0].to,
        "sales.director@ascent-xr.example"
    );
    let (link, token) = last_link(&s);
    assert!(
        !link.contains("task"),
        "the task token never appears in a link"
    );
    // Opening the link shows the page; nothing is decided.
    let (code, html) = api(&s, "GET", &link, None).await;
    assert_eq!(code, 200, "{html}");
    assert!(html.contains("20% discount on deal D00042"));
    assert_eq!(execution_status(&s, &id).await, "RUNNING");
    let (code, html) = api(
        &s,
        "POST",
        &format!("/approvals/{id}"),
        Some(format!("t={token}&decision=approve&comment=ok")),
    )
    .await;
    assert_eq!(code, 200, "{html}");
    let d = decision_event(&s).await;
    assert_eq!(
        (d.outcome, d.decided_by.as_deref()),
        (
            ApprovalOutcome::Approved,
            Some("sales.director@ascent-xr.example")
        )
    );
    assert_eq!(d.requested_by_agent, "closing");
    confirmed_by_record(&s, &d).await;
    // Replay of the link: refused.
    let (code, _) = api(
        &s,
        "POST",
        &format!("/approvals/{id}"),
        Some(format!("t={token}&decision=reject")),
    )
    .await;
    assert_eq!(code, 409);
    assert_eq!(execution_status(&s, &id).await, "SUCCEEDED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_path() {
    let s = setup().await;
    let id = start(&s, 3600).await;
    notify(&s, 1).await;
    let (_, token) = last_link(&s);
    // A forged token is refused and decides nothing.
    let (code, _) = api(
        &s,
        "POST",
        &format!("/approvals/{id}"),
        Some(format!("t=x{token}&decision=approve")),
    )
    .await;
    assert_eq!(code, 403);
    let (code, _) = api(
        &s,
        "POST",
        &format!("/approvals/{id}"),
        Some(format!("t={token}&decision=reject")),
    )
    .await;
    assert_eq!(code, 200);
    let d = decision_event(&s).await;
    assert_eq!(d.outcome, ApprovalOutcome::Rejected);
    confirmed_by_record(&s, &d).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_path_escalates_then_expires_and_tells_the_requester() {
    let s = setup().await;
    let id = start(&s, 1).await;
    // Step 0 (director), timeout → step 1 (CRO), timeout → expired notice.
    notify(&s, 3).await;
    let sent = s.mailer.sent.lock().unwrap().clone();
    let to: Vec<&str> = sent.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(
        to,
        vec![
            "sales.director@ascent-xr.example",
            "cro@ascent-xr.example",
            "ava.rep@ascent-xr.example"
        ]
    );
    assert!(sent[1].subject.starts_with("Escalated to you"));
    assert!(sent[2].subject.starts_with("Approval expired"));
    let d = decision_event(&s).await;
    assert_eq!(d.outcome, ApprovalOutcome::Expired);
    confirmed_by_record(&s, &d).await;
    assert_eq!(execution_status(&s, &id).await, "SUCCEEDED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn above_the_two_person_amount_the_workflow_waits_for_a_second_distinct_approver() {
    let s = setup().await;
    // 60,000.00: above the 50,000.00 two-person amount and the director's 25,000.00 authority,
    // so the CRO first and the CFO (the discount's escalation role) second.
    let id = start_for(&s, 3600, 6_000_000).await;
    notify(&s, 1).await;
    let (_, first) = last_link(&s);
    let (code, html) = api(
        &s,
        "POST",
        &format!("/approvals/{id}"),
        Some(format!("t={first}&decision=approve")),
    )
    .await;
    assert_eq!(code, 200, "{html}");
    // The workflow asks the CFO; nothing is decided yet.
    notify(&s, 1).await;
    assert_eq!(
        s.mailer.sent.lock().unwrap().last().unwrap().to,
        "cfo@ascent-xr.example"
    );
    assert_eq!(execution_status(&s, &id).await, "RUNNING");
    // The first approver's link cannot give the second approval.
    let (code, _) = api(
        &s,
        "POST",
        &format!("/approvals/{id}"),
        Some(format!("t={first}&decision=approve")),
    )
    .await;
    assert_ne!(code, 200);
    let (_, second) = last_link(&s);
    let (code, _) = api(
        &s,
        "POST",
        &format!("/approvals/{id}"),
        Some(format!("t={second}&decision=approve")),
    )
    .await;
    assert_eq!(code, 200);
    let d = decision_event(&s).await;
    assert_eq!(d.outcome, ApprovalOutcome::Approved);
    assert_eq!(
        d.decided_by.as_deref(),
        Some("cro@ascent-xr.example, cfo@ascent-xr.example")
    );
    confirmed_by_record(&s, &d).await;
}
