//! The loader: sections by type, refusals with path and line, the shipped file.

use super::platform::{Approvals, Currency, HostSettings, Plans, SalesTeam};
use super::*;
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Shop {
    price_minor: i64,
    owner: String,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Item {
    sku: String,
    quantity: u32,
}

impl Validate for Shop {
    fn validate(&self) -> Result<(), Invalid> {
        check_non_negative("price_minor", self.price_minor)?;
        check_email("owner", &self.owner)?;
        for (i, item) in self.items.iter().enumerate() {
            if item.sku.is_empty() {
                return Err(Invalid::new(format!("items[{i}].sku"), "may not be empty"));
            }
        }
        Ok(())
    }
}

fn file(text: &str) -> ConfigFile {
    ConfigFile::parse("test.toml", text).expect("valid TOML")
}

#[test]
fn a_section_reads_as_its_type() {
    let f = file("[shop]\nprice_minor = 100\nowner = \"a@b.example\"\n");
    let shop: Shop = f.section("shop").unwrap();
    assert_eq!(shop.price_minor, 100);
    assert!(f.has("shop") && !f.has("other"));
}

#[test]
fn an_unknown_key_is_refused_with_its_path_and_line() {
    let f = file("[shop]\nprice_minor = 100\nowner = \"a@b.example\"\ncolour = \"red\"\n");
    let e = f.section::<Shop>("shop").unwrap_err();
    assert_eq!(e.path, "shop.colour");
    assert_eq!(e.line, Some(4));
    assert!(e.message.contains("unknown field `colour`"), "{e}");
    assert!(
        e.to_string().starts_with("test.toml:4: `shop.colour`:"),
        "{e}"
    );
}

#[test]
fn a_negative_amount_is_refused_with_its_path_and_line() {
    let f = file("[shop]\nowner = \"a@b.example\"\nprice_minor = -5\n");
    let e = f.section::<Shop>("shop").unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("shop.price_minor", Some(3)));
    assert!(e.message.contains("negative"), "{e}");
}

#[test]
fn a_wrong_type_deep_in_an_array_names_the_element() {
    let f = file(
        "[shop]\nprice_minor = 1\nowner = \"a@b.example\"\n\n[[shop.items]]\nsku = \"A\"\nquantity = 1\n\n[[shop.items]]\nsku = \"B\"\nquantity = \"two\"\n",
    );
    let e = f.section::<Shop>("shop").unwrap_err();
    assert_eq!(e.path, "shop.items[1].quantity");
    assert_eq!(e.line, Some(11));
}

#[test]
fn a_rule_deep_in_an_array_names_the_element_and_line() {
    let f = file(
        "[shop]\nprice_minor = 1\nowner = \"a@b.example\"\nitems = [\n  { sku = \"A\", quantity = 1 },\n  { sku = \"\", quantity = 2 },\n]\n",
    );
    let e = f.section::<Shop>("shop").unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("shop.items[1].sku", Some(6)));
}

#[test]
fn a_bad_email_a_missing_section_and_bad_syntax_are_refused() {
    let f = file("[shop]\nprice_minor = 1\nowner = \"nobody\"\n");
    let e = f.section::<Shop>("shop").unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("shop.owner", Some(3)));
    let e = f.section::<Shop>("till").unwrap_err();
    assert!(e.message.contains("`[till]` is missing"), "{e}");
    let e = ConfigFile::parse("bad.toml", "[shop]\nprice_minor = = 1\n").unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
}

#[test]
fn the_shipped_platform_sections_are_valid_and_today_s_policy() {
    let f = ConfigFile::shipped();
    let host = HostSettings::from_file(&f).unwrap();
    let policy = host.policy();
    assert_eq!(policy.step_timeout_hours, 48);
    assert_eq!(policy.two_person_above_minor, Some(5_000_000));
    assert_eq!(
        policy.chains["sales-director"],
        ["sales.director@ascent-xr.example", "cro@ascent-xr.example"]
    );
    assert_eq!(host.mail.from, "agents@ascent-xr.example");
    let fx = f.section::<Currency>("currency").unwrap().fx();
    assert_eq!(fx.ppm["EUR"], 1_080_000);
    let plans: Plans = f.section("plans").unwrap();
    assert_eq!(
        plans.success_manager("starter"),
        "csm.digital@ascent-xr.example"
    );
    assert_eq!(plans.success_manager("gold"), "csm.team@ascent-xr.example");
    assert_eq!(f.section::<SalesTeam>("sales_team").unwrap().reps.len(), 6);
}

