//! Words of a ticket's text as triage and merging compare them: lower-cased tokens (letters, digits
//! and inner apostrophes), English stop-words left out where asked, each reduced to its stem
//! (Snowball's English stemmer), so "pairing", "paired" and "pairs" are one word and "lesson"
//! never matches "sso" nor "download" matches "down". Phrases match as whole stemmed words in
//! order.

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::BTreeSet;
use std::sync::LazyLock;

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Common English words that say nothing about a ticket's topic.
pub const STOP_WORDS: [&str; 64] = [
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have",
    "hello", "hi", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our",
    "please", "since", "so", "that", "the", "their", "there", "this", "to", "us", "was", "we",
    "were", "what", "when", "where", "which", "why", "will", "with", "would", "you", "your",
];

/// The lower-cased tokens of `text`, in order.
pub fn tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’').replace('’', "'"))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The stem of one lower-cased word.
pub fn stem(word: &str) -> String {
    ENGLISH.stem(word).into_owned()
}

/// Every token's stem, in order (stop-words kept: phrases such as "is down" need them).
pub fn stems(text: &str) -> Vec<String> {
    tokens(text).iter().map(|w| stem(w)).collect()
}

/// The topic of a text: the stems of its words less stop-words and one-letter words, as a set
/// (order-free).
pub fn topic(text: &str) -> BTreeSet<String> {
    tokens(text)
        .into_iter()
        .filter(|w| w.chars().count() > 1 && !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// Jaccard similarity of two topics (0 when both are empty).
pub fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// A keyword or phrase as stems, to find in a text's [`stems`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    pub text: String,
    stems: Vec<String>,
}

impl Phrase {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            stems: stems(text),
        }
    }

    /// Whether its stems appear in `text_stems` as consecutive whole words.
    pub fn is_in(&self, text_stems: &[String]) -> bool {
        !self.stems.is_empty()
            && text_stems
                .windows(self.stems.len())
                .any(|w| w == self.stems.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(phrase: &str, text: &str) -> bool {
        Phrase::new(phrase).is_in(&stems(text))
    }

    #[test]
    fn whole_stemmed_words_match_substrings_do_not() {
        // Issue 23: "lesson" hit "sso", "private" hit "vat", "where is download" hit "is down".
        assert!(!found("sso", "Cannot open my lesson"));
        assert!(!found("vat", "Make a lesson private"));
        assert!(!found("is down", "Where is download of the app?"));
        // Inflections are one word; phrases match in order.
        assert!(found("pair", "Our headsets won't pair"));
        assert!(found("pair", "pairing fails"));
        assert!(found("freez", "Studio freezes every minute"));
        assert!(found("is down", "Studio is down for everyone"));
        assert!(found("can't log in", "I can't log in today"));
        assert!(!found("log in", "the login page"));
    }

    #[test]
    fn topics_are_order_free_stems_without_stop_words() {
        let a = topic("Headset not charging");
        let b = topic("charging of the headsets");
        assert_eq!(a.intersection(&b).count(), 2);
        assert!(!topic("What is the status?").contains("the"));
        assert_eq!(similarity(&a, &a), 1.0);
    }
}
