//! A campaign's life: scheduled (`EmailCampaignScheduled`, checked against the segments and
//! the profile's facts), started by the hourly run at its time, sent batch by batch
//! (`EmailBatchDue`, one page of the profiles each), held while its A/B test waits for
//! results and decided by the hourly run, paused and resumed, and completed after the
//! segment's last page.

use crate::deliverability::Returns;
use crate::segments::Profile;
use crate::{DUE, EmailMarketing, abtest};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    AbVariantResult, EmailAbTestDecided, EmailBatchDue, EmailCampaignCompleted,
    EmailCampaignResumed, EmailCampaignScheduled, EmailVariant, ScheduleTick,
};
use ascent_core::compliance::normalise_email;
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query, SortKey};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Where a campaign is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Waiting for its send time.
    Scheduled,
    /// A batch is on its way.
    Sending,
    /// The A/B test's emails are out; the decision waits until `decide_at`.
    Testing {
        decide_at: DateTime<Utc>,
    },
    /// Over a deliverability threshold: waiting for a person (`was_testing`: paused while
    /// its test waited for the decision, no batch on its way).
    Paused {
        was_testing: bool,
    },
    Completed,
}

/// The next batch, when it is not on its way (held while testing or paused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextBatch {
    pub batch: u32,
    pub after: Option<String>,
}

/// Counts since the campaign last started or resumed: deliverability judges only these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub sent: u32,
    pub returns: Returns,
}

/// A campaign (`email-campaign#<id>` / `campaign`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub campaign_id: String,
    pub name: String,
    pub segment: String,
    pub variants: Vec<EmailVariant>,
    pub send_at: DateTime<Utc>,
    pub state: CampaignState,
    /// The batch expected next (a batch event of another number is a redelivery).
    pub next_batch: u32,
    pub held: Option<NextBatch>,
    /// Emails sent per variant.
    pub sent: Vec<u32>,
    /// Recipients left out: suppressed or opted out.
    pub suppressed: u32,
    /// The variant the rest get, once the test is decided (or from the start with one).
    pub rest_variant: Option<usize>,
    pub baseline: Baseline,
    pub version: u32,
}

impl Campaign {
    pub fn total_sent(&self) -> u32 {
        self.sent.iter().sum()
    }
}

/// What came back from a campaign (`email-campaign#<id>` / `returns`): unique responses per
/// variant, bounces and complaints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignReturns {
    pub opens: Vec<u32>,
    pub clicks: Vec<u32>,
    pub returns: Returns,
    pub version: u32,
}

pub(crate) fn campaign_pk(id: &str) -> String {
    format!("email-campaign#{id}")
}

pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One email sent (`email-send#<campaign>` / `<address>`), indexed under the address by time
/// so a response is traced to the campaign last sent to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Send {
    pub campaign_id: String,
    pub email: String,
    pub variant: usize,
    pub sent_at: DateTime<Utc>,
    #[serde(default)]
    pub opened: bool,
    #[serde(default)]
    pub clicked: bool,
    #[serde(default)]
    pub bounced: bool,
}

impl Send {
    pub fn pk(campaign: &str) -> String {
        format!("email-send#{campaign}")
    }
    pub fn index(&self) -> (String, String) {
        (
            recipient_index(&self.email),
            format!("{}#{}", stamp(self.sent_at), self.campaign_id),
        )
    }
}

pub(crate) fn recipient_index(email: &str) -> String {
    format!("email-marketing#recipient#{}", normalise_email(email))
}

pub(crate) fn invalid(field: &str, why: impl std::fmt::Display) -> AgentError {
    AgentError::Invalid(format!("`{field}`: {why}"))
}

impl EmailMarketing {
    pub(crate) async fn campaign(
        &self,
        ctx: &mut Ctx<'_>,
        id: &str,
    ) -> Result<Option<Campaign>, AgentError> {
        ctx.get_as(Domain::Interaction, &campaign_pk(id), "campaign")
            .await
    }

