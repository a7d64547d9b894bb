//! Sending a campaign, one `EmailBatchDue` at a time: a page of `batch_size` profiles after
//! where the last batch ended, each profile in the segment, not yet mailed by this campaign
//! and not opted out mailed once (its variant, the compliance footer and headers), then the
//! next page handed on, held for the A/B test, or the campaign completed. A batch's writes
//! (one per recipient and the campaign) and its mails stay within one message's commit.

use crate::campaign::{CampaignState, NextBatch, Send, invalid};
use crate::segments::Profile;
use crate::{EmailMarketing, PROFILES, abtest, message, optout_pk};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::EmailBatchDue;
use ascent_core::compliance;
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query, SortKey};
use chrono::Duration;

/// Bytes of email one batch sends at most: its mails and events are kept in the message's
/// idempotency record until delivered, a DynamoDB item of at most 400 KB.
pub const MAIL_BYTES_PER_BATCH: usize = 256 * 1024;

/// A mail's size as the idempotency record keeps it (its JSON).
fn mail_size(mail: &ascent_core::ports::Mail) -> usize {
    serde_json::to_string(mail).map_or(0, |t| t.len())
}

impl EmailMarketing {
    /// One batch: a page of the profiles after `after`, each in the segment and not opted out
    /// mailed once; the next page handed on (or held for the test, or the campaign completed).
    pub(crate) async fn on_batch(
        &self,
        ctx: &mut Ctx<'_>,
        b: &EmailBatchDue,
    ) -> Result<(), AgentError> {
        let Some(mut c) = self.campaign(ctx, &b.campaign_id).await? else {
            return Err(invalid(
                "campaign_id",
                format!("campaign {} is not known", b.campaign_id),
            ));
        };
        if b.batch != c.next_batch {
            return Ok(()); // taken before
        }
        let v = c.version;
        match c.state {
            CampaignState::Sending => {}
            CampaignState::Paused { was_testing: false } if c.held.is_none() => {
                // Paused while this batch was on its way: it waits for the resume.
                c.held = Some(NextBatch {
                    batch: b.batch,
                    after: b.after.clone(),
                });
                return self.save_campaign(ctx, &mut c, Some(v));
            }
            _ => return Ok(()),
        }
        let segment = self.config.segment(&c.segment).cloned().ok_or_else(|| {
            invalid(
                "segment",
                format!("`{}` is no longer configured", c.segment),
            )
        })?;
        // While the test runs, no more recipients than it still needs.
        let testing = c.rest_variant.is_none();
        let cap = if testing {
            (self
                .config
                .ab_test
                .test_recipients
                .saturating_sub(c.total_sent())) as usize
        } else {
            self.config.batch_size
        }
        .min(self.config.batch_size);
        let scan = self.config.batch_size;
        let mut q = Query::gsi1(PROFILES).limit(scan + 2);
        if let Some(after) = &b.after {
            q = q.sort(SortKey::AtLeast(after.clone()));
        }
        let page: Vec<Profile> = ctx.query_as(Domain::Customer, &q).await?;
        let page: Vec<Profile> = page
            .into_iter()
            .filter(|p| Some(&p.account_id) != b.after.as_ref())
            .collect();
        let now = ctx.now();
        let (mut taken, mut mailed, mut last) = (0usize, 0usize, b.after.clone());
        let mut mail_bytes = 0usize;
        for p in page.iter().take(scan) {
            if mailed == cap {
                break;
            }
            let sent_pk = Send::pk(&c.campaign_id);
            let eligible = segment.admits(p)
                // never the same address twice in one campaign
                && ctx.get(Domain::Interaction, &sent_pk, &p.email).await?.is_none();
            if !eligible {
                taken += 1;
                last = Some(p.account_id.clone());
                continue;
            }
            if ctx
                .get(Domain::Customer, &optout_pk(&p.email), "entry")
                .await?
                .is_some()
                || compliance::is_suppressed(ctx, &p.email).await?
            {
                taken += 1;
                last = Some(p.account_id.clone());
                c.suppressed += 1;
                continue;
            }
            let variant = c
                .rest_variant
                .unwrap_or_else(|| abtest::variant_of(&c.campaign_id, &p.email));
            let mail = message::compose(&self.config.sender, &c.variants[variant], p)
                .map_err(|e| invalid(&format!("variants[{variant}]"), e))?;
            // The batch's mails ride in one idempotency record (400 KB): long emails make
            // shorter batches, the page going on from here.
            let bytes = mail_size(&mail);
            if mailed > 0 && mail_bytes + bytes > MAIL_BYTES_PER_BATCH {
                break;
            }
            mail_bytes += bytes;
            taken += 1;
            last = Some(p.account_id.clone());
            ctx.send_mail(mail)?;
            let send = Send {
                campaign_id: c.campaign_id.clone(),
                email: p.email.clone(),
                variant,
                sent_at: now,
                opened: false,
                clicked: false,
                bounced: false,
            };
            ctx.put_record(
                Domain::Interaction,
                &sent_pk,
                &p.email,
                &send,
                Some(send.index()),
                Condition::NotExists,
            )?;
            c.sent[variant] += 1;
            mailed += 1;
        }
        let more = taken < page.len();
        let next = NextBatch {
            batch: b.batch + 1,
            after: last,
        };
        c.next_batch = next.batch;
        if testing && (!more || c.total_sent() >= self.config.ab_test.test_recipients) {
            // The test's emails are out: the rest waits for the decision.
            c.held = more.then_some(next);
            c.state = CampaignState::Testing {
                decide_at: now + Duration::hours(self.config.ab_test.wait_hours as i64),
            };
        } else if more {
            ctx.emit(EmailBatchDue {
                campaign_id: c.campaign_id.clone(),
                batch: next.batch,
                after: next.after,
            })?;
        } else {
            c.next_batch = b.batch;
            self.complete(ctx, &mut c)?;
        }
        self.save_campaign(ctx, &mut c, Some(v))
    }
}
