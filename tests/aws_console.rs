//! The operator console's AWS home through its real binary (`target/debug/operator-console`)
//! under a Runtime API of our own, with the environment the generated template gives it, over
//! the stack that template declares on moto: operators of its Cognito user pool sign in (one
//! with an authenticator app's code; sessions kept in DynamoDB, so a second instance knows
//! them), an approver decides a request
//! waiting in Step Functions, an admin pauses and resumes an agent (its event source mapping),
//! sees a dead letter's reason and redrives it, reads the audit trail, exports a person's
//! records and requests their erasure on the bus.

#[path = "support/log_scan.rs"]
#[allow(dead_code)]
mod log_scan;
#[path = "support/moto.rs"]
mod moto;
#[path = "support/runtime_api.rs"]
mod runtime_api;

use ascent::aws::LocalStack;
use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_aws::host::ApprovalStarter;
use ascent_aws::sfn::StepFunctionsApprovals;
use ascent_core::agent::Domain;
use ascent_core::approval::ApprovalDraft;
use ascent_core::config::ConfigFile;
use ascent_core::config::platform::HostSettings;
use ascent_core::money::Money;
use ascent_core::ports::{DataLake, Item, Query};
use moto::Moto;
use moto::wire::eventually;
use runtime_api::{Function, Outcome, PumpStats, base64_decode, http_event, pump_sqs};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const STAGE: &str = "console";
const LINK_KEY: &str = "aws-console-link-key-0123456789abcdef0123";
const SENDER: &str = "agents@ascent-xr.example";
const APPROVER: (&str, &str) = (
    "sales.director@ascent-xr.example",
    "Director-passphrase-2026!",
);
const ADMIN: (&str, &str) = ("coo@ascent-xr.example", "Coo-passphrase-2026!");

struct World {
    _moto: Moto,
    moto_url: String,
    config: aws_config::SdkConfig,
    stack: LocalStack,
}

async fn world() -> World {
    runtime_api::binary("operator-console");
    let moto = Moto::start();
    ureq::post(&format!("{}/moto-api/config", moto.url))
        .send_json(json!({"stepfunctions": {"execute_state_machine": true}}))
        .unwrap();
    let config = moto.config().await;
    let template = ascent::infra::template(&ascent::agents::declarations());
    let mut stack = LocalStack::new(template, STAGE, "us-east-1", &moto.url);
    stack.definitions = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra").into());
    stack.link_key = false;
    stack.create(&config, "").await.unwrap();
    let ssm = aws_sdk_ssm::Client::new(&config);
    ssm.put_parameter()
        .name(stack.parameter("LinkKeyParameterName"))
        .value(LINK_KEY)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let ses = aws_sdk_sesv2::Client::new(&config);
    for identity in [SENDER, "ascent-xr.example"] {
        ses.create_email_identity()
            .email_identity(identity)
            .send()
            .await
            .unwrap();
    }
    World {
        moto_url: moto.url.clone(),
        _moto: moto,
        config,
        stack,
    }
}

impl World {
    async fn function(&self, logical_id: &str) -> Function {
        let f = Function::start(
            &self.stack.reference(logical_id),
            &self.stack.binary(logical_id).unwrap(),
            &self.stack.environment(logical_id).unwrap(),
        )
        .await;
        assert!(
            f.api.wait_ready(Duration::from_secs(30)).await,
            "{} did not start: {}",
            f.name,
            f.logs()
        );
        assert!(f.api.init_errors().is_empty(), "{}: {}", f.name, f.logs());
        f
    }

