//! AWS adapters of the Ascent ports and the Lambda entry points.
//!
//! - [`dynamo::DynamoLake`]: the data lake on DynamoDB (conditional writes, queries, batch
//!   writes with unprocessed-item retry, transactions).
//! - [`eventbridge::EventBridgeBus`]: PutEvents within the 10-entry / 256 KB limits, retrying
//!   only failed entries.
//! - [`ses::SesMailer`], [`sfn::StepFunctionsApprovals`], [`bedrock::BedrockWriter`] (the
//!   text-writer port on the Bedrock Converse API, behind `ASCENT_TEXT_WRITER=bedrock`).
//! - [`host::AgentHost`]: the SQS-batch and EventBridge entry points with idempotency, over
//!   the one engine; [`sqs::SqsDeadLetters`] takes permanent failures at once.
//! - [`queue_metrics::SqsCloudWatchMetrics`]: an agent's queue over a window (SQS depth,
//!   CloudWatch sums) for the queue observations.
//! - [`audit_seal`]: the audit table's hash chain (sealed per day by schedule-tick, checked
//!   by `ascent aws audit verify`).
//! - [`privacy`]: GDPR export and erasure over the tables and dead-letter queues, and the
//!   erased subjects' registry every host admits events through.
//! - [`lambda`]: what an agent's `main.rs` calls.

pub mod approvals;
pub mod audit_seal;
pub mod bedrock;
pub mod dynamo;
pub mod eventbridge;
pub mod host;
#[cfg(test)]
mod host_retention_tests;
pub mod lambda;
pub mod privacy;
pub mod queue_metrics;
pub mod ses;
pub mod settings;
pub mod sfn;
pub mod sqs;

pub use lambda::{run_eventbridge_agent, run_sqs_agent};
