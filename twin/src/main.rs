//! `ascent`: run the local twin, send it events, simulate a company, debug routing, operate
//! dead letters and verify the audit chain.

use anyhow::{Context, bail};
use ascent::settings::{EVENTS_TOKEN_VAR, Settings, TokenSource};
use ascent_core::event::{Event, PutEventsEntry};
use ascent_core::routing::Router;
use clap::{Parser, Subcommand};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "ascent",
    version,
    about = "The Ascent agents ecosystem on one machine"
)]
struct Cli {
    /// State folder: SQLite data lake, queues, audit log, outbox.
    #[arg(
        long,
        global = true,
        env = "ASCENT_DATA_DIR",
        default_value = ".ascent"
    )]
    data_dir: PathBuf,
    /// Port of the twin.
    #[arg(long, global = true, env = "ASCENT_PORT", default_value_t = 8787)]
    port: u16,
    /// Address the twin listens on (`up`) and is reached at (`emit`). Beyond loopback,
    /// `POST /events` requires the events token (ASCENT_EVENTS_TOKEN, or one generated into
    /// <data-dir>/events.token).
    #[arg(long, global = true, env = "ASCENT_HOST", default_value = "127.0.0.1")]
    host: String,
    /// The business settings (see docs/configuration.md); default ./ascent.toml when it
    /// exists, else the shipped defaults. Refused whole, naming the key and its line, when a
    /// setting is wrong.
    #[arg(long, global = true, env = "ASCENT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the twin: event ingestion, approval pages, status, agents' workers.
    Up {
        /// Connections served at once; further ones wait until one closes.
        #[arg(long, env = "ASCENT_MAX_CONNECTIONS", default_value_t = ascent::http::DEFAULT_MAX_CONNECTIONS as u16,
              value_parser = clap::value_parser!(u16).range(1..))]
        max_connections: u16,
        /// Log warnings and errors only, not a line per handled message, approval and mail
        /// (`RUST_LOG` sets the level too).
        #[arg(long)]
        quiet: bool,
    },
    /// Print the twin's status (what `GET /status` answers) from its data folder, no server
    /// needed.
    Status,
    /// Send event files (one event or an array of events each) to a running twin.
    Emit {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Generate a synthetic company and run it through every agent, then report.
    Simulate {
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// New leads per business day.
        #[arg(long, default_value_t = 200)]
        leads_per_day: u32,
        /// Do not draw the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// The monthly AWS bill of a run's traffic on the generated stack (per agent, per service,
    /// per million business events), priced by `[cost]` (docs/operations.md#cost-model).
    Cost {
        /// The run's SQLite file; default: the newest twin.db or simulate-<seed>.db of
        /// --data-dir.
        #[arg(long)]
        database: Option<PathBuf>,
        /// Days of traffic the run covers; default: the span of its business events (or of
        /// --from/--to).
        #[arg(long)]
        days: Option<f64>,
        /// Count only events and records from this time on (RFC 3339).
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Count only events and records before this time (RFC 3339).
        #[arg(long)]
        to: Option<chrono::DateTime<chrono::Utc>>,
        /// Every part's lines with their formulas.
        #[arg(long)]
        detail: bool,
        /// The bill as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the SAM template generated from the agents' declarations (infra/template.yaml),
    /// with the settings of `--config` as one SSM parameter per section.
    Infra,
    /// Show which agents' rules an event file matches, condition by condition.
    Route { file: PathBuf },
    /// Dead-letter queue: list or redrive.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// Audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// The operator console (`/console` of `ascent up`, docs/console.md).
    Console {
        #[command(subcommand)]
        action: ConsoleAction,
    },
    /// A person's data (GDPR arts. 15, 17, 20): export all of it, or erase it
    /// (docs/privacy.md). On a running twin, send an `ErasureRequested` event instead.
    Privacy {
        #[command(subcommand)]
        action: PrivacyAction,
    },
    /// The National Do Not Call Registry: import an extract (one ten-digit number a line, as
    /// the registry's download gives it) that Outreach scrubs call tasks against.
    Dnc {
        #[command(subcommand)]
        action: DncAction,
    },
    /// The AWS stack through the AWS SDK (`AWS_ENDPOINT_URL` honoured): a local stack on an
    /// emulator, queue depths, dead letters.
    Aws {
        /// The stack's stage (names `ascent-<stage>-…`).
        #[arg(long, global = true, default_value = "prod")]
        stage: String,
        #[command(subcommand)]
        action: AwsAction,
    },
}

#[derive(Subcommand)]
enum AwsAction {
    /// Create on an endpoint (e.g. moto) everything the generated template declares, then
    /// print the environment each function (or `--function`) needs.
    LocalStack {
        #[arg(long, env = "AWS_ENDPOINT_URL")]
        endpoint: String,
        /// One function (e.g. `billing`); default: every function.
        #[arg(long)]
        function: Option<String>,
    },
    /// Queue depths and dead letters with their reasons.
    Status,
    /// The agents' error queues.
    Dlq {
        #[command(subcommand)]
        action: AwsDlqAction,
    },
    /// The audit table's hash chain (days sealed by schedule-tick).
    Audit {
        #[command(subcommand)]
        action: AwsAuditAction,
    },
    /// A person's records in the stack (export), or their erasure requested on its bus.
    Privacy {
        #[command(subcommand)]
        action: PrivacyAction,
    },
    /// Import an extract of the National Do Not Call Registry into the stack's tables.
    DncImport {
        file: PathBuf,
        /// The extract's date (YYYY-MM-DD): scrubs rely on it for 31 days.
        #[arg(long)]
        as_of: chrono::NaiveDate,
    },
}

#[derive(Subcommand)]
enum DncAction {
    /// Import an extract of the registry, dated as the registry dated it.
    Import {
        file: PathBuf,
        /// The extract's date (YYYY-MM-DD): scrubs rely on it for 31 days.
        #[arg(long)]
        as_of: chrono::NaiveDate,
    },
}

#[derive(Subcommand)]
enum AwsAuditAction {
    /// Recompute every sealed day's chain; name the first broken day and item, list the
    /// unsealed days.
    Verify,
}

#[derive(Subcommand)]
enum AwsDlqAction {
    /// Dead letters with the reason the function recorded.
    List,
    /// Move every dead letter back to its agent's queue.
    Redrive,
}

#[derive(Subcommand)]
enum DlqAction {
    /// List dead letters with their reasons.
    List,
    /// Move dead letters back to their queues (all, or by id).
    Redrive {
        #[arg(long = "id")]
        ids: Vec<i64>,
    },
}

#[derive(Subcommand)]
enum PrivacyAction {
    /// Every record about the person, in every agent's data, as one JSON document.
    Export {
        #[arg(long)]
        email: String,
        /// A phone number the person gave (E.164), to find records that hold only it.
        #[arg(long)]
        phone: Option<String>,
    },
    /// Erase or pseudonymise every record about the person, and print what each agent did.
    Erase {
        #[arg(long)]
        email: String,
        #[arg(long)]
        phone: Option<String>,
        /// Who handles the request (kept in the audit trail; not the person).
        #[arg(long, default_value = "operator")]
        requested_by: String,
        /// The request's id (default: a new one).
        #[arg(long)]
        request_id: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConsoleAction {
    /// Read a password from stdin (its first line) and print its Argon2id hash, the
    /// `password_hash` of a `[[console.operators]]` entry.
    HashPassword,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Verify the hash chain of the audit log.
    Verify,
}

fn read_events(path: &PathBuf) -> anyhow::Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    Ok(match v {
        Value::Array(items) => items,
        one => vec![one],
    })
}

/// The twin allocates many small, short-lived buffers per event (JSON bodies, items, audit
/// records): mimalloc handles that pattern markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (its number in mimalloc 3's `mi_option_t`; the sys crate
/// names only the options stable across versions).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc's `allow_thp` option (the same numbering).
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

fn main() -> std::process::ExitCode {
    // Keep freed memory instead of handing it back to the OS after 10 ms: the twin's working
    // set is steady, and each return meant the kernel zeroing huge pages again when the next
    // batch reused them (about 6% of a simulation's time).
    // SAFETY: sets a process-wide allocator option before any other thread starts.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // No transparent huge pages: the twin's heap is many small buffers spread over its
    // arenas, and the kernel faulting and zeroing 2 MiB pages for them cost more system time
    // than the TLB saved (measured with farm-bench; docs/performance.md).
    // SAFETY: an allocator option and a flag of this process, set before other threads start.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0) };
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of the calling process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
    };
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::new(&cli.data_dir, cli.port);
    settings.host = cli.host;
    if !matches!(
        cli.command,
        Command::Emit { .. } | Command::Route { .. } | Command::Console { .. }
    ) {
        settings.config =
            std::sync::Arc::new(ascent::config::AscentConfig::load(cli.config.as_deref())?);
    }
    match cli.command {
        Command::Up {
            max_connections,
            quiet,
        } => up(settings, max_connections.into(), quiet),
        Command::Status => {
            let rt = ascent::open_existing(&settings)?;
            println!("{}", serde_json::to_string_pretty(&rt.status()?)?);
            Ok(())
        }
        Command::Emit { files } => emit(&settings, &files),
        Command::Simulate {
            days,
            seed,
            leads_per_day,
            quiet,
        } => {
            let report = ascent::simulate::run(&ascent::simulate::SimulationOptions {
                days,
                seed,
                leads_per_day,
                data_dir: settings.data_dir.clone(),
                progress: !quiet,
                config: settings.config.clone(),
            })?;
            print!("{report}");
            Ok(())
        }
        Command::Cost {
            database,
            days,
            from,
            to,
            detail,
            json,
        } => {
            let db = match database {
                Some(db) => db,
                None => ascent::cost::database_in(&settings.data_dir)?,
            };
            let period = ascent::cost::Period { from, to };
            let bill = ascent::cost::bill_of(&db, &settings.config, period, days)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&bill)?);
            } else {
                print!("{}", ascent::cost::render::text(&bill, detail));
            }
            Ok(())
        }
        Command::Route { file } => route(&file),
        Command::Infra => {
            let template = ascent::infra::template_with(
                &ascent::agents::declarations(),
                &settings.config.file(),
            )?;
            print!("{}", ascent::infra::to_yaml(&template));
            Ok(())
        }
        Command::Aws { stage, action } => aws(&settings, &stage, action),
        Command::Dlq { action } => {
            let rt = ascent::open_existing(&settings)?;
            match action {
                DlqAction::List => {
                    let letters = rt.dead_letters()?;
                    if letters.is_empty() {
                        println!("the dead-letter queue is empty");
                    }
                    for d in letters {
                        println!(
                            "#{} {} [{}] {} event {} after {} receive(s) at {}\n    reason: {}",
                            d.id,
                            d.agent,
                            d.queue,
                            d.detail_type,
                            d.event_id,
                            d.receive_count,
                            d.failed_at,
                            d.reason
                        );
                    }
                    Ok(())
                }
                DlqAction::Redrive { ids } => {
                    let n = rt.redrive((!ids.is_empty()).then_some(ids.as_slice()), "operator")?;
                    println!("redrove {n} message(s); a running twin processes them now");
                    Ok(())
                }
            }
        }
        Command::Console {
            action: ConsoleAction::HashPassword,
        } => {
            println!(
                "{}",
                ascent::console::hash_password_from(std::io::stdin().lock())?
            );
            Ok(())
        }
        Command::Dnc {
            action: DncAction::Import { file, as_of },
        } => {
            let rt = ascent::open_existing(&settings)?;
            let lake: &dyn ascent_core::ports::DataLake = rt.store().as_ref();
            let now = chrono::Utc::now();
            let io = tokio::runtime::Builder::new_current_thread().build()?;
            print!(
                "{}",
                io.block_on(ascent::dnc::import_file(lake, &file, as_of, now))?
            );
            Ok(())
        }
        Command::Privacy { action } => {
            let rt = ascent::open_existing(&settings)?;
            match action {
                PrivacyAction::Export { email, phone } => {
                    let subject =
                        ascent_core::privacy::Subject::new(Some(&email), phone.as_deref());
                    let found = rt.privacy_findings(subject)?;
                    let export = found.export(chrono::Utc::now());
                    println!("{}", serde_json::to_string_pretty(&export)?);
                }
                PrivacyAction::Erase {
                    email,
                    phone,
                    requested_by,
                    request_id,
                } => {
                    let subject =
                        ascent_core::privacy::Subject::new(Some(&email), phone.as_deref());
                    let id = request_id
                        .unwrap_or_else(|| format!("dsr-{}", uuid::Uuid::now_v7().simple()));
                    let report = rt.erase_subject(subject, rt.privacy_key(), &requested_by, &id)?;
                    print!("{}", report.render());
                }
            }
            Ok(())
        }
        Command::Audit {
            action: AuditAction::Verify,
        } => {
            let rt = ascent::open_existing(&settings)?;
            match rt.store().verify_audit() {
                Ok(n) => {
                    println!("audit chain intact: {n} record(s) verified");
                    Ok(())
                }
                Err(e) => bail!("{e}"),
            }
        }
    }
}

