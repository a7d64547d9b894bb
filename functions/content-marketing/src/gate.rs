//! The draft quality gate: what a draft must meet before it is scheduled. Every check that
//! fails is named, so the author gets all the reasons at once: the target keyword in the
//! title and the first paragraph, its density in the body within the channel's bounds, Flesch
//! reading ease at least the minimum, enough headings and no overlong paragraph, a length
//! within the channel's bounds, and none of the banned claims.

use crate::settings::{ChannelRules, GateSettings};
use crate::text;
use std::fmt;

/// A draft as the gate reads it.
#[derive(Clone, Copy, Debug)]
pub struct Draft<'a> {
    pub title: &'a str,
    /// Markdown.
    pub body: &'a str,
    /// The target keyword (the draft's first keyword).
    pub keyword: &'a str,
}

/// One check a draft failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    KeywordNotInTitle {
        keyword: String,
    },
    KeywordNotInFirstParagraph {
        keyword: String,
    },
    KeywordDensity {
        pct: f64,
        min: f64,
        max: f64,
    },
    HardToRead {
        score: f64,
        min: f64,
    },
    TooFewHeadings {
        found: usize,
        min: usize,
    },
    /// `count` paragraphs are longer than `max` words; the first is `first` (from 1), `words` long.
    LongParagraphs {
        count: usize,
        first: usize,
        words: usize,
        max: usize,
    },
    TooShort {
        words: usize,
        min: usize,
    },
    TooLong {
        words: usize,
        max: usize,
    },
    BannedClaim {
        phrase: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::KeywordNotInTitle { keyword } => {
                write!(f, "the title does not contain the keyword \"{keyword}\"")
            }
            Failure::KeywordNotInFirstParagraph { keyword } => {
                write!(
                    f,
                    "the first paragraph does not contain the keyword \"{keyword}\""
                )
            }
            Failure::KeywordDensity { pct, min, max } => write!(
                f,
                "keyword density {pct:.2}% is outside {min}% to {max}% of the words"
            ),
            Failure::HardToRead { score, min } => write!(
                f,
                "Flesch reading ease {score:.1} is below {min}: shorter sentences and words"
            ),
            Failure::TooFewHeadings { found, min } => {
                write!(f, "{found} heading(s), at least {min} needed")
            }
            Failure::LongParagraphs {
                count,
                first,
                words,
                max,
            } => write!(
                f,
                "{count} paragraph(s) of more than {max} words (the first: paragraph {first}, \
                 {words} words)"
            ),
            Failure::TooShort { words, min } => write!(f, "{words} words, at least {min}"),
            Failure::TooLong { words, max } => write!(f, "{words} words, at most {max}"),
            Failure::BannedClaim { phrase } => write!(f, "banned claim \"{phrase}\""),
        }
    }
}

/// What the gate measured, kept with the piece.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    pub words: usize,
    pub reading_ease: Option<f64>,
    pub density_pct: f64,
    pub failures: Vec<Failure>,
}

impl Review {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Where `phrase` (lower case) occurs in `text` (lower case) as whole words.
fn contains_claim(text: &str, phrase: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(phrase) {
        let start = from + i;
        let end = start + phrase.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        if !word(before) && !word(after) {
            return true;
        }
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
        if from >= bytes.len() {
            break;
        }
    }
    false
}

/// Reviews `draft` against its channel's rules and the gate's settings.
pub fn review(draft: Draft<'_>, channel: &ChannelRules, gate: &GateSettings) -> Review {
    let blocks = text::blocks(draft.body);
    let body_text: String = blocks.paragraphs.join("\n");
    let words = text::words(&body_text).len();
    let keyword = text::stems(draft.keyword);
    let mut failures = Vec::new();

    if text::occurrences(&text::stems(draft.title), &keyword) == 0 {
        failures.push(Failure::KeywordNotInTitle {
            keyword: draft.keyword.to_string(),
        });
    }
    let first = blocks.paragraphs.first().map_or("", String::as_str);
    if text::occurrences(&text::stems(first), &keyword) == 0 {
        failures.push(Failure::KeywordNotInFirstParagraph {
            keyword: draft.keyword.to_string(),
        });
    }
    let hits = text::occurrences(&text::stems(&body_text), &keyword);
    let density_pct = if words == 0 {
        0.0
    } else {
        (hits * keyword.len()) as f64 * 100.0 / words as f64
    };
    let d = channel.keyword_density_pct;
    if density_pct < d.min || density_pct > d.max {
        failures.push(Failure::KeywordDensity {
            pct: density_pct,
            min: d.min,
            max: d.max,
        });
    }
    let reading_ease = text::reading_ease(blocks.paragraphs.iter().map(String::as_str));
    let score = reading_ease.unwrap_or(f64::NEG_INFINITY);
    if score < gate.min_reading_ease {
        failures.push(Failure::HardToRead {
            score: reading_ease.unwrap_or(0.0),
            min: gate.min_reading_ease,
        });
    }
    if blocks.headings.len() < channel.min_headings {
        failures.push(Failure::TooFewHeadings {
            found: blocks.headings.len(),
            min: channel.min_headings,
        });
    }
    // One failure for all long paragraphs: the reasons stay short whatever the draft.
    let long: Vec<(usize, usize)> = blocks
        .paragraphs
        .iter()
        .map(|p| text::words(p).len())
        .enumerate()
        .filter(|(_, n)| *n > gate.max_paragraph_words)
        .collect();
    if let Some(&(i, n)) = long.first() {
        failures.push(Failure::LongParagraphs {
            count: long.len(),
            first: i + 1,
            words: n,
            max: gate.max_paragraph_words,
        });
    }
    if words < channel.min_words {
        failures.push(Failure::TooShort {
            words,
            min: channel.min_words,
        });
    } else if words > channel.max_words {
        failures.push(Failure::TooLong {
            words,
            max: channel.max_words,
        });
    }
    let all = format!("{}\n{}", draft.title, draft.body).to_lowercase();
    let all = all.split_whitespace().collect::<Vec<_>>().join(" ");
    for phrase in &gate.banned_claims {
        if contains_claim(&all, phrase) {
            failures.push(Failure::BannedClaim {
                phrase: phrase.clone(),
            });
        }
    }
    Review {
        words,
        reading_ease,
        density_pct,
        failures,
    }
}

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
