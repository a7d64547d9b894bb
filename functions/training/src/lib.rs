//! # Training agent
//!
//! Keeps the knowledge base (`KnowledgeArticlePublished`: articles with tags and versions,
//! older revisions ignored; [`ascent_knowledge`]) and the webinar calendar
//! (`WebinarScheduled`; registrations up to capacity, then a waitlist; reminders the day
//! before). For every new ticket it searches the knowledge base (BM25): articles that answer
//! it, and upcoming webinars on its topic, are recommended to the customer
//! (`TrainingRecommended`); a ticket no article answers counts towards a knowledge gap on its
//! topic, and the second such ticket raises `KnowledgeGapFound` for the documentation team.

mod settings;

pub use settings::TrainingConfig;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription,
};
use ascent_core::catalog::{
    KnowledgeArticlePublished, KnowledgeGapFound, Payload, RegistrationStatus, ScheduleTick,
    TicketOpened, TrainingRecommended, WebinarRegistered, WebinarRegistrationRequested,
    WebinarScheduled,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use ascent_knowledge::{Article, KnowledgeCache, key_terms};
use async_trait::async_trait;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const NAME: &str = "training";
/// `gsi1` partition of webinars to come, sorted by start.
pub const UPCOMING: &str = "webinars#upcoming";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::CustomerSuccess,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "content",
                pattern: json!({"detail-type": ["KnowledgeArticlePublished", "WebinarScheduled", "WebinarRegistrationRequested"]}),
            },
            Subscription {
                name: "ticket-topics",
                pattern: json!({"detail-type": ["TicketOpened"]}),
            },
            Subscription {
                name: "daily-reminders",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Knowledge],
        writes: vec![Domain::Knowledge],
        emits: vec![
            "WebinarRegistered",
            "TrainingRecommended",
            "KnowledgeGapFound",
        ],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

/// A webinar (`webinar#<id>` / `webinar`); registrations at `webinar#<id>` / `reg#<email>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webinar {
    pub webinar: WebinarScheduled,
    pub registered: u32,
    pub waitlisted: u32,
    pub reminded: bool,
    pub version: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Registration {
    email: String,
    name: String,
    status: RegistrationStatus,
}

/// Tickets no article answered, per topic (`gap#<topic>` / `gap`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Gap {
    topic: String,
    ticket_ids: Vec<String>,
    reported: bool,
    /// Optimistic concurrency (tickets on one topic may be handled in parallel).
    #[serde(default)]
    version: u32,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub struct Training {
    decl: AgentDecl,
    knowledge: KnowledgeCache,
    config: TrainingConfig,
}

impl Training {
    async fn on_article(
        &self,
        ctx: &mut Ctx<'_>,
        a: &KnowledgeArticlePublished,
    ) -> Result<(), AgentError> {
        if a.title.trim().is_empty() || a.body.trim().is_empty() || a.version == 0 {
            return Err(AgentError::Invalid(format!(
                "article {}: needs a title, a body and a version from 1",
                a.article_id
            )));
        }
        ascent_knowledge::publish(
            ctx,
            &Article {
                article_id: a.article_id.clone(),
                title: a.title.clone(),
                body: a.body.clone(),
                tags: a.tags.clone(),
                version: a.version,
            },
        )
        .await
        .map(|_| ())
    }

    async fn on_webinar(&self, ctx: &mut Ctx<'_>, w: &WebinarScheduled) -> Result<(), AgentError> {
        if w.capacity == 0 {
            return Err(AgentError::Invalid(format!(
                "webinar {}: capacity 0",
                w.webinar_id
            )));
        }
        let pk = format!("webinar#{}", w.webinar_id);
        let existing: Option<Webinar> = ctx.get_as(Domain::Knowledge, &pk, "webinar").await?;
        let (record, condition) = match existing {
            // A rescheduled or resized webinar keeps its registrations.
            Some(mut e) => {
                let v = e.version;
                e.webinar = w.clone();
                e.version += 1;
                (e, Condition::version(Some(v)))
            }
            None => (
                Webinar {
                    webinar: w.clone(),
                    registered: 0,
                    waitlisted: 0,
                    reminded: false,
                    version: 0,
                },
                Condition::NotExists,
            ),
        };
        ctx.put_record(
            Domain::Knowledge,
            &pk,
            "webinar",
            &record,
            Some((
                UPCOMING.into(),
                format!("{}#{}", stamp(w.starts_at), w.webinar_id),
            )),
            condition,
        )
    }

