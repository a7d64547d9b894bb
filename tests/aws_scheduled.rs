//! Scheduled bulk work on the wire, against moto: a backlog of at least 150 items made through
//! the agent's own handlers (EventBridge → SQS → the Lambda host → DynamoDB), then the daily
//! ticks put on the bus and handled by the host as often as the agent's continuation needs,
//! until every item is done. Every transaction the host commits is counted: none may exceed
//! DynamoDB's 100 items, and nothing may fail or reach the dead-letter queue.
//!
//! - Billing's daily dunning: 150 overdue invoices, at most `DUNNING_PER_RUN` a run, the rest
//!   the next day; every invoice reaches its escalation.
//! - Sales Director's stalled-deal run: 150 deals without activity, at most
//!   `STALL_ALERTS_PER_RUN` alerted a run; every deal alerted once.
//! - Expense Management's reimbursement run: 150 approved claims, at most `EXPENSES_PER_BATCH`
//!   a batch on Friday, the carry marker continuing the following days; every claim reimbursed.

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::dynamo::{DynamoLake, Tables};
use ascent_aws::eventbridge::EventBridgeBus;
use ascent_aws::host::AgentHost;
use ascent_aws::ses::SesMailer;
use ascent_aws::sqs::SqsDeadLetters;
use ascent_core::agent::{Agent, Domain};
use ascent_core::approval::ApprovalPolicy;
use ascent_core::catalog::{
    CustomerSignedUp, DealClosedWon, DealStage, DealStageChanged, ExpenseSubmitted, Payload,
    ScheduleTick,
};
use ascent_core::event::{Actor, Event};
use ascent_core::limits::MAX_TRANSACT_ITEMS;
use ascent_core::money::Money;
use ascent_core::ports::{BusError, DataLake, EventBus, Item, LakeError, Query, Write};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use moto::Moto;
use moto::wire;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const BUS: &str = "ascent-scheduled";
const PREFIX: &str = "ascent-scheduled-";
const ITEMS: usize = 150;

/// DynamoDB, with every transaction's size counted.
struct Counted {
    inner: DynamoLake,
    /// Items of each transaction committed or tried, in order.
    transactions: Mutex<Vec<usize>>,
}

#[async_trait]
impl DataLake for Counted {
    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Item>, LakeError> {
        self.inner.get(domain, pk, sk).await
    }
    async fn query(&self, domain: Domain, query: &Query) -> Result<Vec<Item>, LakeError> {
        self.inner.query(domain, query).await
    }
    async fn transact(&self, writes: &[Write]) -> Result<(), LakeError> {
        self.transactions.lock().unwrap().push(writes.len());
        self.inner.transact(writes).await
    }
}

/// EventBridge, with what the agent emitted counted by detail-type.
struct CountedBus {
    inner: EventBridgeBus,
    emitted: Mutex<BTreeMap<String, usize>>,
}

#[async_trait]
impl EventBus for CountedBus {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        self.inner.publish(events).await?;
        let mut counts = self.emitted.lock().unwrap();
        for e in events {
            *counts.entry(e.detail_type().to_string()).or_default() += 1;
        }
        Ok(())
    }
}

struct Wire {
    _moto: Moto,
    sqs: aws_sdk_sqs::Client,
    input: EventBridgeBus,
    lake: Arc<Counted>,
    bus: Arc<CountedBus>,
    host: AgentHost,
    queue_url: String,
    dlq_url: String,
    /// Messages the host handled.
    handled: usize,
}