    pub(crate) fn save_campaign(
        &self,
        ctx: &mut Ctx<'_>,
        c: &mut Campaign,
        previous: Option<u32>,
    ) -> Result<(), AgentError> {
        let index = match c.state {
            CampaignState::Scheduled => Some((
                DUE.to_string(),
                format!("{}#{}", stamp(c.send_at), c.campaign_id),
            )),
            CampaignState::Testing { decide_at } => Some((
                DUE.to_string(),
                format!("{}#{}", stamp(decide_at), c.campaign_id),
            )),
            _ => None,
        };
        c.version = previous.map_or(0, |v| v + 1);
        ctx.put_record(
            Domain::Interaction,
            &campaign_pk(&c.campaign_id),
            "campaign",
            c,
            index,
            Condition::version(previous),
        )
    }

    pub(crate) async fn on_scheduled(
        &self,
        ctx: &mut Ctx<'_>,
        s: &EmailCampaignScheduled,
    ) -> Result<(), AgentError> {
        if s.campaign_id.trim().is_empty() {
            return Err(invalid("campaign_id", "is empty"));
        }
        if self.campaign(ctx, &s.campaign_id).await?.is_some() {
            return Ok(()); // scheduled before
        }
        if self.config.segment(&s.segment).is_none() {
            let known: Vec<&str> = self
                .config
                .segments
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            return Err(invalid(
                "segment",
                format!(
                    "`{}` is not a segment of [email_marketing] ({})",
                    s.segment,
                    known.join(", ")
                ),
            ));
        }
        if !(1..=2).contains(&s.variants.len()) {
            return Err(invalid(
                "variants",
                format!("{} given: one, or two for an A/B test", s.variants.len()),
            ));
        }
        if s.variants.len() == 2 && s.variants[0].name == s.variants[1].name {
            return Err(invalid(
                "variants[1].name",
                "the same as the first variant's",
            ));
        }
        // Every placeholder must be a fact every profile has.
        let sample = Profile {
            account_id: String::new(),
            email: "x@x.example".into(),
            company: String::new(),
            plan: String::new(),
            seats: 0,
            country: String::new(),
            tier: None,
            stage: crate::segments::LifecycleStage::Active,
            unsubscribe_token: String::new(),
            version: 0,
        };
        for (i, v) in s.variants.iter().enumerate() {
            if v.subject.trim().is_empty() {
                return Err(invalid(&format!("variants[{i}].subject"), "is empty"));
            }
            let facts = sample.facts();
            for (field, text) in [("subject", &v.subject), ("body", &v.body)] {
                ascent_core::writer::fill(text, &facts)
                    .map_err(|e| invalid(&format!("variants[{i}].{field}"), e))?;
            }
        }
        let mut c = Campaign {
            campaign_id: s.campaign_id.clone(),
            name: s.name.clone(),
            segment: s.segment.clone(),
            variants: s.variants.clone(),
            send_at: s.send_at,
            state: CampaignState::Scheduled,
            next_batch: 1,
            held: None,
            sent: vec![0; s.variants.len()],
            suppressed: 0,
            rest_variant: (s.variants.len() == 1).then_some(0),
            baseline: Baseline::default(),
            version: 0,
        };
        if s.send_at <= ctx.now() {
            self.start(ctx, &mut c)?;
        }
        self.save_campaign(ctx, &mut c, None)
    }

    /// Sends the first batch.
    fn start(&self, ctx: &mut Ctx<'_>, c: &mut Campaign) -> Result<(), AgentError> {
        c.state = CampaignState::Sending;
        c.next_batch = 1;
        ctx.emit(EmailBatchDue {
            campaign_id: c.campaign_id.clone(),
            batch: 1,
            after: None,
        })
    }

    /// The hourly run: campaigns due to start, tests due to be decided; at most
    /// `campaigns_per_tick` (one write and one or two events each), the rest the next run.
    pub(crate) async fn on_hourly(
        &self,
        ctx: &mut Ctx<'_>,
        t: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let q = Query::gsi1(DUE)
            .sort(SortKey::AtMost(format!("{}~", stamp(t.at))))
            .limit(self.config.campaigns_per_tick);
        let due: Vec<Campaign> = ctx.query_as(Domain::Interaction, &q).await?;
        for mut c in due {
            let v = c.version;
            match c.state {
                CampaignState::Scheduled => self.start(ctx, &mut c)?,
                CampaignState::Testing { .. } => self.decide(ctx, &mut c).await?,
                _ => continue,
            }
            self.save_campaign(ctx, &mut c, Some(v))?;
        }
        Ok(())
    }

