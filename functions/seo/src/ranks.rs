//! Rank tracking as a time series: each keyword keeps its most recent `history_kept`
//! observations by day, one item per keyword. A new observation is a *drop* when its position
//! is more than `drop_places` worse than the average of the previous `trailing_observations`
//! ranked observations (given at least `min_trailing` of them), or when the keyword leaves the
//! top `top_n` it was in at the previous observation. Not being in the top 100 counts as
//! position 101. A keyword in a drop is alerted once; it is re-armed when a later observation
//! is a drop no more.

use crate::settings::{DEEPEST_RANK, DropRule};
use ascent_core::agent::AgentError;
use ascent_core::catalog::KeywordRankObserved;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Longest keyword accepted (it is part of the item's key).
pub const MAX_KEYWORD_CHARS: usize = 200;
/// The position that stands for "not in the top 100".
pub const UNRANKED: u32 = DEEPEST_RANK + 1;

/// `keyword` trimmed, lower-cased, with single spaces; `field` names it when it is refused.
pub fn normalise(keyword: &str, field: &str) -> Result<String, AgentError> {
    let k = keyword
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if k.is_empty() {
        return Err(AgentError::Invalid(format!("{field}: is blank")));
    }
    if k.chars().count() > MAX_KEYWORD_CHARS {
        return Err(AgentError::Invalid(format!(
            "{field}: longer than {MAX_KEYWORD_CHARS} characters"
        )));
    }
    Ok(k)
}

/// A ranking page's address: at most [`crate::technical::MAX_URL_CHARS`] characters.
pub fn check_url(url: Option<&str>, field: &str) -> Result<(), AgentError> {
    match url {
        Some(u) if u.chars().count() > crate::technical::MAX_URL_CHARS => {
            Err(AgentError::Invalid(format!(
                "{field}: longer than {} characters",
                crate::technical::MAX_URL_CHARS
            )))
        }
        _ => Ok(()),
    }
}

/// A position 1 to 100, or none; `field` names it when it is refused.
pub fn check_rank(rank: Option<u32>, field: &str) -> Result<Option<u32>, AgentError> {
    match rank {
        Some(r) if !(1..=DEEPEST_RANK).contains(&r) => Err(AgentError::Invalid(format!(
            "{field}: {r} is not a position 1 to {DEEPEST_RANK}"
        ))),
        r => Ok(r),
    }
}

/// A difficulty 0 to 100; `field` names it when it is refused.
pub fn check_difficulty(difficulty: u32, field: &str) -> Result<u32, AgentError> {
    if difficulty > 100 {
        return Err(AgentError::Invalid(format!(
            "{field}: {difficulty} is not a difficulty 0 to 100"
        )));
    }
    Ok(difficulty)
}

/// One day's position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub on: NaiveDate,
    /// `None`: not in the top 100.
    pub rank: Option<u32>,
    #[serde(default)]
    pub url: Option<String>,
}

impl Observation {
    fn position(&self) -> u32 {
        self.rank.unwrap_or(UNRANKED)
    }
}

/// A keyword's record: its latest volume and difficulty and its recent positions, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub keyword: String,
    pub search_volume: u32,
    pub difficulty: u32,
    pub observations: Vec<Observation>,
    /// Alerted for a drop not yet recovered from.
    pub in_drop: bool,
    pub version: u32,
}

impl History {
    pub fn new(keyword: &str) -> Self {
        Self {
            keyword: keyword.to_string(),
            search_volume: 0,
            difficulty: 0,
            observations: Vec::new(),
            in_drop: false,
            version: 0,
        }
    }

    /// The latest observation.
    pub fn latest(&self) -> Option<&Observation> {
        self.observations.last()
    }
}

/// A drop to alert about.
#[derive(Clone, Debug, PartialEq)]
pub struct Drop {
    /// The new position (101: out of the top 100).
    pub position: u32,
    /// The trailing average it is compared with, when there was enough history.
    pub trailing_average: Option<f64>,
    /// The previous observation's position.
    pub previous: u32,
    /// The position beyond which it counts as a drop.
    pub threshold: f64,
    /// Why: the trailing average, or leaving the top N.
    pub reason: String,
}

/// The average position of the last `rule.trailing` ranked observations of `before`, when
/// there are at least `rule.min_trailing` of them.
pub fn trailing_average(before: &[Observation], rule: &DropRule) -> Option<f64> {
    let ranked: Vec<u32> = before
        .iter()
        .rev()
        .filter_map(|o| o.rank)
        .take(rule.trailing)
        .collect();
    (ranked.len() >= rule.min_trailing)
        .then(|| f64::from(ranked.iter().sum::<u32>()) / ranked.len() as f64)
}

/// Whether `new` is a drop against the observations `before` it (oldest first).
pub fn drop_of(before: &[Observation], new: &Observation, rule: &DropRule) -> Option<Drop> {
    let previous = before.last()?.position();
    let position = new.position();
    let average = trailing_average(before, rule);
    if let Some(avg) = average
        && f64::from(position) - avg > rule.places
    {
        return Some(Drop {
            position,
            trailing_average: Some(avg),
            previous,
            threshold: avg + rule.places,
            reason: format!(
                "more than {} places below its trailing average of {avg:.1}",
                rule.places
            ),
        });
    }
    if previous <= rule.top_n && position > rule.top_n {
        return Some(Drop {
            position,
            trailing_average: average,
            previous,
            threshold: f64::from(rule.top_n),
            reason: format!("left the top {}", rule.top_n),
        });
    }
    None
}

/// What recording an observation decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Recorded {
    /// Kept; no new drop (or the day was already observed: a resend changes no alert).
    Kept,
    /// Kept, and a drop to alert about.
    Dropped(Drop),
}

/// Records `o` in `h` (replacing an observation of the same day, keeping the latest `kept`
/// days) and decides whether it is a new drop. An observation older than the latest is kept
/// in order but decides nothing.
pub fn record(h: &mut History, o: &KeywordRankObserved, kept: usize, rule: &DropRule) -> Recorded {
    let new = Observation {
        on: o.observed_on,
        rank: o.rank,
        url: o.url.clone(),
    };
    let latest = h.latest().map(|l| l.on);
    h.search_volume = o.search_volume;
    h.difficulty = o.difficulty;
    if let Some(same) = h.observations.iter_mut().find(|x| x.on == new.on) {
        *same = new;
        return Recorded::Kept;
    }
    let at = h.observations.partition_point(|x| x.on < new.on);
    let decided = if latest.is_none_or(|l| l < new.on) {
        let drop = drop_of(&h.observations, &new, rule);
        let was_in_drop = h.in_drop;
        h.in_drop = drop.is_some();
        drop.filter(|_| !was_in_drop)
    } else {
        None
    };
    h.observations.insert(at, new);
    let excess = h.observations.len().saturating_sub(kept);
    h.observations.drain(..excess);
    match decided {
        Some(d) => Recorded::Dropped(d),
        None => Recorded::Kept,
    }
}

#[cfg(test)]
#[path = "ranks_tests.rs"]
mod tests;
