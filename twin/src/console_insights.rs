//! The twin's home of the console's read-only pages: [`ascent_console::Insights`] over the
//! runtime's SQLite store. The audit trail is searched in the audit table and verified with
//! the store's own chain check (here); business records and KPIs are `ascent-insights`', the
//! same in every home, read through the twin's [`ascent_insights::LakeReader`] ([`lake`]: the
//! items table listed by key prefix); the cost KPI is the twin's own ([`cost_kpi`]: `ascent
//! cost` over its database file).

use ascent_console::Insights;
use ascent_console::OpsError;
use ascent_console::insights::{
    AuditQuery, AuditRow, BusinessHit, BusinessRecord, ChainStatus, Kpi, Period, RecordKind,
};
use ascent_embedded::Runtime;
use ascent_insights::{business, kpis};
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub mod cost_kpi;
pub mod lake;

/// The twin's insights: its runtime, and the base currency its KPIs are summed in.
pub struct TwinInsights {
    pub rt: Arc<Runtime>,
    pub base_currency: String,
}

impl TwinInsights {
    /// Over `rt`, in the shipped configuration's base currency.
    pub fn new(rt: Arc<Runtime>) -> Self {
        let base_currency = crate::config::AscentConfig::shipped().currency.base;
        Self { rt, base_currency }
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> OpsError {
    OpsError::Internal(e.to_string())
}

const AUDIT_COLUMNS: &str = "seq, at, actor, action, domain, item, correlation_id, detail";

fn audit_rows(
    rt: &Runtime,
    sql: &str,
    params: [Option<&str>; 5],
) -> Result<Vec<AuditRow>, OpsError> {
    type Raw = (
        i64,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
    );
    let raw: Vec<Raw> = rt
        .store()
        .read(|c| {
            let mut st = c.prepare(sql)?;
            let rows = st.query_map(params, |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?;
            rows.collect()
        })
        .map_err(internal)?;
    raw.into_iter()
        .map(
            |(seq, at, actor, action, domain, item, correlation_id, detail)| {
                let at = DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| internal(format!("audit record {seq}'s time {at:?}: {e}")))?
                    .with_timezone(&Utc);
                Ok(AuditRow {
                    seq: seq as u64,
                    at,
                    actor,
                    action,
                    domain,
                    item,
                    correlation_id,
                    detail,
                })
            },
        )
        .collect()
}

/// Audit records matching `q`, latest first.
pub fn audit_search(rt: &Runtime, q: &AuditQuery) -> Result<Vec<AuditRow>, OpsError> {
    let sql = format!(
        "SELECT {AUDIT_COLUMNS} FROM audit WHERE (?1 IS NULL OR lower(actor) = lower(?1)) \
         AND (?2 IS NULL OR instr(lower(item), lower(?2)) > 0) \
         AND (?3 IS NULL OR correlation_id = ?3) AND (?4 IS NULL OR at >= ?4) \
         AND (?5 IS NULL OR at < ?5) ORDER BY seq DESC LIMIT {}",
        q.limit.max(1)
    );
    let time = |t: Option<DateTime<Utc>>| t.map(ascent_core::audit::audit_time);
    let (from, to) = (time(q.from), time(q.to));
    audit_rows(
        rt,
        &sql,
        [
            q.agent.as_deref(),
            q.item.as_deref(),
            q.correlation_id.as_deref(),
            from.as_deref(),
            to.as_deref(),
        ],
    )
}

/// Records of one flow shown at most.
pub const TIMELINE_LIMIT: usize = 2_000;

/// Every audit record of one correlation id, in time order.
pub fn timeline(rt: &Runtime, correlation_id: &str) -> Result<Vec<AuditRow>, OpsError> {
    let sql = format!(
        "SELECT {AUDIT_COLUMNS} FROM audit WHERE correlation_id = ?1 AND ?2 IS NULL \
         AND ?3 IS NULL AND ?4 IS NULL AND ?5 IS NULL ORDER BY at, seq LIMIT {TIMELINE_LIMIT}"
    );
    audit_rows(rt, &sql, [Some(correlation_id), None, None, None, None])
}

/// The chain verified by the store, as the page says it.
pub fn verify(rt: &Runtime) -> ChainStatus {
    match rt.store().verify_audit() {
        Ok(n) => ChainStatus::Verified(n),
        Err(why) => ChainStatus::Broken(why),
    }
}

/// Runs `f` on the blocking pool: the store's calls block.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OpsError> + Send + 'static,
) -> Result<T, OpsError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

#[async_trait::async_trait]
impl Insights for TwinInsights {
    async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, OpsError> {
        let (rt, q) = (self.rt.clone(), q.clone());
        blocking(move || audit_search(&rt, &q)).await
    }

    async fn timeline(&self, correlation_id: &str) -> Result<Vec<AuditRow>, OpsError> {
        let (rt, id) = (self.rt.clone(), correlation_id.to_string());
        blocking(move || timeline(&rt, &id)).await
    }

    async fn verify(&self) -> Result<ChainStatus, OpsError> {
        let rt = self.rt.clone();
        blocking(move || Ok(verify(&rt))).await
    }

    async fn business_search(&self, text: &str) -> Result<Vec<BusinessHit>, OpsError> {
        business::search(self, text).await
    }

    async fn business_record(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<BusinessRecord, OpsError> {
        business::record(self, kind, id).await
    }

    async fn kpis(&self, period: Period) -> Result<Vec<Kpi>, OpsError> {
        let shared = kpis::kpis(self, period, &self.base_currency).await?;
        let rt = self.rt.clone();
        let cost = blocking(move || Ok(cost_kpi::kpi(&rt, period))).await?;
        Ok(kpis::with_cost(shared, cost))
    }
}

#[cfg(test)]
mod tests;