#[test]
fn approvals_refuse_an_empty_chain_a_bad_approver_and_an_unknown_role() {
    let base = "[approvals]\nstep_timeout_hours = 48\nmanager_limit_minor = 0\n";
    let f = file(&format!("{base}[approvals.roles.legal]\napprovers = []\n"));
    let e = f.section::<Approvals>("approvals").unwrap_err();
    assert_eq!(e.path, "approvals.roles.legal.approvers");
    let f = file(&format!(
        "{base}[approvals.roles.legal]\napprovers = [\"a@b.example\", \"counsel\"]\n"
    ));
    let e = f.section::<Approvals>("approvals").unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.line),
        ("approvals.roles.legal.approvers[1]", Some(5))
    );
    let f = file(&format!(
        "{base}[approvals.roles.legal]\napprovers = [\"a@b.example\"]\n"
    ));
    let approvals = f.section::<Approvals>("approvals").unwrap();
    let e = f.invalid(
        "closing",
        approvals.check_role("legal_role", "lawyers").unwrap_err(),
    );
    assert_eq!(e.path, "closing.legal_role");
    assert!(e.message.contains("no chain"), "{e}");
}

#[test]
fn currency_refuses_a_bad_code_and_a_base_without_its_rate() {
    let f = file("[currency]\nbase = \"usd\"\nrates_ppm = { USD = 1_000_000 }\n");
    assert_eq!(
        f.section::<Currency>("currency").unwrap_err().path,
        "currency.base"
    );
    let f = file("[currency]\nbase = \"EUR\"\nrates_ppm = { USD = 1_000_000 }\n");
    assert_eq!(
        f.section::<Currency>("currency").unwrap_err().path,
        "currency.rates_ppm.EUR"
    );
}

#[test]
fn a_bad_time_zone_is_refused() {
    let shipped = ConfigFile::shipped();
    let text = shipped
        .text()
        .replacen("America/Chicago", "America/Chicagoo", 1);
    let f = file(&text);
    let e = f.section::<SalesTeam>("sales_team").unwrap_err();
    assert_eq!(e.path, "sales_team.reps[1].time_zone");
    assert_eq!(e.line, f.line_of_path("sales_team.reps[1].time_zone"));
    assert!(e.line.is_some());
}

#[test]
fn a_tables_setting_lines_are_its_own_as_written_without_comments_or_sub_tables() {
    let text = "[company]\nname = \"Ascent\"\n\n[shop]\n# the price\nprice_minor = 100\n  owner = \"ops\"\n\n[shop.items]\nsku = \"A\"\n[other]\nx = 1\n";
    let file = ConfigFile::parse("test.toml", text).unwrap();
    assert_eq!(
        file.setting_lines("shop"),
        ["price_minor = 100", "owner = \"ops\""]
    );
    assert!(file.setting_lines("missing").is_empty());
}

/// Issue 27: each approver reads amounts in their locale and times in their zone; the
/// default zone is the company's.
#[test]
fn approvers_read_in_their_locale_and_zone_the_company_s_by_default() {
    let host = HostSettings::from_file(&ConfigFile::shipped()).unwrap();
    let readers = host.policy().readers;
    let director = readers.of("sales.director@ascent-xr.example");
    assert_eq!(
        (director.locale.as_str(), director.time_zone.as_str()),
        ("en-US", "America/Los_Angeles")
    );
    let cfo = readers.of(" CFO@ascent-xr.example ");
    assert_eq!(
        (cfo.locale.as_str(), cfo.time_zone.as_str()),
        ("en-GB", "Europe/London")
    );
    // A person's missing key is the default's; `[approvals] time_zone` overrides the company.
    let base = "[approvals]\nstep_timeout_hours = 48\nmanager_limit_minor = 0\n\
                locale = \"de-DE\"\ntime_zone = \"Europe/Berlin\"\n\
                [approvals.roles.legal]\napprovers = [\"a@b.example\"]\n";
    let f = file(&format!(
        "{base}[[approvals.people]]\nperson = \"a@b.example\"\ntime_zone = \"Asia/Tokyo\"\n"
    ));
    let r = f
        .section::<Approvals>("approvals")
        .unwrap()
        .readers("America/Los_Angeles");
    assert_eq!(r.of("a@b.example").locale, "de-DE");
    assert_eq!(r.of("a@b.example").time_zone, "Asia/Tokyo");
    assert_eq!(r.of("z@b.example").time_zone, "Europe/Berlin");
}

#[test]
fn approvals_refuse_an_unknown_locale_or_zone_and_a_person_listed_twice() {
    let base = "[approvals]\nstep_timeout_hours = 48\nmanager_limit_minor = 0\n\
                [approvals.roles.legal]\napprovers = [\"a@b.example\"]\n";
    let e = file(&base.replace(
        "manager_limit_minor = 0\n",
        "manager_limit_minor = 0\nlocale = \"xx-YY\"\n",
    ))
    .section::<Approvals>("approvals")
    .unwrap_err();
    assert_eq!(e.path, "approvals.locale");
    assert!(e.message.contains("known: en-US, en-CA, en-GB"), "{e}");
    let person = "[[approvals.people]]\nperson = \"a@b.example\"\n";
    let e = file(&format!("{base}{person}time_zone = \"Mars/Olympus\"\n"))
        .section::<Approvals>("approvals")
        .unwrap_err();
    assert_eq!(e.path, "approvals.people[0].time_zone");
    let e = file(&format!("{base}{person}{person}"))
        .section::<Approvals>("approvals")
        .unwrap_err();
    assert_eq!(e.path, "approvals.people[1].person");
}
