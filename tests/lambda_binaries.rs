//! The real function binaries (`target/debug/<function>`, built by `cargo build --workspace
//! --bins`) run under a Lambda Runtime API of our own (`support/runtime_api.rs`) against moto,
//! each with the environment the generated template gives it, over what that template
//! declares (created on moto by `ascent aws local-stack`'s [`LocalStack`]): lead to cash end to end, and
//! how functions start with some secrets missing.

#[path = "support/log_scan.rs"]
#[allow(dead_code)]
mod log_scan;
#[path = "support/moto.rs"]
mod moto;
#[path = "support/runtime_api.rs"]
mod runtime_api;

use ascent::aws::LocalStack;
use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_core::agent::Domain;
use ascent_core::ports::DataLake;
use moto::Moto;
use moto::wire::eventually;
use runtime_api::{Function, Outcome, PumpStats, pump_sqs};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const STAGE: &str = "wire";
const LINK_KEY: &str = "lambda-binaries-link-key-0123456789abcdef";
const STRIPE_SECRET: &str = "whsec_lambda_binaries_0123456789";
const SENDER: &str = "agents@ascent-xr.example";

struct World {
    moto: Moto,
    config: aws_config::SdkConfig,
    stack: LocalStack,
}

/// moto with Step Functions executing, and everything the generated template declares.
async fn world() -> World {
    // Fail first on what is missing, not after moto has started.
    runtime_api::binary("approval-api");
    let moto = Moto::start();
    ureq::post(&format!("{}/moto-api/config", moto.url))
        .send_json(json!({"stepfunctions": {"execute_state_machine": true}}))
        .unwrap();
    let config = moto.config().await;
    let template = ascent::infra::template(&ascent::agents::declarations());
    let mut stack = LocalStack::new(template, STAGE, "us-east-1", &moto.url);
    // Failed messages come back in seconds, not minutes; the approval workflow from its ASL
    // file; no approval-link key (the one-time set-up is each test's).
    stack.max_visibility_seconds = Some(20);
    stack.definitions = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra").into());
    stack.link_key = false;
    // No SES identity either: `World::sender` verifies the address and its domain.
    stack.create(&config, "").await.unwrap();
    World {
        moto,
        config,
        stack,
    }
}

impl World {
    /// The one-time set-up of docs/deploying.md: a SecureString parameter.
    async fn secret(&self, template_parameter: &str, value: &str) {
        aws_sdk_ssm::Client::new(&self.config)
            .put_parameter()
            .name(self.stack.parameter(template_parameter))
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    }

    /// The sender address and its domain verified in SES.
    async fn sender(&self) {
        let ses = aws_sdk_sesv2::Client::new(&self.config);
        for identity in [SENDER, SENDER.split('@').nth(1).unwrap()] {
            ses.create_email_identity()
                .email_identity(identity)
                .send()
                .await
                .unwrap();
        }
    }

    /// The environment the template gives a function (its logical id), resolved, with what
    /// Lambda sets (region, credentials) and `AWS_ENDPOINT_URL` pointing at moto.
    fn environment(&self, logical_id: &str) -> Vec<(String, String)> {
        self.stack.environment(logical_id).unwrap()
    }

    /// Starts a function of the template (its logical id) with its environment.
    async fn function(&self, logical_id: &str) -> Function {
        Function::start(
            &self.stack.reference(logical_id),
            &self.stack.binary(logical_id).unwrap(),
            &self.environment(logical_id),
        )
        .await
    }

    fn bus(&self) -> String {
        self.stack.reference("EventBus")
    }

    /// A queue receiving the given detail-types from the bus, to watch the flow.
    async fn tap(&self, detail_types: &[&str]) -> String {
        moto::wire::tap(
            &aws_sdk_sqs::Client::new(&self.config),
            &aws_sdk_eventbridge::Client::new(&self.config),
            &self.bus(),
            detail_types,
        )
        .await
    }

    fn lake(&self) -> DynamoLake {
        DynamoLake::new(
            aws_sdk_dynamodb::Client::new(&self.config),
            Tables {
                prefix: format!("ascent-{STAGE}-"),
            },
        )
    }