impl Wire {
    /// The agent's function as `infra/` declares it: tables, its queue with a dead-letter
    /// queue, its rules (the router's patterns, with their `source` conditions), the host.
    async fn provision(agent: Arc<dyn Agent>) -> Wire {
        let moto = Moto::start();
        let config = moto.config().await;
        let ddb = aws_sdk_dynamodb::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let eb = aws_sdk_eventbridge::Client::new(&config);
        let ses = aws_sdk_sesv2::Client::new(&config);
        wire::create_tables(&ddb, PREFIX).await;
        eb.create_event_bus().name(BUS).send().await.unwrap();
        let decl = agent.declaration();
        let (dlq_url, dlq_arn) = wire::queue(&sqs, &format!("{}-dlq", decl.name), None).await;
        let (queue_url, queue_arn) = wire::queue(&sqs, decl.name, Some(&dlq_arn)).await;
        let router = ascent_core::routing::Router::new([decl]).unwrap();
        for rule in router.rules() {
            let name = format!("{}-{}", rule.agent, rule.subscription);
            wire::route(&eb, BUS, &name, &rule.pattern, &queue_arn).await;
        }
        let mail_from = ascent_embedded::TwinConfig::default().mail_from;
        ses.create_email_identity()
            .email_identity(&mail_from)
            .send()
            .await
            .unwrap();
        let lake = Arc::new(Counted {
            inner: DynamoLake::new(
                ddb,
                Tables {
                    prefix: PREFIX.into(),
                },
            ),
            transactions: Mutex::default(),
        });
        let bus = Arc::new(CountedBus {
            inner: EventBridgeBus::new(eb.clone(), BUS),
            emitted: Mutex::default(),
        });
        let host = AgentHost {
            max_receive_count: None,
            dead_letter_queues: None,
            privacy: ascent_core::privacy::PrivacyKey::new([7u8; 32]).unwrap(),
            retention: Default::default(),
            agent,
            lake: lake.clone(),
            bus: bus.clone(),
            mailer: Arc::new(SesMailer::new(ses)),
            approvals: None,
            policy: ApprovalPolicy::default(),
            mail_from,
            dead_letters: Some(Arc::new(SqsDeadLetters::new(sqs.clone(), dlq_url.clone()))),
        };
        Wire {
            _moto: moto,
            sqs,
            input: EventBridgeBus::new(eb, BUS),
            lake,
            bus,
            host,
            queue_url,
            dlq_url,
            handled: 0,
        }
    }

    /// Puts `events` on the bus and hands everything the agent's queue receives to the host's
    /// SQS entry point in batches of up to 10, as the event source mapping does; every message
    /// must succeed.
    async fn deliver(&mut self, events: &[Event]) {
        self.input.publish(events).await.unwrap();
        let mut left = events.len();
        while left > 0 {
            let messages = wire::receive(&self.sqs, &self.queue_url, left.min(10)).await;
            assert!(!messages.is_empty(), "{left} messages never arrived");
            let response = self.host.handle_sqs(wire::sqs_event(&messages)).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "failed: {:?}",
                response.batch_item_failures
            );
            wire::delete(
                &self.sqs,
                &self.queue_url,
                &messages.iter().collect::<Vec<_>>(),
            )
            .await;
            left = left.saturating_sub(messages.len());
            self.handled += messages.len();
        }
    }

    /// The daily tick for `at`, through the bus and the queue.
    async fn tick(&mut self, at: DateTime<Utc>) {
        self.deliver(&[ScheduleTick::event("daily", at)]).await;
    }

    fn emitted(&self, detail_type: &str) -> usize {
        self.bus
            .emitted
            .lock()
            .unwrap()
            .get(detail_type)
            .copied()
            .unwrap_or(0)
    }

    /// Nothing in the dead-letter queue, no transaction over DynamoDB's limit; the largest.
    async fn assert_within_limits(&self) -> usize {
        let dead = self
            .sqs
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        assert!(dead.is_empty(), "dead letters: {dead:?}");
        let transactions = self.lake.transactions.lock().unwrap();
        let largest = transactions.iter().copied().max().unwrap_or(0);
        assert!(
            largest <= MAX_TRANSACT_ITEMS,
            "a transaction of {largest} items"
        );
        largest
    }

    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> serde_json::Value {
        self.host
            .lake
            .get(domain, pk, sk)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{pk}/{sk} is not in {}", domain.as_str()))
            .data
    }
}

fn business(source: &str, at: DateTime<Utc>, payload: impl Into<Payload>) -> Event {
    Event::new(source, Actor::system(source), at, payload)
}

