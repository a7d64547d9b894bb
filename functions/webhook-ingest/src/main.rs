//! Lambda entry point of the webhook ingest (a Function URL): verified webhooks onto the bus.
//! The Stripe signing secret is read once at start (`ASCENT_STRIPE_WEBHOOK_SECRET`, or the SSM
//! SecureString named by `ASCENT_STRIPE_SECRET_PARAMETER`).

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ascent_aws::lambda::init_logging();
    let config = aws_config::defaults(ascent_aws::lambda::behavior_version())
        .load()
        .await;
    let secret = ascent_aws::approvals::secret(
        &config,
        "ASCENT_STRIPE_WEBHOOK_SECRET",
        "ASCENT_STRIPE_SECRET_PARAMETER",
        16,
    )
    .await?;
    let bus = ascent_aws::eventbridge::EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(&config),
        std::env::var("ASCENT_EVENT_BUS").unwrap_or_else(|_| "ascent".into()),
    );
    // The support desks are optional: configured when their parameter (or value) is set.
    let optional = |value: &'static str, parameter: &'static str| {
        let config = config.clone();
        async move {
            if std::env::var(value).is_err() && std::env::var(parameter).is_err() {
                return Ok::<_, String>(None);
            }
            ascent_aws::approvals::secret(&config, value, parameter, 8)
                .await
                .map(Some)
        }
    };
    let webhooks = webhook_ingest::Webhooks {
        bus: Arc::new(bus),
        clock: Arc::new(ascent_core::ports::SystemClock),
        stripe_secret: Some(secret),
        zendesk_secret: optional(
            "ASCENT_ZENDESK_WEBHOOK_SECRET",
            "ASCENT_ZENDESK_SECRET_PARAMETER",
        )
        .await?,
        intercom_secret: optional(
            "ASCENT_INTERCOM_CLIENT_SECRET",
            "ASCENT_INTERCOM_SECRET_PARAMETER",
        )
        .await?,
    };
    lambda_http::run(webhook_ingest::router(Arc::new(webhooks))).await
}
