//! What every function's `main.rs` calls: JSON logs, the configuration and AWS clients read and
//! built once per cold start, and the Lambda runtime loop. Agents do it on the first event,
//! not at init, so their init stays as lean as a hello-world function's (docs/performance.md);
//! the platform functions read their secrets at init, and what is missing is reported to the
//! Runtime API's `/init/error` by name ([`fail_init`]).

use crate::dynamo::{DynamoLake, Tables};
use crate::eventbridge::EventBridgeBus;
use crate::host::{AgentHost, ApprovalStarter, DeadLetterQueue};
use crate::ses::SesMailer;
use crate::sfn::StepFunctionsApprovals;
use crate::sqs::SqsDeadLetters;
use ascent_core::agent::Agent;
use ascent_core::config::platform::HostSettings;
use ascent_core::config::{ConfigError, ConfigFile};
use ascent_core::privacy::PrivacyKey;
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
/// permanent failures go at once; without it they are retried until SQS moves them),
/// `ASCENT_MAX_RECEIVE_COUNT` (the queue's `maxReceiveCount`: a failure at that receive is
/// announced as dead-lettered), `ASCENT_QUEUE_PREFIX` (`ascent-<stage>-`: the agents' queues,
/// for an agent that redrives dead letters); the
/// approval policy and the sender come from `[approvals]` and `[mail]` of the configuration.
/// `AWS_ENDPOINT_URL` points the clients at an emulator. `privacy` is the key of the audit
/// items' pseudonyms ([`privacy_key`]).
pub async fn host_from_env(
    agent: Arc<dyn Agent>,
    settings: &HostSettings,
    privacy: PrivacyKey,
) -> AgentHost {
    let config = aws_config::defaults(behavior_version()).load().await;
    let lake = DynamoLake::new(aws_sdk_dynamodb::Client::new(&config), Tables::from_env());
    let bus = EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(&config),
        std::env::var("ASCENT_EVENT_BUS").unwrap_or_else(|_| "ascent".into()),
    );
    let policy = settings.policy();
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
        max_receive_count: std::env::var("ASCENT_MAX_RECEIVE_COUNT")
            .ok()
            .and_then(|n| n.parse().ok()),
        dead_letter_queues: std::env::var("ASCENT_QUEUE_PREFIX").ok().map(|prefix| {
            Arc::new(crate::sqs::SqsDeadLetterQueues::new(
                aws_sdk_sqs::Client::new(&config),
                prefix,
            )) as Arc<dyn ascent_core::ports::DeadLetterQueues>
        }),
        privacy,
        retention: settings.retention.clone(),
    }
}