fn up(settings: Settings, max_connections: usize, quiet: bool) -> anyhow::Result<()> {
    // One JSON line per handled message, approval and mail at info level (never personal
    // data); `--quiet` or `RUST_LOG=warn` keeps only warnings and errors.
    let level = if quiet { "warn" } else { "info" };
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_current_span(false)
        .init();
    let addr = settings.base_url();
    let listener = std::net::TcpListener::bind((settings.host.as_str(), settings.port))
        .with_context(|| format!("binding {addr} (is another twin running? use --port)"))?;
    // Beyond loopback anyone on the network can reach `POST /events`: a token is required,
    // generated if none is set. On loopback one is required only if set.
    let loopback = listener.local_addr()?.ip().is_loopback();
    let token = settings.events_token(!loopback)?;
    let rt = ascent::open(&settings)?;
    let base = settings.base_url();
    println!("Ascent local twin is up");
    println!(
        "  events     POST {base}/events   (or: cargo run --release -- emit events/LeadCreated.json)"
    );
    match token.as_ref().map(|t| &t.source) {
        None => {
            println!("  token      none asked on loopback (set {EVENTS_TOKEN_VAR} to require one)")
        }
        Some(TokenSource::Environment) => {
            println!("  token      Authorization: Bearer ${EVENTS_TOKEN_VAR} required")
        }
        Some(TokenSource::File(path)) => println!(
            "  token      Authorization: Bearer <the token in {}> required",
            path.display()
        ),
        Some(TokenSource::Generated(path)) => println!(
            "  token      Authorization: Bearer <the token in {}> required (created now, mode 600)",
            path.display()
        ),
    }
    println!("  status     {base}/status");
    println!(
        "  approvals  {base}/approvals/<id>   links arrive as .eml in {}",
        settings.outbox_dir().display()
    );
    let webhook = |name: &str, var: &str| {
        let state = if std::env::var(var).is_ok() {
            "on".to_string()
        } else {
            format!("off until {var} is set")
        };
        println!("  webhook    POST {base}/webhooks/{name}   ({state})");
    };
    webhook("stripe", "ASCENT_STRIPE_WEBHOOK_SECRET");
    webhook("zendesk", "ASCENT_ZENDESK_WEBHOOK_SECRET");
    webhook("intercom", "ASCENT_INTERCOM_CLIENT_SECRET");
    webhook("hubspot", "ASCENT_HUBSPOT_CLIENT_SECRET");
    webhook("salesforce", "ASCENT_SALESFORCE_WEBHOOK_SECRET");
    println!("  unsubscribe {base}/unsubscribe/<token>   (the link in outreach emails)");
    println!("  console    {base}/console   (operators of [console] sign in; docs/console.md)");
    println!("  data lake  {}", settings.db_path().display());
    for d in rt.declarations() {
        let rules: Vec<&str> = d.subscriptions.iter().map(|s| s.name).collect();
        println!(
            "  agent      {:<25} {:<8} {}",
            d.name,
            d.queue.as_str(),
            rules.join(", ")
        );
    }
    println!("Ctrl-C stops it; queued work stays in the data lake for next time.");
    let options = ascent::server::ServerOptions {
        events_token: token.map(|t| t.token),
        origins: vec![base],
        limits: ascent::http::Limits {
            max_connections,
            ..ascent::http::Limits::default()
        },
        company: Some(settings.config.company.name.clone()),
        daily_at: Some(settings.config.schedule.daily_time()),
        schedule: Some(settings.config.schedule.clone()),
        console: Some(settings.config.console.clone()),
    };
    ascent::server::start_with(rt, listener, options)?.wait_for_ctrl_c();
    Ok(())
}

