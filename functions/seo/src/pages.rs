//! A crawled page's checks, recorded: the page's findings (indexed while it has any, so the
//! report lists pages with findings in one bounded query), an item per title for duplicate
//! detection, and the site's counts by kind. At most four writes a page; a crawl older than
//! the page's last one changes nothing.

use crate::Seo;
use crate::technical::{self, Page, SiteCounts};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::PageCrawled;
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query};
use serde_json::json;

/// `gsi1` partition of the pages with findings, sorted by address.
pub const FINDINGS_INDEX: &str = "seo#pages-with-findings";
/// The site's counts by kind: one item.
pub const SITE_PK: &str = "seo#site";
/// Other pages with the same title named in a duplicate-title finding at most.
const SAME_TITLE_NAMED: usize = 5;

pub fn page_pk(url: &str) -> String {
    format!("seo#page#{url}")
}

pub fn title_pk(key: &str) -> String {
    format!("seo#title#{key}")
}

impl Seo {
    pub(crate) async fn on_crawl(
        &self,
        ctx: &mut Ctx<'_>,
        p: &PageCrawled,
    ) -> Result<(), AgentError> {
        technical::check(p)?;
        let url = p.url.trim().to_string();
        let pk = page_pk(&url);
        let before: Option<Page> = ctx.get_as(Domain::Performance, &pk, "page").await?;
        if before
            .as_ref()
            .is_some_and(|b| b.crawled_at >= p.crawled_at)
        {
            return Ok(()); // this crawl or a later one is recorded already
        }
        let key = technical::title_key(p.title.as_deref());
        let same: Vec<String> = match &key {
            Some(k) => {
                let q = Query::table(title_pk(k)).limit(SAME_TITLE_NAMED + 1);
                ctx.query(Domain::Performance, &q)
                    .await?
                    .into_iter()
                    .map(|i| i.sk)
                    .filter(|other| *other != url)
                    .take(SAME_TITLE_NAMED)
                    .collect()
            }
            None => Vec::new(),
        };
        let findings = technical::findings(p, &same, &self.config.pages);
        let old_key = before.as_ref().and_then(|b| b.title_key.clone());
        if old_key != key {
            if let Some(old) = &old_key {
                ctx.delete(Domain::Performance, &title_pk(old), &url)?;
            }
            if let Some(new) = &key {
                ctx.put(
                    Domain::Performance,
                    ascent_core::ports::Item::new(title_pk(new), url.clone(), json!({"url": url})),
                    Condition::Always,
                )?;
            }
        }
        let page = Page {
            url: url.clone(),
            title_key: key,
            findings,
            crawled_at: p.crawled_at,
        };
        // The site's one counts item is written only when the page's kinds change (a new
        // page, a finding found or fixed): most recrawls leave it alone, so concurrent
        // crawls seldom meet on it.
        let old_kinds = before.as_ref().map(Page::kinds);
        if old_kinds.as_deref() != Some(page.kinds().as_slice()) {
            let mut site: SiteCounts = ctx
                .get_as(Domain::Performance, SITE_PK, "counts")
                .await?
                .unwrap_or_default();
            let previous = (site.version > 0).then_some(site.version);
            site.apply(old_kinds.as_deref(), &page.kinds());
            site.version += 1;
            ctx.put_record(
                Domain::Performance,
                SITE_PK,
                "counts",
                &site,
                None,
                Condition::version(previous),
            )?;
        }
        let index = (!page.findings.is_empty()).then(|| (FINDINGS_INDEX.to_string(), url.clone()));
        ctx.put_record(
            Domain::Performance,
            &pk,
            "page",
            &page,
            index,
            Condition::Always,
        )
    }
}
