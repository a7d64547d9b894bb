//! Retention decisions: which expiry a put gets, and which settings are refused.

use super::*;
use crate::agent::{Department, QueueClass, owns};
use crate::ports::{Condition, Item, JsonItem};
use crate::privacy::Personal;
use serde_json::json;

fn t0() -> DateTime<Utc> {
    "2026-03-02T06:00:00Z".parse().unwrap()
}

fn days(n: i64) -> i64 {
    (t0() + Duration::days(n)).timestamp()
}

fn decl() -> AgentDecl {
    AgentDecl {
        name: "leads",
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![],
        reads: vec![Domain::Customer],
        owns: vec![
            owns(Domain::Customer, "lead#").holding(Personal::deleted(
                &["email"],
                &["email"],
                "Qualify the lead",
                Retention::Days("unconverted_leads_days"),
            )),
            owns(Domain::Customer, "customer#").holding(Personal::deleted(
                &["email"],
                &["email"],
                "Serve the customer",
                Retention::Relationship,
            )),
            owns(Domain::Financial, "invoice#").holding(Personal::pseudonymised(
                &["email"],
                &[],
                "Bill",
                Retention::Legal("tax_records_years"),
            )),
            owns(Domain::Customer, "model#"),
        ],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }
}

fn put(domain: Domain, pk: &str) -> Write {
    Write::Put {
        domain,
        item: Item::new(pk, "profile", json!({})),
        condition: Condition::Always,
    }
}

fn expiry(w: &Write) -> Option<i64> {
    match w {
        Write::Put { item, .. } => item.expires_at,
        Write::PutJson { item, .. } => item.expires_at,
        Write::Delete { .. } => None,
    }
}

fn settings() -> DataRetention {
    DataRetention::default()
}

#[test]
fn a_put_under_a_days_prefix_expires_its_setting_s_days_later() {
    // Given a put of a lead record, one as JSON text, and records of other retentions
    let mut effects = Effects {
        writes: vec![
            put(Domain::Customer, "lead#1"),
            Write::PutJson {
                domain: Domain::Customer,
                item: JsonItem::of("lead#2", "profile", &json!({})).unwrap(),
                condition: Condition::Always,
            },
            put(Domain::Customer, "customer#1"),
            put(Domain::Financial, "invoice#1"),
            put(Domain::Customer, "model#lead-score"),
        ],
        ..Effects::default()
    };
    // When the engine stamps them
    stamp(&mut effects, &decl(), &settings(), t0());
    // Then only the leads expire, `unconverted_leads_days` from now
    let got: Vec<_> = effects.writes.iter().map(expiry).collect();
    let d = i64::from(settings().unconverted_leads_days);
    assert_eq!(got, [Some(days(d)), Some(days(d)), None, None, None]);
}

#[test]
fn an_expiry_the_handler_chose_is_kept_and_a_kept_partition_never_expires() {
    let mut effects = Effects {
        writes: vec![
            Write::Put {
                domain: Domain::Customer,
                item: Item::new("lead#1", "claim", json!({})).expiring_at(days(3)),
                condition: Condition::Always,
            },
            put(Domain::Customer, "lead#2"),
            put(Domain::Customer, "lead#3"),
        ],
        kept: vec![(Domain::Customer, "lead#2".into())],
        ..Effects::default()
    };
    stamp(&mut effects, &decl(), &settings(), t0());
    let got: Vec<_> = effects.writes.iter().map(expiry).collect();
    let d = i64::from(settings().unconverted_leads_days);
    assert_eq!(got, [Some(days(3)), Some(KEPT_UNTIL), Some(days(d))]);
}

