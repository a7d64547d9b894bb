//! The agents page: each agent with its rules, queue class, throughput, error rate and last
//! activity, and (for an admin) the switch that pauses it or resumes it.

use crate::access::{Role, Session};
use crate::layout::{escape, post_button, relative};
use crate::port::AgentRow;
use chrono::{DateTime, Utc};

fn switch(a: &AgentRow, session: &Session) -> String {
    if session.operator.role < Role::Admin {
        return String::new();
    }
    let (path, label, class) = if a.paused {
        (format!("/agents/{}/resume", a.name), "Resume", "approve")
    } else {
        (format!("/agents/{}/pause", a.name), "Pause", "danger")
    };
    post_button(session, &path, "", label, class)
}

/// The agents page's body.
pub fn render(
    agents: &[AgentRow],
    session: &Session,
    now: DateTime<Utc>,
    note: Option<&str>,
) -> String {
    let mut out = String::new();
    if let Some(n) = note {
        out.push_str(&format!("<p class=\"note\">{}</p>", escape(n)));
    }
    out.push_str(
        "<p class=\"muted\">A paused agent's events wait in its queue, nothing lost; resuming \
         drains them.</p><table id=\"agents\"><tr><th>Agent</th><th>Rules</th><th>Queue</th>\
         <th class=\"num\">Queued</th><th class=\"num\">Per minute</th><th class=\"num\">Handled</th>\
         <th class=\"num\">Error rate</th><th class=\"num\">Dead letters</th><th>Last activity</th>\
         <th>State</th></tr>",
    );
    for a in agents {
        let state = if a.paused {
            "<span class=\"paused\">paused</span>"
        } else {
            "running"
        };
        out.push_str(&format!(
            "<tr data-agent=\"{name}\"><td><strong>{name}</strong></td><td>{rules}</td><td>{queue}</td>\
             <td class=\"num queued\">{queued}</td><td class=\"num\">{rate}</td><td class=\"num\">{handled}</td>\
             <td class=\"num\">{errors}</td><td class=\"num\">{dead}</td><td>{last}</td>\
             <td class=\"state\">{state} {switch}</td></tr>",
            name = escape(&a.name),
            rules = escape(&a.rules.join(", ")),
            queue = escape(&a.queue),
            queued = a.queued,
            rate = a.per_minute.map(|r| format!("{r:.1}")).unwrap_or_else(|| "—".into()),
            handled = a.handled,
            errors = a
                .error_rate()
                .map(|r| format!("{:.1}%", r * 100.0))
                .unwrap_or_else(|| "—".into()),
            dead = a.dead_lettered,
            last = a
                .last_activity
                .map(|t| relative(t, now))
                .unwrap_or_else(|| "—".into()),
            switch = switch(a, session),
        ));
    }
    out.push_str("</table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Operator;

    fn session(role: Role) -> Session {
        Session {
            operator: Operator {
                email: "o@x.example".into(),
                role,
            },
            csrf: "tok".into(),
            expires_at: Utc::now(),
        }
    }

    #[test]
    fn an_admin_sees_the_switch_for_the_state_the_agent_is_in_others_see_none() {
        let rows = vec![
            AgentRow {
                name: "billing".into(),
                handled: 9,
                failures: 1,
                ..Default::default()
            },
            AgentRow {
                name: "closing".into(),
                paused: true,
                ..Default::default()
            },
        ];
        let page = render(&rows, &session(Role::Admin), Utc::now(), None);
        assert!(page.contains("/console/agents/billing/pause"), "{page}");
        assert!(page.contains("/console/agents/closing/resume"));
        assert!(page.contains("10.0%"), "error rate of 1 in 10");
        let page = render(&rows, &session(Role::Approver), Utc::now(), None);
        assert!(!page.contains("/pause") && !page.contains("/resume"));
        assert!(page.contains("paused"));
    }
}
