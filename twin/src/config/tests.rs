//! The whole file: the shipped one is valid and today's, and a mistake anywhere is refused
//! with its path and line before anything runs.

use super::*;

fn with(replace: &str, by: &str) -> Result<AscentConfig, ConfigError> {
    let shipped = ConfigFile::shipped();
    assert!(
        shipped.text().contains(replace),
        "the shipped file has `{replace}`"
    );
    let file = ConfigFile::parse("edited.toml", shipped.text().replacen(replace, by, 1))?;
    AscentConfig::from_file(&file)
}

#[test]
fn the_shipped_file_names_every_section_and_builds_every_agent() {
    let file = ConfigFile::shipped();
    let mut sections = SECTIONS.to_vec();
    sections.sort_unstable();
    assert_eq!(file.keys().unwrap(), sections);
    let config = AscentConfig::from_file(&file).unwrap();
    let agents = config.agents("http://127.0.0.1:8787");
    let names: Vec<&str> = agents.iter().map(|a| a.declaration().name).collect();
    let declared: Vec<&str> = crate::agents::declarations()
        .iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, declared);
}

#[test]
fn the_shipped_file_is_today_s_behaviour() {
    let c = AscentConfig::shipped();
    assert_eq!(c.closing.discount_threshold_pct, 15.0);
    assert_eq!(c.billing.dunning.reminder_days, [3, 10, 20]);
    assert_eq!(c.host.policy().step_timeout_hours, 48);
    assert_eq!(c.host.policy().two_person_above_minor, Some(5_000_000));
    assert_eq!(c.host.mail.from, "agents@ascent-xr.example");
    // One key for the two-person amount: the rule the hosts enforce and Finance's control.
    assert_eq!(
        c.finance.limits.two_person_above_minor,
        c.host.approvals.two_person_above_minor.unwrap()
    );
    // One key for the rates: every agent that converts uses the same ones.
    assert_eq!(c.sales.fx, c.finance.fx);
    assert_eq!(c.demo_scheduling.fx, c.expenses.fx);
    // One list of reps: the Sales Director's and Demo Scheduling's are the same people.
    let sales: Vec<&str> = c.sales.reps.iter().map(|r| r.email.as_str()).collect();
    let demo: Vec<&str> = c.demo_scheduling.reps.keys().map(String::as_str).collect();
    let mut sorted = sales.clone();
    sorted.sort();
    assert_eq!(sorted, demo);
}

#[test]
fn an_unknown_section_is_refused_with_its_line() {
    let e = with("[mail]\n", "[mails]\nfrom = \"a@b.example\"\n\n[mail]\n").unwrap_err();
    assert_eq!(e.path, "mails");
    assert!(e.message.contains("unknown section"), "{e}");
    assert_eq!(e.line, Some(18));
}

#[test]
fn an_unknown_key_in_an_agent_s_section_is_refused_with_its_path_and_line() {
    let e = with(
        "default_payment_terms_days = 30",
        "default_payment_terms_days = 30\ncolour = \"red\"",
    )
    .unwrap_err();
    assert_eq!(e.path, "billing.colour");
    assert!(e.to_string().starts_with("edited.toml:"), "{e}");
    assert!(e.message.contains("unknown field `colour`"), "{e}");
    let file = ConfigFile::parse(
        "x",
        ConfigFile::shipped().text().replacen(
            "default_payment_terms_days = 30",
            "default_payment_terms_days = 30\ncolour = \"red\"",
            1,
        ),
    )
    .unwrap();
    assert_eq!(e.line, file.line_of_path("billing.colour"));
}

#[test]
fn an_unknown_role_a_negative_amount_and_a_bad_email_are_refused() {
    let e = with(
        "\napprover_role = \"finance-controller\"",
        "\napprover_role = \"controller\"",
    )
    .unwrap_err();
    assert_eq!(e.path, "expenses.approver_role");
    let e = with(
        "auto_approve_up_to_minor = 5_000",
        "auto_approve_up_to_minor = -5_000",
    )
    .unwrap_err();
    assert_eq!(e.path, "expenses.auto_approve_up_to_minor");
    let e = with("from = \"agents@ascent-xr.example\"", "from = \"agents\"").unwrap_err();
    assert_eq!(e.path, "mail.from");
    let e = with("base = \"USD\"", "base = \"Dollar\"").unwrap_err();
    assert_eq!(e.path, "currency.base");
    assert!(e.line.is_some());
}

#[test]
fn a_rep_in_a_territory_no_lead_is_routed_to_is_refused() {
    let e = with("territory = \"sales-apac\"", "territory = \"sales-apj\"").unwrap_err();
    assert_eq!(e.path, "sales_team.reps[5].territory");
    assert!(e.line.is_some());
}

#[test]
fn a_chain_of_one_for_requests_above_the_two_person_amount_is_refused() {
    let e = with(
        "approvers = [\"sales.director@ascent-xr.example\", \"cro@ascent-xr.example\"]",
        "approvers = [\"sales.director@ascent-xr.example\"]",
    )
    .unwrap_err();
    assert_eq!(e.path, "approvals.roles.sales-director.approvers");
}

#[test]
fn a_file_that_is_not_there_is_reported() {
    let e = AscentConfig::load(Some(Path::new("/nonexistent/ascent.toml"))).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ascent.toml"), "{e}");
}
