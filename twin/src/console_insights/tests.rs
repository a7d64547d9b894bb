//! The twin's insights over a whole lead-to-cash flow handled by every agent (the scenario of
//! `events/scenarios`: a deal's discount approved, the deal won, invoiced and paid): the invoice
//! found by its id and by its customer's name and shown paid, the flow's audit records in time
//! order across agents, the chain verified, the dashboard's invoiced revenue charted (and the
//! cost KPI the twin's own). The business records and KPIs are `ascent-insights`', read
//! through the twin's lake.

use super::*;
use ascent_core::approval::Decision;
use ascent_core::event::Event;
use ascent_embedded::TwinConfig;
use ascent_embedded::testkit::TestTwin;

const FLOW: &str = "7c2f4a10-3b1e-4d55-9a0c-1f2e3d4c5b6a";

fn scenario(name: &str) -> Vec<Event> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../events/scenarios/{name}.json"));
    let values: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    values
        .into_iter()
        .map(|v| Event::from_value(v).unwrap())
        .collect()
}

/// The lead-to-cash flow, handled: proposal approved, deal won, invoice paid; the twin's
/// insights over its runtime.
fn lead_to_cash() -> TwinInsights {
    let start = "2026-03-01T11:00:00Z".parse().unwrap();
    let t = TestTwin::with_config(crate::agents::all(), start, TwinConfig::default());
    t.runtime
        .ingest(&scenario("lead-to-cash-1-proposal"))
        .unwrap();
    t.drain();
    t.decide_from_mail("sales.director@ascent-xr.example", Decision::Approve, None)
        .unwrap();
    t.clock.set("2026-03-20T12:30:00Z".parse().unwrap());
    t.runtime
        .ingest(&scenario("lead-to-cash-2-won-and-paid"))
        .unwrap();
    t.drain();
    TwinInsights {
        rt: Arc::new(t.runtime),
        base_currency: "USD".into(),
    }
}

#[tokio::test]
async fn a_paid_invoice_is_found_by_its_id_and_its_customer_s_name_and_the_flow_is_followed() {
    let insights = lead_to_cash();
    let (lake, rt) = (&insights, &*insights.rt);

    // Found by id: the invoice, paid.
    let hits = business::search(lake, "INV-d00042").await.unwrap();
    let inv = hits
        .iter()
        .find(|h| h.kind == RecordKind::Invoice)
        .unwrap_or_else(|| panic!("{hits:?}"));
    assert_eq!(inv.id, "inv-D00042");
    assert_eq!(inv.status, "paid");
    assert_eq!(inv.name.as_deref(), Some("Boreal Aero"));

    // Found by the customer's name: the customer, the deal and the invoice.
    let hits = business::search(lake, "boreal").await.unwrap();
    let kinds: Vec<(RecordKind, &str)> = hits.iter().map(|h| (h.kind, h.id.as_str())).collect();
    for want in [
        (RecordKind::Customer, "A00042"),
        (RecordKind::Deal, "D00042"),
        (RecordKind::Invoice, "inv-D00042"),
    ] {
        assert!(kinds.contains(&want), "{want:?} in {kinds:?}");
    }
    assert!(
        business::search(lake, "no such company")
            .await
            .unwrap()
            .is_empty()
    );

    // Each record's page.
    let invoice = business::record(lake, RecordKind::Invoice, "inv-D00042")
        .await
        .unwrap();
    let field = |r: &BusinessRecord, l: &str| {
        r.fields
            .iter()
            .find(|(k, _)| k == l)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{l} in {:?}", r.fields))
    };
    assert_eq!(field(&invoice, "Total"), "42,400.00 USD");
    assert_eq!(field(&invoice, "Outstanding"), "0.00 USD");
    assert!(invoice.related.iter().any(|h| h.id == "D00042"));
    let deal = business::record(lake, RecordKind::Deal, "D00042")
        .await
        .unwrap();
    assert_eq!(deal.hit.status, "closed won");
    assert!(field(&deal, "Proposal").contains("prop-D00042-5f1c0d2e"));
    assert!(
        deal.related
            .iter()
            .any(|h| h.id == "inv-D00042" && h.status == "paid")
    );
    let customer = business::record(lake, RecordKind::Customer, "A00042")
        .await
        .unwrap();
    assert_eq!(field(&customer, "Company"), "Boreal Aero");
    assert!(matches!(
        business::record(lake, RecordKind::Invoice, "inv-nope").await,
        Err(OpsError::NotFound(_))
    ));

    // The flow across agents, in time order; the search by its id finds the same records.
    let flow = timeline(rt, FLOW).unwrap();
    assert!(flow.len() >= 10, "{flow:?}");
    assert!(flow.windows(2).all(|w| w[0].at <= w[1].at));
    let actors: Vec<&str> = flow.iter().map(|r| r.actor.as_str()).collect();
    for agent in ["closing", "billing", "sales.director@ascent-xr.example"] {
        assert!(actors.contains(&agent), "{agent} in {actors:?}");
    }
    let q = AuditQuery {
        correlation_id: Some(FLOW.into()),
        limit: 10_000,
        ..Default::default()
    };
    let found = audit_search(rt, &q).unwrap();
    assert_eq!(found.len(), flow.len());
    assert!(
        found.windows(2).all(|w| w[0].seq > w[1].seq),
        "latest first"
    );
    let billing = audit_search(
        rt,
        &AuditQuery {
            agent: Some("Billing".into()),
            item: Some("INV-D00042".into()),
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!billing.is_empty());
    assert!(
        billing
            .iter()
            .all(|r| r.actor == "billing" && r.item.contains("inv-D00042"))
    );
    let before = audit_search(
        rt,
        &AuditQuery {
            to: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(before.is_empty(), "{before:?}");
    assert!(matches!(verify(rt), ChainStatus::Verified(n) if n as usize >= flow.len()));

    // The dashboard (as the console asks the twin for it): the invoice's 42,400.00 charted on
    // the day it was issued; the cost KPI the twin's, without a figure for a store in memory.
    let period = Period::last(30, "2026-03-20".parse().unwrap());
    let all = insights.kpis(period).await.unwrap();
    let invoiced = all.iter().find(|k| k.key == "revenue-invoiced").unwrap();
    assert_eq!(invoiced.no_data, None, "{invoiced:?}");
    assert!(
        invoiced.points.iter().any(|p| p.shown == "42,400.00 USD"),
        "{invoiced:?}"
    );
    let page =
        ascent_console::pages::dashboard::render(&Default::default(), Some(period), &all, None);
    assert!(page.contains("42,400.00 USD</title></rect>"), "{page}");
    let cost = all
        .iter()
        .find(|k| k.key == "cost-per-million-events")
        .unwrap();
    assert!(
        cost.no_data.as_deref().unwrap().contains("in memory"),
        "{cost:?}"
    );
    assert_eq!(all.iter().filter(|k| k.key == cost.key).count(), 1);
}
