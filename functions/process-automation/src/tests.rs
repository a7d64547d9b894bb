//! Process Automation tests through an in-memory twin, with a CRM push agent whose
//! integration times out or refuses the data as each test says: the twin dead-letters its
//! failures, announces them, and Process Automation retries or puts them to a person.

use super::*;
use crate::letters::{Letter, LetterState};
use ascent_core::agent::AgentError;
use ascent_core::approval::Decision;
use ascent_core::catalog::{LeadCreated, MessageDeadLettered};
use ascent_core::ports::{Condition, Item};
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

const OPS_LEAD: &str = "operations.lead@ascent-xr.example";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// How the CRM behaves: timeouts left before it answers, and whether it refuses the lead.
#[derive(Default)]
struct Crm {
    timeouts_left: u32,
    refuses: bool,
}

/// Pushes every new lead to the CRM and records it as pushed.
struct CrmPush {
    decl: AgentDecl,
    crm: Arc<Mutex<Crm>>,
}

#[async_trait]
impl Agent for CrmPush {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }
    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let Payload::LeadCreated(l) = event.payload() else {
            return Err(AgentError::unhandled("crm-push", event.payload()));
        };
        {
            let mut crm = self.crm.lock().unwrap();
            if crm.timeouts_left > 0 {
                crm.timeouts_left -= 1;
                return Err(AgentError::Transient(
                    "HubSpot answered 503 Service Unavailable".into(),
                ));
            }
            if crm.refuses {
                return Err(AgentError::Invalid(
                    "field `payload.company_size`: HubSpot refuses a company of 0 employees".into(),
                ));
            }
        }
        ctx.put(
            Domain::Customer,
            Item::new(
                format!("crm-push#{}", l.lead_id),
                "pushed",
                json!({"at": ctx.now()}),
            ),
            Condition::Always,
        )
    }
}

fn crm_push(crm: Arc<Mutex<Crm>>) -> Arc<dyn Agent> {
    Arc::new(CrmPush {
        decl: AgentDecl {
            name: "crm-push",
            department: Department::Sales,
            queue: QueueClass::Priority,
            subscriptions: vec![Subscription {
                name: "lead-created",
                pattern: json!({"detail-type": ["LeadCreated"]}),
            }],
            reads: vec![],
            owns: vec![owns(Domain::Customer, "crm-push#")],
            emits: vec![],
            requests_approvals: false,
            sends_mail: false,
            writes_text: false,
        },
        crm,
    })
}

fn given(crm: Crm) -> (TestTwin, Arc<Mutex<Crm>>) {
    let crm = Arc::new(Mutex::new(crm));
    let t = TestTwin::new(
        vec![
            Arc::new(ProcessAutomation::default()),
            crm_push(crm.clone()),
        ],
        at("2026-03-02T09:00:00Z"),
    );
    (t, crm)
}

fn lead(id: &str) -> LeadCreated {
    LeadCreated {
        lead_id: id.into(),
        email: "dana.whitfield@northwind-energy.example".into(),
        full_name: "Dana Whitfield".into(),
        company: "Northwind Energy".into(),
        company_size: 0,
        industry: "energy".into(),
        role: "Head of Training".into(),
        country: Some("US".into()),
        channel: "web".into(),
        phone: None,
        time_zone: None,
    }
}

fn pushed(t: &TestTwin, id: &str) -> bool {
    t.get(Domain::Customer, &format!("crm-push#{id}"), "pushed")
        .is_some()
}

fn letter(t: &TestTwin, event: &Event) -> Letter {
    let pk = letters::pk(&letters::subject(
        "crm-push",
        &event.detail.event_id.to_string(),
    ));
    serde_json::from_value(t.get(Domain::Performance, &pk, "letter").expect("a letter")).unwrap()
}

fn approval_mails(t: &TestTwin) -> Vec<ascent_core::ports::Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Approval needed") && m.to == OPS_LEAD)
        .collect()
}

