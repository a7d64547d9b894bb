//! The marketing quarter's attribution, measures, reallocations and campaign alerts, each
//! against the figures worked out by hand in its comments.
//!
//! The journeys (position based, the shipped model: 40% to the first touch, 40% to the last,
//! 20% shared by the touches between; two touches share 50/50):
//! - D-101, 30,000.00 won 2 April 14:00, Ines (L101): webinar 18 March (no campaign), search
//!   25 March, paid C-SEARCHADS 1 April, all at 09:00 — 12,000.00 / 6,000.00 / 12,000.00;
//!   a customer 0.4 / 0.2 / 0.4.
//! - D-102, 18,000.00 won 23 April, Priya (L102): paid C-LINKEDIN 9 April, webinar C-WEB
//!   16 April — 9,000.00 each, half a customer each.
//! - D-103, 24,000.00 won 21 May, Tomas (L103): search 30 April, email 7 May, paid
//!   C-SEARCHADS 14 May, webinar C-WEB 21 May — 9,600.00 / 2,400.00 / 2,400.00 / 9,600.00;
//!   a customer 0.4 / 0.1 / 0.1 / 0.4.
//! - D-105, 5,000.00 won 10 June, Aurora Rail's expansion: no lead, so unattributed.
//!
//! Spend every Friday (13 Fridays, 3 April to 26 June): C-SEARCHADS 1,200.00 and C-LINKEDIN
//! 800.00 (paid; C-LINKEDIN only the 6 Fridays before its pause on 11 May), C-WEB 600.00
//! (webinar), C-EXPO 1,000.00 (event), C-SOC 300.00 (social). Search and email spend nothing.

use super::script::*;
use ascent_core::agent::Domain;
use ascent_core::approval::Decision;
use ascent_core::catalog::{
    ChannelReturn, ChannelReturnsMeasured, MarketingChannel, MarketingChannel::*, Payload,
};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use serde_json::Value;

/// (channel, spend, attributed revenue, return per unit, ROI, customers, CAC), minor units.
type Row = (
    MarketingChannel,
    i64,
    i64,
    Option<f64>,
    Option<f64>,
    f64,
    Option<i64>,
);

fn rows(m: &ChannelReturnsMeasured) -> Vec<Row> {
    m.channels
        .iter()
        .map(|c: &ChannelReturn| {
            (
                c.channel,
                c.spend.amount_minor,
                c.attributed_revenue.amount_minor,
                c.return_per_unit,
                c.roi,
                c.customers,
                c.cac.as_ref().map(|x| x.amount_minor),
            )
        })
        .collect()
}

pub fn measures(t: &TestTwin) -> Vec<ChannelReturnsMeasured> {
    payloads(t, "ChannelReturnsMeasured")
        .into_iter()
        .map(|p| match p {
            Payload::ChannelReturnsMeasured(m) => m,
            _ => unreachable!(),
        })
        .collect()
}

fn reallocated(t: &TestTwin) -> Vec<ascent_core::catalog::BudgetReallocated> {
    payloads(t, "BudgetReallocated")
        .into_iter()
        .map(|p| match p {
            Payload::BudgetReallocated(r) => r,
            _ => unreachable!(),
        })
        .collect()
}

/// The start allocation (`start_minor`) and the plan approved on 6 April, in channel order
/// email, social, search, paid, webinar, event, content.
const START: [i64; 7] = [
    300_000, 500_000, 400_000, 1_000_000, 600_000, 800_000, 400_000,
];
const APPROVED: [i64; 7] = [500_000, 500_000, 200_000, 1_600_000, 1_000_000, 0, 200_000];

fn budgets(r: &ascent_core::catalog::BudgetReallocated) -> (Vec<i64>, Vec<i64>) {
    (
        r.allocations
            .iter()
            .map(|a| a.budget.amount_minor)
            .collect(),
        r.allocations
            .iter()
            .map(|a| a.previous.amount_minor)
            .collect(),
    )
}