fn emit(settings: &Settings, files: &[PathBuf]) -> anyhow::Result<()> {
    let url = format!("{}/events", settings.base_url());
    let bearer = settings
        .events_token(false)?
        .map(|t| format!("Bearer {}", t.token));
    let mut failed = 0;
    for file in files {
        let events = read_events(file)?;
        for chunk in events.chunks(ascent::server::MAX_ENTRIES) {
            let entries: Vec<Value> = chunk
                .iter()
                .map(|v| match Event::from_value(v.clone()) {
                    // Valid here: send it as EventBridge would receive it.
                    Ok(e) => serde_json::to_value(PutEventsEntry::from_event(&e))
                        .expect("entry serialises"),
                    // Let the twin name the problem.
                    Err(_) => v.clone(),
                })
                .collect();
            let body = serde_json::json!({ "Entries": entries });
            let mut req = ureq::post(&url)
                .config()
                .http_status_as_error(false)
                .build();
            if let Some(b) = &bearer {
                req = req.header("Authorization", b);
            }
            let mut res = req.send_json(&body).with_context(|| {
                format!("sending to {url} (is the twin up? cargo run --release -- up)")
            })?;
            let v: Value = res
                .body_mut()
                .read_json()
                .context("reading the twin's answer")?;
            if let Some(err) = v.get("error") {
                failed += chunk.len();
                println!(
                    "{}: refused: {}",
                    file.display(),
                    err.as_str().unwrap_or_default()
                );
                continue;
            }
            for r in v["Entries"].as_array().into_iter().flatten() {
                match r.get("EventId") {
                    Some(id) => println!(
                        "{}: accepted {}",
                        file.display(),
                        id.as_str().unwrap_or_default()
                    ),
                    None => {
                        failed += 1;
                        println!(
                            "{}: refused: {}",
                            file.display(),
                            r["ErrorMessage"].as_str().unwrap_or_default()
                        );
                    }
                }
            }
        }
    }
    if failed > 0 {
        bail!("{failed} event(s) refused");
    }
    Ok(())
}

