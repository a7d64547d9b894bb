//! What comes back from the emails: opens (`InteractionRecorded` `email_opened`) and clicks
//! (`EmailClicked`), each counted once per recipient for the A/B test; bounces and complaints
//! (`EmailBounced`), which may pause the campaign ([`crate::deliverability`]); and opt-outs
//! (`ContactPreferenceChanged`), kept so the campaign's later batches leave the address out.
//! Responses are traced to the campaign last sent to the address within
//! `response_window_days`.

use crate::campaign::{CampaignReturns, CampaignState, Send, campaign_pk, recipient_index};
use crate::{EmailMarketing, deliverability, optout_pk};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    BounceKind, ContactPreferenceChanged, Direction, EmailBounced, EmailCampaignPaused,
    ThresholdCrossed,
};
use ascent_core::compliance::ListEntry;
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail, Query};
use chrono::{DateTime, Duration, Utc};

/// A response to a marketing email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Response {
    Open,
    Click,
}

impl EmailMarketing {
    /// The campaign email last sent to `email` before `at`, within the response window.
    async fn last_send(
        &self,
        ctx: &mut Ctx<'_>,
        email: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Send>, AgentError> {
        let q = Query::gsi1(recipient_index(email))
            .sort(ascent_core::ports::SortKey::AtMost(format!(
                "{}~",
                crate::campaign::stamp(at)
            )))
            .descending()
            .limit(1);
        let found: Vec<Send> = ctx.query_as(Domain::Interaction, &q).await?;
        let window = Duration::days(self.config.response_window_days as i64);
        Ok(found
            .into_iter()
            .next()
            .filter(|s| at - s.sent_at <= window))
    }

    async fn returns(
        &self,
        ctx: &mut Ctx<'_>,
        campaign: &str,
    ) -> Result<(CampaignReturns, Option<u32>), AgentError> {
        let r: Option<CampaignReturns> = ctx
            .get_as(Domain::Interaction, &campaign_pk(campaign), "returns")
            .await?;
        let previous = r.as_ref().map(|r| r.version);
        Ok((r.unwrap_or_default(), previous))
    }

    fn save_returns(
        &self,
        ctx: &mut Ctx<'_>,
        campaign: &str,
        r: &mut CampaignReturns,
        previous: Option<u32>,
    ) -> Result<(), AgentError> {
        r.version = previous.map_or(0, |v| v + 1);
        ctx.put_record(
            Domain::Interaction,
            &campaign_pk(campaign),
            "returns",
            r,
            None,
            Condition::version(previous),
        )
    }

    fn save_send(&self, ctx: &mut Ctx<'_>, s: &Send) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Interaction,
            &Send::pk(&s.campaign_id),
            &s.email,
            s,
            Some(s.index()),
            Condition::Exists,
        )
    }

    /// An open or a click: counted once per recipient and variant.
    pub(crate) async fn on_response(
        &self,
        ctx: &mut Ctx<'_>,
        email: &str,
        at: DateTime<Utc>,
        response: Response,
    ) -> Result<(), AgentError> {
        let Some(mut send) = self.last_send(ctx, email, at).await? else {
            return Ok(()); // not a campaign's email
        };
        let flag = match response {
            Response::Open => &mut send.opened,
            Response::Click => &mut send.clicked,
        };
        if *flag {
            return Ok(());
        }
        *flag = true;
        self.save_send(ctx, &send)?;
        let (mut r, previous) = self.returns(ctx, &send.campaign_id).await?;
        let counts = match response {
            Response::Open => &mut r.opens,
            Response::Click => &mut r.clicks,
        };
        if counts.len() <= send.variant {
            counts.resize(send.variant + 1, 0);
        }
        counts[send.variant] += 1;
        self.save_returns(ctx, &send.campaign_id, &mut r, previous)
    }

