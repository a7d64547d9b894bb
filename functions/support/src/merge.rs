//! Whether a new ticket is a duplicate of one already open, as a pure decision.
//!
//! Merging saves a team from answering the same question twice, but a wrong merge hides a
//! ticket from triage and its clock. So a ticket is merged only into an open ticket of the
//! same requester (not merely the same account), opened within `[support] duplicate_hours`,
//! of the same category, whose topic (stemmed words less stop-words) is at least
//! `duplicate_similarity` alike; an urgent ticket is never merged into one that is not (nor
//! the other way): it keeps its own around-the-clock triage. The survivor takes the higher
//! priority of the two.

use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{TicketMerged, TicketOpened, TicketPriority};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An open ticket as the duplicate check keeps it (`support-open#<account>` / `<ticket id>`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpenTicket {
    pub ticket_id: String,
    pub words: BTreeSet<String>,
    pub opened_at: DateTime<Utc>,
    /// Who asked (lower-cased email); tickets recorded before it was kept have none and are
    /// never merged into.
    #[serde(default)]
    pub requester: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub priority: Option<TicketPriority>,
}

/// The rule's settings.
#[derive(Clone, Copy, Debug)]
pub struct MergeRule {
    pub similarity: f64,
    pub within: Duration,
}

/// The open ticket the new one (`new`, opened at `now`) duplicates, the most alike first.
pub fn merge_into<'a>(
    open: &'a [OpenTicket],
    new: &OpenTicket,
    now: DateTime<Utc>,
    rule: MergeRule,
) -> Option<&'a OpenTicket> {
    let requester = new.requester.as_deref()?;
    let urgent = |p: Option<TicketPriority>| p == Some(TicketPriority::Urgent);
    open.iter()
        .filter(|t| t.ticket_id != new.ticket_id)
        .filter(|t| t.requester.as_deref() == Some(requester))
        .filter(|t| now - t.opened_at <= rule.within)
        .filter(|t| t.category.is_some() && t.category == new.category)
        .filter(|t| t.priority.is_some() && urgent(t.priority) == urgent(new.priority))
        .map(|t| (t, crate::words::similarity(&t.words, &new.words)))
        .filter(|(_, s)| *s >= rule.similarity)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(t, _)| t)
}

