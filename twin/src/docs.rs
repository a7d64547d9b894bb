//! The generated parts of the reference pages: `docs/agents.md` (the agents' declarations) and
//! `docs/events.md` (the event catalog with each type's producers and consumers).
//!
//! Each page is hand-written prose around one generated block, between [`BEGIN`] and [`END`];
//! a test compares the committed block with what the declarations and the catalog produce
//! (`ASCENT_UPDATE_DOCS=1 cargo test -p ascent docs` rewrites it).

use ascent_core::agent::AgentDecl;
use ascent_core::catalog::CATALOG;
use ascent_core::producers::Producers;
use serde_json::Value;
use std::fmt::Write;

/// Opens the generated block of a page.
pub const BEGIN: &str =
    "<!-- generated: begin (ASCENT_UPDATE_DOCS=1 cargo test -p ascent docs rewrites it) -->";
/// Closes the generated block of a page.
pub const END: &str = "<!-- generated: end -->";

/// Markdown table cell text: pipes escaped, never a line break.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn code_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let all: Vec<String> = items.into_iter().map(|s| format!("`{s}`")).collect();
    if all.is_empty() {
        "—".into()
    } else {
        all.join(", ")
    }
}

/// The detail-types a pattern names, and the rest of the pattern (its content conditions).
fn pattern_parts(pattern: &Value) -> (Vec<&str>, Option<String>) {
    let types = pattern["detail-type"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rest = match pattern {
        Value::Object(m) => {
            let mut rest = m.clone();
            rest.remove("detail-type");
            (!rest.is_empty()).then(|| Value::Object(rest).to_string())
        }
        _ => None,
    };
    (types, rest)
}

/// `financial: `invoice#`, `account#``; domains in declaration order.
fn owned_list(d: &AgentDecl) -> String {
    let parts: Vec<String> = d
        .writes()
        .iter()
        .map(|domain| {
            format!(
                "{}: {}",
                domain.as_str(),
                code_list(d.prefixes(*domain).into_iter())
            )
        })
        .collect();
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join("; ")
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The generated block of `docs/agents.md`: one summary table, then each agent's rules.
pub fn agents_block(decls: &[AgentDecl]) -> String {
    let mut out = String::new();
    out.push_str(
        "| agent | department | queue | reads | writes | emits | approvals | mail | text writer |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for d in decls {
        let department = serde_json::to_value(d.department)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |",
            d.name,
            department,
            d.queue.as_str(),
            code_list(d.reads.iter().map(|x| x.as_str())),
            code_list(d.writes().iter().map(|x| x.as_str())),
            code_list(d.emits.iter().copied()),
            yes_no(d.requests_approvals),
            yes_no(d.sends_mail),
            yes_no(d.writes_text),
        );
    }
    for d in decls {
        let _ = write!(
            out,
            "\n### `{}`\n\nSource `{}`; queue `{}`. Owns (writes only partition keys starting with): {}. Rules:\n\n| rule | detail-types | other conditions |\n|---|---|---|\n",
            d.name,
            d.source(),
            d.queue.as_str(),
            owned_list(d)
        );
        for s in &d.subscriptions {
            let (types, rest) = pattern_parts(&s.pattern);
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                s.name,
                code_list(types),
                rest.map(|r| format!("`{}`", cell(&r)))
                    .unwrap_or_else(|| "—".into())
            );
        }
    }
    out
}

/// The generated block of `docs/events.md`: every catalog type with its category, versions,
/// producers and the agents whose rules name it.
pub fn events_block(decls: &[AgentDecl]) -> String {
    let producers = Producers::new(decls).expect("the declarations are valid");
    let mut out = String::new();
    out.push_str(
        "| detail-type | category | versions | produced by | consumed by | description |\n\
         |---|---|---|---|---|---|\n",
    );
    for e in CATALOG {
        let category = serde_json::to_value(e.category)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let versions: Vec<String> = e.versions.iter().map(u32::to_string).collect();
        let consumers: Vec<&str> = decls
            .iter()
            .filter(|d| {
                d.subscriptions
                    .iter()
                    .any(|s| pattern_parts(&s.pattern).0.contains(&e.detail_type))
            })
            .map(|d| d.name)
            .collect();
        let sources = producers.sources(e.detail_type);
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            e.detail_type,
            category,
            versions.join(", "),
            if sources.is_empty() {
                "nobody yet".to_string()
            } else {
                code_list(sources.iter().map(String::as_str))
            },
            code_list(consumers),
            cell(e.description.trim()),
        );
    }
    out
}

/// `page` with its generated block replaced by `block` (`None` when the page has no block).
pub fn with_block(page: &str, block: &str) -> Option<String> {
    let start = page.find(BEGIN)? + BEGIN.len();
    let end = start + page[start..].find(END)?;
    Some(format!("{}\n\n{}\n{}", &page[..start], block, &page[end..]))
}

/// The reference pages with their generated blocks: (path under the repo root, block).
pub fn generated() -> Vec<(&'static str, String)> {
    let decls = crate::agents::declarations();
    vec![
        ("docs/agents.md", agents_block(&decls)),
        ("docs/events.md", events_block(&decls)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_reference_pages_are_what_the_declarations_and_catalog_produce() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let update = std::env::var("ASCENT_UPDATE_DOCS").is_ok_and(|v| v == "1");
        for (page, block) in generated() {
            let path = root.join(page);
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            let want = with_block(&have, &block)
                .unwrap_or_else(|| panic!("{page} has no generated block ({BEGIN} … {END})"));
            if update && have != want {
                std::fs::write(&path, &want).unwrap();
                continue;
            }
            assert!(
                have == want,
                "{page} is stale: run ASCENT_UPDATE_DOCS=1 cargo test -p ascent docs"
            );
        }
    }

    #[test]
    fn every_agent_and_every_catalog_type_is_in_the_reference() {
        let decls = crate::agents::declarations();
        let agents = agents_block(&decls);
        for d in &decls {
            assert!(agents.contains(&format!("### `{}`", d.name)), "{}", d.name);
            for s in &d.subscriptions {
                assert!(agents.contains(&format!("| `{}` |", s.name)), "{}", s.name);
            }
        }
        let events = events_block(&decls);
        for e in CATALOG {
            assert!(events.contains(&format!("| `{}` |", e.detail_type)));
        }
    }

    #[test]
    fn the_block_is_replaced_and_the_prose_kept() {
        let page = format!("# Title\n\nbefore\n\n{BEGIN}\nold\n{END}\n\nafter\n");
        let new = with_block(&page, "new\n").unwrap();
        assert_eq!(
            new,
            format!("# Title\n\nbefore\n\n{BEGIN}\n\nnew\n\n{END}\n\nafter\n")
        );
        assert_eq!(with_block(&new, "new\n").unwrap(), new);
        assert!(with_block("no block", "x").is_none());
    }
}
