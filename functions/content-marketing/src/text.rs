//! Reading a piece of text: its words, sentences and syllables, Flesch reading ease, Markdown
//! blocks (headings and paragraphs), keyword phrases matched on stemmed words, and a topic as
//! a set of stemmed terms with the share two topics have in common.

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::BTreeSet;

/// English function words left out of a topic (they say nothing about what it is about).
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "into", "is",
    "it", "its", "of", "on", "or", "our", "that", "the", "their", "this", "to", "vs", "what",
    "when", "why", "with", "you", "your",
];

/// The words of `text`: runs of letters, digits and inner apostrophes, lower-cased; link
/// targets (`](https://…)`) and bare addresses are not words.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in text.split_whitespace() {
        let token = token.split("](").next().unwrap_or(token);
        if token.contains("://") {
            continue;
        }
        let mut word = String::new();
        for c in token.chars() {
            if c.is_alphanumeric() || (c == '\'' && !word.is_empty()) {
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                out.push(std::mem::take(&mut word).trim_end_matches('\'').to_string());
            }
        }
        if !word.is_empty() {
            out.push(word.trim_end_matches('\'').to_string());
        }
    }
    out
}

/// Sentences of a paragraph: a `.`, `!` or `?` after a word, followed by a space or the end,
/// closes one; words after the last one (a list item, a line without a stop) make one more.
pub fn sentences(paragraph: &str) -> usize {
    let chars: Vec<char> = paragraph.chars().collect();
    let (mut count, mut words_since) = (0, false);
    for (i, c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            words_since = true;
        } else if matches!(c, '.' | '!' | '?') && words_since {
            let next = chars.get(i + 1);
            if next.is_none_or(|n| n.is_whitespace() || matches!(n, '"' | '\'' | ')' | '*')) {
                count += 1;
                words_since = false;
            }
        }
    }
    count + usize::from(words_since)
}

/// Syllables of one English word, by the usual rules: groups of vowels (`y` counts), less a
/// silent final `e` (not `-le`), `-ed` (not after `t` or `d`) and `-es` (not after a
/// sibilant); at least one. Words of three letters or fewer have one.
pub fn syllables(word: &str) -> usize {
    let w: String = word
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if w.is_empty() {
        return usize::from(word.chars().any(char::is_alphanumeric));
    }
    if w.len() <= 3 {
        return 1;
    }
    let before = |suffix: &str| w[..w.len() - suffix.len()].chars().last();
    let silent_ed = w.ends_with("ed") && !matches!(before("ed"), Some('t' | 'd'));
    let silent_es = w.ends_with("es") && !matches!(before("es"), Some('s' | 'x' | 'z' | 'c' | 'g'));
    let stem = if silent_ed || silent_es {
        &w[..w.len() - 2]
    } else if w.ends_with('e') && !w.ends_with("le") {
        &w[..w.len() - 1]
    } else {
        &w[..]
    };
    let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut groups = 0;
    let mut in_group = false;
    for c in stem.chars() {
        if vowel(c) && !in_group {
            groups += 1;
        }
        in_group = vowel(c);
    }
    groups.max(1)
}

/// Flesch reading ease of paragraphs: 206.835 − 1.015 × words per sentence − 84.6 ×
/// syllables per word (higher reads easier; 60–70 is plain English). `None` without words.
pub fn reading_ease<'a>(paragraphs: impl IntoIterator<Item = &'a str>) -> Option<f64> {
    let (mut w, mut s, mut syl) = (0usize, 0usize, 0usize);
    for p in paragraphs {
        let ws = words(p);
        w += ws.len();
        syl += ws.iter().map(|x| syllables(x)).sum::<usize>();
        s += sentences(p);
    }
    if w == 0 || s == 0 {
        return None;
    }
    Some(206.835 - 1.015 * (w as f64 / s as f64) - 84.6 * (syl as f64 / w as f64))
}

/// A Markdown text as headings and paragraphs, in order.
#[derive(Debug, Default, PartialEq)]
pub struct Blocks {
    /// The headings' text (`## Why it works` is `Why it works`).
    pub headings: Vec<String>,
    /// Paragraphs: runs of non-blank lines that are not headings.
    pub paragraphs: Vec<String>,
}

pub fn blocks(markdown: &str) -> Blocks {
    let mut b = Blocks::default();
    let mut current: Vec<&str> = Vec::new();
    let flush = |current: &mut Vec<&str>, b: &mut Blocks| {
        if !current.is_empty() {
            b.paragraphs.push(current.join("\n"));
            current.clear();
        }
    };
    for line in markdown.lines() {
        let t = line.trim();
        if t.is_empty() {
            flush(&mut current, &mut b);
        } else if t.starts_with('#') {
            flush(&mut current, &mut b);
            b.headings
                .push(t.trim_start_matches('#').trim().to_string());
        } else {
            current.push(t);
        }
    }
    flush(&mut current, &mut b);
    b
}

fn stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

/// Every word of `text` stemmed (function words kept: phrases are matched word by word).
pub fn stems(text: &str) -> Vec<String> {
    let s = stemmer();
    words(text).iter().map(|w| s.stem(w).into_owned()).collect()
}

/// How often `phrase` occurs in `text`, word by word on stems, without overlaps
/// ("train technicians" matches "training technician").
pub fn occurrences(text: &[String], phrase: &[String]) -> usize {
    if phrase.is_empty() {
        return 0;
    }
    let (mut i, mut n) = (0, 0);
    while i + phrase.len() <= text.len() {
        if text[i..i + phrase.len()] == *phrase {
            n += 1;
            i += phrase.len();
        } else {
            i += 1;
        }
    }
    n
}

/// A topic: the stemmed words of its keywords, function words left out.
pub fn topic(text: &str) -> Vec<String> {
    let s = stemmer();
    let set: BTreeSet<String> = words(text)
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| s.stem(w).into_owned())
        .collect();
    set.into_iter().collect()
}

/// Terms two topics share, in percent of all their terms (Jaccard; 0 when both are empty).
pub fn similarity_pct(a: &[String], b: &[String]) -> u32 {
    let a: BTreeSet<&String> = a.iter().collect();
    let b: BTreeSet<&String> = b.iter().collect();
    let all = a.union(&b).count();
    if all == 0 {
        return 0;
    }
    (a.intersection(&b).count() * 100 / all) as u32
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