/// Runs an agent behind its SQS queue (event source mapping with ReportBatchItemFailures).
/// `build` makes the agent from the configuration ([`crate::settings::load`]), which is read
/// once per cold start, on the first batch (init stays lean); the host takes its approval
/// policy and sender from the same file. A configuration that is missing or does not validate
/// fails every invocation with the parameter, or the key's path and line, so nothing runs
/// half-configured; a malformed `ASCENT_CONFIG_PARAMETER` stops the start at init.
pub async fn run_sqs_agent<A: Agent + 'static>(
    build: impl Fn(&ConfigFile) -> Result<A, ConfigError> + Send + Sync + 'static,
) -> Result<(), Error> {
    init_logging();
    check_config_source().await;
    check_privacy_key_source().await;
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

/// Stops the start when `ASCENT_CONFIG_PARAMETER` is set but is no SSM name (checked without
/// a network call: reading it waits for the first event).
async fn check_config_source() {
    if let crate::settings::Source::Parameter(name) = crate::settings::Source::from_env()
        && !name.starts_with('/')
    {
        fail_init(InitError::from(crate::settings::SettingsError::Parameter {
            name,
            message: "ASCENT_CONFIG_PARAMETER must be an SSM name starting with /".into(),
        }))
        .await;
    }
}

/// Stops the start when neither `ASCENT_PRIVACY_KEY` nor `ASCENT_PRIVACY_KEY_PARAMETER` is
/// set: an agent audits every write, and its audit items cannot be written without the key of
/// their pseudonyms (checked without a network call: the parameter is read with the
/// configuration, on the first event).
async fn check_privacy_key_source() {
    if let Some(missing) = privacy_key_unset(|var| std::env::var(var).ok()) {
        fail_init(missing).await;
    }
}

/// The error of a start where no privacy key is set, as `env` reads the environment.
fn privacy_key_unset(env: impl Fn(&str) -> Option<String>) -> Option<InitError> {
    let set = |var: &str| env(var).is_some_and(|v| !v.is_empty());
    (!set(PRIVACY_KEY_VAR) && !set(PRIVACY_KEY_PARAMETER_VAR)).then(|| {
        InitError::missing(format!(
            "set {PRIVACY_KEY_PARAMETER_VAR} (the name of an SSM SecureString, \
             /ascent/privacy-key in the generated stack) or {PRIVACY_KEY_VAR}: the audit items' \
             pseudonyms are made with it (docs/privacy.md)"
        ))
    })
}

/// [`configured_host`] behind a box: keeps the runtime loop's future type shallow (the
/// compiler's layout query otherwise overflows its depth for some agents).
fn boxed_host<'a, A: Agent + 'static>(
    build: &'a (dyn Fn(&ConfigFile) -> Result<A, ConfigError> + Send + Sync),
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<AgentHost, InitError>> + Send + 'a>>
{
    Box::pin(configured_host(build))
}

/// Reads the configuration, builds the agent with `build` and its host.
pub async fn configured_host<A: Agent + 'static>(
    build: &(dyn Fn(&ConfigFile) -> Result<A, ConfigError> + Send + Sync),
) -> Result<AgentHost, InitError> {
    let sdk = aws_config::defaults(behavior_version()).load().await;
    let file = crate::settings::load(&sdk).await?;
    let agent: Arc<dyn Agent> = Arc::new(build(&file)?);
    let settings = HostSettings::from_file(&file)?;
    let privacy = privacy_key(&sdk).await?;
    Ok(host_from_env(agent, &settings, privacy).await)
}

/// Runs an agent as a direct EventBridge target (configuration read on the first event, as
/// [`run_sqs_agent`]).
pub async fn run_eventbridge_agent<A: Agent + 'static>(
    build: impl Fn(&ConfigFile) -> Result<A, ConfigError> + Send + Sync + 'static,
) -> Result<(), Error> {
    init_logging();
    check_config_source().await;
    check_privacy_key_source().await;
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
/// URL), the link key ([`link_key`]), tables as for agents, and the sender of `[mail]`.
pub async fn notifier_from_env() -> Result<crate::approvals::ApprovalNotifier, InitError> {
    let config = aws_config::defaults(behavior_version()).load().await;
    let base_url = std::env::var("ASCENT_APPROVAL_BASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            InitError::missing("set ASCENT_APPROVAL_BASE_URL (the approval API's URL)")
        })?;
    let key = link_key(&config).await?;
    let settings = HostSettings::from_file(&crate::settings::load(&config).await?)?;
    Ok(crate::approvals::ApprovalNotifier {
        lake: Arc::new(DynamoLake::new(
            aws_sdk_dynamodb::Client::new(&config),
            Tables::from_env(),
        )),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&config))),
        signer: ascent_core::approval::LinkSigner::new(&key),
        base_url,
        mail_from: settings.mail.from,
        retention: settings.retention,
    })
}

/// Runs the approval notifier behind the approval-requests queue. What it needs (the link
/// key, the approval API's URL, the configuration) is read at init: anything missing is
/// reported to `/init/error` by name ([`fail_init`]) instead of failing every batch.
pub async fn run_approval_notifier() -> Result<(), Error> {
    init_logging();
    let notifier = match notifier_from_env().await {
        Ok(n) => Arc::new(n),
        Err(e) => fail_init(e).await,
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let notifier = notifier.clone();
        async move { Ok::<SqsBatchResponse, Error>(notifier.handle_sqs(event.payload).await) }
    }))
    .await
}

/// The approval API's desk from the environment (the link key is needed by every request, so
/// it is read once at start; see [`link_key`]).
pub async fn approval_desk_from_env() -> Result<crate::approvals::StepFunctionsDesk, InitError> {
    let config = aws_config::defaults(behavior_version()).load().await;
    let file = crate::settings::load(&config).await?;
    approval_desk(&config, &file).await
}

/// The approval desk over the stack `config` reaches, with the settings of `file` (for a
/// function that has read its configuration already: read once per cold start).
pub async fn approval_desk(
    config: &aws_config::SdkConfig,
    file: &ascent_core::config::ConfigFile,
) -> Result<crate::approvals::StepFunctionsDesk, InitError> {
    let key = link_key(config).await?;
    let settings = HostSettings::from_file(file)?;
    Ok(crate::approvals::StepFunctionsDesk {
        lake: Arc::new(DynamoLake::new(
            aws_sdk_dynamodb::Client::new(config),
            Tables::from_env(),
        )),
        tasks: Arc::new(crate::approvals::StepFunctionsTasks {
            client: aws_sdk_sfn::Client::new(config),
        }),
        signer: ascent_core::approval::LinkSigner::new(&key),
        step_timeout: chrono::Duration::hours(settings.approvals.step_timeout_hours),
        retention: settings.retention,
    })
}

