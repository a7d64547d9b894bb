//! The operator console driven in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, which `tools/test` installs) through WebDriver: a twin serving on a free
//! port with its worker, `chromedriver` on another, and the flows an operator follows: sign in,
//! see a pending approval an event created, approve it (and its downstream effect), pause an
//! agent and see its queue grow, resume it and see it drain, redrive a dead letter, a viewer
//! refused an approver's action, and the emailed link's flow (decide, then the link refused the
//! second time). Screenshots of the main pages go to `target/console-screenshots/`.
//!
//! Without chromedriver the test fails saying how to install it: it never skips.

#[path = "support/browser.rs"]
mod browser;

use ascent::server::ServerOptions;
use ascent::settings::Settings;
use ascent_embedded::Runtime;
use browser::*;
use fantoccini::Locator;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The shipped demo operators (ascent.toml, docs/console.md).
const VIEWER: (&str, &str) = ("analyst@ascent-xr.example", "viewer-demo-password");
const APPROVER: (&str, &str) = ("sales.director@ascent-xr.example", "approver-demo-password");
const ADMIN: (&str, &str) = ("coo@ascent-xr.example", "admin-demo-password");

/// The proposal scenario's deal moved to proposal again as another deal (new ids): a second
/// discount to approve.
fn second_deal() -> Value {
    let events = scenario("lead-to-cash-1-proposal");
    let mut deal = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detail-type"] == "DealStageChanged")
        .unwrap()
        .clone();
    deal["id"] = json!(uuid::Uuid::new_v4());
    deal["detail"]["event_id"] = json!(uuid::Uuid::new_v4());
    deal["detail"]["correlation_id"] = json!(uuid::Uuid::new_v4());
    deal["detail"]["payload"]["deal_id"] = json!("D00043");
    json!([deal])
}

fn pending_about(rt: &Runtime, subject: &str) -> Option<String> {
    let (pending, _) = rt.inbox().unwrap();
    pending
        .into_iter()
        .find(|a| a.draft.subject == subject)
        .map(|a| a.id)
}

fn queued(rt: &Runtime, agent: &str) -> u64 {
    let s = rt.status().unwrap();
    let a = s.agents.iter().find(|a| a.agent == agent).unwrap();
    a.visible + a.in_flight
}

