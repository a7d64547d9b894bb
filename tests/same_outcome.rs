//! Same outcome for the same input, in both homes: one table of cases (an agent, what happened
//! before, the event delivered, what must come of it), each run through the local twin's worker
//! (SQLite) and through the Lambda host on the wire against moto (EventBridge rules from the
//! same router → SQS → `handle_sqs` → DynamoDB, SES, the dead-letter queue). For each case the
//! two homes must agree on what is observable: the outcome (handled, duplicate, retry,
//! dead-letter now), the failure's reason, the records written in the data lake (by key, with
//! their index keys and data), the audit of writes and denials, the events emitted, the mail
//! sent, the approvals opened, and whether the idempotency record is there.
//!
//! What each home keeps only in its own way is left out of the comparison: the twin's audit of
//! a dead-lettering and of an opened approval (on AWS: the dead-letter queue and the approval
//! workflow), the approval record and the approver's mail (on AWS the Step Functions workflow
//! and the approval notifier write and send them; here the approvals compared are the ids the
//! host starts and the twin opens).

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::dynamo::{DynamoLake, Tables, from_attrs};
use ascent_aws::eventbridge::EventBridgeBus;
use ascent_aws::host::{AgentHost, ApprovalStarter};
use ascent_aws::ses::SesMailer;
use ascent_aws::sqs::SqsDeadLetters;
use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::approval::{Approval, ApprovalDraft, ApprovalPolicy};
use ascent_core::catalog::{
    CustomerSignedUp, DealClosedWon, ExceptionRaised, ExpenseSubmitted, Payload, PaymentReceived,
    ScheduleTick, Severity,
};
use ascent_core::context::Ctx;
use ascent_core::event::{Actor, Event};
use ascent_core::money::Money;
use ascent_core::ports::{BusError, Condition, EventBus, Item, Mail, MailError, Mailer};
use ascent_embedded::testkit::TestTwin;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc, Weekday};
use moto::Moto;
use moto::wire;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

const BUS: &str = "ascent-same";
const PREFIX: &str = "ascent-same-";

// ------------------------------------------------------------------ the probe agent

/// A small agent that does what the tick's schedule name says.
struct Probe(AgentDecl);

const PROBE: &str = "probe";

fn probe() -> Arc<dyn Agent> {
    Arc::new(Probe(AgentDecl {
        name: PROBE,
        department: Department::Operations,
        queue: QueueClass::Priority,
        subscriptions: vec![Subscription {
            name: "ticks",
            pattern: json!({"detail-type": ["ScheduleTick"]}),
        }],
        reads: vec![Domain::Customer],
        owns: vec![owns(Domain::Customer, "probe#")],
        emits: vec!["ExceptionRaised"],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }))
}

fn draft(role: &str) -> ApprovalDraft {
    ApprovalDraft {
        kind: "expense".into(),
        subject: "probe-claim".into(),
        summary: "A probe's claim of 123.45 USD".into(),
        amount: Some(Money::usd(12_345)),
        requester: "li.wei@ascent-xr.example".into(),
        approver_role: role.into(),
        first_approver: None,
        reason: "above the automatic limit".into(),
        facts: BTreeMap::new(),
        ..Default::default()
    }
}

