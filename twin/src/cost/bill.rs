//! The monthly bill as a pure function of a run's counts and `[cost]`: each part's lines
//! (quantity per month × price), the totals per service, and the bill per million business
//! events. Counts that grow with traffic are scaled from the run's days to the month; the
//! idle polling and cold starts are per day, so they are counted for the month's days; the
//! storage is what the run left, held for the month. Free tiers are not deducted.

use super::counts::{RunCounts, Usage};
use super::settings::CostSettings;
use serde::Serialize;

/// Bytes of the GB DynamoDB storage is billed by.
pub const GB: f64 = 1_073_741_824.0;

/// An AWS service on the bill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Lambda,
    Sqs,
    EventBridge,
    DynamoDb,
    StepFunctions,
    Ses,
}

impl Service {
    pub const ALL: [Service; 6] = [
        Service::Lambda,
        Service::Sqs,
        Service::EventBridge,
        Service::DynamoDb,
        Service::StepFunctions,
        Service::Ses,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Service::Lambda => "Lambda",
            Service::Sqs => "SQS",
            Service::EventBridge => "EventBridge",
            Service::DynamoDb => "DynamoDB",
            Service::StepFunctions => "Step Functions",
            Service::Ses => "SES",
        }
    }
}

/// One line of the bill: a quantity for the month at a price.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub service: Service,
    /// What is billed (`requests`, `GB-seconds`, `write units`, …).
    pub item: &'static str,
    /// How much of it in the month.
    pub quantity: f64,
    /// The price, per `per` of the quantity.
    pub price: f64,
    pub per: f64,
    pub usd: f64,
    /// Whether it is paid whatever the traffic (idle polling, cold starts, storage held).
    pub fixed: bool,
    /// How the quantity was found, in words and figures.
    pub formula: String,
}

/// One part's lines and total.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartBill {
    pub name: String,
    pub lines: Vec<Line>,
    pub usd: f64,
}

impl PartBill {
    pub fn service(&self, s: Service) -> f64 {
        self.lines
            .iter()
            .filter(|l| l.service == s)
            .fold(0.0, |sum, l| sum + l.usd)
    }
}

/// The bill of a month of the run's traffic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bill {
    pub region: String,
    pub prices_taken: String,
    pub prices_source: String,
    pub database: String,
    pub run_days: f64,
    pub month_days: u32,
    /// What the run's traffic counts are multiplied by.
    pub scale: f64,
    pub business_events_per_month: f64,
    pub parts: Vec<PartBill>,
    pub per_service: Vec<(Service, f64)>,
    pub total_usd: f64,
    /// The month's bill divided by its business events, times a million.
    pub per_million_business_events: f64,
    /// What is paid whatever the traffic: idle polling, cold starts, storage held.
    pub fixed_usd: f64,
    /// The bill without it per million business events: what more traffic costs.
    pub per_million_business_events_traffic: f64,
}

fn line(
    service: Service,
    item: &'static str,
    quantity: f64,
    price: f64,
    per: f64,
    formula: String,
) -> Line {
    Line {
        service,
        item,
        quantity,
        price,
        per,
        usd: quantity * price / per,
        fixed: false,
        formula,
    }
}

/// A line paid whatever the traffic.
fn fixed(line: Line) -> Line {
    Line {
        fixed: true,
        ..line
    }
}