#[test]
fn given_a_crm_timing_out_when_its_push_is_dead_lettered_then_it_is_retried_with_backoff_and_succeeds()
 {
    // Three timeouts: the twin's three receives fail, the message is dead-lettered.
    let (t, _crm) = given(Crm {
        timeouts_left: 3,
        refuses: false,
    });
    let e = t.emit("ascent.crm", lead("L000123"));
    assert!(!pushed(&t, "L000123"));
    let notices = t.emitted("MessageDeadLettered");
    assert_eq!(notices.len(), 1);
    let Payload::MessageDeadLettered(n) = notices[0].payload() else {
        unreachable!()
    };
    assert_eq!(
        (n.agent.as_str(), n.detail_type.as_str()),
        ("crm-push", "LeadCreated")
    );
    assert_eq!(n.receive_count, 3);
    assert_eq!(n.reason, "HubSpot answered 503 Service Unavailable");
    assert_eq!(n.correlation_id, Some(e.detail.correlation_id.to_string()));

    // Transient: due 30 minutes after it was dead-lettered, no person asked.
    let l = letter(&t, &e);
    let LetterState::RetryDue { due } = l.state else {
        panic!("{:?}", l.state)
    };
    assert_eq!(due, n.dead_lettered_at + chrono::Duration::minutes(30));
    assert!(approval_mails(&t).is_empty());

    // The 09:00 run is before it is due; the 10:00 run redrives it and the push succeeds.
    t.tick("hourly", at("2026-03-02T09:00:00Z"));
    assert!(!pushed(&t, "L000123"));
    t.tick("hourly", at("2026-03-02T10:00:00Z"));
    assert!(pushed(&t, "L000123"));
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    let l = letter(&t, &e);
    assert_eq!(l.redrives, 1);
    assert!(matches!(l.state, LetterState::Redriven { ref by, .. } if by == "retry schedule"));
    assert!(
        t.query_index(Domain::Performance, letters::RETRIES_DUE)
            .is_empty()
    );
}

#[test]
fn given_a_refused_lead_when_a_person_approves_after_the_fix_then_it_is_redriven_and_handled() {
    let (t, crm) = given(Crm {
        timeouts_left: 0,
        refuses: true,
    });
    let e = t.emit("ascent.crm", lead("L000124"));
    // Invalid input: dead-lettered at the first receive, put to the operations chain.
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].receive_count, 1);
    let mails = approval_mails(&t);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].text.contains("payload.company_size"),
        "{}",
        mails[0].text
    );
    let l = letter(&t, &e);
    let LetterState::AwaitingDecision { approval_id } = &l.state else {
        panic!("{:?}", l.state)
    };
    // The request carries the failure, the event and the redrive action.
    let request = t
        .get(
            Domain::Approvals,
            &format!("approval#{approval_id}"),
            "approval",
        )
        .expect("the approval record")
        .to_string();
    for fact in [
        "redrive it to crm-push's queue",
        "LeadCreated",
        "discard it (recorded)",
    ] {
        assert!(request.contains(fact), "{fact}: {request}");
    }
    assert_eq!(l.failures[0].class, classify::FailureClass::Permanent);
    assert!(matches!(l.state, LetterState::AwaitingDecision { .. }));
    assert_eq!(
        t.query_index(Domain::Performance, letters::AWAITING).len(),
        1
    );

    // The person fixes the cause, then approves: redriven, handled.
    crm.lock().unwrap().refuses = false;
    t.decide_from_mail(
        OPS_LEAD,
        Decision::Approve,
        Some("company size fixed in the CRM"),
    )
    .unwrap();
    assert!(pushed(&t, "L000124"));
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    let l = letter(&t, &e);
    assert!(matches!(l.state, LetterState::Redriven { ref by, .. } if by == OPS_LEAD));
    assert!(
        t.query_index(Domain::Performance, letters::AWAITING)
            .is_empty()
    );
    let audit = t.runtime.store().audit_records().unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.entry.action == "dlq.redrive" && r.entry.actor == NAME),
        "the redrive is audited as Process Automation's"
    );
}

#[test]
fn given_a_refused_lead_when_the_person_rejects_then_it_is_discarded_with_a_record() {
    let (t, _crm) = given(Crm {
        timeouts_left: 0,
        refuses: true,
    });
    let e = t.emit("ascent.crm", lead("L000125"));
    t.decide_from_mail(
        OPS_LEAD,
        Decision::Reject,
        Some("test lead, not a customer"),
    )
    .unwrap();
    assert!(!pushed(&t, "L000125"));
    assert!(t.runtime.dead_letters().unwrap().is_empty());
    let l = letter(&t, &e);
    assert!(matches!(l.state, LetterState::Discarded { ref by, .. } if by == OPS_LEAD));
}

