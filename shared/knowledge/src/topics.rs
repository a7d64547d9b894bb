//! Knowledge-gap topics: a ticket's key terms (stop-words out, stemmed, the most frequent
//! first) compared without regard to order by their Jaccard similarity, so "Calibration keeps
//! drifting" and "drift after calibrating" are one topic.

use crate::analysis;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A knowledge gap's topic: its name (`gap#<name>`) and the terms it is recognised by.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GapTopic {
    pub name: String,
    pub terms: Vec<String>,
}

/// The topic of `text` (a ticket's subject and body): its `n` most frequent terms of three
/// letters or more, stop-words out, stemmed (ties: the earlier in the text first), sorted; named
/// by the words they came from (the first of each), in the same order.
pub fn gap_topic(text: &str, n: usize) -> GapTopic {
    let terms = topic_terms(text, n);
    let mut names: Vec<String> = terms.clone();
    for word in analysis::words(text) {
        if analysis::is_stop_word(&word) {
            continue;
        }
        let stem = analysis::stem(&word);
        if let Some(i) = terms.iter().position(|t| *t == stem)
            && names[i] == terms[i]
        {
            names[i] = word;
        }
    }
    GapTopic {
        name: names.join(" "),
        terms,
    }
}

/// The `n` most frequent stemmed terms of `text` of three letters or more, not numbers (ties:
/// the earlier in the text first), sorted.
pub fn topic_terms(text: &str, n: usize) -> Vec<String> {
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (i, t) in analysis::terms(text)
        .into_iter()
        .filter(|t| t.chars().count() >= 3 && !t.chars().all(|c| c.is_ascii_digit()))
        .enumerate()
    {
        counts.entry(t).or_insert((0, i)).0 += 1;
    }
    let mut ranked: Vec<(String, (usize, usize))> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    let mut top: Vec<String> = ranked.into_iter().take(n).map(|(t, _)| t).collect();
    top.sort();
    top
}

/// Shared terms over all terms (0 … 1); two empty sets are not similar.
pub fn jaccard(a: &[String], b: &[String]) -> f64 {
    let a: BTreeSet<&String> = a.iter().collect();
    let b: BTreeSet<&String> = b.iter().collect();
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// The existing topic `terms` belong to: the most similar of `topics` at or above
/// `threshold_pct` percent (ties: the first), or none (a new topic).
pub fn closest_topic<'a>(
    terms: &[String],
    topics: &'a [GapTopic],
    threshold_pct: u32,
) -> Option<&'a GapTopic> {
    let threshold = f64::from(threshold_pct) / 100.0;
    let mut best: Option<(&GapTopic, f64)> = None;
    for t in topics {
        let s = jaccard(terms, &t.terms);
        if s >= threshold && best.is_none_or(|(_, b)| s > b) {
            best = Some((t, s));
        }
    }
    best.map(|(t, _)| t)
}
