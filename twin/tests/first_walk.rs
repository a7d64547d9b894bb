//! The README's first walk, run as written: the real `ascent up` binary on a temporary folder
//! and a free port, then each command of the walk in the order the README gives them (with only
//! `--data-dir` and `--port` substituted), the approval page opened and its Approve button
//! pressed as a browser would, and every figure the walk quotes checked in what the commands
//! show.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const README: &str = include_str!("../../README.md");

/// The walk's commands, in order, exactly as the README writes them.
const START: &str = "cargo run --release -- up";
const EMIT_PROPOSAL: &str =
    "cargo run --release -- emit events/scenarios/lead-to-cash-1-proposal.json";
const APPROVE_LINK: &str =
    "grep -h '^Approve:' $(grep -l '^Subject: Approval needed' .ascent/outbox/*.eml)";
const EMIT_WON: &str =
    "cargo run --release -- emit events/scenarios/lead-to-cash-2-won-and-paid.json";
const STATUS: &str = "curl -s localhost:8787/status";
const INVOICE: &str = "grep -h '^Subject: Invoice' .ascent/outbox/*.eml";
const VERIFY: &str = "cargo run --release -- audit verify";

/// What the walk quotes, as the reader sees it.
const HOT_LEAD: &str = "New hot lead L000123 (score 88)";
const APPROVAL_SUBJECT: &str = "Approval needed: 20% discount on deal D00042";
/// As the page writes it for the director (en-US), spaces squashed.
const PROPOSAL_TOTAL: &str = "USD 42,400.00";
/// The customer as the page names it (the CRM's account name and id).
const CUSTOMER: &str = "Boreal Aero (A00042)";
const PROPOSAL_OUT: &str = "for deal D00042 is out";
const INVOICE_SUBJECT: &str =
    "Subject: Invoice inv-D00042 from Ascent XR: 42400.00 USD due 2026-04-04";
const PAID: &str = "\"detail_type\":\"InvoicePaid\"";
const INTACT: &str = "audit chain intact: ";

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The walk section of the README.
fn walk() -> &'static str {
    let start = README
        .find("### A first walk through lead to cash")
        .expect("the README has its first walk");
    let rest = &README[start..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The lines of the `sh` code blocks of `text`.
fn sh_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        match (inside, line.trim()) {
            (false, "```sh") => inside = true,
            (true, "```") => inside = false,
            (true, l) if !l.is_empty() => out.push(l.to_string()),
            _ => {}
        }
    }
    out
}

struct Walk {
    root: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    log: PathBuf,
    twin: Child,
}

impl Drop for Walk {
    fn drop(&mut self) {
        let _ = self.twin.kill();
        let _ = self.twin.wait();
    }
}

impl Walk {
    /// `cargo run --release -- up`, as the binary on a temporary folder and a free port.
    fn start() -> Walk {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("up.log");
        let twin = Command::new(env!("CARGO_BIN_EXE_ascent"))
            .args(["--data-dir", dir.path().to_str().unwrap()])
            .args(["--port", &port.to_string(), "up"])
            .current_dir(&root)
            .env_remove("RUST_LOG")
            .env_remove("ASCENT_EVENTS_TOKEN")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let walk = Walk {
            root,
            dir,
            port,
            log,
            twin,
        };
        walk.until("the twin answers /health", || {
            ureq::get(&walk.url("/health")).call().is_ok().then_some(())
        });
        walk
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn data_dir(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    /// A README command as this walk runs it: the binary for `cargo run --release --`, with the
    /// temporary folder and port; the folder for `.ascent/`; the port for `localhost:8787`.
    fn substitute(&self, command: &str) -> String {
        command
            .replace(
                "cargo run --release --",
                &format!(
                    "'{}' --data-dir '{}' --port {}",
                    env!("CARGO_BIN_EXE_ascent"),
                    self.data_dir(),
                    self.port
                ),
            )
            .replace(".ascent/", &format!("{}/", self.data_dir()))
            .replace("localhost:8787", &format!("localhost:{}", self.port))
    }

    /// Runs a README command with `sh` from the repo root; its output, or `None` if it failed.
    fn try_run(&self, command: &str) -> Option<String> {
        let out = Command::new("sh")
            .args(["-c", &self.substitute(command)])
            .current_dir(&self.root)
            .env_remove("ASCENT_EVENTS_TOKEN")
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }

    fn run(&self, command: &str) -> String {
        self.try_run(command)
            .unwrap_or_else(|| panic!("`{command}` failed"))
    }

    fn until<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited 30 s for {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn status(&self) -> Value {
        ureq::get(&self.url("/status"))
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    }

    /// Waits until no agent has a message waiting or in flight.
    fn idle(&self) -> Value {
        self.until("the queues to drain", || {
            let s = self.status();
            let busy =
                s["agents"].as_array().unwrap().iter().any(|a| {
                    a["visible"].as_u64() != Some(0) || a["in_flight"].as_u64() != Some(0)
                });
            (!busy).then_some(s)
        })
    }

    /// The subjects of the mails in the outbox.
    fn subjects(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.path().join("outbox"))
            .into_iter()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .filter_map(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("Subject: ").map(|s| s.trim().to_string()))
            })
            .collect()
    }