/// Monday 6 April, after the 06:00 runs: the first measure, its plan waiting for finance, and
/// the Finance Controller's approval by the emailed link.
pub fn approval_of_the_first_plan(t: &TestTwin) {
    let m = measures(t);
    assert_eq!(m.len(), 1, "the first Monday of the quarter");
    // The 90 days before the report: 6 January to 5 April. Spent on Friday 3 April: paid
    // 1,200 + 800 = 2,000.00, webinar 600.00, event 1,000.00, social 300.00; D-101 credits
    // webinar 12,000.00, search 6,000.00 and paid 12,000.00. Returns: webinar 12,000 / 600 =
    // 20, paid 12,000 / 2,000 = 6, social and event 0; search spent nothing (no return).
    // ROI = return − 1; CAC: webinar 600 / 0.4 = 1,500.00, paid 2,000 / 0.4 = 5,000.00,
    // search 0 / 0.2 = 0.00.
    assert_eq!((m[0].from, m[0].to), (day("2026-01-06"), day("2026-04-05")));
    assert_eq!(
        rows(&m[0]),
        vec![
            (
                Webinar,
                60_000,
                1_200_000,
                Some(20.0),
                Some(19.0),
                0.4,
                Some(150_000)
            ),
            (
                Paid,
                200_000,
                1_200_000,
                Some(6.0),
                Some(5.0),
                0.4,
                Some(500_000)
            ),
            (Social, 30_000, 0, Some(0.0), Some(-1.0), 0.0, None),
            (Event, 100_000, 0, Some(0.0), Some(-1.0), 0.0, None),
            (Search, 0, 600_000, None, None, 0.2, Some(0)),
        ]
    );
    // Only paid and webinar return anything: from the floors (14,000.00) both fill to their
    // caps (paid 5,000 → 16,000: 11 steps; webinar 2,000 → 10,000: 8 steps), and the other 7
    // steps of 1,000.00 go in channel order to the first with room: email 1,000 → 5,000
    // (4 steps), social 2,000 → 5,000 (3). Paid rises by 6,000.00 from the start's 10,000.00,
    // more than 5,000.00: the Finance Controller decides first.
    assert!(reallocated(t).is_empty(), "waits for the approval");
    let plan = t
        .get(Domain::Performance, "mkt-plan#2026-04-06", "plan")
        .unwrap();
    assert_eq!(plan["status"], "awaiting_approval");
    assert_eq!(
        plan["reasons"],
        serde_json::json!([
            "paid rises by 6000.00 USD (from 10000.00 USD to 16000.00 USD), more than 5000.00 USD"
        ])
    );
    // Its amount is what moves into channels: email +2,000, paid +6,000, webinar +4,000.
    let ask = mails(t, "Approval needed")
        .into_iter()
        .filter(|m| m.to == CONTROLLER)
        .collect::<Vec<_>>();
    assert_eq!(ask.len(), 1);
    assert_eq!(
        ask[0].subject,
        "Approval needed: Marketing budget for the week of 2026-04-06: the amount moves into \
         channels"
    );
    let view = t
        .decide_from_mail(
            CONTROLLER,
            Decision::Approve,
            Some("webinars and ads earn it"),
        )
        .unwrap();
    assert_eq!(view.approval.draft.kind, "marketing_budget");
    assert_eq!(view.approval.draft.amount, Some(Money::usd(1_200_000)));
    let r = reallocated(t);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].period, day("2026-04-06"));
    assert_eq!(r[0].approved_by.as_deref(), Some(CONTROLLER));
    assert_eq!(budgets(&r[0]), (APPROVED.to_vec(), START.to_vec()));
    assert_eq!(r[0].total, Money::usd(4_000_000));
    let plan = t
        .get(Domain::Performance, "mkt-plan#2026-04-06", "plan")
        .unwrap();
    assert_eq!(
        (&plan["status"], &plan["decided_by"]),
        (&Value::from("in_effect"), &Value::from(CONTROLLER))
    );
}

/// Every Monday after 6 April measures paid and webinar as the only channels returning
/// anything (social and event spend and win nothing; search and email spend nothing), so the
/// same allocation is planned again: within the limits, it takes effect at once.
pub fn reallocations(t: &TestTwin) {
    let r = reallocated(t);
    // 13 Mondays: 6 April (approved) and 13 April to 29 June (12, at once).
    assert_eq!(r.len(), 13);
    for (i, x) in r.iter().enumerate().skip(1) {
        assert_eq!(
            x.period,
            day("2026-04-06") + chrono::Duration::weeks(i as i64)
        );
        assert_eq!(
            (x.approval_id.as_ref(), x.approved_by.as_ref()),
            (None, None)
        );
        assert_eq!(budgets(x), (APPROVED.to_vec(), APPROVED.to_vec()));
    }
    assert_eq!(
        mails(t, "Approval needed").len(),
        1,
        "one approval in the quarter"
    );
    let current = t
        .get(Domain::Performance, "mkt-plan#current", "current")
        .unwrap();
    assert_eq!(current["period"], "2026-06-29");
    assert_eq!(current["pending"], Value::Null);
}