#[async_trait]
impl Agent for Probe {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Payload::ScheduleTick(t) = event.payload() else {
            return Err(AgentError::Invalid("not a tick".into()));
        };
        let s = t.schedule.as_str();
        let note = |ctx: &mut Ctx<'_>| {
            ctx.put(
                Domain::Customer,
                Item::new(
                    format!("probe#{s}"),
                    "note",
                    json!({"schedule": s, "at": t.at}),
                )
                .with_index("probes", s),
                Condition::NotExists,
            )
        };
        match s {
            "note" => {
                note(ctx)?;
                ctx.emit(ExceptionRaised {
                    agent: PROBE.into(),
                    subject: s.into(),
                    reason: "a probe's note".into(),
                    severity: Severity::Low,
                })?;
                ctx.send_mail(Mail {
                    to: "ops@ascent-xr.example".into(),
                    subject: format!("Probe {s}"),
                    text: "A probe wrote a note.\n".into(),
                    html: None,
                    ..Default::default()
                })
            }
            "approval" => {
                note(ctx)?;
                ctx.request_approval(draft("finance-controller"))
            }
            "approval-nobody-holds" => ctx.request_approval(draft("no-such-role")),
            "invalid" => Err(AgentError::Invalid("no such order".into())),
            "flaky" => Err(AgentError::Transient("crm timeout".into())),
            "panic" => panic!("boom"),
            // Writes a domain it did not declare.
            "trespass" => {
                note(ctx)?;
                ctx.put(
                    Domain::Financial,
                    Item::new("invoice#probe", "invoice", json!({})),
                    Condition::Always,
                )
            }
            // Writes a key of its domain outside its own prefixes.
            "squat" => ctx.put(
                Domain::Customer,
                Item::new("lead#probe", "profile", json!({})),
                Condition::Always,
            ),
            // Tries a domain it may not read, ignores the refusal and succeeds.
            "swallowed-denial" => {
                let _ = ctx.get(Domain::Financial, "invoice#1", "invoice").await;
                note(ctx)
            }
            // Tries a domain it may not read, then fails as if for now.
            "denied-then-flaky" => match ctx.get(Domain::Financial, "invoice#1", "invoice").await {
                Ok(_) => Ok(()),
                Err(_) => Err(AgentError::Transient("ledger busy".into())),
            },
            "bulk" => {
                for i in 0..50 {
                    ctx.put(
                        Domain::Customer,
                        Item::new(format!("probe#bulk{i}"), "row", json!({})),
                        Condition::Always,
                    )?;
                }
                Ok(())
            }
            // A conditional write that fails: the record is there already.
            "seed" => note(ctx),
            "conflict" => ctx.put(
                Domain::Customer,
                Item::new("probe#seed", "note", json!({"again": true})),
                Condition::NotExists,
            ),
            _ => Ok(()),
        }
    }
}

// ------------------------------------------------------------------ the cases

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Handled,
    Duplicate,
    Retry,
    DeadLetter,
}

struct Case {
    name: &'static str,
    agent: fn() -> Arc<dyn Agent>,
    /// Handled first, one by one (every one must be handled).
    before: Vec<Event>,
    /// The delivery whose outcome is compared.
    deliver: Event,
    class: Class,
    /// The failure's reason starts with this.
    reason: Option<&'static str>,
    /// Keys written (`domain pk/sk`), events emitted (detail-types), mails, approvals,
    /// denials audited.
    writes: &'static [&'static str],
    emitted: &'static [&'static str],
    mails: usize,
    approvals: usize,
    denials: usize,
}

fn at() -> DateTime<Utc> {
    // Whole seconds: both homes see the same event time.
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

fn tick(schedule: &str) -> Event {
    ScheduleTick::event(schedule, at())
}

fn business(source: &str, payload: impl Into<Payload>) -> Event {
    Event::new(source, Actor::system(source), at(), payload)
}

fn signup(account: &str) -> Event {
    business(
        "ascent.platform",
        CustomerSignedUp {
            account_id: account.into(),
            company: "Boreal Aero".into(),
            plan: "enterprise".into(),
            seats: 50,
            tax_region: "US-CA".into(),
            billing_email: format!("ap@{}.example", account.to_lowercase()),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        },
    )
}

fn won(deal: &str, account: &str) -> Event {
    business(
        "ascent.crm",
        DealClosedWon {
            deal_id: deal.into(),
            account_id: account.into(),
            owner: "ava.rep@ascent-xr.example".into(),
            amount: Money::usd(1_000_000),
            proposal_id: None,
            reason: None,
            lead_id: None,
        },
    )
}

fn payment(invoice: &str, amount: i64) -> Event {
    business(
        "ascent.payments",
        PaymentReceived {
            payment_id: format!("P-{invoice}"),
            invoice_id: invoice.into(),
            amount: Money::usd(amount),
            received_at: at(),
            method: "ach".into(),
        },
    )
}

fn claim(id: &str, category: &str, amount: i64) -> Event {
    // A recent weekday (weekend claims are flagged for a person).
    let mut day = Utc::now().date_naive() - chrono::Duration::days(2);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= chrono::Duration::days(1);
    }
    business(
        "ascent.expenses",
        ExpenseSubmitted {
            expense_id: id.into(),
            employee: "li.wei@ascent-xr.example".into(),
            department: "sales".into(),
            category: category.into(),
            amount: Money::usd(amount),
            incurred_on: day,
            merchant: "Lufthansa".into(),
            receipt_attached: true,
            receipt_text: None,
            manager: Some("mara.head@ascent-xr.example".into()),
            description: Some("Customer visit, Boreal Aero".into()),
            expensify_report_id: None,
        },
    )
}

