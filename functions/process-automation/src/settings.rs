//! Process Automation's settings, read once at start from `ascent.toml`: `[process_automation]`
//! (the operations address, the approver role, the retry backoff and its bound per run, the
//! failure-rate window) and `[process_automation.patterns]` (the reason patterns of each
//! failure class); the approver role is checked against `[approvals.roles]`.

use crate::classify::Patterns;
use crate::{ProcessAutomation, declaration};
use ascent_core::config::platform::Approvals;
use ascent_core::config::{
    ConfigError, ConfigFile, Invalid, Validate, check_email, check_in_range,
};
use serde::{Deserialize, Serialize};

/// Process Automation's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessAutomationConfig {
    /// Where the daily failure report goes (and on whose behalf interventions are asked).
    pub operations_email: String,
    /// Whose approver chain decides an intervention.
    pub approver_role: String,
    /// First retry delay of a transient failure, in minutes.
    pub retry_base_minutes: u32,
    /// Each further retry waits this many times longer.
    pub retry_factor: f64,
    /// Redrives of a transient failure before it counts as poison.
    pub max_retries: u32,
    /// Redrives of due retries per hourly run at most.
    pub retries_per_run: usize,
    /// Days the daily report's failure rate is averaged over.
    pub rate_window_days: u32,
    pub patterns: Patterns,
}

/// Writes of one hourly run besides its redrives (the idempotency record is the host's).
const RUN_OVERHEAD_WRITES: usize = 1;

impl Validate for ProcessAutomationConfig {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("operations_email", &self.operations_email)?;
        if self.approver_role.trim().is_empty() {
            return Err(Invalid::new("approver_role", "must name a role"));
        }
        check_in_range("retry_base_minutes", self.retry_base_minutes, 1, 24 * 60)?;
        if !(self.retry_factor.is_finite() && (1.0..=10.0).contains(&self.retry_factor)) {
            return Err(Invalid::new(
                "retry_factor",
                "must be a number from 1.0 to 10.0",
            ));
        }
        check_in_range("max_retries", self.max_retries, 0, 20)?;
        // Each redrive is one write of the run's one commit (each audited on AWS).
        check_in_range(
            "retries_per_run",
            self.retries_per_run,
            1,
            ascent_core::limits::MAX_WRITES - RUN_OVERHEAD_WRITES,
        )?;
        check_in_range("rate_window_days", self.rate_window_days, 1, 31)?;
        self.patterns.check("patterns")
    }
}

impl ProcessAutomationConfig {
    /// Reads and validates `[process_automation]`; its role must have a chain in
    /// `[approvals.roles]`.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        let c: ProcessAutomationConfig = file.section("process_automation")?;
        let approvals: Approvals = file.section("approvals")?;
        approvals
            .check_role("approver_role", &c.approver_role)
            .map_err(|e| file.invalid("process_automation", e))?;
        Ok(c)
    }
}

impl ProcessAutomation {
    pub fn new(config: ProcessAutomationConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    /// The agent with the settings of `file`.
    pub fn from_config(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self::new(ProcessAutomationConfig::from_file(file)?))
    }
}

/// The shipped settings (`ascent.toml` at the repository root).
impl Default for ProcessAutomationConfig {
    fn default() -> Self {
        Self::from_file(&ConfigFile::shipped()).expect("the shipped [process_automation] is valid")
    }
}

impl Default for ProcessAutomation {
    fn default() -> Self {
        Self::new(ProcessAutomationConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(from: &str, to: &str) -> ConfigError {
        // Within the section only: other sections may have keys of the same name.
        let shipped = ConfigFile::shipped().text().to_string();
        let start = shipped.find("\n[process_automation]").expect("the section");
        let (before, mine) = shipped.split_at(start);
        assert!(mine.contains(from), "{from}");
        let text = format!("{before}{}", mine.replacen(from, to, 1));
        let file = ConfigFile::parse("x.toml", text).unwrap();
        ProcessAutomationConfig::from_file(&file)
            .err()
            .unwrap_or_else(|| panic!("`{to}` was taken"))
    }

    #[test]
    fn the_shipped_settings_are_today_s() {
        let c = ProcessAutomationConfig::default();
        assert_eq!(c.operations_email, "operations@ascent-xr.example");
        assert_eq!(c.approver_role, "operations");
        assert_eq!((c.retry_base_minutes, c.retry_factor), (30, 2.0));
        assert_eq!(
            (c.max_retries, c.retries_per_run, c.rate_window_days),
            (3, 20, 7)
        );
        assert_eq!(c.patterns.poison, ["handler panicked"]);
    }

    #[test]
    fn bad_values_are_refused_naming_their_key() {
        let e = refused("approver_role = \"operations\"", "approver_role = \"ops\"");
        assert_eq!(e.path, "process_automation.approver_role");
        assert!(e.message.contains("no chain"), "{}", e.message);
        let e = refused("retry_factor = 2.0", "retry_factor = 0.5");
        assert_eq!(e.path, "process_automation.retry_factor");
        assert!(e.line.is_some());
        let e = refused("retries_per_run = 20", "retries_per_run = 49");
        assert_eq!(e.path, "process_automation.retries_per_run");
        let e = refused(
            "operations_email = \"operations@ascent-xr.example\"",
            "operations_email = \"operations\"",
        );
        assert_eq!(e.path, "process_automation.operations_email");
        let e = refused("poison = [\"handler panicked\"]", "poison = [\"\"]");
        assert_eq!(e.path, "process_automation.patterns.poison[0]");
        let e = refused("rate_window_days = 7", "rate_window_days = 7\nwindow = 3");
        assert!(e.path.contains("window"), "{}", e.path);
    }
}
