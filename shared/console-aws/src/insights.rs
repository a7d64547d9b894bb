//! The console's read-only pages on AWS: the audit trail from the audit table ([`crate::audit`]),
//! business records and KPIs from `ascent-insights` over the tables read by prefix
//! ([`DynamoReader`] is its [`LakeReader`]). No agent computes the cost per million events on
//! AWS (the bill is AWS's own, in Cost Explorer): that KPI says so.

use crate::operations::internal;
use crate::reader::DynamoReader;
use ascent_console::insights::{
    AuditQuery, AuditRow, BusinessHit, BusinessRecord, ChainStatus, Kpi, Period, RecordKind,
};
use ascent_console::{Insights, OpsError};
use ascent_core::agent::Domain;
use ascent_core::ports::DataLake;
use ascent_insights::{LakeReader, business, kpis};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

#[async_trait::async_trait]
impl LakeReader for DynamoReader {
    async fn scan(
        &self,
        domain: Domain,
        prefix: &str,
        sk: Option<&str>,
        range: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<ascent_insights::Item>, OpsError> {
        Ok(self
            .items(domain, prefix, sk, range, limit)
            .await?
            .into_iter()
            .map(|i| (i.pk, i.sk, i.data))
            .collect())
    }

    async fn get(&self, domain: Domain, pk: &str, sk: &str) -> Result<Option<Value>, OpsError> {
        Ok(self
            .lake()
            .get(domain, pk, sk)
            .await
            .map_err(internal)?
            .map(|i| i.data))
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The insights of a deployed stack.
pub struct AwsInsights {
    pub lake: Arc<dyn DataLake>,
    pub reader: Arc<DynamoReader>,
    /// `[currency] base`: what the KPIs sum money in.
    pub base_currency: String,
}

#[async_trait::async_trait]
impl Insights for AwsInsights {
    async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, OpsError> {
        crate::audit::search(self.lake.as_ref(), q, Utc::now()).await
    }

    async fn timeline(&self, correlation_id: &str) -> Result<Vec<AuditRow>, OpsError> {
        crate::audit::timeline(self.lake.as_ref(), correlation_id, Utc::now()).await
    }

    async fn verify(&self) -> Result<ChainStatus, OpsError> {
        crate::audit::verify(self.lake.as_ref(), Utc::now()).await
    }

    async fn business_search(&self, text: &str) -> Result<Vec<BusinessHit>, OpsError> {
        business::search(self.reader.as_ref(), text).await
    }

    async fn business_record(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<BusinessRecord, OpsError> {
        business::record(self.reader.as_ref(), kind, id).await
    }

    async fn kpis(&self, period: Period) -> Result<Vec<Kpi>, OpsError> {
        kpis::kpis(self.reader.as_ref(), period, &self.base_currency).await
    }
}