/// `[company]` of the configuration (the unsubscribe page names it as the sender).
pub async fn company_from_env() -> Result<ascent_core::config::platform::Company, InitError> {
    let config = aws_config::defaults(behavior_version()).load().await;
    Ok(crate::settings::load(&config).await?.section("company")?)
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

/// Why a function cannot start. [`fail_init`] reports it to the Runtime API's `/init/error`
/// (Lambda then shows it as the function's init error and never uses the instance); the
/// message names the setting or the SSM parameter, never a secret's value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InitError {
    /// `errorType`, also sent as the `Lambda-Runtime-Function-Error-Type` header.
    pub error_type: String,
    /// `errorMessage`.
    pub message: String,
}

impl InitError {
    /// A required setting (an environment variable, a parameter) that is not there.
    pub fn missing(message: impl Into<String>) -> Self {
        InitError {
            error_type: "Runtime.MissingSetting".into(),
            message: message.into(),
        }
    }

    /// A setting that is there but unusable (too short a secret, a configuration that does not
    /// validate).
    pub fn invalid(message: impl Into<String>) -> Self {
        InitError {
            error_type: "Runtime.InvalidSetting".into(),
            message: message.into(),
        }
    }

    /// A parameter that could not be read (access denied, throttled, …).
    pub fn unreadable(message: impl Into<String>) -> Self {
        InitError {
            error_type: "Runtime.UnreadableSetting".into(),
            message: message.into(),
        }
    }
}

impl From<crate::settings::SettingsError> for InitError {
    fn from(e: crate::settings::SettingsError) -> Self {
        use crate::settings::SettingsError as S;
        match &e {
            S::Empty(_) => InitError::missing(e.to_string()),
            S::Parameter { .. } | S::File { .. } => InitError::unreadable(e.to_string()),
            S::Invalid(_) => InitError::invalid(e.to_string()),
        }
    }
}

impl From<ConfigError> for InitError {
    fn from(e: ConfigError) -> Self {
        InitError::invalid(e.to_string())
    }
}

/// What looking a secret up found.
enum Lookup {
    /// The value (from the environment variable or the parameter), long enough.
    Found(String),
    /// Neither the value's variable nor the parameter's name is set.
    NotSet,
    /// The parameter's name is set, but SSM has no such parameter (`ParameterNotFound`).
    NotFound(String),
}

async fn lookup(
    config: &aws_config::SdkConfig,
    value_var: &str,
    parameter_var: &str,
    min_len: usize,
) -> Result<Lookup, InitError> {
    if let Some(value) = std::env::var(value_var).ok().filter(|v| !v.is_empty()) {
        if value.len() < min_len {
            return Err(InitError::invalid(format!(
                "the secret in {value_var} must be at least {min_len} characters"
            )));
        }
        return Ok(Lookup::Found(value));
    }
    let Some(name) = std::env::var(parameter_var).ok().filter(|v| !v.is_empty()) else {
        return Ok(Lookup::NotSet);
    };
    let out = aws_sdk_ssm::Client::new(config)
        .get_parameter()
        .name(&name)
        .with_decryption(true)
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_parameter_not_found()) =>
        {
            return Ok(Lookup::NotFound(name));
        }
        Err(e) => {
            return Err(InitError::unreadable(format!(
                "reading the SSM parameter {name} ({parameter_var}): {}",
                aws_sdk_ssm::error::DisplayErrorContext(e)
            )));
        }
    };
    let value = out.parameter.and_then(|p| p.value).unwrap_or_default();
    if value.len() < min_len {
        return Err(InitError::invalid(format!(
            "the secret in the SSM parameter {name} ({parameter_var}) must be at least \
             {min_len} characters"
        )));
    }
    Ok(Lookup::Found(value))
}

