//! The help desks tickets come from, behind one port, and what Support tells them.
//!
//! A ticket opened at Zendesk (`zd-<id>`) or Intercom (`ic-<id>`) is worked by people in that
//! desk, so what Support decides about it goes back there ([`DeskUpdate`]): the triage
//! (priority, category and team, the suggested articles in an internal note), a missed SLA
//! deadline (an internal note naming the lead it was escalated to), and a duplicate merged
//! into an earlier ticket (solved, with a note naming the survivor). Tickets of Ascent's own
//! desk (other ids) go nowhere.
//!
//! [`HelpDesk`] applies one update, named by its change id. The id is stable across
//! redeliveries (made from the time of the decision, the ticket and the kind of change) and is
//! written into the note ([`marker`]): an adapter that may have applied a change already (its
//! answer lost) finds the marker and changes nothing twice. The adapters ([`crate::zendesk`],
//! [`crate::intercom`]) speak the desks' REST APIs through the shared exchange.

use crate::{Ticket, stamp};
use ascent_core::catalog::{SlaTimer, TicketPriority, TicketTriaged};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use ascent_integrations::{IntegrationError, RetryPolicy};

/// A help desk tickets come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Desk {
    Zendesk,
    Intercom,
}

impl Desk {
    pub const ALL: [Desk; 2] = [Desk::Zendesk, Desk::Intercom];

    /// `zendesk` or `intercom`: the outbox's and `DataSyncCompleted`'s system.
    pub fn name(self) -> &'static str {
        match self {
            Desk::Zendesk => "zendesk",
            Desk::Intercom => "intercom",
        }
    }

    pub fn from_name(name: &str) -> Option<Desk> {
        Desk::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The desk a ticket came from and its id there (`zd-4711`: Zendesk's 4711, as the
    /// verified webhooks of [`crate::inbound`] name them); none for Ascent's own tickets.
    pub fn of_ticket(ticket_id: &str) -> Option<(Desk, String)> {
        let (desk, id) = if let Some(id) = ticket_id.strip_prefix("zd-") {
            (Desk::Zendesk, id)
        } else if let Some(id) = ticket_id.strip_prefix("ic-") {
            (Desk::Intercom, id)
        } else {
            return None;
        };
        let ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| (desk, id.to_string()))
    }
}

/// What Support tells a desk about one ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeskUpdate {
    /// Support's id of the ticket (`zd-4711`).
    pub ticket_id: String,
    /// The desk's id of it (`4711`).
    pub remote_id: String,
    /// The priority to set (Zendesk's priorities are Support's: urgent, high, normal, low).
    pub priority: Option<TicketPriority>,
    /// The category triage found (a tag at Zendesk, an attribute at Intercom).
    pub category: Option<String>,
    /// The team the ticket goes to (a tag at Zendesk, named in the note at Intercom).
    pub team: Option<String>,
    /// An internal note for the people working the ticket (never shown to the customer).
    pub note: String,
    /// Solve (Zendesk) or close (Intercom) the ticket.
    pub solve: bool,
}

/// A help desk Support's decisions are sent to.
pub trait HelpDesk: Send + Sync {
    fn desk(&self) -> Desk;
    /// Applies `update` as change `change_id`; applying it again changes nothing twice.
    fn apply(&self, change_id: &str, update: &DeskUpdate) -> Result<(), IntegrationError>;
}

/// The text a change's note carries, by which a repeat finds it.
pub fn marker(change_id: &str) -> String {
    format!("[ascent change {change_id}]")
}

/// The note as posted: its text and the change's marker on a line of its own.
pub fn note_text(note: &str, change_id: &str) -> String {
    format!("{note}\n\n{}", marker(change_id))
}

/// A change's id: when it was decided, the ticket, the kind (`triage`, `breach`, `merged`).
/// Ids sort by time, so a desk gets a ticket's changes in the order they were decided.
pub fn change_id(at: DateTime<Utc>, ticket_id: &str, kind: &str) -> String {
    format!("{}#{ticket_id}#{kind}", stamp(at))
}

fn priority_word(p: TicketPriority) -> &'static str {
    match p {
        TicketPriority::Urgent => "urgent",
        TicketPriority::High => "high",
        TicketPriority::Normal => "normal",
        TicketPriority::Low => "low",
    }
}

pub fn priority_name(p: TicketPriority) -> &'static str {
    priority_word(p)
}