    fn mail_with(&self, subject: &str) {
        self.until(&format!("a mail `{subject}`"), || {
            self.subjects()
                .iter()
                .any(|s| s.contains(subject))
                .then_some(())
        })
    }
}

fn accepted(output: &str, n: usize) {
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), n, "{output}");
    assert!(lines.iter().all(|l| l.contains(": accepted ")), "{output}");
}

#[test]
fn the_readme_walks_its_commands_and_quotes_what_they_show() {
    // The README gives exactly these commands, in this order, and quotes these figures.
    assert!(sh_lines(README).iter().any(|l| l.starts_with(START)));
    assert_eq!(
        sh_lines(walk()),
        [
            EMIT_PROPOSAL,
            APPROVE_LINK,
            EMIT_WON,
            STATUS,
            INVOICE,
            VERIFY
        ],
        "the README's first walk changed: update this test with it"
    );
    let prose = squash(walk());
    for quoted in [
        HOT_LEAD,
        APPROVAL_SUBJECT,
        PROPOSAL_TOTAL,
        CUSTOMER,
        "Approval needed",
        PROPOSAL_OUT,
        "\"dead_letters\":0",
        "\"pending_approvals\":[]",
        INVOICE_SUBJECT,
        PAID,
        INTACT,
    ] {
        assert!(
            prose.contains(quoted),
            "the walk no longer quotes `{quoted}`"
        );
    }

    let walk = Walk::start();

    // The first part of the story: five events accepted.
    accepted(&walk.run(EMIT_PROPOSAL), 5);
    walk.mail_with(HOT_LEAD);
    walk.mail_with("Approval needed");
    let s = walk.idle();
    assert_eq!(s["pending_approvals"].as_array().unwrap().len(), 1, "{s}");
    assert!(walk.subjects().iter().any(|s| s == APPROVAL_SUBJECT));

    // The approve link of the mail whose subject starts `Approval needed`.
    let output = walk.run(APPROVE_LINK);
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 1, "{output}");
    let link = lines[0]
        .strip_prefix("Approve:")
        .unwrap()
        .trim()
        .to_string();
    assert!(link.starts_with(&walk.url("/approvals/apr-")), "{link}");

    // Opened in a browser: the request and two buttons, nothing decided.
    let html = ureq::get(&link)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(squash(&html).contains(PROPOSAL_TOTAL), "{html}");
    assert!(html.contains(&format!("<td>{CUSTOMER}</td>")), "{html}");
    assert!(html.contains("a competitor offers 25% off"), "{html}");
    assert!(html.contains("20% discount on deal D00042"), "{html}");
    assert!(html.contains("value=\"approve\"") && html.contains("value=\"reject\""));
    assert_eq!(
        walk.status()["pending_approvals"].as_array().unwrap().len(),
        1
    );

    // Approve pressed: the page's form posts its hidden token and the button's value.
    let action = html
        .split("<form method=\"post\" action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page has the decision form")
        .to_string();
    let token = html
        .split("name=\"t\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form carries the link's token")
        .to_string();
    let mut answer = ureq::post(&walk.url(&action))
        .send_form([
            ("t", token.as_str()),
            ("decision", "approve"),
            ("comment", ""),
        ])
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let decided = answer.body_mut().read_to_string().unwrap();
    assert!(decided.contains("Your decision is recorded"), "{decided}");
    walk.mail_with(PROPOSAL_OUT);
    walk.idle();

    // Won and paid.
    accepted(&walk.run(EMIT_WON), 2);
    walk.mail_with("Invoice inv-D00042");
    walk.idle();
    let raw = walk.run(STATUS);
    assert!(raw.contains("\"dead_letters\":0"), "{raw}");
    assert!(raw.contains("\"pending_approvals\":[]"), "{raw}");
    let status: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(status["dead_letters"], 0, "{status}");
    assert_eq!(
        status["pending_approvals"],
        serde_json::json!([]),
        "{status}"
    );
    assert!(
        status["agents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| { a["visible"] == 0 && a["in_flight"] == 0 && a["dead_lettered"] == 0 })
    );

    let invoices = walk.run(INVOICE);
    assert_eq!(
        invoices.lines().map(str::trim).collect::<Vec<_>>(),
        [INVOICE_SUBJECT],
        "{invoices}"
    );
    walk.until("the `up` log to show InvoicePaid handled", || {
        std::fs::read_to_string(&walk.log)
            .ok()
            .filter(|log| log.contains(PAID))
    });

    let verified = walk.run(VERIFY);
    assert!(verified.starts_with(INTACT), "{verified}");
    assert!(
        verified.trim_end().ends_with("record(s) verified"),
        "{verified}"
    );
}
