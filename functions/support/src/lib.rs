//! # Support agent
//!
//! Every new ticket (`TicketOpened`, from the support desk or from the verified Zendesk and
//! Intercom webhooks in [`inbound`]) is first checked against the customer's open tickets: a
//! near-duplicate from the same account within three days is merged into it
//! (`TicketMerged`). Otherwise it is triaged ([`triage`]: priority from the customer's tier,
//! keywords and sentiment; category; team), given first-response and resolution deadlines in
//! the team's business hours ([`sla`]; urgent tickets around the clock), and matched against
//! the knowledge base (BM25) for suggested answers; `TicketTriaged` goes out and the team's
//! queue gets the ticket by email. Every hour the deadlines are checked: a missed one raises
//! `SlaBreached` once per timer and tells the team lead. `TicketResponded` stops the
//! first-response timer, `TicketResolved` both.
//!
//! A ticket from Zendesk or Intercom gets Support's decisions back at its desk ([`desk`]): the
//! triage, missed deadlines and a merged duplicate solved are queued with the decision and sent
//! by the hourly run ([`desk_sync`]) through the desk's adapter ([`zendesk`], [`intercom`]);
//! a refused change is held and put to a person.

mod deadlines;
mod decl;
pub mod desk;
pub mod desk_settings;
pub mod desk_sync;
pub mod inbound;
pub mod intercom;
pub mod merge;
mod settings;
pub mod sla;
pub mod triage;
pub mod words;
pub mod zendesk;

use merge::OpenTicket;

pub use decl::declaration;
pub use settings::{SlaTarget, SupportConfig, SupportTeam};

use ascent_core::agent::{Agent, AgentDecl, AgentError, Domain};
use ascent_core::catalog::{
    Payload, SlaTimer, TicketOpened, TicketPriority, TicketResolved, TicketResponded, TicketTriaged,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Mail, Query};
use ascent_knowledge::KnowledgeCache;
use async_trait::async_trait;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const NAME: &str = "support";
/// `gsi1` partition of tickets with a running SLA timer, sorted by the next deadline or
/// warning.
pub const PENDING: &str = "sla#pending";
/// The schedule the SLA check runs on (`[schedule] sla_check_minutes`).
pub const SLA_SCHEDULE: &str = "sla";
/// The schedule changes are sent to the desks on.
pub const DESK_SCHEDULE: &str = "hourly";

/// A ticket as Support keeps it (`ticket#<id>` / `ticket`, interaction domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket_id: String,
    pub account_id: String,
    /// Who asked (lower-cased email), when the desk said: what finds the ticket for them.
    #[serde(default)]
    pub requester: Option<String>,
    pub subject: String,
    pub priority: TicketPriority,
    pub category: String,
    pub team: String,
    pub opened_at: DateTime<Utc>,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub breached: Vec<SlaTimer>,
    pub merged_into: Option<String>,
    pub version: u32,
    /// When the team lead is warned of each timer (`[support] warn_at_pct` of its target).
    #[serde(default)]
    pub first_response_warn_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolution_warn_at: Option<DateTime<Utc>>,
    /// Timers the lead was warned of.
    #[serde(default)]
    pub warned: Vec<SlaTimer>,
    /// Pending on the customer since then: the clocks are paused.
    #[serde(default)]
    pub paused_at: Option<DateTime<Utc>>,
}

impl Ticket {
    /// Whether a timer still runs (not stopped, not breached, not paused).
    pub(crate) fn running(&self, timer: SlaTimer) -> bool {
        let stopped = match timer {
            SlaTimer::FirstResponse => self.responded_at.is_some() || self.resolved_at.is_some(),
            SlaTimer::Resolution => self.resolved_at.is_some(),
        };
        !stopped
            && self.merged_into.is_none()
            && self.paused_at.is_none()
            && !self.breached.contains(&timer)
    }

    pub(crate) fn due(&self, timer: SlaTimer) -> DateTime<Utc> {
        match timer {
            SlaTimer::FirstResponse => self.first_response_due,
            SlaTimer::Resolution => self.resolution_due,
        }
    }

    pub(crate) fn warn_at(&self, timer: SlaTimer) -> Option<DateTime<Utc>> {
        match timer {
            SlaTimer::FirstResponse => self.first_response_warn_at,
            SlaTimer::Resolution => self.resolution_warn_at,
        }
        .filter(|_| !self.warned.contains(&timer))
    }

    /// The next deadline or warning of a running timer, if any.
    fn next_deadline(&self) -> Option<DateTime<Utc>> {
        [SlaTimer::FirstResponse, SlaTimer::Resolution]
            .into_iter()
            .filter(|t| self.running(*t))
            .flat_map(|t| [Some(self.due(t)), self.warn_at(t)])
            .flatten()
            .min()
    }
}

fn ticket_pk(id: &str) -> String {
    format!("ticket#{id}")
}
pub(crate) fn open_pk(account: &str) -> String {
    format!("support-open#{account}")
}
/// A ticket's deadlines and the points its team lead is warned at.
pub(crate) struct Clocks {
    pub first_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub first_warn: DateTime<Utc>,
    pub resolution_warn: DateTime<Utc>,
}

pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
pub struct Support {
    decl: AgentDecl,
    config: SupportConfig,
    zone: Tz,
    knowledge: KnowledgeCache,
    desks: desk_sync::Desks,
}

impl Support {
    pub fn new(config: SupportConfig) -> Result<Self, String> {
        let zone = config
            .hours
            .time_zone
            .parse()
            .map_err(|_| format!("`{}` is not a time zone", config.hours.time_zone))?;
        Ok(Self {
            decl: declaration(),
            knowledge: KnowledgeCache::new(config.search.clone()),
            config,
            zone,
            desks: Default::default(),
        })
    }

    pub(crate) fn save(
        &self,
        ctx: &mut Ctx<'_>,
        t: &Ticket,
        previous: Option<u32>,
    ) -> Result<(), AgentError> {
        let index = t
            .next_deadline()
            .map(|d| (PENDING.to_string(), format!("{}#{}", stamp(d), t.ticket_id)));
        let condition = Condition::version(previous);
        ctx.put_record(
            Domain::Interaction,
            &ticket_pk(&t.ticket_id),
            "ticket",
            t,
            index,
            condition,
        )
    }

    async fn ticket(&self, ctx: &mut Ctx<'_>, id: &str) -> Result<Option<Ticket>, AgentError> {
        ctx.get_as(Domain::Interaction, &ticket_pk(id), "ticket")
            .await
    }

