//! What every agent's `main.rs` calls: JSON logs, AWS clients built once per cold start (on
//! the first event, not at init), and the Lambda runtime loop.

use crate::dynamo::{DynamoLake, Tables};
use crate::eventbridge::EventBridgeBus;
use crate::host::{AgentHost, ApprovalStarter, DeadLetterQueue};
use crate::ses::SesMailer;
use crate::sfn::StepFunctionsApprovals;
use crate::sqs::SqsDeadLetters;
use ascent_core::agent::Agent;
use ascent_core::config::platform::HostSettings;
use ascent_core::config::{ConfigError, ConfigFile};
use aws_config::BehaviorVersion;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The SDK behaviour version is pinned: an SDK upgrade never changes retries or defaults
/// silently.
pub fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// JSON log lines (CloudWatch), level from `RUST_LOG` (default info). Every line of a handled
/// event carries the agent, event id and correlation id (span fields); payloads are never logged.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time() // CloudWatch timestamps every line
        .try_init();
}

/// Builds a host from the environment: `ASCENT_EVENT_BUS`, `ASCENT_TABLE_PREFIX`,
/// `ASCENT_APPROVAL_STATE_MACHINE_ARN` (optional), `ASCENT_DEAD_LETTER_QUEUE_URL` (where
/// permanent failures go at once; without it they are retried until SQS moves them); the
/// approval policy and the sender come from `[approvals]` and `[mail]` of the configuration.
/// `AWS_ENDPOINT_URL` points the clients at an emulator.
pub async fn host_from_env(agent: Arc<dyn Agent>, settings: &HostSettings) -> AgentHost {
    let config = aws_config::defaults(behavior_version()).load().await;
    let lake = DynamoLake::new(aws_sdk_dynamodb::Client::new(&config), Tables::from_env());
    let bus = EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(&config),
        std::env::var("ASCENT_EVENT_BUS").unwrap_or_else(|_| "ascent".into()),
    );
    let policy = settings.approvals.policy();
    let approvals = std::env::var("ASCENT_APPROVAL_STATE_MACHINE_ARN")
        .ok()
        .map(|arn| {
            Arc::new(StepFunctionsApprovals::new(
                aws_sdk_sfn::Client::new(&config),
                arn,
                policy.step_timeout_hours * 3600,
            )) as Arc<dyn ApprovalStarter>
        });
    AgentHost {
        agent,
        lake: Arc::new(lake),
        bus: Arc::new(bus),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&config))),
        approvals,
        policy,
        mail_from: settings.mail.from.clone(),
        dead_letters: std::env::var("ASCENT_DEAD_LETTER_QUEUE_URL")
            .ok()
            .map(|url| {
                Arc::new(SqsDeadLetters::new(aws_sdk_sqs::Client::new(&config), url))
                    as Arc<dyn DeadLetterQueue>
            }),
    }
}

/// Runs an agent behind its SQS queue (event source mapping with ReportBatchItemFailures).
/// `build` makes the agent from the configuration ([`crate::settings::load`]), which is read
/// once per cold start, before the first batch; the host takes its approval policy and
/// sender from the same file. A configuration that does not validate fails every invocation
/// with the key's path and line, so nothing runs half-configured.
pub async fn run_sqs_agent<A: Agent + 'static>(
    build: impl Fn(&ConfigFile) -> Result<A, ConfigError> + Send + Sync + 'static,
) -> Result<(), Error> {
    init_logging();
    let build = Arc::new(build);
    let host: Arc<OnceCell<AgentHost>> = Arc::new(OnceCell::new());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let build = build.clone();
        let host = host.clone();
        async move {
            let host = host.get_or_try_init(|| boxed_host(build.as_ref())).await?;
            Ok::<SqsBatchResponse, Error>(host.handle_sqs(event.payload).await)
        }
    }))
    .await
}

/// [`configured_host`] behind a box: keeps the runtime loop's future type shallow (the
/// compiler's layout query otherwise overflows its depth for some agents).
fn boxed_host<'a, A: Agent + 'static>(
    build: &'a (dyn Fn(&ConfigFile) -> Result<A, ConfigError> + Send + Sync),
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<AgentHost, Error>> + Send + 'a>> {
    Box::pin(configured_host(build))
}