fn route(file: &PathBuf) -> anyhow::Result<()> {
    let decls = ascent::agents::declarations();
    let router = Router::new(&decls)?;
    for v in read_events(file)? {
        let event = match Event::from_value(v.clone()) {
            Ok(e) => e,
            Err(e) => {
                println!("invalid event: {e}");
                continue;
            }
        };
        println!(
            "{} {} (event {})",
            event.source,
            event.detail_type(),
            event.id
        );
        let envelope = event.to_value();
        let explanations = router.explain(&envelope);
        let matched: Vec<&str> = explanations
            .iter()
            .filter(|x| x.matched)
            .map(|x| x.agent)
            .collect();
        println!(
            "  delivered to: {}",
            if matched.is_empty() {
                "nobody (no rule matches)".to_string()
            } else {
                matched.join(", ")
            }
        );
        for x in explanations {
            println!("  {} {}", if x.matched { "MATCH" } else { "  -  " }, x.rule);
            for (i, branch) in x.branches.iter().enumerate() {
                if x.branches.len() > 1 {
                    println!("      $or branch {}", i + 1);
                }
                for c in branch {
                    println!(
                        "      {} {} {} (event has {})",
                        if c.met { "ok  " } else { "FAIL" },
                        c.field,
                        c.condition,
                        c.actual
                    );
                }
            }
        }
    }
    Ok(())
}

