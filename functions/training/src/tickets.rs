//! A new ticket: the articles that answer it and the upcoming webinars on its topic are
//! recommended to the requester (`TrainingRecommended`); a ticket no article answers counts
//! towards a knowledge gap instead ([`crate::gaps`]).

use crate::{Training, Webinar, stamp};
use ascent_core::agent::AgentError;
use ascent_core::catalog::{TicketOpened, TrainingRecommended};
use ascent_core::context::Ctx;
use ascent_core::ports::Mail;
use ascent_knowledge::{analysis, gap_topic};
use chrono::Duration;

impl Training {
    pub(crate) async fn on_ticket(
        &self,
        ctx: &mut Ctx<'_>,
        t: &TicketOpened,
    ) -> Result<(), AgentError> {
        let text = format!("{} {}", t.subject, t.body);
        let kb = self.knowledge.get(ctx).await?;
        let hits = kb.search(&text, 3, self.config.min_article_score)?;
        let topic = gap_topic(&text, self.config.gap_key_terms);
        if hits.is_empty() {
            return self.on_unanswered(ctx, t, topic).await;
        }
        let now = ctx.now();
        let webinars: Vec<Webinar> = self
            .upcoming(
                ctx,
                now,
                now + Duration::days(self.config.webinar_lookahead_days),
            )
            .await?
            .into_iter()
            .filter(|w| on_topic(&w.webinar.topic, &topic.terms))
            .collect();
        if let Some(to) = &t.requester {
            let list: String = hits
                .iter()
                .map(|h| format!("- {} ({})\n", h.title, h.article_id))
                .chain(webinars.iter().map(|w| {
                    format!(
                        "- Webinar: {} on {}\n",
                        w.webinar.title,
                        stamp(w.webinar.starts_at)
                    )
                }))
                .collect();
            ctx.send_mail(Mail {
                to: to.clone(),
                subject: format!("Tutorials for: {}", t.subject),
                text: format!(
                    "While we look at your ticket {}, these may help:\n{list}",
                    t.ticket_id
                ),
                html: None,
                ..Default::default()
            })?;
        }
        ctx.emit(TrainingRecommended {
            account_id: t.account_id.clone(),
            ticket_id: t.ticket_id.clone(),
            articles: hits.into_iter().map(|h| h.article_id).collect(),
            webinars: webinars.into_iter().map(|w| w.webinar.webinar_id).collect(),
        })
    }
}

/// Whether a webinar's topic is the ticket's: they share a term (stemmed, stop-words out), so
/// "headset pairing fleet" is on a ticket about headsets that will not pair.
pub(crate) fn on_topic(webinar_topic: &str, ticket_terms: &[String]) -> bool {
    analysis::terms(webinar_topic)
        .iter()
        .any(|t| ticket_terms.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webinar_is_on_a_ticket_s_topic_when_they_share_a_stemmed_term() {
        let ticket = gap_topic("Headset will not pair. The headset never pairs.", 5);
        assert_eq!(ticket.terms, ["headset", "never", "pair"]);
        assert!(on_topic("headset pairing fleet", &ticket.terms));
        // Whole terms, not pieces of words: "pair" is not in "repairs", nor "air" in "pair".
        assert!(!on_topic("Repairs and returns", &ticket.terms));
        assert!(!on_topic("air", &ticket.terms));
    }
}