    async fn on_registration(
        &self,
        ctx: &mut Ctx<'_>,
        r: &WebinarRegistrationRequested,
    ) -> Result<(), AgentError> {
        let pk = format!("webinar#{}", r.webinar_id);
        let Some(mut w) = ctx
            .get_as::<Webinar>(Domain::Knowledge, &pk, "webinar")
            .await?
        else {
            return Err(AgentError::Invalid(format!(
                "webinar {} does not exist",
                r.webinar_id
            )));
        };
        if w.webinar.starts_at <= ctx.now() {
            return Err(AgentError::Invalid(format!(
                "webinar {} has already started",
                r.webinar_id
            )));
        }
        let email = r.email.trim().to_ascii_lowercase();
        let reg_sk = format!("reg#{email}");
        if ctx.get(Domain::Knowledge, &pk, &reg_sk).await?.is_some() {
            return Ok(());
        }
        let status = if w.registered < w.webinar.capacity {
            w.registered += 1;
            RegistrationStatus::Registered
        } else {
            w.waitlisted += 1;
            RegistrationStatus::Waitlisted
        };
        let v = w.version;
        w.version += 1;
        ctx.put_record(
            Domain::Knowledge,
            &pk,
            "webinar",
            &w,
            Some((
                UPCOMING.into(),
                format!("{}#{}", stamp(w.webinar.starts_at), r.webinar_id),
            )),
            Condition::version(Some(v)),
        )?;
        ctx.put_record(
            Domain::Knowledge,
            &pk,
            &reg_sk,
            &Registration {
                email: email.clone(),
                name: r.name.clone(),
                status,
            },
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: email.clone(),
            subject: match status {
                RegistrationStatus::Registered => format!("You're registered: {}", w.webinar.title),
                RegistrationStatus::Waitlisted => format!("Waitlisted: {}", w.webinar.title),
            },
            text: format!(
                "Hello {},\n\n{} starts {} ({} minutes) with {}.\n{}\n",
                r.name,
                w.webinar.title,
                stamp(w.webinar.starts_at),
                w.webinar.duration_minutes,
                w.webinar.presenter,
                if status == RegistrationStatus::Waitlisted {
                    "It is full; we will write if a seat frees up."
                } else {
                    "We will remind you the day before."
                }
            ),
            html: None,
        })?;
        ctx.emit(WebinarRegistered {
            webinar_id: r.webinar_id.clone(),
            email,
            status,
        })
    }

    async fn upcoming(
        &self,
        ctx: &mut Ctx<'_>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Webinar>, AgentError> {
        let q =
            Query::gsi1(UPCOMING).sort(SortKey::Between(stamp(from), format!("{}~", stamp(until))));
        ctx.query_as(Domain::Knowledge, &q).await
    }

    async fn on_ticket(&self, ctx: &mut Ctx<'_>, t: &TicketOpened) -> Result<(), AgentError> {
        let text = format!("{} {}", t.subject, t.body);
        let kb = self.knowledge.get(ctx).await?;
        let hits = kb.search(&text, 3, self.config.min_article_score)?;
        let topic = key_terms(&text, 3);
        if hits.is_empty() {
            if topic.is_empty() {
                return Ok(());
            }
            let pk = format!("gap#{topic}");
            let existing: Option<Gap> = ctx.get_as(Domain::Knowledge, &pk, "gap").await?;
            let condition = Condition::version(existing.as_ref().map(|g| g.version));
            let mut gap = existing.unwrap_or(Gap {
                topic: topic.clone(),
                ..Gap::default()
            });
            if gap.ticket_ids.contains(&t.ticket_id) {
                return Ok(());
            }
            gap.ticket_ids.push(t.ticket_id.clone());
            let report = gap.ticket_ids.len() >= self.config.gap_after_tickets && !gap.reported;
            gap.reported |= report;
            gap.version += 1;
            ctx.put_record(Domain::Knowledge, &pk, "gap", &gap, None, condition)?;
            if report {
                ctx.send_mail(Mail {
                    to: self.config.docs_team.clone(),
                    subject: format!("Knowledge gap: {topic}"),
                    text: format!(
                        "No article answers tickets about \"{topic}\": {}. Worth writing one.\n",
                        gap.ticket_ids.join(", ")
                    ),
                    html: None,
                })?;
                ctx.emit(KnowledgeGapFound {
                    topic,
                    ticket_ids: gap.ticket_ids,
                })?;
            }
            return Ok(());
        }
        let now = ctx.now();
        let words: Vec<&str> = topic.split(' ').collect();
        let webinars: Vec<Webinar> = self
            .upcoming(
                ctx,
                now,
                now + Duration::days(self.config.webinar_lookahead_days),
            )
            .await?
            .into_iter()
            .filter(|w| {
                let on = w.webinar.topic.to_lowercase();
                words.iter().any(|word| on.contains(word))
            })
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
            })?;
        }
        ctx.emit(TrainingRecommended {
            account_id: t.account_id.clone(),
            ticket_id: t.ticket_id.clone(),
            articles: hits.into_iter().map(|h| h.article_id).collect(),
            webinars: webinars.into_iter().map(|w| w.webinar.webinar_id).collect(),
        })
    }

    async fn on_daily(&self, ctx: &mut Ctx<'_>, tick: &ScheduleTick) -> Result<(), AgentError> {
        for mut w in self
            .upcoming(
                ctx,
                tick.at,
                tick.at + Duration::hours(self.config.reminder_hours_ahead),
            )
            .await?
        {
            if w.reminded {
                continue;
            }
            let pk = format!("webinar#{}", w.webinar.webinar_id);
            let regs: Vec<Registration> = ctx
                .query(
                    Domain::Knowledge,
                    &Query::table(&pk).sort(SortKey::BeginsWith("reg#".into())),
                )
                .await?
                .iter()
                .map(|i| i.parse())
                .collect::<Result<_, _>>()?;
            for r in regs
                .iter()
                .filter(|r| r.status == RegistrationStatus::Registered)
            {
                ctx.send_mail(Mail {
                    to: r.email.clone(),
                    subject: format!("Tomorrow: {}", w.webinar.title),
                    text: format!(
                        "{} starts {}.\n",
                        w.webinar.title,
                        stamp(w.webinar.starts_at)
                    ),
                    html: None,
                })?;
            }
            let v = w.version;
            w.reminded = true;
            w.version += 1;
            ctx.put_record(
                Domain::Knowledge,
                &pk,
                "webinar",
                &w,
                Some((
                    UPCOMING.into(),
                    format!("{}#{}", stamp(w.webinar.starts_at), w.webinar.webinar_id),
                )),
                Condition::version(Some(v)),
            )?;
        }
        Ok(())
    }
}

