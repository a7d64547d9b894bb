//! # Content Marketing agent
//!
//! Keeps a content calendar per channel (`[content_marketing.channels]`: blog, newsletter,
//! social, case study), each with its cadence, one piece a slot, and no two pieces of a channel
//! on the same or a near-identical topic within `topic_clash_days` ([`calendar`]). SEO's
//! content gaps (`ContentGapFound`) become briefs — title, target keyword and related terms,
//! audience, outline, length — placed in the brief channel's next free slot and mailed to
//! marketing ([`briefs`]). Every draft (`ContentDraftSubmitted`) goes through the quality gate
//! ([`gate`]: keyword coverage, Flesch reading ease, structure, length, banned claims) before
//! it is scheduled (`ContentScheduled`); a failing one goes back to its author with every
//! reason ([`drafts`]). A won deal (`DealClosedWon`) of a customer who agreed to be named
//! (`CaseStudyConsentGiven`, in either order) gets a case-study draft, never without the
//! consent, and none is scheduled once it is withdrawn ([`case_studies`]). Each piece's engagement (`ContentEngagementObserved`) is kept per
//! day, and on `weekly_report_day` the week's report is mailed and stored ([`performance`]).
//! Generated text goes through the text-writer port (templates locally).

pub mod briefs;
pub mod calendar;
pub mod case_studies;
pub mod drafts;
pub mod gate;
pub mod performance;
mod settings;
pub mod text;

pub use settings::{Bounds, ChannelRules, ContentConfig, GateSettings};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::Payload;
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Query, SortKey};
use ascent_core::privacy::{Personal, Retention};
use ascent_core::writer::{Brief, Draft, TemplateWriter, TextWriter};
use async_trait::async_trait;
use calendar::{Clash, Slot};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

pub const NAME: &str = "content-marketing";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Marketing,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "drafts",
                pattern: json!({"detail-type": ["ContentDraftSubmitted"]}),
            },
            Subscription {
                name: "content-gaps",
                pattern: json!({"detail-type": ["ContentGapFound"]}),
            },
            Subscription {
                name: "case-studies",
                pattern: json!({"detail-type": ["DealClosedWon", "CaseStudyConsentGiven",
                                                "CaseStudyConsentWithdrawn"]}),
            },
            Subscription {
                name: "engagement",
                pattern: json!({"detail-type": ["ContentEngagementObserved"]}),
            },
            Subscription {
                name: "weekly-report",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Knowledge, Domain::Customer, Domain::Performance],
        owns: vec![
            // A piece outlives its writer: their address is pseudonymised, the piece stays.
            owns(Domain::Knowledge, "content#").holding(Personal::pseudonymised(
                &["author"],
                &["author"],
                "Tell a draft's writer whether it passed the quality gate, and why not",
                Retention::Relationship,
            )),
            owns(Domain::Customer, "case-study#").holding(Personal::deleted(
                &[
                    "consent.contact_name",
                    "consent.contact_email",
                    "consent.quote",
                ],
                &["consent.contact_email"],
                "Draft a case study naming the customer's contact, who agreed to it",
                Retention::Relationship,
            )),
            owns(Domain::Performance, "content#"),
        ],
        emits: vec!["ContentScheduled"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: true,
    }
}

pub struct ContentMarketing {
    decl: AgentDecl,
    config: ContentConfig,
    writer: Arc<dyn TextWriter>,
}

/// Where a piece stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceState {
    /// A brief or case-study draft is out: its slot is held for the writer's draft.
    Briefed,
    /// The last draft failed the gate and went back to its author.
    Returned,
    /// The last draft passed and is scheduled on its slot.
    Scheduled,
    /// No free slot within the horizon: marketing was told.
    Unplaced,
    /// A case study whose customer withdrew its consent: never scheduled.
    Withdrawn,
}

/// One content piece (`content#piece#<id>` / `piece`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Piece {
    pub piece_id: String,
    pub channel: String,
    pub title: String,
    /// The target keyword first.
    pub keywords: Vec<String>,
    /// The target keyword's stemmed terms (what topic clashes compare).
    pub topic: Vec<String>,
    pub state: PieceState,
    /// Its calendar day, while it holds one.
    pub slot: Option<NaiveDate>,
    /// Who wrote the last draft.
    pub author: Option<String>,
    /// Fingerprint of the last draft gated (a resent draft is gated once).
    pub draft_fingerprint: Option<u64>,
    /// Why the last draft failed the gate.
    pub failures: Vec<String>,
    /// Engagement to date.
    pub views: u64,
    pub clicks: u64,
    pub shares: u64,
    pub version: u32,
}

pub fn piece_pk(piece_id: &str) -> String {
    format!("content#piece#{piece_id}")
}

pub fn calendar_pk(channel: &str) -> String {
    format!("content#calendar#{channel}")
}

/// A field that must not be blank: refused naming it.
pub(crate) fn required<'a>(field: &str, value: &'a str) -> Result<&'a str, AgentError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AgentError::Invalid(format!("{field}: is empty")));
    }
    Ok(v)
}

