//! The shipped settings, and bad values refused by their key.

use super::*;
use MarketingChannel::{Content, Email, Event, Paid, Search, Social, Webinar};

#[test]
fn the_shipped_settings_are_today_s() {
    let c = OrchestratorConfig::default();
    assert_eq!(c.marketing, "marketing@ascent-xr.example");
    assert_eq!(c.approver_role, "finance-controller");
    assert_eq!(c.weekly_report_day, Weekday::Tue);
    assert_eq!((c.rules.total, c.rules.step), (4_000_000, 100_000));
    assert_eq!(c.rules.diminishing_return, 0.8);
    assert_eq!(c.approval_above, 500_000);
    assert_eq!(
        c.rules.channels[&Paid],
        Bounds {
            floor: 500_000,
            cap: 1_600_000
        }
    );
    // The start's budgets add up to the plan total.
    assert_eq!(crate::allocation::total(&c.start), c.rules.total);
    assert_eq!(
        c.start.keys().copied().collect::<Vec<_>>(),
        [Email, Social, Search, Paid, Webinar, Event, Content]
    );
}

/// The shipped file with `from` replaced by `to` in `[marketing_orchestrator]`.
pub(crate) fn shipped_with(from: &str, to: &str) -> ConfigFile {
    let shipped = ConfigFile::shipped().text().to_string();
    let at = shipped
        .find("[marketing_orchestrator]")
        .expect("the section");
    let (before, ours) = shipped.split_at(at);
    assert!(ours.contains(from), "{from}");
    ConfigFile::parse("x.toml", format!("{before}{}", ours.replacen(from, to, 1))).unwrap()
}

fn refused(from: &str, to: &str) -> ConfigError {
    OrchestratorConfig::from_file(&shipped_with(from, to)).unwrap_err()
}

#[test]
fn bad_values_are_refused_by_their_key() {
    let e = refused("diminishing_return = 0.8", "diminishing_return = 1.5");
    assert_eq!(e.path, "marketing_orchestrator.diminishing_return");
    assert!(e.line.is_some());
    let e = refused(
        "plan_total_minor = 4_000_000",
        "plan_total_minor = 9_000_000",
    );
    assert_eq!(e.path, "marketing_orchestrator.plan_total_minor");
    assert!(e.message.contains("caps (6700000)"), "{}", e.message);
    let e = refused("step_minor = 100_000", "step_minor = 100");
    assert_eq!(e.path, "marketing_orchestrator.step_minor");
    let e = refused(
        "paid = { floor_minor = 500_000, cap_minor = 1_600_000, start_minor = 1_000_000 }",
        "paid = { floor_minor = 500_000, cap_minor = 1_600_000, start_minor = 1_700_000 }",
    );
    assert_eq!(e.path, "marketing_orchestrator.channels.paid.start_minor");
    let e = refused(
        "approver_role = \"finance-controller\"",
        "approver_role = \"marketing-board\"",
    );
    assert_eq!(e.path, "marketing_orchestrator.approver_role");
    let e = refused(
        "weekly_report_day = \"Tue\"",
        "weekly_report_day = \"Someday\"",
    );
    assert_eq!(e.path, "marketing_orchestrator.weekly_report_day");
    let e = refused("campaigns_per_run = 40", "campaigns_per_run = 400");
    assert_eq!(e.path, "marketing_orchestrator.campaigns_per_run");
    let e = refused(
        "\nemail = { floor_minor = 100_000",
        "\nbillboard = { floor_minor = 100_000",
    );
    assert!(e.path.starts_with("marketing_orchestrator"), "{}", e.path);
}