/// The triage as the desk should show it; `articles` are the suggested ones with their titles.
pub fn triage_update(
    t: &TicketTriaged,
    remote_id: &str,
    articles: &[(String, String)],
) -> DeskUpdate {
    let suggested = if articles.is_empty() {
        "No knowledge-base article matches.".to_string()
    } else {
        let lines: Vec<String> = articles
            .iter()
            .map(|(id, title)| format!("- {id}: {title}"))
            .collect();
        format!("Suggested answers:\n{}", lines.join("\n"))
    };
    DeskUpdate {
        ticket_id: t.ticket_id.clone(),
        remote_id: remote_id.into(),
        priority: Some(t.priority),
        category: Some(t.category.clone()),
        team: Some(t.team.clone()),
        note: format!(
            "Ascent Support triage: {} priority, {} ({}).\nFirst response due {}, resolution due {}.\nWhy: {}\n{suggested}",
            priority_word(t.priority),
            t.category,
            t.team,
            stamp(t.first_response_due),
            stamp(t.resolution_due),
            t.reasons.join("; "),
        ),
        solve: false,
    }
}

/// Missed deadlines of a ticket, escalated to `lead`.
pub fn breach_update(t: &Ticket, remote_id: &str, missed: &[SlaTimer], lead: &str) -> DeskUpdate {
    let lines: Vec<String> = missed
        .iter()
        .map(|timer| {
            let what = match timer {
                SlaTimer::FirstResponse => "first response",
                SlaTimer::Resolution => "resolution",
            };
            format!("- {what} was due {}", stamp(t.due(*timer)))
        })
        .collect();
    DeskUpdate {
        ticket_id: t.ticket_id.clone(),
        remote_id: remote_id.into(),
        priority: None,
        category: None,
        team: None,
        note: format!(
            "Ascent Support: SLA breached ({} priority).\n{}\nEscalated to {lead}.",
            priority_word(t.priority),
            lines.join("\n")
        ),
        solve: false,
    }
}

/// A duplicate merged into `into`: solved there, with a note naming the survivor.
pub fn merged_update(ticket_id: &str, remote_id: &str, into: &str) -> DeskUpdate {
    DeskUpdate {
        ticket_id: ticket_id.into(),
        remote_id: remote_id.into(),
        priority: None,
        category: None,
        team: None,
        note: format!(
            "Ascent Support: the same requester's same issue as {into}; merged into it and handled \
             there (the requester was told)."
        ),
        solve: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_ticket_s_desk_comes_from_its_id() {
        assert_eq!(
            Desk::of_ticket("zd-4711"),
            Some((Desk::Zendesk, "4711".into()))
        );
        assert_eq!(
            Desk::of_ticket("ic-99"),
            Some((Desk::Intercom, "99".into()))
        );
        // Ascent's own desk, and ids that are not a desk's number.
        assert_eq!(Desk::of_ticket("T-1001"), None);
        assert_eq!(Desk::of_ticket("zd-"), None);
        assert_eq!(Desk::of_ticket("zd-47/../1"), None);
        assert_eq!(Desk::from_name("intercom"), Some(Desk::Intercom));
        assert_eq!(Desk::from_name("freshdesk"), None);
    }

    #[test]
    fn the_triage_note_says_priority_category_team_deadlines_and_articles() {
        let t = TicketTriaged {
            ticket_id: "zd-4711".into(),
            account_id: "A1".into(),
            priority: TicketPriority::High,
            category: "hardware".into(),
            team: "support-hardware".into(),
            sentiment: -20,
            first_response_due: at("2026-03-10T18:00:00Z"),
            resolution_due: at("2026-03-12T14:00:00Z"),
            suggested_articles: vec!["KB-1".into()],
            reasons: vec!["`not working`: high".into()],
        };
        let u = triage_update(&t, "4711", &[("KB-1".into(), "Pairing a headset".into())]);
        assert_eq!(u.priority, Some(TicketPriority::High));
        assert_eq!(u.category.as_deref(), Some("hardware"));
        assert!(!u.solve);
        assert_eq!(
            u.note,
            "Ascent Support triage: high priority, hardware (support-hardware).\n\
             First response due 2026-03-10T18:00:00Z, resolution due 2026-03-12T14:00:00Z.\n\
             Why: `not working`: high\nSuggested answers:\n- KB-1: Pairing a headset"
        );
        let id = change_id(at("2026-03-10T14:00:00Z"), "zd-4711", "triage");
        assert_eq!(id, "2026-03-10T14:00:00Z#zd-4711#triage");
        assert!(
            note_text(&u.note, &id)
                .ends_with("\n\n[ascent change 2026-03-10T14:00:00Z#zd-4711#triage]")
        );
    }

    #[test]
    fn a_merged_duplicate_is_solved_naming_the_survivor() {
        let u = merged_update("ic-100", "100", "ic-99");
        assert!(u.solve);
        assert!(u.note.contains("merged into it"), "{}", u.note);
        assert!(u.note.contains("ic-99"));
        assert_eq!(u.priority, None);
    }
}