    /// An operator added to the console's user pool as docs/console.md says (created, given a
    /// permanent password, put in `group` when there is one); with `totp`, an authenticator
    /// app set up and preferred, as the operator does once signed in to Cognito.
    async fn operator(&self, (email, password): (&str, &str), group: &str, totp: bool) {
        use aws_sdk_cognitoidentityprovider::types::{
            AttributeType, AuthFlowType, MessageActionType, SoftwareTokenMfaSettingsType,
        };
        let idp = aws_sdk_cognitoidentityprovider::Client::new(&self.config);
        let pool = self.stack.reference("ConsoleUserPool");
        let attribute =
            |k: &str, v: &str| AttributeType::builder().name(k).value(v).build().unwrap();
        idp.admin_create_user()
            .user_pool_id(&pool)
            .username(email)
            .user_attributes(attribute("email", email))
            .user_attributes(attribute("email_verified", "true"))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        idp.admin_set_user_password()
            .user_pool_id(&pool)
            .username(email)
            .password(password)
            .permanent(true)
            .send()
            .await
            .unwrap();
        if !group.is_empty() {
            idp.admin_add_user_to_group()
                .user_pool_id(&pool)
                .username(email)
                .group_name(group)
                .send()
                .await
                .unwrap();
        }
        if totp {
            let signed_in = idp
                .initiate_auth()
                .auth_flow(AuthFlowType::UserPasswordAuth)
                .client_id(self.stack.reference("ConsoleUserPoolClient"))
                .auth_parameters("USERNAME", email)
                .auth_parameters("PASSWORD", password)
                .send()
                .await
                .unwrap();
            let access = signed_in
                .authentication_result()
                .unwrap()
                .access_token()
                .unwrap()
                .to_string();
            idp.associate_software_token()
                .access_token(&access)
                .send()
                .await
                .unwrap();
            idp.verify_software_token()
                .access_token(&access)
                .user_code("123456")
                .send()
                .await
                .unwrap();
            idp.set_user_mfa_preference()
                .access_token(&access)
                .software_token_mfa_settings(
                    SoftwareTokenMfaSettingsType::builder()
                        .enabled(true)
                        .preferred_mfa(true)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
    }

    fn lake(&self) -> DynamoLake {
        DynamoLake::new(
            aws_sdk_dynamodb::Client::new(&self.config),
            Tables {
                prefix: format!("ascent-{STAGE}-"),
            },
        )
    }

    /// The audit items of today (every writer's), as stored.
    async fn audit_today(&self) -> Vec<Item> {
        let day = chrono::Utc::now().date_naive();
        self.lake()
            .query(Domain::Audit, &Query::table(format!("audit#{day}")))
            .await
            .unwrap()
    }

    /// Billing's function and event source mapping, as the stack has them (the emulator runs
    /// no function code: the mapping is created disabled-free but never sent to before the
    /// pause, so nothing invokes it).
    async fn billing_mapping(&self, lambda: &aws_sdk_lambda::Client) -> String {
        // The function's role must exist for the emulator: created through IAM's query API.
        let role = "console-test-billing";
        ureq::post(&self.moto_url)
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=test/20261206/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
            )
            .send_form([
                ("Action", "CreateRole"),
                ("Version", "2010-05-08"),
                ("RoleName", role),
                ("AssumeRolePolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#),
            ])
            .unwrap();
        let empty_zip = [
            b'P', b'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        lambda
            .create_function()
            .function_name(format!("ascent-{STAGE}-billing"))
            .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
            .handler("bootstrap")
            .role(format!("arn:aws:iam::123456789012:role/{role}"))
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(empty_zip.to_vec()))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let queue = self
            .stack
            .sqs_sources()
            .into_iter()
            .find(|s| s.function == "BillingFunction")
            .unwrap();
        lambda
            .create_event_source_mapping()
            .function_name(format!("ascent-{STAGE}-billing"))
            .event_source_arn(queue.queue_arn)
            .batch_size(10)
            .send()
            .await
            .unwrap()
            .uuid
            .unwrap()
    }
}

/// A browser of one operator: the console function's answers, its cookies kept.
struct Operator<'f> {
    console: &'f Function,
    cookies: Vec<(String, String)>,
    /// The sign-in asked for an authenticator app's code.
    asked_code: bool,
}

/// A Function URL answer: status, the cookies it sets, the body.
struct Answer {
    status: u16,
    set_cookies: Vec<String>,
    location: Option<String>,
    body: String,
}

impl<'f> Operator<'f> {
    fn new(console: &'f Function) -> Self {
        Self {
            console,
            cookies: Vec::new(),
            asked_code: false,
        }
    }

