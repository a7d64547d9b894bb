//! The configuration file (`ascent.toml`): every business setting, read once at start.
//!
//! [`ConfigFile`] parses the TOML text and hands out one section at a time as a typed,
//! validated value ([`ConfigFile::section`]), so an agent reads only the sections it needs and
//! never links another agent's types. Every refusal ([`ConfigError`]) names the key's path
//! (`closing.price_book[1].list_price_minor`) and its line in the file; a value is returned
//! only once it deserialized and passed [`Validate`], so nothing is ever half-applied.
//! The shipped defaults are the repository's `ascent.toml` ([`SHIPPED`]).

pub mod platform;
mod rules;
mod split;

pub use rules::{
    check_currency, check_email, check_hhmm, check_in_range, check_non_negative, check_time_zone,
    check_weekday, parse_hhmm,
};

use serde::de::DeserializeOwned;
use std::fmt;
use std::ops::Range;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// The shipped `ascent.toml` (the repository root), today's behaviour.
pub const SHIPPED: &str = include_str!("../../../ascent.toml");

/// Name given to the shipped file in error messages.
pub const SHIPPED_NAME: &str = "ascent.toml (shipped)";

/// A setting refused: where (file, key path, line) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    /// The file (or SSM parameter) the text came from.
    pub origin: String,
    /// Dotted key path from the top of the file (`approvals.roles.legal.approvers[0]`);
    /// empty for a syntax error.
    pub path: String,
    /// 1-based line of the key (or of the nearest enclosing key found), when known.
    pub line: Option<usize>,
    pub message: String,
}

impl ConfigError {
    fn render(&self) -> String {
        let at = match self.line {
            Some(line) => format!("{}:{line}", self.origin),
            None => self.origin.clone(),
        };
        if self.path.is_empty() {
            format!("{at}: {}", self.message)
        } else {
            format!("{at}: `{}`: {}", self.path, self.message)
        }
    }
}

/// A validation refusal inside one section: the path is relative to the section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub message: String,
}

impl Invalid {
    pub fn new(path: impl Into<String>, message: impl fmt::Display) -> Self {
        Self {
            path: path.into(),
            message: message.to_string(),
        }
    }
}

/// The rules a section's values must follow beyond their types.
pub trait Validate {
    fn validate(&self) -> Result<(), Invalid>;
}

/// A parsed configuration file; sections are read from it on demand.
#[derive(Clone)]
pub struct ConfigFile {
    origin: String,
    text: String,
    /// Each top-level section's own text ([`ConfigFile::sections`]), cut once on first use, so
    /// that reading a section parses that section, not the whole file (`None`: the file does
    /// not cut cleanly, and sections are read from the whole).
    pieces: std::sync::OnceLock<Option<std::collections::HashMap<String, String>>>,
}

impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigFile")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl ConfigFile {
    /// Checks the TOML syntax of `text`; `origin` names it in errors (a path, a parameter).
    pub fn parse(origin: impl Into<String>, text: impl Into<String>) -> Result<Self, ConfigError> {
        let file = Self {
            origin: origin.into(),
            text: text.into(),
            pieces: std::sync::OnceLock::new(),
        };
        file.root()?;
        Ok(file)
    }

    /// The shipped defaults ([`SHIPPED`]): parsed once per process (agents' defaults, the
    /// twin and the hosts all read it), then copied with the sections already cut.
    pub fn shipped() -> Self {
        static SHIPPED_FILE: std::sync::OnceLock<ConfigFile> = std::sync::OnceLock::new();
        SHIPPED_FILE
            .get_or_init(|| {
                Self::parse(SHIPPED_NAME, SHIPPED).expect("the shipped ascent.toml is valid TOML")
            })
            .clone()
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The `key = value` lines of the top-level table `[table]` as written, trimmed, up to the
    /// next table header (its sub-tables left out), without comments or blank lines: what a
    /// docs test finds quoted in the page that describes the table.
    pub fn setting_lines(&self, table: &str) -> Vec<String> {
        let header = format!("\n[{table}]\n");
        let Some(start) = self.text.find(&header) else {
            return Vec::new();
        };
        self.text[start + header.len()..]
            .lines()
            .take_while(|l| !l.starts_with('['))
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn root(&self) -> Result<DeTable<'_>, ConfigError> {
        DeTable::parse(&self.text)
            .map(|t| t.into_inner())
            .map_err(|e| ConfigError {
                origin: self.origin.clone(),
                path: String::new(),
                line: e.span().map(|s| self.line_of(s.start)),
                message: e.message().trim().to_string(),
            })
    }

    /// The top-level keys present in the file.
    pub fn keys(&self) -> Result<Vec<String>, ConfigError> {
        Ok(self
            .root()?
            .iter()
            .map(|(k, _)| k.get_ref().to_string())
            .collect())
    }

    /// Whether the file has the top-level key `key`.
    pub fn has(&self, key: &str) -> bool {
        self.keys().is_ok_and(|k| k.iter().any(|k| k == key))
    }

    /// Deserializes the top-level section `key` as `T` and validates it. A missing section,
    /// an unknown or mistyped key and a failed rule are refused with the path and line.
    pub fn section<T: DeserializeOwned + Validate>(&self, key: &str) -> Result<T, ConfigError> {
        let value: T = self.section_unchecked(key)?;
        value.validate().map_err(|e| self.invalid(key, e))?;
        Ok(value)
    }

    /// Like [`section`](Self::section) without the [`Validate`] step, for a caller that
    /// validates against other sections itself.
    pub fn section_unchecked<T: DeserializeOwned>(&self, key: &str) -> Result<T, ConfigError> {
        // Read from the section's own text; anything short of success is read again from the
        // whole file below, which names the key and its line in the file.
        if let Some(value) = self.read_piece(key) {
            return Ok(value);
        }
        let root = self.root()?;
        let value = root
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ConfigError {
                origin: self.origin.clone(),
                path: key.to_string(),
                line: None,
                message: format!("the section `[{key}]` is missing"),
            })?;
        serde_path_to_error::deserialize(ValueDeserializer::from(value)).map_err(|e| {
            let inner = e.inner();
            let mut path = join(key, &e.path().to_string());
            let message = inner.message().trim().to_string();
            if let Some(field) = unknown_field(&message)
                && !path.ends_with(&format!(".{field}"))
            {
                path = join(&path, field);
            }
            let line = self
                .line_of_path(&path)
                .or_else(|| inner.span().map(|s| self.line_of(s.start)));
            ConfigError {
                origin: self.origin.clone(),
                path,
                line,
                message,
            }
        })
    }

    /// `key` read from its section's own text, if that text cuts cleanly and reads as `T`.
    fn read_piece<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let pieces = self
            .pieces
            .get_or_init(|| self.sections().ok().map(|s| s.into_iter().collect()));
        let text = pieces.as_ref()?.get(key)?;
        let table = DeTable::parse(text).ok()?.into_inner();
        let (_, value) = table.iter().find(|(k, _)| k.get_ref().as_ref() == key)?;
        T::deserialize(ValueDeserializer::from(value.clone())).ok()
    }

    /// A refusal of `invalid` (relative to `section`) with its path and line.
    pub fn invalid(&self, section: &str, invalid: Invalid) -> ConfigError {
        let path = join(section, &invalid.path);
        ConfigError {
            origin: self.origin.clone(),
            line: self.line_of_path(&path),
            path,
            message: invalid.message,
        }
    }

    /// The line of the deepest key of `path` found in the file.
    pub fn line_of_path(&self, path: &str) -> Option<usize> {
        let root = self.root().ok()?;
        let mut span: Option<Range<usize>> = None;
        let mut table: Option<&DeTable<'_>> = Some(&root);
        let mut array: Option<&[toml::Spanned<DeValue<'_>>]> = None;
        for segment in segments(path) {
            let next = match segment {
                Segment::Key(k) => table.and_then(|t| {
                    t.iter()
                        .find(|(key, _)| key.get_ref().as_ref() == k)
                        .map(|(key, v)| (key.span(), v))
                }),
                Segment::Index(i) => array.and_then(|a| a.get(i)).map(|v| (v.span(), v)),
            };
            let Some((at, value)) = next else { break };
            span = Some(at);
            table = None;
            array = None;
            match value.get_ref() {
                DeValue::Table(t) => table = Some(t),
                DeValue::Array(a) => array = Some(&a[..]),
                _ => {}
            }
        }
        span.map(|s| self.line_of(s.start))
    }

    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `a.b[2].c` into keys and indices (keys hold no `.` or `[` in this file).
fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        for index in rest.split('[').filter(|s| !s.is_empty()) {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                out.push(Segment::Index(i));
            }
        }
    }
    out
}

fn join(prefix: &str, rest: &str) -> String {
    match rest {
        "" | "." => prefix.to_string(),
        r if r.starts_with('[') => format!("{prefix}{r}"),
        r => format!("{prefix}.{r}"),
    }
}

/// The field named by serde's "unknown field `x`, expected …" message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests;