impl ContentMarketing {
    pub fn config(&self) -> &ContentConfig {
        &self.config
    }

    fn clash(&self) -> Clash {
        Clash {
            days: self.config.topic_clash_days,
            similarity_pct: self.config.topic_similarity_pct,
        }
    }

    pub(crate) async fn piece(
        &self,
        ctx: &mut Ctx<'_>,
        piece_id: &str,
    ) -> Result<Option<Piece>, AgentError> {
        ctx.get_as(Domain::Knowledge, &piece_pk(piece_id), "piece")
            .await
    }

    /// Saves a piece read at `p.version` (0: new), one version on.
    pub(crate) fn save_piece(&self, ctx: &mut Ctx<'_>, mut p: Piece) -> Result<(), AgentError> {
        let condition = match p.version {
            0 => Condition::NotExists,
            v => Condition::version(Some(v)),
        };
        p.version += 1;
        ctx.put_record(
            Domain::Knowledge,
            &piece_pk(&p.piece_id),
            "piece",
            &p,
            None,
            condition,
        )
    }

    /// The slots of `channel` that can bear on a placement between `from` and `to`: one
    /// bounded query (at most one slot a day over the window and the clash days either side).
    async fn slots(
        &self,
        ctx: &mut Ctx<'_>,
        channel: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Slot>, AgentError> {
        let reach = Duration::days(i64::from(self.config.topic_clash_days));
        let (lo, hi) = (from - reach, to + reach);
        let q = Query::table(calendar_pk(channel))
            .sort(SortKey::Between(lo.to_string(), hi.to_string()))
            .limit((hi - lo).num_days() as usize + 1);
        ctx.query_as(Domain::Knowledge, &q).await
    }

    /// Places `p` in its channel's calendar no earlier than `lead_days` after `today`: it keeps
    /// the slot it holds when that still fits, else takes the next free one (its old slot is
    /// released). Returns the day, or `None` when the horizon is full (nothing is written).
    pub(crate) async fn place(
        &self,
        ctx: &mut Ctx<'_>,
        p: &Piece,
        today: NaiveDate,
        lead_days: u32,
    ) -> Result<Option<NaiveDate>, AgentError> {
        let rules = &self.config.channels[&p.channel];
        let from = today + Duration::days(i64::from(lead_days));
        let to = today + Duration::days(i64::from(self.config.horizon_days));
        let taken = self.slots(ctx, &p.channel, from, to).await?;
        let keep = p
            .slot
            .filter(|d| calendar::may_keep(*d, from, &taken, &p.piece_id, &p.topic, self.clash()));
        let day = match keep {
            Some(d) => Some(d),
            None => calendar::next_free(
                &rules.cadence(),
                from,
                to,
                &taken,
                &p.piece_id,
                &p.topic,
                self.clash(),
            ),
        };
        let Some(day) = day else {
            return Ok(None);
        };
        let pk = calendar_pk(&p.channel);
        if let Some(old) = p.slot.filter(|old| *old != day) {
            ctx.delete(Domain::Knowledge, &pk, &old.to_string())?;
        }
        let slot = Slot {
            day,
            piece_id: p.piece_id.clone(),
            title: p.title.clone(),
            topic: p.topic.clone(),
        };
        let condition = if p.slot == Some(day) {
            Condition::Always
        } else {
            Condition::NotExists
        };
        ctx.put_record(
            Domain::Knowledge,
            &pk,
            &day.to_string(),
            &slot,
            None,
            condition,
        )?;
        Ok(Some(day))
    }

    /// Text through the writer; a writer that fails (Bedrock throttled, an answer refused)
    /// gives way to the template, and the text says so in `written_by`.
    pub(crate) async fn write(&self, brief: &Brief) -> Result<Draft, AgentError> {
        match self.writer.write(brief).await {
            Ok(d) => Ok(d),
            Err(err) => {
                let mut d = TemplateWriter
                    .write(brief)
                    .await
                    .map_err(|bad| AgentError::Invalid(format!("template: {bad}")))?;
                d.written_by = format!("template (writer failed: {err})");
                Ok(d)
            }
        }
    }
}

#[async_trait]
impl Agent for ContentMarketing {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        let today = event.time.date_naive();
        match event.payload() {
            Payload::ContentDraftSubmitted(d) => self.on_draft(ctx, d, today).await,
            Payload::ContentGapFound(g) => self.on_gap(ctx, g, today).await,
            Payload::DealClosedWon(d) => self.on_deal_won(ctx, d, today).await,
            Payload::CaseStudyConsentGiven(c) => self.on_consent(ctx, c, today).await,
            Payload::CaseStudyConsentWithdrawn(w) => self.on_withdrawn(ctx, w).await,
            Payload::ContentEngagementObserved(e) => self.on_engagement(ctx, e, today).await,
            Payload::ScheduleTick(t) => self.on_daily(ctx, t).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod privacy_tests;
#[cfg(test)]
mod tests;