    /// A bounce or complaint: the address opted out when permanent, the campaign's rates
    /// judged, and the campaign paused over a threshold.
    pub(crate) async fn on_bounce(
        &self,
        ctx: &mut Ctx<'_>,
        b: &EmailBounced,
    ) -> Result<(), AgentError> {
        let at = ctx.cause().time;
        if matches!(b.bounce, BounceKind::Hard | BounceKind::Complaint) {
            let entry = ListEntry {
                reason: format!("{:?}", b.bounce).to_lowercase(),
                evidence: b.diagnostic.clone(),
                since: at,
            };
            self.opt_out(ctx, &b.email, &entry)?;
        }
        let Some(mut send) = self.last_send(ctx, &b.email, at).await? else {
            return Ok(());
        };
        if send.bounced {
            return Ok(());
        }
        send.bounced = true;
        self.save_send(ctx, &send)?;
        let (mut r, previous) = self.returns(ctx, &send.campaign_id).await?;
        match b.bounce {
            BounceKind::Hard => r.returns.hard_bounces += 1,
            BounceKind::Soft => r.returns.soft_bounces += 1,
            BounceKind::Complaint => r.returns.complaints += 1,
        }
        self.save_returns(ctx, &send.campaign_id, &mut r, previous)?;
        let Some(mut c) = self.campaign(ctx, &send.campaign_id).await? else {
            return Ok(());
        };
        let was_testing = match c.state {
            CampaignState::Sending => false,
            CampaignState::Testing { .. } => true,
            _ => return Ok(()), // paused or completed already
        };
        let since = deliverability::Returns {
            hard_bounces: (r.returns.hard_bounces).saturating_sub(c.baseline.returns.hard_bounces),
            soft_bounces: (r.returns.soft_bounces).saturating_sub(c.baseline.returns.soft_bounces),
            complaints: (r.returns.complaints).saturating_sub(c.baseline.returns.complaints),
        };
        let sent = c.total_sent().saturating_sub(c.baseline.sent);
        let Some(breach) =
            deliverability::judge(sent, since, self.config.deliverability.thresholds())
        else {
            return Ok(());
        };
        let v = c.version;
        c.state = CampaignState::Paused { was_testing };
        let notify = &self.config.deliverability.notify;
        ctx.send_mail(Mail {
            to: notify.clone(),
            subject: format!(
                "Campaign {} paused: {} {:.2}% over {:.2}%",
                c.campaign_id,
                breach.metric.replace('_', " "),
                breach.rate_pct,
                breach.threshold_pct
            ),
            text: format!(
                "Email campaign {} ({}) is paused: of {sent} emails sent since it started or \
                 was last resumed, {} hard bounces, {} complaints and {} soft bounces came \
                 back: a {} of {:.2}%, over the {:.2}% allowed.\nIts remaining batches wait. \
                 Clean the list or the content, then resume it (EmailCampaignResumed).\n",
                c.campaign_id,
                c.name,
                since.hard_bounces,
                since.complaints,
                since.soft_bounces,
                breach.metric.replace('_', " "),
                breach.rate_pct,
                breach.threshold_pct
            ),
            ..Default::default()
        })?;
        ctx.emit(ThresholdCrossed {
            metric: format!("email_marketing.{}.{}", c.campaign_id, breach.metric),
            value: breach.rate_pct,
            threshold: breach.threshold_pct,
            direction: Direction::Above,
        })?;
        ctx.emit(EmailCampaignPaused {
            campaign_id: c.campaign_id.clone(),
            metric: breach.metric.to_string(),
            rate_pct: breach.rate_pct,
            threshold_pct: breach.threshold_pct,
            sent: c.total_sent(),
        })?;
        self.save_campaign(ctx, &mut c, Some(v))
    }

    fn opt_out(&self, ctx: &mut Ctx<'_>, email: &str, entry: &ListEntry) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Customer,
            &optout_pk(email),
            "entry",
            entry,
            None,
            Condition::Always,
        )
    }

    /// An unsubscribe or withdrawn consent: the address is left out from now on.
    pub(crate) fn on_opt_out(
        &self,
        ctx: &mut Ctx<'_>,
        p: &ContactPreferenceChanged,
    ) -> Result<(), AgentError> {
        let entry = ListEntry {
            reason: format!("{:?}", p.change).to_lowercase(),
            evidence: p.evidence.clone(),
            since: ctx.cause().time,
        };
        self.opt_out(ctx, &p.email, &entry)
    }
}
