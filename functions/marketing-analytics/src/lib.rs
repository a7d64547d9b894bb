//! # Marketing Analytics agent
//!
//! Which marketing brought the revenue, and what each channel returns. It keeps every
//! contact's marketing touches (tagged visits, ad clicks, webinars, events, referrals from
//! `TouchRecorded`; Outreach's sent emails from `OutreachStepTaken`), the most recent
//! `touches_kept` per contact ([`touches`]). A won deal (`DealClosedWon`) is traced to its
//! contact through the lead it came from (`LeadCreated` gives the lead's email), and its
//! amount is credited to the touches of the attribution window before the win under five
//! models at once — first touch, last touch, linear, time decay, position based ([`models`]),
//! in integer minor units that always sum to the deal — into the ledger of the win's day
//! ([`ledger`]), with the new customer it brought. A self-serve sign-up (`CustomerSignedUp`)
//! whose billing contact had touches counts as a new customer too (each account once).
//! Spend arrives as `MarketingSpendRecorded`. Each week (the daily tick on
//! `weekly_report_day`) the report sums the lookback's day ledgers into ROI, CAC and the
//! return per unit spent per channel and campaign, mails it to marketing and emits
//! `ChannelReturnsMeasured`, the Marketing Orchestrator's input ([`report`]).

pub mod ledger;
pub mod models;
pub mod report;
mod settings;
pub mod touches;

pub use settings::AnalyticsConfig;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    CustomerSignedUp, DealClosedWon, MarketingChannel, MarketingSpendRecorded, OutreachChannel,
    Payload, StepOutcome,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_core::ports::Condition;
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use chrono::NaiveDate;
use ledger::DayLedger;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const NAME: &str = "marketing-analytics";
/// Partition of the day ledgers, sorted by day.
pub const DAYS_PK: &str = "attribution#days";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Marketing,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "touches",
                pattern: json!({"$or": [
                    {"detail-type": ["LeadCreated", "TouchRecorded"]},
                    {"detail-type": ["OutreachStepTaken"],
                     "detail": {"payload": {"channel": ["email"], "outcome": ["sent"]}}}
                ]}),
            },
            Subscription {
                name: "revenue-and-spend",
                pattern: json!({"detail-type": ["DealClosedWon", "CustomerSignedUp",
                                                "MarketingSpendRecorded"]}),
            },
            Subscription {
                name: "weekly-report",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
        ],
        reads: vec![Domain::Interaction, Domain::Performance],
        owns: vec![
            owns(Domain::Interaction, "touches#").holding(Personal::deleted(
                &["email", "touches[]"],
                &["email"],
                "Credit won revenue to the marketing touches of the contact who bought",
                Retention::Days("interactions_days"),
            )),
            // Keyed by the lead id.
            owns(Domain::Interaction, "touch-lead#").holding(Personal::deleted(
                &["email"],
                &["email"],
                "Find the contact of a lead that Outreach mailed or a won deal names",
                Retention::Days("unconverted_leads_days"),
            )),
            owns(Domain::Performance, "attribution#"),
        ],
        emits: vec!["ChannelReturnsMeasured"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

pub struct MarketingAnalytics {
    decl: AgentDecl,
    config: AnalyticsConfig,
}

/// A won deal or a counted customer, kept so a repeat is credited once.
#[derive(Debug, Serialize, Deserialize)]
struct Credited {
    /// The day ledger it was credited to.
    day: NaiveDate,
    /// Touches credited (0: unattributed).
    touches: usize,
}

impl MarketingAnalytics {
    /// The day ledger of `day` (a new one when nothing was booked that day yet).
    async fn day(&self, ctx: &mut Ctx<'_>, day: NaiveDate) -> Result<DayLedger, AgentError> {
        Ok(ctx
            .get_as::<DayLedger>(Domain::Performance, DAYS_PK, &day.to_string())
            .await?
            .unwrap_or_else(|| DayLedger::new(day)))
    }

    /// Saves a day ledger read at `l.version`, one version on.
    fn save_day(&self, ctx: &mut Ctx<'_>, mut l: DayLedger) -> Result<(), AgentError> {
        let previous = (l.version > 0).then_some(l.version);
        l.version += 1;
        ctx.put_record(
            Domain::Performance,
            DAYS_PK,
            &l.day.to_string(),
            &l,
            None,
            Condition::version(previous),
        )
    }

    /// Converts `m` into the base currency at the rates of `on`; `field` names it in errors.
    fn to_base(&self, m: &Money, on: NaiveDate, field: &str) -> Result<i64, AgentError> {
        m.check_non_negative()
            .map_err(|e| AgentError::Invalid(format!("{field}: {e}")))?;
        self.config
            .fx
            .to_base_on(m, on)
            .map(|b| b.amount_minor)
            .map_err(|e| AgentError::Invalid(format!("{field}: {e}")))
    }

    async fn credited(&self, ctx: &mut Ctx<'_>, pk: &str) -> Result<Option<Credited>, AgentError> {
        ctx.get_as(Domain::Performance, pk, "credited").await
    }

    fn mark(&self, ctx: &mut Ctx<'_>, pk: &str, c: &Credited) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Performance,
            pk,
            "credited",
            c,
            None,
            Condition::NotExists,
        )
    }

    /// Credits a won deal's amount (and its customer, when new) to the touches of its lead's
    /// contact in the window before the win.
    async fn on_deal_won(&self, ctx: &mut Ctx<'_>, d: &DealClosedWon) -> Result<(), AgentError> {
        let won_at = ctx.cause().time;
        let day = won_at.date_naive();
        let amount = self.to_base(&d.amount, day, "amount")?;
        let deal_pk = format!("attribution#deal#{}", d.deal_id);
        if self.credited(ctx, &deal_pk).await?.is_some() {
            return Ok(()); // the same deal won twice (a CRM resend)
        }
        let email = match &d.lead_id {
            Some(lead) => touches::lead_email(ctx, lead).await?,
            None => None,
        };
        let journey = match &email {
            Some(e) => touches::before(ctx, e, won_at, self.config.attribution_window_days).await?,
            None => Vec::new(),
        };
        let customer_pk = format!("attribution#customer#{}", d.account_id);
        let new_customer = self.credited(ctx, &customer_pk).await?.is_none();
        let mut l = self.day(ctx, day).await?;
        l.credit(&journey, amount, new_customer, &self.config.models);
        let credited = Credited {
            day,
            touches: journey.len(),
        };
        if new_customer {
            self.mark(ctx, &customer_pk, &credited)?;
        }
        self.mark(ctx, &deal_pk, &credited)?;
        self.save_day(ctx, l)
    }

    /// A self-serve sign-up whose billing contact met marketing is a new customer of those
    /// touches; other sign-ups wait for their deal (each account is counted once).
    async fn on_signed_up(
        &self,
        ctx: &mut Ctx<'_>,
        c: &CustomerSignedUp,
    ) -> Result<(), AgentError> {
        let customer_pk = format!("attribution#customer#{}", c.account_id);
        if self.credited(ctx, &customer_pk).await?.is_some() {
            return Ok(());
        }
        let at = ctx.cause().time;
        let email = touches::normalise(&c.billing_email, "billing_email")?;
        let journey = touches::before(ctx, &email, at, self.config.attribution_window_days).await?;
        if journey.is_empty() {
            return Ok(());
        }
        let day = at.date_naive();
        let mut l = self.day(ctx, day).await?;
        l.credit(&journey, 0, true, &self.config.models);
        self.mark(
            ctx,
            &customer_pk,
            &Credited {
                day,
                touches: journey.len(),
            },
        )?;
        self.save_day(ctx, l)
    }

    async fn on_spend(
        &self,
        ctx: &mut Ctx<'_>,
        s: &MarketingSpendRecorded,
    ) -> Result<(), AgentError> {
        let amount = self.to_base(&s.amount, s.spent_on, "amount")?;
        let campaign = touches::campaign(s.campaign_id.as_deref())?;
        let pk = format!("attribution#spend#{}", s.spend_id);
        if self.credited(ctx, &pk).await?.is_some() {
            return Ok(());
        }
        let mut l = self.day(ctx, s.spent_on).await?;
        l.spend(s.channel, campaign, amount);
        self.mark(
            ctx,
            &pk,
            &Credited {
                day: s.spent_on,
                touches: 0,
            },
        )?;
        self.save_day(ctx, l)
    }
}