#[async_trait]
impl Agent for Training {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::KnowledgeArticlePublished(a) => self.on_article(ctx, a).await,
            Payload::WebinarScheduled(w) => self.on_webinar(ctx, w).await,
            Payload::WebinarRegistrationRequested(r) => self.on_registration(ctx, r).await,
            Payload::TicketOpened(t) => self.on_ticket(ctx, t).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_embedded::testkit::TestTwin;
    use std::sync::Arc;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn article(id: &str, title: &str, body: &str, version: u32) -> KnowledgeArticlePublished {
        KnowledgeArticlePublished {
            article_id: id.into(),
            title: title.into(),
            body: body.into(),
            tags: vec!["hardware".into()],
            version,
        }
    }

    fn ticket(id: &str, subject: &str, body: &str) -> TicketOpened {
        TicketOpened {
            ticket_id: id.into(),
            account_id: "A1".into(),
            subject: subject.into(),
            body: body.into(),
            channel: "email".into(),
            requester: Some("ops@boreal.example".into()),
        }
    }

    fn twin() -> TestTwin {
        let t = TestTwin::new(
            vec![Arc::new(Training::default())],
            at("2026-03-02T09:00:00Z"),
        );
        t.emit(
            "ascent.cms",
            article(
                "KB-1",
                "Pairing a headset",
                "Hold the power button until the headset pairs.",
                1,
            ),
        );
        t.emit(
            "ascent.cms",
            WebinarScheduled {
                webinar_id: "W1".into(),
                title: "Headset fleet management".into(),
                topic: "headset pairing fleet".into(),
                starts_at: at("2026-03-05T16:00:00Z"),
                duration_minutes: 45,
                capacity: 2,
                presenter: "Lea from Training".into(),
            },
        );
        t
    }