/// The lines of one part for the month.
fn part(u: &Usage, s: &CostSettings, scale: f64) -> PartBill {
    let (p, m) = (&s.prices, &s.model);
    let month = f64::from(m.month_days);
    let gb = f64::from(u.memory_mb) / 1024.0;
    let mut lines = Vec::new();
    if u.invocations > 0 || u.functions > 0 {
        let invocations = u.invocations as f64 * scale;
        lines.push(line(
            Service::Lambda,
            "requests",
            invocations,
            p.lambda_per_million_requests,
            1e6,
            format!("{} invocations × {scale:.4}", u.invocations),
        ));
        let handler_ms = s.handler_ms(&u.name);
        let busy_ms = u.invocations as f64 * m.invocation_ms
            + (u.deliveries + u.failed_attempts) as f64 * handler_ms;
        lines.push(line(
            Service::Lambda,
            "GB-seconds",
            busy_ms * scale / 1000.0 * gb,
            p.lambda_arm64_per_gb_second,
            1.0,
            format!(
                "({} invocations × {} ms + {} messages × {handler_ms} ms) × {scale:.4} / 1000 × {} MB / 1024",
                u.invocations,
                m.invocation_ms,
                u.deliveries + u.failed_attempts,
                u.memory_mb
            ),
        ));
        if u.functions > 0 {
            let cold_ms =
                f64::from(u.functions) * m.cold_starts_per_function_per_day * month * m.init_ms;
            lines.push(fixed(line(
                Service::Lambda,
                "GB-s, cold starts",
                cold_ms / 1000.0 * gb,
                p.lambda_arm64_per_gb_second,
                1.0,
                format!(
                    "{} function(s) × {} a day × {month} days × {} ms / 1000 × {} MB / 1024",
                    u.functions, m.cold_starts_per_function_per_day, m.init_ms, u.memory_mb
                ),
            )));
        }
    }
    let sqs = (u.sqs_sends + u.sqs_receives + u.sqs_deletes) as f64;
    if sqs > 0.0 {
        lines.push(line(
            Service::Sqs,
            "requests",
            sqs * scale,
            p.sqs_per_million_requests,
            1e6,
            format!(
                "({} sends + {} receives + {} deletes) × {scale:.4}",
                u.sqs_sends, u.sqs_receives, u.sqs_deletes
            ),
        ));
    }
    if u.queues > 0 {
        lines.push(fixed(line(
            Service::Sqs,
            "empty receives",
            f64::from(u.queues) * m.empty_receives_per_queue_per_day * month,
            p.sqs_per_million_requests,
            1e6,
            format!(
                "{} queue(s) × {} a day × {month} days",
                u.queues, m.empty_receives_per_queue_per_day
            ),
        )));
    }
    if u.events_put > 0 {
        lines.push(line(
            Service::EventBridge,
            "events",
            u.events_put as f64 * scale,
            p.eventbridge_per_million_events,
            1e6,
            format!("{} events (64 KB chunks) × {scale:.4}", u.events_put),
        ));
    }
    if u.transaction_write_kb > 0 || u.write_kb > 0 {
        lines.push(line(
            Service::DynamoDb,
            "write units",
            (2 * u.transaction_write_kb + u.write_kb) as f64 * scale,
            p.dynamodb_per_million_write_units,
            1e6,
            format!(
                "(2 × {} KB in transactions + {} KB) × {scale:.4}",
                u.transaction_write_kb, u.write_kb
            ),
        ));
    }
    let handler_reads = if u.handler_reads {
        s.reads_per_message(&u.name)
    } else {
        0.0
    };
    let reads = u.strong_reads as f64 + u.deliveries as f64 * handler_reads;
    if reads > 0.0 {
        lines.push(line(
            Service::DynamoDb,
            "read units",
            reads * scale,
            p.dynamodb_per_million_read_units,
            1e6,
            format!(
                "({} lookups + {} messages × {handler_reads} reads) × {scale:.4}",
                u.strong_reads, u.deliveries
            ),
        ));
    }
    if u.stored_bytes > 0 {
        lines.push(fixed(line(
            Service::DynamoDb,
            "GB-months",
            u.stored_bytes as f64 / GB,
            p.dynamodb_per_gb_month,
            1.0,
            format!("{} bytes stored / 2^30, for the month", u.stored_bytes),
        )));
    }
    if u.transitions > 0 {
        lines.push(line(
            Service::StepFunctions,
            "state transitions",
            u.transitions as f64 * scale,
            p.step_functions_per_thousand_transitions,
            1e3,
            format!("{} transitions × {scale:.4}", u.transitions),
        ));
    }
    if u.mails > 0 {
        lines.push(line(
            Service::Ses,
            "messages",
            u.mails as f64 * scale,
            p.ses_per_thousand_messages,
            1e3,
            format!("{} messages × {scale:.4}", u.mails),
        ));
    }
    let usd = lines.iter().fold(0.0, |sum, l| sum + l.usd);
    PartBill {
        name: u.name.clone(),
        lines,
        usd,
    }
}

/// The month's bill of the run's traffic.
pub fn bill(counts: &RunCounts, settings: &CostSettings) -> Bill {
    let month_days = settings.model.month_days;
    let scale = f64::from(month_days) / counts.days;
    let parts: Vec<PartBill> = counts
        .rows
        .iter()
        .map(|u| part(u, settings, scale))
        .collect();
    let per_service: Vec<(Service, f64)> = Service::ALL
        .iter()
        .map(|&s| (s, parts.iter().fold(0.0, |sum, p| sum + p.service(s))))
        .collect();
    let total_usd = parts.iter().fold(0.0, |sum, p| sum + p.usd);
    let fixed_usd = parts
        .iter()
        .flat_map(|p| &p.lines)
        .filter(|l| l.fixed)
        .fold(0.0, |sum, l| sum + l.usd);
    let business_events_per_month = counts.business_events as f64 * scale;
    let per_million = |usd: f64| {
        if business_events_per_month > 0.0 {
            usd / business_events_per_month * 1e6
        } else {
            0.0
        }
    };
    Bill {
        region: settings.region.clone(),
        prices_taken: settings.prices_taken.clone(),
        prices_source: settings.prices_source.clone(),
        database: counts.database.clone(),
        run_days: counts.days,
        month_days,
        scale,
        business_events_per_month,
        parts,
        per_service,
        total_usd,
        per_million_business_events: per_million(total_usd),
        fixed_usd,
        per_million_business_events_traffic: per_million(total_usd - fixed_usd),
    }
}
