//! The insight pages through the router: open to a viewer, escaped, a bad form said on the
//! page, an unknown record 404, and a home without insights answered 501.

use crate::access::{Operator, Role};
use crate::insights::*;
use crate::port::*;
use crate::{Console, ConsoleSettings, SESSION_COOKIE};
use ascent_core::approval::{Approval, Decision};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tower::ServiceExt;

struct Home;

#[async_trait::async_trait]
impl Operations for Home {
    fn now(&self) -> DateTime<Utc> {
        "2026-03-20T12:00:00Z".parse().unwrap()
    }
    async fn inbox(&self) -> Result<Inbox, OpsError> {
        Ok(Inbox::default())
    }
    async fn decide(
        &self,
        _: &str,
        _: &Operator,
        _: Decision,
        _: Option<String>,
    ) -> Result<Approval, OpsError> {
        Err(OpsError::Refused("no".into()))
    }
    async fn agents(&self) -> Result<Vec<AgentRow>, OpsError> {
        Ok(vec![AgentRow {
            name: "billing".into(),
            ..Default::default()
        }])
    }
    async fn set_paused(&self, _: &str, _: bool, _: &Operator) -> Result<(), OpsError> {
        Ok(())
    }
    async fn queues(&self) -> Result<Vec<QueueRow>, OpsError> {
        Ok(vec![])
    }
    async fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, OpsError> {
        Ok(vec![])
    }
    async fn redrive(&self, _: Option<Vec<String>>, _: &Operator) -> Result<usize, OpsError> {
        Ok(0)
    }
    async fn record(&self, _: ConsoleAction) -> Result<(), OpsError> {
        Ok(())
    }
}

struct Insightful;

fn audit_row(seq: u64) -> AuditRow {
    AuditRow {
        seq,
        at: "2026-03-20T11:00:00Z".parse().unwrap(),
        actor: "billing".into(),
        action: "put".into(),
        domain: "financial".into(),
        item: "invoice#inv-1/invoice".into(),
        correlation_id: Some("c-1".into()),
        detail: String::new(),
    }
}

#[async_trait::async_trait]
impl Insights for Insightful {
    async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, OpsError> {
        assert_eq!(q.agent.as_deref(), Some("billing"));
        Ok(vec![audit_row(2)])
    }
    async fn timeline(&self, id: &str) -> Result<Vec<AuditRow>, OpsError> {
        assert_eq!(id, "c 1/2");
        Ok(vec![audit_row(1), audit_row(2)])
    }
    async fn verify(&self) -> Result<ChainStatus, OpsError> {
        Ok(ChainStatus::Verified(2))
    }
    async fn business_search(&self, text: &str) -> Result<Vec<BusinessHit>, OpsError> {
        Ok(vec![BusinessHit {
            kind: RecordKind::Invoice,
            id: "inv-1".into(),
            name: Some(format!("<{text}>")),
            status: "paid".into(),
            summary: String::new(),
        }])
    }
    async fn business_record(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<BusinessRecord, OpsError> {
        Err(OpsError::NotFound(format!("{} {id}", kind.as_str())))
    }
    async fn kpis(&self, period: Period) -> Result<Vec<Kpi>, OpsError> {
        Ok(vec![Kpi::empty(
            "nps",
            "NPS",
            "csd",
            &format!("nothing from {} to {}", period.from, period.to),
        )])
    }
}

async fn get(console: Arc<Console>, path: &str) -> (StatusCode, String) {
    let (token, _) = console
        .sessions
        .open(
            Operator {
                email: "analyst@x.example".into(),
                role: Role::Viewer,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let r = crate::router(console)
        .oneshot(
            Request::get(path)
                .header(header::COOKIE, format!("{SESSION_COOKIE}={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = r.status();
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn console(insights: bool) -> Arc<Console> {
    let c = Console::new(Arc::new(Home), ConsoleSettings::default(), false);
    Arc::new(if insights {
        c.with_insights(Arc::new(Insightful))
    } else {
        c
    })
}

#[tokio::test]
async fn a_viewer_reads_the_audit_business_and_dashboard_pages() {
    let (s, page) = get(
        console(true),
        "/console/audit?agent=billing&item=&from=&to=",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page.contains("verified: 2 record(s)")
            && page.contains("href=\"/console/audit\" class=\"on\"")
    );
    let (s, page) = get(console(true), "/console/audit?agent=billing&from=nope").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("from must be a date"), "{page}");
    let (s, page) = get(console(true), "/console/audit/flow/c%201%2F2").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("2 record(s)"));
    let (s, page) = get(console(true), "/console/business?q=acme").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("&lt;acme&gt;") && page.contains("/console/business/invoice/inv-1"));
    let (s, _) = get(console(true), "/console/business/invoice/inv-9").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get(console(true), "/console/business/planet/x").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, page) = get(console(true), "/console/dashboard?days=7").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("nothing from 2026-03-14 to 2026-03-20"),
        "{page}"
    );
    let (s, page) = get(console(true), "/console/dashboard?days=0").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("days must be 1 to 366"));
}

#[tokio::test]
async fn a_home_without_insights_says_so_and_a_stranger_is_sent_to_sign_in() {
    let (s, _) = get(console(false), "/console/dashboard").await;
    assert_eq!(s, StatusCode::NOT_IMPLEMENTED);
    let r = crate::router(console(true))
        .oneshot(Request::get("/console/audit").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