#[test]
fn the_shipped_retention_is_valid_and_every_days_setting_is_named() {
    let s = settings();
    assert_eq!(s.dead_letters_days, 14);
    assert_eq!(s.dead_letter_seconds(), 1_209_600);
    for name in [
        "unconverted_leads_days",
        "interactions_days",
        "closed_tickets_days",
        "approvals_days",
        "idempotency_days",
        "dead_letters_days",
        "marketing_profiles_days",
        "candidates_days",
    ] {
        assert!(s.days(name).is_some_and(|d| d > 0), "{name}");
    }
    assert_eq!(s.years("tax_records_years"), Some(s.tax_records_years));
    assert_eq!(s.days("tax_records_years"), None);
}

fn with(key: &str, value: &str) -> Result<DataRetention, ConfigError> {
    let shipped = ConfigFile::shipped().text().to_string();
    let start = shipped
        .find(&format!("\n{key} = "))
        .expect("the key is shipped")
        + 1;
    let end = start + shipped[start..].find('\n').unwrap();
    let text = format!("{}{key} = {value}{}", &shipped[..start], &shipped[end..]);
    DataRetention::from_file(&ConfigFile::parse("x.toml", text)?)
}

#[test]
fn zero_or_absurd_retentions_are_refused_naming_the_setting_and_its_line() {
    for (key, value, why) in [
        ("unconverted_leads_days", "0", "from 1 to 3660"),
        ("interactions_days", "40000", "from 1 to 3660"),
        (
            "dead_letters_days",
            "15",
            "SQS keeps a message at most 14 days",
        ),
        ("dead_letters_days", "0", "SQS"),
        ("idempotency_days", "7", "at least dead_letters_days"),
        ("tax_records_years", "0", "10 in Germany"),
        ("tax_records_years", "100", "from 1 to 30"),
    ] {
        let e = with(key, value).unwrap_err();
        assert_eq!(e.path, format!("data_retention.{key}"), "{e}");
        assert!(e.line.is_some() && e.message.contains(why), "{e}");
    }
    assert_eq!(with("dead_letters_days", "7").unwrap().dead_letters_days, 7);
}

#[test]
fn a_file_without_the_section_keeps_the_shipped_retention() {
    let f = ConfigFile::parse("host.toml", "[mail]\nfrom = \"a@b.example\"\n").unwrap();
    assert_eq!(DataRetention::from_file(&f).unwrap(), settings());
}

#[test]
fn a_closed_approval_goes_its_days_after_the_decision_or_deadline() {
    let mut a: Approval = serde_json::from_value(json!({
        "id": "apr-1",
        "draft": {"kind": "discount", "subject": "deal-1", "summary": "s", "amount": null,
            "requester": "r@x.example", "approver_role": "sales-director", "reason": "r",
            "facts": {}},
        "agent": "closing", "chain": ["x@y.example"], "step": 0,
        "step_deadline": t0(), "status": "pending", "created_at": t0(),
        "decided_by": null, "decided_at": null, "comment": null,
        "correlation_id": "00000000-0000-0000-0000-000000000000"
    }))
    .unwrap();
    let s = settings();
    let d = i64::from(s.approvals_days);
    assert_eq!(approval_expiry(&a, &s), None, "pending: kept");
    a.status = ApprovalStatus::Expired;
    assert_eq!(approval_expiry(&a, &s), Some(days(d)));
    a.status = ApprovalStatus::Approved;
    a.decided_at = Some(t0() + Duration::days(1));
    assert_eq!(approval_expiry(&a, &s), Some(days(d + 1)));
}

#[test]
fn docs_configuration_describes_every_retention_setting() {
    const PAGE: &str = include_str!("../../../../docs/configuration.md");
    let start = PAGE
        .find("### `[data_retention]`")
        .expect("the section is described");
    let section = &PAGE[start..];
    let section = &section[..section[4..].find("\n##").map_or(section.len(), |e| e + 4)];
    for line in ConfigFile::shipped().setting_lines(SECTION) {
        let key = line.split(" = ").next().unwrap();
        assert!(section.contains(&format!("| `{key}` |")), "{key}");
    }
}
