//! The console's privacy desk on AWS: a person's export read at once from every table and
//! dead-letter queue ([`AwsPrivacy::find`], as `ascent aws privacy export` does), and their
//! erasure requested through the stack: `ErasureRequested` on the bus, carried out (and
//! retried) by the privacy desk function, which audits what it did per record.

use crate::operations::internal;
use ascent_aws::privacy::AwsPrivacy;
use ascent_console::privacy::PrivacyDesk;
use ascent_console::{Operator, OpsError};
use ascent_core::catalog::ErasureRequested;
use ascent_core::event::{Actor, Event};
use ascent_core::ports::EventBus;
use ascent_core::privacy::Subject;
use std::sync::Arc;

/// Export here, erasure through the bus.
pub struct AwsPrivacyDesk {
    pub privacy: AwsPrivacy,
    pub bus: Arc<dyn EventBus>,
}

#[async_trait::async_trait]
impl PrivacyDesk for AwsPrivacyDesk {
    async fn export(&self, email: &str, phone: Option<&str>) -> Result<String, OpsError> {
        let found = self
            .privacy
            .find(Subject::new(Some(email), phone))
            .await
            .map_err(internal)?;
        serde_json::to_string_pretty(&found.export(chrono::Utc::now())).map_err(internal)
    }

    async fn erase(
        &self,
        email: &str,
        phone: Option<&str>,
        operator: &Operator,
        request_id: &str,
    ) -> Result<String, OpsError> {
        let request = ErasureRequested {
            request_id: request_id.to_string(),
            email: email.to_string(),
            phone: phone.map(str::to_string),
            requested_by: operator.email.clone(),
        };
        let event = Event::new(
            "ascent.privacy",
            Actor::human(&operator.email),
            chrono::Utc::now(),
            request,
        );
        self.bus.publish(&[event]).await.map_err(internal)?;
        Ok(format!(
            "Erasure {request_id} requested: the privacy desk function carries it out within \
             minutes and audits each record it erases or pseudonymises (search the audit trail \
             for {request_id})."
        ))
    }
}