fn audited(rt: &Runtime, actor: &str, action: &str) -> bool {
    rt.store()
        .audit_records()
        .unwrap()
        .iter()
        .any(|r| r.entry.actor == actor && r.entry.action == action)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_runs_the_company_from_the_console_in_a_real_browser() {
    let driver = start_driver();
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = Settings::new(dir.path(), listener.local_addr().unwrap().port());
    let rt: Arc<Runtime> = ascent::open(&settings).unwrap();
    let twin = ascent::server::start_with(rt.clone(), listener, ServerOptions::default()).unwrap();
    let base = twin.base_url.clone();
    let c = browser(&driver, 1000).await;

    // Signed out, the console sends to its sign-in page; a wrong password is refused.
    c.goto(&format!("{base}/console/approvals")).await.unwrap();
    assert!(source(&c).await.contains("id=\"sign-in\""));
    screenshot(&c, "sign-in").await;
    try_sign_in(&c, &base, (APPROVER.0, "wrong")).await;
    shows(&c, "unknown operator or wrong password").await;

    // An event opens an approval; the approver sees it pending and approves it.
    post_events(&base, &scenario("lead-to-cash-1-proposal"));
    until("the discount approval is open", || {
        pending_about(&rt, "D00042").is_some()
    })
    .await;
    let id = pending_about(&rt, "D00042").unwrap();
    sign_in(&c, &base, APPROVER).await;
    let page = page_with(&c, &format!("{base}/console/approvals"), &id).await;
    assert!(page.contains("D00042"), "{page}");
    assert!(page.contains("ava.rep@ascent-xr.example"), "who asked");
    screenshot(&c, "approvals").await;
    c.find(Locator::Css(&format!(
        "tr[data-approval='{id}'] input[name=comment]"
    )))
    .await
    .unwrap()
    .send_keys("within this quarter's margin")
    .await
    .unwrap();
    c.find(Locator::Css(&format!(
        "tr[data-approval='{id}'] button.approve"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    shows(&c, "class=\"note\"").await;
    let note = text(&c, "p.note").await;
    assert!(note.contains(&id) && note.contains("approved"), "{note}");
    // Decided: who, when and why.
    let row = text(&c, &format!("#decided tr[data-approval='{id}']")).await;
    assert!(
        row.contains(APPROVER.0) && row.contains("within this quarter's margin"),
        "{row}"
    );
    assert_eq!(
        text(&c, &format!("#decided tr[data-approval='{id}'] td.outcome")).await,
        "approved"
    );
    // Downstream: the closing agent sends the proposal once the decision is recorded.
    until("the proposal goes out", || {
        rt.mails()
            .unwrap()
            .iter()
            .any(|m| m.subject.contains("for deal D00042 is out"))
    })
    .await;
    assert!(!rt.archived("ProposalSent").unwrap().is_empty());
    assert!(audited(&rt, APPROVER.0, "approval.decided"));
    sign_out(&c).await;

    // The admin pauses Billing: a payment waits in its queue; resumed, it is received (and,
    // with no invoice to apply it to, dead-lettered after its retries).
    sign_in(&c, &base, ADMIN).await;
    c.goto(&format!("{base}/console/agents")).await.unwrap();
    c.find(Locator::Css("tr[data-agent='billing'] td.state button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shows(&c, "billing paused").await;
    assert!(
        text(&c, "tr[data-agent='billing'] td.state")
            .await
            .contains("paused")
    );
    post_events(&base, &scenario("poison-payment"));
    page_with(&c, &format!("{base}/console/agents"), "paused").await;
    until("the payment waits in Billing's queue", || {
        queued(&rt, "billing") == 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        queued(&rt, "billing"),
        1,
        "still waiting: the worker leaves it"
    );
    c.goto(&format!("{base}/console/agents")).await.unwrap();
    assert_eq!(text(&c, "tr[data-agent='billing'] td.queued").await, "1");
    screenshot(&c, "agents").await;
    assert!(
        rt.dead_letters()
            .unwrap()
            .iter()
            .all(|d| d.agent != "billing"),
        "a paused agent's message is not dead-lettered"
    );
    c.find(Locator::Css("tr[data-agent='billing'] td.state button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shows(&c, "billing resumed").await;
    until(
        "Billing drains its queue into the dead-letter queue",
        || {
            queued(&rt, "billing") == 0
                && rt
                    .dead_letters()
                    .unwrap()
                    .iter()
                    .any(|d| d.agent == "billing")
        },
    )
    .await;
    c.goto(&format!("{base}/console/agents")).await.unwrap();
    assert_eq!(text(&c, "tr[data-agent='billing'] td.queued").await, "0");
    assert!(audited(&rt, ADMIN.0, "agent.paused") && audited(&rt, ADMIN.0, "agent.resumed"));

    // The dead letter, its reason and payload; redriven from the page.
    let letter = rt
        .dead_letters()
        .unwrap()
        .into_iter()
        .find(|d| d.agent == "billing")
        .unwrap();
    let page = page_with(
        &c,
        &format!("{base}/console/queues"),
        "inv-UNKNOWN not found",
    )
    .await;
    assert!(page.contains("P000999"), "the payload is shown");
    screenshot(&c, "queues").await;
    c.find(Locator::Css(&format!(
        "tr[data-dead-letter='{}'] button",
        letter.id
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    shows(&c, "1 dead letter(s) sent back").await;
    assert!(rt.dead_letters().unwrap().iter().all(|d| d.id != letter.id));
    assert!(audited(&rt, ADMIN.0, "dlq.redrive"));
    sign_out(&c).await;

    // A viewer sees the second discount but may not decide it: the form an approver gets,
    // posted with the viewer's own session token, is refused with 403.
    post_events(&base, &second_deal());
    until("the second approval is open", || {
        pending_about(&rt, "D00043").is_some()
    })
    .await;
    let second = pending_about(&rt, "D00043").unwrap();
    sign_in(&c, &base, VIEWER).await;
    let page = page_with(&c, &format!("{base}/console/approvals"), &second).await;
    assert!(
        !page.contains("button type=\"submit\" class=\"approve\""),
        "no decision form"
    );
    c.execute(
        "const csrf = document.querySelector('input[name=csrf]').value;
         const f = document.createElement('form');
         f.method = 'post'; f.action = '/console/approvals/' + arguments[0];
         for (const [k, v] of [['csrf', csrf], ['decision', 'approve']]) {
           const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v;
           f.appendChild(i);
         }
         document.body.appendChild(f); f.submit();",
        vec![json!(second)],
    )
    .await
    .unwrap();
    let refused = shows(&c, "Not allowed").await;
    assert!(refused.contains("may not decide approvals"), "{refused}");
    screenshot(&c, "forbidden").await;
    assert!(audited(&rt, VIEWER.0, "console.refused"));
    assert!(pending_about(&rt, "D00043").is_some(), "still pending");

    // The emailed link needs no sign-in: decided once, refused the second time.
    let mail = rt
        .mails()
        .unwrap()
        .into_iter()
        .find(|m| m.subject.starts_with("Approval needed") && m.text.contains(&second))
        .expect("the approval mail of the second discount");
    let link = mail
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Approve:"))
        .unwrap()
        .trim()
        .to_string();
    c.goto(&link).await.unwrap();
    screenshot(&c, "email-approval").await;
    c.find(Locator::Css("button[value='approve']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until("the link's decision is recorded", || {
        pending_about(&rt, "D00043").is_none()
    })
    .await;
    let started = Instant::now();
    while source(&c).await.contains("value=\"approve\"") {
        assert!(started.elapsed() < PATIENCE, "the decided page never came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&c, "email-decided").await;
    c.goto(&link).await.unwrap();
    let again = source(&c).await.to_lowercase();
    assert!(
        again.contains("already"),
        "the link is refused once used:\n{again}"
    );

    c.close().await.unwrap();
    twin.stop();
}