    /// Every mail SES accepted, as moto keeps it (its model dump can fail while other
    /// requests change the models: retried).
    fn sent_mail(&self) -> Value {
        for _ in 0..20 {
            if let Ok(mut res) = ureq::get(&format!("{}/moto-api/data.json", self.moto.url)).call()
                && let Ok(all) = res.body_mut().read_json::<Value>()
            {
                return all["ses"].clone();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto's data.json kept failing")
    }
}

fn scenario(name: &str) -> Vec<Value> {
    let path = format!(
        "{}/../events/scenarios/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Puts whole EventBridge events on the bus (PutEvents, as a business system does).
async fn put_events(w: &World, events: &[Value]) {
    let eb = aws_sdk_eventbridge::Client::new(&w.config);
    for chunk in events.chunks(10) {
        let mut req = eb.put_events();
        for e in chunk {
            req = req.entries(
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .event_bus_name(w.bus())
                    .source(e["source"].as_str().unwrap())
                    .detail_type(e["detail-type"].as_str().unwrap())
                    .detail(e["detail"].to_string())
                    .time(
                        aws_sdk_eventbridge::primitives::DateTime::from_str(
                            e["time"].as_str().unwrap(),
                            aws_sdk_eventbridge::primitives::DateTimeFormat::DateTime,
                        )
                        .unwrap(),
                    )
                    .build(),
            );
        }
        let out = req.send().await.unwrap();
        assert_eq!(out.failed_entry_count, 0, "{out:?}");
    }
}

/// The events the tap queue has received so far (detail-type, detail), deleted from it.
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str, into: &mut Vec<(String, Value)>) {
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return;
        }
        for m in messages {
            let e: Value = serde_json::from_str(m.body.as_deref().unwrap()).unwrap();
            into.push((
                e["detail-type"].as_str().unwrap().to_string(),
                e["detail"].clone(),
            ));
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// Drains the tap until an event of `detail_type` has been seen; its detail.
async fn wait_for_event(
    sqs: &aws_sdk_sqs::Client,
    tap: &str,
    seen: &mut Vec<(String, Value)>,
    detail_type: &str,
    seconds: u64,
) -> Value {
    let started = Instant::now();
    loop {
        drain(sqs, tap, seen).await;
        if let Some((_, d)) = seen.iter().find(|(t, _)| t == detail_type) {
            return d.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "timed out waiting for {detail_type} on the bus; seen {:?}",
            seen.iter().map(|(t, _)| t).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The path and query of the approve link in the mail to `to` (`/approvals/<id>?t=…`).
fn approve_link(ses: &Value, to: &str) -> Option<String> {
    let text = ses.to_string();
    if !text.contains(to) {
        return None;
    }
    let start = text.find("/approvals/apr-")?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '\\'))
        .unwrap_or(rest.len());
    Some(rest[..end].replace("&amp;", "&"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lead_to_cash_through_the_function_binaries_under_a_runtime_api() {
    let started = Instant::now();
    let w = world().await;
    w.secret("LinkKeyParameterName", LINK_KEY).await;
    w.secret("StripeSecretParameterName", STRIPE_SECRET).await;
    w.sender().await;
    let sqs = aws_sdk_sqs::Client::new(&w.config);
    let tap = w
        .tap(&[
            "ApprovalDecided",
            "ProposalSent",
            "InvoiceIssued",
            "PaymentReceived",
            "InvoicePaid",
        ])
        .await;

    // Every SQS-fed function of the template (the agents and the approval notifier), each
    // behind its own Runtime API, with an event source mapping on its queue; and the two
    // Function URL functions.
    let mut functions = Vec::new();
    let mut pumps = Vec::new();
    let stats = Arc::new(PumpStats::default());
    for source in w.stack.sqs_sources() {
        let f = w.function(&source.function).await;
        pumps.push(pump_sqs(
            sqs.clone(),
            source.queue_url.clone(),
            source.queue_arn.clone(),
            source.batch_size,
            f.api.clone(),
            stats.clone(),
        ));
        functions.push(f);
    }
    assert!(
        functions.len() >= 14,
        "the agents and the notifier: {}",
        functions.len()
    );
    let approval_api = w.function("ApprovalApiFunction").await;
    let webhooks = w.function("WebhookIngestFunction").await;
    for f in functions.iter().chain([&approval_api, &webhooks]) {
        assert!(
            f.api.wait_ready(Duration::from_secs(30)).await,
            "{} did not start: {}",
            f.name,
            f.logs()
        );
        assert!(f.api.init_errors().is_empty(), "{}: {}", f.name, f.logs());
    }

    // 1. The website and the CRM: interactions, the lead, the sign-up, the deal at proposal
    //    asking 20% off (above Closing's 15% threshold).
    put_events(&w, &scenario("lead-to-cash-1-proposal")).await;

    // 2. Closing starts the Step Functions approval; the notifier binary takes the task token
    //    from its queue and mails the Sales Director a signed link.
    let wr = &w;
    let link = eventually(
        60,
        "the approval mail to the Sales Director",
        move || async move { approve_link(&wr.sent_mail(), "sales.director@ascent-xr.example") },
    )
    .await;
    // Lead Generation takes the lead from its own queue, in its own time: the approval mail
    // (Closing's queue) may come first on a slow machine.
    let lake = w.lake();
    let waiting = Instant::now();
    let lead = loop {
        if let Some(item) = lake
            .get(Domain::Customer, "lead#L000123", "profile")
            .await
            .unwrap()
        {
            break item.data;
        }
        if waiting.elapsed() > Duration::from_secs(60) {
            let logs: Vec<String> = functions
                .iter()
                .filter(|f| f.name.to_lowercase().contains("lead"))
                .map(|f| format!("{}:\n{}", f.name, f.logs()))
                .collect();
            panic!("Lead Generation's binary did not store the lead: {logs:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(lead["routed_to"], "sales-americas", "{lead}");
    assert!(
        !link.contains("task"),
        "the task token never appears in a link"
    );

    // 3. The link opened: the approval API binary shows the page (GET decides nothing) …
    let (code, html) = approval_api.http("GET", &link, &[], None).await;
    assert_eq!(code, 200, "{html}");
    assert!(html.contains("20% discount on deal D00042"), "{html}");
    // … and its Approve button POSTs the form (base64, as a Function URL delivers it).
    let (path, query) = link.split_once('?').unwrap();
    let token = query.split('&').find_map(|p| p.strip_prefix("t=")).unwrap();
    let form = format!("t={token}&decision=approve&comment=strategic+logo");
    let (code, html) = approval_api
        .http(
            "POST",
            path,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(form.as_bytes()),
        )
        .await;
    assert_eq!(code, 200, "{html}");

    // 4. The workflow announces the decision; Closing's binary sends the proposal at 20% off.
    let mut seen: Vec<(String, Value)> = Vec::new();
    let proposal = wait_for_event(&sqs, &tap, &mut seen, "ProposalSent", 60).await;
    assert_eq!(
        proposal["payload"]["proposal_id"], "prop-D00042-5f1c0d2e",
        "{proposal}"
    );
    // 50 seats at the 50+ tier (960.00) + onboarding 5,000.00 = 53,000.00; 20% off.
    assert_eq!(proposal["payload"]["total"]["amount_minor"], 4_240_000);
    let decided = seen
        .iter()
        .find(|(t, _)| t == "ApprovalDecided")
        .expect("ApprovalDecided on the bus")
        .1
        .clone();
    assert_eq!(decided["payload"]["outcome"], "approved", "{decided}");

    // 5. Won: Billing's binary invoices it (California tax) …
    let won: Vec<Value> = scenario("lead-to-cash-2-won-and-paid")
        .into_iter()
        .filter(|e| e["detail-type"] == "DealClosedWon")
        .collect();
    put_events(&w, &won).await;
    let invoice = eventually(60, "the invoice in DynamoDB", move || async move {
        wr.lake()
            .get(Domain::Financial, "invoice#inv-D00042", "invoice")
            .await
            .unwrap()
            .map(|i| i.data)
    })
    .await;
    // 42,400.00: California taxes neither the SaaS seats nor the onboarding service.
    assert_eq!(invoice["total"]["amount_minor"], 4_240_000, "{invoice}");
    // Finance Controller's binary journals it (its batch queue may take a moment): a payment
    // that overtook its invoice would be retried, as it should, but counted a failure here.
    eventually(
        60,
        "the invoice journaled by Finance Controller",
        move || async move {
            wr.lake()
                .get(Domain::Financial, "posted#invoice#inv-D00042", "posted")
                .await
                .unwrap()
                .map(|i| i.data)
        },
    )
    .await;

    // 6. … and the payment arrives through Stripe: the webhook-ingest binary (started with
    //    the Stripe secret only) verifies it and puts PaymentReceived on the bus; Billing marks
    //    the invoice paid.
    let now = chrono::Utc::now().timestamp();
    let body = json!({
        "id": "evt_lambda_binaries", "type": "payment_intent.succeeded", "created": now,
        "data": {"object": {"id": "pi_lambda_binaries", "amount": 4_240_000,
            "amount_received": 4_240_000, "currency": "usd",
            "metadata": {"invoice_id": "inv-D00042"}}}
    })
    .to_string();
    let signature = billing::stripe::sign(body.as_bytes(), STRIPE_SECRET, now);
    let (code, answer) = webhooks
        .http(
            "POST",
            "/webhooks/stripe",
            &[
                ("content-type", "application/json"),
                ("stripe-signature", &signature),
            ],
            Some(body.as_bytes()),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
    let paid = eventually(60, "the invoice paid in DynamoDB", move || async move {
        wr.lake()
            .get(Domain::Financial, "invoice#inv-D00042", "invoice")
            .await
            .unwrap()
            .map(|i| i.data)
            .filter(|i| i["status"] == "paid")
    })
    .await;
    assert_eq!(paid["total"]["amount_minor"], 4_240_000);
    wait_for_event(&sqs, &tap, &mut seen, "InvoicePaid", 30).await;

    // The invoice mail went out through SES.
    assert!(w.sent_mail().to_string().contains("ap@boreal-aero.example"));

    // GDPR on the stack (docs/privacy.md): the lead asks for their data, then to be forgotten.
    let ana = "ana.ruiz@boreal-aero.example";
    let export = ascent::aws::privacy::export(
        aws_sdk_dynamodb::Client::new(&w.config),
        sqs.clone(),
        STAGE,
        ascent_core::privacy::Subject::new(Some(ana), None),
    )
    .await
    .unwrap();
    let export = serde_json::to_value(&export).unwrap();
    let agents: std::collections::BTreeSet<&str> = export["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["agent"].as_str())
        .collect();
    for agent in ["lead-generation", "sales-director"] {
        assert!(agents.contains(agent), "{agent} in the export: {agents:?}");
    }
    assert!(
        export["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["purpose"] != "undeclared"),
        "{export:#}"
    );
    assert!(all_tables(&w).await.contains(ana));
    ascent::aws::privacy::request_erasure(
        aws_sdk_eventbridge::Client::new(&w.config),
        STAGE,
        ascent_core::catalog::ErasureRequested {
            request_id: "dsr-wire-1".into(),
            email: "Ana.Ruiz@boreal-aero.example".into(),
            phone: None,
            requested_by: "privacy.desk@ascent-xr.example".into(),
        },
    )
    .await
    .unwrap();
    let desk = functions
        .iter()
        .find(|f| f.name.ends_with("-privacy"))
        .expect("the privacy desk runs from its queue");
    eventually(60, "the privacy desk's erasure", move || async move {
        desk.logs().contains("erasure done").then_some(())
    })
    .await;
    let tables = all_tables(&w).await;
    assert!(!tables.to_lowercase().contains(ana), "{tables}");
    // The invoice is kept (it names the company's accounts payable, not Ana).
    assert!(
        w.lake()
            .get(Domain::Financial, "invoice#inv-D00042", "invoice")
            .await
            .unwrap()
            .is_some()
    );
    // The erasure is audited (its items carry pseudonyms: no audit item had to change).
    assert!(
        tables.contains("privacy.erasure"),
        "the erasure's audit item"
    );
    // A late ticket from her does not recreate her data: Support keeps it pseudonymised.
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/TicketOpened.json");
    let mut late: Value = serde_json::from_str(&std::fs::read_to_string(sample).unwrap()).unwrap();
    late["id"] = json!("5f1c0d2e-0099-4a6b-8c7d-0e1f2a3b4c5d");
    late["detail"]["event_id"] = late["id"].clone();
    late["detail"]["payload"]["requester"] = json!("Ana.Ruiz@boreal-aero.example");
    late["detail"]["payload"]["body"] = json!("Please call me back, ana.ruiz@boreal-aero.example");
    put_events(&w, &[late]).await;
    eventually(60, "the late interaction handled", move || async move {
        all_tables(wr)
            .await
            .contains("5f1c0d2e-0099-4a6b-8c7d-0e1f2a3b4c5d")
            .then_some(())
    })
    .await;
    let tables = all_tables(&w).await;
    for l in tables
        .lines()
        .filter(|l| l.contains("T-5001") || l.contains("0099"))
    {
        eprintln!("DEBUG {l}");
    }
    assert!(!tables.to_lowercase().contains(ana), "{tables}");
    // Sealed as schedule-tick seals a day once it is over, the day of the flow and of the
    // erasure verifies.
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let lake = w.lake();
    ascent_aws::audit_seal::seal(&lake, tomorrow, Default::default())
        .await
        .unwrap();
    let verified = ascent_aws::audit_seal::verify(&lake, tomorrow)
        .await
        .unwrap();
    assert!(
        verified.broken.is_none() && verified.days >= 1,
        "{verified}"
    );

    // Nothing failed anywhere: no batch item failure, no function error, no dead letter, and
    // every binary is still running.
    let failures = stats.failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(stats.handled.load(Ordering::SeqCst) > 0);
    for (name, (url, _)) in &w.stack.queues {
        if !(name.ends_with("ErrorQueue") || name == "UndeliveredEventsQueue") {
            continue;
        }
        let depth = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default()
            .get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .cloned()
            .unwrap_or_default();
        assert_eq!(depth, "0", "{name} holds dead letters");
    }
    let (mut approval_api, mut webhooks) = (approval_api, webhooks);
    for f in functions
        .iter_mut()
        .chain([&mut approval_api, &mut webhooks])
    {
        assert!(f.exited().is_none(), "{} exited: {}", f.name, f.logs());
    }
    for p in pumps {
        p.abort();
    }
    // No binary logged the scenario's people, any address or phone number, or the link's
    // token (production's level: the template's `RUST_LOG`).
    let people = [log_scan::Person::new(
        "Ana Ruiz",
        &["ana.ruiz@boreal-aero.example", "ap@boreal-aero.example"],
        &[],
    )];
    let secrets = log_scan::link_secrets(&link);
    assert!(
        functions
            .iter()
            .any(|f| f.logs().contains(r#""message":"handled""#)),
        "the binaries' log lines were captured"
    );
    for f in functions.iter().chain([&approval_api, &webhooks]) {
        let found = log_scan::findings(&f.logs(), &people, &secrets);
        assert!(found.is_empty(), "{} logged {found:#?}", f.name);
    }
    eprintln!(
        "lead to cash through the binaries: {:?}, {} batches, {} messages handled",
        started.elapsed(),
        stats.invocations.load(Ordering::SeqCst),
        stats.handled.load(Ordering::SeqCst)
    );
}

/// Every item of every table of the stack, as text.
async fn all_tables(w: &World) -> String {
    let ddb = aws_sdk_dynamodb::Client::new(&w.config);
    let mut out = String::new();
    for d in Domain::ALL {
        let mut start = None;
        loop {
            let page = ddb
                .scan()
                .table_name(format!("ascent-{STAGE}-{}", d.as_str()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .unwrap();
            for item in page.items.unwrap_or_default() {
                out.push_str(&format!("{item:?}\n"));
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
    }
    out
}

/// The JSON log lines of a function's output.
fn log_lines(f: &Function) -> Vec<Value> {
    f.logs()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_ingest_starts_with_only_the_stripe_secret_and_says_which_desks_are_off() {
    let w = world().await;
    // The one-time set-up of docs/deploying.md: the Stripe secret only. The template still
    // names the Zendesk and Intercom parameters, which do not exist.
    w.secret("StripeSecretParameterName", STRIPE_SECRET).await;
    let webhooks = w.function("WebhookIngestFunction").await;
    assert!(
        webhooks.api.wait_ready(Duration::from_secs(30)).await,
        "webhook-ingest did not start: {}",
        webhooks.logs()
    );
    assert!(webhooks.api.init_errors().is_empty(), "{}", webhooks.logs());
    let lines = log_lines(&webhooks);
    for (desk, parameter) in [
        ("zendesk", "/ascent/zendesk-webhook-secret"),
        ("intercom", "/ascent/intercom-client-secret"),
    ] {
        let off: Vec<&Value> = lines
            .iter()
            .filter(|l| l["fields"]["desk"] == desk)
            .collect();
        assert_eq!(off.len(), 1, "one line for {desk}: {}", webhooks.logs());
        let reason = off[0]["fields"]["reason"].as_str().unwrap();
        assert!(reason.contains(parameter), "{reason}");
        assert!(reason.contains("does not exist"), "{reason}");
        assert!(
            off[0]["fields"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{desk} is off")),
            "{}",
            off[0]
        );
    }
    // Stripe is on: a genuine delivery goes onto the bus; a forged one is refused.
    let sqs = aws_sdk_sqs::Client::new(&w.config);
    let tap = w.tap(&["PaymentReceived"]).await;
    let now = chrono::Utc::now().timestamp();
    let body = json!({
        "id": "evt_desks", "type": "payment_intent.succeeded", "created": now,
        "data": {"object": {"id": "pi_desks", "amount": 1000, "amount_received": 1000,
            "currency": "usd", "metadata": {"invoice_id": "inv-X"}}}
    })
    .to_string();
    let genuine = billing::stripe::sign(body.as_bytes(), STRIPE_SECRET, now);
    let forged = billing::stripe::sign(body.as_bytes(), "whsec_someone_else_entirely", now);
    for (signature, want) in [(&forged, 400), (&genuine, 200)] {
        let (code, answer) = webhooks
            .http(
                "POST",
                "/webhooks/stripe",
                &[("stripe-signature", signature.as_str())],
                Some(body.as_bytes()),
            )
            .await;
        assert_eq!(code, want, "{answer}");
    }
    let mut seen = Vec::new();
    let received = wait_for_event(&sqs, &tap, &mut seen, "PaymentReceived", 20).await;
    assert_eq!(received["payload"]["invoice_id"], "inv-X");
    // The desks that are off answer 503 and say how to turn them on.
    for desk in ["zendesk", "intercom"] {
        let (code, answer) = webhooks
            .http("POST", &format!("/webhooks/{desk}"), &[], Some(b"{}"))
            .await;
        assert_eq!(code, 503, "{answer}");
        assert!(answer.contains("not configured"), "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_required_secret_is_reported_to_init_error_by_name() {
    let w = world().await;
    // No link key: the approval API and the notifier cannot sign or check a link.
    for logical_id in ["ApprovalApiFunction", "ApprovalNotifierFunction"] {
        let mut f = w.function(logical_id).await;
        let status = f
            .wait_exit(Duration::from_secs(30))
            .await
            .unwrap_or_else(|| panic!("{logical_id} kept running: {}", f.logs()));
        assert!(!status.success(), "{logical_id} exited 0");
        let reports = f.api.init_errors();
        assert_eq!(reports.len(), 1, "{logical_id}: {reports:?} {}", f.logs());
        let body = &reports[0].body;
        let message = body["errorMessage"].as_str().unwrap();
        assert!(
            message.contains("/ascent/approval-link-key")
                && message.contains("ASCENT_LINK_KEY_PARAMETER"),
            "{message}"
        );
        assert_eq!(
            reports[0].error_type_header.as_deref(),
            body["errorType"].as_str(),
            "the header and the body agree"
        );
        assert_eq!(body["errorType"], "Runtime.MissingSetting");
        // It never asked for an event.
        assert!(!f.api.calls().contains(&"next".to_string()));
    }

    // An agent whose configuration is not where the template says: its init stays lean (the
    // configuration is read on the first event), and every invocation fails naming the
    // parameter path, so nothing runs half-configured.
    let with_config = |value: &str| {
        let mut env = w.environment("BillingFunction");
        for (k, v) in env.iter_mut() {
            if k == "ASCENT_CONFIG_PARAMETER" {
                *v = value.into();
            }
        }
        env
    };
    let billing = Function::start(
        "billing",
        "billing",
        &with_config("/ascent/nowhere/config/"),
    )
    .await;
    let outcome = billing
        .api
        .invoke(&json!({"Records": []}), Duration::from_secs(30))
        .await
        .unwrap();
    let Outcome::Error(error) = outcome else {
        panic!("billing ran without its configuration: {outcome:?}")
    };
    let message = error["errorMessage"].as_str().unwrap();
    assert!(message.contains("/ascent/nowhere/config/"), "{message}");
    assert!(billing.api.init_errors().is_empty());

    // A configuration name that is no SSM name at all stops the start, reported at init.
    let mut billing = Function::start("billing", "billing", &with_config("ascent-config")).await;
    assert!(
        billing.wait_exit(Duration::from_secs(30)).await.is_some(),
        "billing kept running: {}",
        billing.logs()
    );
    let reports = billing.api.init_errors();
    assert_eq!(reports.len(), 1, "{reports:?} {}", billing.logs());
    let message = reports[0].body["errorMessage"].as_str().unwrap();
    assert!(message.contains("ascent-config"), "{message}");

    // A webhook desk someone set up wrong (a secret too short to be real) stops the start,
    // naming its parameter; it is not silently turned off.
    w.secret("StripeSecretParameterName", STRIPE_SECRET).await;
    w.secret("ZendeskSecretParameterName", "short").await;
    let mut f = w.function("WebhookIngestFunction").await;
    assert!(
        f.wait_exit(Duration::from_secs(30)).await.is_some(),
        "webhook-ingest kept running: {}",
        f.logs()
    );
    let reports = f.api.init_errors();
    assert_eq!(reports.len(), 1, "{reports:?} {}", f.logs());
    let message = reports[0].body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("/ascent/zendesk-webhook-secret"),
        "{message}"
    );
    assert_eq!(reports[0].body["errorType"], "Runtime.InvalidSetting");
}

/// Issue 24: Email Marketing's and the Marketing Orchestrator's SQS entry points through their
/// real binaries on moto, with the template's environment: each takes its SQS sample batch (one
/// record per event it subscribes to) whole, and what it keeps lands in the stack's tables —
/// a customer's profile and its unsubscribe link, a planned campaign.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_marketing_agents_take_their_sqs_batches_through_their_binaries() {
    let w = world().await;
    w.sender().await;
    let lake = DynamoLake::new(
        aws_sdk_dynamodb::Client::new(&w.config),
        Tables {
            prefix: format!("ascent-{STAGE}-"),
        },
    );
    for (agent, logical, domain, pk, sk) in [
        (
            "email-marketing",
            "EmailMarketingFunction",
            Domain::Customer,
            "email-profile#A00042",
            "profile",
        ),
        (
            "marketing-orchestrator",
            "MarketingOrchestratorFunction",
            Domain::Performance,
            "mkt-campaign#C-2026-Q2-AERO",
            "campaign",
        ),
    ] {
        let f = w.function(logical).await;
        assert!(
            f.api.wait_ready(Duration::from_secs(30)).await,
            "{agent} did not start: {}",
            f.logs()
        );
        let path = format!("{}/../events/sqs/{agent}.json", env!("CARGO_MANIFEST_DIR"));
        let batch: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(batch["Records"].as_array().unwrap().len() > 3);
        match f.api.invoke(&batch, Duration::from_secs(90)).await.unwrap() {
            Outcome::Response(v) => {
                assert_eq!(v["batchItemFailures"], json!([]), "{agent}: {}", f.logs())
            }
            Outcome::Error(e) => panic!("{agent}: {e}\n{}", f.logs()),
        }
        let kept = lake.get(domain, pk, sk).await.unwrap();
        assert!(kept.is_some(), "{agent}: no {pk}/{sk}\n{}", f.logs());
    }
}

/// Issue 25: Process Automation's SQS entry point through its real binary on moto, with the
/// template's environment: a dead letter's notice (Billing's charge timed out three times) is
/// taken whole, classified transient and its retry kept in the stack's table, due 30 minutes
/// after; a notice without an agent is refused by name and fails alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_automation_takes_dead_letter_notices_through_its_binary() {
    use ascent_core::catalog::MessageDeadLettered;
    let w = world().await;
    let f = w.function("ProcessAutomationFunction").await;
    assert!(
        f.api.wait_ready(Duration::from_secs(30)).await,
        "process-automation did not start: {}",
        f.logs()
    );
    let notice = |agent: &str| MessageDeadLettered {
        agent: agent.into(),
        queue: "priority".into(),
        event_id: "0c7d2a4e-5b1f-4f7e-9a51-2f6d1e0b9c11".into(),
        detail_type: "InvoiceIssued".into(),
        reason: "Stripe: 503 Service Unavailable".into(),
        receive_count: 3,
        first_received_at: "2026-03-02T08:59:40Z".parse().unwrap(),
        dead_lettered_at: "2026-03-02T09:00:00Z".parse().unwrap(),
        correlation_id: None,
    };
    let record = |id: &str, n: MessageDeadLettered| {
        json!({"messageId": id, "receiptHandle": format!("r-{id}"), "body": n.event().to_json(),
               "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
               "eventSource": "aws:sqs"})
    };
    let batch =
        json!({"Records": [record("m-good", notice("billing")), record("m-bad", notice(""))]});
    match f.api.invoke(&batch, Duration::from_secs(90)).await.unwrap() {
        Outcome::Response(v) => assert_eq!(
            v["batchItemFailures"],
            json!([]),
            "the bad notice goes to the dead-letter queue at once: {}",
            f.logs()
        ),
        Outcome::Error(e) => panic!("{e}\n{}", f.logs()),
    }
    let letter = w
        .lake()
        .get(
            Domain::Performance,
            "dlq#billing#0c7d2a4e-5b1f-4f7e-9a51-2f6d1e0b9c11",
            "letter",
        )
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no letter kept\n{}", f.logs()));
    assert_eq!(
        letter.data["state"]["state"], "retry_due",
        "{}",
        letter.data
    );
    assert_eq!(letter.data["state"]["due"], "2026-03-02T09:30:00Z");
    assert!(
        f.logs().contains("payload.agent"),
        "the refusal names the field: {}",
        f.logs()
    );
}

/// Issue 25: CRM Management's SQS entry point through its real binary on moto, with the
/// template's environment: a lead and a HubSpot change of the same person (a plus-tagged
/// address) are taken whole and kept as one contact in the stack's table with both source
/// ids; a change from a system that is no CRM of ours is refused by name and fails alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_management_takes_contact_changes_through_its_binary() {
    use ascent_core::catalog::{ContactUpdated, LeadCreated};
    use ascent_core::event::{Actor, Event};
    let w = world().await;
    let f = w.function("CrmManagementFunction").await;
    assert!(
        f.api.wait_ready(Duration::from_secs(30)).await,
        "crm-management did not start: {}",
        f.logs()
    );
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let lead = LeadCreated {
        lead_id: "L000123".into(),
        email: "ana.ruiz@boreal-aero.example".into(),
        full_name: "Ana Ruiz".into(),
        company: "Boreal Aero GmbH".into(),
        company_size: 250,
        industry: "aerospace".into(),
        role: "Head of Training".into(),
        country: Some("DE".into()),
        channel: "web".into(),
        phone: Some("+4930901820".into()),
        time_zone: Some("Europe/Berlin".into()),
    };
    let change = |system: &str| ContactUpdated {
        system: system.into(),
        record_id: "51234".into(),
        changed_at: at("2026-03-02T09:05:00Z"),
        email: Some("ana.ruiz+crm@boreal-aero.example".into()),
        full_name: Some("Ana Ruiz".into()),
        company: None,
        phone: None,
        country: None,
        job_title: Some("COO".into()),
    };
    let event = |e: Event| e.to_json();
    let record = |id: &str, body: String| {
        json!({"messageId": id, "receiptHandle": format!("r-{id}"), "body": body,
               "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
               "eventSource": "aws:sqs"})
    };
    let crm = |p: ContactUpdated, t: &str| {
        event(Event::new(
            "ascent.crm",
            Actor::system("ascent.crm"),
            at(t),
            p,
        ))
    };
    let batch = json!({"Records": [
        record("m-lead", event(Event::new("ascent.crm", Actor::system("ascent.crm"), at("2026-03-02T09:00:00Z"), lead))),
        record("m-hubspot", crm(change("hubspot"), "2026-03-02T09:05:00Z")),
        record("m-bad", crm(change("pipedrive"), "2026-03-02T09:06:00Z")),
    ]});
    match f.api.invoke(&batch, Duration::from_secs(90)).await.unwrap() {
        Outcome::Response(v) => assert_eq!(
            v["batchItemFailures"],
            json!([]),
            "the bad change goes to the dead-letter queue at once: {}",
            f.logs()
        ),
        Outcome::Error(e) => panic!("{e}\n{}", f.logs()),
    }
    let contact = w
        .lake()
        .get(Domain::Customer, "crm#contact#lead:L000123", "contact")
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no contact kept\n{}", f.logs()));
    assert_eq!(
        contact.data["source_ids"],
        json!(["lead:L000123", "hubspot:51234"]),
        "{}",
        contact.data
    );
    assert_eq!(contact.data["fields"]["job_title"]["value"], "COO");
    assert!(
        f.logs().contains("payload.system"),
        "the refusal names the field: {}",
        f.logs()
    );
}