#[async_trait]
impl Agent for MarketingAnalytics {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::LeadCreated(l) => touches::on_lead(ctx, &l.lead_id, &l.email).await,
            Payload::TouchRecorded(t) => {
                let email = touches::normalise(&t.email, "email")?;
                let touch = models::Touch {
                    id: touches::id(&t.touch_id)?,
                    channel: t.channel,
                    campaign_id: touches::campaign(t.campaign_id.as_deref())?.map(str::to_string),
                    at: t.occurred_at,
                };
                touches::record(ctx, &email, touch, self.config.touches_kept).await
            }
            Payload::OutreachStepTaken(s) => {
                if s.channel != OutreachChannel::Email || s.outcome != StepOutcome::Sent {
                    return Ok(());
                }
                let Some(email) = touches::lead_email(ctx, &s.lead_id).await? else {
                    return Ok(()); // a lead this agent never saw: no contact to touch
                };
                let touch = models::Touch {
                    id: format!("outreach#{}#{}#{}", s.lead_id, s.sequence, s.step),
                    channel: MarketingChannel::Email,
                    campaign_id: Some(s.sequence.clone()),
                    at: event.time,
                };
                touches::record(ctx, &email, touch, self.config.touches_kept).await
            }
            Payload::DealClosedWon(d) => self.on_deal_won(ctx, d).await,
            Payload::CustomerSignedUp(c) => self.on_signed_up(ctx, c).await,
            Payload::MarketingSpendRecorded(s) => self.on_spend(ctx, s).await,
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
