//! The file cut into its top-level sections, each a TOML text of its own: what a deployment
//! stores as one SSM parameter per section (a parameter holds at most 4 KB, the whole file
//! more). Joined again in any order they read as the same settings.

use super::{ConfigError, ConfigFile};

/// The top-level key a table header line names (`[closing.price_book]` → `closing`).
fn header_key(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix('[')?;
    let rest = rest.strip_prefix('[').unwrap_or(rest).trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
    (end > 0).then(|| &rest[..end])
}

impl ConfigFile {
    /// Each top-level section's text, in the order the sections first appear; comments above
    /// a header go with it. Refused when the file does not cut cleanly (a key before the
    /// first table, a header written with quotes), checked by re-reading the pieces.
    pub fn sections(&self) -> Result<Vec<(String, String)>, ConfigError> {
        let refuse = |message: String| ConfigError {
            origin: self.origin().to_string(),
            path: String::new(),
            line: None,
            message,
        };
        let mut sections: Vec<(String, String)> = Vec::new();
        let mut pending = String::new();
        let mut current: Option<usize> = None;
        let mut in_string = false;
        for line in self.text().split_inclusive('\n') {
            // Headers start their line (the shipped file's style); an indented `[` continues a
            // multi-line array (`synonyms = [` then `  ["login", …],`).
            let starts_header = !in_string && line.starts_with('[');
            if line.matches("'''").count() % 2 == 1 || line.matches("\"\"\"").count() % 2 == 1 {
                in_string = !in_string;
            }
            let key = starts_header.then(|| header_key(line)).flatten();
            if starts_header && key.is_none() {
                return Err(refuse(format!("cannot cut the header `{}`", line.trim())));
            }
            match key {
                Some(key) => {
                    let at = match sections.iter().position(|(k, _)| k == key) {
                        Some(i) => i,
                        None => {
                            sections.push((key.to_string(), String::new()));
                            sections.len() - 1
                        }
                    };
                    sections[at].1.push_str(&std::mem::take(&mut pending));
                    sections[at].1.push_str(line);
                    current = Some(at);
                }
                None if line.trim().is_empty() || line.trim_start().starts_with('#') => {
                    pending.push_str(line)
                }
                None => match current {
                    Some(at) => {
                        sections[at].1.push_str(&std::mem::take(&mut pending));
                        sections[at].1.push_str(line);
                    }
                    None => return Err(refuse("a key before the first table".into())),
                },
            }
        }
        let whole: toml::Table = toml::from_str(self.text()).map_err(|e| refuse(e.to_string()))?;
        let mut joined = toml::Table::new();
        for (key, text) in &sections {
            let part: toml::Table =
                toml::from_str(text).map_err(|e| refuse(format!("section `{key}` alone: {e}")))?;
            joined.extend(part);
        }
        if joined != whole {
            return Err(refuse("the sections do not read as the whole file".into()));
        }
        Ok(sections)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_cuts_into_its_sections_that_read_as_the_whole() {
        let file = ConfigFile::shipped();
        let sections = file.sections().unwrap();
        let keys: Vec<&str> = sections.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys.len(), file.keys().unwrap().len());
        assert_eq!(keys[..3], ["company", "mail", "links"]);
        // Each fits one SSM parameter: 4 KB in the standard tier, 8 KB in the advanced tier
        // that Intelligent-Tiering picks for the larger ones (`[outreach]`, with its calls'
        // state rules and holidays, is one).
        for (key, text) in &sections {
            assert!(text.len() <= 8_192, "{key}: {} bytes", text.len());
        }
        let outreach = &sections.iter().find(|(k, _)| k == "outreach").unwrap().1;
        assert!(outreach.contains("[[outreach.sequence.steps]]"));
        assert!(outreach.contains("Should I close your file"));
    }

    #[test]
    fn sections_written_apart_are_gathered() {
        let file = ConfigFile::parse("t", "[a]\nx = 1\n\n# about b\n[b]\ny = 2\n\n[a.c]\nz = 3\n")
            .unwrap();
        let s = file.sections().unwrap();
        assert_eq!(s[0], ("a".into(), "[a]\nx = 1\n\n[a.c]\nz = 3\n".into()));
        assert_eq!(s[1], ("b".into(), "\n# about b\n[b]\ny = 2\n".into()));
        let bad = ConfigFile::parse("t", "x = 1\n[a]\ny = 2\n").unwrap();
        assert!(bad.sections().is_err());
    }

    /// An array of arrays written over several lines is no header (the `[knowledge]`
    /// synonyms were refused as one).
    #[test]
    fn an_indented_array_line_is_no_header() {
        let file = ConfigFile::parse(
            "t",
            "[k]\nsynonyms = [\n  [\"a\", \"b\"],\n  [\"c\"],\n]\n[m]\nx = 1\n",
        )
        .unwrap();
        let s = file.sections().unwrap();
        assert_eq!(s.len(), 2);
        assert!(s[0].1.contains("[\"c\"]"));
    }
}
