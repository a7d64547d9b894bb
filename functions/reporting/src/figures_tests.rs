//! What business events count: given an event, when it is counted, then its key and figures.

use super::*;
use ascent_core::catalog::{
    DealClosedWon, DealStageChanged, DunningAction, DunningStepTaken, InvoicePaid, SlaBreached,
    SlaTimer, TicketPriority,
};
use std::collections::BTreeMap;

fn fx() -> FxRates {
    let ppm: BTreeMap<String, i64> = [("USD", 1_000_000), ("EUR", 1_080_000), ("JPY", 6_700)]
        .into_iter()
        .map(|(c, r)| (c.to_string(), r))
        .collect();
    FxRates::fixed("USD", ppm)
}

fn day() -> NaiveDate {
    "2026-03-04".parse().unwrap()
}

fn won(amount: Money) -> Payload {
    DealClosedWon {
        deal_id: "D00042".into(),
        account_id: "A-boreal".into(),
        owner: "eva.rep@ascent-xr.example".into(),
        amount,
        proposal_id: None,
        reason: None,
        lead_id: None,
    }
    .into()
}

fn stage(from: Option<DealStage>, to: DealStage, amount: Option<Money>) -> Payload {
    DealStageChanged {
        deal_id: "D00043".into(),
        account_id: "A-kestrel".into(),
        owner: "kenji.rep@ascent-xr.example".into(),
        from_stage: from,
        to_stage: to,
        lines: vec![],
        requested_discount_pct: 0.0,
        currency: "USD".into(),
        amount,
        expected_close: None,
        account_name: None,
        discount_reason: None,
    }
    .into()
}

#[test]
fn a_won_deal_counts_once_with_its_value_in_the_base_currency() {
    let c = counted(&won(Money::new(4_240_000, "USD")), day(), "e1", &fx())
        .unwrap()
        .unwrap();
    assert_eq!((c.kind, c.key.as_str()), ("deal-won", "D00042"));
    assert_eq!(
        c.adds,
        [(Figure::DealsWon, 1), (Figure::RevenueWon, 4_240_000)]
    );
    // EUR 1,000.00 at 1.08 is USD 1,080.00; ¥150,000 at 0.0067 is USD 1,005.00.
    let eur = counted(&won(Money::new(100_000, "EUR")), day(), "e2", &fx())
        .unwrap()
        .unwrap();
    assert_eq!(eur.adds[1], (Figure::RevenueWon, 108_000));
    let jpy = counted(&won(Money::new(150_000, "JPY")), day(), "e3", &fx())
        .unwrap()
        .unwrap();
    assert_eq!(jpy.adds[1], (Figure::RevenueWon, 100_500));
}

#[test]
fn money_in_a_currency_without_a_rate_or_negative_is_refused_naming_the_field() {
    let e = counted(&won(Money::new(100_000, "SEK")), day(), "e1", &fx()).unwrap_err();
    assert_eq!(e.field, "amount.currency");
    assert!(
        e.to_string()
            .starts_with("field `detail.payload.amount.currency`: currency SEK is not accepted"),
        "{e}"
    );
    let paid: Payload = InvoicePaid {
        invoice_id: "INV-2026-0042".into(),
        account_id: "A-boreal".into(),
        total: Money::new(-500, "USD"),
        paid_on: day(),
    }
    .into();
    let e = counted(&paid, day(), "e2", &fx()).unwrap_err();
    assert_eq!(e.field, "total.amount_minor");
    assert_eq!(e.problem, "-500 is negative");
}

#[test]
fn a_deal_enters_the_pipeline_once_and_moving_between_stages_counts_nothing() {
    let opened = counted(
        &stage(None, DealStage::Qualification, Some(Money::usd(1_800_000))),
        day(),
        "e1",
        &fx(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(opened.key, "D00043");
    assert_eq!(
        opened.adds,
        [(Figure::DealsOpened, 1), (Figure::PipelineAdded, 1_800_000)]
    );
    // Without an amount: a deal opened, nothing added to the pipeline's value.
    let bare = counted(
        &stage(None, DealStage::Prospecting, None),
        day(),
        "e2",
        &fx(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(bare.adds, [(Figure::DealsOpened, 1)]);
    let moved = stage(Some(DealStage::Demo), DealStage::Proposal, None);
    assert_eq!(counted(&moved, day(), "e3", &fx()).unwrap(), None);
    // A deal created straight into closed-won is counted by its DealClosedWon.
    let closed = stage(None, DealStage::ClosedWon, None);
    assert_eq!(counted(&closed, day(), "e4", &fx()).unwrap(), None);
}

#[test]
fn every_dunning_step_of_an_invoice_shares_one_key_so_it_becomes_overdue_once() {
    let step = |n: u32| -> Payload {
        DunningStepTaken {
            invoice_id: "INV-2026-0042".into(),
            account_id: "A-boreal".into(),
            step: n,
            days_overdue: 7 * n,
            action: DunningAction::Reminder,
            outstanding: Money::usd(4_240_000),
        }
        .into()
    };
    let a = counted(&step(1), day(), "e1", &fx()).unwrap().unwrap();
    let b = counted(&step(2), day(), "e2", &fx()).unwrap().unwrap();
    assert_eq!((a.kind, &a.key), (b.kind, &b.key));
    assert_eq!(a.adds, [(Figure::InvoicesOverdue, 1)]);
}

#[test]
fn sla_breaches_are_one_per_ticket_and_timer() {
    let breach = |timer| -> Payload {
        SlaBreached {
            ticket_id: "T-981".into(),
            account_id: "A-boreal".into(),
            timer,
            priority: TicketPriority::High,
            due_at: "2026-03-04T10:00:00Z".parse().unwrap(),
            escalated_to: "lead.support-technical@ascent-xr.example".into(),
        }
        .into()
    };
    let first = counted(&breach(SlaTimer::FirstResponse), day(), "e1", &fx())
        .unwrap()
        .unwrap();
    let resolution = counted(&breach(SlaTimer::Resolution), day(), "e2", &fx())
        .unwrap()
        .unwrap();
    assert_ne!(first.key, resolution.key);
    assert_eq!(first.adds, [(Figure::SlaBreaches, 1)]);
}

#[test]
fn an_empty_business_key_is_refused_naming_its_field() {
    let Payload::DealClosedWon(mut d) = won(Money::usd(100)) else {
        unreachable!()
    };
    d.deal_id = "  ".into();
    let e = counted(&d.into(), day(), "e1", &fx()).unwrap_err();
    assert_eq!(e.to_string(), "field `detail.payload.deal_id`: is empty");
}

#[test]
fn figures_show_as_counts_or_money_and_their_names_round_trip() {
    assert_eq!(Figure::RevenueWon.show(4_240_000, "USD"), "42400.00");
    assert_eq!(Figure::Leads.show(42, "USD"), "42");
    assert_eq!(Figure::RevenueWon.number(4_240_050, "USD"), 42_400.5);
    assert_eq!(Figure::Invoiced.number(150_000, "JPY"), 150_000.0);
    for f in Figure::ALL {
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, format!("\"{}\"", f.key()));
        assert_eq!(serde_json::from_str::<Figure>(&json).unwrap(), f);
    }
}
