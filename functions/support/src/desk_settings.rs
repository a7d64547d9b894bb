//! `[support.desks]`: how Support's decisions go back to Zendesk and Intercom — the changes one
//! hourly run sends per desk, who decides a change a desk refused, each desk's endpoint and
//! the HTTP retry policy. The credentials come from the environment, never from the file
//! (`ASCENT_ZENDESK_API_TOKEN`, `ASCENT_INTERCOM_TOKEN`: see [`crate::Support::from_config`]).

use crate::desk::RetryPolicy;
use ascent_core::config::{Invalid, Validate, check_email, check_in_range};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Changes one run sends to one desk, at most: each costs up to two writes (sent or kept: one;
/// refused: two), and one run drains both desks in one commit, within what it takes.
pub const MAX_SYNCS_PER_RUN: usize = 12;
const _: () = assert!(
    2 * crate::desk::Desk::ALL.len() * MAX_SYNCS_PER_RUN <= ascent_core::limits::MAX_WRITES
);

/// The desks' settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeskSettings {
    /// Changes one hourly run sends to one desk, at most.
    pub max_syncs_per_run: usize,
    /// The role (`[approvals.roles]`) asked what to do with a change a desk refused.
    pub approver_role: String,
    /// On whose behalf that question is asked.
    pub requester: String,
    pub zendesk: ZendeskEndpoint,
    pub intercom: IntercomEndpoint,
    pub http: RetryPolicy,
}

/// Zendesk's endpoint: `https://<subdomain>.zendesk.com` and the agent whose API token is used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZendeskEndpoint {
    pub base_url: String,
    /// The Zendesk agent the API token belongs to (Basic `email/token:<token>`).
    pub email: String,
}

/// Intercom's endpoint, the admin Support acts as, and the conversation attributes it sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercomEndpoint {
    pub base_url: String,
    /// The Intercom admin notes and closes are made as (`admin_id`).
    pub admin_id: String,
    /// Conversation attribute names (defined in the workspace) for triage's priority and
    /// category: Intercom's own `priority` flag cannot be set through its API.
    pub priority_attribute: String,
    pub category_attribute: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpSection {
    max_attempts: u32,
    backoff_ms: u64,
    max_wait_seconds: u64,
    timeout_seconds: u64,
}

/// `[support.desks]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DesksSection {
    max_syncs_per_run: usize,
    pub(crate) approver_role: String,
    requester: String,
    zendesk: ZendeskEndpoint,
    intercom: IntercomEndpoint,
    http: HttpSection,
}

fn check_url(path: &str, url: &str) -> Result<(), Invalid> {
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.ends_with('/') {
        return Err(Invalid::new(
            path,
            format!("`{url}` is not an http(s) base URL without a trailing `/`"),
        ));
    }
    Ok(())
}

impl Validate for DesksSection {
    fn validate(&self) -> Result<(), Invalid> {
        check_in_range(
            "max_syncs_per_run",
            self.max_syncs_per_run,
            1,
            MAX_SYNCS_PER_RUN,
        )?;
        check_email("requester", &self.requester)?;
        check_url("zendesk.base_url", &self.zendesk.base_url)?;
        check_email("zendesk.email", &self.zendesk.email)?;
        check_url("intercom.base_url", &self.intercom.base_url)?;
        let admin = &self.intercom.admin_id;
        if admin.is_empty() || !admin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "intercom.admin_id",
                format!("`{admin}` is not an Intercom admin id (digits)"),
            ));
        }
        for (key, name) in [
            (
                "intercom.priority_attribute",
                &self.intercom.priority_attribute,
            ),
            (
                "intercom.category_attribute",
                &self.intercom.category_attribute,
            ),
        ] {
            if name.trim().is_empty() {
                return Err(Invalid::new(key, "must name a conversation attribute"));
            }
        }
        check_in_range("http.max_attempts", self.http.max_attempts, 1, 10)?;
        check_in_range("http.backoff_ms", self.http.backoff_ms, 1, 60_000)?;
        check_in_range("http.max_wait_seconds", self.http.max_wait_seconds, 0, 900)?;
        check_in_range("http.timeout_seconds", self.http.timeout_seconds, 1, 120)?;
        Ok(())
    }
}

impl From<DesksSection> for DeskSettings {
    fn from(s: DesksSection) -> Self {
        Self {
            max_syncs_per_run: s.max_syncs_per_run,
            approver_role: s.approver_role,
            requester: s.requester,
            zendesk: s.zendesk,
            intercom: s.intercom,
            http: RetryPolicy {
                max_attempts: s.http.max_attempts,
                backoff: Duration::from_millis(s.http.backoff_ms),
                max_wait: Duration::from_secs(s.http.max_wait_seconds),
                timeout: Duration::from_secs(s.http.timeout_seconds),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SupportConfig;
    use ascent_core::config::{ConfigError, ConfigFile};
    use std::time::Duration;

    fn refused(from: &str, to: &str) -> ConfigError {
        let shipped = ConfigFile::shipped().text().to_string();
        assert!(shipped.contains(from), "{from}");
        let file = ConfigFile::parse("x.toml", shipped.replacen(from, to, 1)).expect(to);
        SupportConfig::from_file(&file).unwrap_err()
    }

    #[test]
    fn the_shipped_desk_settings_are_today_s() {
        let d = SupportConfig::default().desks;
        assert_eq!(d.max_syncs_per_run, 10);
        assert_eq!(d.approver_role, "operations");
        assert_eq!(d.zendesk.base_url, "https://ascent-xr.zendesk.com");
        assert_eq!(d.intercom.base_url, "https://api.intercom.io");
        assert_eq!(d.http.max_attempts, 4);
        assert_eq!(d.http.backoff, Duration::from_millis(500));
    }

    #[test]
    fn bad_desk_settings_are_refused_naming_the_key() {
        const RUN: &str = "max_syncs_per_run = 10\napprover_role";
        let e = refused(RUN, "max_syncs_per_run = 13\napprover_role");
        assert_eq!(e.path, "support.desks.max_syncs_per_run");
        assert!(e.line.is_some());
        let e = refused(RUN, "max_syncs_per_run = 0\napprover_role");
        assert_eq!(e.path, "support.desks.max_syncs_per_run");
        let e = refused(
            "base_url = \"https://ascent-xr.zendesk.com\"",
            "base_url = \"ascent-xr.zendesk.com\"",
        );
        assert_eq!(e.path, "support.desks.zendesk.base_url");
        let e = refused("admin_id = \"814860\"", "admin_id = \"ops\"");
        assert_eq!(e.path, "support.desks.intercom.admin_id");
        let e = refused(
            "approver_role = \"operations\"\nrequester",
            "approver_role = \"support-ops\"\nrequester",
        );
        assert_eq!(e.path, "support.desks.approver_role");
        let e = refused(RUN, "turbo = true\nmax_syncs_per_run = 10\napprover_role");
        assert!(e.path.contains("turbo"), "{}", e.path);
    }
}
