//! Social listening: each mention scored, recorded and counted; a spike announced once; a
//! negative mention by a known customer turned into a support ticket once.
//!
//! Records (three writes a mention): the mention `social#mention#<id>` (interaction domain,
//! expiring `mention_keep_days` after it was posted, indexed by day under
//! `social#mentions#<day>`), the day's counts `social#day#<day>`, and the mention's volume
//! bucket `social#volume` / `<bucket start>` (performance domain). Customers are learned
//! from `CustomerSignedUp` as `social-customer#<billing email>` (customer domain).

use crate::sentiment::{Hit, Sentiment};
use crate::spikes::{self, Bucket, Reading};
use crate::{SocialMedia, invalid, required};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    CustomerSignedUp, Direction, MentionObserved, ThresholdCrossed, TicketOpened,
};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Item, Mail, Query, SortKey};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Partition of the volume buckets, sorted by start.
pub const VOLUME_PK: &str = "social#volume";
/// The metric a spike's `ThresholdCrossed` names.
pub const SPIKE_METRIC: &str = "social.mention_volume_z";

/// A customer as Social Media knows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KnownCustomer {
    pub account_id: String,
    pub company: String,
}

/// A mention as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MentionRecord {
    pub mention_id: String,
    pub platform: String,
    pub author: String,
    pub author_email: Option<String>,
    pub posted_at: DateTime<Utc>,
    pub url: String,
    pub score: f64,
    pub negative: bool,
    pub hits: Vec<Hit>,
    /// The text, for the first `mentions_kept_per_day` of the day.
    pub text: Option<String>,
    /// The support ticket it opened.
    pub ticket_id: Option<String>,
}

/// One day's mention counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DayCounts {
    pub mentions: u32,
    pub kept_in_full: u32,
    pub negative: u32,
    pub tickets: u32,
    pub version: u32,
}

pub fn customer_pk(email: &str) -> String {
    format!("social-customer#{}", email.trim().to_ascii_lowercase())
}

pub fn mention_pk(id: &str) -> String {
    format!("social#mention#{id}")
}

fn day_pk(day: NaiveDate) -> String {
    format!("social#day#{day}")
}

/// The ticket a negative mention by a customer opens.
pub fn ticket_for(
    m: &MentionObserved,
    s: &Sentiment,
    c: &KnownCustomer,
    email: &str,
) -> TicketOpened {
    TicketOpened {
        ticket_id: format!("social-{}", m.mention_id),
        account_id: c.account_id.clone(),
        subject: format!(
            "Negative {} mention by {} ({})",
            m.platform, m.author, c.company
        ),
        body: format!(
            "{}\n\nPosted {} at {}\nSentiment score {:.1}",
            m.text.trim(),
            m.posted_at.format("%Y-%m-%d %H:%M UTC"),
            m.url,
            s.score
        ),
        channel: "social".into(),
        requester: Some(email.to_string()),
        created_at: Some(m.posted_at),
    }
}

impl SocialMedia {
    pub(crate) async fn on_customer(
        &self,
        ctx: &mut Ctx<'_>,
        c: &CustomerSignedUp,
    ) -> Result<(), AgentError> {
        ascent_core::contact::check_email(c.billing_email.trim())
            .map_err(|e| invalid("billing_email", e))?;
        let known = KnownCustomer {
            account_id: c.account_id.clone(),
            company: c.company.clone(),
        };
        let pk = customer_pk(&c.billing_email);
        ctx.put_record(
            Domain::Customer,
            &pk,
            "customer",
            &known,
            None,
            Condition::Always,
        )
    }

    fn check_mention(&self, m: &MentionObserved) -> Result<(), AgentError> {
        required("mention_id", &m.mention_id)?;
        required("author", &m.author)?;
        required("text", &m.text)?;
        required("url", &m.url)?;
        self.platform(&m.platform)?;
        if let Some(e) = &m.author_email {
            ascent_core::contact::check_email(e.trim()).map_err(|e| invalid("author_email", e))?;
        }
        Ok(())
    }

