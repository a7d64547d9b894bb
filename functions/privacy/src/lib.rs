//! The privacy desk on AWS: the consumer of the privacy queue, where the bus delivers
//! `ErasureRequested`. Each request is carried out over every domain table and dead-letter
//! queue by the agents' personal-data declarations ([`ascent_aws::privacy`]); a failed one is
//! reported in `batchItemFailures` and retried (an erasure is idempotent: a retry finds what is
//! left). Its log lines carry the request id and counts, never the subject.

use ascent_aws::lambda::{InitError, behavior_version, fail_init, init_logging, privacy_key};
use ascent_aws::privacy::AwsPrivacy;
use ascent_core::catalog::{ErasureRequested, Payload};
use ascent_core::event::Event;
use ascent_core::privacy::erasure::ErasureReport;
use ascent_core::privacy::{PrivacyKey, Subject};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

/// The desk: the stores and the key of the pseudonyms.
pub struct Desk {
    pub privacy: AwsPrivacy,
    pub key: PrivacyKey,
}

impl Desk {
    /// From the environment: `ASCENT_TABLE_PREFIX`, `ASCENT_QUEUE_PREFIX` (the dead-letter
    /// queues `<prefix><agent>-errors`), the privacy key (`ASCENT_PRIVACY_KEY_PARAMETER`).
    pub async fn from_env() -> Result<Desk, InitError> {
        let config = aws_config::defaults(behavior_version()).load().await;
        let key = privacy_key(&config).await?;
        let sqs = std::env::var("ASCENT_QUEUE_PREFIX")
            .ok()
            .map(|prefix| (aws_sdk_sqs::Client::new(&config), prefix));
        Ok(Desk {
            privacy: AwsPrivacy::new(
                aws_sdk_dynamodb::Client::new(&config),
                ascent_aws::dynamo::Tables::from_env(),
                sqs,
                ascent_ecosystem::leaked(),
            ),
            key,
        })
    }

    /// Carries out one request.
    pub async fn erase(&self, r: &ErasureRequested) -> Result<ErasureReport, String> {
        let subject = Subject::new(Some(&r.email), r.phone.as_deref());
        self.privacy
            .erase(
                subject,
                &self.key,
                &r.requested_by,
                &r.request_id,
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| e.to_string())
    }

    /// One SQS batch: each `ErasureRequested` carried out; anything else is not for the desk
    /// and is dropped with a warning (the rule only routes erasure requests here).
    pub async fn handle_sqs(&self, batch: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in batch.records {
            let id = record.message_id.clone().unwrap_or_default();
            let body = record.body.unwrap_or_default();
            let request = match Event::parse(body.as_bytes()) {
                Ok(e) => match e.payload() {
                    Payload::ErasureRequested(r) => r.clone(),
                    other => {
                        tracing::warn!(detail_type = other.detail_type(), "not an erasure request");
                        continue;
                    }
                },
                Err(e) => {
                    tracing::error!(error = %e, "an erasure request that does not parse");
                    response.add_failure(id);
                    continue;
                }
            };
            match self.erase(&request).await {
                Ok(report) => tracing::info!(
                    request = %report.request_id,
                    records = report.records(),
                    dead_letters = report.dead_letters,
                    "erasure done"
                ),
                Err(e) => {
                    tracing::error!(request = %request.request_id, error = %e, "erasure failed; retried");
                    response.add_failure(id);
                }
            }
        }
        response
    }
}

/// The Lambda: the desk built at init (a missing key is reported by name), then batches.
pub async fn run() -> Result<(), Error> {
    init_logging();
    let desk = match Desk::from_env().await {
        Ok(d) => Arc::new(d),
        Err(e) => fail_init(e).await,
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let desk = desk.clone();
        async move { Ok::<SqsBatchResponse, Error>(desk.handle_sqs(event.payload).await) }
    }))
    .await
}
