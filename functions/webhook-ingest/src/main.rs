//! Lambda entry point of the webhook ingest (a Function URL): verified webhooks onto the bus.
//!
//! Each desk (Stripe, Zendesk, Intercom, HubSpot, Salesforce) is on when its secret is there: the value in
//! `ASCENT_<DESK>_…_SECRET` (local runs), or the SSM SecureString named by
//! `ASCENT_<DESK>_SECRET_PARAMETER` (the template always sets the three names). A desk whose
//! parameter does not exist is off, says so in one log line, and answers its deliveries 503;
//! the others still run, so any subset of secrets starts. A parameter that exists but cannot be
//! read, or holds too short a secret, stops the start and is reported to the Runtime API's
//! `/init/error` by name.

use ascent_aws::lambda::{InitError, optional_secret};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ascent_aws::lambda::init_logging();
    let config = aws_config::defaults(ascent_aws::lambda::behavior_version())
        .load()
        .await;
    let webhooks = match webhooks(&config).await {
        Ok(w) => w,
        Err(e) => ascent_aws::lambda::fail_init(e).await,
    };
    lambda_http::run(webhook_ingest::router(Arc::new(webhooks))).await
}

async fn webhooks(config: &aws_config::SdkConfig) -> Result<webhook_ingest::Webhooks, InitError> {
    let stripe = optional_secret(
        config,
        "stripe",
        "ASCENT_STRIPE_WEBHOOK_SECRET",
        "ASCENT_STRIPE_SECRET_PARAMETER",
        16,
    )
    .await?;
    let zendesk = optional_secret(
        config,
        "zendesk",
        "ASCENT_ZENDESK_WEBHOOK_SECRET",
        "ASCENT_ZENDESK_SECRET_PARAMETER",
        8,
    )
    .await?;
    let intercom = optional_secret(
        config,
        "intercom",
        "ASCENT_INTERCOM_CLIENT_SECRET",
        "ASCENT_INTERCOM_SECRET_PARAMETER",
        8,
    )
    .await?;
    let hubspot = optional_secret(
        config,
        "hubspot",
        "ASCENT_HUBSPOT_CLIENT_SECRET",
        "ASCENT_HUBSPOT_SECRET_PARAMETER",
        8,
    )
    .await?;
    let salesforce = optional_secret(
        config,
        "salesforce",
        "ASCENT_SALESFORCE_WEBHOOK_SECRET",
        "ASCENT_SALESFORCE_SECRET_PARAMETER",
        16,
    )
    .await?;
    if stripe.is_none()
        && zendesk.is_none()
        && intercom.is_none()
        && hubspot.is_none()
        && salesforce.is_none()
    {
        tracing::warn!("every webhook desk is off: each delivery is answered 503");
    }
    let bus = ascent_aws::eventbridge::EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(config),
        std::env::var("ASCENT_EVENT_BUS").unwrap_or_else(|_| "ascent".into()),
    );
    Ok(webhook_ingest::Webhooks {
        bus: Arc::new(bus),
        clock: Arc::new(ascent_core::ports::SystemClock),
        stripe_secret: stripe,
        zendesk_secret: zendesk,
        intercom_secret: intercom,
        hubspot_secret: hubspot,
        salesforce_secret: salesforce,
    })
}
