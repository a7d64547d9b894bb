//! The contact record: cleaning a change, applying it field by field, merging a duplicate.

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn raw(email: &str, name: &str, phone: &str, country: &str) -> RawFields {
    let v = |s: &str| (!s.is_empty()).then(|| s.to_string());
    RawFields {
        email: v(email),
        full_name: v(name),
        phone: v(phone),
        country: v(country),
        ..RawFields::default()
    }
}

#[test]
fn a_change_is_cleaned_and_what_does_not_clean_is_refused_with_its_field() {
    let config = CrmConfig::default();
    let c = clean(
        "hubspot",
        "51234",
        at("2026-03-02T10:00:00Z"),
        &raw(
            "ANA@Boreal-Aero.example",
            "RUIZ, ANA",
            "030 901820",
            "Germany",
        ),
        None,
        &config,
    );
    assert_eq!(c.fields["email"], "ANA@boreal-aero.example");
    assert_eq!(c.fields["full_name"], "Ana Ruiz");
    // The phone is read in the change's own country (Germany), not the default (US).
    assert_eq!(c.fields["phone"], "+4930901820");
    assert_eq!(c.fields["country"], "DE");
    assert!(c.refused.is_empty());
    let bad = clean(
        "salesforce",
        "003",
        at("2026-03-02T10:00:00Z"),
        &raw("ana@", "", "12", "Atlantis"),
        Some("DE"),
        &config,
    );
    assert!(bad.fields.is_empty());
    let fields: Vec<&str> = bad.refused.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["email", "country", "phone"]);
    assert_eq!(bad.refused[0].1, "not an RFC 5322 address (no domain)");
}

#[test]
fn applying_changes_keeps_the_later_value_of_each_field_and_the_bases() {
    let config = CrmConfig::default();
    let p = &config.source_priority;
    let mut c = Contact::new("lead:L000123");
    let lead = clean(
        "ascent",
        "L000123",
        at("2026-03-01T09:00:00Z"),
        &raw("ana@boreal-aero.example", "Ana Ruiz", "+4930901820", "DE"),
        None,
        &config,
    );
    let a = c.apply(&lead, p);
    assert_eq!(a.changed.len(), 4);
    assert_eq!(c.outgoing("hubspot").len(), 4, "HubSpot has none of it yet");
    // HubSpot sends the same name and another phone: only the phone changes. HubSpot never
    // had it, so two values disagree (a conflict) and HubSpot's, a day later, wins. Its base
    // is what it sent, so only what it lacks goes out to it.
    let hs = clean(
        "hubspot",
        "51234",
        at("2026-03-02T10:00:00Z"),
        &raw("ana@boreal-aero.example", "Ana Ruiz", "+49 30 901821", ""),
        None,
        &config,
    );
    let a = c.apply(&hs, p);
    assert_eq!(a.changed, ["phone"]);
    assert_eq!(a.conflicts, ["phone"]);
    assert_eq!(c.value("phone"), Some("+4930901821"));
    assert_eq!(
        c.outgoing("hubspot").keys().collect::<Vec<_>>(),
        ["country"]
    );
    assert_eq!(c.source_ids, ["lead:L000123", "hubspot:51234"]);
    assert_eq!(c.remote["hubspot"].record_id.as_deref(), Some("51234"));
    // A refused value is an issue with its field, not a change.
    let bad = clean(
        "hubspot",
        "51234",
        at("2026-03-03T10:00:00Z"),
        &raw("", "", "n/a", ""),
        None,
        &config,
    );
    let a = c.apply(&bad, p);
    assert!(a.changed.is_empty());
    assert_eq!(c.issues.len(), 1);
    assert_eq!(
        (c.issues[0].field.as_str(), c.issues[0].source.as_str()),
        ("phone", "hubspot")
    );
    assert_eq!(c.value("phone"), Some("+4930901821"));
}

#[test]
fn a_merge_keeps_every_source_id_and_logs_the_values_that_lost() {
    let config = CrmConfig::default();
    let p = &config.source_priority;
    let mut older = Contact::new("lead:L000123");
    older.apply(
        &clean(
            "ascent",
            "L000123",
            at("2026-03-01T09:00:00Z"),
            &raw(
                "ana.ruiz@boreal-aero.example",
                "Ana Ruiz",
                "+4930901820",
                "DE",
            ),
            None,
            &config,
        ),
        p,
    );
    let mut dup = Contact::new("hubspot:777");
    dup.apply(
        &clean(
            "hubspot",
            "777",
            at("2026-03-04T09:00:00Z"),
            &raw("aruiz@boreal-aero.example", "A. Ruiz", "+4930901899", ""),
            None,
            &config,
        ),
        p,
    );
    older.absorb(
        &dup,
        "same_domain_similar_name",
        1.0,
        at("2026-03-04T09:00:01Z"),
    );
    assert_eq!(older.source_ids, ["lead:L000123", "hubspot:777"]);
    // The later values won (HubSpot's of 4 March); the earlier ones are in the log.
    assert_eq!(older.value("email"), Some("aruiz@boreal-aero.example"));
    assert_eq!(older.value("country"), Some("DE"));
    let log = &older.merge_log[0];
    assert_eq!(log.merged_ids, ["hubspot:777"]);
    assert_eq!(log.replaced["email"], "ana.ruiz@boreal-aero.example");
    assert_eq!(log.replaced["full_name"], "Ana Ruiz");
    assert_eq!(log.replaced["phone"], "+4930901820");
    assert_eq!(older.remote["hubspot"].record_id.as_deref(), Some("777"));
}