/// Reads the configuration, builds the agent with `build` and its host.
pub async fn configured_host<A: Agent + 'static>(
    build: &(dyn Fn(&ConfigFile) -> Result<A, ConfigError> + Send + Sync),
) -> Result<AgentHost, Error> {
    let sdk = aws_config::defaults(behavior_version()).load().await;
    let file = crate::settings::load(&sdk).await?;
    let agent: Arc<dyn Agent> = Arc::new(build(&file)?);
    let settings = HostSettings::from_file(&file)?;
    Ok(host_from_env(agent, &settings).await)
}

/// Runs an agent as a direct EventBridge target.
pub async fn run_eventbridge_agent<A: Agent + 'static>(
    build: impl Fn(&ConfigFile) -> Result<A, ConfigError> + Send + Sync + 'static,
) -> Result<(), Error> {
    init_logging();
    let build = Arc::new(build);
    let host: Arc<OnceCell<AgentHost>> = Arc::new(OnceCell::new());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let build = build.clone();
        let host = host.clone();
        async move {
            let host = host.get_or_try_init(|| boxed_host(build.as_ref())).await?;
            host.handle_eventbridge(event.payload)
                .await
                .map(|d| format!("{d:?}"))
                .map_err(Error::from)
        }
    }))
    .await
}

/// The approval notifier from the environment: `ASCENT_APPROVAL_BASE_URL` (the approval API's
/// URL), the link key, tables as for agents, and the sender of `[mail]`.
pub async fn notifier_from_env() -> Result<crate::approvals::ApprovalNotifier, Error> {
    let config = aws_config::defaults(behavior_version()).load().await;
    let key = crate::approvals::link_key(&config).await?;
    let settings = HostSettings::from_file(&crate::settings::load(&config).await?)?;
    Ok(crate::approvals::ApprovalNotifier {
        lake: Arc::new(DynamoLake::new(
            aws_sdk_dynamodb::Client::new(&config),
            Tables::from_env(),
        )),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&config))),
        signer: ascent_core::approval::LinkSigner::new(&key),
        base_url: std::env::var("ASCENT_APPROVAL_BASE_URL")
            .map_err(|_| "set ASCENT_APPROVAL_BASE_URL")?,
        mail_from: settings.mail.from,
    })
}

/// Runs the approval notifier behind the approval-requests queue.
pub async fn run_approval_notifier() -> Result<(), Error> {
    init_logging();
    let notifier: Arc<OnceCell<crate::approvals::ApprovalNotifier>> = Arc::new(OnceCell::new());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let notifier = notifier.clone();
        async move {
            let n = notifier.get_or_try_init(notifier_from_env).await?;
            Ok::<SqsBatchResponse, Error>(n.handle_sqs(event.payload).await)
        }
    }))
    .await
}

/// The approval API's desk from the environment (the link key is needed by every request, so
/// it is read once at start).
pub async fn approval_desk_from_env() -> Result<crate::approvals::StepFunctionsDesk, Error> {
    let config = aws_config::defaults(behavior_version()).load().await;
    let key = crate::approvals::link_key(&config).await?;
    let settings = HostSettings::from_file(&crate::settings::load(&config).await?)?;
    Ok(crate::approvals::StepFunctionsDesk {
        lake: Arc::new(DynamoLake::new(
            aws_sdk_dynamodb::Client::new(&config),
            Tables::from_env(),
        )),
        tasks: Arc::new(crate::approvals::StepFunctionsTasks {
            client: aws_sdk_sfn::Client::new(&config),
        }),
        signer: ascent_core::approval::LinkSigner::new(&key),
        step_timeout: chrono::Duration::hours(settings.approvals.step_timeout_hours),
    })
}

/// The unsubscribe page's desk: links in the customer table, opt-outs onto the bus.
pub async fn unsubscribe_desk_from_env() -> ascent_core::compliance::LakeUnsubscribeDesk {
    let config = aws_config::defaults(behavior_version()).load().await;
    ascent_core::compliance::LakeUnsubscribeDesk {
        lake: Arc::new(DynamoLake::new(
            aws_sdk_dynamodb::Client::new(&config),
            Tables::from_env(),
        )),
        bus: Arc::new(EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(&config),
            std::env::var("ASCENT_EVENT_BUS").unwrap_or_else(|_| "ascent".into()),
        )),
        clock: Arc::new(ascent_core::ports::SystemClock),
    }
}