/// The day ledgers under all five models (first, last, linear, time decay, position based).
pub fn attribution(t: &TestTwin) {
    let ledger = |d: &str| {
        t.get(Domain::Performance, "attribution#days", d)
            .unwrap_or_else(|| panic!("ledger of {d}"))
    };
    let revenue = |l: &Value, ch: &str| -> Vec<i64> {
        serde_json::from_value(l["channels"][ch]["revenue"].clone()).unwrap()
    };
    let customers = |l: &Value, ch: &str| -> Vec<i64> {
        serde_json::from_value(l["channels"][ch]["customers"].clone()).unwrap()
    };
    // D-101, 30,000.00; touches 14, 7 and 0 days before the last (half-life 7 days).
    // Linear: 10,000.00 each. Time decay: weights 1/4, 1/2, 1 = 1, 2, 4 parts of 7:
    // 4,285.714…, 8,571.428…, 17,142.857…; the floors leave 2 cents, to the largest
    // remainders (search .857, paid .714). Customers in ten-thousandths: linear 3,333.3 each
    // (the cent left to the earliest: 3,334); time decay 1,428.6 / 2,857.1 / 5,714.3 (the
    // one left to webinar's .57).
    let d101 = ledger("2026-04-02");
    assert_eq!(
        revenue(&d101, "webinar"),
        [3_000_000, 0, 1_000_000, 428_571, 1_200_000]
    );
    assert_eq!(
        revenue(&d101, "search"),
        [0, 0, 1_000_000, 857_143, 600_000]
    );
    assert_eq!(
        revenue(&d101, "paid"),
        [0, 3_000_000, 1_000_000, 1_714_286, 1_200_000]
    );
    assert_eq!(
        customers(&d101, "webinar"),
        [10_000, 0, 3_334, 1_429, 4_000]
    );
    assert_eq!(customers(&d101, "search"), [0, 0, 3_333, 2_857, 2_000]);
    assert_eq!(customers(&d101, "paid"), [0, 10_000, 3_333, 5_714, 4_000]);
    // D-102, 18,000.00: paid 7 days before webinar. Linear and position based 9,000.00 each;
    // time decay 1/2 and 1: 6,000.00 and 12,000.00.
    let d102 = ledger("2026-04-23");
    assert_eq!(
        revenue(&d102, "paid"),
        [1_800_000, 0, 900_000, 600_000, 900_000]
    );
    assert_eq!(
        revenue(&d102, "webinar"),
        [0, 1_800_000, 900_000, 1_200_000, 900_000]
    );
    assert_eq!(d102["campaigns"]["C-LINKEDIN"]["customers"][4], 5_000);
    // D-103, 24,000.00: 21, 14, 7 and 0 days before the last touch: weights 1/8, 1/4, 1/2, 1
    // = 1, 2, 4, 8 parts of 15 (1,600.00 a part). Linear 6,000.00 each. Position based:
    // 40% = 9,600.00 to each end, 20% / 2 = 2,400.00 to each middle touch.
    let d103 = ledger("2026-05-21");
    assert_eq!(
        revenue(&d103, "search"),
        [2_400_000, 0, 600_000, 160_000, 960_000]
    );
    assert_eq!(revenue(&d103, "email"), [0, 0, 600_000, 320_000, 240_000]);
    assert_eq!(revenue(&d103, "paid"), [0, 0, 600_000, 640_000, 240_000]);
    assert_eq!(
        revenue(&d103, "webinar"),
        [0, 2_400_000, 600_000, 1_280_000, 960_000]
    );
    // D-105: no lead, so no channel's; Aurora Rail's first deal, so an unattributed customer.
    let d105 = ledger("2026-06-10");
    assert_eq!(
        (
            &d105["unattributed_revenue"],
            &d105["unattributed_customers"]
        ),
        (&Value::from(500_000), &Value::from(10_000))
    );

    // The quarter's last measure (Monday 29 June: 31 March to 28 June), position based:
    // webinar spent 13 × 600 = 7,800.00 and earned 12,000 + 9,000 + 9,600 = 30,600.00:
    //   return 3.923076… → 3.9231, ROI 2.9231, customers 0.4 + 0.5 + 0.4 = 1.3, CAC 6,000.00;
    // paid spent 13 × 1,200 + 6 × 800 = 20,400.00 and earned 12,000 + 9,000 + 2,400 =
    //   23,400.00: return 1.147058… → 1.1471, ROI 0.1471, customers 0.4 + 0.5 + 0.1 = 1,
    //   CAC 20,400.00;
    // social 13 × 300 = 3,900.00 and event 13 × 1,000 = 13,000.00 earned nothing (0, −100%);
    // email earned 2,400.00 (0.1 customer) and search 6,000 + 9,600 = 15,600.00 (0.2 + 0.4 =
    //   0.6) without spend: no return, CAC 0.00. Order: best return first, a tie by channel,
    //   no return last.
    let m = measures(t);
    assert_eq!(m.len(), 13);
    let last = m.last().unwrap();
    assert_eq!((last.from, last.to), (day("2026-03-31"), day("2026-06-28")));
    assert_eq!(
        rows(last),
        vec![
            (
                Webinar,
                780_000,
                3_060_000,
                Some(3.9231),
                Some(2.9231),
                1.3,
                Some(600_000)
            ),
            (
                Paid,
                2_040_000,
                2_340_000,
                Some(1.1471),
                Some(0.1471),
                1.0,
                Some(2_040_000)
            ),
            (Social, 390_000, 0, Some(0.0), Some(-1.0), 0.0, None),
            (Event, 1_300_000, 0, Some(0.0), Some(-1.0), 0.0, None),
            (Email, 0, 240_000, None, None, 0.1, Some(0)),
            (Search, 0, 1_560_000, None, None, 0.6, Some(0)),
        ]
    );
    assert_eq!(last.unattributed_revenue, Money::usd(500_000));
    // The report mailed that Monday puts each channel's lookback revenue under the five models
    // side by side (each model's column adds up to the 72,000.00 won with a lead):
    // webinar: first D-101's 30,000; last D-102's 18,000 + D-103's 24,000; linear 10,000 +
    //   9,000 + 6,000; time decay 4,285.71 + 12,000 + 12,800; position 30,600;
    // paid: first D-102's 18,000; last D-101's 30,000; linear 25,000 likewise; time decay
    //   17,142.86 + 6,000 + 6,400;
    // search: first D-103's 24,000; linear 10,000 + 6,000; time decay 8,571.43 + 1,600;
    // email: D-103's linear 6,000, time decay 3,200, position 2,400.
    let report = mails(t, "Marketing attribution report, week of 2026-06-22").remove(0);
    assert_eq!(report.to, MARKETING);
    let usd = |x: &str| format!("{x} USD");
    for (ch, [first, last, linear, decay, position]) in [
        ("email", ["0.00", "0.00", "6000.00", "3200.00", "2400.00"]),
        ("social", ["0.00", "0.00", "0.00", "0.00", "0.00"]),
        (
            "search",
            ["24000.00", "0.00", "16000.00", "10171.43", "15600.00"],
        ),
        (
            "paid",
            ["18000.00", "30000.00", "25000.00", "29542.86", "23400.00"],
        ),
        (
            "webinar",
            ["30000.00", "42000.00", "25000.00", "29085.71", "30600.00"],
        ),
    ] {
        let line = format!(
            "  {ch}: first touch {}; last touch {}; linear {}; time decay {}; position based {}",
            usd(first),
            usd(last),
            usd(linear),
            usd(decay),
            usd(position)
        );
        assert!(
            report.text.lines().any(|l| l == line),
            "{line}\n{}",
            report.text
        );
    }
    // Per campaign: C-LINKEDIN 4,800.00 for half a customer (9,600.00 each); C-SEARCHADS
    // 15,600.00 for 0.4 + 0.1 = 0.5 (31,200.00), earning 12,000 + 2,400; C-WEB 7,800.00 for
    // 0.5 + 0.4 = 0.9: 8,666.666… → 8,666.67, earning 9,000 + 9,600; C-EXPO and C-SOC spent
    // 13,000.00 and 3,900.00 for nothing.
    let campaigns: Vec<(&str, i64, i64, f64, Option<i64>)> = last
        .campaigns
        .iter()
        .map(|c| {
            (
                c.campaign_id.as_str(),
                c.spend.amount_minor,
                c.attributed_revenue.amount_minor,
                c.customers,
                c.cac.as_ref().map(|x| x.amount_minor),
            )
        })
        .collect();
    assert_eq!(
        campaigns,
        vec![
            ("C-EXPO", 1_300_000, 0, 0.0, None),
            ("C-LINKEDIN", 480_000, 900_000, 0.5, Some(960_000)),
            ("C-SEARCHADS", 1_560_000, 1_440_000, 0.5, Some(3_120_000)),
            ("C-SOC", 390_000, 0, 0.0, None),
            ("C-WEB", 780_000, 1_860_000, 0.9, Some(866_667)),
        ]
    );
}

