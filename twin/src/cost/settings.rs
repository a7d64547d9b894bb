//! `[cost]` of `ascent.toml`: the price table `ascent cost` bills with (list prices of one
//! region, with the date they were taken and where) and the assumptions of the model for what
//! the twin cannot measure (handling time on Lambda, reads a handler makes, idle polling).
//! Every price and assumption is required; a negative or missing one is refused naming its key.

use ascent_core::config::{ConfigError, ConfigFile, Invalid, Validate, check_in_range};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The section's name in the file.
pub const SECTION: &str = "cost";

/// `[cost]`: where the prices come from, the prices, the model's assumptions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSettings {
    /// The AWS region the prices are for (`us-east-1`).
    pub region: String,
    /// The day the prices were read from the pricing pages (YYYY-MM-DD).
    pub prices_taken: String,
    /// Where they were read.
    pub prices_source: String,
    pub prices: Prices,
    pub model: Model,
    /// Per-agent assumptions replacing the model's (`[cost.agents.<agent>]`).
    #[serde(default)]
    pub agents: BTreeMap<String, AgentModel>,
}

/// List prices in USD, free tiers not deducted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// Lambda, per million invocations.
    pub lambda_per_million_requests: f64,
    /// Lambda on arm64 (the template's default architecture), per GB-second of duration.
    pub lambda_arm64_per_gb_second: f64,
    /// SQS standard queues, per million requests (each 64 KB of a payload is one request).
    pub sqs_per_million_requests: f64,
    /// EventBridge custom events put on a bus, per million (each 64 KB is one event).
    pub eventbridge_per_million_events: f64,
    /// DynamoDB on-demand, per million write request units.
    pub dynamodb_per_million_write_units: f64,
    /// DynamoDB on-demand, per million read request units.
    pub dynamodb_per_million_read_units: f64,
    /// DynamoDB storage (standard table class), per GB-month.
    pub dynamodb_per_gb_month: f64,
    /// Step Functions standard workflows, per 1,000 state transitions.
    pub step_functions_per_thousand_transitions: f64,
    /// SES outbound email, per 1,000 messages.
    pub ses_per_thousand_messages: f64,
}

/// What the model assumes where the twin measures nothing comparable.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// The bill is for a month of this many days (the run's counts scaled to it).
    pub month_days: u32,
    /// Mean time a Lambda takes per message it handles (ms): the handler and its DynamoDB,
    /// EventBridge and SES calls; the twin's wall time says nothing of network round trips.
    pub handler_ms: f64,
    /// Time per invocation besides its messages (ms): receiving the batch, answering it.
    pub invocation_ms: f64,
    /// Billed initialisation of a new execution environment (ms; custom runtimes pay it).
    pub init_ms: f64,
    /// New execution environments per function per day.
    pub cold_starts_per_function_per_day: f64,
    /// Strongly consistent reads of up to 4 KB a handler makes per message, besides the
    /// idempotency lookup (counted apart): the twin does not record reads.
    pub reads_per_message: f64,
    /// Empty receives per queue per day by the Lambda pollers (long polls of 20 s).
    pub empty_receives_per_queue_per_day: f64,
    /// Storage DynamoDB counts per item beyond its attributes (bytes).
    pub item_overhead_bytes: u64,
}

/// One agent's own assumptions (`[cost.agents.<agent>]`); what is absent is the model's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentModel {
    pub handler_ms: Option<f64>,
    pub reads_per_message: Option<f64>,
}

impl CostSettings {
    /// `[cost]` of `file`, validated; agents named in `[cost.agents]` must exist.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let settings: Self = file.section(SECTION)?;
        let known: Vec<&str> = crate::agents::declarations()
            .iter()
            .map(|d| d.name)
            .collect();
        for name in settings.agents.keys() {
            if !known.contains(&name.as_str()) {
                return Err(file.invalid(
                    SECTION,
                    Invalid::new(
                        format!("agents.{name}"),
                        format!("no agent is called `{name}` (agents: {})", known.join(", ")),
                    ),
                ));
            }
        }
        Ok(settings)
    }

    /// Mean handling time per message of `agent` (ms).
    pub fn handler_ms(&self, agent: &str) -> f64 {
        self.agents
            .get(agent)
            .and_then(|a| a.handler_ms)
            .unwrap_or(self.model.handler_ms)
    }

    /// The handler's own strongly consistent reads per message of `agent`.
    pub fn reads_per_message(&self, agent: &str) -> f64 {
        self.agents
            .get(agent)
            .and_then(|a| a.reads_per_message)
            .unwrap_or(self.model.reads_per_message)
    }
}

/// A price or quantity that must be a finite number, zero or more.
fn check_amount(path: &str, value: f64) -> Result<(), Invalid> {
    if !value.is_finite() || value < 0.0 {
        return Err(Invalid::new(
            path,
            format!("{value} is not a price or quantity (a number, zero or more)"),
        ));
    }
    Ok(())
}

impl Validate for CostSettings {
    fn validate(&self) -> Result<(), Invalid> {
        if self.region.trim().is_empty() {
            return Err(Invalid::new("region", "is empty"));
        }
        if chrono::NaiveDate::parse_from_str(&self.prices_taken, "%Y-%m-%d").is_err() {
            return Err(Invalid::new(
                "prices_taken",
                format!("`{}` is not a date (YYYY-MM-DD)", self.prices_taken),
            ));
        }
        if self.prices_source.trim().is_empty() {
            return Err(Invalid::new("prices_source", "is empty"));
        }
        let p = &self.prices;
        for (key, value) in [
            ("lambda_per_million_requests", p.lambda_per_million_requests),
            ("lambda_arm64_per_gb_second", p.lambda_arm64_per_gb_second),
            ("sqs_per_million_requests", p.sqs_per_million_requests),
            (
                "eventbridge_per_million_events",
                p.eventbridge_per_million_events,
            ),
            (
                "dynamodb_per_million_write_units",
                p.dynamodb_per_million_write_units,
            ),
            (
                "dynamodb_per_million_read_units",
                p.dynamodb_per_million_read_units,
            ),
            ("dynamodb_per_gb_month", p.dynamodb_per_gb_month),
            (
                "step_functions_per_thousand_transitions",
                p.step_functions_per_thousand_transitions,
            ),
            ("ses_per_thousand_messages", p.ses_per_thousand_messages),
        ] {
            check_amount(&format!("prices.{key}"), value)?;
        }
        let m = &self.model;
        check_in_range("model.month_days", m.month_days, 28, 31)?;
        for (key, value) in [
            ("handler_ms", m.handler_ms),
            ("invocation_ms", m.invocation_ms),
            ("init_ms", m.init_ms),
            (
                "cold_starts_per_function_per_day",
                m.cold_starts_per_function_per_day,
            ),
            ("reads_per_message", m.reads_per_message),
            (
                "empty_receives_per_queue_per_day",
                m.empty_receives_per_queue_per_day,
            ),
        ] {
            check_amount(&format!("model.{key}"), value)?;
        }
        check_in_range("model.item_overhead_bytes", m.item_overhead_bytes, 0, 4096)?;
        for (name, a) in &self.agents {
            if let Some(ms) = a.handler_ms {
                check_amount(&format!("agents.{name}.handler_ms"), ms)?;
            }
            if let Some(reads) = a.reads_per_message {
                check_amount(&format!("agents.{name}.reads_per_message"), reads)?;
            }
        }
        Ok(())
    }
}
