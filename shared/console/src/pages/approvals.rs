//! The approvals inbox: pending requests (what, who asked, amount, deadline, escalation level)
//! with the decision form for the operator whose turn it is, and decided ones (who, when,
//! why).

use crate::access::{Role, Session};
use crate::layout::{BASE, csrf_field, escape, money, relative, when};
use crate::port::Inbox;
use ascent_core::approval::{Approval, Reader};
use chrono::{DateTime, Utc};

fn same_person(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// What the operator may do with a pending request: the form when it is their turn, else why
/// not.
fn action(a: &Approval, session: &Session) -> String {
    let me = &session.operator;
    if me.role < Role::Approver {
        return "<span class=\"muted\">approvers decide</span>".into();
    }
    if same_person(&a.draft.requester, &me.email) {
        return "<span class=\"muted\">your own request</span>".into();
    }
    if a.approved_by.iter().any(|p| same_person(p, &me.email)) {
        return "<span class=\"muted\">you approved; a second approver decides</span>".into();
    }
    if !same_person(a.approver(), &me.email) {
        return format!(
            "<span class=\"muted\">waiting for {}</span>",
            escape(a.approver())
        );
    }
    // One form, one comment, the pressed button's decision.
    format!(
        "<form method=\"post\" action=\"{BASE}/approvals/{id}\" class=\"decide\">{csrf}\
         <input type=\"text\" name=\"comment\" placeholder=\"comment (optional)\"> \
         <button type=\"submit\" name=\"decision\" value=\"approve\" class=\"approve\">Approve</button> \
         <button type=\"submit\" name=\"decision\" value=\"reject\" class=\"reject\">Reject</button></form>",
        id = escape(&a.id),
        csrf = csrf_field(session),
    )
}

/// How the signed-in operator reads a request's amounts and times: as configured for them when
/// they are one of its approvers (`[approvals] locale`, `time_zone`, `[[approvals.people]]`),
/// else `None` (grouped amounts, UTC).
fn reader(a: &Approval, session: &Session) -> Option<Reader> {
    let me = session.operator.email.trim();
    a.chain
        .iter()
        .any(|p| p.trim().eq_ignore_ascii_case(me))
        .then(|| a.reader_for(me))
}

fn amount(a: &Approval, reader: Option<&Reader>) -> String {
    a.draft
        .amount
        .as_ref()
        .map(|m| escape(&reader.map_or_else(|| money(m), |r| r.money(m))))
        .unwrap_or_else(|| "—".into())
}

fn at(t: DateTime<Utc>, reader: Option<&Reader>) -> String {
    escape(&reader.map_or_else(|| when(t), |r| r.instant(t)))
}

fn what(a: &Approval) -> String {
    format!(
        "<strong>{}</strong><br><span class=\"muted\">{} · {} · {}</span>",
        escape(&a.draft.summary),
        escape(&a.draft.kind),
        escape(&a.draft.subject),
        escape(&a.id)
    )
}

/// The inbox page's body.
pub fn render(inbox: &Inbox, session: &Session, now: DateTime<Utc>, note: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(n) = note {
        out.push_str(&format!("<p class=\"note\">{}</p>", escape(n)));
    }
    out.push_str(&format!("<h2>Pending ({})</h2>", inbox.pending.len()));
    if inbox.pending.is_empty() {
        out.push_str("<p class=\"muted\">Nothing waits for a decision.</p>");
    } else {
        out.push_str(
            "<table id=\"pending\"><tr><th>What</th><th>Who asked</th><th class=\"num\">Amount</th>\
             <th>Deadline</th><th>Escalation</th><th>Why</th><th>Decide</th></tr>",
        );
        for a in &inbox.pending {
            let reader = reader(a, session);
            let reader = reader.as_ref();
            out.push_str(&format!(
                "<tr data-approval=\"{id}\"><td>{what}</td><td>{req}<br><span class=\"muted\">via {agent}</span></td>\
                 <td class=\"num\">{amount}</td><td>{deadline}<br><span class=\"muted\">{due}</span></td>\
                 <td>level {level} of {levels}: {approver}{second}</td><td>{reason}</td><td>{action}</td></tr>",
                id = escape(&a.id),
                what = what(a),
                req = escape(&a.draft.requester),
                agent = escape(&a.agent),
                amount = amount(a, reader),
                deadline = at(a.step_deadline, reader),
                due = relative(a.step_deadline, now),
                level = a.step + 1,
                levels = a.chain.len(),
                approver = escape(a.approver()),
                second = if a.required_approvals > 1 {
                    format!(
                        "<br><span class=\"muted\">{} of {} approvals</span>",
                        a.approved_by.len(),
                        a.required_approvals
                    )
                } else {
                    String::new()
                },
                reason = escape(&a.draft.reason),
                action = action(a, session),
            ));
        }
        out.push_str("</table>");
    }
    out.push_str(&format!("<h2>Decided ({})</h2>", inbox.decided.len()));
    if inbox.decided.is_empty() {
        out.push_str("<p class=\"muted\">No decision yet.</p>");
    } else {
        out.push_str(
            "<table id=\"decided\"><tr><th>What</th><th>Outcome</th><th class=\"num\">Amount</th>\
             <th>Who</th><th>When</th><th>Why</th></tr>",
        );
        for a in &inbox.decided {
            let reader = reader(a, session);
            let reader = reader.as_ref();
            out.push_str(&format!(
                "<tr data-approval=\"{id}\"><td>{what}</td><td class=\"outcome\">{status}</td><td class=\"num\">{amount}</td>\
                 <td>{who}</td><td>{at}</td><td>{why}</td></tr>",
                id = escape(&a.id),
                what = what(a),
                status = a.status_word(),
                amount = amount(a, reader),
                who = escape(a.decided_by.as_deref().unwrap_or("nobody in time")),
                at = a.decided_at.map(|t| at(t, reader)).unwrap_or_default(),
                why = escape(a.comment.as_deref().unwrap_or("")),
            ));
        }
        out.push_str("</table>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Operator, Session};
    use ascent_core::approval::{ApprovalDraft, ApprovalPolicy};
    use std::collections::BTreeMap;

    fn session(email: &str, role: Role) -> Session {
        Session {
            operator: Operator {
                email: email.into(),
                role,
            },
            csrf: "tok".into(),
            expires_at: Utc::now(),
        }
    }

    fn approval() -> Approval {
        let mut policy = ApprovalPolicy {
            chains: BTreeMap::from([(
                "sales-director".to_string(),
                vec!["boss@x.example".to_string(), "cfo@x.example".to_string()],
            )]),
            ..Default::default()
        };
        policy.authority.clear();
        policy.two_person_above_minor = None;
        policy.fx = None;
        let draft = ApprovalDraft {
            kind: "discount".into(),
            subject: "deal-1".into(),
            summary: "20% <off> for Acme".into(),
            amount: None,
            requester: "rep@x.example".into(),
            approver_role: "sales-director".into(),
            reason: "competitor".into(),
            ..Default::default()
        };
        policy
            .open(
                "apr-1".into(),
                "closing",
                draft,
                uuid::Uuid::nil(),
                Utc::now(),
            )
            .unwrap()
    }

    #[test]
    fn the_approver_whose_turn_it_is_gets_the_form_with_the_token_others_a_reason() {
        let inbox = Inbox {
            pending: vec![approval()],
            decided: vec![],
        };
        let now = Utc::now();
        let page = render(
            &inbox,
            &session("boss@x.example", Role::Approver),
            now,
            None,
        );
        assert!(page.contains("value=\"approve\""), "{page}");
        assert!(page.contains("name=\"csrf\" value=\"tok\""));
        assert!(page.contains("20% &lt;off&gt; for Acme"), "escaped");
        assert!(page.contains("level 1 of 2"));
        let later = render(&inbox, &session("cfo@x.example", Role::Admin), now, None);
        assert!(!later.contains("value=\"approve\""));
        assert!(later.contains("waiting for boss@x.example"));
        let viewer = render(&inbox, &session("boss@x.example", Role::Viewer), now, None);
        assert!(!viewer.contains("value=\"approve\""));
        let own = render(&inbox, &session("rep@x.example", Role::Admin), now, None);
        assert!(own.contains("your own request"));
    }

    #[test]
    fn an_approver_reads_the_amount_and_deadline_as_configured_for_them() {
        let mut a = approval();
        a.draft.amount = Some(ascent_core::money::Money::new(123_456_789, "EUR"));
        a.step_deadline = "2026-03-04T09:00:00Z".parse().unwrap();
        a.readers = vec![
            Reader::new("de-DE", "Europe/Berlin"),
            Reader::new("en-GB", "Europe/London"),
        ];
        let inbox = Inbox {
            pending: vec![a],
            decided: vec![],
        };
        let now: DateTime<Utc> = "2026-03-03T09:00:00Z".parse().unwrap();
        let boss = render(
            &inbox,
            &session("boss@x.example", Role::Approver),
            now,
            None,
        );
        assert!(boss.contains("1.234.567,89"), "{boss}");
        assert!(boss.contains("04.03.2026, 10:00"), "{boss}");
        assert!(boss.contains("Europe/Berlin"), "{boss}");
        // An operator who is none of its approvers reads it in UTC.
        let admin = render(&inbox, &session("coo@x.example", Role::Admin), now, None);
        assert!(admin.contains("1,234,567.89"), "{admin}");
        assert!(admin.contains("2026-03-04 09:00 UTC"), "{admin}");
    }
}