    async fn on_opened(&self, ctx: &mut Ctx<'_>, o: &TicketOpened) -> Result<(), AgentError> {
        if o.subject.trim().is_empty() && o.body.trim().is_empty() {
            return Err(AgentError::Invalid(format!(
                "ticket {}: subject and body are both empty",
                o.ticket_id
            )));
        }
        if self.ticket(ctx, &o.ticket_id).await?.is_some() {
            return Ok(());
        }
        // Opened, and its SLA clocks started, when the customer opened it at the desk (its
        // `created_at`, else the event's time), however late it reaches Support.
        let now = o
            .created_at
            .map_or(ctx.cause().time, |c| c.min(ctx.cause().time));
        let words = triage::topic_words(&format!("{} {}", o.subject, o.body));
        let open: Vec<OpenTicket> = ctx
            .query_as(Domain::Interaction, &Query::table(open_pk(&o.account_id)))
            .await?;
        let plan: Option<String> = ctx
            .get(
                Domain::Customer,
                &format!("support-account#{}", o.account_id),
                "account",
            )
            .await?
            .and_then(|i| i.data["plan"].as_str().map(str::to_string));
        let boosted = plan
            .as_deref()
            .filter(|p| self.config.boost_plans.iter().any(|b| b == p));
        let t = self.config.triage.triage(&o.subject, &o.body, boosted);
        let me = OpenTicket {
            ticket_id: o.ticket_id.clone(),
            words,
            opened_at: now,
            requester: o.requester.as_deref().map(str::to_lowercase),
            category: Some(t.category.to_string()),
            priority: Some(t.priority),
        };
        let rule = merge::MergeRule {
            similarity: self.config.duplicate_similarity,
            within: Duration::hours(self.config.duplicate_hours),
        };
        let duplicate = merge::merge_into(&open, &me, now, rule).cloned();
        let Clocks {
            first_due,
            resolution_due: resolve_due,
            first_warn,
            resolution_warn: resolve_warn,
        } = self.clocks(now, t.priority);
        let mut ticket = Ticket {
            ticket_id: o.ticket_id.clone(),
            account_id: o.account_id.clone(),
            requester: me.requester.clone(),
            subject: o.subject.clone(),
            priority: t.priority,
            category: t.category.into(),
            team: t.team.into(),
            opened_at: now,
            first_response_due: first_due,
            resolution_due: resolve_due,
            responded_at: None,
            resolved_at: None,
            breached: vec![],
            merged_into: None,
            version: 0,
            first_response_warn_at: Some(first_warn),
            resolution_warn_at: Some(resolve_warn),
            warned: vec![],
            paused_at: None,
        };
        if let Some(into) = duplicate {
            ticket.merged_into = Some(into.ticket_id.clone());
            self.save(ctx, &ticket, None)?;
            return self.merge(ctx, o, into, t.priority).await;
        }
        let kb = self.knowledge.get(ctx).await?;
        let suggested: Vec<String> = kb
            .search(
                &format!("{} {}", o.subject, o.body),
                3,
                self.config.min_article_score,
            )?
            .into_iter()
            .map(|h| h.article_id)
            .collect();
        ctx.put_record(
            Domain::Interaction,
            &open_pk(&o.account_id),
            &o.ticket_id,
            &me,
            None,
            Condition::Always,
        )?;
        self.save(ctx, &ticket, None)?;
        let articles = if suggested.is_empty() {
            "none found".to_string()
        } else {
            suggested
                .iter()
                .map(|id| {
                    let title = kb.article(id).map(|a| a.title.as_str()).unwrap_or_default();
                    format!("{id} ({title})")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        ctx.send_mail(Mail {
            to: self.config.team(&ticket.team)?.queue.clone(),
            subject: format!("[{:?}] {} ({})", ticket.priority, o.subject, o.ticket_id),
            text: format!(
                "Account {}; first response by {}, resolution by {}.\nSuggested articles: {articles}\n\
                 Why: {}\n\n{}\n",
                o.account_id,
                stamp(first_due),
                stamp(resolve_due),
                t.reasons.join("; "),
                o.body
            ),
            html: None,
            ..Default::default()
        })?;
        let triaged = TicketTriaged {
            ticket_id: o.ticket_id.clone(),
            account_id: o.account_id.clone(),
            priority: t.priority,
            category: t.category.into(),
            team: t.team.into(),
            sentiment: t.sentiment,
            first_response_due: first_due,
            resolution_due: resolve_due,
            suggested_articles: suggested,
            reasons: t.reasons,
        };
        if let Some((desk, remote)) = self.desk_of(&o.ticket_id) {
            let titled: Vec<(String, String)> = triaged
                .suggested_articles
                .iter()
                .map(|id| {
                    let title = kb.article(id).map(|a| a.title.clone()).unwrap_or_default();
                    (id.clone(), title)
                })
                .collect();
            let update = desk::triage_update(&triaged, &remote, &titled);
            self.queue_for_desk(ctx, desk, now, "triage", update)?;
        }
        ctx.emit(triaged)
    }

    /// A ticket's deadlines and warning points from `opened` at `priority`'s targets.
    pub(crate) fn clocks(&self, opened: DateTime<Utc>, priority: TicketPriority) -> Clocks {
        let target = self.config.target(priority);
        let hours = &self.config.hours;
        let warn = |minutes| {
            sla::warning_at(
                opened,
                minutes,
                self.config.warn_at_pct,
                target,
                hours,
                self.zone,
            )
        };
        let (first_due, resolution_due) = sla::deadlines(opened, target, hours, self.zone);
        Clocks {
            first_due,
            resolution_due,
            first_warn: warn(target.first_response_minutes),
            resolution_warn: warn(target.resolution_minutes),
        }
    }

    pub(crate) async fn known(&self, ctx: &mut Ctx<'_>, id: &str) -> Result<Ticket, AgentError> {
        // The desk may report a response before the ticket's own event got here: retried.
        self.ticket(ctx, id).await?.ok_or_else(|| {
            AgentError::Transient(format!("ticket {id} is not known to support yet"))
        })
    }

    async fn on_responded(&self, ctx: &mut Ctx<'_>, r: &TicketResponded) -> Result<(), AgentError> {
        let mut t = self.known(ctx, &r.ticket_id).await?;
        if t.responded_at.is_some() {
            return Ok(());
        }
        let v = t.version;
        t.responded_at = Some(r.responded_at);
        t.version += 1;
        self.save(ctx, &t, Some(v))
    }

    async fn on_resolved(&self, ctx: &mut Ctx<'_>, r: &TicketResolved) -> Result<(), AgentError> {
        let mut t = self.known(ctx, &r.ticket_id).await?;
        if t.resolved_at.is_some() {
            return Ok(());
        }
        let v = t.version;
        t.resolved_at = Some(ctx.cause().time);
        t.version += 1;
        ctx.delete(Domain::Interaction, &open_pk(&t.account_id), &t.ticket_id)?;
        self.save(ctx, &t, Some(v))
    }
}

/// Tickets one SLA check handles (one write each, and one more for a ticket from a desk whose
/// missed deadlines are queued for it): within what one DynamoDB transaction holds
/// ([`ascent_core::limits::MAX_WRITES`]), a technical bound, not a setting.
pub const SLA_CHECKS_PER_RUN: usize = 24;
const _: () = assert!(2 * SLA_CHECKS_PER_RUN <= ascent_core::limits::MAX_WRITES);

#[async_trait]
impl Agent for Support {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::TicketOpened(o) => self.on_opened(ctx, o).await,
            Payload::TicketResponded(r) => self.on_responded(ctx, r).await,
            Payload::TicketResolved(r) => self.on_resolved(ctx, r).await,
            Payload::CustomerSignedUp(s) => ctx.put_record(
                Domain::Customer,
                &format!("support-account#{}", s.account_id),
                "account",
                &json!({"plan": s.plan.trim().to_ascii_lowercase()}),
                None,
                Condition::Always,
            ),
            Payload::TicketStatusChanged(c) => self.on_status(ctx, c).await,
            Payload::ScheduleTick(t) if t.schedule == DESK_SCHEDULE => {
                self.on_desk_run(ctx, t).await
            }
            Payload::ScheduleTick(t) => self.on_sla_check(ctx, t).await,
            Payload::ApprovalDecided(d) => self.on_desk_decided(ctx, d).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod desk_tests;
#[cfg(test)]
mod stub_desk;
#[cfg(test)]
mod tests;