/// A secret the function cannot run without: the environment variable `value_var` (local
/// runs), else the SSM SecureString named by `parameter_var`. Missing (neither set, or no such
/// parameter), unreadable or shorter than `min_len`: an [`InitError`] naming the variable or
/// the parameter.
pub async fn required_secret(
    config: &aws_config::SdkConfig,
    value_var: &str,
    parameter_var: &str,
    min_len: usize,
) -> Result<String, InitError> {
    match lookup(config, value_var, parameter_var, min_len).await? {
        Lookup::Found(value) => Ok(value),
        Lookup::NotSet => Err(InitError::missing(format!(
            "set {parameter_var} (the name of an SSM SecureString) or {value_var}"
        ))),
        Lookup::NotFound(name) => Err(InitError::missing(format!(
            "the SSM parameter {name} ({parameter_var}) does not exist: create it as a \
             SecureString (docs/deploying.md, one-time set-up)"
        ))),
    }
}

/// The secret of an optional desk (a webhook source, …): as [`required_secret`], except that
/// neither variable set, or a parameter name set whose parameter does not exist, turns the desk
/// off (`None`), which is logged as one JSON line naming the desk and why. A parameter that
/// exists but cannot be read or is too short is still an [`InitError`]: a desk someone set up
/// never goes off silently.
pub async fn optional_secret(
    config: &aws_config::SdkConfig,
    desk: &str,
    value_var: &str,
    parameter_var: &str,
    min_len: usize,
) -> Result<Option<String>, InitError> {
    let reason = match lookup(config, value_var, parameter_var, min_len).await? {
        Lookup::Found(value) => {
            tracing::info!(desk, "{desk} is on");
            return Ok(Some(value));
        }
        Lookup::NotSet => format!("neither {value_var} nor {parameter_var} is set"),
        Lookup::NotFound(name) => {
            format!("the SSM parameter {name} ({parameter_var}) does not exist")
        }
    };
    tracing::warn!(desk, reason = %reason, "{desk} is off: {reason}");
    Ok(None)
}

/// The HMAC key of approval links: `ASCENT_LINK_KEY`, else the SSM SecureString named by
/// `ASCENT_LINK_KEY_PARAMETER`; at least 32 characters.
pub async fn link_key(config: &aws_config::SdkConfig) -> Result<Vec<u8>, InitError> {
    required_secret(config, "ASCENT_LINK_KEY", "ASCENT_LINK_KEY_PARAMETER", 32)
        .await
        .map(String::into_bytes)
}

/// The variable holding the privacy key itself (local runs).
pub const PRIVACY_KEY_VAR: &str = "ASCENT_PRIVACY_KEY";
/// The variable naming the SSM SecureString that holds the privacy key.
pub const PRIVACY_KEY_PARAMETER_VAR: &str = "ASCENT_PRIVACY_KEY_PARAMETER";

/// The key of the pseudonyms the audit items hold instead of addresses and phone numbers:
/// `ASCENT_PRIVACY_KEY`, else the SSM SecureString named by `ASCENT_PRIVACY_KEY_PARAMETER`
/// (provisioned as the approval links' key is); at least 32 characters.
pub async fn privacy_key(config: &aws_config::SdkConfig) -> Result<PrivacyKey, InitError> {
    let key = required_secret(config, PRIVACY_KEY_VAR, PRIVACY_KEY_PARAMETER_VAR, 32).await?;
    PrivacyKey::new(key.into_bytes())
        .ok_or_else(|| InitError::invalid("the privacy key is too short"))
}

/// Ends a start that cannot succeed: logs `error`, reports it to the Runtime API's
/// `/init/error` (when `AWS_LAMBDA_RUNTIME_API` is set, as it is on Lambda) and exits with
/// status 1.
pub async fn fail_init(error: InitError) -> ! {
    tracing::error!(error_type = %error.error_type, error = %error.message, "init failed");
    if let Some(api) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .filter(|a| !a.is_empty())
        && let Err(e) = report_init_error(&api, &error).await
    {
        tracing::error!(error = %e, "could not report the init error to the Runtime API");
    }
    std::process::exit(1)
}

