//! The console's read-only pages (Business state, Audit, Dashboard) in a real headless
//! Chromium through WebDriver, after the lead-to-cash scenario ran through the twin: a viewer
//! finds the invoice by its customer's name and sees it paid, opens it, follows the flow's
//! audit records across agents as a timeline with the chain verified, and sees the invoiced
//! revenue charted on the dashboard. Screenshots go to `target/console-screenshots/`.
//!
//! The driver and browser set-up is `support/browser.rs` (Debian's `chromium` and
//! `chromium-driver`, which `tools/test` installs); without chromedriver the test fails saying
//! how to install it.

#[path = "support/browser.rs"]
mod browser;

use ascent::server::ServerOptions;
use ascent::settings::Settings;
use ascent_core::agent::Domain;
use ascent_core::approval::Decision;
use ascent_core::ports::DataLake;
use ascent_embedded::Runtime;
use browser::*;
use fantoccini::Locator;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The shipped demo viewer (ascent.toml, docs/console.md).
const VIEWER: (&str, &str) = ("analyst@ascent-xr.example", "viewer-demo-password");
const APPROVER: &str = "sales.director@ascent-xr.example";
/// The scenario's correlation id.
const FLOW: &str = "7c2f4a10-3b1e-4d55-9a0c-1f2e3d4c5b6a";
fn invoice_status(rt: &Runtime) -> Option<String> {
    let item = futures::executor::block_on(rt.store().get(
        Domain::Financial,
        "invoice#inv-D00042",
        "invoice",
    ))
    .unwrap()?;
    item.data["status"].as_str().map(str::to_string)
}

/// The lead-to-cash scenario through the running twin: the discount approved, the deal won,
/// the invoice paid.
async fn lead_to_cash(rt: &Runtime, base: &str) {
    post_events(base, &scenario("lead-to-cash-1-proposal"));
    until("the discount approval is open", || {
        !rt.inbox().unwrap().0.is_empty()
    })
    .await;
    let id = rt.inbox().unwrap().0[0].id.clone();
    rt.decide_approval_as(&id, APPROVER, Decision::Approve, None)
        .unwrap();
    until("the proposal goes out", || {
        !rt.archived("ProposalSent").unwrap().is_empty()
    })
    .await;
    post_events(base, &scenario("lead-to-cash-2-won-and-paid"));
    until("the invoice is paid", || {
        invoice_status(rt).as_deref() == Some("paid")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_finds_a_paid_invoice_follows_its_flow_and_sees_the_kpis() {
    let driver = start_driver();
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = Settings::new(dir.path(), listener.local_addr().unwrap().port());
    let rt: Arc<Runtime> = ascent::open(&settings).unwrap();
    let twin = ascent::server::start_with(rt.clone(), listener, ServerOptions::default()).unwrap();
    let base = twin.base_url.clone();
    lead_to_cash(&rt, &base).await;

    let c = browser(&driver, 1400).await;
    c.goto(&format!("{base}/console/sign-in")).await.unwrap();
    let form = c.form(Locator::Id("sign-in")).await.unwrap();
    form.set_by_name("email", VIEWER.0).await.unwrap();
    form.set_by_name("password", VIEWER.1).await.unwrap();
    form.submit().await.unwrap();
    let started = Instant::now();
    while !source(&c).await.contains("Sign out") {
        assert!(started.elapsed() < PATIENCE, "never signed in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Business state: the customer's name finds the invoice, paid.
    c.goto(&format!("{base}/console/business")).await.unwrap();
    let search = c.form(Locator::Id("business-search")).await.unwrap();
    search.set_by_name("q", "Boreal").await.unwrap();
    search.submit().await.unwrap();
    let row = "#business-results tr[data-id='inv-D00042']";
    assert_eq!(text(&c, &format!("{row} td.status")).await, "paid");
    assert!(
        source(&c).await.contains("data-id=\"D00042\""),
        "the deal too"
    );
    screenshot(&c, "business-search").await;
    c.find(Locator::Css(&format!("{row} a")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let record = text(&c, "#record").await;
    assert!(
        record.contains("42,400.00 USD") && record.contains("Boreal Aero"),
        "{record}"
    );
    assert_eq!(text(&c, "#record td.status").await, "paid");
    screenshot(&c, "business-invoice").await;

    // Audit: the flow's records, then its timeline across agents; the chain verified.
    c.goto(&format!("{base}/console/audit?correlation_id={FLOW}"))
        .await
        .unwrap();
    assert!(text(&c, "#chain").await.contains("Audit chain verified"));
    assert!(text(&c, "#audit").await.contains("billing"));
    screenshot(&c, "audit").await;
    c.find(Locator::Css("#audit td a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let agents = text(&c, "#flow-agents").await;
    for agent in ["closing", "billing"] {
        assert!(agents.contains(agent), "{agent} in {agents}");
    }
    screenshot(&c, "audit-flow").await;

    // Dashboard: the invoiced revenue charted over the last 30 days (Billing issued the
    // invoice today, by the twin's clock).
    c.goto(&format!("{base}/console/dashboard?days=30"))
        .await
        .unwrap();
    let invoiced = c
        .find(Locator::Css("#kpi-revenue-invoiced"))
        .await
        .unwrap()
        .html(false)
        .await
        .unwrap();
    assert!(invoiced.contains("<svg"), "{invoiced}");
    assert!(invoiced.contains("42,400.00 USD"), "{invoiced}");
    screenshot(&c, "dashboard").await;
    // No agent computes the cost: `ascent cost`'s bill over the twin's file, of the period the
    // scenario's own events are dated in (March).
    c.goto(&format!(
        "{base}/console/dashboard?from=2026-03-01&to=2026-03-31"
    ))
    .await
    .unwrap();
    let cost = text(&c, "#kpi-cost-per-million-events").await;
    assert!(cost.contains("USD per million business events"), "{cost}");
    assert!(
        c.find(Locator::Css("#kpi-cost-per-million-events svg"))
            .await
            .is_ok()
    );

    c.close().await.unwrap();
    twin.stop();
}