impl crate::Support {
    /// Merges the new ticket `o` into `into`: the survivor takes the higher priority (its
    /// clocks recomputed from its opening on the stricter targets), and the requester is told.
    pub(crate) async fn merge(
        &self,
        ctx: &mut Ctx<'_>,
        o: &TicketOpened,
        into: OpenTicket,
        priority: TicketPriority,
    ) -> Result<(), AgentError> {
        let mut survivor = self.known(ctx, &into.ticket_id).await?;
        // `Urgent` orders first: a smaller priority is a more urgent one.
        if priority < survivor.priority {
            let v = survivor.version;
            let c = self.clocks(survivor.opened_at, priority);
            survivor.priority = priority;
            survivor.first_response_due = c.first_due;
            survivor.resolution_due = c.resolution_due;
            survivor.first_response_warn_at = Some(c.first_warn);
            survivor.resolution_warn_at = Some(c.resolution_warn);
            survivor.version += 1;
            self.save(ctx, &survivor, Some(v))?;
            ctx.put_record(
                Domain::Interaction,
                &crate::open_pk(&o.account_id),
                &into.ticket_id,
                &OpenTicket {
                    priority: Some(priority),
                    ..into.clone()
                },
                None,
                Condition::Always,
            )?;
        }
        if let Some(to) = &o.requester {
            ctx.send_mail(Mail {
                to: to.clone(),
                subject: format!("Re: {} ({})", survivor.subject, survivor.ticket_id),
                text: format!(
                    "Thank you for your message \"{}\". It is about the same issue as your request \
                     {} (\"{}\"), so we handle both together there: you will hear from us on {}.\n",
                    o.subject, survivor.ticket_id, survivor.subject, survivor.ticket_id
                ),
                ..Default::default()
            })?;
        }
        if let Some((desk, remote)) = self.desk_of(&o.ticket_id) {
            let at = o
                .created_at
                .map_or(ctx.cause().time, |c| c.min(ctx.cause().time));
            let update = crate::desk::merged_update(&o.ticket_id, &remote, &into.ticket_id);
            self.queue_for_desk(ctx, desk, at, "merged", update)?;
        }
        ctx.emit(TicketMerged {
            ticket_id: o.ticket_id.clone(),
            into_ticket_id: into.ticket_id.clone(),
            account_id: o.account_id.clone(),
            priority: Some(survivor.priority),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SupportConfig;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// A ticket as triage and the duplicate check see it.
    fn ticket(id: &str, requester: &str, subject: &str, body: &str, opened: &str) -> OpenTicket {
        let c = SupportConfig::default();
        let t = c.triage.triage(subject, body, None);
        OpenTicket {
            ticket_id: id.into(),
            words: crate::triage::topic_words(&format!("{subject} {body}")),
            opened_at: at(opened),
            requester: Some(requester.into()),
            category: Some(t.category.to_string()),
            priority: Some(t.priority),
        }
    }

    fn rule() -> MergeRule {
        let c = SupportConfig::default();
        MergeRule {
            similarity: c.duplicate_similarity,
            within: Duration::hours(c.duplicate_hours),
        }
    }

    const NOW: &str = "2026-03-10T15:00:00Z";

    #[test]
    fn an_outage_is_never_merged_into_a_question() {
        // Issue 23: "Headset update outage for all users" was merged into "Question about
        // headset update" and never triaged.
        let open = [ticket(
            "T1",
            "ops@boreal.example",
            "Question about headset update",
            "When does the headset update come?",
            "2026-03-10T14:00:00Z",
        )];
        let outage = ticket(
            "T2",
            "ops@boreal.example",
            "Headset update outage for all users",
            "Since the headset update nobody can start a lesson.",
            NOW,
        );
        assert_eq!(outage.priority, Some(TicketPriority::Urgent));
        assert!(merge_into(&open, &outage, at(NOW), rule()).is_none());
    }

    #[test]
    fn not_charging_is_not_not_pairing() {
        // Issue 23: "not charging" was merged into "not pairing".
        let open = [ticket(
            "T1",
            "ops@boreal.example",
            "Headset not pairing",
            "Our headset is not pairing with Studio.",
            "2026-03-10T14:00:00Z",
        )];
        let charging = ticket(
            "T2",
            "ops@boreal.example",
            "Headset not charging",
            "Our headset is not charging.",
            NOW,
        );
        assert!(merge_into(&open, &charging, at(NOW), rule()).is_none());
    }

    #[test]
    fn the_same_request_twice_from_the_same_person_is_merged_not_from_a_colleague() {
        let open = [ticket(
            "T1",
            "ops@boreal.example",
            "Headset not pairing with Studio",
            "Our headset is not pairing with Studio since the update.",
            "2026-03-10T14:00:00Z",
        )];
        let again = ticket(
            "T2",
            "ops@boreal.example",
            "Headset still not pairing with Studio",
            "The headset is still not pairing with Studio after the update.",
            NOW,
        );
        assert_eq!(
            merge_into(&open, &again, at(NOW), rule()).map(|t| t.ticket_id.as_str()),
            Some("T1")
        );
        // The same text from a colleague is a ticket of its own.
        let colleague = OpenTicket {
            requester: Some("it@boreal.example".into()),
            ..again.clone()
        };
        assert!(merge_into(&open, &colleague, at(NOW), rule()).is_none());
        // Too late: beyond duplicate_hours.
        assert!(merge_into(&open, &again, at("2026-03-20T15:00:00Z"), rule()).is_none());
        // Without a requester nothing is merged.
        let anonymous = OpenTicket {
            requester: None,
            ..again
        };
        assert!(merge_into(&open, &anonymous, at(NOW), rule()).is_none());
    }
}
