//! The console's privacy desk in the twin: a person's export and erasure over the runtime's
//! store (the same as `ascent privacy export|erase`).

use ascent_console::privacy::PrivacyDesk;
use ascent_console::{Operator, OpsError};
use ascent_core::privacy::Subject;
use ascent_embedded::Runtime;
use std::sync::Arc;

pub struct TwinPrivacy {
    pub rt: Arc<Runtime>,
}

/// The export of the person, as JSON text.
pub fn export(rt: &Runtime, email: &str, phone: Option<&str>) -> Result<String, OpsError> {
    let found = rt
        .privacy_findings(Subject::new(Some(email), phone))
        .map_err(|e| OpsError::Internal(e.to_string()))?;
    serde_json::to_string_pretty(&found.export(rt.now()))
        .map_err(|e| OpsError::Internal(e.to_string()))
}

/// Erases the person; what was done per agent.
pub fn erase(
    rt: &Runtime,
    email: &str,
    phone: Option<&str>,
    operator: &Operator,
    request_id: &str,
) -> Result<String, OpsError> {
    let report = rt
        .erase_subject(
            Subject::new(Some(email), phone),
            rt.privacy_key(),
            &operator.email,
            request_id,
        )
        .map_err(|e| OpsError::Internal(e.to_string()))?;
    Ok(report.render())
}

#[async_trait::async_trait]
impl PrivacyDesk for TwinPrivacy {
    async fn export(&self, email: &str, phone: Option<&str>) -> Result<String, OpsError> {
        export(&self.rt, email, phone)
    }

    async fn erase(
        &self,
        email: &str,
        phone: Option<&str>,
        operator: &Operator,
        request_id: &str,
    ) -> Result<String, OpsError> {
        erase(&self.rt, email, phone, operator, request_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_embedded::TwinConfig;
    use ascent_embedded::testkit::TestTwin;

    #[test]
    fn the_twin_s_desk_exports_a_lead_then_erases_her() {
        let start = "2026-03-01T11:00:00Z".parse().unwrap();
        let t = TestTwin::with_config(crate::agents::all(), start, TwinConfig::default());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../events/scenarios/lead-to-cash-1-proposal.json");
        let values: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let events: Vec<_> = values
            .into_iter()
            .map(|v| ascent_core::event::Event::from_value(v).unwrap())
            .collect();
        t.runtime.ingest(&events).unwrap();
        t.drain();
        let rt = &t.runtime;
        let ana = "Ana.Ruiz@boreal-aero.example";
        let before: serde_json::Value =
            serde_json::from_str(&export(rt, ana, None).unwrap()).unwrap();
        assert!(
            before["records"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["agent"] == "lead-generation"),
            "{before:#}"
        );
        let admin = Operator {
            email: "coo@ascent-xr.example".into(),
            role: ascent_console::Role::Admin,
        };
        let done = erase(rt, ana, None, &admin, "dsr-console-1").unwrap();
        assert!(done.starts_with("erasure dsr-console-1"), "{done}");
        assert!(done.contains("lead-generation:"), "{done}");
        let after: serde_json::Value =
            serde_json::from_str(&export(rt, ana, None).unwrap()).unwrap();
        assert!(
            after["records"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["agent"] != "lead-generation"),
            "{after:#}"
        );
    }
}
