//! Hygiene: realistic values as CRMs and forms hold them, and values that must be refused.

use super::*;
use crate::settings::CrmConfig;

#[test]
fn emails_are_checked_and_keyed_by_the_configured_rules() {
    assert_eq!(
        clean_email("  Ana.Ruiz@Boreal-Aero.EXAMPLE ").unwrap(),
        "Ana.Ruiz@boreal-aero.example"
    );
    assert_eq!(
        clean_email("ana ruiz@x.example").unwrap_err().to_string(),
        "not an RFC 5322 address (a character not allowed where it is)"
    );
    assert_eq!(
        clean_email("ana@localhost").unwrap_err().to_string(),
        "not an RFC 5322 address (a domain of one label)"
    );
    assert_eq!(clean_email("   "), Err(HygieneError::Empty));
    let rules = CrmConfig::default().email;
    // Case, plus tags everywhere, Gmail's dots and its googlemail alias.
    assert_eq!(
        match_key("Ana.Ruiz+webinar@Boreal-Aero.example", &rules),
        "ana.ruiz@boreal-aero.example"
    );
    assert_eq!(
        match_key("j.o.h.n.carter+news@googlemail.com", &rules),
        "johncarter@gmail.com"
    );
    // Dots matter elsewhere: Outlook delivers a.ruiz@ and aruiz@ to two mailboxes.
    assert_eq!(
        match_key("a.ruiz@outlook.com", &rules),
        "a.ruiz@outlook.com"
    );
    // A leading `+` is the local part, not a tag.
    assert_eq!(match_key("+ana@x.example", &rules), "+ana@x.example");
    let mut off = rules.clone();
    off.strip_plus_tags = false;
    assert_eq!(match_key("ana+crm@x.example", &off), "ana+crm@x.example");
    assert_eq!(
        company_domain("ana@Boreal-Aero.example", &rules).as_deref(),
        Some("boreal-aero.example")
    );
    assert_eq!(company_domain("ana@googlemail.com", &rules), None);
    assert_eq!(company_domain("ana@hotmail.com", &rules), None);
}

#[test]
fn phone_numbers_become_e164() {
    // National formats read in the contact's country, else the default region.
    assert_eq!(
        phone_e164("(212) 555-0100", None, "US").unwrap(),
        "+12125550100"
    );
    assert_eq!(
        phone_e164("212.555.0100", Some("US"), "DE").unwrap(),
        "+12125550100"
    );
    assert_eq!(
        phone_e164("030 901820", Some("DE"), "US").unwrap(),
        "+4930901820"
    );
    assert_eq!(
        phone_e164("020 7183 8750", Some("GB"), "US").unwrap(),
        "+442071838750"
    );
    assert_eq!(
        phone_e164("01 42 68 53 00", Some("FR"), "US").unwrap(),
        "+33142685300"
    );
    // International forms whatever the country: `+`, `00`, a tel: URI.
    assert_eq!(
        phone_e164("+49 (0)30 901820", Some("US"), "US").unwrap(),
        "+4930901820"
    );
    assert_eq!(
        phone_e164("0049 30 901820", Some("US"), "US").unwrap(),
        "+4930901820"
    );
    assert_eq!(
        phone_e164("tel:+1-212-555-0100", None, "US").unwrap(),
        "+12125550100"
    );
    assert_eq!(
        phone_e164("+56 2 2345 6789", None, "US").unwrap(),
        "+56223456789"
    );
    // Refused: not a number, too short for its country, an unknown country code, empty.
    assert!(matches!(
        phone_e164("call me", None, "US"),
        Err(HygieneError::Phone(_))
    ));
    assert!(phone_e164("555-0100", None, "US").is_err());
    assert!(phone_e164("+999 123 456 789", None, "US").is_err());
    assert_eq!(phone_e164(" ", None, "US"), Err(HygieneError::Empty));
}

#[test]
fn countries_become_iso_3166_alpha_2() {
    for (written, code) in [
        ("DE", "DE"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("  united states of america ", "US"),
        ("U.S.A.", "US"),
        ("USA", "US"),
        ("UK", "GB"),
        ("England", "GB"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Türkiye", "TR"),
        ("Korea, Republic of", "KR"),
        ("the netherlands", "NL"),
        ("BRA", "BR"),
        ("Österreich", "AT"),
    ] {
        assert_eq!(country_code(written).as_deref(), Some(code), "{written}");
    }
    for unknown in ["XX", "Atlantis", "", "EU"] {
        assert_eq!(country_code(unknown), None, "{unknown}");
    }
}

#[test]
fn the_country_table_is_iso_3166_1_whole() {
    let rows: Vec<&str> = include_str!("../data/countries.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(rows.len(), 249, "ISO 3166-1 assigns 249 codes");
    let mut codes = std::collections::BTreeSet::new();
    for r in &rows {
        let f: Vec<&str> = r.split('\t').collect();
        assert_eq!(f.len(), 3, "{r}");
        assert!(f[0].len() == 2 && f[1].len() == 3, "{r}");
        assert!(codes.insert(f[0]), "{} twice", f[0]);
        // Every code with a country calling code is one libphonenumber knows.
        assert_eq!(country_code(f[1]).as_deref(), Some(f[0]));
    }
}

#[test]
fn names_are_normalised_for_display_and_for_matching() {
    assert_eq!(person_name("  ANA   RUIZ "), "Ana Ruiz");
    assert_eq!(person_name("ruiz, ana"), "Ana Ruiz");
    assert_eq!(
        person_name("o'brien-mcdonald, katie"),
        "Katie O'Brien-McDonald"
    );
    assert_eq!(person_name("mcdonald"), "McDonald");
    // Mixed case is as the person writes it.
    assert_eq!(person_name("Ludwig van Beethoven"), "Ludwig van Beethoven");
    assert_eq!(person_name("DeShawn McKay"), "DeShawn McKay");
    assert_eq!(
        name_key("Dr. José Müller-Lüdenscheidt"),
        "jose muller ludenscheidt"
    );
    assert_eq!(name_key("Ruiz, Ana"), "ana ruiz");
    assert_eq!(fold("Łukasz Żółć"), "lukasz zolc");
    assert_eq!(fold("Søren Kierkegaard"), "soren kierkegaard");
    assert_eq!(company_name("boreal   aero gmbh"), "boreal aero GmbH");
    assert_eq!(company_name("Acme, inc"), "Acme, Inc.");
    assert_eq!(company_name("Delta Waterbouw bv"), "Delta Waterbouw B.V.");
    assert_eq!(company_name("IBM"), "IBM");
    assert_eq!(company_key("Boreal Aero GmbH"), "boreal aero");
    assert_eq!(company_key("MediSphere Health, Inc."), "medisphere health");
    assert_eq!(company_key("Delta Waterbouw B.V."), "delta waterbouw");
    // A company called only by a legal form keeps it.
    assert_eq!(company_key("AG"), "ag");
}

#[test]
fn a_very_long_company_name_gives_a_bounded_key_equal_for_equal_names() {
    let long = format!("Co {} GmbH", "x".repeat(20_000));
    let key = company_key(&long);
    // 160 bytes of the name, `~`, 16 hex digits of its digest.
    assert_eq!(key.len(), 177);
    assert!(key.starts_with("co xxx"), "{key}");
    assert_eq!(company_key(&long.to_lowercase()), key);
    assert_ne!(company_key(&format!("Co {}y", "x".repeat(20_000))), key);
    // 200 bytes are kept as written.
    let edge = "y".repeat(200);
    assert_eq!(company_key(&edge), edge);
}
