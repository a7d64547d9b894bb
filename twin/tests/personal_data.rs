//! Every record that holds a person's address or phone number is declared: a month of the
//! synthetic company through all 24 agents, then every item of the data lake is searched for
//! email addresses and phone numbers; each one found must sit under an owned prefix whose
//! declaration lists its personal data (else export would mislabel it and erasure would only
//! pseudonymise it). The company's own addresses (its staff, `[mail] from`'s domain) are
//! employee data, outside the customer-facing declarations.

use ascent::config::AscentConfig;
use ascent::simulate::{SimulationOptions, run};
use ascent_core::agent::{AgentDecl, Domain};
use ascent_core::privacy::looks_personal;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The addresses and E.164 numbers in `text` (outside the company's own domain).
fn identifiers(text: &str, own_domain: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "@.+_-".contains(c)))
        .map(|t| t.trim_matches('.'))
        .filter(|t| looks_personal(t) && !t.ends_with(own_domain))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_record_holding_an_address_or_a_number_is_declared() {
    let dir = tempfile::tempdir().unwrap();
    let config = Arc::new(AscentConfig::shipped());
    let own_domain = config
        .host
        .mail
        .from
        .split_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap();
    let report = run(&SimulationOptions {
        days: 30,
        seed: 7,
        leads_per_day: 40,
        data_dir: dir.path().to_path_buf(),
        progress: false,
        config,
    })
    .unwrap();
    let decls: Vec<AgentDecl> = ascent::agents::declarations();
    let decls: Vec<&AgentDecl> = decls.iter().collect();
    let clock = Arc::new(ascent_core::ports::ManualClock::new(chrono::Utc::now()));
    let store =
        ascent_embedded::Store::open(std::path::Path::new(&report.database), clock).unwrap();
    let rows: Vec<(String, String, String)> = store
        .read(|c| {
            let mut st = c.prepare(
                "SELECT domain, pk, sk || ' ' || COALESCE(gsi1pk, '') || ' ' || \
                 COALESCE(gsi1sk, '') || ' ' || data FROM items \
                 WHERE domain NOT IN ('audit', 'idempotency')",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })
        .unwrap();
    let mut undeclared: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut declared = 0;
    for (domain, pk, rest) in rows {
        let found = identifiers(&format!("{pk} {rest}"), &own_domain);
        if found.is_empty() {
            continue;
        }
        let d = Domain::parse(&domain).unwrap();
        match ascent_embedded::privacy::holder_of(&decls, d, &pk) {
            Ok(_) => declared += 1,
            Err(owner) => {
                let prefix: String = pk.split('#').next().unwrap_or("").to_string();
                let e = undeclared
                    .entry(format!(
                        "{} {domain} {prefix}#",
                        owner.unwrap_or("(no owner)")
                    ))
                    .or_insert((0, String::new()));
                e.0 += 1;
                e.1 = pk.clone();
            }
        }
    }
    assert!(
        declared > 100,
        "the simulation kept people's data: {declared}"
    );
    assert!(
        undeclared.is_empty(),
        "records with an address or a phone number under prefixes that declare no personal \
         data (owner domain prefix: count, one key): {undeclared:#?}"
    );
}

#[test]
fn what_counts_as_an_identifier() {
    let found = identifiers(
        r#"{"to":"ana@boreal.aero","cc":"rep@ascent-xr.example","phone":"+4930123456","n":"+12"}"#,
        "ascent-xr.example",
    );
    assert_eq!(found, ["ana@boreal.aero", "+4930123456"]);
}
