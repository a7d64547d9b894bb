//! Support's declaration: what it listens to, the key prefixes it owns with the personal
//! data each holds (tickets and who asked), and what it emits.

use crate::{DESK_SCHEDULE, NAME, SLA_SCHEDULE, desk_sync};
use ascent_core::agent::{AgentDecl, Department, Domain, QueueClass, Subscription, owns};
use ascent_core::privacy::{Personal, Retention};
use serde_json::json;

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::CustomerSuccess,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "tickets",
                pattern: json!({"detail-type": ["TicketOpened", "TicketResponded", "TicketStatusChanged", "TicketResolved"]}),
            },
            Subscription {
                name: "customer-tiers",
                pattern: json!({"detail-type": ["CustomerSignedUp"]}),
            },
            Subscription {
                name: "sla-check",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": [SLA_SCHEDULE]}}}),
            },
            Subscription {
                name: "desk-sync",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": [DESK_SCHEDULE]}}}),
            },
            Subscription {
                name: "desk-change-decided",
                pattern: desk_sync::decided_pattern(),
            },
        ],
        // Approvals: a decision about a held change is acted on only once its record confirms it.
        reads: vec![
            Domain::Customer,
            Domain::Interaction,
            Domain::Knowledge,
            Domain::Approvals,
        ],
        owns: vec![
            // An account's plan: no one's data.
            owns(Domain::Customer, "support-account#"),
            // A ticket: who asked and what about, its SLA clocks.
            owns(Domain::Interaction, "ticket#").holding(Personal::deleted(
                &["requester", "subject"],
                &["requester"],
                "Triage the ticket and keep its SLA",
                Retention::Days("closed_tickets_days"),
            )),
            // An account's open tickets: who asked and the words they wrote.
            owns(Domain::Interaction, "support-open#").holding(Personal::deleted(
                &["requester", "words[]"],
                &["requester"],
                "Merge a requester's duplicate tickets",
                Retention::Days("closed_tickets_days"),
            )),
            // Changes queued for the help desks: a note names the team lead escalated to.
            owns(Domain::Interaction, desk_sync::DESK_PREFIX).holding(Personal::deleted(
                &["item.note"],
                &[],
                "Send triage and escalations to the help desk",
                Retention::Days("closed_tickets_days"),
            )),
        ],
        emits: vec![
            "TicketTriaged",
            "SlaBreached",
            "TicketMerged",
            "DataSyncCompleted",
        ],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}
