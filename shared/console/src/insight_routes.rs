//! The HTTP side of the read-only pages over [`Insights`]: audit search and a flow's
//! timeline, business state search and records, the KPI dashboard. Every page is a GET open
//! to any signed-in operator (viewers included); nothing here changes anything.

use crate::Console;
use crate::access::Session;
use crate::insights::RecordKind;
use crate::layout::{page, refusal};
use crate::pages::{audit, business, dashboard};
use crate::port::OpsError;
use crate::routes::SignedIn;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use std::sync::Arc;

/// The routes of the audit, business and dashboard pages, merged into the console's router.
pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/console/audit", get(audit_page))
        .route("/console/audit/flow/{correlation_id}", get(flow_page))
        .route("/console/business", get(business_page))
        .route("/console/business/{kind}/{id}", get(record_page))
        .route("/console/dashboard", get(dashboard_page))
}

/// The page of a failed read.
fn failed(session: &Session, e: OpsError) -> Response {
    let status = match e {
        OpsError::NotFound(_) => StatusCode::NOT_FOUND,
        OpsError::Refused(_) => StatusCode::BAD_REQUEST,
        OpsError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "console read failed");
    }
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::BAD_REQUEST => "Not shown",
        _ => "Something went wrong",
    };
    refusal(status, Some(session), title, &e.to_string())
}

/// The page saying this home reads no insights.
fn unavailable(session: &Session) -> Response {
    refusal(
        StatusCode::NOT_IMPLEMENTED,
        Some(session),
        "Not available",
        "this home does not read the audit trail, business state or KPIs yet",
    )
}

pub async fn audit_page(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Query(form): Query<audit::AuditForm>,
) -> Response {
    let s = &who.session;
    let Some(home) = console.insights.as_ref() else {
        return unavailable(s);
    };
    let status = match home.verify().await {
        Ok(v) => v,
        Err(e) => return failed(s, e),
    };
    let agents: Vec<String> = match console.ops.agents().await {
        Ok(rows) => rows.into_iter().map(|a| a.name).collect(),
        Err(_) => vec![],
    };
    let body = match form.query() {
        Err(why) => audit::render(&status, &form, &agents, &[], Some(&why)),
        Ok(q) => match home.audit_search(&q).await {
            Ok(rows) => audit::render(&status, &form, &agents, &rows, None),
            Err(e) => return failed(s, e),
        },
    };
    page(StatusCode::OK, Some(s), "/audit", "Audit", &body)
}

pub async fn flow_page(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Path(correlation_id): Path<String>,
) -> Response {
    let s = &who.session;
    let Some(home) = console.insights.as_ref() else {
        return unavailable(s);
    };
    match home.timeline(&correlation_id).await {
        Ok(rows) => page(
            StatusCode::OK,
            Some(s),
            "/audit",
            "Business flow",
            &audit::timeline(&correlation_id, &rows),
        ),
        Err(e) => failed(s, e),
    }
}

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

pub async fn business_page(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Query(search): Query<Search>,
) -> Response {
    let s = &who.session;
    let Some(home) = console.insights.as_ref() else {
        return unavailable(s);
    };
    let text = search.q.trim();
    let hits = if text.is_empty() {
        vec![]
    } else {
        match home.business_search(text).await {
            Ok(h) => h,
            Err(e) => return failed(s, e),
        }
    };
    page(
        StatusCode::OK,
        Some(s),
        "/business",
        "Business state",
        &business::render(&search.q, &hits),
    )
}

pub async fn record_page(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    let s = &who.session;
    let Some(home) = console.insights.as_ref() else {
        return unavailable(s);
    };
    let Some(kind) = RecordKind::parse(&kind) else {
        return failed(s, OpsError::NotFound(format!("kind of record {kind}")));
    };
    match home.business_record(kind, &id).await {
        Ok(record) => page(
            StatusCode::OK,
            Some(s),
            "/business",
            &format!("{} {}", kind.label(), record.hit.id),
            &business::detail(&record),
        ),
        Err(e) => failed(s, e),
    }
}

pub async fn dashboard_page(
    State(console): State<Arc<Console>>,
    who: SignedIn,
    Query(form): Query<dashboard::PeriodForm>,
) -> Response {
    let s = &who.session;
    let Some(home) = console.insights.as_ref() else {
        return unavailable(s);
    };
    let body = match form.period(console.ops.now().date_naive()) {
        Err(why) => dashboard::render(&form, None, &[], Some(&why)),
        Ok(period) => match home.kpis(period).await {
            Ok(kpis) => dashboard::render(&form, Some(period), &kpis, None),
            Err(e) => return failed(s, e),
        },
    };
    page(StatusCode::OK, Some(s), "/dashboard", "Dashboard", &body)
}

#[cfg(test)]
mod tests;
