//! The weekly report: on the daily tick of `weekly_report_day`, the day ledgers of the
//! lookback (at most `lookback_days` items, one bounded query) are summed into ROI, CAC and the
//! return per unit spent per channel and per campaign under the report's model, and the last
//! week's figures beside them; mailed to marketing, kept, and emitted as
//! `ChannelReturnsMeasured`, the figure the Marketing Orchestrator allocates budget by.

use crate::ledger::{self, DayLedger, Measures, Period};
use crate::models::MODELS;
use crate::{DAYS_PK, MarketingAnalytics};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    AttributionModel, CampaignReturn, ChannelReturn, ChannelReturnsMeasured, MarketingChannel,
    ScheduleTick,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use chrono::{Datelike, Duration, NaiveDate};
use std::fmt::Write as _;

/// A ratio kept to four decimals (2.1234).
fn ratio(x: Option<f64>) -> Option<f64> {
    x.map(|v| (v * 10_000.0).round() / 10_000.0)
}

/// The measured returns of `p` under `model`: every channel with spend or credited revenue,
/// highest return per unit spent first (channels without spend last), then by channel.
pub fn measured(
    p: &Period,
    model: AttributionModel,
    from: NaiveDate,
    to: NaiveDate,
    currency: &str,
) -> ChannelReturnsMeasured {
    let money = |minor| Money::new(minor, currency);
    let mut channels: Vec<ChannelReturn> = p
        .channels
        .iter()
        .map(|(ch, t)| (*ch, ledger::measures(t, model)))
        .filter(|(_, m)| m.spend > 0 || m.revenue > 0 || m.customers > 0)
        .map(|(channel, m)| ChannelReturn {
            channel,
            spend: money(m.spend),
            attributed_revenue: money(m.revenue),
            return_per_unit: ratio(m.return_per_unit),
            roi: ratio(m.roi),
            customers: ledger::customers(m.customers),
            cac: m.cac.map(money),
        })
        .collect();
    channels.sort_by(|a, b| {
        let r = |c: &ChannelReturn| c.return_per_unit.unwrap_or(f64::NEG_INFINITY);
        r(b).total_cmp(&r(a)).then(a.channel.cmp(&b.channel))
    });
    ChannelReturnsMeasured {
        from,
        to,
        model,
        channels,
        unattributed_revenue: money(p.unattributed_revenue),
        campaigns: campaign_returns(p, model, currency),
    }
}

/// The measured figures of every campaign with spend or credited customers in `p`, by id
/// (the Marketing Orchestrator checks each campaign's cost per acquisition against its target).
fn campaign_returns(p: &Period, model: AttributionModel, currency: &str) -> Vec<CampaignReturn> {
    let money = |minor| Money::new(minor, currency);
    p.campaigns
        .iter()
        .map(|(id, c)| (id, c.channel, ledger::measures(&c.tally, model)))
        .filter(|(_, _, m)| m.spend > 0 || m.revenue > 0 || m.customers > 0)
        .map(|(id, channel, m)| CampaignReturn {
            campaign_id: id.clone(),
            channel,
            spend: money(m.spend),
            attributed_revenue: money(m.revenue),
            customers: ledger::customers(m.customers),
            cac: m.cac.map(money),
        })
        .collect()
}

fn name(model: AttributionModel) -> &'static str {
    match model {
        AttributionModel::FirstTouch => "first touch",
        AttributionModel::LastTouch => "last touch",
        AttributionModel::Linear => "linear",
        AttributionModel::TimeDecay => "time decay",
        AttributionModel::PositionBased => "position based",
    }
}

fn channel(c: MarketingChannel) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn line(out: &mut String, label: &str, m: &Measures, currency: &str) {
    let money = |minor| Money::new(minor, currency).to_string();
    let pct = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{:.1}%", v * 100.0));
    let _ = writeln!(
        out,
        "  {label}: spend {}, revenue {}, return {} per unit, ROI {}, customers {:.2}, CAC {}",
        money(m.spend),
        money(m.revenue),
        ratio(m.return_per_unit).map_or("n/a".into(), |r| format!("{r}")),
        pct(m.roi),
        ledger::customers(m.customers),
        m.cac.map_or("n/a".into(), money),
    );
}