    #[test]
    fn tickets_get_articles_and_webinars_and_unanswered_topics_become_gaps() {
        let t = twin();
        t.emit(
            "ascent.support",
            ticket("T1", "Headset will not pair", "The headset never pairs."),
        );
        let r = t.emitted("TrainingRecommended");
        let Payload::TrainingRecommended(rec) = r[0].payload() else {
            unreachable!()
        };
        assert_eq!(rec.articles, ["KB-1"]);
        assert_eq!(rec.webinars, ["W1"]);
        assert!(
            t.runtime
                .mails()
                .unwrap()
                .iter()
                .any(|m| m.to == "ops@boreal.example"
                    && m.text.contains("Webinar: Headset fleet management"))
        );
        // Two tickets on something no article covers: one gap, reported once.
        t.emit(
            "ascent.support",
            ticket("T2", "VAT number on invoice", "Invoice VAT number wrong"),
        );
        assert!(t.emitted("KnowledgeGapFound").is_empty());
        t.emit(
            "ascent.support",
            ticket(
                "T3",
                "Invoice VAT number",
                "wrong VAT number on the invoice",
            ),
        );
        t.emit(
            "ascent.support",
            ticket("T4", "invoice vat number", "VAT number invoice"),
        );
        let gaps = t.emitted("KnowledgeGapFound");
        assert_eq!(gaps.len(), 1);
        let Payload::KnowledgeGapFound(g) = gaps[0].payload() else {
            unreachable!()
        };
        assert_eq!(g.topic, "invoice number vat");
        assert_eq!(g.ticket_ids, ["T2", "T3"]);
    }

    #[test]
    fn articles_are_versioned_and_the_search_follows_the_newest() {
        let t = twin();
        t.emit(
            "ascent.cms",
            article(
                "KB-1",
                "Calibrating hand tracking",
                "Calibrate hand tracking in Settings.",
                2,
            ),
        );
        t.emit(
            "ascent.cms",
            article("KB-1", "Pairing a headset", "old text", 1),
        ); // stale: ignored
        assert!(
            t.get(Domain::Knowledge, "kb#article#KB-1", "v000001")
                .is_some()
        );
        let current = t.get(Domain::Knowledge, "kb#articles", "KB-1").unwrap();
        assert_eq!(current["version"], 2);
        t.emit(
            "ascent.support",
            ticket(
                "T1",
                "hand tracking calibration",
                "How to calibrate hand tracking?",
            ),
        );
        assert_eq!(t.emitted("TrainingRecommended").len(), 1);
        t.emit(
            "ascent.support",
            ticket("T2", "Headset pairing", "pairing headset fails"),
        );
        assert_eq!(
            t.emitted("TrainingRecommended").len(),
            1,
            "the pairing text is gone"
        );
    }

    #[test]
    fn registrations_fill_up_then_waitlist_and_reminders_go_the_day_before() {
        let t = twin();
        for (e, n) in [
            ("a@x.example", "A"),
            ("b@x.example", "B"),
            ("c@x.example", "C"),
            ("a@x.example", "A"),
        ] {
            t.emit(
                "ascent.web",
                WebinarRegistrationRequested {
                    webinar_id: "W1".into(),
                    email: e.into(),
                    name: n.into(),
                    account_id: None,
                },
            );
        }
        let s: Vec<RegistrationStatus> = t
            .emitted("WebinarRegistered")
            .iter()
            .map(|e| match e.payload() {
                Payload::WebinarRegistered(r) => r.status,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            s,
            [
                RegistrationStatus::Registered,
                RegistrationStatus::Registered,
                RegistrationStatus::Waitlisted
            ]
        );
        for day in [
            "2026-03-03T06:00:00Z",
            "2026-03-04T06:00:00Z",
            "2026-03-05T06:00:00Z",
        ] {
            t.tick("daily", at(day));
        }
        let reminders: Vec<String> = t
            .runtime
            .mails()
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.starts_with("Tomorrow"))
            .map(|m| m.to)
            .collect();
        assert_eq!(reminders, ["a@x.example", "b@x.example"]);
        // Bad input: unknown webinar, zero capacity, empty article.
        t.emit(
            "ascent.web",
            WebinarRegistrationRequested {
                webinar_id: "W9".into(),
                email: "d@x.example".into(),
                name: "D".into(),
                account_id: None,
            },
        );
        t.emit("ascent.cms", article("KB-9", "", "", 1));
        let reasons: Vec<String> = t
            .runtime
            .dead_letters()
            .unwrap()
            .into_iter()
            .map(|d| d.reason)
            .collect();
        assert!(reasons[0].contains("webinar W9 does not exist"));
        assert!(reasons[1].contains("needs a title, a body and a version"));
    }
}
