//! The cost model: the bill of hand-made counts worked out by hand, batching and the approval
//! workflow's transitions by hand, the counts of a short simulation consistent with its
//! report, a bad price table refused naming its key, and the docs naming every key.

use super::bill::{Service, bill};
use super::counts::{RunCounts, Usage, batches, chunks, write_kb};
use super::platform::transitions;
use super::settings::{AgentModel, CostSettings, Model, Prices};
use crate::config::AscentConfig;
use ascent_core::config::ConfigFile;

fn settings() -> CostSettings {
    CostSettings {
        region: "us-east-1".into(),
        prices_taken: "2026-12-05".into(),
        prices_source: "aws.amazon.com".into(),
        prices: Prices {
            lambda_per_million_requests: 0.20,
            lambda_arm64_per_gb_second: 0.0000133334,
            sqs_per_million_requests: 0.40,
            eventbridge_per_million_events: 1.00,
            dynamodb_per_million_write_units: 0.625,
            dynamodb_per_million_read_units: 0.125,
            dynamodb_per_gb_month: 0.25,
            step_functions_per_thousand_transitions: 0.025,
            ses_per_thousand_messages: 0.10,
        },
        model: Model {
            month_days: 30,
            handler_ms: 40.0,
            invocation_ms: 5.0,
            init_ms: 150.0,
            cold_starts_per_function_per_day: 24.0,
            reads_per_message: 2.0,
            empty_receives_per_queue_per_day: 21_600.0,
            item_overhead_bytes: 100,
        },
        agents: Default::default(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn the_bill_of_ten_days_of_billing_is_worked_out_by_hand() {
    // Given ten days of traffic: Billing's function and the shared parts.
    let billing = Usage {
        name: "billing".into(),
        memory_mb: 256,
        functions: 1,
        queues: 1,
        deliveries: 1000,
        invocations: 120,
        sqs_sends: 1000,
        sqs_receives: 130,
        sqs_deletes: 130,
        events_put: 300,
        transaction_write_kb: 5000,
        strong_reads: 1000,
        handler_reads: true,
        ..Usage::default()
    };
    let counts = RunCounts {
        database: "hand.db".into(),
        days: 10.0,
        business_events: 2000,
        bus_events: 2600,
        rows: vec![
            billing,
            Usage {
                name: "mail".into(),
                mails: 400,
                transaction_write_kb: 400,
                ..Usage::default()
            },
            Usage {
                name: "approvals".into(),
                transitions: 70,
                ..Usage::default()
            },
            Usage {
                name: "storage".into(),
                stored_bytes: 2 * 1_073_741_824,
                ..Usage::default()
            },
        ],
    };
    // When it is billed for a 30-day month: every count of the run × 30 / 10 = 3.
    let b = bill(&counts, &settings());
    assert!(close(b.scale, 3.0));
    let part = &b.parts[0];
    // Lambda: 120 invocations × 3 = 360 requests × 0.20 / 1e6 = 0.000072.
    assert!(close(part.lines[0].usd, 0.000072));
    // Duration: (120 × 5 ms + 1000 × 40 ms) × 3 = 121,800 ms = 121.8 s × 256/1024 GB
    // = 30.45 GB-s × 0.0000133334 = 0.00040600203; cold starts, whatever the traffic:
    // 1 function × 24 a day × 30 days × 150 ms = 108 s × 0.25 GB = 27 GB-s = 0.0003600018.
    assert_eq!(part.lines[1].item, "GB-seconds");
    assert!(close(part.lines[1].quantity, 30.45));
    assert!(close(part.lines[1].usd, 0.000_406_002_03));
    assert!(close(part.lines[2].quantity, 27.0) && part.lines[2].fixed);
    assert!(close(
        part.service(Service::Lambda),
        0.000072 + 0.000_766_003_83
    ));
    // SQS: (1000 + 130 + 130) × 3 = 3,780 requests; 1 queue × 21,600 empty receives a day
    // × 30 days = 648,000 whatever the traffic: 651,780 × 0.40 / 1e6 = 0.260712.
    assert!(close(part.lines[3].quantity, 3_780.0));
    assert!(close(part.lines[4].quantity, 648_000.0) && part.lines[4].fixed);
    assert!(close(part.service(Service::Sqs), 0.260_712));
    // EventBridge: 300 × 3 = 900 × 1.00 / 1e6 = 0.0009.
    assert!(close(part.service(Service::EventBridge), 0.0009));
    // DynamoDB: writes 2 × 5000 KB × 3 = 30,000 units × 0.625 / 1e6 = 0.01875; reads
    // (1000 lookups + 1000 × 2) × 3 = 9,000 × 0.125 / 1e6 = 0.001125.
    assert!(close(part.service(Service::DynamoDb), 0.01875 + 0.001125));
    // Billing: 0.000072 + 0.00076600383 + 0.260712 + 0.0009 + 0.01875 + 0.001125.
    assert!(close(part.usd, 0.282_325_003_83));
    // Mail: 400 × 3 = 1,200 × 0.10 / 1000 = 0.12, and its saves 2 × 400 × 3 = 2,400 units
    // × 0.625 / 1e6 = 0.0015. Approvals: 70 × 3 = 210 × 0.025 / 1000 = 0.00525. Storage:
    // 2 GB × 0.25, held the month = 0.5 (not scaled).
    assert!(close(b.parts[1].usd, 0.1215));
    assert!(close(b.parts[2].usd, 0.00525));
    assert!(close(b.parts[3].usd, 0.5));
    // Then the month costs 0.90907500383, for 2000 × 3 = 6,000 business events:
    // 151.5125 per million.
    assert!(close(b.total_usd, 0.909_075_003_83));
    assert!(close(b.business_events_per_month, 6000.0));
    assert!(close(b.per_million_business_events, 151.512_500_638_333));
    // Of it, 0.0003600018 (cold starts) + 0.2592 (idle polling) + 0.5 (storage) is paid
    // whatever the traffic; the rest, 0.14951500203, is 24.919167005 per million.
    assert!(close(b.fixed_usd, 0.759_560_001_8));
    assert!(close(b.per_million_business_events_traffic, 24.919_167_005));
    let by_service: f64 = b.per_service.iter().map(|(_, usd)| usd).sum();
    assert!(close(by_service, b.total_usd));
}

#[test]
fn an_agent_s_own_assumptions_replace_the_model_s() {
    let mut s = settings();
    s.agents.insert(
        "seo".into(),
        AgentModel {
            handler_ms: Some(900.0),
            reads_per_message: None,
        },
    );
    assert_eq!(s.handler_ms("seo"), 900.0);
    assert_eq!(s.reads_per_message("seo"), 2.0);
    assert_eq!(s.handler_ms("billing"), 40.0);
}

#[test]
fn batches_follow_the_batch_size_and_the_window() {
    // A batch queue (100, 30 s): 250 messages in the same second are 3 invocations (100,
    // 100, 50) and 10 + 10 + 5 receives; one more 40 s later is a fourth.
    let mut times = vec![0i64; 250];
    times.push(40);
    let b = batches(&times, 100, 30);
    assert_eq!((b.invocations, b.receives), (4, 26));
    // A priority queue (10, no window): the same second batches, the next does not.
    let b = batches(&[0, 0, 0, 1, 1, 5], 10, 0);
    assert_eq!((b.invocations, b.receives), (3, 3));
    assert_eq!(batches(&[], 10, 0).invocations, 0);
    // 64 KB chunks and write units round up, never to zero.
    assert_eq!((chunks(1), chunks(65_536), chunks(65_537)), (1, 1, 2));
    assert_eq!((write_kb(0), write_kb(1024), write_kb(1025)), (1, 1, 2));
}

#[test]
fn the_approval_workflow_counts_the_states_it_passes() {
    // Decided by the first approver: Prepare, AskApprover, Outcome, Approved.
    assert_eq!(transitions("approved", 0, 2), 4);
    // By the second, after a timeout: + Escalate, AnotherApprover, AskApprover.
    assert_eq!(transitions("rejected", 1, 2), 7);
    // Expired after two approvers: Prepare, Ask, Escalate, Another, Ask, Escalate, Another,
    // TellRequester, Expired.
    assert_eq!(transitions("expired", 1, 2), 9);
    // Waiting on the first: Prepare, AskApprover so far.
    assert_eq!(transitions("pending", 0, 1), 2);
}

fn shipped_with(replace: &str, by: &str) -> Result<CostSettings, ascent_core::config::ConfigError> {
    let shipped = ConfigFile::shipped();
    assert!(
        shipped.text().contains(replace),
        "the shipped file has `{replace}`"
    );
    let file = ConfigFile::parse("edited.toml", shipped.text().replacen(replace, by, 1))?;
    CostSettings::from_file(&file)
}

#[test]
fn a_bad_price_table_is_refused_naming_its_key() {
    let shipped = CostSettings::from_file(&ConfigFile::shipped()).unwrap();
    assert_eq!(shipped.region, "us-east-1");
    // A negative price.
    let e = shipped_with(
        "sqs_per_million_requests = 0.40",
        "sqs_per_million_requests = -0.40",
    )
    .unwrap_err();
    assert_eq!(e.path, "cost.prices.sqs_per_million_requests", "{e}");
    assert!(e.message.contains("-0.4"), "{e}");
    assert!(e.line.is_some(), "{e}");
    // A missing one.
    let e = shipped_with("ses_per_thousand_messages = 0.10\n", "").unwrap_err();
    assert!(e.to_string().contains("ses_per_thousand_messages"), "{e}");
    // A date that is none, an unknown key, an agent that does not exist.
    let e = shipped_with(
        "prices_taken = \"2026-12-05\"",
        "prices_taken = \"last week\"",
    )
    .unwrap_err();
    assert_eq!(e.path, "cost.prices_taken", "{e}");
    let e = shipped_with("handler_ms = 40", "handler_ms = 40\nhandler_seconds = 1").unwrap_err();
    assert!(e.to_string().contains("handler_seconds"), "{e}");
    let e = shipped_with(
        "item_overhead_bytes = 100\n",
        "item_overhead_bytes = 100\n\n[cost.agents.accounting]\nhandler_ms = 10\n",
    )
    .unwrap_err();
    assert_eq!(e.path, "cost.agents.accounting", "{e}");
    let e = shipped_with(
        "item_overhead_bytes = 100\n",
        "item_overhead_bytes = 100\n\n[cost.agents.billing]\nreads_per_message = -1\n",
    )
    .unwrap_err();
    assert_eq!(e.path, "cost.agents.billing.reads_per_message", "{e}");
}

#[test]
fn a_short_simulation_s_counts_are_its_report_s() {
    let dir = tempfile::tempdir().unwrap();
    let config = AscentConfig::shipped();
    let report = crate::simulate::run(&crate::simulate::SimulationOptions {
        days: 3,
        seed: 11,
        leads_per_day: 30,
        data_dir: dir.path().to_path_buf(),
        progress: false,
        config: std::sync::Arc::new(config.clone()),
    })
    .unwrap();
    let db = super::database_in(dir.path()).unwrap();
    assert!(db.ends_with("simulate-11.db"));
    let counts = super::counts_of(&db, &config, super::Period::default(), None).unwrap();
    assert_eq!(counts.days, 3.0);
    assert_eq!(counts.business_events, report.business_events);
    assert_eq!(counts.bus_events, report.bus_events);
    // Every agent's deliveries are the report's; each handled message was sent to its queue
    // and came in an invocation of at most its batch size.
    for (agent, handled, duplicates, _) in &report.per_agent {
        let row = counts.row(agent).unwrap();
        assert_eq!(row.deliveries, handled + duplicates, "{agent}");
        assert_eq!(
            row.sqs_sends, row.deliveries,
            "{agent}: one small message each"
        );
        assert!(row.invocations <= row.deliveries, "{agent}");
        assert!(row.invocations * 100 >= row.deliveries, "{agent}");
        // Each delivery: its pending record and the one marking it done, at least.
        assert!(row.transaction_write_kb >= 2 * row.deliveries, "{agent}");
    }
    // A period of event times: all of the run counts the same deliveries; its first day
    // fewer business events, over one day.
    let start = crate::simulate::start_date();
    let period = |days| super::Period {
        from: Some(start),
        to: Some(start + chrono::Duration::days(days)),
    };
    let all = super::counts_of(&db, &config, period(10), None).unwrap();
    for (agent, handled, duplicates, _) in &report.per_agent {
        assert_eq!(
            all.row(agent).unwrap().deliveries,
            handled + duplicates,
            "{agent}"
        );
    }
    let first = super::counts_of(&db, &config, period(1), None).unwrap();
    assert_eq!(first.days, 1.0);
    assert!(first.business_events > 0 && first.business_events < counts.business_events);
    let total: u64 = counts.rows.iter().map(|r| r.deliveries).sum();
    assert!(total >= report.deliveries);
    let lead = counts.row("lead-generation").unwrap();
    assert!(lead.deliveries > 0 && lead.events_put > 0 && lead.invocations > 0);
    let mail = counts.row(super::platform::MAIL).unwrap();
    assert!(mail.mails > 0);
    let storage = counts.row(super::platform::STORAGE).unwrap();
    assert!(storage.stored_bytes > 0);
    // Billed: every service but those the run did not use costs something.
    let b = super::bill(&counts, &config.cost);
    assert!(close(b.scale, 10.0));
    for (service, usd) in &b.per_service {
        if *service != Service::StepFunctions {
            assert!(*usd > 0.0, "{service:?}");
        }
    }
    assert!(b.per_million_business_events > 0.0);
    let text = super::render::text(&b, true);
    assert!(text.contains("lead-generation") && text.contains("per 1 million business events"));
}

#[test]
fn the_docs_explain_every_key_of_the_shipped_cost_section() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/operations.md"
    ))
    .unwrap();
    let start = docs
        .find("## Cost model")
        .expect("docs/operations.md has ## Cost model");
    let section = &docs[start..];
    let section = match section[3..].find("\n## ") {
        Some(end) => &section[..end + 3],
        None => section,
    };
    let file: toml::Table = toml::from_str(ConfigFile::shipped().text()).unwrap();
    let cost = file["cost"].as_table().unwrap();
    let mut keys = Vec::new();
    for (key, value) in cost {
        match value.as_table() {
            Some(table) => keys.extend(table.keys().cloned()),
            None => keys.push(key.clone()),
        }
    }
    assert!(keys.len() > 15);
    for key in keys {
        assert!(
            section.contains(&format!("`{key}`")),
            "docs/operations.md ## Cost model does not explain `{key}`"
        );
    }
}