fn aws(settings: &Settings, stage: &str, action: AwsAction) -> anyhow::Result<()> {
    let template =
        ascent::infra::template_with(&ascent::agents::declarations(), &settings.config.file())?;
    let mail_from =
        ascent_core::config::platform::HostSettings::from_file(&settings.config.file())?
            .mail
            .from;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let endpoint = match &action {
            AwsAction::LocalStack { endpoint, .. } => Some(endpoint.clone()),
            _ => None,
        };
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = &endpoint {
            loader = loader.endpoint_url(url);
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                loader = loader.credentials_provider(aws_sdk_sqs::config::Credentials::new(
                    "testing",
                    "testing",
                    None,
                    None,
                    "local-stack",
                ));
            }
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into());
        let config = if config.region().is_none() {
            config
                .into_builder()
                .region(aws_config::Region::new(region.clone()))
                .build()
        } else {
            config
        };
        let mut stack = ascent::aws::LocalStack::new(
            template,
            stage,
            &region,
            endpoint.as_deref().unwrap_or_default(),
        );
        let sqs = aws_sdk_sqs::Client::new(&config);
        let ddb = aws_sdk_dynamodb::Client::new(&config);
        match action {
            AwsAction::LocalStack { function, .. } => {
                stack.create(&config, &mail_from).await?;
                let created = stack
                    .report
                    .iter()
                    .filter(|r| r.2 == ascent::aws::Outcome::Created)
                    .count();
                for (kind, name, outcome) in &stack.report {
                    if *outcome == ascent::aws::Outcome::Created {
                        eprintln!("created {kind} {name}");
                    }
                }
                eprintln!(
                    "local stack {stage}: {created} created, {} already there",
                    stack.report.len() - created
                );
                let functions: Vec<String> = match function {
                    Some(f) => vec![f],
                    None => stack.functions().into_iter().map(|f| f.0).collect(),
                };
                for f in functions {
                    let env = stack
                        .environment(&f)
                        .with_context(|| format!("no function {f} in the template"))?;
                    println!("# {f}");
                    print!("{}", ascent::aws::local_stack::export_lines(&env));
                }
            }
            AwsAction::Status => {
                print!("{}", ascent::aws::ops::status(&stack, &sqs, &ddb).await?);
                let pending = ascent::aws::ops::pending_approvals(stage, &ddb).await?;
                println!("{} pending approval(s)", pending.len());
                for p in pending {
                    println!("pending approval {p}");
                }
            }
            AwsAction::Dlq {
                action: AwsDlqAction::List,
            } => print!("{}", ascent::aws::ops::dlq_list(&stack, &sqs, &ddb).await?),
            AwsAction::Dlq {
                action: AwsDlqAction::Redrive,
            } => {
                let moved = ascent::aws::ops::dlq_redrive(&stack, &sqs).await?;
                let total: usize = moved.iter().map(|m| m.2).sum();
                for (from, to, n) in &moved {
                    println!("moved {n} from {from} back to {to}");
                }
                println!("redrove {total} dead letter(s)");
            }
            AwsAction::Audit {
                action: AwsAuditAction::Verify,
            } => {
                let report = ascent::aws::audit::verify(ddb, stage).await?;
                print!("{report}");
                if report.broken.is_some() {
                    bail!("the audit trail of stack {stage} is broken");
                }
            }
            AwsAction::Privacy {
                action: PrivacyAction::Export { email, phone },
            } => {
                let subject = ascent_core::privacy::Subject::new(Some(&email), phone.as_deref());
                let export = ascent::aws::privacy::export(ddb, sqs, stage, subject).await?;
                println!("{}", serde_json::to_string_pretty(&export)?);
            }
            AwsAction::Privacy {
                action:
                    PrivacyAction::Erase {
                        email,
                        phone,
                        requested_by,
                        request_id,
                    },
            } => {
                let request_id =
                    request_id.unwrap_or_else(|| format!("dsr-{}", uuid::Uuid::now_v7().simple()));
                let request = ascent_core::catalog::ErasureRequested {
                    request_id: request_id.clone(),
                    email,
                    phone,
                    requested_by,
                };
                let events = aws_sdk_eventbridge::Client::new(&config);
                ascent::aws::privacy::request_erasure(events, stage, request).await?;
                println!(
                    "erasure {request_id} requested on the bus ascent-{stage}: the privacy desk \
                     carries it out (its log has the counts; the audit table its records)"
                );
            }
            AwsAction::DncImport { file, as_of } => {
                let tables = ascent_aws::dynamo::Tables {
                    prefix: format!("ascent-{stage}-"),
                };
                let lake = ascent_aws::dynamo::DynamoLake::new(ddb, tables);
                let now = chrono::Utc::now();
                print!(
                    "{}",
                    ascent::dnc::import_file(&lake, &file, as_of, now).await?
                );
            }
        }
        anyhow::Ok(())
    })
}
