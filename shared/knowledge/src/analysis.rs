//! How text becomes search terms: words lower-cased, English stop-words removed, stemmed
//! (Porter, English); the query side corrects a misspelt word to the nearest word of the
//! index's vocabulary (Levenshtein distance, 1 or 2 edits by length) and adds the configured
//! synonyms of its words and phrases.

use crate::settings::SearchSettings;
use std::collections::BTreeMap;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};

/// The name the articles' text fields are indexed under.
pub const ANALYZER: &str = "en_kb";

/// English stop-words (reference data: the usual function words of English search engines,
/// plus the pieces a contraction splits into: "can't" → "can" "t").
pub const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "could",
    "d",
    "did",
    "do",
    "does",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "ll",
    "m",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "please",
    "re",
    "s",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "ve",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "won",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "hello",
    "hi",
    "thanks",
    "thank",
    "also",
    "already",
    "ever",
    "every",
    "may",
    "might",
    "must",
    "since",
    "still",
    "us",
    "yet",
];

/// The analyzer of articles and queries alike.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|w| w.to_string()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The terms of `text` (stop-words out, stemmed), in order, repeats kept.
pub fn terms(text: &str) -> Vec<String> {
    positioned_terms(text).into_iter().map(|(_, t)| t).collect()
}

/// The terms of `text` with their word positions (a removed stop-word leaves its gap).
pub fn positioned_terms(text: &str) -> Vec<(usize, String)> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let token = stream.token();
        out.push((token.position, token.text.clone()));
    }
    out
}

/// What a query looks for in the articles: a term, or a phrase of terms at their positions
/// relative to the first (a synonym such as "head mounted display" is that phrase, not the
/// word "head" anywhere).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    Term(String),
    Phrase(Vec<(usize, String)>),
}

impl Wanted {
    /// The wanted terms, stemmed, space-separated.
    pub fn text(&self) -> String {
        match self {
            Wanted::Term(t) => t.clone(),
            Wanted::Phrase(p) => p
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// What `text` looks for: nothing (only stop-words), a term, or a phrase.
    pub fn of(text: &str) -> Option<Wanted> {
        let terms = positioned_terms(text);
        match terms.as_slice() {
            [] => None,
            [(_, t)] => Some(Wanted::Term(t.clone())),
            [(first, _), ..] => Some(Wanted::Phrase(
                terms.iter().map(|(p, t)| (p - first, t.clone())).collect(),
            )),
        }
    }

    /// Its terms.
    pub fn terms(&self) -> Vec<&str> {
        match self {
            Wanted::Term(t) => vec![t.as_str()],
            Wanted::Phrase(p) => p.iter().map(|(_, t)| t.as_str()).collect(),
        }
    }
}

/// The words of `text`, lower-cased (letters and digits; anything else separates).
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether `word` (lower-cased) is an English stop-word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// The stem of one lower-cased word (English Porter stemmer, the index's own).
pub fn stem(word: &str) -> String {
    let mut stemmer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build();
    let mut stream = stemmer.token_stream(word);
    if stream.advance() {
        stream.token().text.clone()
    } else {
        word.to_string()
    }
}

/// A phrase as the sequence a query is matched against: each word stemmed, stop-words kept
/// as they are ("Signing in" → `sign in`), so that "log on" is a phrase and not the word "log".
pub fn phrase(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|w| if is_stop_word(&w) { w } else { stem(&w) })
        .collect()
}

/// Whether `needle` occurs in `haystack` as consecutive words.
pub fn contains_phrase(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// What the synonyms of `query` (a [`phrase`] sequence) add to the search: for every group
/// with a member in the query, its other members (each a term or a phrase). "cannot sign in"
/// with the group login / sign in / log on adds `login` and `log` ("on" is a stop-word).
pub fn synonyms(query: &[String], groups: &[Vec<String>]) -> Vec<Wanted> {
    let mut out: Vec<Wanted> = Vec::new();
    for group in groups {
        let members: Vec<(&String, Vec<String>)> = group.iter().map(|p| (p, phrase(p))).collect();
        if members.iter().any(|(_, m)| contains_phrase(query, m)) {
            for (text, _) in members.iter().filter(|(_, m)| !contains_phrase(query, m)) {
                if let Some(w) = Wanted::of(text)
                    && !out.contains(&w)
                {
                    out.push(w);
                }
            }
        }
    }
    out
}

/// Edit distance (insertions, deletions, substitutions) between two words.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The edits a query term of this length may be corrected by: none under `fuzzy_min_length`
/// letters or when `fuzzy_distance` is 0, two from `fuzzy_two_edits_from`, else
/// `fuzzy_distance`.
pub fn allowed_edits(term: &str, settings: &SearchSettings) -> usize {
    let n = term.chars().count();
    if n < settings.fuzzy_min_length || settings.fuzzy_distance == 0 {
        0
    } else if n >= settings.fuzzy_two_edits_from {
        settings.fuzzy_distance.max(2)
    } else {
        settings.fuzzy_distance
    }
}

/// The term itself when the vocabulary (term → articles containing it) has it; else the
/// nearest vocabulary term within the allowed edits (fewest edits, then the most common, then
/// alphabetical); else nothing.
pub fn correct(
    term: &str,
    vocabulary: &BTreeMap<String, usize>,
    settings: &SearchSettings,
) -> Option<String> {
    if vocabulary.contains_key(term) {
        return Some(term.to_string());
    }
    let edits = allowed_edits(term, settings);
    if edits == 0 {
        return None;
    }
    let length = term.chars().count();
    vocabulary
        .iter()
        .filter(|(w, _)| w.chars().count().abs_diff(length) <= edits)
        .map(|(w, df)| (levenshtein(term, w), std::cmp::Reverse(*df), w))
        .filter(|(d, _, _)| *d <= edits)
        .min()
        .map(|(_, _, w)| w.clone())
}
