//! # SEO agent
//!
//! Where the site ranks, what to write next, and what to fix. The rank tracker's
//! `KeywordRankObserved` builds each keyword's time series ([`ranks`]); a fall against its
//! trailing average, or out of the top N, raises `ThresholdCrossed` and tells the SEO owner.
//! Each observation rescores the keyword's opportunity — expected extra clicks a month at the
//! target position, discounted by difficulty ([`opportunity`]) — in one ranked list.
//! `CompetitorKeywordsObserved` (a page of a competitor's keywords) finds content gaps, each
//! emitted once as `ContentGapFound` for Content Marketing ([`gaps`]). `PageCrawled` runs the
//! technical checks of a page ([`technical`], [`pages`]). On the daily tick of the configured
//! weekday the weekly SEO report is mailed and kept, and the ranked opportunities are emitted
//! as `KeywordOpportunitiesRanked` ([`report`]). Every message does bounded work: one keyword,
//! one page of competitor keywords (at most `competitor_keywords_per_event`), one page, or one
//! report of bounded reads.

mod gaps;
pub mod opportunity;
mod pages;
pub mod ranks;
pub mod report;
mod settings;
pub mod technical;

pub use settings::{DropRule, GapRule, PageChecks, Scoring, SeoConfig};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    Direction, KeywordOpportunity, KeywordRankObserved, Payload, ThresholdCrossed,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Mail};
use async_trait::async_trait;
use chrono::NaiveDate;
use opportunity::Ranked;
use ranks::{History, Recorded};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const NAME: &str = "seo";
/// The ranked opportunities: one item.
pub const OPPORTUNITIES_PK: &str = "seo#opportunities";
/// Drops alerted, sorted by `<day>#<keyword>`.
pub const DROPS_PK: &str = "seo#drops";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Marketing,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "rank-tracker",
                pattern: json!({"detail-type": ["KeywordRankObserved", "CompetitorKeywordsObserved"]}),
            },
            Subscription {
                name: "site-crawl",
                pattern: json!({"detail-type": ["PageCrawled"]}),
            },
            Subscription {
                name: "weekly-report",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Performance],
        owns: vec![owns(Domain::Performance, "seo#")],
        emits: vec![
            "ThresholdCrossed",
            "ContentGapFound",
            "KeywordOpportunitiesRanked",
        ],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

/// The item of a keyword's history.
pub fn keyword_pk(keyword: &str) -> String {
    format!("seo#kw#{keyword}")
}

/// A drop as kept for the weekly report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropRecord {
    pub keyword: String,
    pub on: NaiveDate,
    /// 101: out of the top 100.
    pub position: u32,
    pub previous: u32,
    pub reason: String,
}

pub struct Seo {
    decl: AgentDecl,
    config: SeoConfig,
}

impl Seo {
    pub(crate) async fn history(
        &self,
        ctx: &mut Ctx<'_>,
        keyword: &str,
    ) -> Result<Option<History>, AgentError> {
        ctx.get_as(Domain::Performance, &keyword_pk(keyword), "history")
            .await
    }

    /// Records a keyword's position, rescores its opportunity and alerts a new drop.
    async fn on_rank(&self, ctx: &mut Ctx<'_>, o: &KeywordRankObserved) -> Result<(), AgentError> {
        let keyword = ranks::normalise(&o.keyword, "keyword")?;
        ranks::check_rank(o.rank, "rank")?;
        ranks::check_difficulty(o.difficulty, "difficulty")?;
        ranks::check_url(o.url.as_deref(), "url")?;
        let mut h = self
            .history(ctx, &keyword)
            .await?
            .unwrap_or_else(|| History::new(&keyword));
        let previous = (h.version > 0).then_some(h.version);
        let decided = ranks::record(&mut h, o, self.config.history_kept, &self.config.drops);
        h.version += 1;
        ctx.put_record(
            Domain::Performance,
            &keyword_pk(&keyword),
            "history",
            &h,
            None,
            Condition::version(previous),
        )?;
        let latest = h.latest().expect("just recorded").clone();
        let entry = KeywordOpportunity {
            keyword: keyword.clone(),
            url: latest.url.clone(),
            rank: latest.rank,
            search_volume: h.search_volume,
            difficulty: h.difficulty,
            score: opportunity::opportunity(
                &self.config.scoring,
                h.search_volume,
                h.difficulty,
                latest.rank,
            ),
        };
        let mut list: Ranked = ctx
            .get_as(Domain::Performance, OPPORTUNITIES_PK, "current")
            .await?
            .unwrap_or_default();
        let before = list.opportunities.clone();
        list.update(entry, self.config.scoring.opportunities_kept);
        if list.opportunities != before {
            let previous = (list.version > 0).then_some(list.version);
            list.version += 1;
            ctx.put_record(
                Domain::Performance,
                OPPORTUNITIES_PK,
                "current",
                &list,
                None,
                Condition::version(previous),
            )?;
        }
        if let Recorded::Dropped(d) = decided {
            self.alert(ctx, &keyword, o.observed_on, &d)?;
        }
        Ok(())
    }

    /// A drop: kept for the report, raised as `ThresholdCrossed`, mailed to the SEO owner.
    fn alert(
        &self,
        ctx: &mut Ctx<'_>,
        keyword: &str,
        on: NaiveDate,
        d: &ranks::Drop,
    ) -> Result<(), AgentError> {
        let record = DropRecord {
            keyword: keyword.to_string(),
            on,
            position: d.position,
            previous: d.previous,
            reason: d.reason.clone(),
        };
        ctx.put_record(
            Domain::Performance,
            DROPS_PK,
            &format!("{on}#{keyword}"),
            &record,
            None,
            Condition::Always,
        )?;
        ctx.emit(ThresholdCrossed {
            metric: format!("seo.rank.{keyword}"),
            value: f64::from(d.position),
            threshold: (d.threshold * 100.0).round() / 100.0,
            direction: Direction::Above,
        })?;
        let shown = |p: u32| {
            if p > settings::DEEPEST_RANK {
                "not in the top 100".to_string()
            } else {
                format!("#{p}")
            }
        };
        let average = d
            .trailing_average
            .map_or("not enough history".into(), |a| format!("{a:.1}"));
        ctx.send_mail(Mail {
            to: self.config.owner.clone(),
            subject: format!(
                "SEO rank drop: \"{keyword}\" fell to {} on {on}",
                shown(d.position)
            ),
            text: format!(
                "\"{keyword}\" ranks {} on {on}, from {} at the observation before; \
                 trailing average {average}.\nWhy this is a drop: it fell {}.\n",
                shown(d.position),
                shown(d.previous),
                d.reason
            ),
            ..Default::default()
        })
    }
}

#[async_trait]
impl Agent for Seo {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::KeywordRankObserved(o) => self.on_rank(ctx, o).await,
            Payload::CompetitorKeywordsObserved(c) => self.on_competitor(ctx, c).await,
            Payload::PageCrawled(p) => self.on_crawl(ctx, p).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod tests;
