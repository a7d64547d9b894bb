//! The `ascent` binary run as an operator would: read-only commands on a folder without a twin,
//! `ascent status`, and the events token of a twin listening beyond loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn ascent(data_dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascent"));
    c.arg("--data-dir").arg(data_dir).args(args);
    c.env_remove("ASCENT_DATA_DIR")
        .env_remove("ASCENT_EVENTS_TOKEN")
        .env_remove("ASCENT_HOST")
        .env_remove("ASCENT_PORT")
        .env_remove("ASCENT_LINK_KEY");
    c
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).to_string()
}

/// Runs `c`, killing it if it has not ended within `within`.
fn run_within(mut c: Command, within: Duration) -> Output {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > within {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {within:?}: {}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn read_only_commands_refuse_a_folder_that_holds_no_twin() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("mistyped");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for args in [
        &["audit", "verify"][..],
        &["dlq", "list"],
        &["dlq", "redrive"],
        &["status"],
    ] {
        for dir in [&missing, &empty] {
            let out = run_within(ascent(dir, args), Duration::from_secs(30));
            let err = text(&out.stderr);
            assert!(
                !out.status.success(),
                "{args:?} on {}: {}",
                dir.display(),
                text(&out.stdout)
            );
            assert!(
                err.contains(&format!("no twin at {}", dir.display())) && err.contains("ascent up"),
                "{args:?}: {err}"
            );
        }
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
        let left: Vec<_> = std::fs::read_dir(&empty).unwrap().collect();
        assert!(
            left.is_empty(),
            "{args:?} wrote into the empty folder: {left:?}"
        );
    }
}

#[test]
fn status_prints_what_get_status_answers_without_a_server() {
    let tmp = tempfile::tempdir().unwrap();
    let settings = ascent::settings::Settings::new(tmp.path(), 0);
    drop(ascent::open(&settings).unwrap());
    let out = run_within(ascent(tmp.path(), &["status"]), Duration::from_secs(30));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["agent"] == "lead-generation"),
        "{v}"
    );
}

#[test]
fn up_refuses_an_events_token_shorter_than_32_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = ascent(tmp.path(), &["up", "--port", "0"]);
    c.env("ASCENT_EVENTS_TOKEN", "too-short");
    let out = run_within(c, Duration::from_secs(30));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("32 characters"),
        "{}",
        text(&out.stderr)
    );
}

/// A running `ascent up`, killed when dropped.
struct Up(Child);

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn up_beyond_loopback_creates_a_private_token_and_emit_sends_it() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let mut up = Up(
        ascent(tmp.path(), &["up", "--host", "0.0.0.0", "--port", &port])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let token_file = tmp.path().join("events.token");
    let mut said_where = false;
    let mut lines = BufReader::new(up.0.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        said_where |= line.contains(&token_file.display().to_string());
        if line.starts_with("Ctrl-C stops it") {
            break;
        }
    }
    // Keep reading the twin's logs so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(said_where, "`ascent up` does not say where the token is");
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(token.trim().len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let url = format!("http://127.0.0.1:{port}/events");
    let event = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/LeadCreated.json"),
    )
    .unwrap();
    let started = Instant::now();
    let res = loop {
        match ureq::post(&url)
            .config()
            .http_status_as_error(false)
            .build()
            .content_type("application/json")
            .send(event.as_str())
        {
            Ok(res) => break res,
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(res.status().as_u16(), 401);

    let emitted = run_within(
        {
            let mut c = ascent(tmp.path(), &["emit", "--port", &port]);
            c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/LeadCreated.json"));
            c
        },
        Duration::from_secs(30),
    );
    assert!(
        emitted.status.success(),
        "{}{}",
        text(&emitted.stdout),
        text(&emitted.stderr)
    );
    assert!(
        text(&emitted.stdout).contains("accepted"),
        "{}",
        text(&emitted.stdout)
    );
    drop(up);
}
