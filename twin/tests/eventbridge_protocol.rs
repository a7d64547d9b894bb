//! An unmodified AWS SDK puts events to the twin: boto3, from the test command's venv
//! (`bash tools/test` installs it), pointed at a running twin with `endpoint_url` and with
//! `AWS_ENDPOINT_URL_EVENTBRIDGE`. Good entries are accepted and routed; bad ones are reported
//! entry by entry.

use ascent::server::ServerOptions;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

mod support;
use support::Twin;

impl Twin {
    /// `lead-generation`'s counts in `GET /status`: queued, in flight and handled.
    fn lead_generation(&self) -> u64 {
        let status: Value = ureq::get(&format!("{}/status", self.url()))
            .call()
            .unwrap()
            .into_body()
            .read_json()
            .unwrap();
        let lg = status["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agent"] == "lead-generation")
            .unwrap()
            .clone();
        ["visible", "in_flight", "handled"]
            .iter()
            .map(|k| lg[k].as_u64().unwrap_or(0))
            .sum()
    }
}

/// boto3's PutEvents; the spec (JSON, first argument) says where and how.
const SCRIPT: &str = r#"
import json, sys
import boto3, botocore.exceptions
spec = json.loads(sys.argv[1])
args = {"region_name": "us-east-1", "aws_access_key_id": spec["key"],
        "aws_secret_access_key": "not-checked-by-the-twin"}
if spec.get("token"):
    args["aws_session_token"] = spec["token"]
if spec.get("endpoint_url"):
    args["endpoint_url"] = spec["endpoint_url"]
client = boto3.client("events", **args)
try:
    answer = client.put_events(Entries=spec["entries"])
    answer.pop("ResponseMetadata", None)
except botocore.exceptions.ClientError as e:
    answer = {"error": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
              "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
print(json.dumps(answer))
"#;

fn venv_python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `bash tools/test` once, which makes the venv and installs boto3 in it",
        python.display()
    );
    python
}

/// Runs the boto3 script with `spec`; with `env_endpoint`, the twin's address comes from
/// `AWS_ENDPOINT_URL_EVENTBRIDGE` instead of `endpoint_url`.
fn boto3(twin: &Twin, mut spec: Value, env_endpoint: bool) -> Value {
    let mut cmd = Command::new(venv_python());
    if env_endpoint {
        cmd.env("AWS_ENDPOINT_URL_EVENTBRIDGE", twin.url());
    } else {
        cmd.env_remove("AWS_ENDPOINT_URL_EVENTBRIDGE");
        spec["endpoint_url"] = json!(twin.url());
    }
    // Nothing of the machine's AWS configuration: no profile, no other endpoint.
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("AWS_CONFIG_FILE", twin.dir.path().join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            twin.dir.path().join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .arg("-c")
        .arg(SCRIPT)
        .arg(spec.to_string())
        .output()
        .expect("running the venv's python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3 failed ({}); if boto3 is missing, run `bash tools/test` once\n{stdout}\n{stderr}",
        out.status
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("boto3's answer is not JSON ({e}): {stdout}\n{stderr}"))
}

/// A `LeadCreated` entry as boto3 takes it (`Detail` a JSON string), `company_size` as given.
fn lead(company_size: i64) -> Value {
    let detail = json!({
        "version": 1, "event_id": uuid::Uuid::new_v4(), "correlation_id": uuid::Uuid::new_v4(),
        "actor": {"kind": "system", "id": "crm"},
        "payload": {"lead_id": "L1", "email": "ada@example.com", "full_name": "Ada Byron",
                    "company": "Engines", "company_size": company_size, "industry": "retail",
                    "role": "CTO", "channel": "web"}
    });
    json!({"Source": "ascent.crm", "DetailType": "LeadCreated", "Detail": detail.to_string(),
           "EventBusName": "ascent-dev", "Resources": []})
}

/// Waits until `lead-generation` has `n` deliveries (queued or handled).
fn wait_for_deliveries(twin: &Twin, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while twin.lead_generation() < n {
        assert!(
            Instant::now() < deadline,
            "lead-generation got {} of {n} deliveries",
            twin.lead_generation()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn boto3_puts_events_good_ones_routed_bad_ones_reported_each() {
    let twin = Twin::start(ServerOptions::default());
    for (i, env_endpoint) in [false, true].into_iter().enumerate() {
        let spec = json!({"key": "ascent.crm", "entries": [lead(10), lead(-5)]});
        let answer = boto3(&twin, spec, env_endpoint);
        assert_eq!(answer["FailedEntryCount"], 1, "{answer}");
        let entries = answer["Entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{answer}");
        assert!(entries[0]["EventId"].is_string(), "{answer}");
        assert_eq!(entries[1]["ErrorCode"], "InvalidArgument", "{answer}");
        let message = entries[1]["ErrorMessage"].as_str().unwrap();
        assert!(message.contains("detail.payload.company_size"), "{message}");
        // The accepted one reaches its subscriber.
        wait_for_deliveries(&twin, i as u64 + 1);
    }
    // The caller signing as the CRM speaks for the CRM only; an entry under a reserved source
    // is refused whoever signs.
    let mut web = lead(10);
    web["Source"] = json!("ascent.web");
    let mut agent = lead(10);
    agent["Source"] = json!("ascent.agent.closing");
    let answer = boto3(
        &twin,
        json!({"key": "ascent.crm", "entries": [web.clone(), agent.clone()]}),
        false,
    );
    assert_eq!(answer["FailedEntryCount"], 2, "{answer}");
    assert_eq!(
        answer["Entries"][0]["ErrorCode"], "NotAuthorizedForSourceException",
        "{answer}"
    );
    let answer = boto3(&twin, json!({"key": "test", "entries": [agent]}), false);
    assert_eq!(answer["FailedEntryCount"], 1, "{answer}");
    assert!(
        answer["Entries"][0]["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("reserved for the platform"),
        "{answer}"
    );
    // Eleven entries: the whole call is refused, as EventBridge refuses it.
    let eleven: Vec<Value> = (0..11).map(|_| lead(10)).collect();
    let answer = boto3(&twin, json!({"key": "test", "entries": eleven}), false);
    assert_eq!(answer["error"], "ValidationException", "{answer}");
    assert_eq!(answer["status"], 400, "{answer}");
}

#[test]
fn with_an_events_token_boto3_gives_it_as_its_session_token() {
    let token = "a-token-of-at-least-32-characters-0123456789";
    let twin = Twin::start(ServerOptions {
        events_token: Some(token.into()),
        ..ServerOptions::default()
    });
    let answer = boto3(
        &twin,
        json!({"key": "ascent.crm", "entries": [lead(10)]}),
        true,
    );
    assert_eq!(answer["error"], "UnrecognizedClientException", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("AWS_SESSION_TOKEN"),
        "{answer}"
    );
    let answer = boto3(
        &twin,
        json!({"key": "ascent.crm", "token": "not-the-token", "entries": [lead(10)]}),
        true,
    );
    assert_eq!(answer["error"], "UnrecognizedClientException", "{answer}");
    let answer = boto3(
        &twin,
        json!({"key": "ascent.crm", "token": token, "entries": [lead(10)]}),
        true,
    );
    assert_eq!(answer["FailedEntryCount"], 0, "{answer}");
    wait_for_deliveries(&twin, 1);
}
