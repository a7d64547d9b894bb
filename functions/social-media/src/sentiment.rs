//! Sentiment of a mention by a lexicon scorer: the text's words are looked up in the
//! configured positive and negative lexicons (`[social_media.sentiment]`), each found word adds
//! its weight (positive words up, negative words down), and a word right after a negation
//! ("not", "never", …) counts with its sign flipped. The score is the sum; a mention scoring
//! under `negative_below` is negative.

use ascent_core::config::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The lexicon and the threshold, as configured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    /// A mention scoring under this is negative.
    pub negative_below: f64,
    /// Words that flip the sign of the word right after them.
    pub negations: Vec<String>,
    /// Positive words and their weights.
    pub positive: BTreeMap<String, f64>,
    /// Negative words and their weights (written positive; they count down).
    pub negative: BTreeMap<String, f64>,
}

/// One word that counted, for the record of a mention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub word: String,
    /// Its contribution to the score (flipped after a negation).
    pub weight: f64,
}

/// A mention's sentiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub score: f64,
    pub negative: bool,
    pub hits: Vec<Hit>,
}

/// The text's words: lower case, split on anything but letters, digits and apostrophes
/// (typographic apostrophes read as `'`).
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['\u{2019}', '\u{2018}'], "'")
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl Lexicon {
    /// Scores `text`.
    pub fn score(&self, text: &str) -> Sentiment {
        let mut score = 0.0;
        let mut hits = Vec::new();
        let mut negated = false;
        for w in words(text) {
            let weight = self
                .positive
                .get(&w)
                .copied()
                .or_else(|| self.negative.get(&w).map(|n| -n));
            if let Some(weight) = weight {
                let weight = if negated { -weight } else { weight };
                score += weight;
                hits.push(Hit {
                    word: w.clone(),
                    weight,
                });
            }
            negated = self.negations.contains(&w);
        }
        Sentiment {
            score,
            negative: score < self.negative_below,
            hits,
        }
    }

    /// The lexicon's rules: single lower-case words, weights above 0 and at most 10, no word
    /// in two lists, a threshold that is a number.
    pub fn check(&self, path: &str) -> Result<(), Invalid> {
        if !self.negative_below.is_finite() {
            return Err(Invalid::new(
                format!("{path}.negative_below"),
                "is not a number",
            ));
        }
        let word = |list: &str, w: &str| -> Result<(), Invalid> {
            if words(w) != [w.to_string()] {
                return Err(Invalid::new(
                    format!("{path}.{list}.{w}"),
                    "must be one lower-case word",
                ));
            }
            Ok(())
        };
        for (list, map) in [("positive", &self.positive), ("negative", &self.negative)] {
            if map.is_empty() {
                return Err(Invalid::new(format!("{path}.{list}"), "is empty"));
            }
            for (w, weight) in map {
                word(list, w)?;
                if !(weight.is_finite() && *weight > 0.0 && *weight <= 10.0) {
                    return Err(Invalid::new(
                        format!("{path}.{list}.{w}"),
                        format!("{weight} is outside (0, 10]"),
                    ));
                }
            }
        }
        if let Some(w) = self
            .positive
            .keys()
            .find(|w| self.negative.contains_key(*w))
        {
            return Err(Invalid::new(
                format!("{path}.negative.{w}"),
                "is a positive word too",
            ));
        }
        for (i, w) in self.negations.iter().enumerate() {
            word(&format!("negations[{i}]"), w).map_err(|_| {
                Invalid::new(
                    format!("{path}.negations[{i}]"),
                    "must be one lower-case word",
                )
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        let map = |pairs: &[(&str, f64)]| {
            pairs
                .iter()
                .map(|(w, n)| (w.to_string(), *n))
                .collect::<BTreeMap<_, _>>()
        };
        Lexicon {
            negative_below: -2.0,
            negations: vec!["not".into(), "never".into(), "isn't".into()],
            positive: map(&[("love", 3.0), ("helpful", 2.0), ("great", 2.0)]),
            negative: map(&[("crashes", 2.0), ("broken", 3.0), ("slow", 1.0)]),
        }
    }

    #[test]
    fn words_are_lower_case_and_keep_their_apostrophes() {
        assert_eq!(
            words("The app ISN’T great... #fail (again)!"),
            ["the", "app", "isn't", "great", "fail", "again"]
        );
    }

    #[test]
    fn a_mixed_mention_scores_the_sum_of_its_words_with_negations_flipped() {
        // love +3, crashes -2, not helpful -2: -1, not negative (threshold -2).
        let s = lexicon()
            .score("I love the new headset but the app crashes and support is not helpful");
        assert_eq!(s.score, -1.0);
        assert!(!s.negative);
        let hits: Vec<(&str, f64)> = s.hits.iter().map(|h| (h.word.as_str(), h.weight)).collect();
        assert_eq!(hits, [("love", 3.0), ("crashes", -2.0), ("helpful", -2.0)]);
    }

    #[test]
    fn an_angry_mention_is_negative_and_a_negated_complaint_is_not() {
        // broken -3, slow -1, isn't great -2: -6.
        let s = lexicon().score("Headset broken again, sync is slow and it isn't great");
        assert_eq!((s.score, s.negative), (-6.0, true));
        // never slow +1, love +3: 4.
        let s = lexicon().score("Never slow, love it");
        assert_eq!((s.score, s.negative), (4.0, false));
        // slow, slow: -2, exactly the threshold, which is not under it.
        let s = lexicon().score("slow, slow");
        assert_eq!((s.score, s.negative), (-2.0, false));
        assert_eq!(lexicon().score("").score, 0.0);
    }

    #[test]
    fn a_lexicon_breaking_its_rules_is_refused_by_key() {
        let mut l = lexicon();
        l.negative.insert("love".into(), 1.0);
        assert_eq!(l.check("s").unwrap_err().path, "s.negative.love");
        let mut l = lexicon();
        l.positive.insert("Great Job".into(), 1.0);
        assert_eq!(l.check("s").unwrap_err().path, "s.positive.Great Job");
        let mut l = lexicon();
        l.positive.insert("nice".into(), 0.0);
        assert_eq!(l.check("s").unwrap_err().path, "s.positive.nice");
        let mut l = lexicon();
        l.negations.push("no way".into());
        assert_eq!(l.check("s").unwrap_err().path, "s.negations[3]");
        let mut l = lexicon();
        l.negative_below = f64::NAN;
        assert_eq!(l.check("s").unwrap_err().path, "s.negative_below");
        assert_eq!(lexicon().check("s"), Ok(()));
    }
}
