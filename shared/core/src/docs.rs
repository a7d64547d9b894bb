//! Reading the reference pages in `docs/`: the part of a page under one `## ` heading, which
//! each agent's docs test checks against the shipped configuration and the code's results.

/// The section of `page` from its `## {heading}` line up to the next `## ` heading (or the end
/// of the page), heading included; `None` when the page has no such section.
pub fn section<'a>(page: &'a str, heading: &str) -> Option<&'a str> {
    let start = page.find(&format!("\n## {heading}\n"))? + 1;
    let rest = &page[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# Page\n\n## One\ntext 1\n### Sub\nmore\n## Two\ntext 2\n";

    #[test]
    fn a_section_runs_to_the_next_heading_of_its_level_or_the_end() {
        assert_eq!(section(PAGE, "One"), Some("## One\ntext 1\n### Sub\nmore"));
        assert_eq!(section(PAGE, "Two"), Some("## Two\ntext 2\n"));
        assert_eq!(section(PAGE, "Sub"), None);
        assert_eq!(section(PAGE, "Three"), None);
    }
}
