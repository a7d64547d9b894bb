//! `ascent dnc import` and `ascent aws dnc-import`: the National Do Not Call Registry's extract
//! (the files a seller downloads per area code) into the data lake — the twin's SQLite file or
//! the stack's DynamoDB tables — where Outreach scrubs every number before a call task.

use anyhow::Context;
use ascent_core::compliance::dnc_registry;
use ascent_core::ports::DataLake;
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt::Write as _;
use std::path::Path;

/// Imports the extract at `path`, dated `as_of` (the registry's date of the download), and
/// says what it did per area code.
pub async fn import_file(
    lake: &dyn DataLake,
    path: &Path,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let report = dnc_registry::import(lake, &text, as_of, now)
        .await
        .with_context(|| format!("importing {}", path.display()))?;
    let mut out = String::new();
    for (npa, n) in &report.area_codes {
        writeln!(out, "area code {npa}: {n} number(s) listed as of {as_of}")?;
    }
    let total: usize = report.area_codes.values().sum();
    writeln!(
        out,
        "imported {total} number(s) in {} area code(s); scrubs rely on it until {}",
        report.area_codes.len(),
        as_of + chrono::Duration::days(31)
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::Domain;
    use ascent_embedded::Store;

    #[test]
    fn an_extract_file_lands_in_the_twin_s_lake() {
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(ascent_core::ports::SystemClock);
        let store = Store::open(&dir.path().join("twin.db"), clock).unwrap();
        let file = dir.path().join("extract.txt");
        std::fs::write(&file, "2125550100\n813,5550100\n8135550101\n").unwrap();
        let as_of: NaiveDate = "2026-03-01".parse().unwrap();
        let out = futures::executor::block_on(import_file(
            &store,
            &file,
            as_of,
            "2026-03-02T00:00:00Z".parse().unwrap(),
        ))
        .unwrap();
        assert_eq!(
            out,
            "area code 212: 1 number(s) listed as of 2026-03-01\n\
             area code 813: 2 number(s) listed as of 2026-03-01\n\
             imported 3 number(s) in 2 area code(s); scrubs rely on it until 2026-04-01\n"
        );
        let listing = futures::executor::block_on(store.get(
            Domain::Customer,
            "dnc-registry#+18135550101",
            "listing",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(listing.data["as_of"], "2026-03-01");
        let bad = dir.path().join("bad.txt");
        std::fs::write(&bad, "2125550100\nnot a number\n").unwrap();
        let e = futures::executor::block_on(import_file(
            &store,
            &bad,
            as_of,
            "2026-03-02T00:00:00Z".parse().unwrap(),
        ))
        .unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            format!(
                "importing {}: line 2: not a ten-digit North American number",
                bad.display()
            )
        );
    }
}
