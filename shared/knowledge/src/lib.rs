//! The knowledge base the customer-success agents share.
//!
//! Articles live in the `knowledge` domain: the current revision of each at `kb#articles` /
//! `<article id>`, every revision at `kb#article#<id>` / `v<NNNNNN>`, and a counter at
//! `kb#revision` / `current` that moves with every publication. Search is full text ranked by
//! BM25 with English stemming ([tantivy], an index in memory); [`KnowledgeCache`] keeps the
//! index and rebuilds it only when the counter moved, so a warm Lambda or the twin pays one
//! `GetItem` per search.
//!
//! A search takes the query's words without English stop-words, stemmed, with the configured
//! synonyms added and a misspelt word corrected to the nearest word the articles contain
//! ([`analysis`]); it keeps the hits within a share of the best ([`settings`]). Knowledge-gap
//! topics are grouped by the overlap of their stemmed key terms ([`topics`]).

pub mod analysis;
pub mod settings;
#[cfg(test)]
mod tests;
pub mod topics;

pub use settings::SearchSettings;
pub use topics::{GapTopic, closest_topic, gap_topic, topic_terms};

use ascent_core::agent::{AgentError, Domain};
use ascent_core::context::Ctx;
use ascent_core::ports::Condition;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, TantivyDocument, Term, doc};

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
    /// BM25 score (a title word counts `title_boost` times, shipped 2).
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
    reader: IndexReader,
    id: Field,
    title: Field,
    body: Field,
    tags: Field,
    pub revision: u64,
    articles: BTreeMap<String, Article>,
    /// Every indexed term, with the number of articles containing it.
    vocabulary: BTreeMap<String, usize>,
    settings: SearchSettings,
}

impl KnowledgeBase {
    /// Indexes `articles` (one revision each) with the shipped search settings.
    pub fn build(articles: &[Article], revision: u64) -> Result<Self, IndexError> {
        Self::build_with(articles, revision, SearchSettings::default())
    }

    /// Indexes `articles` (one revision each) searched with `settings`.
    pub fn build_with(
        articles: &[Article],
        revision: u64,
        settings: SearchSettings,
    ) -> Result<Self, IndexError> {
        let mut sb = Schema::builder();
        let english = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analysis::ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let id = sb.add_text_field("id", STRING | STORED);
        let title = sb.add_text_field("title", english.clone() | STORED);
        let body = sb.add_text_field("body", english.clone());
        let tags = sb.add_text_field("tags", english);
        let index = Index::create_in_ram(sb.build());
        index
            .tokenizers()
            .register(analysis::ANALYZER, analysis::analyzer());
        let mut vocabulary: BTreeMap<String, usize> = BTreeMap::new();
        for a in articles {
            let mut words: Vec<String> =
                analysis::terms(&format!("{} {} {}", a.title, a.body, a.tags.join(" ")));
            words.sort();
            words.dedup();
            for w in words {
                *vocabulary.entry(w).or_default() += 1;
            }
        }
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
            vocabulary,
            settings,
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

    /// What a query searches for, stemmed, stop-words out, without repeats: its own words, a
    /// word no article has corrected to the nearest one that some article has (never a word
    /// of a synonym group: "visor" is not a typo), then the terms and phrases its synonyms add.
    /// Words no article has, corrected or not, are left out.
    pub fn query(&self, text: &str) -> Vec<analysis::Wanted> {
        let synonym_words: Vec<String> = self
            .settings
            .synonyms
            .iter()
            .flatten()
            .flat_map(|p| analysis::phrase(p))
            .collect();
        let query: Vec<String> = analysis::phrase(text)
            .into_iter()
            .map(|w| {
                if analysis::is_stop_word(&w)
                    || self.vocabulary.contains_key(&w)
                    || synonym_words.contains(&w)
                {
                    w
                } else {
                    analysis::correct(&w, &self.vocabulary, &self.settings).unwrap_or(w)
                }
            })
            .collect();
        let own = query
            .iter()
            .filter(|w| !analysis::is_stop_word(w))
            .map(|w| analysis::Wanted::Term(w.clone()));
        let mut out: Vec<analysis::Wanted> = Vec::new();
        for w in own.chain(analysis::synonyms(&query, &self.settings.synonyms)) {
            if w.terms().iter().all(|t| self.vocabulary.contains_key(*t)) && !out.contains(&w) {
                out.push(w);
            }
        }
        out
    }

    /// [`Self::query`] as text: a term, or a phrase's terms space-separated.
    pub fn query_terms(&self, text: &str) -> Vec<String> {
        self.query(text).iter().map(|w| w.text()).collect()
    }

    /// The best `limit` articles for free text (a ticket, a question): BM25 over the query's
    /// terms ([`Self::query_terms`]), kept when scoring at least `min_score` (the absolute
    /// floor) and at least `relative_score_pct` of the best hit. Query syntax in the text is
    /// taken as words.
    pub fn search(&self, text: &str, limit: usize, min_score: f32) -> Result<Vec<Hit>, IndexError> {
        if self.articles.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let wanted = self.query(text);
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &wanted {
            for (field, boost) in [
                (self.title, self.settings.title_boost),
                (self.body, 1.0),
                (self.tags, 1.0),
            ] {
                let q: Box<dyn Query> = match w {
                    analysis::Wanted::Term(t) => Box::new(TermQuery::new(
                        Term::from_field_text(field, t),
                        IndexRecordOption::WithFreqs,
                    )),
                    analysis::Wanted::Phrase(p) => Box::new(PhraseQuery::new_with_offset(
                        p.iter()
                            .map(|(at, t)| (*at, Term::from_field_text(field, t)))
                            .collect(),
                    )),
                };
                clauses.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
            }
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let best = top.first().map(|(s, _)| *s).unwrap_or(0.0);
        let floor = min_score.max(best * self.settings.relative_score_pct as f32 / 100.0);
        let mut hits = Vec::new();
        for (score, address) in top {
            if score < floor {
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
    /// `None`: the shipped `[knowledge]`, read at the first build.
    settings: Option<SearchSettings>,
}

impl KnowledgeCache {
    /// A cache whose index searches with `settings`.
    pub fn new(settings: SearchSettings) -> Self {
        Self {
            cached: Mutex::default(),
            settings: Some(settings),
        }
    }

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
            .query(
                Domain::Knowledge,
                &ascent_core::ports::Query::table(ARTICLES),
            )
            .await?
            .iter()
            .map(|i| i.parse())
            .collect::<Result<_, _>>()?;
        let settings = self.settings.clone().unwrap_or_default();
        let kb = Arc::new(KnowledgeBase::build_with(&articles, revision, settings)?);
        *self.cached.lock() = Some(kb.clone());
        Ok(kb)
    }
}
