//! docs/privacy.md `## Retention`: the table of every kind of record, its agent and prefix, its
//! setting, default and source, generated from the agents' declarations and the shipped
//! `[data_retention]` between its own markers (`ASCENT_UPDATE_DOCS=1 cargo test -p ascent docs`
//! rewrites it); and every retention an agent declares names a setting that exists.

use ascent_core::privacy::Retention;
use ascent_core::retention::{self, DataRetention};
use std::fmt::Write;

const BEGIN: &str = "<!-- generated retention: begin (ASCENT_UPDATE_DOCS=1 cargo test -p ascent docs rewrites it) -->";
const END: &str = "<!-- generated retention: end -->";

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Setting, default and source of a retention.
fn columns(r: Retention, s: &DataRetention) -> (String, String, String) {
    match r {
        Retention::Relationship => (
            "relationship".into(),
            "while the customer relationship lasts".into(),
            "GDPR art. 6(1)(b); erased on request (art. 17)".into(),
        ),
        Retention::Days(k) => (
            format!("`{k}`"),
            format!("{} days", s.days(k).unwrap_or_default()),
            retention::source(k).unwrap_or("—").into(),
        ),
        Retention::Legal(k) => (
            format!("`{k}`"),
            format!("{} years", s.years(k).unwrap_or_default()),
            retention::source(k).unwrap_or("—").into(),
        ),
        Retention::Agent(k) => (
            format!("`{k}`"),
            "the agent's setting".into(),
            "the record's own expiry, set by the agent".into(),
        ),
    }
}

/// The generated table.
fn block() -> String {
    let s = DataRetention::default();
    let mut out = String::from(
        "| Kind of record | Agent / prefix | Setting | Default | Source |\n| --- | --- | --- | --- | --- |\n",
    );
    for d in ascent::agents::declarations() {
        for o in &d.owns {
            let Some(p) = o.personal else { continue };
            let (setting, default, source) = columns(p.retention, &s);
            writeln!(
                out,
                "| {} | `{}` {} `{}` | {setting} | {default} | {} |",
                cell(p.purpose),
                d.name,
                o.domain.as_str(),
                o.prefix,
                cell(&source)
            )
            .unwrap();
        }
    }
    let platform = [
        (
            "Idempotency records (which agent handled which event)",
            "platform: the twin's `handled` table, the idempotency table on AWS",
            "idempotency_days",
        ),
        (
            "Approval requests, after their decision or deadline",
            "platform: approvals `approval#`",
            "approvals_days",
        ),
        (
            "Dead letters (the twin's sweep; the dead-letter queues' `MessageRetentionPeriod` on AWS)",
            "platform: every agent's dead-letter queue",
            "dead_letters_days",
        ),
    ];
    for (kind, whose, setting) in platform {
        let (setting, default, source) = columns(Retention::Days(setting), &s);
        writeln!(
            out,
            "| {kind} | {whose} | {setting} | {default} | {} |",
            cell(&source)
        )
        .unwrap();
    }
    out
}

#[test]
fn docs_privacy_retention_table_is_what_the_declarations_produce() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/privacy.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    let update = std::env::var("ASCENT_UPDATE_DOCS").is_ok_and(|v| v == "1");
    let want = match (have.find(BEGIN), have.find(END)) {
        (Some(b), Some(e)) => format!(
            "{}\n\n{}\n{}",
            &have[..b + BEGIN.len()],
            block(),
            &have[e..]
        ),
        _ => {
            assert!(
                update,
                "docs/privacy.md has no retention table ({BEGIN} … {END})"
            );
            have.clone()
        }
    };
    if update && have != want {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    assert!(
        have == want,
        "docs/privacy.md's retention table is stale: run ASCENT_UPDATE_DOCS=1 cargo test -p ascent docs"
    );
}

#[test]
fn every_declared_retention_names_a_setting_of_data_retention() {
    let s = DataRetention::default();
    for d in ascent::agents::declarations() {
        for o in &d.owns {
            let Some(p) = o.personal else { continue };
            let known = match p.retention {
                Retention::Relationship => true,
                Retention::Days(k) => s.days(k).is_some(),
                Retention::Legal(k) => s.years(k).is_some(),
                Retention::Agent(k) => k.contains('.'),
            };
            assert!(
                known,
                "{} {}: {:?} is no [data_retention] setting",
                d.name, o.prefix, p.retention
            );
        }
    }
}
