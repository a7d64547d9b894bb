//! The console function's start: its ports built from the environment and the configuration
//! (read once per cold start), then every request through the console's router.
//!
//! Environment (set by the generated template): `ASCENT_TABLE_PREFIX` (the tables),
//! `ASCENT_QUEUE_PREFIX` (queues and functions: `ascent-<stage>-`), `ASCENT_EVENT_BUS`,
//! `ASCENT_CONSOLE_CLIENT_ID` (the console user pool's app client: the operators),
//! `ASCENT_CONFIG_PARAMETER` (`[console]`'s sessions and lockout, `[approvals]`,
//! `[data_retention]`, `[currency]`) and `ASCENT_LINK_KEY_PARAMETER` (the approval desk's key,
//! as the approval API's).

use crate::cognito::CognitoOperators;
use crate::dead_letters::{DeadLetters, error_queues};
use crate::insights::AwsInsights;
use crate::operations::AwsOperations;
use crate::privacy::AwsPrivacyDesk;
use crate::reader::DynamoReader;
use crate::sessions::DynamoSessionStore;
use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_aws::eventbridge::EventBridgeBus;
use ascent_aws::lambda::{InitError, approval_desk, behavior_version, fail_init};
use ascent_aws::privacy::AwsPrivacy;
use ascent_aws::queue_metrics::SqsCloudWatchMetrics;
use ascent_console::{Console, ConsoleSettings};
use std::sync::Arc;

/// The console of the stack the environment names.
pub async fn home_from_env() -> Result<Arc<Console>, InitError> {
    let config = aws_config::defaults(behavior_version()).load().await;
    let file = ascent_aws::settings::load(&config).await?;
    let settings: ConsoleSettings = file.section("console")?;
    let client_id = std::env::var("ASCENT_CONSOLE_CLIENT_ID").map_err(|_| {
        InitError::missing("set ASCENT_CONSOLE_CLIENT_ID (the console user pool's app client)")
    })?;
    let operators = CognitoOperators {
        client: aws_sdk_cognitoidentityprovider::Client::new(&config),
        client_id,
    };
    let prefix = std::env::var("ASCENT_QUEUE_PREFIX")
        .map_err(|_| InitError::missing("set ASCENT_QUEUE_PREFIX (ascent-<stage>-)"))?;
    let decls = ascent_ecosystem::leaked();
    let tables = Tables::from_env();
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let lake: Arc<dyn ascent_core::ports::DataLake> =
        Arc::new(DynamoLake::new(dynamo.clone(), tables.clone()));
    let reader = Arc::new(DynamoReader {
        client: dynamo.clone(),
        tables: tables.clone(),
    });
    let classes = decls
        .iter()
        .map(|d| (d.name.to_string(), d.queue.as_str().to_string()))
        .collect();
    let ops = AwsOperations {
        lake: lake.clone(),
        reader: reader.clone(),
        desk: Arc::new(approval_desk(&config, &file).await?),
        lambda: aws_sdk_lambda::Client::new(&config),
        metrics: Arc::new(SqsCloudWatchMetrics::new(
            sqs.clone(),
            aws_sdk_cloudwatch::Client::new(&config),
            prefix.clone(),
            classes,
        )),
        dead_letters: DeadLetters::new(sqs.clone(), lake.clone(), error_queues(&prefix, &decls)),
        decls: decls.clone(),
        prefix: prefix.clone(),
    };
    let bus = Arc::new(EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(&config),
        std::env::var("ASCENT_EVENT_BUS").unwrap_or_else(|_| "ascent".into()),
    ));
    let privacy = AwsPrivacyDesk {
        privacy: AwsPrivacy::new(dynamo, tables, Some((sqs, prefix)), decls),
        bus,
    };
    let insights = AwsInsights {
        lake: lake.clone(),
        reader,
        base_currency: file
            .section::<ascent_core::config::platform::Currency>("currency")?
            .base,
    };
    Ok(Arc::new(
        Console::new(Arc::new(ops), settings, true)
            .with_authenticator(Arc::new(operators))
            .with_sessions(Arc::new(DynamoSessionStore { lake: lake.clone() }))
            .with_insights(Arc::new(insights))
            .with_privacy(Arc::new(privacy)),
    ))
}

/// The Lambda: the console built at init (a missing setting is reported by name), then every
/// request of its Function URL through the console's router.
pub async fn run() -> Result<(), lambda_http::Error> {
    ascent_aws::lambda::init_logging();
    let console = match home_from_env().await {
        Ok(c) => c,
        Err(e) => fail_init(e).await,
    };
    lambda_http::run(ascent_console::router(console)).await
}
