//! Scheduling posts: engagement learned per platform and slot, requested posts placed in the
//! best free slot ([`crate::slots`]).
//!
//! Records: each post's latest engagement observation `social#engagement#<post>` and each
//! platform's slot statistics `social#slots#<platform>` (performance domain); each requested
//! post `social#post#<post>` and the platform's calendar `social#calendar#<platform>` /
//! `<slot start>`, one item per taken slot (interaction domain). A scheduled post is on its
//! platform's due index (`gsi1` `social#due#<platform>` / `<due time>#<post>`) until it is
//! published or failed ([`crate::publishing_run`]). A request is at most two writes; the
//! calendar read is bounded by the horizon (at most 24 slots a day).

use crate::publishing::{PostState, PublishedPost};
use crate::slots::{self, Slot, SlotStats};
use crate::{SocialMedia, invalid, required};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    PostEngagementObserved, SlotBasis, SocialPostRequested, SocialPostScheduled,
};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A post's engagement as last observed (the one counted in its slot).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub platform: String,
    pub slot: String,
    pub impressions: u64,
    pub engagements: u64,
}

/// A requested post and where it went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostRecord {
    pub post_id: String,
    pub platform: String,
    pub text: String,
    /// Its slot's start; none when no slot was free within the horizon.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub slot: Option<String>,
    pub basis: Option<SlotBasis>,
    /// Where it stands in publishing ([`crate::publishing`]).
    #[serde(default)]
    pub state: PostState,
    /// When a publishing run may take it: its slot, or a retry's time after a passing
    /// failure (none once published or failed).
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// Publishing runs it was tried in.
    #[serde(default)]
    pub tries: u32,
    /// The last failure, for a person to see.
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub last_tried_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub published: Option<PublishedPost>,
    /// Optimistic concurrency of the runs' writes.
    #[serde(default)]
    pub version: u32,
}

/// The calendar entry of a taken slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Taken {
    pub post_id: String,
    pub at: DateTime<Utc>,
}

pub fn stats_pk(platform: &str) -> String {
    format!("social#slots#{platform}")
}

pub fn calendar_pk(platform: &str) -> String {
    format!("social#calendar#{platform}")
}

pub fn post_pk(post: &str) -> String {
    format!("social#post#{post}")
}

fn slot_key(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%MZ").to_string()
}

impl SocialMedia {
    async fn stats(&self, ctx: &mut Ctx<'_>, platform: &str) -> Result<SlotStats, AgentError> {
        Ok(ctx
            .get_as(Domain::Performance, &stats_pk(platform), "stats")
            .await?
            .unwrap_or_default())
    }

    pub(crate) async fn on_engagement(
        &self,
        ctx: &mut Ctx<'_>,
        e: &PostEngagementObserved,
    ) -> Result<(), AgentError> {
        required("post_id", &e.post_id)?;
        self.platform(&e.platform)?;
        if e.engagements > e.impressions {
            return Err(invalid(
                "engagements",
                format!(
                    "{} is more than the {} impressions",
                    e.engagements, e.impressions
                ),
            ));
        }
        let pk = format!("social#engagement#{}", e.post_id);
        let before: Option<Observed> = ctx.get_as(Domain::Performance, &pk, "observed").await?;
        // Counts only grow: an older observation arriving late changes nothing.
        if before
            .as_ref()
            .is_some_and(|b| b.impressions >= e.impressions)
        {
            return Ok(());
        }
        let slot = Slot::of(e.posted_at, self.config.zone());
        let mut stats = self.stats(ctx, &e.platform).await?;
        let previous = (stats.version > 0).then_some(stats.version);
        if let Some(b) = &before
            && let Some(old) = Slot::parse(&b.slot)
        {
            stats.apply(old, b.impressions, b.engagements, false);
        }
        stats.apply(slot, e.impressions, e.engagements, true);
        stats.version += 1;
        let observed = Observed {
            platform: e.platform.clone(),
            slot: slot.label(),
            impressions: e.impressions,
            engagements: e.engagements,
        };
        ctx.put_record(
            Domain::Performance,
            &pk,
            "observed",
            &observed,
            None,
            Condition::Always,
        )?;
        ctx.put_record(
            Domain::Performance,
            &stats_pk(&e.platform),
            "stats",
            &stats,
            None,
            Condition::version(previous),
        )
    }

