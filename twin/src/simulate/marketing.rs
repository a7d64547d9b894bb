//! The marketing team's lines of the simulation report, counted from the archive.

use ascent_core::catalog::{ContactPreference, Payload};
use ascent_embedded::Runtime;
use serde::Serialize;
use std::fmt;

/// What the marketing team did in a simulation.
#[derive(Debug, Default, Serialize)]
pub struct MarketingReport {
    /// Campaigns the CRM planned (`CampaignPlanned`), paused and ended.
    pub campaigns_planned: u64,
    pub campaigns_paused: u64,
    pub campaigns_ended: u64,
    /// Campaigns over their target cost per acquisition (`ThresholdCrossed` `campaign.*`).
    pub cpa_alerts: u64,
    /// The Orchestrator's weekly reallocations (`BudgetReallocated`), and those of them an
    /// approver approved (the rest needed no approval).
    pub reallocations: u64,
    pub reallocations_approved: u64,
    /// Email campaigns scheduled, completed, and their emails sent and recipients left out
    /// (suppressed or opted out), from `EmailCampaignCompleted`.
    pub email_campaigns: u64,
    pub email_campaigns_completed: u64,
    pub emails_sent: u64,
    pub emails_suppressed: u64,
    /// Campaigns deliverability paused (`EmailCampaignPaused`).
    pub email_campaigns_paused: u64,
    pub bounces: u64,
    pub unsubscribes: u64,
    /// Mentions heard, tickets Social Media opened from negative ones by customers, spikes.
    pub mentions: u64,
    pub mention_tickets: u64,
    pub mention_spikes: u64,
    /// Rank observations, SEO's drop alerts, content gaps it found.
    pub rank_observations: u64,
    pub rank_drops: u64,
    pub content_gaps: u64,
    /// Drafts submitted, and pieces the gate let onto the calendar (`ContentScheduled`).
    pub drafts: u64,
    pub pieces_scheduled: u64,
}

impl MarketingReport {
    /// Counts what the marketing team did from `rt`'s archive.
    pub fn of(rt: &Runtime) -> anyhow::Result<Self> {
        let mut r = Self::default();
        let types = [
            "CampaignPlanned",
            "CampaignPaused",
            "CampaignEnded",
            "ThresholdCrossed",
            "BudgetReallocated",
            "EmailCampaignScheduled",
            "EmailCampaignCompleted",
            "EmailCampaignPaused",
            "EmailBounced",
            "ContactPreferenceChanged",
            "MentionObserved",
            "TicketOpened",
            "KeywordRankObserved",
            "ContentGapFound",
            "ContentDraftSubmitted",
            "ContentScheduled",
        ];
        for (_, e) in rt.archived_after_any(&types, 0)? {
            match e.payload() {
                Payload::CampaignPlanned(_) => r.campaigns_planned += 1,
                Payload::CampaignPaused(_) => r.campaigns_paused += 1,
                Payload::CampaignEnded(_) => r.campaigns_ended += 1,
                Payload::ThresholdCrossed(t) => {
                    let m = t.metric.as_str();
                    if m.starts_with("campaign.") && m.ends_with(".cpa") {
                        r.cpa_alerts += 1;
                    } else if m.starts_with("seo.rank.") {
                        r.rank_drops += 1;
                    } else if m == "social.mention_volume_z" {
                        r.mention_spikes += 1;
                    }
                }
                Payload::BudgetReallocated(b) => {
                    r.reallocations += 1;
                    r.reallocations_approved += u64::from(b.approved_by.is_some());
                }
                Payload::EmailCampaignScheduled(_) => r.email_campaigns += 1,
                Payload::EmailCampaignCompleted(c) => {
                    r.email_campaigns_completed += 1;
                    r.emails_sent += u64::from(c.sent);
                    r.emails_suppressed += u64::from(c.suppressed);
                }
                Payload::EmailCampaignPaused(_) => r.email_campaigns_paused += 1,
                Payload::EmailBounced(_) => r.bounces += 1,
                Payload::ContactPreferenceChanged(c) => {
                    r.unsubscribes += u64::from(c.change == ContactPreference::Unsubscribed)
                }
                Payload::MentionObserved(_) => r.mentions += 1,
                Payload::TicketOpened(_) => {
                    r.mention_tickets += u64::from(e.source == "ascent.agent.social-media")
                }
                Payload::KeywordRankObserved(_) => r.rank_observations += 1,
                Payload::ContentGapFound(_) => r.content_gaps += 1,
                Payload::ContentDraftSubmitted(_) => r.drafts += 1,
                Payload::ContentScheduled(_) => r.pieces_scheduled += 1,
                _ => {}
            }
        }
        Ok(r)
    }
}

impl fmt::Display for MarketingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  marketing campaigns: {} planned, {} paused, {} ended; {} over their target cost per customer",
            self.campaigns_planned, self.campaigns_paused, self.campaigns_ended, self.cpa_alerts
        )?;
        writeln!(
            f,
            "  budget reallocations: {} ({} approved by finance)",
            self.reallocations, self.reallocations_approved
        )?;
        writeln!(
            f,
            "  email: {} campaigns ({} completed, {} paused for bounces), {} emails sent, {} recipients suppressed; {} bounces, {} unsubscribes",
            self.email_campaigns,
            self.email_campaigns_completed,
            self.email_campaigns_paused,
            self.emails_sent,
            self.emails_suppressed,
            self.bounces,
            self.unsubscribes
        )?;
        writeln!(
            f,
            "  social: {} mentions, {} tickets from negative mentions by customers, {} spikes",
            self.mentions, self.mention_tickets, self.mention_spikes
        )?;
        writeln!(
            f,
            "  seo and content: {} rank observations, {} drops, {} content gaps; {} drafts, {} pieces scheduled",
            self.rank_observations,
            self.rank_drops,
            self.content_gaps,
            self.drafts,
            self.pieces_scheduled
        )
    }
}
