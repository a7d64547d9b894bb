//! Reporting through an in-memory twin: a week of business, the daily run, the reports mailed
//! and stored, the anomaly raised once; bad events dead-lettered naming their field.

use super::*;
use crate::figures::Figure;
use ascent_core::catalog::{
    DealClosedLost, DealClosedWon, DealStage, DealStageChanged, LeadCreated,
};
use ascent_core::money::Money;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};
use std::sync::Arc;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Stands for the agents that raise exceptions for a person (Billing, Onboarding, …): the
/// router delivers `ExceptionRaised` only from a declared producer.
struct Raiser(AgentDecl);

#[async_trait]
impl Agent for Raiser {
    fn declaration(&self) -> &AgentDecl {
        &self.0
    }
    async fn handle(&self, _: &Event, _: &mut Ctx<'_>) -> Result<(), AgentError> {
        Ok(())
    }
}

fn raiser() -> Raiser {
    Raiser(AgentDecl {
        name: "raiser",
        department: Department::Finance,
        queue: QueueClass::Priority,
        subscriptions: vec![],
        reads: vec![],
        owns: vec![],
        emits: vec!["ExceptionRaised"],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    })
}

fn twin(start: &str) -> TestTwin {
    TestTwin::new(
        vec![Arc::new(Reporting::default()), Arc::new(raiser())],
        at(start),
    )
}

/// `n` new leads at 17:00 UTC of `day` (09:00 or 10:00 in Los Angeles: the same date).
fn leads(t: &TestTwin, day: NaiveDate, n: u32) {
    t.clock.set(day.and_hms_opt(17, 0, 0).unwrap().and_utc());
    for i in 0..n {
        t.emit(
            "ascent.crm",
            LeadCreated {
                lead_id: format!("L-{day}-{i}"),
                email: format!("buyer{i}@northwind-{day}.example"),
                full_name: "Maya Lind".into(),
                company: "Northwind Aero".into(),
                company_size: 800,
                industry: "aerospace".into(),
                role: "Head of Training".into(),
                country: Some("US".into()),
                channel: "web".into(),
                phone: None,
                time_zone: None,
            },
        );
    }
}

fn won(t: &TestTwin, deal: &str, amount: Money) {
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: deal.into(),
            account_id: format!("A-{deal}"),
            owner: "eva.rep@ascent-xr.example".into(),
            amount,
            proposal_id: None,
            reason: None,
            lead_id: None,
        },
    );
}