fn billing() -> Arc<dyn Agent> {
    Arc::new(billing::Billing::default())
}

fn expenses() -> Arc<dyn Agent> {
    Arc::new(expense_management::ExpenseManagement::default())
}

fn cases() -> Vec<Case> {
    let paid_d4 = payment("inv-D4", 1_072_500);
    vec![
        Case {
            name: "billing: a sign-up is handled, its billing profile written",
            agent: billing,
            before: vec![],
            deliver: signup("A1"),
            class: Class::Handled,
            reason: None,
            writes: &["financial account#A1/billing-profile"],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "billing: a won deal is invoiced, announced and mailed",
            agent: billing,
            before: vec![signup("A2")],
            deliver: won("D2", "A2"),
            class: Class::Handled,
            reason: None,
            writes: &["financial invoice#inv-D2/invoice"],
            emitted: &["InvoiceIssued"],
            mails: 1,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "billing: a deal announced won twice is invoiced once",
            agent: billing,
            before: vec![signup("A3"), won("D3", "A3")],
            deliver: won("D3", "A3"), // another event id: the business key guards it
            class: Class::Handled,
            reason: None,
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "billing: a deal in another currency than its account is invalid input",
            agent: billing,
            before: vec![signup("A6")],
            deliver: {
                let mut e = won("D6", "A6");
                if let Payload::DealClosedWon(d) = &mut e.detail.payload {
                    d.amount = Money::new(1_000_000, "EUR");
                }
                e
            },
            class: Class::DeadLetter,
            reason: Some("invalid input: deal D6 is in EUR but account A6 is billed in USD"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "billing: a redelivered event id is a duplicate",
            agent: billing,
            before: vec![signup("A4"), won("D4", "A4"), paid_d4.clone()],
            deliver: paid_d4,
            class: Class::Duplicate,
            reason: None,
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "billing: a payment before its invoice is retried",
            agent: billing,
            before: vec![],
            deliver: payment("inv-D5", 1_000),
            class: Class::Retry,
            reason: Some("invoice inv-D5 not found (yet)"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "expense management: a claim within policy is approved and announced",
            agent: expenses,
            before: vec![],
            deliver: claim("E1", "meals", 3_850),
            class: Class::Handled,
            reason: None,
            writes: &[
                "financial expense#E1/expense",
                "financial expense-fingerprint#",
            ],
            emitted: &["ExpenseDecided"],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "expense management: a claim above the limit opens the manager's approval",
            agent: expenses,
            before: vec![],
            deliver: claim("E2", "travel", 42_000),
            class: Class::Handled,
            reason: None,
            writes: &[
                "financial expense#E2/expense",
                "financial expense-fingerprint#",
            ],
            emitted: &[],
            mails: 0,
            approvals: 1,
            denials: 0,
        },
        Case {
            name: "probe: a note written, an event emitted, a mail sent",
            agent: probe,
            before: vec![],
            deliver: tick("note"),
            class: Class::Handled,
            reason: None,
            writes: &["customer probe#note/note"],
            emitted: &["ExceptionRaised"],
            mails: 1,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "probe: an approval opened with its write",
            agent: probe,
            before: vec![],
            deliver: tick("approval"),
            class: Class::Handled,
            reason: None,
            writes: &["customer probe#approval/note"],
            emitted: &[],
            mails: 0,
            approvals: 1,
            denials: 0,
        },
        Case {
            name: "probe: invalid input is dead-lettered at once",
            agent: probe,
            before: vec![],
            deliver: tick("invalid"),
            class: Class::DeadLetter,
            reason: Some("invalid input: no such order"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "probe: a transient failure is retried",
            agent: probe,
            before: vec![],
            deliver: tick("flaky"),
            class: Class::Retry,
            reason: Some("crm timeout"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "probe: a panic is retried, as that message alone",
            agent: probe,
            before: vec![],
            deliver: tick("panic"),
            class: Class::Retry,
            reason: Some("handler panicked: boom"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "probe: writing a domain it did not declare is dead-lettered and audited",
            agent: probe,
            before: vec![],
            deliver: tick("trespass"),
            class: Class::DeadLetter,
            reason: Some("access denied"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 1,
        },
        Case {
            name: "probe: writing outside its own key prefixes is dead-lettered and audited",
            agent: probe,
            before: vec![],
            deliver: tick("squat"),
            class: Class::DeadLetter,
            reason: Some("access denied"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 1,
        },
        Case {
            name: "probe: a refused read it ignored is still audited",
            agent: probe,
            before: vec![],
            deliver: tick("swallowed-denial"),
            class: Class::Handled,
            reason: None,
            writes: &["customer probe#swallowed-denial/note"],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 1,
        },
        Case {
            name: "probe: a transient failure after a denial is dead-lettered at once",
            agent: probe,
            before: vec![],
            deliver: tick("denied-then-flaky"),
            class: Class::DeadLetter,
            reason: Some("ledger busy"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 1,
        },
        Case {
            name: "probe: effects beyond one transaction are dead-lettered naming the limit",
            agent: probe,
            before: vec![],
            deliver: tick("bulk"),
            class: Class::DeadLetter,
            reason: Some(
                "effects exceed AWS's limits: a transaction of 101 items exceeds DynamoDB's 100",
            ),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "probe: an approval for a role nobody holds is dead-lettered",
            agent: probe,
            before: vec![],
            deliver: tick("approval-nobody-holds"),
            class: Class::DeadLetter,
            reason: Some("no approver chain is configured for role `no-such-role`"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
        Case {
            name: "probe: a conditional write whose condition fails is retried",
            agent: probe,
            before: vec![tick("seed")],
            deliver: tick("conflict"),
            class: Class::Retry,
            reason: Some("condition failed on customer/probe#seed/note"),
            writes: &[],
            emitted: &[],
            mails: 0,
            approvals: 0,
            denials: 0,
        },
    ]
}

// ------------------------------------------------------------------ what is observed

#[derive(Debug, Default, PartialEq)]
struct Observed {
    class: Option<Class>,
    reason: Option<String>,
    /// `domain pk/sk` → `{"gsi1": [pk, sk] | null, "data": …}` of each item written (`null`:
    /// deleted).
    records: BTreeMap<String, Value>,
    /// `actor action domain item`, sorted.
    audit: Vec<String>,
    /// `detail-type id`, sorted.
    emitted: Vec<String>,
    /// `to: subject`, sorted.
    mails: Vec<String>,
    /// Approval ids, sorted.
    approvals: Vec<String>,
    idempotency: bool,
}

fn record_value(gsi1: Option<(String, String)>, data: Value) -> Value {
    json!({"gsi1": gsi1.map(|(p, s)| [p, s]), "data": data})
}

/// The class of a failure's reason: the text the engine gives, in both homes the same; a
/// failed commit condition is named by its item (the prefix and the store's own words differ:
/// `commit failed: … NotExists` in SQLite, `data lake: … The conditional request failed` from
/// DynamoDB).
fn reason_class(reason: Option<String>) -> Option<String> {
    let r = reason?;
    Some(match r.find("condition failed on ") {
        Some(i) => {
            let rest = &r[i..];
            rest[..rest.rfind(": ").unwrap_or(rest.len())].to_string()
        }
        None => r,
    })
}

fn changed(
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    let mut out: BTreeMap<String, Value> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for k in before.keys() {
        if !after.contains_key(k) {
            out.insert(k.clone(), Value::Null);
        }
    }
    out
}

/// Audit actions both homes keep in their audit (the twin also audits dead-lettering and
/// opened approvals; on AWS those are the dead-letter queue's and the workflow's).
fn compared_audit(action: &str) -> bool {
    matches!(action, "put" | "delete" | "denied")
}

// ------------------------------------------------------------------ the twin

struct TwinSnapshot {
    items: BTreeMap<String, Value>,
    approvals: BTreeSet<String>,
    audit_seq: u64,
    events_seq: i64,
    mail_id: i64,
    counters: [u64; 4],
}

fn twin_snapshot(t: &TestTwin, agent: &str) -> TwinSnapshot {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = t
        .runtime
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT domain, pk, sk, gsi1pk, gsi1sk, data FROM items")?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?;
            rows.collect()
        })
        .unwrap();
    let mut items = BTreeMap::new();
    let mut approvals = BTreeSet::new();
    for (domain, pk, sk, gpk, gsk, data) in rows {
        if domain == Domain::Approvals.as_str() {
            approvals.insert(pk.trim_start_matches("approval#").to_string());
            continue;
        }
        let gsi1 = gpk.zip(gsk);
        let data: Value = serde_json::from_str(&data).unwrap();
        items.insert(format!("{domain} {pk}/{sk}"), record_value(gsi1, data));
    }
    let audit_seq = t
        .runtime
        .store()
        .audit_records()
        .unwrap()
        .last()
        .map_or(0, |r| r.seq);
    let mail_id = t
        .runtime
        .mails_after(0)
        .unwrap()
        .last()
        .map_or(0, |(id, _)| *id);
    let status = t.runtime.status().unwrap();
    let s = status.agents.iter().find(|s| s.agent == agent).unwrap();
    TwinSnapshot {
        items,
        approvals,
        audit_seq,
        events_seq: t.runtime.archive_head().unwrap(),
        mail_id,
        counters: [s.handled, s.duplicates, s.failures, s.dead_lettered],
    }
}

async fn run_in_twin(case: &Case) -> Observed {
    let agent = (case.agent)();
    let decl = agent.declaration().clone();
    let t = TestTwin::new(vec![agent], at());
    for e in &case.before {
        t.runtime.ingest(std::slice::from_ref(e)).unwrap();
        t.drain();
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{}: what comes before must be handled",
        case.name
    );
    let was = twin_snapshot(&t, decl.name);
    let e = &case.deliver;
    let report = t.runtime.ingest(std::slice::from_ref(e)).unwrap();
    assert_eq!(report.deliveries, 1, "{}: routed to the agent", case.name);
    // One receive of one message, as one SQS delivery.
    assert_eq!(t.runtime.step().await.unwrap(), 1);
    let now = twin_snapshot(&t, decl.name);
    let id = e.detail.event_id.to_string();

    let delta: Vec<i64> = (0..4)
        .map(|i| now.counters[i] as i64 - was.counters[i] as i64)
        .collect();
    let (class, reason) = match delta.as_slice() {
        [1, 0, 0, 0] => (Class::Handled, None),
        [0, 1, 0, 0] => (Class::Duplicate, None),
        [0, 0, 1, 1] => {
            let d = t.runtime.dead_letters().unwrap();
            let d = d.iter().rfind(|d| d.event_id == id).unwrap();
            (Class::DeadLetter, Some(d.reason.clone()))
        }
        [0, 0, 1, 0] => {
            let reason: String = t
                .runtime
                .store()
                .read(|c| {
                    c.query_row(
                        "SELECT last_error FROM queue_messages WHERE event_id = ?1",
                        [&id],
                        |r| r.get(0),
                    )
                })
                .unwrap();
            (Class::Retry, Some(reason))
        }
        other => panic!("{}: counters moved by {other:?}", case.name),
    };
    let audit = t
        .runtime
        .store()
        .audit_records()
        .unwrap()
        .into_iter()
        .filter(|r| r.seq > was.audit_seq && compared_audit(&r.entry.action))
        .map(|r| {
            let e = r.entry;
            format!("{} {} {} {}", e.actor, e.action, e.domain, e.item)
        })
        .collect::<Vec<_>>();
    let source = decl.source();
    let mut emitted: Vec<String> = t
        .runtime
        .store()
        .read(|c| {
            let mut st =
                c.prepare("SELECT detail_type, event_id, source FROM events WHERE seq > ?1")?;
            let rows = st.query_map([was.events_seq], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
        .into_iter()
        .filter(|(_, _, s)| *s == source)
        .map(|(t, id, _)| format!("{t} {id}"))
        .collect();
    emitted.sort();
    let mut mails: Vec<String> = t
        .runtime
        .mails_after(was.mail_id)
        .unwrap()
        .into_iter()
        // The approver's mail: on AWS the approval notifier's, from the workflow.
        .filter(|(_, m)| !m.subject.starts_with("Approval needed"))
        .map(|(_, m)| format!("{}: {}", m.to, m.subject))
        .collect();
    mails.sort();
    let idempotency: bool = t
        .runtime
        .store()
        .read(|c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM handled WHERE agent = ?1 AND event_id = ?2)",
                [decl.name, id.as_str()],
                |r| r.get(0),
            )
        })
        .unwrap();
    Observed {
        class: Some(class),
        reason: reason_class(reason),
        records: changed(&was.items, &now.items),
        audit: sorted(audit),
        emitted,
        mails,
        approvals: now.approvals.difference(&was.approvals).cloned().collect(),
        idempotency,
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

// ------------------------------------------------------------------ AWS, on moto

/// The host's bus: EventBridge, remembering what PutEvents took.
struct SeenBus {
    inner: EventBridgeBus,
    seen: Mutex<Vec<Event>>,
}

#[async_trait]
impl EventBus for SeenBus {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        self.inner.publish(events).await?;
        self.seen.lock().unwrap().extend(events.iter().cloned());
        Ok(())
    }
}

/// The host's mailer: SES, remembering what it accepted.
struct SeenMail {
    inner: SesMailer,
    seen: Mutex<Vec<Mail>>,
}

#[async_trait]
impl Mailer for SeenMail {
    async fn send(&self, from: &str, mail: &Mail) -> Result<String, MailError> {
        let id = self.inner.send(from, mail).await?;
        self.seen.lock().unwrap().push(mail.clone());
        Ok(id)
    }
}

/// The approval workflows started (their execution is `aws_approvals`' subject).
#[derive(Default)]
struct Started(Mutex<Vec<Approval>>);

#[async_trait]
impl ApprovalStarter for Started {
    async fn start(&self, a: &Approval) -> Result<(), String> {
        self.0.lock().unwrap().push(a.clone());
        Ok(())
    }
}

struct Hosted {
    host: AgentHost,
    queue_url: String,
    dlq_url: String,
}

struct Aws {
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    eb: aws_sdk_eventbridge::Client,
    ses: aws_sdk_sesv2::Client,
    /// Where business systems and the scheduler put events.
    input: EventBridgeBus,
    bus: Arc<SeenBus>,
    mail: Arc<SeenMail>,
    started: Arc<Started>,
    hosts: BTreeMap<&'static str, Hosted>,
    identities: BTreeSet<String>,
}

impl Aws {
    async fn new(moto: &Moto) -> Aws {
        let config = moto.config().await;
        let ddb = aws_sdk_dynamodb::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let eb = aws_sdk_eventbridge::Client::new(&config);
        let ses = aws_sdk_sesv2::Client::new(&config);
        wire::create_tables(&ddb, PREFIX).await;
        eb.create_event_bus().name(BUS).send().await.unwrap();
        Aws {
            input: EventBridgeBus::new(eb.clone(), BUS),
            bus: Arc::new(SeenBus {
                inner: EventBridgeBus::new(eb.clone(), BUS),
                seen: Mutex::default(),
            }),
            mail: Arc::new(SeenMail {
                inner: SesMailer::new(ses.clone()),
                seen: Mutex::default(),
            }),
            started: Arc::default(),
            hosts: BTreeMap::new(),
            identities: BTreeSet::new(),
            ddb,
            sqs,
            eb,
            ses,
        }
    }

    /// The agent's function as `infra/` declares it: its queue and dead-letter queue, one
    /// rule per subscription with the twin router's pattern (its producers' `source`
    /// condition included), and the host over DynamoDB, EventBridge and SES.
    async fn host(&mut self, agent: Arc<dyn Agent>, mail_from: &str) -> &Hosted {
        let name = agent.declaration().name;
        if !self.hosts.contains_key(name) {
            let (dlq_url, dlq_arn) = wire::queue(&self.sqs, &format!("{name}-dlq"), None).await;
            let (queue_url, queue_arn) = wire::queue(&self.sqs, name, Some(&dlq_arn)).await;
            let router = ascent_core::routing::Router::new([agent.declaration()]).unwrap();
            for rule in router.rules() {
                let rule_name = format!("{}-{}", rule.agent, rule.subscription);
                wire::route(&self.eb, BUS, &rule_name, &rule.pattern, &queue_arn).await;
            }
            if self.identities.insert(mail_from.to_string()) {
                self.ses
                    .create_email_identity()
                    .email_identity(mail_from)
                    .send()
                    .await
                    .unwrap();
            }
            let host = AgentHost {
                max_receive_count: None,
                dead_letter_queues: None,
                privacy: ascent_embedded::testkit::test_privacy_key(),
                retention: Default::default(),
                agent,
                lake: Arc::new(DynamoLake::new(
                    self.ddb.clone(),
                    Tables {
                        prefix: PREFIX.into(),
                    },
                )),
                bus: self.bus.clone(),
                mailer: self.mail.clone(),
                approvals: Some(self.started.clone()),
                policy: ApprovalPolicy::default(),
                mail_from: mail_from.into(),
                dead_letters: Some(Arc::new(SqsDeadLetters::new(
                    self.sqs.clone(),
                    dlq_url.clone(),
                ))),
            };
            self.hosts.insert(
                name,
                Hosted {
                    host,
                    queue_url,
                    dlq_url,
                },
            );
        }
        &self.hosts[name]
    }

    /// Every item of every table but the idempotency one, by `domain pk/sk`.
    async fn items(&self) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for d in Domain::ALL {
            if matches!(d, Domain::Idempotency | Domain::Approvals) {
                continue;
            }
            let mut start = None;
            loop {
                let page = self
                    .ddb
                    .scan()
                    .table_name(format!("{PREFIX}{}", d.as_str()))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .unwrap();
                for attrs in page.items.unwrap_or_default() {
                    let item = from_attrs(attrs).unwrap();
                    out.insert(
                        format!("{} {}/{}", d.as_str(), item.pk, item.sk),
                        record_value(item.gsi1.map(|k| (k.pk, k.sk)), item.data),
                    );
                }
                start = page.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        out
    }

    async fn idempotency(&self, agent: &str, event_id: &str) -> Option<Value> {
        let h = self.hosts.values().next().unwrap();
        h.host
            .lake
            .get(Domain::Idempotency, agent, event_id)
            .await
            .unwrap()
            .map(|i| i.data)
    }

    /// Puts `e` on the bus and hands what the agent's queue receives to the host's SQS entry
    /// point, as the event source mapping does; then settles the messages as Lambda does (a
    /// message reported failed is deleted too: each case is one delivery). The outcome and
    /// the reason, as the host and the queues show them.
    async fn deliver(&self, agent: &str, e: &Event) -> (Class, Option<String>) {
        let h = &self.hosts[agent];
        let id = e.detail.event_id.to_string();
        let before = self.idempotency(agent, &id).await;
        self.input.publish(std::slice::from_ref(e)).await.unwrap();
        let messages = wire::receive(&self.sqs, &h.queue_url, 1).await;
        assert_eq!(messages.len(), 1, "one message on {agent}'s queue");
        let response = h.host.handle_sqs(wire::sqs_event(&messages)).await;
        wire::delete(
            &self.sqs,
            &h.queue_url,
            &messages.iter().collect::<Vec<_>>(),
        )
        .await;
        let failed = !response.batch_item_failures.is_empty();
        let dead = self
            .sqs
            .receive_message()
            .queue_url(&h.dlq_url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        wire::delete(&self.sqs, &h.dlq_url, &dead.iter().collect::<Vec<_>>()).await;
        if failed {
            assert!(dead.is_empty());
            return (Class::Retry, h.host.failure_reason(&id).await);
        }
        if let Some(d) = dead.first() {
            assert_eq!(dead.len(), 1);
            assert_eq!(d.body.as_deref(), messages[0].body.as_deref());
            let reason = d.message_attributes.as_ref().unwrap()["reason"]
                .string_value
                .clone();
            return (Class::DeadLetter, reason);
        }
        let after = self.idempotency(agent, &id).await;
        assert_eq!(
            after.as_ref().map(|r| r["done"].clone()),
            Some(json!(true)),
            "a handled delivery leaves its idempotency record done"
        );
        match before {
            None => (Class::Handled, None),
            Some(_) => (Class::Duplicate, None),
        }
    }

    async fn run(&mut self, case: &Case, mail_from: &str) -> Observed {
        let agent = (case.agent)();
        let name = agent.declaration().name;
        let source = agent.declaration().source();
        self.host(agent, mail_from).await;
        for e in &case.before {
            let (class, reason) = self.deliver(name, e).await;
            assert_eq!(
                class,
                Class::Handled,
                "{}: what comes before must be handled ({reason:?})",
                case.name
            );
        }
        let items = self.items().await;
        self.bus.seen.lock().unwrap().clear();
        self.mail.seen.lock().unwrap().clear();
        self.started.0.lock().unwrap().clear();
        let (class, reason) = self.deliver(name, &case.deliver).await;
        let now = self.items().await;
        let mut records = changed(&items, &now);
        let audit_prefix = format!("{} ", Domain::Audit.as_str());
        let audit_items: Vec<Value> = records
            .iter()
            .filter(|(k, _)| k.starts_with(&audit_prefix))
            .map(|(_, v)| v["data"].clone())
            .collect();
        records.retain(|k, _| !k.starts_with(&audit_prefix));
        let audit = audit_items
            .iter()
            .filter(|a| compared_audit(a["action"].as_str().unwrap()))
            .map(|a| {
                format!(
                    "{} {} {} {}",
                    a["actor"].as_str().unwrap(),
                    a["action"].as_str().unwrap(),
                    a["domain"].as_str().unwrap(),
                    a["item"].as_str().unwrap()
                )
            })
            .collect();
        let emitted = self
            .bus
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.source == source)
            .map(|e| format!("{} {}", e.detail_type(), e.detail.event_id))
            .collect();
        let mails = self
            .mail
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|m| format!("{}: {}", m.to, m.subject))
            .collect();
        let approvals = self
            .started
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|a| a.id.clone())
            .collect();
        let id = case.deliver.detail.event_id.to_string();
        let idempotency = self
            .idempotency(name, &id)
            .await
            .is_some_and(|r| r["done"] == json!(true));
        Observed {
            class: Some(class),
            reason: reason_class(reason),
            records,
            audit: sorted(audit),
            emitted: sorted(emitted),
            mails: sorted(mails),
            approvals: sorted(approvals),
            idempotency,
        }
    }
}

// ------------------------------------------------------------------ the test

/// What the case expects of one home's observation.
fn check_expected(case: &Case, home: &str, o: &Observed) -> Vec<String> {
    let mut wrong = Vec::new();
    if o.class != Some(case.class) {
        wrong.push(format!(
            "{home}: outcome {:?}, expected {:?}",
            o.class, case.class
        ));
    }
    if let Some(r) = case.reason
        && !o.reason.as_deref().is_some_and(|x| x.starts_with(r))
    {
        wrong.push(format!("{home}: reason {:?}, expected {r:?}…", o.reason));
    }
    let keys: Vec<&String> = o.records.keys().collect();
    let written_as_expected = keys.len() == case.writes.len()
        && case
            .writes
            .iter()
            .all(|w| keys.iter().any(|k| k.starts_with(w)));
    if !written_as_expected {
        wrong.push(format!(
            "{home}: wrote {keys:?}, expected {:?}",
            case.writes
        ));
    }
    let types: Vec<&str> = o
        .emitted
        .iter()
        .map(|e| e.split(' ').next().unwrap())
        .collect();
    if types != case.emitted {
        wrong.push(format!(
            "{home}: emitted {types:?}, expected {:?}",
            case.emitted
        ));
    }
    if o.mails.len() != case.mails {
        wrong.push(format!(
            "{home}: mails {:?}, expected {}",
            o.mails, case.mails
        ));
    }
    if o.approvals.len() != case.approvals {
        wrong.push(format!(
            "{home}: approvals {:?}, expected {}",
            o.approvals, case.approvals
        ));
    }
    let denials = o.audit.iter().filter(|a| a.contains(" denied ")).count();
    if denials != case.denials {
        wrong.push(format!(
            "{home}: denials audited {denials}, expected {}",
            case.denials
        ));
    }
    let writes_audited = o.audit.len() - denials;
    if writes_audited != o.records.len() {
        wrong.push(format!(
            "{home}: {} writes but {writes_audited} audited: {:?}",
            o.records.len(),
            o.audit
        ));
    }
    let handled = matches!(o.class, Some(Class::Handled | Class::Duplicate));
    if o.idempotency != handled {
        wrong.push(format!("{home}: idempotency record {}", o.idempotency));
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_input_has_the_same_outcome_in_the_twin_and_on_aws() {
    let moto = Moto::start();
    let mut aws = Aws::new(&moto).await;
    let mail_from = ascent_embedded::TwinConfig::default().mail_from;
    let mut failures = Vec::new();
    for case in cases() {
        let twin = run_in_twin(&case).await;
        let lambda = aws.run(&case, &mail_from).await;
        let mut wrong = check_expected(&case, "twin", &twin);
        wrong.extend(check_expected(&case, "aws", &lambda));
        if twin != lambda {
            wrong.push(format!(
                "the homes differ:\n  twin: {twin:?}\n  aws:  {lambda:?}"
            ));
        }
        if !wrong.is_empty() {
            failures.push(format!("{}:\n  {}", case.name, wrong.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
