//! The knowledge base the customer-success agents share.
//!
//! Articles live in the `knowledge` domain: the current revision of each at `kb#articles` /
//! `<article id>`, every revision at `kb#article#<id>` / `v<NNNNNN>`, and a counter at
//! `kb#revision` / `current` that moves with every publication. Search is full text ranked by
//! BM25 with English stemming ([tantivy], an index in memory); [`KnowledgeCache`] keeps the
//! index and rebuilds it only when the counter moved, so a warm Lambda or the twin pays one
//! `GetItem` per search.

use ascent_core::agent::{AgentError, Domain};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, TantivyDocument, doc};

pub const ARTICLES: &str = "kb#articles";
pub const REVISION: &str = "kb#revision";

/// A help article (one revision).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub article_id: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub version: u32,
}

/// A search result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    pub article_id: String,
    pub title: String,
    /// BM25 score (title counts double).
    pub score: f32,
}

#[derive(Debug, thiserror::Error)]
#[error("knowledge base index: {0}")]
pub struct IndexError(String);

impl From<tantivy::TantivyError> for IndexError {
    fn from(e: tantivy::TantivyError) -> Self {
        IndexError(e.to_string())
    }
}

impl From<IndexError> for AgentError {
    fn from(e: IndexError) -> Self {
        AgentError::Transient(e.to_string())
    }
}

/// A searchable snapshot of the articles.
pub struct KnowledgeBase {
    index: Index,
    reader: IndexReader,
    id: Field,
    title: Field,
    body: Field,
    tags: Field,
    pub revision: u64,
    articles: BTreeMap<String, Article>,
}

