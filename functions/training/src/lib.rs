//! # Training agent
//!
//! Keeps the knowledge base (`KnowledgeArticlePublished`: articles with tags and versions,
//! older revisions ignored; [`ascent_knowledge`]) and the webinar calendar
//! (`WebinarScheduled`; registrations up to capacity, then a waitlist; reminders the day
//! before). For every new ticket it searches the knowledge base (BM25): articles that answer
//! it, and upcoming webinars on its topic, are recommended to the customer
//! (`TrainingRecommended`, `tickets.rs`); a ticket no article answers counts towards the
//! knowledge gap whose topic is most like its own (stemmed key terms, order-free: `gaps.rs`),
//! and the second such ticket raises `KnowledgeGapFound` for the documentation team.

mod gaps;
mod settings;
mod tickets;

pub use settings::TrainingConfig;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    ExceptionRaised, KnowledgeArticlePublished, Payload, RegistrationStatus, ScheduleTick,
    Severity, WebinarRegistered, WebinarRegistrationRequested, WebinarScheduled,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use ascent_core::privacy::{Personal, Retention};
use ascent_knowledge::{Article, KnowledgeCache};
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
            // Webinars and their registrations (the sort key holds the registrant's address);
            // a webinar names its presenter and, while a reminder run pages, the last address
            // reminded.
            owns(Domain::Knowledge, "webinar#").holding(Personal::deleted(
                &["email", "name", "webinar.presenter", "reminded_through"],
                &["email"],
                "Register, confirm and remind the webinar's attendees",
                Retention::Days("interactions_days"),
            )),
            // Topics no article answers, with the tickets' ids: no one's data.
            owns(Domain::Knowledge, "gap#"),
            // The knowledge base's articles: no one's data.
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
            if page.complete {
                // Done: the cursor (an attendee's address) is kept no longer than needed.
                w.reminded_through = None;
            } else if page.last.is_some() {
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
mod tests;
