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
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    ExceptionRaised, KnowledgeArticlePublished, KnowledgeGapFound, Payload, RegistrationStatus,
    ScheduleTick, Severity, TicketOpened, TrainingRecommended, WebinarRegistered,
    WebinarRegistrationRequested, WebinarScheduled,
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
        owns: vec![
            owns(Domain::Knowledge, "webinar#"),
            owns(Domain::Knowledge, "gap#"),
            owns(Domain::Knowledge, "kb#"),
        ],
        emits: vec![
            "WebinarRegistered",
            "TrainingRecommended",
            "KnowledgeGapFound",
            "ExceptionRaised",
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
    /// Every registrant has been reminded.
    pub reminded: bool,
    /// The last address reminded so far, in address order, when a run could not remind them
    /// all (the next run continues after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_through: Option<String>,
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
                    reminded_through: None,
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
            ..Default::default()
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
                    ..Default::default()
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

    /// Registered registrations of webinar `pk` after the address `after` (all when `None`),
    /// in address order.
    async fn registrations_after(
        &self,
        ctx: &mut Ctx<'_>,
        pk: &str,
        after: Option<&str>,
    ) -> Result<Vec<Registration>, AgentError> {
        // `reg$` sorts right after every `reg#…`.
        let from = after.map_or("reg#".to_string(), |a| format!("reg#{a}"));
        let q = Query::table(pk).sort(SortKey::Between(from, "reg$".into()));
        Ok(ctx
            .query(Domain::Knowledge, &q)
            .await?
            .iter()
            .map(|i| i.parse::<Registration>())
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|r| r.status == RegistrationStatus::Registered)
            .filter(|r| after.is_none_or(|a| r.email.as_str() > a))
            .collect())
    }

    /// The daily reminder run.
    ///
    /// Bounded by continuing in the next run: one run writes the reminder progress of at most
    /// [`WEBINARS_PER_RUN`] webinars (one write each), the soonest first, and sends at most
    /// [`REMINDER_BYTES_PER_RUN`] bytes of reminders (they ride in the run's idempotency record
    /// until sent). A webinar whose registrants do not all fit keeps the last address reminded
    /// and continues there in the next run; those left are still ahead at the next daily run
    /// (the window, `reminder_hours_ahead`, reaches past it). Only a webinar starting before
    /// the next run that this run could not finish is raised as an exception, never dropped
    /// silently.
    async fn on_daily(&self, ctx: &mut Ctx<'_>, tick: &ScheduleTick) -> Result<(), AgentError> {
        let next_run = tick.at + Duration::days(1);
        let mut writes = 0;
        let mut budget = REMINDER_BYTES_PER_RUN;
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
            let page = if writes < WEBINARS_PER_RUN {
                let regs = self
                    .registrations_after(ctx, &pk, w.reminded_through.as_deref())
                    .await?;
                Some(reminder_page(&w.webinar, &regs, budget))
            } else {
                None
            };
            let complete = page.as_ref().is_some_and(|p| p.complete);
            if !complete && w.webinar.starts_at < next_run {
                ctx.emit(ExceptionRaised {
                    agent: NAME.into(),
                    subject: w.webinar.webinar_id.clone(),
                    reason: format!(
                        "more reminders than one run sends ({WEBINARS_PER_RUN} webinars, \
                         {REMINDER_BYTES_PER_RUN} bytes of mail): webinar {} starts before the \
                         next run with registrants not reminded",
                        w.webinar.webinar_id
                    ),
                    severity: Severity::Low,
                })?;
            }
            let Some(page) = page else { continue };
            if page.mails.is_empty() && !page.complete {
                continue; // not even one more mail fits this run
            }
            budget -= page.bytes;
            for mail in page.mails {
                ctx.send_mail(mail)?;
            }
            let v = w.version;
            w.reminded = page.complete;
            if page.last.is_some() {
                w.reminded_through = page.last;
            }
            w.version += 1;
            writes += 1;
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

/// Webinars one daily run records reminder progress for (one write each): derived from AWS's
/// limit on one message's transaction, not a business setting.
pub const WEBINARS_PER_RUN: usize = ascent_core::limits::MAX_WRITES;

/// Bytes of reminder mail one daily run sends at most: pending mails ride in the run's
/// idempotency record, one DynamoDB item of at most 400 KB; half of it leaves room.
pub const REMINDER_BYTES_PER_RUN: usize = ascent_core::limits::MAX_ITEM_BYTES / 2;

/// One run's reminders of one webinar.
#[derive(Debug, PartialEq)]
struct ReminderPage {
    mails: Vec<Mail>,
    /// Their size, as they ride in the idempotency record.
    bytes: usize,
    /// The last address reminded (`None`: nobody this time).
    last: Option<String>,
    /// Every registrant is reminded after this page.
    complete: bool,
}

/// The reminders to `regs` (those not reminded yet, in address order) that fit `budget`
/// bytes, in order.
fn reminder_page(w: &WebinarScheduled, regs: &[Registration], budget: usize) -> ReminderPage {
    let mut page = ReminderPage {
        mails: Vec::new(),
        bytes: 0,
        last: None,
        complete: true,
    };
    for r in regs {
        let mail = Mail {
            to: r.email.clone(),
            subject: format!("Tomorrow: {}", w.title),
            text: format!("{} starts {}.\n", w.title, stamp(w.starts_at)),
            html: None,
            ..Default::default()
        };
        let bytes = serde_json::to_vec(&mail).map_or(usize::MAX, |v| v.len());
        if page.bytes.saturating_add(bytes) > budget {
            page.complete = false;
            break;
        }
        page.bytes += bytes;
        page.last = Some(r.email.clone());
        page.mails.push(mail);
    }
    page
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
            created_at: None,
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
    fn put_webinar(t: &TestTwin, w: WebinarScheduled, regs: &[String]) {
        use ascent_core::ports::{IndexKey, Item};
        let pk = format!("webinar#{}", w.webinar_id);
        let mut item = Item::new(
            pk.clone(),
            "webinar",
            serde_json::to_value(Webinar {
                registered: regs.len() as u32,
                webinar: w.clone(),
                waitlisted: 0,
                reminded: false,
                reminded_through: None,
                version: 0,
            })
            .unwrap(),
        );
        item.gsi1 = Some(IndexKey {
            pk: UPCOMING.into(),
            sk: format!("{}#{}", stamp(w.starts_at), w.webinar_id),
        });
        t.put(Domain::Knowledge, item);
        for email in regs {
            let reg = Registration {
                email: email.clone(),
                name: "N".into(),
                status: RegistrationStatus::Registered,
            };
            t.put(
                Domain::Knowledge,
                Item::new(
                    pk.clone(),
                    format!("reg#{email}"),
                    serde_json::to_value(reg).unwrap(),
                ),
            );
        }
    }

    fn reminders_by_address(t: &TestTwin) -> std::collections::BTreeMap<String, usize> {
        let mut n = std::collections::BTreeMap::new();
        for m in t.runtime.mails().unwrap() {
            if m.subject.starts_with("Tomorrow") {
                *n.entry(m.to).or_insert(0) += 1;
            }
        }
        n
    }

    fn limited_twin(start: DateTime<Utc>) -> TestTwin {
        TestTwin::new(vec![Arc::new(Training::default())], start)
    }

    /// Bulk work never depends on its size (issue 19): 1,000 webinars, 45 a day (90 in the
    /// first 36-hour window, more than one run's WEBINARS_PER_RUN), are all reminded once, in
    /// time, within AWS's limits.
    #[test]
    fn a_thousand_webinars_are_all_reminded_once_within_aws_limits() {
        let start = at("2026-03-02T06:00:00Z");
        let t = limited_twin(start);
        for i in 0..1000i64 {
            let begins = start + Duration::days(i / 45) + Duration::minutes(180 + (i % 45) * 10);
            put_webinar(
                &t,
                WebinarScheduled {
                    webinar_id: format!("W{i:04}"),
                    title: format!("Webinar {i}"),
                    topic: "fleet".into(),
                    starts_at: begins,
                    duration_minutes: 30,
                    capacity: 10,
                    presenter: "Lea".into(),
                },
                &[format!("r{i:04}@x.example")],
            );
        }
        for day in 0..27 {
            t.tick("daily", start + Duration::days(day));
        }
        assert!(
            t.runtime.dead_letters().unwrap().is_empty(),
            "{:?}",
            t.runtime.dead_letters()
        );
        assert!(t.emitted("ExceptionRaised").is_empty());
        let sent = reminders_by_address(&t);
        assert_eq!(sent.len(), 1000);
        assert!(sent.values().all(|n| *n == 1), "each reminded once");
        for i in 0..1000 {
            let w = t
                .get(Domain::Knowledge, &format!("webinar#W{i:04}"), "webinar")
                .unwrap();
            assert_eq!(w["reminded"], true, "W{i:04}");
        }
    }

    /// One webinar with 1,000 registrants, whose reminders are more than one run sends: the
    /// next run continues after the last address reminded; each is reminded exactly once.
    #[test]
    fn a_thousand_registrants_are_reminded_once_over_two_runs_within_aws_limits() {
        let start = at("2026-03-02T06:00:00Z");
        let t = limited_twin(start);
        let regs: Vec<String> = (0..1000).map(|i| format!("r{i:04}@x.example")).collect();
        put_webinar(
            &t,
            WebinarScheduled {
                webinar_id: "BIG".into(),
                title: format!("Fleet management at scale {}", "·".repeat(60)),
                topic: "fleet".into(),
                starts_at: start + Duration::hours(30),
                duration_minutes: 60,
                capacity: 1000,
                presenter: "Lea".into(),
            },
            &regs,
        );
        t.tick("daily", start);
        let first = reminders_by_address(&t).len();
        assert!(0 < first && first < 1000, "{first} in the first run");
        let w = t.get(Domain::Knowledge, "webinar#BIG", "webinar").unwrap();
        assert_eq!(w["reminded"], false);
        t.tick("daily", start + Duration::days(1));
        t.tick("daily", start + Duration::days(2));
        assert!(
            t.runtime.dead_letters().unwrap().is_empty(),
            "{:?}",
            t.runtime.dead_letters()
        );
        assert!(t.emitted("ExceptionRaised").is_empty());
        let sent = reminders_by_address(&t);
        assert_eq!(sent.keys().cloned().collect::<Vec<_>>(), regs);
        assert!(sent.values().all(|n| *n == 1), "each reminded once");
        let w = t.get(Domain::Knowledge, "webinar#BIG", "webinar").unwrap();
        assert_eq!(w["reminded"], true);
    }

    /// A webinar starting before the next run whose registrants do not all fit this run is
    /// raised, not dropped silently.
    #[test]
    fn reminders_that_cannot_all_go_before_the_start_are_raised() {
        let start = at("2026-03-02T06:00:00Z");
        let t = limited_twin(start);
        let regs: Vec<String> = (0..1000).map(|i| format!("r{i:04}@x.example")).collect();
        put_webinar(
            &t,
            WebinarScheduled {
                webinar_id: "SOON".into(),
                title: format!("Fleet management at scale {}", "·".repeat(60)),
                topic: "fleet".into(),
                starts_at: start + Duration::hours(10),
                duration_minutes: 60,
                capacity: 1000,
                presenter: "Lea".into(),
            },
            &regs,
        );
        t.tick("daily", start);
        let raised = t.emitted("ExceptionRaised");
        assert_eq!(raised.len(), 1);
        let Payload::ExceptionRaised(x) = raised[0].payload() else {
            unreachable!()
        };
        assert_eq!(x.subject, "SOON");
    }

    #[test]
    fn a_reminder_page_stops_at_its_byte_budget() {
        let w = WebinarScheduled {
            webinar_id: "W".into(),
            title: "T".into(),
            topic: "t".into(),
            starts_at: at("2026-03-05T16:00:00Z"),
            duration_minutes: 30,
            capacity: 3,
            presenter: "P".into(),
        };
        let regs: Vec<Registration> = ["a@x.example", "b@x.example", "c@x.example"]
            .iter()
            .map(|e| Registration {
                email: (*e).into(),
                name: "N".into(),
                status: RegistrationStatus::Registered,
            })
            .collect();
        let all = reminder_page(&w, &regs, usize::MAX);
        assert!(all.complete);
        assert_eq!(all.mails.len(), 3);
        let one = all.bytes / 3;
        let two = reminder_page(&w, &regs, 2 * one + 1);
        assert_eq!(two.mails.len(), 2);
        assert_eq!(two.last.as_deref(), Some("b@x.example"));
        assert!(!two.complete);
        let none = reminder_page(&w, &[], 0);
        assert!(none.complete && none.mails.is_empty() && none.last.is_none());
    }
}
