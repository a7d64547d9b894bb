//! Technical checks of a crawled page: an error status, a missing or duplicate title (the
//! same title, trimmed and lower-cased, as another page's), a missing meta description,
//! broken links (targets answering 4xx or 5xx) and a load slower than `slow_ms`. Each page
//! keeps its findings; the site's counts by kind are kept current from each page's change, so
//! the weekly report reads one item whatever the size of the site.

use crate::settings::PageChecks;
use ascent_core::agent::AgentError;
use ascent_core::catalog::{CrawledLink, PageCrawled};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest page address accepted (it is part of the item's key).
pub const MAX_URL_CHARS: usize = 1000;
/// Characters of a title used as its key for duplicate detection.
const TITLE_KEY_CHARS: usize = 300;

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    ErrorStatus,
    MissingTitle,
    DuplicateTitle,
    MissingMetaDescription,
    BrokenLinks,
    SlowPage,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::ErrorStatus => "error status",
            Kind::MissingTitle => "missing title",
            Kind::DuplicateTitle => "duplicate title",
            Kind::MissingMetaDescription => "missing meta description",
            Kind::BrokenLinks => "broken links",
            Kind::SlowPage => "slow page",
        }
    }
}

/// A finding on a page, with what a person needs to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    pub detail: String,
}

/// A page's record: its last crawl's findings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub url: String,
    /// The title's key (see [`title_key`]), when it has a title.
    pub title_key: Option<String>,
    pub findings: Vec<Finding>,
    pub crawled_at: chrono::DateTime<chrono::Utc>,
}

impl Page {
    pub fn kinds(&self) -> Vec<Kind> {
        self.findings.iter().map(|f| f.kind).collect()
    }
}

/// Checks a page's fields; `field` paths name what is refused.
pub fn check(p: &PageCrawled) -> Result<(), AgentError> {
    let url = p.url.trim();
    if url.is_empty() || url.chars().count() > MAX_URL_CHARS || url.contains(char::is_whitespace) {
        return Err(AgentError::Invalid(format!(
            "url: `{}` is not a page address (1 to {MAX_URL_CHARS} characters, no spaces)",
            p.url
        )));
    }
    let status = |s: u16, field: String| {
        if (100..=599).contains(&s) {
            Ok(())
        } else {
            Err(AgentError::Invalid(format!(
                "{field}: {s} is not an HTTP status"
            )))
        }
    };
    status(p.status, "status".into())?;
    for (i, l) in p.links.iter().enumerate() {
        status(l.status, format!("links[{i}].status"))?;
    }
    Ok(())
}

/// A title trimmed, lower-cased, with single spaces and at most 300 characters: two pages
/// with the same key have the same title. `None` for a missing or blank title.
pub fn title_key(title: Option<&str>) -> Option<String> {
    let t = title?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!t.is_empty()).then(|| t.chars().take(TITLE_KEY_CHARS).collect())
}

fn broken(l: &CrawledLink) -> bool {
    l.status >= 400
}

/// The findings of one crawl. `same_title` lists other pages with the same title.
pub fn findings(p: &PageCrawled, same_title: &[String], c: &PageChecks) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |kind, detail: String| out.push(Finding { kind, detail });
    if p.status >= 400 {
        add(Kind::ErrorStatus, format!("the page answers {}", p.status));
    }
    if title_key(p.title.as_deref()).is_none() {
        add(Kind::MissingTitle, "no <title>".into());
    } else if !same_title.is_empty() {
        add(
            Kind::DuplicateTitle,
            format!("the same title as {}", same_title.join(", ")),
        );
    }
    if p.meta_description
        .as_deref()
        .is_none_or(|d| d.trim().is_empty())
    {
        add(Kind::MissingMetaDescription, "no meta description".into());
    }
    let bad: Vec<&CrawledLink> = p.links.iter().filter(|l| broken(l)).collect();
    if !bad.is_empty() {
        let listed: Vec<String> = bad
            .iter()
            .take(c.broken_links_kept)
            .map(|l| format!("{} ({})", l.href, l.status))
            .collect();
        let more = bad.len() - listed.len();
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        add(
            Kind::BrokenLinks,
            format!("{} broken: {}{tail}", bad.len(), listed.join(", ")),
        );
    }
    if p.load_ms > c.slow_ms {
        add(
            Kind::SlowPage,
            format!("loads in {} ms (over {} ms)", p.load_ms, c.slow_ms),
        );
    }
    out
}

/// The site's pages with findings, by kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteCounts {
    pub by_kind: BTreeMap<Kind, u32>,
    /// Pages crawled at least once.
    pub pages: u32,
    pub version: u32,
}

impl SiteCounts {
    /// Applies a page's change from `before` (`None`: never crawled) to `after`.
    pub fn apply(&mut self, before: Option<&[Kind]>, after: &[Kind]) {
        if before.is_none() {
            self.pages += 1;
        }
        for k in before.unwrap_or_default() {
            if let Some(n) = self.by_kind.get_mut(k) {
                *n = n.saturating_sub(1);
            }
        }
        for k in after {
            *self.by_kind.entry(*k).or_default() += 1;
        }
        self.by_kind.retain(|_, n| *n > 0);
    }
}

#[cfg(test)]
#[path = "technical_tests.rs"]
mod tests;