    /// Decides the A/B test from the unique responses, then sends the rest (or completes).
    async fn decide(&self, ctx: &mut Ctx<'_>, c: &mut Campaign) -> Result<(), AgentError> {
        let r: CampaignReturns = ctx
            .get_as(Domain::Interaction, &campaign_pk(&c.campaign_id), "returns")
            .await?
            .unwrap_or_default();
        let metric = self.config.ab_test.metric;
        let responded = match metric {
            crate::AbMetric::Opens => &r.opens,
            crate::AbMetric::Clicks => &r.clicks,
        };
        let result = |i: usize| AbVariantResult {
            variant: c.variants[i].name.clone(),
            sent: c.sent[i],
            responded: responded.get(i).copied().unwrap_or(0),
        };
        let results = [result(0), result(1)];
        let d = abtest::decide(&results, self.config.ab_test.rules());
        c.rest_variant = Some(d.rest_get);
        ctx.emit(EmailAbTestDecided {
            campaign_id: c.campaign_id.clone(),
            outcome: d.outcome,
            rest_get: c.variants[d.rest_get].name.clone(),
            metric: metric.as_str().to_string(),
            results: results.to_vec(),
            z: d.z,
            p_value: d.p_value,
        })?;
        self.continue_or_complete(ctx, c)
    }

    /// Sends the held batch, or completes the campaign when nothing is left.
    pub(crate) fn continue_or_complete(
        &self,
        ctx: &mut Ctx<'_>,
        c: &mut Campaign,
    ) -> Result<(), AgentError> {
        match c.held.take() {
            Some(next) => {
                c.state = CampaignState::Sending;
                c.next_batch = next.batch;
                ctx.emit(EmailBatchDue {
                    campaign_id: c.campaign_id.clone(),
                    batch: next.batch,
                    after: next.after,
                })
            }
            None => self.complete(ctx, c),
        }
    }

    pub(crate) fn complete(&self, ctx: &mut Ctx<'_>, c: &mut Campaign) -> Result<(), AgentError> {
        c.state = CampaignState::Completed;
        ctx.emit(EmailCampaignCompleted {
            campaign_id: c.campaign_id.clone(),
            sent: c.total_sent(),
            suppressed: c.suppressed,
            batches: c.next_batch,
        })
    }

    /// A person resumed a paused campaign: judged afresh from here, the held batch sent (or
    /// the test decided at the next hourly run when it was waiting for that).
    pub(crate) async fn on_resumed(
        &self,
        ctx: &mut Ctx<'_>,
        r: &EmailCampaignResumed,
    ) -> Result<(), AgentError> {
        let Some(mut c) = self.campaign(ctx, &r.campaign_id).await? else {
            return Err(invalid(
                "campaign_id",
                format!("campaign {} is not known", r.campaign_id),
            ));
        };
        let CampaignState::Paused { was_testing } = c.state else {
            return Ok(()); // not paused (a repeat)
        };
        let v = c.version;
        let returns: CampaignReturns = ctx
            .get_as(Domain::Interaction, &campaign_pk(&c.campaign_id), "returns")
            .await?
            .unwrap_or_default();
        c.baseline = Baseline {
            sent: c.total_sent(),
            returns: returns.returns,
        };
        if was_testing {
            // Decided at the next hourly run.
            c.state = CampaignState::Testing {
                decide_at: ctx.now(),
            };
        } else if c.held.is_some() {
            self.continue_or_complete(ctx, &mut c)?;
        } else {
            // The batch on its way when it paused has not arrived yet: it goes on when it does.
            c.state = CampaignState::Sending;
        }
        self.save_campaign(ctx, &mut c, Some(v))
    }
}