    async fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Answer {
        let body = form.map(|f| {
            f.iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect::<Vec<_>>()
                .join("&")
        });
        let mut headers = vec![];
        if body.is_some() {
            headers.push(("content-type", "application/x-www-form-urlencoded"));
        }
        let mut event = http_event(method, path, &headers, body.as_deref().map(str::as_bytes));
        // Function URLs hand the request's cookies over as a list of their own.
        event["cookies"] = json!(
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        );
        let r = match self
            .console
            .api
            .invoke(&event, Duration::from_secs(30))
            .await
        {
            Ok(Outcome::Response(r)) => r,
            other => panic!("{method} {path}: {other:?}\n{}", self.console.logs()),
        };
        let mut set_cookies: Vec<String> = r["cookies"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(c) = r["headers"]["set-cookie"].as_str() {
            set_cookies.push(c.to_string());
        }
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        let body = r["body"].as_str().unwrap_or_default();
        let body = if r["isBase64Encoded"].as_bool() == Some(true) {
            String::from_utf8(base64_decode(body)).unwrap()
        } else {
            body.to_string()
        };
        Answer {
            status: r["statusCode"].as_u64().unwrap_or(0) as u16,
            set_cookies,
            location: r["headers"]["location"].as_str().map(str::to_string),
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, None).await
    }

    async fn sign_in(&mut self, (email, password): (&str, &str)) -> Answer {
        let page = self.get("/console/sign-in").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let form_token = csrf(&page.body);
        let answer = self
            .send(
                "POST",
                "/console/sign-in",
                Some(&[
                    ("email", email),
                    ("password", password),
                    ("csrf", &form_token),
                ]),
            )
            .await;
        if answer.status != 200 || !answer.body.contains("id=\"sign-in-code\"") {
            return answer;
        }
        // The directory asks for the authenticator app's code.
        self.asked_code = true;
        let session = hidden(&answer.body, "session");
        let token = csrf(&answer.body);
        self.send(
            "POST",
            "/console/sign-in/code",
            Some(&[
                ("email", email),
                ("session", &session),
                ("code", "123456"),
                ("csrf", &token),
            ]),
        )
        .await
    }

    /// Posts `form` with the synchronizer token of the page at `page`.
    async fn post_from(&mut self, page: &str, path: &str, form: &[(&str, &str)]) -> Answer {
        let shown = self.get(page).await;
        assert_eq!(shown.status, 200, "{page}: {}", shown.body);
        let token = csrf(&shown.body);
        let mut form = form.to_vec();
        form.push(("csrf", &token));
        self.send("POST", path, Some(&form)).await
    }
}

/// The value of the hidden field `name` of the page's form.
fn hidden(html: &str, name: &str) -> String {
    let field = format!("name=\"{name}\" value=\"");
    let at = html.find(&field).expect("the field") + field.len();
    html[at..].split('"').next().unwrap().replace("&amp;", "&")
}

fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token")
        + 19;
    html[at..].split('"').next().unwrap().to_string()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A discount request of the shipped policy (the Sales Director decides it), waiting in the
/// stack's approval workflow; the notifier binary stores its task token.
async fn waiting_approval(w: &World) -> (String, Function, tokio::task::JoinHandle<()>) {
    let notifier = w.function("ApprovalNotifierFunction").await;
    let source = w
        .stack
        .sqs_sources()
        .into_iter()
        .find(|s| s.function == "ApprovalNotifierFunction")
        .unwrap();
    let pump = pump_sqs(
        aws_sdk_sqs::Client::new(&w.config),
        source.queue_url,
        source.queue_arn,
        source.batch_size,
        notifier.api.clone(),
        Arc::new(PumpStats::default()),
    );
    let policy = HostSettings::from_file(&ConfigFile::shipped())
        .unwrap()
        .policy();
    let draft = ApprovalDraft {
        kind: "discount".into(),
        subject: "D00042".into(),
        summary: "20% discount on deal D00042".into(),
        amount: Some(Money::usd(1_060_000)),
        requester: "ava.rep@ascent-xr.example".into(),
        approver_role: "sales-director".into(),
        reason: "above the 15% threshold".into(),
        ..Default::default()
    };
    let id = format!("apr-console-{}", uuid::Uuid::new_v4().simple());
    let approval = policy
        .open(
            id.clone(),
            "closing",
            draft,
            uuid::Uuid::new_v4(),
            chrono::Utc::now(),
        )
        .unwrap();
    assert_eq!(approval.chain[0], APPROVER.0, "the shipped chain");
    StepFunctionsApprovals::new(
        aws_sdk_sfn::Client::new(&w.config),
        w.stack.reference("ApprovalStateMachine"),
        policy.step_timeout_hours * 3600,
    )
    .start(&approval)
    .await
    .unwrap();
    let lake = w.lake();
    let waiting = id.clone();
    eventually(60, "the notifier to store the task token", || {
        let (lake, id) = (&lake, waiting.clone());
        async move {
            lake.get(Domain::Approvals, &format!("approval#{id}"), "task#0")
                .await
                .unwrap()
                .map(|_| ())
        }
    })
    .await;
    (id, notifier, pump)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operators_run_the_stack_from_the_console_function() {
    let w = world().await;
    let (id, notifier, pump) = waiting_approval(&w).await;
    // The operators are the stack's Cognito pool's: the approver signs in with a one-time
    // code (an authenticator app), the admin with the password alone.
    w.operator(APPROVER, "approver", true).await;
    w.operator(ADMIN, "admin", false).await;
    w.operator(
        ("no.group@ascent-xr.example", "Nogroup-passphrase-2026!"),
        "",
        false,
    )
    .await;
    let console = w.function("OperatorConsoleFunction").await;

    // Signing in: a wrong password is refused; the right one opens a session.
    let mut approver = Operator::new(&console);
    let refused = approver.sign_in((APPROVER.0, "not the password")).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let mut nobody = Operator::new(&console);
    let no_group = nobody
        .sign_in(("no.group@ascent-xr.example", "Nogroup-passphrase-2026!"))
        .await;
    assert_eq!(no_group.status, 403, "{}", no_group.body);
    assert!(
        no_group.body.contains("none of the console"),
        "{}",
        no_group.body
    );
    let signed_in = approver.sign_in(APPROVER).await;
    assert!(
        approver.asked_code,
        "the approver's authenticator app was asked for"
    );
    assert!(
        signed_in.status == 303 && signed_in.location.is_some(),
        "{} {:?}",
        signed_in.status,
        signed_in.set_cookies
    );
    assert!(
        signed_in
            .set_cookies
            .iter()
            .any(|c| c.starts_with("ascent_console=")
                && c.contains("Secure")
                && c.contains("HttpOnly")),
        "{:?}",
        signed_in.set_cookies
    );

    // The session lives in DynamoDB: another instance of the function knows it.
    let second = w.function("OperatorConsoleFunction").await;
    let mut elsewhere = Operator {
        console: &second,
        cookies: approver.cookies.clone(),
        asked_code: false,
    };
    let inbox = elsewhere.get("/console/approvals").await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    assert!(
        inbox.body.contains(&id) || inbox.body.contains("D00042"),
        "{}",
        inbox.body
    );
    assert!(
        inbox.body.contains("ava.rep@ascent-xr.example"),
        "who asked"
    );

    // The approver decides from the inbox: the workflow resumes and the record says so.
    let decided = approver
        .post_from(
            "/console/approvals",
            &format!("/console/approvals/{id}"),
            &[
                ("decision", "approve"),
                ("comment", "within this quarter's margin"),
            ],
        )
        .await;
    assert!(decided.status < 400, "{}: {}", decided.status, decided.body);
    let lake = w.lake();
    let record = lake
        .get(Domain::Approvals, &format!("approval#{id}"), "approval")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.data["status"], "approved", "{}", record.data);
    assert_eq!(record.data["decided_by"], APPROVER.0);
    let sfn = aws_sdk_sfn::Client::new(&w.config);
    eventually(60, "the approval workflow to finish", || {
        let sfn = sfn.clone();
        let machine = w.stack.reference("ApprovalStateMachine");
        async move {
            let out = sfn
                .list_executions()
                .state_machine_arn(machine)
                .send()
                .await
                .unwrap();
            out.executions()
                .iter()
                .all(|e| e.status().as_str() == "SUCCEEDED")
                .then_some(())
        }
    })
    .await;
    // A viewer's or approver's admin action is refused (and audited).
    let lambda = aws_sdk_lambda::Client::new(&w.config);
    let mapping = w.billing_mapping(&lambda).await;
    let refused = approver
        .post_from("/console/agents", "/console/agents/billing/pause", &[])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // The admin pauses Billing: its event source mapping is disabled; resumed, enabled.
    let mut admin = Operator::new(&console);
    assert_eq!(admin.sign_in(ADMIN).await.status, 303);
    assert!(!admin.asked_code, "no app, no code");
    let paused = admin
        .post_from("/console/agents", "/console/agents/billing/pause", &[])
        .await;
    assert!(paused.status < 400, "{}: {}", paused.status, paused.body);
    let state = |lambda: aws_sdk_lambda::Client, uuid: String| async move {
        lambda
            .get_event_source_mapping()
            .uuid(uuid)
            .send()
            .await
            .unwrap()
            .state
            .unwrap_or_default()
    };
    assert_eq!(state(lambda.clone(), mapping.clone()).await, "Disabled");
    let agents = admin.get("/console/agents").await;
    assert!(
        agents.body.contains("billing paused") || agents.body.contains("Resume"),
        "{}",
        agents.body
    );
    // While Billing is paused, dead letters in its error queue, with the reasons the host put
    // on them: shown, and redriven to Billing's queue, where they wait.
    let sqs = aws_sdk_sqs::Client::new(&w.config);
    let errors = sqs
        .get_queue_url()
        .queue_name(format!("ascent-{STAGE}-billing-errors"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for (payment, reason) in [
        ("P000999", "invoice inv-UNKNOWN not found"),
        ("P000998", "invoice inv-GONE not found"),
    ] {
        let letter = json!({"detail-type": "PaymentReceived", "source": "ascent.payments",
            "detail": {"event_id": uuid::Uuid::new_v4().to_string(), "payment_id": payment}});
        sqs.send_message()
            .queue_url(&errors)
            .message_body(letter.to_string())
            .message_attributes(
                "reason",
                aws_sdk_sqs::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(reason)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let queues = admin.get("/console/queues").await;
    for shown in [
        "invoice inv-UNKNOWN not found",
        "invoice inv-GONE not found",
        "P000999",
        "P000998",
    ] {
        assert!(queues.body.contains(shown), "{shown}: {}", queues.body);
    }
    // One, by its id on the page; then the rest.
    let at = queues.body.find("P000999").unwrap();
    let row = queues.body[..at].rfind("data-dead-letter=\"").unwrap() + 18;
    let letter_id = queues.body[row..].split('"').next().unwrap().to_string();
    assert!(
        letter_id.starts_with(&format!("ascent-{STAGE}-billing-errors/")),
        "{letter_id}"
    );
    let one = admin
        .post_from(
            "/console/queues",
            "/console/queues/redrive",
            &[("id", letter_id.as_str())],
        )
        .await;
    assert!(one.status < 400, "{}: {}", one.status, one.body);
    let billing_queue = w
        .stack
        .sqs_sources()
        .into_iter()
        .find(|s| s.function == "BillingFunction")
        .unwrap()
        .queue_url;
    // What waits in a queue, looked at (not taken) until `want` distinct messages are seen.
    let receive_all = |url: String, want: usize| {
        let sqs = sqs.clone();
        async move {
            let mut all: Vec<aws_sdk_sqs::types::Message> = Vec::new();
            for _ in 0..20 {
                for m in sqs
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(10)
                    .visibility_timeout(0)
                    .message_attribute_names("All")
                    .send()
                    .await
                    .unwrap()
                    .messages
                    .unwrap_or_default()
                {
                    if !all.iter().any(|a| a.message_id == m.message_id) {
                        all.push(m);
                    }
                }
                if all.len() >= want {
                    break;
                }
            }
            all
        }
    };
    let back = receive_all(billing_queue.clone(), 1).await;
    assert_eq!(back.len(), 1, "one redriven to Billing's queue");
    assert!(back[0].body().unwrap().contains("P000999"));
    assert!(
        back[0]
            .message_attributes()
            .is_none_or(|a| !a.contains_key("reason")),
        "the reason stays behind"
    );
    let left = admin.get("/console/queues").await;
    assert!(
        left.body.contains("P000998") && !left.body.contains("P000999"),
        "{}",
        left.body
    );
    let rest = admin
        .post_from("/console/queues", "/console/queues/redrive", &[])
        .await;
    assert!(rest.status < 400, "{}: {}", rest.status, rest.body);
    let back = receive_all(billing_queue, 2).await;
    assert_eq!(back.len(), 2, "both in Billing's queue now");
    assert!(
        admin
            .get("/console/queues")
            .await
            .body
            .contains("Dead letters (0)"),
        "none left"
    );

    // Resumed (after the redrive, so the emulator, which runs no function code, does not
    // take the redriven messages for an invocation): enabled again.
    let resumed = admin
        .post_from("/console/agents", "/console/agents/billing/resume", &[])
        .await;
    assert!(resumed.status < 400, "{}: {}", resumed.status, resumed.body);
    assert_eq!(state(lambda.clone(), mapping.clone()).await, "Enabled");

    // Every change is in the audit trail under the operator, and the audit page finds it.
    let audit = w.audit_today().await;
    for (who, action) in [
        (APPROVER.0, "approval.decided"),
        (APPROVER.0, "console.refused"),
        (ADMIN.0, "agent.paused"),
        (ADMIN.0, "agent.resumed"),
        (ADMIN.0, "dlq.redrive"),
        (ADMIN.0, "console.signed-in"),
    ] {
        assert!(
            audit
                .iter()
                .any(|i| i.data["actor"] == who && i.data["action"] == action),
            "{who} {action} audited: {:?}",
            audit.iter().map(|i| &i.data).collect::<Vec<_>>()
        );
    }
    let page = admin
        .get(&format!("/console/audit?agent={}", urlencode(ADMIN.0)))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("agent.paused"), "{}", page.body);
    // The decision's flow, followed across the audit trail by its correlation id.
    let flow = record.data["correlation_id"].as_str().unwrap().to_string();
    let timeline = admin.get(&format!("/console/audit/flow/{flow}")).await;
    assert_eq!(timeline.status, 200, "{}", timeline.body);
    assert!(
        timeline.body.contains("approval.decided"),
        "{}",
        timeline.body
    );
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(
        page.body.contains("Audit trail verified")
            && page.body.contains(&format!("Not sealed yet: {today}")),
        "today's records wait for their seal: {}",
        page.body
    );

    // Business state and the dashboard read the stack's tables (the same pages as the twin's,
    // over ascent-insights); the cost KPI says where AWS's bill is.
    let business = admin.get("/console/business?q=Boreal").await;
    assert_eq!(business.status, 200, "{}", business.body);
    let dashboard = admin.get("/console/dashboard?days=7").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    assert!(
        dashboard.body.contains("kpi-cost-per-million-events"),
        "{}",
        dashboard.body
    );

    // Privacy: an admin downloads a person's export and requests their erasure on the bus.
    let export = admin
        .post_from(
            "/console/privacy",
            "/console/privacy/export",
            &[("email", "ava.rep@ascent-xr.example")],
        )
        .await;
    assert_eq!(export.status, 200, "{}", export.body);
    let document: Value = serde_json::from_str(&export.body).unwrap();
    assert!(document["records"].is_array(), "{document}");
    let tap = moto::wire::tap(
        &sqs,
        &aws_sdk_eventbridge::Client::new(&w.config),
        &w.stack.reference("EventBus"),
        &["ErasureRequested"],
    )
    .await;
    let erased = admin
        .post_from(
            "/console/privacy",
            "/console/privacy/erase",
            &[("email", "ava.rep@ascent-xr.example"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert!(erased.body.contains("requested"), "{}", erased.body);
    let request = eventually(30, "ErasureRequested on the bus", || {
        let (sqs, tap) = (sqs.clone(), tap.clone());
        async move {
            sqs.receive_message()
                .queue_url(tap)
                .send()
                .await
                .unwrap()
                .messages
                .unwrap_or_default()
                .into_iter()
                .next()
        }
    })
    .await;
    let request: Value = serde_json::from_str(request.body().unwrap()).unwrap();
    assert_eq!(
        request["detail"]["payload"]["email"],
        "ava.rep@ascent-xr.example"
    );
    assert_eq!(request["detail"]["payload"]["requested_by"], ADMIN.0);
    drop((notifier, second));
    pump.abort();
}

/// The DynamoDB prefix reader keeps the contract of the port the business and KPI pages read
/// through (as the twin's SQLite reader does), and the DynamoDB session store the contract of
/// the console's session port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_adapters_keep_their_ports_contracts() {
    let moto = Moto::start();
    let config = moto.config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    moto::wire::create_tables(&ddb, "ascent-contract-").await;
    let tables = Tables {
        prefix: "ascent-contract-".into(),
    };
    let lake = DynamoLake::new(ddb.clone(), tables.clone());
    for (domain, pk, sk, data) in ascent_insights::contract::items() {
        lake.transact(&[ascent_core::ports::Write::Put {
            domain,
            item: Item::new(pk, sk, data),
            condition: ascent_core::ports::Condition::Always,
        }])
        .await
        .unwrap();
    }
    let reader = ascent_console_aws::reader::DynamoReader {
        client: ddb,
        tables,
    };
    ascent_insights::contract::check(&reader).await;
    let store = ascent_console_aws::sessions::DynamoSessionStore {
        lake: Arc::new(lake),
    };
    ascent_console::session_store::check_store(&store)
        .await
        .unwrap();
}