fn stage(t: &TestTwin, from: Option<DealStage>, to: DealStage) {
    t.emit(
        "ascent.crm",
        DealStageChanged {
            deal_id: "D3".into(),
            account_id: "A-D3".into(),
            owner: "kenji.rep@ascent-xr.example".into(),
            from_stage: from,
            to_stage: to,
            lines: vec![],
            requested_discount_pct: 0.0,
            currency: "USD".into(),
            amount: Some(Money::usd(1_800_000)),
            expected_close: None,
            account_name: None,
            discount_reason: None,
        },
    );
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Four weeks of 3 and 5 leads a day in turn (02-02 … 03-01), then the week of 03-02 with a
/// burst of 20 on Friday 03-06, two deals won (one sent twice), one opened, one lost.
fn a_week_of_business(t: &TestTwin) {
    for (i, day) in d("2026-02-02").iter_days().take(28).enumerate() {
        leads(t, day, if i % 2 == 0 { 3 } else { 5 });
    }
    for (day, n) in d("2026-03-02").iter_days().zip([4, 5, 3, 4, 20, 4, 5]) {
        leads(t, day, n);
        match day.to_string().as_str() {
            "2026-03-03" => {
                won(t, "D1", Money::usd(4_240_000));
                // The CRM sends the same win again (its retry, a new event id).
                won(t, "D1", Money::usd(4_240_000));
            }
            "2026-03-04" => {
                stage(t, None, DealStage::Qualification);
                stage(t, Some(DealStage::Qualification), DealStage::Demo);
            }
            // EUR 10,000.00 at 2026's rate of 1.08: USD 10,800.00.
            "2026-03-05" => won(t, "D2", Money::new(1_000_000, "EUR")),
            "2026-03-06" => {
                t.emit(
                    "ascent.crm",
                    DealClosedLost {
                        deal_id: "D4".into(),
                        account_id: "A-D4".into(),
                        owner: "eva.rep@ascent-xr.example".into(),
                        reason: "budget".into(),
                        lead_id: None,
                    },
                );
            }
            _ => {}
        }
    }
}

fn stored(t: &TestTwin, department: &str, sk: &str) -> StoredReport {
    let v = t
        .get(Domain::Performance, &reports_pk(department), sk)
        .unwrap_or_else(|| panic!("no {department} report {sk}"));
    serde_json::from_value(v).unwrap()
}

#[test]
fn a_week_of_business_makes_the_weekly_sales_report_with_its_chart_csv_and_anomaly() {
    let t = twin("2026-02-02T17:00:00Z");
    a_week_of_business(&t);
    // Monday 2026-03-09, 09:00 in Los Angeles: the weekly reports are due.
    t.tick("daily", at("2026-03-09T16:00:00Z"));

    let s = stored(&t, "sales", "weekly#2026-03-02");
    let r = &s.report;
    assert_eq!((r.from, r.to), (d("2026-03-02"), d("2026-03-08")));
    let total = |f: Figure| r.series.iter().find(|s| s.figure == f).unwrap().total;
    assert_eq!(total(Figure::Leads), 4 + 5 + 3 + 4 + 20 + 4 + 5);
    assert_eq!(total(Figure::DealsOpened), 1);
    assert_eq!(total(Figure::PipelineAdded), 1_800_000);
    assert_eq!(total(Figure::DealsWon), 2); // D1 once, D2
    assert_eq!(total(Figure::RevenueWon), 4_240_000 + 1_080_000);
    assert_eq!(total(Figure::DealsLost), 1);
    // 03-06 against 02-06 … 03-05 (13 threes, 4, 4, 13 fives): median 4, MAD 1:
    // 0.6745 × (20 − 4) / 1 = 10.792.
    // The first win (03-03) has a window of nothing: no spread, not scored. The second (03-05)
    // has 27 days of none and 03-03's: median 0 and MAD 0, so the mean absolute deviation
    // stands in: deals 1/28, z = 1 / (1.253314 / 28) = 22.341; revenue 42,400.00 / 28, z =
    // 10,800 × 28 / (1.253314 × 42,400) = 5.691.
    let found: Vec<(NaiveDate, Figure, i64)> = r
        .anomalies
        .iter()
        .map(|a| (a.day, a.figure, a.value))
        .collect();
    assert_eq!(
        found,
        [
            (d("2026-03-05"), Figure::DealsWon, 1),
            (d("2026-03-05"), Figure::RevenueWon, 1_080_000),
            (d("2026-03-06"), Figure::Leads, 20),
        ]
    );
    assert!((r.anomalies[0].z - 28.0 / 1.253_314).abs() < 1e-9);
    assert!((r.anomalies[1].z - 10_800.0 * 28.0 / (1.253_314 * 42_400.0)).abs() < 1e-9);
    let a = &r.anomalies[2];
    assert_eq!(a.median, 4.0);
    assert!((a.z - 10.792).abs() < 1e-9, "{}", a.z);

    let mails = t.runtime.mails().unwrap();
    let mail = mails
        .iter()
        .find(|m| m.subject == "Sales weekly report, 2026-03-02 to 2026-03-08")
        .expect("the weekly sales report is mailed");
    assert_eq!(mail.to, "sales.director@ascent-xr.example");
    let html = mail.html.as_deref().unwrap();
    assert_eq!(html, s.html);
    assert!(s.charts);
    assert_eq!(html.matches("<svg ").count(), 6);
    assert!(html.contains(r##"fill="#d1362f"><title>03-06: 20</title>"##));
    assert!(
        mail.text.contains("Revenue won (USD): 53200.00\n"),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("- 2026-03-06 Leads: 20 against a median of 4 (robust z 10.79")
    );
    let [csv] = mail.attachments.as_slice() else {
        panic!("one attachment: {:?}", mail.attachments)
    };
    assert_eq!(csv.file_name, "sales-weekly-2026-03-02.csv");
    assert_eq!(csv.content_type, "text/csv; charset=UTF-8");
    assert_eq!(csv.content, s.csv);
    let lines: Vec<&str> = csv.content.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "day,Leads,Deals opened,Pipeline added (USD),Deals won,Revenue won (USD),Deals lost,anomalies"
    );
    assert_eq!(lines[2], "2026-03-03,5,0,0.00,1,42400.00,0,");
    assert_eq!(
        lines[4],
        "2026-03-05,4,0,0.00,1,10800.00,0,\"deals_won, z 22.34; revenue_won, z 5.69\""
    );
    assert_eq!(lines[5], "2026-03-06,20,0,0.00,0,0.00,1,\"leads, z 10.79\"");
    assert_eq!(lines[8], "total,45,1,18000.00,2,53200.00,1,");

    // Marketing's weekly report counts the same leads and flags the same day: each anomaly is
    // raised once for its figure and day.
    let m = stored(&t, "marketing", "weekly#2026-03-02");
    assert!(m.report.flagged(Figure::Leads, d("2026-03-06")).is_some());
    let f = stored(&t, "finance", "weekly#2026-03-02");
    // Finance counted nothing before 03-03: one day of data in its window, fewer than the 7
    // needed, so its report does not score the same revenue (sales' did, and raised it).
    assert!(f.report.anomalies.is_empty(), "{:?}", f.report.anomalies);
    let mut raised: Vec<ThresholdCrossed> = t
        .emitted("ThresholdCrossed")
        .iter()
        .map(|e| match e.payload() {
            Payload::ThresholdCrossed(x) => x.clone(),
            _ => unreachable!(),
        })
        .collect();
    raised.sort_by(|a, b| a.metric.cmp(&b.metric));
    let metrics: Vec<&str> = raised.iter().map(|x| x.metric.as_str()).collect();
    assert_eq!(
        metrics,
        [
            "kpi.deals_won.2026-03-05.robust_z",
            "kpi.leads.2026-03-06.robust_z",
            "kpi.revenue_won.2026-03-05.robust_z",
        ]
    );
    let x = &raised[1];
    assert_eq!(
        (x.value, x.threshold, x.direction),
        (10.79, 3.5, Direction::Above)
    );

    // Mondays also bring each daily report (the day before); nothing monthly on the 9th.
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert!(
        subjects.contains(&"Sales daily report, 2026-03-08"),
        "{subjects:?}"
    );
    assert!(!subjects.iter().any(|s| s.contains("monthly")));
    // Each department's report carries its own figures: finance counts the wins too.
    let revenue = f
        .report
        .series
        .iter()
        .find(|s| s.figure == Figure::RevenueWon);
    assert_eq!(revenue.unwrap().total, 5_320_000);
}

#[test]
fn a_second_run_the_same_day_sends_nothing_again() {
    let t = twin("2026-02-02T17:00:00Z");
    a_week_of_business(&t);
    t.tick("daily", at("2026-03-09T16:00:00Z"));
    let mails = t.runtime.mails().unwrap().len();
    assert_eq!(mails, 8); // sales 2, finance 2, operations 2, marketing, customer success
    t.tick("daily", at("2026-03-09T18:00:00Z"));
    assert_eq!(t.runtime.mails().unwrap().len(), mails);
    assert_eq!(t.emitted("ThresholdCrossed").len(), 3);
    assert_eq!(t.emitted("ReportDue").len(), 16);
}

#[test]
fn the_monthly_report_goes_out_on_the_first_business_day() {
    let t = twin("2026-02-02T17:00:00Z");
    leads(&t, d("2026-02-10"), 2);
    leads(&t, d("2026-02-27"), 3);
    // Sunday 2026-03-01: not a business day; Monday the 2nd is.
    t.tick("daily", at("2026-03-01T16:00:00Z"));
    assert!(
        t.get(
            Domain::Performance,
            &reports_pk("sales"),
            "monthly#2026-02-01"
        )
        .is_none()
    );
    t.tick("daily", at("2026-03-02T16:00:00Z"));
    let s = stored(&t, "sales", "monthly#2026-02-01");
    assert_eq!(s.report.to, d("2026-02-28"));
    assert_eq!(s.report.series[0].total, 5);
    assert_eq!(s.report.period_days().len(), 28);
}

#[test]
fn a_win_in_a_currency_without_a_rate_is_dead_lettered_naming_the_field() {
    let t = twin("2026-03-03T17:00:00Z");
    won(&t, "D9", Money::new(1_000_000, "SEK"));
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]
            .reason
            .contains("field `detail.payload.amount.currency`: currency SEK is not accepted"),
        "{}",
        dead[0].reason
    );
    assert!(t.query(Domain::Performance, &counts_pk("sales")).is_empty());
}