fn section(out: &mut String, title: &str, p: &Period, model: AttributionModel, currency: &str) {
    let _ = writeln!(out, "{title}\nBy channel:");
    if p.channels.is_empty() {
        let _ = writeln!(out, "  nothing spent or won");
    }
    for (ch, t) in &p.channels {
        line(out, &channel(*ch), &ledger::measures(t, model), currency);
    }
    if !p.campaigns.is_empty() {
        let _ = writeln!(out, "By campaign:");
    }
    for (id, c) in &p.campaigns {
        let label = format!("{id} ({})", channel(c.channel));
        line(out, &label, &ledger::measures(&c.tally, model), currency);
    }
    let _ = writeln!(
        out,
        "Won revenue without a touch in its window: {}; customers {:.2}\n",
        Money::new(p.unattributed_revenue, currency),
        ledger::customers(p.unattributed_customers)
    );
}

/// The report's text: the week and the lookback under the report's model, then the
/// lookback's revenue per channel under every model side by side.
pub fn text(
    week: &Period,
    lookback: &Period,
    m: &ChannelReturnsMeasured,
    week_from: NaiveDate,
    currency: &str,
) -> String {
    let mut out = format!(
        "Attribution by the {} model; amounts in {currency}. ROI = (revenue − spend) / spend; \
         CAC = spend / new customers.\n\n",
        name(m.model)
    );
    section(
        &mut out,
        &format!("Last week ({week_from} to {})", m.to),
        week,
        m.model,
        currency,
    );
    section(
        &mut out,
        &format!("Lookback ({} to {})", m.from, m.to),
        lookback,
        m.model,
        currency,
    );
    let _ = writeln!(out, "Lookback revenue per channel under each model:");
    for (ch, t) in &lookback.channels {
        let by: Vec<String> = MODELS
            .iter()
            .enumerate()
            .map(|(i, md)| format!("{} {}", name(*md), Money::new(t.revenue[i], currency)))
            .collect();
        let _ = writeln!(out, "  {}: {}", channel(*ch), by.join("; "));
    }
    let _ = writeln!(
        out,
        "\nMeasured return per unit spent (the Marketing Orchestrator's input), best first:"
    );
    for c in &m.channels {
        let _ = writeln!(
            out,
            "  {}: {}",
            channel(c.channel),
            c.return_per_unit
                .map_or("no spend".into(), |r| format!("{r}"))
        );
    }
    out
}

impl MarketingAnalytics {
    /// The weekly report run: one query of at most `lookback_days` day ledgers, one write,
    /// one mail and one event, whatever the volume of deals and touches.
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        t: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = t.at.date_naive();
        if today.weekday() != self.config.weekly_report_day {
            return Ok(());
        }
        let pk = format!("attribution#report#{today}");
        if ctx.get(Domain::Performance, &pk, "report").await?.is_some() {
            return Ok(());
        }
        let to = today - Duration::days(1);
        let from = today - Duration::days(i64::from(self.config.lookback_days));
        let week_from = today - Duration::days(7);
        let q = Query::table(DAYS_PK)
            .sort(SortKey::Between(from.to_string(), to.to_string()))
            .limit(self.config.lookback_days as usize);
        let days: Vec<DayLedger> = ctx.query_as(Domain::Performance, &q).await?;
        let lookback = ledger::period(&days, from, to);
        let week = ledger::period(&days, week_from, to);
        let currency = self.config.base_currency.as_str();
        let m = measured(&lookback, self.config.report_model, from, to, currency);
        let body = text(&week, &lookback, &m, week_from, currency);
        ctx.put_record(
            Domain::Performance,
            &pk,
            "report",
            &m,
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: self.config.marketing.clone(),
            subject: format!("Marketing attribution report, week of {week_from}"),
            text: body,
            ..Default::default()
        })?;
        ctx.emit(m)
    }
}
