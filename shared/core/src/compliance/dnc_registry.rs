//! The National Do Not Call Registry (47 CFR 64.1200(c)(2)): the extract a seller downloads
//! per area code, imported into the data lake (`ascent dnc import`, in the twin or on AWS), and
//! the scrub every call task passes first. A number counts as listed when the area code's
//! newest extract lists it; an extract older than the configured age (the rule's 31 days)
//! or none at all means the number was not scrubbed, and no call task is made.
//!
//! The import writes the numbers first and the area code's extract record last, so an import
//! cut short leaves the previous extract in force, and numbers dropped from the registry stop
//! counting as soon as the newer extract is recorded.

use super::area_codes::area_code_of;
use crate::agent::{AgentError, Domain};
use crate::context::Ctx;
use crate::limits::MAX_TRANSACT_ITEMS;
use crate::ports::{Condition, DataLake, JsonItem, Write};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Partition key of a listed number (sort key `listing`).
pub fn listing_pk(e164: &str) -> String {
    format!("dnc-registry#{e164}")
}

/// Partition key of an area code's newest extract (sort key `extract`).
pub fn extract_pk(area_code: &str) -> String {
    format!("dnc-registry-extract#{area_code}")
}

/// A number as the extract listed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The extract that listed it.
    pub as_of: NaiveDate,
}

/// An area code's newest imported extract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extract {
    pub as_of: NaiveDate,
    pub numbers: usize,
    pub imported_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("line {line}: {problem}")]
    BadLine { line: usize, problem: String },
    #[error("the data lake: {0}")]
    Lake(String),
}

/// Reads an extract: one ten-digit number a line, written `2125550100`, `212,5550100` or
/// `212-555-0100` (the registry's download formats); blank lines and `#` comments skipped.
/// Numbers are grouped by area code, as E.164.
pub fn parse_extract(text: &str) -> Result<BTreeMap<String, BTreeSet<String>>, RegistryError> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let digits: String = line.chars().filter(|c| c.is_ascii_digit()).collect();
        let only_separators = line
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | ' ' | '(' | ')'));
        if digits.len() != 10 || !only_separators {
            return Err(RegistryError::BadLine {
                line: i + 1,
                problem: "not a ten-digit North American number".into(),
            });
        }
        let e164 = format!("+1{digits}");
        let Some(npa) = area_code_of(&e164) else {
            return Err(RegistryError::BadLine {
                line: i + 1,
                problem: format!("area code {} is not assigned", &digits[..3]),
            });
        };
        out.entry(npa.to_string()).or_default().insert(e164);
    }
    Ok(out)
}

/// What an import did, per area code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    pub as_of: NaiveDate,
    pub area_codes: BTreeMap<String, usize>,
}

/// Imports an extract dated `as_of` into the data lake, in transactions within DynamoDB's
/// limit: per area code, its numbers, then its extract record.
pub async fn import(
    lake: &dyn DataLake,
    text: &str,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<ImportReport, RegistryError> {
    let numbers = parse_extract(text)?;
    let lake_error = |e: crate::ports::LakeError| RegistryError::Lake(e.to_string());
    let put = |pk: String, sk: &str, json: Result<JsonItem, serde_json::Error>| {
        json.map(|item| Write::PutJson {
            domain: Domain::Customer,
            item,
            condition: Condition::Always,
        })
        .map_err(|e| RegistryError::Lake(format!("{pk}/{sk}: {e}")))
    };
    let mut report = ImportReport {
        as_of,
        area_codes: BTreeMap::new(),
    };
    for (npa, listed) in &numbers {
        let writes: Vec<Write> = listed
            .iter()
            .map(|n| {
                let pk = listing_pk(n);
                put(
                    pk.clone(),
                    "listing",
                    JsonItem::of(&pk, "listing", &Listing { as_of }),
                )
            })
            .collect::<Result<_, _>>()?;
        for chunk in writes.chunks(MAX_TRANSACT_ITEMS) {
            lake.transact(chunk).await.map_err(lake_error)?;
        }
        let pk = extract_pk(npa);
        let extract = Extract {
            as_of,
            numbers: listed.len(),
            imported_at: now,
        };
        let record = put(
            pk.clone(),
            "extract",
            JsonItem::of(&pk, "extract", &extract),
        )?;
        lake.transact(&[record]).await.map_err(lake_error)?;
        report.area_codes.insert(npa.clone(), listed.len());
    }
    Ok(report)
}

/// What the scrub found for a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scrub {
    /// Not on the registry's current extract.
    Clear,
    /// On it.
    Listed { as_of: NaiveDate },
    /// Not scrubbed: no extract for the area code, or one too old.
    NotScrubbed(String),
}

/// Checks a North American number against the imported registry, as of `today`.
pub async fn scrub(
    ctx: &mut Ctx<'_>,
    e164: &str,
    today: NaiveDate,
    max_age_days: i64,
) -> Result<Scrub, AgentError> {
    let Some(npa) = area_code_of(e164) else {
        return Ok(Scrub::NotScrubbed(format!(
            "{e164} is not a North American number the registry covers"
        )));
    };
    let extract: Option<Extract> = ctx
        .get_as(Domain::Customer, &extract_pk(npa), "extract")
        .await?;
    let Some(extract) = extract else {
        return Ok(Scrub::NotScrubbed(format!(
            "no Do Not Call registry extract for area code {npa} has been imported"
        )));
    };
    let age = (today - extract.as_of).num_days();
    if age > max_age_days {
        return Ok(Scrub::NotScrubbed(format!(
            "the Do Not Call registry extract for area code {npa} is {age} days old (at most \
             {max_age_days})"
        )));
    }
    let listing: Option<Listing> = ctx
        .get_as(Domain::Customer, &listing_pk(e164), "listing")
        .await?;
    Ok(match listing {
        Some(l) if l.as_of == extract.as_of => Scrub::Listed { as_of: l.as_of },
        _ => Scrub::Clear,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extract_reads_in_the_registrys_formats_grouped_by_area_code() {
        let text = "# area codes 212 and 813\n2125550100\n212,5550101\n\n813-555-0100\n";
        let got = parse_extract(text).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got["212"].iter().collect::<Vec<_>>(),
            ["+12125550100", "+12125550101"]
        );
        assert_eq!(got["813"].iter().collect::<Vec<_>>(), ["+18135550100"]);
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number() {
        let e = parse_extract("2125550100\n212555010\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: not a ten-digit North American number"
        );
        let e = parse_extract("9995550100\n").unwrap_err();
        assert_eq!(e.to_string(), "line 1: area code 999 is not assigned");
        let e = parse_extract("212555010x0\n").unwrap_err();
        assert!(e.to_string().starts_with("line 1:"));
    }
}