    pub(crate) async fn on_mention(
        &self,
        ctx: &mut Ctx<'_>,
        m: &MentionObserved,
    ) -> Result<(), AgentError> {
        self.check_mention(m)?;
        let pk = mention_pk(&m.mention_id);
        if ctx
            .get(Domain::Interaction, &pk, "mention")
            .await?
            .is_some()
        {
            return Ok(()); // the same mention reported twice
        }
        let observed = ctx.cause().time;
        // Counted when posted (a clock ahead of ours is taken as now).
        let posted = m.posted_at.min(observed);
        let sentiment = self.config.sentiment.score(&m.text);

        let day = posted.date_naive();
        let mut counts: DayCounts = ctx
            .get_as(Domain::Interaction, &day_pk(day), "count")
            .await?
            .unwrap_or_default();
        let previous = (counts.version > 0).then_some(counts.version);
        let keep_text = counts.kept_in_full < self.config.mentions_kept_per_day;

        self.count_in_bucket(ctx, m, posted, observed).await?;

        let mut ticket_id = None;
        if sentiment.negative
            && let Some(email) = &m.author_email
        {
            let email = email.trim().to_ascii_lowercase();
            let customer: Option<KnownCustomer> = ctx
                .get_as(Domain::Customer, &customer_pk(&email), "customer")
                .await?;
            if let Some(c) = customer {
                let ticket = ticket_for(m, &sentiment, &c, &email);
                ticket_id = Some(ticket.ticket_id.clone());
                ctx.emit(ticket)?;
            }
        }

        counts.mentions += 1;
        counts.kept_in_full += u32::from(keep_text);
        counts.negative += u32::from(sentiment.negative);
        counts.tickets += u32::from(ticket_id.is_some());
        counts.version += 1;
        ctx.put_record(
            Domain::Interaction,
            &day_pk(day),
            "count",
            &counts,
            None,
            Condition::version(previous),
        )?;

        let record = MentionRecord {
            mention_id: m.mention_id.clone(),
            platform: m.platform.clone(),
            author: m.author.clone(),
            author_email: m.author_email.clone(),
            posted_at: m.posted_at,
            url: m.url.clone(),
            score: sentiment.score,
            negative: sentiment.negative,
            hits: sentiment.hits,
            text: keep_text.then(|| m.text.clone()),
            ticket_id,
        };
        let expires = posted + Duration::days(i64::from(self.config.mention_keep_days));
        let data = serde_json::to_value(&record)
            .map_err(|e| AgentError::Invalid(format!("mention record: {e}")))?;
        let item = Item::new(pk, "mention", data)
            .with_index(format!("social#mentions#{day}"), m.mention_id.clone())
            .expiring_at(expires.timestamp());
        ctx.put(Domain::Interaction, item, Condition::NotExists)?;
        Ok(())
    }

    /// Counts the mention in its bucket and reads the bucket against its trailing window;
    /// announces a spike that starts here (only while the bucket is current: a late mention
    /// counts, but does not announce an old spike).
    async fn count_in_bucket(
        &self,
        ctx: &mut Ctx<'_>,
        m: &MentionObserved,
        posted: DateTime<Utc>,
        observed: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        let s = &self.config.spikes;
        let start = s.bucket_of(posted);
        let key = spikes::bucket_key(start);
        let window_start = start - s.bucket_len() * s.window_buckets as i32;
        let previous_key = spikes::bucket_key(start - s.bucket_len());
        let found: Vec<Bucket> = ctx
            .query_as(
                Domain::Performance,
                &Query::table(VOLUME_PK)
                    .sort(SortKey::Between(
                        spikes::bucket_key(window_start),
                        key.clone(),
                    ))
                    .limit(s.window_buckets as usize + 1),
            )
            .await?;
        let mut bucket = found
            .iter()
            .find(|b| b.start == key)
            .cloned()
            .unwrap_or_else(|| Bucket {
                start: key.clone(),
                ..Bucket::default()
            });
        let previous_spiking = found.iter().any(|b| b.start == previous_key && b.spiking);
        let trailing = spikes::trailing(s, start, &found);
        let before = (bucket.version > 0).then_some(bucket.version);
        bucket.mentions += 1;
        let current = observed < start + s.bucket_len() * 2;
        let mut reading = spikes::read(
            s,
            bucket.mentions,
            &trailing,
            previous_spiking,
            bucket.alerted,
        );
        reading.alert &= current;
        bucket.spiking |= reading.spiking;
        if reading.alert {
            bucket.alerted = true;
            self.announce_spike(ctx, m, &bucket, &trailing, &reading)?;
        }
        bucket.version += 1;
        ctx.put_record(
            Domain::Performance,
            VOLUME_PK,
            &key,
            &bucket,
            None,
            Condition::version(before),
        )
    }

    fn announce_spike(
        &self,
        ctx: &mut Ctx<'_>,
        m: &MentionObserved,
        bucket: &Bucket,
        trailing: &[u32],
        r: &Reading,
    ) -> Result<(), AgentError> {
        let s = &self.config.spikes;
        ctx.emit(ThresholdCrossed {
            metric: SPIKE_METRIC.into(),
            value: (r.z * 100.0).round() / 100.0,
            threshold: s.z_threshold,
            direction: Direction::Above,
        })?;
        let mean = trailing.iter().sum::<u32>() as f64 / trailing.len().max(1) as f64;
        ctx.send_mail(Mail {
            to: self.config.owner.clone(),
            subject: format!(
                "Mention spike: {} mentions in the {}-minute bucket from {} (z {:.2})",
                bucket.mentions, s.bucket_minutes, bucket.start, r.z
            ),
            text: format!(
                "Mentions of us are spiking: {} in the {}-minute bucket starting {}, against \
                 {:.1} a bucket over the {} buckets before (z-score {:.2}, threshold {}).\n\n\
                 Latest: {} on {}: \"{}\"\n{}\n",
                bucket.mentions,
                s.bucket_minutes,
                bucket.start,
                mean,
                s.window_buckets,
                r.z,
                s.z_threshold,
                m.author,
                m.platform,
                m.text.trim(),
                m.url
            ),
            ..Mail::default()
        })
    }
}
