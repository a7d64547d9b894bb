//! The publishing runs: the hourly tick starts one per platform, and each page publishes the
//! next posts due by the run's start through the platform's publisher.
//!
//! Records (interaction domain): `social#publishing#<platform>` / `run`, the platform's
//! latest run ([`PublishingRun`]: its page, what it published, retried and failed, why it
//! stopped, or why publishing is off); the posts (`social#post#<post>` / `post`, on `gsi1`
//! under `social#due#<platform>` while due and under `social#failed` once failed).
//!
//! Bounded: a page publishes at most `max_posts_per_run` posts and starts none after
//! `page_seconds`; a post is one write and one event (a failed one a mail too). A rate limit
//! or an unavailable platform ends the run: the posts after it wait for the next hour.

use crate::publisher::Post;
use crate::publishing::{self, Outcome, PostState, due_pk, stamp};
use crate::scheduling::{PostRecord, post_pk};
use crate::{NAME, SocialMedia};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    ExceptionRaised, Severity, SocialPostPublished, SocialPublishingPageDue,
};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

const D: Domain = Domain::Interaction;

pub fn run_pk(platform: &str) -> String {
    format!("social#publishing#{platform}")
}

/// A platform's latest publishing run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PublishingRun {
    /// The tick's time: posts due by then are published.
    pub started_at: DateTime<Utc>,
    /// The page due next.
    pub page: u32,
    pub finished: bool,
    /// Why nothing is published on the platform (no publisher, no token).
    #[serde(default)]
    pub off: Option<String>,
    /// Posts due and waiting, when publishing is off (counted up to `max_posts_per_run` + 1).
    #[serde(default)]
    pub waiting: u32,
    pub published: u32,
    /// Posts that met a passing failure and are due again later.
    pub retrying: u32,
    pub failed: u32,
    /// Why the run ended before the due posts ran out (a rate limit, an outage).
    #[serde(default)]
    pub stopped: Option<String>,
}

impl SocialMedia {
    fn due_query(&self, platform: &str, by: DateTime<Utc>) -> Query {
        Query::gsi1(due_pk(platform))
            .sort(SortKey::AtMost(format!("{}~", stamp(by))))
            .limit(self.config.publishing.max_posts_per_run + 1)
    }

    /// The hourly tick: a run for each platform with a publisher (a run still going is
    /// replaced: its next page sees another run and stops); for the others, the record of why
    /// their due posts wait.
    pub(crate) async fn start_runs(
        &self,
        ctx: &mut Ctx<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        for platform in &self.config.platforms {
            let mut run = PublishingRun {
                started_at: at,
                ..PublishingRun::default()
            };
            if let Some(why) = self.publishing_off(platform) {
                let q = self.due_query(platform, at);
                run.waiting = ctx.query(D, &q).await?.len() as u32;
                run.off = Some(why);
                run.finished = true;
            } else {
                ctx.emit(SocialPublishingPageDue {
                    platform: platform.clone(),
                    run_started_at: at,
                    page: 0,
                })?;
            }
            let pk = run_pk(platform);
            ctx.put_record(D, &pk, "run", &run, None, Condition::Always)?;
        }
        Ok(())
    }

