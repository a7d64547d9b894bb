//! The weekly analytics report: on the daily tick whose books' day (`[company] time_zone`) is
//! `weekly_report_day`, each series' day
//! records of the capped history (one bounded query each, at most `history_days` items) are
//! forecast with their bands ([`crate::forecast`]), the latest `cohort_months` cohorts make the
//! retention table ([`crate::cohorts`]); the report is mailed to operations, kept under its day
//! and emitted as `ForecastPublished`. A second tick of the same day finds the report kept
//! and does nothing.

use crate::cohorts::{self, Cohort};
use crate::series::{self, DayPoint, SERIES};
use crate::{COHORTS_PK, OperationsAnalytics, REPORTS_PK, forecast};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    CohortRetention, ForecastPublished, OperationsSeries, ScheduleTick, SeriesForecast,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use chrono::{Datelike, Duration, NaiveDate};
use std::fmt::Write as _;

fn title(s: OperationsSeries) -> &'static str {
    match s {
        OperationsSeries::Revenue => "Revenue (paid invoices per day)",
        OperationsSeries::Pipeline => "Open pipeline (value of open deals at the end of each day)",
        OperationsSeries::Tickets => "Tickets opened per day",
    }
}

fn change(last: f64, previous: f64) -> String {
    if previous > 0.0 {
        format!("{:+.1}%", (last - previous) / previous * 100.0)
    } else {
        "n/a".into()
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn series_text(out: &mut String, f: &SeriesForecast) {
    let what = if series::is_stock(f.series) {
        ("Last day", "7 days before")
    } else {
        ("Last 7 days", "the 7 before")
    };
    let _ = writeln!(out, "{} [{}]", title(f.series), f.unit);
    let _ = writeln!(
        out,
        "  {}: {:.2}; {}: {:.2} ({}).",
        what.0,
        f.last_7_days,
        what.1,
        f.previous_7_days,
        change(f.last_7_days, f.previous_7_days)
    );
    if let (Some(trend), Some(w)) = (f.trend_per_day, f.smoothing) {
        let _ = write!(
            out,
            "  Trend {trend:+.2} a day; weights α {} β {} γ {} on {} days of history",
            w.alpha, w.beta, w.gamma, f.history_days
        );
        let _ = match f.backtest_origins {
            0 => writeln!(out, "."),
            k => writeln!(out, "; bands from {k} back-test origins."),
        };
    }
    if let Some(note) = &f.note {
        let _ = writeln!(out, "  {note}.");
    }
    for p in &f.points {
        let bands: Vec<String> = p
            .bands
            .iter()
            .map(|b| {
                format!(
                    "{:.0}%: {:.2} to {:.2}",
                    b.coverage * 100.0,
                    b.lower,
                    b.upper
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  {} {} {:.2}{}{}",
            p.day,
            p.day.weekday(),
            p.value,
            if bands.is_empty() { "" } else { "   " },
            bands.join("   ")
        );
    }
    out.push('\n');
}

/// The cohort table's text: one line per sign-up month, its shares retained after 1..N months.
pub fn cohort_text(out: &mut String, rows: &[CohortRetention], months: u32) {
    let _ = writeln!(
        out,
        "Cohort retention: the share of each sign-up month's customers not churned by the end \
         of the k-th month after it (k = 1..{months}, months over only)"
    );
    if rows.is_empty() {
        let _ = writeln!(out, "  no sign-ups yet");
        return;
    }
    let head: Vec<String> = (1..=months).map(|k| format!("{k:>7}")).collect();
    let _ = writeln!(out, "  cohort   customers{}", head.join(""));
    for r in rows {
        let cells: Vec<String> = r
            .retained
            .iter()
            .map(|x| format!("{:>7}", pct(*x)))
            .collect();
        let _ = writeln!(out, "  {}  {:>9}{}", r.cohort, r.customers, cells.join(""));
    }
}

/// The report's text.
pub fn text(p: &ForecastPublished, season_days: usize, retention_months: u32) -> String {
    let mut out = format!(
        "Operations analytics, week of {} (history to the day before).\nForecasts: Holt-Winters \
         additive, a {season_days}-day season; bands: the forecast plus the quantiles of \
         back-tested errors (actual − forecast) at each horizon, from the latest origins.\n\n",
        p.as_of
    );
    for f in &p.series {
        series_text(&mut out, f);
    }
    cohort_text(&mut out, &p.cohorts, retention_months);
    out
}

impl OperationsAnalytics {
    /// The forecasts and the cohort table as of `today`: one bounded query per series and one
    /// for the cohorts.
    async fn gather(
        &self,
        ctx: &mut Ctx<'_>,
        today: NaiveDate,
    ) -> Result<ForecastPublished, AgentError> {
        let c = &self.config;
        let to = today - Duration::days(1);
        let from = to - Duration::days(i64::from(c.history_days) - 1);
        let scale = 10f64.powi(i32::from(Money::zero(&c.base_currency).exponent()));
        let mut forecasts = Vec::new();
        for s in SERIES {
            let q = Query::table(series::pk(s))
                .sort(SortKey::Between(from.to_string(), to.to_string()))
                .limit(c.history_days as usize);
            let points: Vec<DayPoint> = ctx.query_as(Domain::Performance, &q).await?;
            let stock = series::is_stock(s);
            let values = series::daily_values(&points, to, c.history_days, stock)
                .map(|(_, v)| v)
                .unwrap_or_default();
            let (unit, values) = match s {
                OperationsSeries::Tickets => ("tickets", values),
                _ => (
                    c.base_currency.as_str(),
                    values.into_iter().map(|v| v / scale).collect(),
                ),
            };
            forecasts.push(forecast::forecast(s, unit, &values, today, &c.method));
        }
        let q = Query::table(COHORTS_PK)
            .descending()
            .limit(c.cohort_months as usize);
        let mut kept: Vec<Cohort> = ctx.query_as(Domain::Performance, &q).await?;
        kept.reverse();
        Ok(ForecastPublished {
            as_of: today,
            series: forecasts,
            cohorts: cohorts::table(&kept, today, c.retention_months),
        })
    }

    /// The weekly report run: three series queries and one cohort query, one write, one mail
    /// and one event, whatever the volume of invoices, deals and tickets.
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        t: &ScheduleTick,
    ) -> Result<(), AgentError> {
        // The books' day of the run: its history ends the day before, whole days only.
        let today = self.day_of(t.at);
        if today.weekday() != self.config.weekly_report_day {
            return Ok(());
        }
        let sk = today.to_string();
        if ctx
            .get(Domain::Performance, REPORTS_PK, &sk)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let published = self.gather(ctx, today).await?;
        let body = text(
            &published,
            self.config.method.season_days,
            self.config.retention_months,
        );
        ctx.put_record(
            Domain::Performance,
            REPORTS_PK,
            &sk,
            &published,
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: self.config.operations.clone(),
            subject: format!("Operations analytics: forecasts and cohorts, week of {today}"),
            text: body,
            ..Default::default()
        })?;
        ctx.emit(published)
    }
}
