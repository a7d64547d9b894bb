//! Page behaviour against a desk built from the core approval rules and link signer.

use super::*;
use ascent_core::approval::{Approval, ApprovalDraft, ApprovalPolicy, LinkSigner};
use ascent_core::money::Money;
use axum::body::{Body, to_bytes};
use axum::http::Request;
use chrono::Utc;
use std::sync::Mutex;
use tower::ServiceExt;

struct MemoryDesk {
    signer: LinkSigner,
    approval: Mutex<Approval>,
}

#[async_trait::async_trait]
impl ApprovalDesk for MemoryDesk {
    async fn show(&self, id: &str, token: &str) -> Result<ApprovalView, DeskError> {
        let c = self.signer.verify(token, Utc::now())?;
        let a = self.approval.lock().unwrap().clone();
        if c.approval_id != id || a.id != id {
            return Err(DeskError::NotFound(id.into()));
        }
        a.check_decider(&c.approver, c.step, Utc::now())?;
        Ok(ApprovalView {
            approval: a,
            approver: c.approver,
        })
    }
    async fn decide(
        &self,
        id: &str,
        token: &str,
        d: Decision,
        comment: Option<String>,
    ) -> Result<ApprovalView, DeskError> {
        let c = self.signer.verify(token, Utc::now())?;
        let mut a = self.approval.lock().unwrap();
        if c.approval_id != id {
            return Err(DeskError::Link(LinkError::Forged));
        }
        a.decide(
            &c.approver,
            c.step,
            d,
            comment,
            Utc::now(),
            chrono::Duration::hours(48),
        )?;
        Ok(ApprovalView {
            approval: a.clone(),
            approver: c.approver,
        })
    }
}

fn desk() -> (Arc<MemoryDesk>, String) {
    let draft = ApprovalDraft {
        kind: "discount".into(),
        subject: "D1".into(),
        summary: "20% discount on <b>D1</b>".into(),
        amount: Some(Money::usd(100_000)),
        requester: "rep@x".into(),
        approver_role: "sales-director".into(),
        first_approver: None,
        reason: "competitive".into(),
        facts: Default::default(),
    };
    let a = ApprovalPolicy::default()
        .open(
            "apr-1".into(),
            "closing",
            draft,
            uuid::Uuid::nil(),
            Utc::now(),
        )
        .unwrap();
    let signer = LinkSigner::new(b"web-test-key-web-test-key-web-test");
    let token = signer.token_for(&a);
    (
        Arc::new(MemoryDesk {
            signer,
            approval: Mutex::new(a),
        }),
        token,
    )
}

async fn call(router: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post(uri: &str, form: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap()
}

#[tokio::test]
async fn get_shows_and_never_decides_post_decides_once() {
    let (d, token) = desk();
    let r = approval_router(d.clone());
    for _ in 0..3 {
        // A scanner prefetching the link many times decides nothing.
        let (s, html) = call(
            &r,
            get(&format!("/approvals/apr-1?t={token}&action=approve")),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Approve</button>") && html.contains("Reject</button>"));
        assert!(html.contains("&lt;b&gt;D1&lt;/b&gt;"), "escaped");
        assert!(html.contains("approve hint"));
    }
    assert_eq!(d.approval.lock().unwrap().status_word(), "pending");
    let (s, html) = call(
        &r,
        post(
            "/approvals/apr-1",
            &format!("t={token}&decision=approve&comment=ok"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("closing agent has been told"));
    assert_eq!(d.approval.lock().unwrap().status_word(), "approved");
    // Replay of the same link.
    let (s, html) = call(
        &r,
        post("/approvals/apr-1", &format!("t={token}&decision=reject")),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("already approved"));
    let (s, _) = call(&r, get(&format!("/approvals/apr-1?t={token}"))).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn forged_missing_and_bad_requests() {
    let (d, token) = desk();
    let r = approval_router(d);
    let (s, html) = call(&r, get("/approvals/apr-1?t=abc.def")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("not valid"));
    let (s, _) = call(&r, get("/approvals/apr-1")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = LinkSigner::new(b"attacker-key-attacker-key-attacker").sign(
        &ascent_core::approval::LinkClaims {
            approval_id: "apr-1".into(),
            approver: "sales.director@ascent-xr.example".into(),
            step: 0,
            expires_at: i64::MAX,
        },
    );
    let (s, _) = call(
        &r,
        post("/approvals/apr-1", &format!("t={other}&decision=approve")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &r,
        post("/approvals/apr-1", &format!("t={token}&decision=maybe")),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expired_links_say_so() {
    let (d, _) = desk();
    let expired = d.signer.sign(&ascent_core::approval::LinkClaims {
        approval_id: "apr-1".into(),
        approver: "sales.director@ascent-xr.example".into(),
        step: 0,
        expires_at: Utc::now().timestamp() - 1,
    });
    let r = approval_router(d);
    let (s, html) = call(&r, get(&format!("/approvals/apr-1?t={expired}"))).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(html.contains("expired"));
}