/// Cost per acquisition against the targets, Monday by Monday (spend through the Sunday
/// before: n Fridays on the n-th Monday of the quarter):
/// - C-LINKEDIN (target 6,000.00), half a customer from 23 April: 27 April 4 × 800 / 0.5 =
///   6,400.00, 4 May 8,000.00, 11 May 9,600.00 — alerted three times; paused at 10:00 on
///   11 May, it is not alerted again (and its 9,600.00 stays: nothing more spent).
/// - C-SEARCHADS (target 20,000.00), 0.4 customer from 2 April: n × 1,200 / 0.4 = n × 3,000:
///   12,000.00 on 27 April (at the target is not above), first above on 18 May (21,000.00);
///   0.5 from 21 May: 25 May 9,600 / 0.5 = 19,200.00 (under again), then 21,600.00,
///   24,000.00, 26,400.00, 28,800.00 and 31,200.00 on the five Mondays of June.
/// - C-WEB (target 10,000.00) stays under it: 8,400.00 on 18 May (4,200 / 0.5), 8,666.67 on
///   29 June (7,800 / 0.9); C-EXPO never has a customer: neither is alerted.
pub fn campaigns(t: &TestTwin) {
    let alerts: Vec<(String, f64, f64)> = payloads(t, "ThresholdCrossed")
        .into_iter()
        .filter_map(|p| match p {
            Payload::ThresholdCrossed(x) if x.metric.starts_with("campaign.") => {
                Some((x.metric, x.value, x.threshold))
            }
            _ => None,
        })
        .collect();
    let l = |v: f64| ("campaign.C-LINKEDIN.cpa".to_string(), v, 6000.0);
    let s = |v: f64| ("campaign.C-SEARCHADS.cpa".to_string(), v, 20000.0);
    assert_eq!(
        alerts,
        vec![
            l(6400.0),
            l(8000.0),
            l(9600.0),
            s(21000.0),
            s(21600.0),
            s(24000.0),
            s(26400.0),
            s(28800.0),
            s(31200.0),
        ]
    );
    let linkedin = t
        .get(Domain::Performance, "mkt-campaign#C-LINKEDIN", "campaign")
        .unwrap();
    assert_eq!(linkedin["status"], "paused");
    // Its spend measured on the Mondays after the pause: 4,800.00 every time.
    let after: Vec<i64> = measures(t)
        .iter()
        .filter(|m| m.to >= day("2026-05-17"))
        .map(|m| {
            let c = m
                .campaigns
                .iter()
                .find(|c| c.campaign_id == "C-LINKEDIN")
                .unwrap();
            c.spend.amount_minor
        })
        .collect();
    assert_eq!(after, vec![480_000; 7]);
    // The plan report of Tuesday 30 June: four campaigns live, C-LINKEDIN paused with its
    // progress, the approved allocation in effect since 29 June.
    let report = t
        .get(Domain::Performance, "mkt-report#2026-06-30", "report")
        .unwrap();
    assert_eq!(
        report["live"],
        serde_json::json!(["C-EXPO", "C-SEARCHADS", "C-SOC", "C-WEB"])
    );
    assert_eq!(report["in_effect_since"], "2026-06-29");
    // Progress as measured on 29 June: C-LINKEDIN's half customer of its goal of 2 (25%),
    // 4,800.00 spent, 9,600.00 a customer against 6,000.00, not flagged (paused);
    // C-SEARCHADS's 0.5 of 2, 15,600.00, 31,200.00 against 20,000.00, flagged.
    let text = report["text"].as_str().unwrap();
    for line in [
        "  C-LINKEDIN Q2 C-LINKEDIN (paused, 2026-04-01 to 2026-06-30), budget 10400.00 USD: \
         0.50 of 2 customers (25%), spend 4800.00 USD, cost per customer 9600.00 USD (target \
         6000.00 USD)",
        "  C-SEARCHADS Q2 C-SEARCHADS (live, 2026-04-01 to 2026-06-30), budget 15600.00 USD: \
         0.50 of 2 customers (25%), spend 15600.00 USD, cost per customer 31200.00 USD \
         (target 20000.00 USD) — OVER TARGET",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    }
    let sent = mails(t, "Marketing plan, week of 2026-06-30");
    assert_eq!((sent.len(), sent[0].to.as_str()), (1, MARKETING));
}
