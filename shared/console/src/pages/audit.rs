//! The audit pages: the chain's verification, a search of the audit trail by agent, record,
//! correlation id and time, and one business flow (a correlation id) followed across agents
//! as a timeline. Read-only: every form is a GET.

use crate::insights::{AuditQuery, AuditRow, ChainStatus};
use crate::layout::{BASE, escape, when};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

/// Records a search shows at most.
pub const SEARCH_LIMIT: usize = 200;

/// The search form as typed (every field optional; dates `YYYY-MM-DD`, UTC days).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub item: String,
    #[serde(default)]
    pub correlation_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

fn field(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn day(s: &str, name: &str) -> Result<Option<NaiveDate>, String> {
    match field(s) {
        None => Ok(None),
        Some(d) => d
            .parse::<NaiveDate>()
            .map(Some)
            .map_err(|_| format!("{name} must be a date such as 2026-03-02, not {d:?}")),
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

impl AuditForm {
    /// The query it asks: `from` from that day's start, `to` up to that day's end (UTC).
    pub fn query(&self) -> Result<AuditQuery, String> {
        let from = day(&self.from, "from")?;
        let to = day(&self.to, "to")?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(format!("from ({f}) is after to ({t})"));
        }
        Ok(AuditQuery {
            agent: field(&self.agent),
            item: field(&self.item),
            correlation_id: field(&self.correlation_id),
            from: from.map(midnight),
            to: to.map(|t| midnight(t + Duration::days(1))),
            limit: SEARCH_LIMIT,
        })
    }
}

/// The chain's status as a line at the top of the page.
pub fn chain_status(status: &ChainStatus) -> String {
    match status {
        ChainStatus::Verified(n) => format!(
            "<p class=\"note\" id=\"chain\">Audit chain verified: {n} record(s), each hashed with \
             the one before it; none edited, removed or reordered.</p>"
        ),
        ChainStatus::Sealed {
            days,
            items,
            unsealed,
        } => {
            let waiting = match unsealed.as_slice() {
                [] => String::new(),
                days => format!(
                    " Not sealed yet: {} (each day is sealed an hour after it ends).",
                    days.iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            format!(
                "<p class=\"note\" id=\"chain\">Audit trail verified: {days} sealed day(s), \
                 {items} record(s), each day's records matching its seal and each seal chained \
                 to the day before; none edited, removed or added.{waiting}</p>"
            )
        }
        ChainStatus::Broken(why) => format!(
            "<p class=\"error\" id=\"chain\">Audit chain broken: {}. Records from there on cannot \
             be trusted; see <code>ascent audit verify</code>.</p>",
            escape(why)
        ),
    }
}

fn flow_link(correlation_id: &Option<String>) -> String {
    match correlation_id {
        None => "<span class=\"muted\">—</span>".into(),
        Some(c) => {
            // A UUID in full would take the table's width: its first 8 characters, all of it
            // in the link's title.
            let short: String = c.chars().take(8).collect();
            let shown = if short.len() < c.len() {
                format!("{short}…")
            } else {
                short
            };
            format!(
                "<a href=\"{BASE}/audit/flow/{}\" title=\"Follow the flow {}\">{}</a>",
                escape(&encode_path(c)),
                escape(c),
                escape(&shown)
            )
        }
    }
}

/// Percent-encodes a path segment.
pub fn encode_path(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn input(name: &str, label: &str, value: &str, kind: &str, extra: &str) -> String {
    format!(
        "<label>{label} <input type=\"{kind}\" name=\"{name}\" value=\"{}\"{extra}></label> ",
        escape(value)
    )
}

/// The audit page's body: status, the search form (agents offered from `agents`), the rows.
pub fn render(
    status: &ChainStatus,
    form: &AuditForm,
    agents: &[String],
    rows: &[AuditRow],
    error: Option<&str>,
) -> String {
    let mut out = String::from("<style>#audit td.when{white-space:nowrap}</style>");
    out.push_str(&chain_status(status));
    let options: String = agents
        .iter()
        .map(|a| format!("<option value=\"{}\">", escape(a)))
        .collect();
    out.push_str(&format!(
        "<form method=\"get\" action=\"{BASE}/audit\" id=\"audit-search\"><p>{}{}{}{}{}\
         <button type=\"submit\">Search</button></p><datalist id=\"agents\">{options}</datalist></form>",
        input("agent", "Agent", &form.agent, "text", " list=\"agents\""),
        input("item", "Record", &form.item, "text", " placeholder=\"invoice#INV-1\""),
        input("correlation_id", "Correlation id", &form.correlation_id, "text", ""),
        input("from", "From", &form.from, "date", ""),
        input("to", "To", &form.to, "date", ""),
    ));
    if let Some(e) = error {
        out.push_str(&format!("<p class=\"error\">{}</p>", escape(e)));
        return out;
    }
    if rows.is_empty() {
        out.push_str("<p class=\"muted\" id=\"audit-none\">No audit record matches.</p>");
        return out;
    }
    let more = if rows.len() >= SEARCH_LIMIT {
        format!(" (the latest {SEARCH_LIMIT}; narrow the search for older ones)")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "<p class=\"muted\">{} record(s), latest first{more}.</p>\
         <table id=\"audit\"><tr><th class=\"num\">#</th><th>When</th><th>Agent</th><th>Action</th>\
         <th>Record</th><th>Flow</th><th>Detail</th></tr>",
        rows.len()
    ));
    for r in rows {
        out.push_str(&format!(
            "<tr data-seq=\"{seq}\"><td class=\"num\">{seq}</td><td class=\"when\">{at}</td><td>{actor}</td><td>{action}</td>\
             <td>{domain} <code>{item}</code></td><td>{flow}</td><td>{detail}</td></tr>",
            seq = r.seq,
            at = when(r.at),
            actor = escape(&r.actor),
            action = escape(&r.action),
            domain = escape(&r.domain),
            item = escape(&r.item),
            flow = flow_link(&r.correlation_id),
            detail = escape(&r.detail),
        ));
    }
    out.push_str("</table>");
    out
}

/// Seconds after the flow's start, said briefly: `+0 s`, `+2 min 5 s`, `+3 h 10 min`.
pub fn offset(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("+{s} s"),
        60..=3599 => format!("+{} min {} s", s / 60, s % 60),
        3600..=86_399 => format!("+{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("+{} days {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// One flow's timeline: its records in time order, each with how long after the first it
/// came, and the agents it went through in the order they joined.
pub fn timeline(correlation_id: &str, rows: &[AuditRow]) -> String {
    let mut out = format!(
        "<p>Correlation id <code>{}</code>. <a href=\"{BASE}/audit?correlation_id={}\">Search \
         its records</a> · <a href=\"{BASE}/audit\">All of the audit trail</a></p>",
        escape(correlation_id),
        escape(&encode_path(correlation_id))
    );
    let Some(first) = rows.first() else {
        out.push_str(
            "<p class=\"muted\" id=\"flow-none\">No audit record carries this correlation id.</p>",
        );
        return out;
    };
    let mut agents: Vec<&str> = Vec::new();
    for r in rows {
        if !agents.contains(&r.actor.as_str()) {
            agents.push(&r.actor);
        }
    }
    let last = rows.last().expect("not empty");
    out.push_str(&format!(
        "<p id=\"flow-agents\">{} record(s) from {} to {} ({}), through: {}</p><ol class=\"timeline\" id=\"timeline\">",
        rows.len(),
        when(first.at),
        when(last.at),
        offset(last.at - first.at),
        agents
            .iter()
            .map(|a| format!("<strong>{}</strong>", escape(a)))
            .collect::<Vec<_>>()
            .join(" → "),
    ));
    for r in rows {
        out.push_str(&format!(
            "<li data-seq=\"{}\"><span class=\"muted\">{} ({})</span> <strong>{}</strong> {} \
             <code>{}</code> {}</li>",
            r.seq,
            when(r.at),
            offset(r.at - first.at),
            escape(&r.actor),
            escape(&r.action),
            escape(&r.item),
            escape(&r.detail),
        ));
    }
    out.push_str("</ol>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: u64, secs: i64, actor: &str, action: &str) -> AuditRow {
        AuditRow {
            seq,
            at: DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap(),
            actor: actor.into(),
            action: action.into(),
            domain: "financial".into(),
            item: format!("invoice#INV-{seq}/invoice"),
            correlation_id: Some("flow/1 x".into()),
            detail: "<b>paid</b>".into(),
        }
    }

    #[test]
    fn the_form_reads_whole_utc_days_and_refuses_a_bad_date() {
        let form = AuditForm {
            agent: " billing ".into(),
            from: "2026-03-02".into(),
            to: "2026-03-02".into(),
            ..Default::default()
        };
        let q = form.query().unwrap();
        assert_eq!(q.agent.as_deref(), Some("billing"));
        assert_eq!(q.item, None);
        assert_eq!(q.to.unwrap() - q.from.unwrap(), Duration::days(1));
        let bad = AuditForm {
            from: "yesterday".into(),
            ..Default::default()
        };
        assert!(bad.query().unwrap_err().contains("from must be a date"));
        let backwards = AuditForm {
            from: "2026-03-03".into(),
            to: "2026-03-02".into(),
            ..Default::default()
        };
        assert!(backwards.query().is_err());
    }

    #[test]
    fn rows_are_escaped_and_link_their_flow_and_the_status_says_the_count() {
        let page = render(
            &ChainStatus::Verified(42),
            &AuditForm::default(),
            &["billing".into()],
            &[row(7, 0, "billing", "put")],
            None,
        );
        assert!(page.contains("verified: 42 record(s)"), "{page}");
        assert!(page.contains("&lt;b&gt;paid&lt;/b&gt;") && !page.contains("<b>paid"));
        assert!(page.contains("/console/audit/flow/flow%2F1%20x"), "{page}");
        assert!(page.contains("<option value=\"billing\">"));
        let mut long = row(8, 0, "billing", "put");
        long.correlation_id = Some("7c2f4a10-3b1e-4d55".into());
        let page = render(
            &ChainStatus::Verified(1),
            &AuditForm::default(),
            &[],
            &[long],
            None,
        );
        assert!(page.contains(">7c2f4a10…</a>"), "{page}");
        assert!(page.contains("title=\"Follow the flow 7c2f4a10-3b1e-4d55\""));
        let broken = render(
            &ChainStatus::Broken("record 9: hash differs".into()),
            &AuditForm::default(),
            &[],
            &[],
            None,
        );
        assert!(broken.contains("Audit chain broken: record 9: hash differs"));
        assert!(broken.contains("No audit record matches"));
    }

    #[test]
    fn a_timeline_lists_the_agents_in_the_order_they_joined_with_offsets() {
        let rows = [
            row(1, 0, "closing", "put"),
            row(2, 3, "billing", "put"),
            row(3, 125, "closing", "put"),
        ];
        let page = timeline("flow/1 x", &rows);
        assert!(
            page.contains("<strong>closing</strong> → <strong>billing</strong>"),
            "{page}"
        );
        assert!(page.contains("(+3 s)") && page.contains("(+2 min 5 s)"));
        let first = page.find("data-seq=\"1\"").unwrap();
        let third = page.find("data-seq=\"3\"").unwrap();
        assert!(first < third);
        assert!(timeline("none", &[]).contains("No audit record carries"));
    }

    #[test]
    fn a_sealed_trail_says_its_days_and_which_wait_for_their_seal() {
        let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
        let sealed = chain_status(&ChainStatus::Sealed {
            days: 3,
            items: 120,
            unsealed: vec![day("2026-12-06")],
        });
        assert!(
            sealed.contains("3 sealed day(s), 120 record(s)"),
            "{sealed}"
        );
        assert!(sealed.contains("Not sealed yet: 2026-12-06"), "{sealed}");
        let all = chain_status(&ChainStatus::Sealed {
            days: 1,
            items: 5,
            unsealed: vec![],
        });
        assert!(!all.contains("Not sealed yet"), "{all}");
    }
}
