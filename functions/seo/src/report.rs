//! The weekly SEO report: on the daily tick of `weekly_report_day`, the site's finding counts
//! (one item), the pages with findings and the week's rank drops (two queries of at most
//! `report_items_listed`), and the ranked opportunities (one item) are mailed to the SEO
//! owner and kept; the opportunities go out as `KeywordOpportunitiesRanked` for Content
//! Marketing's briefs. Made once per report day.

use crate::pages::{FINDINGS_INDEX, SITE_PK};
use crate::technical::{Page, SiteCounts};
use crate::{DROPS_PK, DropRecord, OPPORTUNITIES_PK, Seo};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{KeywordOpportunitiesRanked, KeywordOpportunity, ScheduleTick};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// What the report said, as kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub as_of: NaiveDate,
    pub site: SiteCounts,
    pub drops: Vec<DropRecord>,
    /// More drops than listed happened in the week.
    pub more_drops: bool,
    pub opportunities: Vec<KeywordOpportunity>,
}

fn position(p: Option<u32>) -> String {
    p.map_or("not ranked".into(), |r| format!("#{r}"))
}

/// The report's text. `pages` are the pages with findings listed; `more_pages`: there are more.
pub fn text(
    r: &Report,
    pages: &[Page],
    more_pages: bool,
    week_from: NaiveDate,
    week_to: NaiveDate,
) -> String {
    let mut out = format!("SEO report for the week {week_from} to {week_to}\n\n");
    let with_findings: u32 = r.site.by_kind.values().sum();
    let _ = writeln!(
        out,
        "Technical checks: {} page(s) crawled; findings:",
        r.site.pages
    );
    if with_findings == 0 {
        let _ = writeln!(out, "  none");
    }
    for (kind, n) in &r.site.by_kind {
        let _ = writeln!(out, "  {}: {n} page(s)", kind.label());
    }
    if !pages.is_empty() {
        let more = if more_pages {
            format!(" (the first {} by address)", pages.len())
        } else {
            String::new()
        };
        let _ = writeln!(out, "Pages to fix{more}:");
    }
    for p in pages {
        let _ = writeln!(out, "  {}", p.url);
        for f in &p.findings {
            let _ = writeln!(out, "    - {}: {}", f.kind.label(), f.detail);
        }
    }
    let _ = writeln!(out, "\nRank drops this week:");
    if r.drops.is_empty() {
        let _ = writeln!(out, "  none");
    }
    if r.more_drops {
        let _ = writeln!(out, "  (the first {}; more happened)", r.drops.len());
    }
    for d in &r.drops {
        let to = if d.position > crate::settings::DEEPEST_RANK {
            "out of the top 100".to_string()
        } else {
            format!("#{}", d.position)
        };
        let _ = writeln!(
            out,
            "  {} \"{}\": #{} to {to} ({})",
            d.on, d.keyword, d.previous, d.reason
        );
    }
    let _ = writeln!(
        out,
        "\nKeyword opportunities (expected extra clicks a month), best first:"
    );
    if r.opportunities.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for (i, o) in r.opportunities.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. \"{}\": {} clicks ({} now, {} searches, difficulty {})",
            i + 1,
            o.keyword,
            o.score,
            position(o.rank),
            o.search_volume,
            o.difficulty
        );
    }
    out
}

impl Seo {
    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        t: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = t.at.date_naive();
        if today.weekday() != self.config.weekly_report_day {
            return Ok(());
        }
        let pk = format!("seo#report#{today}");
        if ctx.get(Domain::Performance, &pk, "report").await?.is_some() {
            return Ok(());
        }
        let listed = self.config.report_items_listed;
        let site: SiteCounts = ctx
            .get_as(Domain::Performance, SITE_PK, "counts")
            .await?
            .unwrap_or_default();
        // One more than listed tells whether there are more.
        let mut pages: Vec<Page> = ctx
            .query_as(
                Domain::Performance,
                &Query::gsi1(FINDINGS_INDEX).limit(listed + 1),
            )
            .await?;
        let more_pages = pages.len() > listed;
        pages.truncate(listed);
        // The week: the seven days before the report day.
        let week_from = today - Duration::days(7);
        let week_to = today - Duration::days(1);
        let mut drops: Vec<DropRecord> = ctx
            .query_as(
                Domain::Performance,
                &Query::table(DROPS_PK)
                    .sort(SortKey::Between(
                        week_from.to_string(),
                        format!("{week_to}~"),
                    ))
                    .limit(listed + 1),
            )
            .await?;
        let more_drops = drops.len() > listed;
        drops.truncate(listed);
        let opportunities = ctx
            .get_as::<crate::opportunity::Ranked>(Domain::Performance, OPPORTUNITIES_PK, "current")
            .await?
            .unwrap_or_default()
            .opportunities;
        let report = Report {
            as_of: today,
            site,
            drops,
            more_drops,
            opportunities,
        };
        let body = text(&report, &pages, more_pages, week_from, week_to);
        ctx.put_record(
            Domain::Performance,
            &pk,
            "report",
            &report,
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: self.config.owner.clone(),
            subject: format!("SEO report, week of {week_from}"),
            text: body,
            ..Default::default()
        })?;
        ctx.emit(KeywordOpportunitiesRanked {
            as_of: today,
            opportunities: report.opportunities,
        })
    }
}