#[test]
fn a_report_due_for_an_unknown_department_or_backwards_period_is_refused() {
    let t = twin("2026-03-09T16:00:00Z");
    let due = |department: &str, from: &str, to: &str| ReportDue {
        department: department.into(),
        cadence: ReportCadence::Weekly,
        from: d(from),
        to: d(to),
    };
    t.emit(
        "ascent.agent.reporting",
        due("legal", "2026-03-02", "2026-03-08"),
    );
    t.emit(
        "ascent.agent.reporting",
        due("sales", "2026-03-08", "2026-03-02"),
    );
    t.emit(
        "ascent.agent.reporting",
        due("sales", "2026-01-01", "2026-03-08"),
    );
    let reasons: Vec<String> = t
        .runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("field `detail.payload.department`: `legal` gets no report"));
    assert!(reasons[1].contains("field `detail.payload.to`: 2026-03-02 is before `from`"));
    assert!(reasons[2].contains("field `detail.payload.from`"));
    assert!(t.runtime.mails().unwrap().is_empty());
}

#[test]
fn exceptions_raised_are_counted_for_operations_each_once() {
    let t = twin("2026-03-03T17:00:00Z");
    for subject in ["invoice INV-7 has no lines", "onboarding of A-9 stalled"] {
        t.emit(
            "ascent.agent.raiser",
            ascent_core::catalog::ExceptionRaised {
                agent: "raiser".into(),
                subject: subject.into(),
                reason: "needs a person".into(),
                severity: ascent_core::catalog::Severity::High,
            },
        );
    }
    // Wednesday 2026-03-04 in Los Angeles: the daily reports of the 3rd.
    t.tick("daily", at("2026-03-04T16:00:00Z"));
    let s = stored(&t, "operations", "daily#2026-03-03");
    assert_eq!(s.report.series[0].figure, Figure::Exceptions);
    assert_eq!(s.report.series[0].total, 2);
    assert_eq!(s.sent_to, "operations@ascent-xr.example");
    let mails = t.runtime.mails().unwrap();
    let mail = mails
        .iter()
        .find(|m| m.subject == "Operations daily report, 2026-03-03")
        .unwrap();
    assert!(
        mail.text.contains("Exceptions raised: 2\n"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("No anomalies."));
    // Only the departments with a daily cadence: finance, operations, sales.
    assert_eq!(mails.len(), 3);
}
