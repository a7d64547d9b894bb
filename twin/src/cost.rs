//! `ascent cost`: the monthly AWS bill of the traffic a run produced, on the stack the
//! declarations generate. The counts come from the SQLite file the run left
//! ([`counts`], [`platform`]); the bill is a pure function of those counts and the price
//! table and assumptions of `[cost]` ([`bill`], [`settings`]); [`render`] prints it.
//! How each line is computed: docs/operations.md, "Cost model".

pub mod bill;
pub mod counts;
pub mod platform;
pub mod render;
pub mod settings;

pub use bill::{Bill, bill};
pub use counts::{Period, RunCounts};
pub use settings::CostSettings;

use crate::config::AscentConfig;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The database of a data folder: the newest of its `twin.db` and `simulate-<seed>.db`.
pub fn database_in(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let entries =
        std::fs::read_dir(data_dir).with_context(|| format!("reading {}", data_dir.display()))?;
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let is_run = name == "twin.db" || (name.starts_with("simulate-") && name.ends_with(".db"));
        if !is_run {
            continue;
        }
        let modified = path.metadata()?.modified()?;
        if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
            newest = Some((modified, path));
        }
    }
    newest.map(|(_, p)| p).with_context(|| {
        format!(
            "no twin.db or simulate-<seed>.db in {} (run `ascent --data-dir {} simulate --days 30` first)",
            data_dir.display(),
            data_dir.display()
        )
    })
}

/// The counts of the run in `db` as the stack of `config` would see them.
pub fn counts_of(
    db: &Path,
    config: &AscentConfig,
    period: Period,
    days: Option<f64>,
) -> anyhow::Result<RunCounts> {
    let decls = crate::agents::declarations();
    let template = crate::infra::template_with(&decls, &config.file())?;
    counts::read(db, &template, &decls, &config.cost, period, days)
}

/// The bill of the run in `db` under `config`.
pub fn bill_of(
    db: &Path,
    config: &AscentConfig,
    period: Period,
    days: Option<f64>,
) -> anyhow::Result<Bill> {
    let counts = counts_of(db, config, period, days)?;
    Ok(bill(&counts, &config.cost))
}

#[cfg(test)]
mod tests;