#[test]
fn given_a_crm_that_never_answers_when_the_retries_are_spent_then_it_is_poison_for_a_person() {
    let (t, _crm) = given(Crm {
        timeouts_left: u32::MAX,
        refuses: false,
    });
    let e = t.emit("ascent.crm", lead("L000126"));
    // Redriven after 30, 60 and 120 minutes (the first hourly runs after), each time failing
    // three receives again.
    for hour in ["10", "12", "15"] {
        t.tick("hourly", at(&format!("2026-03-02T{hour}:00:00Z")));
    }
    let l = letter(&t, &e);
    assert_eq!(l.redrives, 3);
    let classes: Vec<_> = l.failures.iter().map(|f| f.class).collect();
    use classify::FailureClass::{Poison, Transient};
    assert_eq!(classes, [Transient, Transient, Transient, Poison]);
    assert!(matches!(l.state, LetterState::AwaitingDecision { .. }));
    assert_eq!(approval_mails(&t).len(), 1);
}

#[test]
fn given_a_day_of_failures_when_the_daily_run_comes_then_operations_get_the_rates_per_agent() {
    let (t, crm) = given(Crm {
        timeouts_left: 3,
        refuses: false,
    });
    t.emit("ascent.crm", lead("L000127"));
    crm.lock().unwrap().refuses = true;
    t.emit("ascent.crm", lead("L000128"));
    t.tick("hourly", at("2026-03-02T10:00:00Z")); // the transient one redriven, refused now
    t.tick("daily", at("2026-03-03T06:00:00Z"));
    let mail = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .find(|m| m.to == "operations@ascent-xr.example")
        .expect("the daily report");
    // On 03-02: 1 transient, 1 permanent, then the redriven one failed again (poison); one
    // redrive. Over 7 days: 3 dead letters, 0.43 a day.
    assert_eq!(
        mail.subject,
        "Dead letters on 2026-03-02: 3 across 1 agent(s)"
    );
    assert!(
        mail.text.contains("crm-push                         3         1         1      1        1         0     0.43"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("Waiting for a decision: 2"),
        "{}",
        mail.text
    );
    assert!(
        t.get(Domain::Performance, "dlq#report#2026-03-02", "report")
            .is_some()
    );
    // The run repeated (a redelivered tick) mails nothing more.
    t.tick("daily", at("2026-03-03T06:00:00Z"));
    let reports = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == "operations@ascent-xr.example")
        .count();
    assert_eq!(reports, 1);
}

fn notice(agent: &str, event_id: &str) -> MessageDeadLettered {
    MessageDeadLettered {
        agent: agent.into(),
        queue: "priority".into(),
        event_id: event_id.into(),
        detail_type: "DealWon".into(),
        reason: "invalid input: deal D00042 has no line items".into(),
        receive_count: 1,
        first_received_at: at("2026-03-02T08:59:58Z"),
        dead_lettered_at: at("2026-03-02T09:00:00Z"),
        correlation_id: None,
    }
}

#[test]
fn given_the_same_failure_announced_twice_when_handled_then_one_person_is_asked_once() {
    let (t, _crm) = given(Crm::default());
    t.emit("ascent.system", notice("billing", "e-42"));
    t.emit("ascent.system", notice("billing", "e-42"));
    let asked = t
        .runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Approval needed"))
        .count();
    assert_eq!(asked, 1);
    let l: Letter = serde_json::from_value(
        t.get(Domain::Performance, "dlq#billing#e-42", "letter")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(l.failures.len(), 1);
}

#[test]
fn given_a_notice_without_an_agent_when_handled_then_it_is_dead_lettered_naming_the_field_without_a_loop()
 {
    let (t, _crm) = given(Crm::default());
    t.emit("ascent.system", notice("", "e-43"));
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].agent, NAME);
    assert!(
        dead[0].reason.contains("`payload.agent`"),
        "{}",
        dead[0].reason
    );
    // Its own dead letter is not announced again.
    assert_eq!(t.emitted("MessageDeadLettered").len(), 1);
}

#[test]
fn given_an_intervention_nobody_decides_when_it_expires_then_the_letter_stays_in_the_queue() {
    let (t, _crm) = given(Crm {
        timeouts_left: 0,
        refuses: true,
    });
    let e = t.emit("ascent.crm", lead("L000129"));
    // 48 hours each for the operations lead, then the COO; then it expires.
    for hours in [49, 98] {
        t.clock
            .set(at("2026-03-02T09:00:00Z") + chrono::Duration::hours(hours));
        t.runtime.tick_approvals().unwrap();
        t.drain();
    }
    let l = letter(&t, &e);
    assert!(
        matches!(l.state, LetterState::Undecided { .. }),
        "{:?}",
        l.state
    );
    assert_eq!(
        t.runtime.dead_letters().unwrap().len(),
        1,
        "left for `ascent dlq`"
    );
    assert!(
        t.query_index(Domain::Performance, letters::AWAITING)
            .is_empty()
    );
}