/// The daily run of a business day: 16:00Z is that day in Los Angeles (the company's zone),
/// whose dates the agents keep.
fn day(at: &str) -> DateTime<Utc> {
    format!("{at}T16:00:00Z").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_duns_150_overdue_invoices_to_their_escalation_within_dynamodbs_limits() {
    let started = Instant::now();
    let mut aws = Wire::provision(Arc::new(billing::Billing::default())).await;
    // The invoices, through Billing's own handlers: a customer, then 150 deals won on 2 March
    // 2026 (net-30: due 1 April), at 10:00 in the company's time zone (Pacific): business
    // dates are days there, and 06:00Z would still be 1 March.
    let won_at: DateTime<Utc> = "2026-03-02T18:00:00Z".parse().unwrap();
    let signup = business(
        "ascent.platform",
        won_at,
        CustomerSignedUp {
            account_id: "A1".into(),
            company: "Boreal Aero".into(),
            plan: "enterprise".into(),
            seats: 50,
            tax_region: "US-CA".into(),
            billing_email: "ap@boreal-aero.example".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    );
    aws.deliver(&[signup]).await;
    let wins: Vec<Event> = (0..ITEMS)
        .map(|i| {
            business(
                "ascent.crm",
                won_at,
                DealClosedWon {
                    deal_id: format!("D{i:03}"),
                    account_id: "A1".into(),
                    owner: "ava.rep@ascent-xr.example".into(),
                    amount: Money::usd(100_000 + i as i64),
                    proposal_id: None,
                    reason: None,
                    lead_id: None,
                },
            )
        })
        .collect();
    aws.deliver(&wins).await;
    assert_eq!(aws.emitted("InvoiceIssued"), ITEMS);
    let due: NaiveDate = "2026-04-01".parse().unwrap();
    assert_eq!(
        aws.get(Domain::Financial, "invoice#inv-D149", "invoice")
            .await["due_on"],
        due.to_string()
    );

    // The first reminder's days (3 days overdue and the next three, for the backlog), then
    // the escalation's (31 days overdue and the next three; the reminders missed meanwhile
    // are skipped, by design): at most DUNNING_PER_RUN a run, the rest the next day.
    let seeded = aws.lake.transactions.lock().unwrap().len();
    for d in (3..=6).chain(31..=34) {
        aws.tick(day(&(due + Duration::days(d)).to_string())).await;
    }
    let largest = aws.assert_within_limits().await;
    for i in 0..ITEMS {
        let inv = aws
            .get(
                Domain::Financial,
                &format!("invoice#inv-D{i:03}"),
                "invoice",
            )
            .await;
        assert_eq!(inv["dunning_step"], 4, "inv-D{i:03}: {inv}");
    }
    // A reminder and the escalation each, in runs of at most 48.
    assert_eq!(aws.emitted("DunningStepTaken"), 2 * ITEMS);
    assert_eq!(aws.emitted("ExceptionRaised"), ITEMS);
    assert_eq!(
        largest,
        ascent_core::limits::transact_items(billing::DUNNING_PER_RUN + 1),
        "a full run commits the most one message may"
    );
    let runs = aws.lake.transactions.lock().unwrap()[seeded..]
        .iter()
        .filter(|n| **n == largest)
        .count();
    assert_eq!(
        runs,
        2 * (ITEMS / billing::DUNNING_PER_RUN),
        "full runs: three of 48 per step"
    );
    println!(
        "billing: {} messages, {} ms",
        aws.handled,
        started.elapsed().as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_director_alerts_150_stalled_deals_within_dynamodbs_limits() {
    let started = Instant::now();
    let mut aws = Wire::provision(Arc::new(sales_director::SalesDirector::default())).await;
    // 150 deals reach the proposal stage on 2 March 2026, through the Sales Director's
    // handler; none moves after.
    let moved = day("2026-03-02");
    let deals: Vec<Event> = (0..ITEMS)
        .map(|i| {
            business(
                "ascent.crm",
                moved,
                DealStageChanged {
                    deal_id: format!("S{i:03}"),
                    account_id: format!("A-S{i:03}"),
                    owner: "ava.rep@ascent-xr.example".into(),
                    from_stage: None,
                    to_stage: DealStage::Proposal,
                    lines: vec![],
                    requested_discount_pct: 0.0,
                    currency: "USD".into(),
                    amount: Some(Money::usd(100_000)),
                    expected_close: None,
                    account_name: None,
                    discount_reason: None,
                },
            )
        })
        .collect();
    aws.deliver(&deals).await;
    // Stalled after 14 days: the daily runs from then on alert at most STALL_ALERTS_PER_RUN.
    let runs = ITEMS.div_ceil(sales_director::STALL_ALERTS_PER_RUN);
    for d in 14..14 + runs as i64 {
        aws.tick(moved + Duration::days(d)).await;
    }
    let largest = aws.assert_within_limits().await;
    for i in 0..ITEMS {
        let d = aws
            .get(Domain::Customer, &format!("pipeline#S{i:03}"), "pipeline")
            .await;
        assert_eq!(d["stall_alerted"], true, "S{i:03}: {d}");
    }
    assert_eq!(aws.emitted("DealStalled"), ITEMS, "each deal alerted once");
    assert_eq!(
        largest,
        ascent_core::limits::transact_items(sales_director::STALL_ALERTS_PER_RUN + 1)
    );
    // The next run finds nothing left to alert.
    aws.tick(moved + Duration::days(14 + runs as i64)).await;
    assert_eq!(aws.emitted("DealStalled"), ITEMS);
    println!(
        "sales-director: {} messages, {} ms",
        aws.handled,
        started.elapsed().as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expense_management_reimburses_150_claims_in_batches_within_dynamodbs_limits() {
    let started = Instant::now();
    let mut aws = Wire::provision(Arc::new(expense_management::ExpenseManagement::default())).await;
    // 150 claims within policy (approved at once), incurred on a recent weekday: Expense
    // Management judges a claim's age by its own clock.
    let now = Utc::now();
    let mut incurred = now.date_naive() - Duration::days(2);
    while matches!(incurred.weekday(), Weekday::Sat | Weekday::Sun) {
        incurred -= Duration::days(1);
    }
    let claims: Vec<Event> = (0..ITEMS)
        .map(|i| {
            business(
                "ascent.expenses",
                now,
                ExpenseSubmitted {
                    expense_id: format!("E{i:03}"),
                    employee: format!("employee{:02}@ascent-xr.example", i % 40),
                    department: "sales".into(),
                    category: "meals".into(),
                    amount: Money::usd(1_000 + i as i64),
                    incurred_on: incurred,
                    merchant: "Kantine".into(),
                    receipt_attached: true,
                    receipt_text: None,
                    manager: None,
                    description: None,
                    expensify_report_id: None,
                },
            )
        })
        .collect();
    aws.deliver(&claims).await;
    assert_eq!(aws.emitted("ExpenseDecided"), ITEMS);
    for i in 0..ITEMS {
        let x = aws
            .get(Domain::Financial, &format!("expense#E{i:03}"), "expense")
            .await;
        assert_eq!(x["status"], "approved", "E{i:03}: {x}");
    }
    // The reimbursement run on the next Friday, then the following days while the carry
    // marker says a backlog is left: at most EXPENSES_PER_BATCH a batch.
    let mut friday = now.date_naive() + Duration::days(1);
    while friday.weekday() != Weekday::Fri {
        friday += Duration::days(1);
    }
    let batches = ITEMS.div_ceil(expense_management::EXPENSES_PER_BATCH);
    for d in 0..batches as i64 {
        aws.tick(day(&(friday + Duration::days(d)).to_string()))
            .await;
    }
    let largest = aws.assert_within_limits().await;
    for i in 0..ITEMS {
        let x = aws
            .get(Domain::Financial, &format!("expense#E{i:03}"), "expense")
            .await;
        assert_eq!(x["status"], "reimbursed", "E{i:03}: {x}");
    }
    assert_eq!(aws.emitted("ReimbursementBatchCreated"), batches);
    assert!(largest <= MAX_TRANSACT_ITEMS);
    // The backlog done, the carry marker is gone: no batch the next (week)day.
    assert!(
        aws.host
            .lake
            .get(Domain::Financial, "reimbursement#carry", "open")
            .await
            .unwrap()
            .is_none()
    );
    aws.tick(day(&(friday + Duration::days(batches as i64)).to_string()))
        .await;
    assert_eq!(aws.emitted("ReimbursementBatchCreated"), batches);
    println!(
        "expense-management: {} messages, {} ms",
        aws.handled,
        started.elapsed().as_millis()
    );
}
