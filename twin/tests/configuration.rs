//! `ascent --config FILE` (and `ASCENT_CONFIG`) as an operator uses it: a policy change seen
//! in a simulation before it is deployed, and a wrong setting refused with its key and line
//! before anything runs.

use ascent_core::config::SHIPPED;
use std::path::Path;
use std::process::{Command, Output};

fn ascent(data_dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascent"));
    c.arg("--data-dir").arg(data_dir).args(args);
    c.env_remove("ASCENT_DATA_DIR")
        .env_remove("ASCENT_CONFIG")
        .env_remove("ASCENT_LINK_KEY");
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Writes the shipped file with one setting changed.
fn edited(dir: &Path, name: &str, replace: &str, by: &str) -> std::path::PathBuf {
    assert!(
        SHIPPED.contains(replace),
        "the shipped file has `{replace}`"
    );
    let path = dir.join(name);
    std::fs::write(&path, SHIPPED.replacen(replace, by, 1)).unwrap();
    path
}

/// `N` in the report's "approvals: N requested" line.
fn approvals_requested(report: &str) -> u64 {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with("approvals:"))
        .unwrap_or_else(|| panic!("no approvals line in {report}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn simulate(data_dir: &Path, config: &Path) -> String {
    let out = ascent(
        data_dir,
        &[
            "simulate",
            "--days",
            "30",
            "--leads-per-day",
            "20",
            "--quiet",
            "--seed",
            "7",
        ],
    )
    .arg("--config")
    .arg(config)
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

#[test]
fn simulate_under_a_ten_percent_discount_threshold_requests_more_approvals() {
    let tmp = tempfile::tempdir().unwrap();
    let today = edited(tmp.path(), "today.toml", "", "");
    let stricter = edited(
        tmp.path(),
        "stricter.toml",
        "discount_threshold_pct = 15.0",
        "discount_threshold_pct = 10.0",
    );
    let shipped = approvals_requested(&simulate(&tmp.path().join("a"), &today));
    let lower = approvals_requested(&simulate(&tmp.path().join("b"), &stricter));
    assert!(shipped > 0);
    assert!(
        lower > shipped,
        "a 10% threshold should send more discounts to approval: {lower} vs {shipped}"
    );
}

#[test]
fn a_wrong_setting_stops_the_commands_with_its_key_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = edited(
        tmp.path(),
        "bad.toml",
        "discount_threshold_pct = 15.0",
        "discount_threshold_pct = -15.0",
    );
    let line = SHIPPED
        .lines()
        .position(|l| l.starts_with("discount_threshold_pct"))
        .unwrap()
        + 1;
    let expected = format!("{}:{line}: `closing.discount_threshold_pct`", bad.display());
    for args in [&["simulate", "--days", "1", "--quiet"][..], &["status"]] {
        let out = ascent(&tmp.path().join("twin"), args)
            .arg("--config")
            .arg(&bad)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(text(&out).contains(&expected), "{args:?}: {}", text(&out));
    }
    // The same through the environment.
    let out = ascent(&tmp.path().join("twin"), &["status"])
        .env("ASCENT_CONFIG", &bad)
        .output()
        .unwrap();
    assert!(text(&out).contains(&expected), "{}", text(&out));
    // Nothing was created for a refused configuration.
    assert!(!tmp.path().join("twin").exists());
}
