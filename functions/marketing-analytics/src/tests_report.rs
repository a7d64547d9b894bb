//! The weekly report through the twin: its figures, its day, its periods.

use super::*;

#[test]
fn the_weekly_report_measures_each_channel_s_return_roi_and_cac() {
    // Given 5,000.00 spent on webinar W1 and 8,000.00 on the ads of C-ADS, and lead L2's deal
    // of 21,200.00 won after the webinar and an ad click.
    let t = twin("2026-02-16T09:00:00Z");
    let ops = "ops.lead@boreal-aero.example";
    lead(&t, "L2", ops);
    spend(
        &t,
        "S1",
        Ch::Webinar,
        Some("W1"),
        Money::usd(500_000),
        "2026-02-20",
    );
    spend(
        &t,
        "S2",
        Ch::Paid,
        Some("C-ADS"),
        Money::usd(800_000),
        "2026-03-03",
    );
    spend(
        &t,
        "S2",
        Ch::Paid,
        Some("C-ADS"),
        Money::usd(800_000),
        "2026-03-03",
    );
    touch(
        &t,
        "ga-1",
        ops,
        Ch::Webinar,
        Some("W1"),
        "2026-02-20T15:00:00Z",
    );
    touch(
        &t,
        "ga-2",
        ops,
        Ch::Paid,
        Some("C-ADS"),
        "2026-02-27T09:00:00Z",
    );
    won(
        &t,
        "D2",
        "A2",
        Some("L2"),
        Money::usd(2_120_000),
        "2026-03-04T10:00:00Z",
    );
    // When the daily run comes on Sunday, then on Monday 2026-03-09, twice
    t.tick("daily", at("2026-03-08T06:00:00Z"));
    assert!(
        t.emitted("ChannelReturnsMeasured").is_empty(),
        "not the report day"
    );
    t.tick("daily", at("2026-03-09T06:00:00Z"));
    t.tick(
        "daily",
        at("2026-03-09T06:00:00Z") + chrono::Duration::minutes(1),
    );
    let e = t.emitted("ChannelReturnsMeasured");
    assert_eq!(e.len(), 1, "once a week");
    let Payload::ChannelReturnsMeasured(m) = e[0].payload() else {
        unreachable!()
    };
    let m: &ChannelReturnsMeasured = m;
    // Then over the 90 days to Sunday, position based (two touches: half each):
    assert_eq!(
        (m.from, m.to, m.model),
        (
            "2025-12-09".parse().unwrap(),
            "2026-03-08".parse().unwrap(),
            AttributionModel::PositionBased
        )
    );
    let channels: Vec<Ch> = m.channels.iter().map(|c| c.channel).collect();
    assert_eq!(channels, [Ch::Webinar, Ch::Paid], "best return first");
    let w = &m.channels[0];
    // 10,600 / 5,000 = 2.12 back per unit; ROI 1.12; CAC 5,000 / 0.5 = 10,000.00.
    assert_eq!(w.attributed_revenue, Money::usd(1_060_000));
    assert_eq!(
        (w.return_per_unit, w.roi, w.customers),
        (Some(2.12), Some(1.12), 0.5)
    );
    assert_eq!(w.cac, Some(Money::usd(1_000_000)));
    let p = &m.channels[1];
    // 10,600 / 8,000 = 1.325; ROI 0.325; CAC 8,000 / 0.5 = 16,000.00 (S2 counted once).
    assert_eq!((p.return_per_unit, p.roi), (Some(1.325), Some(0.325)));
    assert_eq!(p.cac, Some(Money::usd(1_600_000)));
    assert_eq!(m.unattributed_revenue, Money::usd(0));
    // The mail to marketing: the week (02 to 08 March: only the ads' spend and the deal)
    // and the lookback, per channel and campaign, and every model side by side.
    let mails = t.runtime.mails().unwrap();
    let mail = mails
        .iter()
        .find(|m| m.to == "marketing@ascent-xr.example")
        .expect("the report");
    assert_eq!(
        mail.subject,
        "Marketing attribution report, week of 2026-03-02"
    );
    let week = mail.text.split("Lookback (").next().unwrap();
    assert!(
        week.contains("Last week (2026-03-02 to 2026-03-08)"),
        "{}",
        mail.text
    );
    assert!(
        week.contains("  paid: spend 8000.00 USD, revenue 10600.00 USD, return 1.325 per unit, ROI 32.5%, customers 0.50, CAC 16000.00 USD"),
        "{}",
        mail.text
    );
    assert!(
        week.contains("  webinar: spend 0.00 USD, revenue 10600.00 USD, return n/a per unit, ROI n/a, customers 0.50, CAC 0.00 USD"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("  W1 (webinar): spend 5000.00 USD, revenue 10600.00 USD, return 2.12 per unit, ROI 112.0%"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains(
            "  paid: first touch 0.00 USD; last touch 21200.00 USD; linear 10600.00 USD;"
        ),
        "{}",
        mail.text
    );
}

#[test]
fn the_report_covers_the_lookback_and_the_week_only() {
    // Given 100.00 spent on content every day from 2025-11-01 to the report's Monday
    let t = twin("2026-03-01T09:00:00Z");
    let mut d: NaiveDate = "2025-11-01".parse().unwrap();
    let monday: NaiveDate = "2026-03-09".parse().unwrap();
    while d <= monday {
        spend(
            &t,
            &format!("S{d}"),
            Ch::Content,
            None,
            Money::usd(10_000),
            &d.to_string(),
        );
        d = d.succ_opt().unwrap();
    }
    // When the report runs on Monday 2026-03-09
    t.tick("daily", at("2026-03-09T06:00:00Z"));
    let e = t.emitted("ChannelReturnsMeasured");
    let Payload::ChannelReturnsMeasured(m) = e[0].payload() else {
        unreachable!()
    };
    // Then the lookback is the 90 days 2025-12-09 to 2026-03-08: 9,000.00, without the
    // Monday's own spend; nothing was won, so no return: ROI −100%, no CAC.
    assert_eq!(m.channels.len(), 1);
    let c = &m.channels[0];
    assert_eq!(c.spend, Money::usd(900_000));
    assert_eq!(
        (c.return_per_unit, c.roi, c.cac.clone()),
        (Some(0.0), Some(-1.0), None)
    );
    // And the week is 02 to 08 March: 700.00.
    let mails = t.runtime.mails().unwrap();
    let week = mails[0]
        .text
        .split("Lookback (")
        .next()
        .unwrap()
        .to_string();
    assert!(
        week.contains("  content: spend 700.00 USD, revenue 0.00 USD"),
        "{week}"
    );
}
