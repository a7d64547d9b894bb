//! The queues page: depth of each agent's queue, and the dead letters with each message's
//! reason and payload, which an admin redrives one by one or all at once.

use crate::access::{Role, Session};
use crate::layout::{escape, post_button, when};
use crate::port::{DeadLetterRow, QueueRow};

/// The queues page's body.
pub fn render(
    queues: &[QueueRow],
    dead: &[DeadLetterRow],
    session: &Session,
    note: Option<&str>,
) -> String {
    let admin = session.operator.role >= Role::Admin;
    let mut out = String::new();
    if let Some(n) = note {
        out.push_str(&format!("<p class=\"note\">{}</p>", escape(n)));
    }
    // Dead letters first: they are what needs a person.
    let mut depth = String::from(
        "<h2>Depth</h2><table id=\"queues\"><tr><th>Queue of</th><th>Class</th>\
         <th class=\"num\">Visible</th><th class=\"num\">Delayed</th><th class=\"num\">Dead letters</th>\
         <th>State</th></tr>",
    );
    for q in queues {
        depth.push_str(&format!(
            "<tr data-queue=\"{agent}\"><td>{agent}</td><td>{class}</td><td class=\"num visible\">{visible}</td>\
             <td class=\"num\">{delayed}</td><td class=\"num\">{dead}</td><td>{state}</td></tr>",
            agent = escape(&q.agent),
            class = escape(&q.class),
            visible = q.visible,
            delayed = q.delayed,
            dead = q.dead_letters,
            state = if q.paused {
                "<span class=\"paused\">paused</span>"
            } else {
                "running"
            },
        ));
    }
    depth.push_str("</table>");
    out.push_str(&format!("<h2>Dead letters ({})</h2>", dead.len()));
    if dead.is_empty() {
        out.push_str("<p class=\"muted\">None.</p>");
        out.push_str(&depth);
        return out;
    }
    if admin {
        out.push_str(&format!(
            "<p>{}</p>",
            post_button(session, "/queues/redrive", "", "Redrive all", "danger")
        ));
    }
    out.push_str(
        "<table id=\"dead-letters\"><tr><th>Agent</th><th>Event</th><th class=\"num\">Receives</th>\
         <th>Reason</th><th>Failed</th><th>Payload</th><th></th></tr>",
    );
    for d in dead {
        let redrive = if admin {
            post_button(
                session,
                "/queues/redrive",
                &format!(
                    "<input type=\"hidden\" name=\"id\" value=\"{}\">",
                    escape(&d.id)
                ),
                "Redrive",
                "",
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<tr data-dead-letter=\"{id}\"><td>{agent}</td><td>{dt}<br><span class=\"muted\">{event}</span></td>\
             <td class=\"num\">{n}</td><td class=\"reason\">{reason}</td><td>{at}</td>\
             <td><details><summary>payload</summary><pre>{payload}</pre></details></td><td>{redrive}</td></tr>",
            id = escape(&d.id),
            agent = escape(&d.agent),
            dt = escape(&d.detail_type),
            event = escape(&d.event_id),
            n = d.receive_count,
            reason = escape(&d.reason),
            at = when(d.failed_at),
            payload = escape(&pretty(&d.payload)),
        ));
    }
    out.push_str("</table>");
    out.push_str(&depth);
    out
}

/// JSON indented for reading; anything else as it is.
fn pretty(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| payload.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Operator;
    use chrono::Utc;

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
    fn dead_letters_show_reason_and_payload_and_only_an_admin_may_redrive() {
        let dead = vec![DeadLetterRow {
            id: "7".into(),
            agent: "billing".into(),
            detail_type: "DealWon".into(),
            event_id: "e1".into(),
            receive_count: 3,
            reason: "amount <missing>".into(),
            failed_at: Utc::now(),
            payload: "{\"a\":1}".into(),
        }];
        let page = render(&[], &dead, &session(Role::Admin), None);
        assert!(page.contains("amount &lt;missing&gt;"), "{page}");
        assert!(page.contains("&quot;a&quot;: 1"));
        assert!(page.contains("name=\"id\" value=\"7\""));
        assert!(page.contains("Redrive all"));
        let page = render(&[], &dead, &session(Role::Approver), None);
        assert!(!page.contains("Redrive"));
    }
}
