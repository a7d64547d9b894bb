//! Content gaps: a page of a competitor's keywords (`CompetitorKeywordsObserved`, at most
//! `competitor_keywords_per_event`) is checked keyword by keyword against our last observed
//! position; each gap ([`crate::opportunity::is_gap`]) is emitted once as `ContentGapFound`,
//! a marker per keyword keeping it once whichever competitor or page finds it again.

use crate::opportunity::{click_gain, is_gap};
use crate::ranks::{check_difficulty, check_rank, normalise};
use crate::{NAME, Seo};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{CompetitorKeywordsObserved, ContentGapFound};
use ascent_core::context::Ctx;
use ascent_core::ports::Condition;

/// The marker of a keyword's gap.
pub fn gap_pk(keyword: &str) -> String {
    format!("seo#gap#{keyword}")
}

impl Seo {
    pub(crate) async fn on_competitor(
        &self,
        ctx: &mut Ctx<'_>,
        c: &CompetitorKeywordsObserved,
    ) -> Result<(), AgentError> {
        let competitor = c.competitor.trim().to_lowercase();
        if competitor.is_empty() {
            return Err(AgentError::Invalid("competitor: is blank".into()));
        }
        let most = self.config.competitor_keywords_per_event;
        if c.keywords.len() > most {
            return Err(AgentError::Invalid(format!(
                "keywords: {} listed, at most {most} per event ([{NAME}] \
                 competitor_keywords_per_event): send them in pages",
                c.keywords.len()
            )));
        }
        // Every keyword checked before any is used: a bad one refuses the page whole.
        let mut checked = Vec::with_capacity(c.keywords.len());
        for (i, k) in c.keywords.iter().enumerate() {
            let keyword = normalise(&k.keyword, &format!("keywords[{i}].keyword"))?;
            check_rank(Some(k.rank), &format!("keywords[{i}].rank"))?;
            check_difficulty(k.difficulty, &format!("keywords[{i}].difficulty"))?;
            if !checked.iter().any(|(kw, _)| *kw == keyword) {
                checked.push((keyword, k));
            }
        }
        for (keyword, k) in checked {
            if k.search_volume < self.config.gaps.min_volume
                || k.rank > self.config.gaps.competitor_top
            {
                continue; // not a gap whatever our position: no read needed
            }
            let ours = self
                .history(ctx, &keyword)
                .await?
                .and_then(|h| h.latest().and_then(|l| l.rank));
            if !is_gap(&self.config.gaps, k.rank, k.search_volume, ours) {
                continue;
            }
            let pk = gap_pk(&keyword);
            if ctx.get(Domain::Performance, &pk, "gap").await?.is_some() {
                continue;
            }
            let gap = ContentGapFound {
                keyword: keyword.clone(),
                search_volume: k.search_volume,
                difficulty: k.difficulty,
                competitor: competitor.clone(),
                competitor_rank: k.rank,
                our_rank: ours,
                score: click_gain(
                    &self.config.scoring,
                    k.search_volume,
                    k.difficulty,
                    ours,
                    k.rank,
                ),
            };
            ctx.put_record(
                Domain::Performance,
                &pk,
                "gap",
                &gap,
                None,
                Condition::NotExists,
            )?;
            ctx.emit(gap)?;
        }
        Ok(())
    }
}
