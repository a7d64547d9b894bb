//! Page behaviour against a desk built from the core approval rules and link signer.

use super::*;
use ascent_core::approval::{ApprovalDraft, ApprovalPolicy, Customer, Fact, LinkSigner, Reader};
use ascent_core::money::Money;
use axum::body::{Body, to_bytes};
use axum::http::{Request, header};
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
        ..Default::default()
    };
    desk_for(draft)
}

/// A desk holding `draft` opened now, and the link of its first approver.
fn desk_for(draft: ApprovalDraft) -> (Arc<MemoryDesk>, String) {
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

/// Closing's discount request as issue 27 found it: the deal, the account, the discount
/// amount and the rule in the facts as well as in the request itself.
fn discount(amount_minor: i64) -> ApprovalDraft {
    let facts = [
        ("Deal", Fact::from("D00042")),
        ("Account", "A00042".into()),
        ("Discount amount", Money::usd(amount_minor).into()),
        ("List subtotal", Money::usd(amount_minor * 5).into()),
        ("Reason", "discount above the 15% threshold".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    ApprovalDraft {
        kind: "discount".into(),
        subject: "D00042".into(),
        summary: "20% discount on deal D00042".into(),
        amount: Some(Money::usd(amount_minor)),
        requester: "rep@ascent-xr.example".into(),
        approver_role: "sales-director".into(),
        reason: "discount above the 15% threshold".into(),
        requester_reason: Some("three-year commitment; the competitor offers 25% off".into()),
        customer: Some(Customer::new("A00042", Some("Boreal Aero"))),
        facts,
        ..Default::default()
    }
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
    assert!(html.contains("Already decided"), "{html}");
    assert!(html.contains("This request was approved."), "{html}");
    assert!(
        html.contains("<th>Decided by</th><td>sales.director@ascent-xr.example</td>"),
        "{html}"
    );
    assert!(html.contains("<th>Comment</th><td>ok</td>"), "{html}");
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

/// Counts `needle` in `hay`.
fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// Issue 27: the page showed "Account A00042" without the customer's name, the rule without
/// the rep's reason, the discount amount and the rule twice, amounts as `10600.00 USD` and
/// the deadline in UTC only.
#[tokio::test]
async fn the_page_shows_the_customer_both_reasons_each_figure_once_in_the_approvers_zone() {
    let (d, token) = desk_for(discount(1_060_000));
    let r = approval_router(d.clone());
    let (s, html) = call(&r, get(&format!("/approvals/apr-1?t={token}"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("<th>Customer</th><td>Boreal Aero (A00042)</td>"),
        "{html}"
    );
    assert!(html.contains(
        "<th>Requester&#39;s reason</th><td>three-year commitment; the competitor offers 25% off</td>"
    ));
    assert!(
        html.contains("<th>Why approval is needed</th><td>discount above the 15% threshold</td>")
    );
    // Each figure once, grouped, with its currency: the amount is the discount amount.
    assert!(
        html.contains("<th>Amount</th><td>USD\u{a0}10,600.00</td>"),
        "{html}"
    );
    assert_eq!(count(&html, "10,600.00"), 1, "{html}");
    assert!(html.contains("<th>List subtotal</th><td>USD\u{a0}53,000.00</td>"));
    assert!(!html.contains("10600.00") && !html.contains("53000.00"));
    assert_eq!(count(&html, "discount above the 15% threshold"), 1);
    for repeated in [
        "<th>Deal</th>",
        "<th>Account</th>",
        "<th>Reason</th>",
        "<th>Discount amount</th>",
    ] {
        assert!(!html.contains(repeated), "{repeated} in {html}");
    }
    // The deadline in the company's zone (the director has no zone of their own), named.
    let deadline = d.approval.lock().unwrap().step_deadline;
    let la = Reader::new("en-US", "America/Los_Angeles").instant(deadline);
    assert!(
        html.contains(&format!("<th>Decide by</th><td>{la}</td>")),
        "{html}"
    );
    assert!(la.ends_with(" (America/Los_Angeles)") && !la.contains("UTC"));
}

/// Above the two-person amount the CRO approves first, then the CFO, who reads amounts in
/// en-GB and times in London (`[[approvals.people]]` of the shipped file); each decided
/// page says who decided, when and with what comment.
#[tokio::test]
async fn decided_pages_say_who_when_and_the_comment_in_the_readers_locale() {
    let (d, token) = desk_for(discount(6_000_000));
    let r = approval_router(d.clone());
    let (s, html) = call(
        &r,
        post(
            "/approvals/apr-1",
            &format!("t={token}&decision=approve&comment=strategic+logo"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("Approved: a second approval is needed"),
        "{html}"
    );
    assert!(
        html.contains("cfo@ascent-xr.example has been asked"),
        "{html}"
    );
    assert!(html.contains("<th>Approved so far by</th><td>cro@ascent-xr.example</td>"));
    assert!(html.contains("<th>Comment so far</th><td>cro@ascent-xr.example: strategic logo</td>"));
    // The CFO's link: the same request, written for London.
    let cfo = d.signer.token_for(&d.approval.lock().unwrap());
    let (s, html) = call(&r, get(&format!("/approvals/apr-1?t={cfo}"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("<th>Amount</th><td>USD\u{a0}60,000.00</td>"),
        "{html}"
    );
    assert!(html.contains(" (Europe/London)</td>"), "{html}");
    let (s, html) = call(
        &r,
        post(
            "/approvals/apr-1",
            &format!("t={cfo}&decision=approve&comment=within+budget"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let decided_at = d.approval.lock().unwrap().decided_at.unwrap();
    let london = Reader::new("en-GB", "Europe/London").instant(decided_at);
    assert!(html.contains("<h1>Approved</h1>"), "{html}");
    assert!(
        html.contains("<th>Decided by</th><td>cro@ascent-xr.example, cfo@ascent-xr.example</td>")
    );
    assert!(
        html.contains(&format!("<th>Decided on</th><td>{london}</td>")),
        "{html}"
    );
    assert!(
        html.contains(
            "<th>Comment</th><td>cro@ascent-xr.example: strategic logo\ncfo@ascent-xr.example: within budget</td>"
        )
    );
    // The link again: already decided, by whom, when (in the CFO's zone), with the comment.
    let (s, html) = call(&r, get(&format!("/approvals/apr-1?t={cfo}"))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("<h1>Already decided</h1>"), "{html}");
    assert!(html.contains("This request was approved."), "{html}");
    assert!(
        html.contains("<th>Decided by</th><td>cro@ascent-xr.example, cfo@ascent-xr.example</td>")
    );
    assert!(
        html.contains(&format!("<th>Decided on</th><td>{london}</td>")),
        "{html}"
    );
    assert!(
        html.contains(
            "<th>Comment</th><td>cro@ascent-xr.example: strategic logo\ncfo@ascent-xr.example: within budget</td>"
        )
    );
}

#[tokio::test]
async fn a_rejection_says_who_rejected_and_why() {
    let (d, token) = desk_for(discount(1_060_000));
    let r = approval_router(d);
    let (s, html) = call(
        &r,
        post(
            "/approvals/apr-1",
            &format!("t={token}&decision=reject&comment=margin+too+thin"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<h1>Rejected</h1>"));
    assert!(html.contains("<th>Decided by</th><td>sales.director@ascent-xr.example</td>"));
    assert!(html.contains("<th>Comment</th><td>margin too thin</td>"));
    let (s, html) = call(&r, get(&format!("/approvals/apr-1?t={token}"))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("This request was rejected."), "{html}");
    assert!(html.contains("<th>Decided by</th><td>sales.director@ascent-xr.example</td>"));
    assert!(
        html.contains("<th>Comment</th><td>margin too thin</td>"),
        "{html}"
    );
}