/// Posts `error` to `http://{api}/2018-06-01/runtime/init/error` as the Runtime API asks
/// (`{"errorMessage", "errorType"}` and the `Lambda-Runtime-Function-Error-Type` header); the
/// answer's status (202 from Lambda). `api` is `host:port` on Lambda; `cargo lambda watch`
/// gives a URL with a path (`http://127.0.0.1:9000/.rt/billing`), which is honoured too. lambda_runtime reports init errors only for SnapStart
/// hooks, so this is one HTTP/1.1 request over a plain connection (the Runtime API is local
/// and plain HTTP).
pub async fn report_init_error(api: &str, error: &InitError) -> std::io::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_json::json!({"errorMessage": error.message, "errorType": error.error_type})
        .to_string();
    // A header value is one line of visible ASCII.
    let error_type: String = error
        .error_type
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect();
    let api = api.strip_prefix("http://").unwrap_or(api);
    let (authority, prefix) = match api.find('/') {
        Some(i) => (&api[..i], api[i..].trim_end_matches('/')),
        None => (api, ""),
    };
    let request = format!(
        "POST {prefix}/2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {authority}\r\n\
         Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: {error_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(authority).await?;
        stream.write_all(request.as_bytes()).await?;
        // The status line is all that is needed: a server that keeps the connection open
        // after answering must not hold the function up.
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.windows(2).any(|w| w == b"\r\n") {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in 5 s"))??;
    let status_line = String::from_utf8_lossy(&answer);
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the Runtime API's answer has no status line",
            )
        })
}

#[cfg(test)]
mod init_tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One request to a one-shot server answering 202: what arrived (head, body).
    async fn capture(error: InitError) -> (u16, String, serde_json::Value) {
        capture_at(error, |addr| addr.to_string()).await
    }

    /// The same, with the Runtime API named as `api(address)`.
    async fn capture_at(
        error: InitError,
        api: impl FnOnce(&str) -> String,
    ) -> (u16, String, serde_json::Value) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = api(&listener.local_addr().unwrap().to_string());
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .parse()
                        .unwrap();
                    if body.len() >= len {
                        s.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                            .await
                            .unwrap();
                        return (head.to_string(), body.to_string());
                    }
                }
                if n == 0 {
                    panic!("connection closed early");
                }
            }
        });
        let status = report_init_error(&addr, &error).await.unwrap();
        let (head, body) = server.await.unwrap();
        (status, head, serde_json::from_str(&body).unwrap())
    }

    #[tokio::test]
    async fn an_init_error_is_posted_as_the_runtime_api_asks() {
        let (status, head, body) = capture(InitError::missing(
            "the SSM parameter /ascent/approval-link-key (ASCENT_LINK_KEY_PARAMETER) does not exist",
        ))
        .await;
        assert_eq!(status, 202);
        assert!(
            head.starts_with("POST /2018-06-01/runtime/init/error HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(
            head.contains("\r\nLambda-Runtime-Function-Error-Type: Runtime.MissingSetting"),
            "{head}"
        );
        assert_eq!(body["errorType"], "Runtime.MissingSetting");
        assert!(
            body["errorMessage"]
                .as_str()
                .unwrap()
                .contains("/ascent/approval-link-key")
        );
    }

    #[tokio::test]
    async fn a_runtime_api_given_as_a_url_with_a_path_is_honoured() {
        // What `cargo lambda watch` sets: AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:9000/.rt/billing
        let (status, head, body) = capture_at(InitError::missing("no table"), |addr| {
            format!("http://{addr}/.rt/billing/")
        })
        .await;
        assert_eq!(status, 202);
        assert!(
            head.starts_with("POST /.rt/billing/2018-06-01/runtime/init/error HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nHost: 127.0.0.1:"), "{head}");
        assert_eq!(body["errorType"], "Runtime.MissingSetting");
    }

    #[tokio::test]
    async fn no_runtime_api_listening_is_an_error_not_a_hang() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        assert!(
            report_init_error(&addr, &InitError::missing("x"))
                .await
                .is_err()
        );
    }

    #[test]
    fn an_agent_without_a_privacy_key_refuses_to_start_naming_it() {
        let e = privacy_key_unset(|_| None).unwrap();
        assert_eq!(e.error_type, "Runtime.MissingSetting");
        assert!(e.message.contains("ASCENT_PRIVACY_KEY_PARAMETER"), "{e}");
        assert!(e.message.contains("/ascent/privacy-key"), "{e}");
        assert!(privacy_key_unset(|v| (v == "ASCENT_PRIVACY_KEY").then(String::new)).is_some());
        for var in [PRIVACY_KEY_VAR, PRIVACY_KEY_PARAMETER_VAR] {
            assert!(privacy_key_unset(|v| (v == var).then(|| "set".to_string())).is_none());
        }
    }

    #[test]
    fn configuration_errors_say_what_kind_they_are() {
        let e: InitError =
            crate::settings::SettingsError::Empty("/ascent/prod/config/".into()).into();
        assert_eq!(e.error_type, "Runtime.MissingSetting");
        assert!(e.message.contains("/ascent/prod/config/"));
    }
}
