//! The local twin of the Ascent agents ecosystem (`ascent` binary): wires the agents to the
//! embedded adapters, serves events, status and approval pages, and runs simulations.

pub mod access;
pub mod agents;
pub mod aws;
pub mod config;
pub mod console;
pub mod console_insights;
pub mod console_privacy;
pub mod cost;
pub mod dnc;
pub mod docs;
pub mod http;
pub mod infra;
pub mod refusal;
pub mod server;
pub mod settings;
pub mod simulate;
pub mod synthetic;

use anyhow::Context;
use ascent_embedded::{Runtime, Store};
use settings::Settings;
use std::sync::Arc;

/// Opens the twin on its SQLite file with every agent.
pub fn open(settings: &Settings) -> anyhow::Result<Arc<Runtime>> {
    let clock: Arc<dyn ascent_core::ports::Clock> = Arc::new(ascent_core::ports::SystemClock);
    let store = Store::open(&settings.db_path(), clock)
        .with_context(|| format!("opening {}", settings.db_path().display()))?;
    let config = settings
        .twin_config()
        .context("preparing the approval link key")?;
    Ok(Arc::new(Runtime::new(
        Arc::new(store),
        settings.config.agents(&settings.base_url()),
        config,
    )?))
}

/// Opens the twin of `settings` only if its folder holds one (`twin.db`), creating nothing:
/// for the commands that read or operate a twin, so that a mistyped `--data-dir` is reported
/// instead of becoming a new, empty twin.
pub fn open_existing(settings: &Settings) -> anyhow::Result<Arc<Runtime>> {
    if !settings.db_path().is_file() {
        anyhow::bail!(
            "no twin at {} (no twin.db); start one with `ascent up` or pass --data-dir",
            settings.data_dir.display()
        );
    }
    open(settings)
}