    /// One page of a run: the next posts due by the run's start published; then the next
    /// page, or the run finished.
    pub(crate) async fn on_publishing_page(
        &self,
        ctx: &mut Ctx<'_>,
        due: &SocialPublishingPageDue,
    ) -> Result<(), AgentError> {
        self.platform(&due.platform)?;
        let pk = run_pk(&due.platform);
        let Some(mut run) = ctx.get_as::<PublishingRun>(D, &pk, "run").await? else {
            return Ok(());
        };
        if run.finished || run.started_at != due.run_started_at || run.page != due.page {
            return Ok(()); // a redelivery, or a run replaced by a newer one
        }
        let Some(publisher) = self.publishers.get(&due.platform).cloned() else {
            run.off = self.publishing_off(&due.platform);
            run.finished = true;
            return ctx.put_record(D, &pk, "run", &run, None, Condition::Always);
        };
        let s = &self.config.publishing;
        let listed: Vec<PostRecord> = ctx
            .query_as(D, &self.due_query(&due.platform, run.started_at))
            .await?;
        let mut rest = listed.len() > s.max_posts_per_run;
        let budget = Duration::from_secs(s.page_seconds);
        let started = Instant::now();
        let mut tried = 0;
        for entry in listed.into_iter().take(s.max_posts_per_run) {
            if tried > 0 && started.elapsed() >= budget {
                rest = true;
                break;
            }
            // The index may lag the table: the post as it is now.
            let post_key = post_pk(&entry.post_id);
            let Some(mut post) = ctx.get_as::<PostRecord>(D, &post_key, "post").await? else {
                continue;
            };
            let due_now = post.due_at.is_some_and(|t| t <= run.started_at);
            if post.state != PostState::Scheduled || !due_now {
                continue;
            }
            tried += 1;
            let answer = publisher.publish(&Post {
                post_id: post.post_id.clone(),
                text: post.text.clone(),
            });
            let stop = publishing::ends_run(&answer);
            let now = ctx.now();
            let outcome = publishing::decide(answer, post.tries, now, s);
            let previous = post.version;
            post.settle(&outcome, now);
            ctx.put_record(
                D,
                &post_key,
                "post",
                &post,
                post.index(),
                Condition::version(Some(previous)),
            )?;
            match &outcome {
                Outcome::Published(p) => {
                    run.published += 1;
                    ctx.emit(SocialPostPublished {
                        post_id: post.post_id.clone(),
                        platform: post.platform.clone(),
                        remote_id: p.remote_id.clone(),
                        url: p.url.clone(),
                        scheduled_for: post.scheduled_for.unwrap_or(p.at),
                        published_at: p.at,
                    })?;
                }
                Outcome::Retry { error, .. } => {
                    run.retrying += 1;
                    run.stopped = Some(error.clone());
                }
                Outcome::Failed { error, refused } => {
                    run.failed += 1;
                    if !refused {
                        run.stopped = Some(error.clone());
                    }
                    self.tell_failed(ctx, &post, error, *refused)?;
                }
            }
            if stop {
                rest = false;
                break;
            }
        }
        run.page += 1;
        // A page that tried nothing (the index lagging) ends the run: the next tick goes on.
        if rest && tried > 0 {
            ctx.put_record(D, &pk, "run", &run, None, Condition::Always)?;
            return ctx.emit(SocialPublishingPageDue {
                platform: due.platform.clone(),
                run_started_at: run.started_at,
                page: run.page,
            });
        }
        run.finished = true;
        ctx.put_record(D, &pk, "run", &run, None, Condition::Always)
    }

    /// A post that will not go out: the owner is mailed, and `ExceptionRaised` counts it.
    fn tell_failed(
        &self,
        ctx: &mut Ctx<'_>,
        post: &PostRecord,
        error: &str,
        refused: bool,
    ) -> Result<(), AgentError> {
        let slot = post
            .scheduled_for
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let what_now = if refused {
            "The platform refused it, so it is not tried again: correct it and request it \
             again under a new post id."
        } else {
            "It is not tried again: post it by hand, or request it again under a new post id \
             once the platform is back."
        };
        ctx.send_mail(Mail {
            to: self.config.owner.clone(),
            subject: format!("Post {} was not published on {}", post.post_id, post.platform),
            text: format!(
                "Post {} for {}, scheduled for {slot}, was not published: {error}.\n{what_now}\n\n{}\n",
                post.post_id, post.platform, post.text
            ),
            ..Mail::default()
        })?;
        ctx.emit(ExceptionRaised {
            agent: NAME.into(),
            subject: post.post_id.clone(),
            reason: format!("not published on {}: {error}", post.platform),
            severity: Severity::Medium,
        })
    }
}