impl KnowledgeBase {
    /// Indexes `articles` (one revision each).
    pub fn build(articles: &[Article], revision: u64) -> Result<Self, IndexError> {
        let mut sb = Schema::builder();
        let english = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let id = sb.add_text_field("id", STRING | STORED);
        let title = sb.add_text_field("title", english.clone() | STORED);
        let body = sb.add_text_field("body", english.clone());
        let tags = sb.add_text_field("tags", english);
        let index = Index::create_in_ram(sb.build());
        let mut writer = index.writer_with_num_threads(1, 20_000_000)?;
        for a in articles {
            writer.add_document(doc!(
                id => a.article_id.as_str(),
                title => a.title.as_str(),
                body => a.body.as_str(),
                tags => a.tags.join(" "),
            ))?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        reader.reload()?;
        Ok(Self {
            index,
            reader,
            id,
            title,
            body,
            tags,
            revision,
            articles: articles
                .iter()
                .map(|a| (a.article_id.clone(), a.clone()))
                .collect(),
        })
    }

    pub fn len(&self) -> usize {
        self.articles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    pub fn article(&self, id: &str) -> Option<&Article> {
        self.articles.get(id)
    }

    /// The best `limit` articles for free text (a ticket, a question) scoring at least
    /// `min_score`. Query syntax in the text is taken as words.
    pub fn search(&self, text: &str, limit: usize, min_score: f32) -> Result<Vec<Hit>, IndexError> {
        if self.articles.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // Words only: a ticket's punctuation must never turn into query syntax.
        let words: String = text
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let mut parser =
            QueryParser::for_index(&self.index, vec![self.title, self.body, self.tags]);
        parser.set_field_boost(self.title, 2.0);
        let (query, _) = parser.parse_query_lenient(&words);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut hits = Vec::new();
        for (score, address) in top {
            if score < min_score {
                continue;
            }
            let d: TantivyDocument = searcher.doc(address)?;
            let Some(id) = d.get_first(self.id).and_then(|v| v.as_str()) else {
                continue;
            };
            if let Some(a) = self.articles.get(id) {
                hits.push(Hit {
                    article_id: a.article_id.clone(),
                    title: a.title.clone(),
                    score,
                });
            }
        }
        Ok(hits)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Revision {
    revision: u64,
}

/// Stores a new revision of an article; an older or equal version than the stored one is
/// ignored (returns `false`).
pub async fn publish(ctx: &mut Ctx<'_>, article: &Article) -> Result<bool, AgentError> {
    if let Some(current) = ctx
        .get_as::<Article>(Domain::Knowledge, ARTICLES, &article.article_id)
        .await?
        && current.version >= article.version
    {
        return Ok(false);
    }
    ctx.put_record(
        Domain::Knowledge,
        ARTICLES,
        &article.article_id,
        article,
        None,
        Condition::Always,
    )?;
    ctx.put_record(
        Domain::Knowledge,
        &format!("kb#article#{}", article.article_id),
        &format!("v{:06}", article.version),
        article,
        None,
        Condition::NotExists,
    )?;
    let rev: Option<Revision> = ctx.get_as(Domain::Knowledge, REVISION, "current").await?;
    let condition = match rev {
        Some(r) => Condition::FieldEquals {
            field: "revision".into(),
            value: serde_json::json!(r.revision),
        },
        None => Condition::NotExists,
    };
    ctx.put_record(
        Domain::Knowledge,
        REVISION,
        "current",
        &Revision {
            revision: rev.unwrap_or_default().revision + 1,
        },
        None,
        condition,
    )?;
    Ok(true)
}

/// The index of the current articles, rebuilt only when they changed.
#[derive(Default)]
pub struct KnowledgeCache {
    cached: Mutex<Option<Arc<KnowledgeBase>>>,
}

impl KnowledgeCache {
    pub async fn get(&self, ctx: &mut Ctx<'_>) -> Result<Arc<KnowledgeBase>, AgentError> {
        let revision = ctx
            .get_as::<Revision>(Domain::Knowledge, REVISION, "current")
            .await?
            .unwrap_or_default()
            .revision;
        if let Some(kb) = self.cached.lock().as_ref()
            && kb.revision == revision
        {
            return Ok(kb.clone());
        }
        let articles: Vec<Article> = ctx
            .query(Domain::Knowledge, &Query::table(ARTICLES))
            .await?
            .iter()
            .map(|i| i.parse())
            .collect::<Result<_, _>>()?;
        let kb = Arc::new(KnowledgeBase::build(&articles, revision)?);
        *self.cached.lock() = Some(kb.clone());
        Ok(kb)
    }
}

/// The topic of a text as its key terms: the `n` most frequent words of three letters or more
/// (common words left out), sorted, joined by spaces. Two tickets about the same thing get
/// the same topic.
pub fn key_terms(text: &str, n: usize) -> String {
    const STOP: [&str; 38] = [
        "the", "and", "for", "our", "not", "was", "you", "are", "can", "all", "any", "how", "why",
        "but", "has", "had", "get", "one", "now", "its", "with", "since", "this", "that", "does",
        "have", "from", "after", "when", "what", "your", "there", "their", "about", "please",
        "hello", "thanks", "would",
    ];
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for w in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && !STOP.contains(w))
    {
        *counts
            .entry(w.trim_end_matches('s').to_string())
            .or_default() += 1;
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut top: Vec<String> = ranked.into_iter().take(n).map(|(w, _)| w).collect();
    top.sort();
    top.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: &str, title: &str, body: &str, tags: &[&str]) -> Article {
        Article {
            article_id: id.into(),
            title: title.into(),
            body: body.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            version: 1,
        }
    }

    fn kb() -> KnowledgeBase {
        KnowledgeBase::build(
            &[
                article(
                    "KB-1",
                    "Pairing a headset with Ascent Studio",
                    "Open Studio, choose Devices, hold the headset's power button until it pairs.",
                    &["hardware", "headset", "pairing"],
                ),
                article(
                    "KB-2",
                    "Resetting your password",
                    "Use the sign-in page's reset link; single sign-on users reset with their provider.",
                    &["access", "login"],
                ),
                article(
                    "KB-3",
                    "Publishing a project to your team",
                    "Projects are published from the Share menu; published projects open on every headset.",
                    &["projects"],
                ),
            ],
            1,
        )
        .unwrap()
    }

    #[test]
    fn ranks_by_bm25_with_stemming_and_title_boost() {
        let kb = kb();
        let hits = kb
            .search("Our headsets won't pair since the update!!", 3, 0.0)
            .unwrap();
        assert_eq!(hits[0].article_id, "KB-1", "{hits:?}");
        // "headsets" (plural) matched "headset" through stemming; KB-3 mentions headsets too,
        // but lower.
        assert!(hits.iter().any(|h| h.article_id == "KB-3"));
        assert!(hits[0].score > hits.last().unwrap().score);
        let hits = kb.search("password reset for login", 1, 0.0).unwrap();
        assert_eq!(hits[0].article_id, "KB-2");
    }

    #[test]
    fn nothing_relevant_is_no_hit_and_syntax_is_only_words() {
        let kb = kb();
        assert!(kb.search("invoice VAT number", 3, 0.5).unwrap().is_empty());
        // Query syntax characters never fail a search.
        assert!(kb.search("title:(\"unbalanced AND OR", 3, 0.0).is_ok());
        assert!(
            KnowledgeBase::build(&[], 0)
                .unwrap()
                .search("anything", 3, 0.0)
                .unwrap()
                .is_empty()
        );
    }
}