    pub(crate) async fn on_post_requested(
        &self,
        ctx: &mut Ctx<'_>,
        p: &SocialPostRequested,
    ) -> Result<(), AgentError> {
        required("post_id", &p.post_id)?;
        required("text", &p.text)?;
        self.platform(&p.platform)?;
        let pk = post_pk(&p.post_id);
        if ctx.get(Domain::Interaction, &pk, "post").await?.is_some() {
            return Ok(()); // requested twice
        }
        let s = &self.config.scheduling;
        let stats = self.stats(ctx, &p.platform).await?;
        let (ranked, basis) = slots::best_slots(&stats, &p.platform, s);
        // Never in the past.
        let earliest = p.earliest.max(ctx.cause().time);
        let until = earliest + Duration::days(i64::from(s.horizon_days) + 1);
        let taken: Vec<Taken> = ctx
            .query_as(
                Domain::Interaction,
                &Query::table(calendar_pk(&p.platform))
                    .sort(SortKey::Between(
                        slot_key(earliest - Duration::hours(1)),
                        slot_key(until),
                    ))
                    .limit((s.horizon_days as usize + 2) * 24),
            )
            .await?;
        let taken: BTreeSet<DateTime<Utc>> = taken.into_iter().map(|t| t.at).collect();
        let picked = slots::pick(
            &ranked,
            earliest,
            s.horizon_days,
            &taken,
            self.config.zone(),
        );
        let mut record = PostRecord {
            post_id: p.post_id.clone(),
            platform: p.platform.clone(),
            text: p.text.clone(),
            scheduled_for: None,
            slot: None,
            basis: None,
            state: PostState::Unscheduled,
            due_at: None,
            tries: 0,
            last_error: None,
            last_tried_at: None,
            published: None,
            version: 0,
        };
        let Some((at, slot)) = picked else {
            ctx.put_record(
                Domain::Interaction,
                &pk,
                "post",
                &record,
                None,
                Condition::NotExists,
            )?;
            return ctx.send_mail(Mail {
                to: self.config.owner.clone(),
                subject: format!("No free {} slot for post {}", p.platform, p.post_id),
                text: format!(
                    "Post {} for {} found no free slot among its best slots within {} days of {}.\n\
                     Schedule it by hand, or request it again with a later earliest time.\n\n{}\n",
                    p.post_id,
                    p.platform,
                    s.horizon_days,
                    earliest.format("%Y-%m-%d %H:%M UTC"),
                    p.text
                ),
                ..Mail::default()
            });
        };
        record.scheduled_for = Some(at);
        record.slot = Some(slot.slot.label());
        record.basis = Some(basis);
        record.state = PostState::Scheduled;
        record.due_at = Some(at);
        ctx.put_record(
            Domain::Interaction,
            &calendar_pk(&p.platform),
            &slot_key(at),
            &Taken {
                post_id: p.post_id.clone(),
                at,
            },
            None,
            Condition::NotExists,
        )?;
        ctx.put_record(
            Domain::Interaction,
            &pk,
            "post",
            &record,
            record.index(),
            Condition::NotExists,
        )?;
        ctx.emit(SocialPostScheduled {
            post_id: p.post_id.clone(),
            platform: p.platform.clone(),
            scheduled_for: at,
            slot: slot.slot.label(),
            basis,
            engagement_rate: slot.rate.map(|r| (r * 10_000.0).round() / 10_000.0),
        })
    }
}
